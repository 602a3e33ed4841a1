"""App config for PyPI packages: upload, simple index, downloads."""

from django.apps import AppConfig


class PackagesPypiConfig(AppConfig):
    name = "packages_pypi"
    verbose_name = "PyPI packages"

    def ready(self) -> None:
        from packages_pypi.services import project_files_remove_on_commit
        from packages_pypi.tombstones import tombstones_for_projects
        from projects.cleanup import on_projects_delete

        on_projects_delete(project_files_remove_on_commit)
        on_projects_delete(tombstones_for_projects)
