"""App config for PyPI packages: upload, simple index, downloads."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class PackagesPypiConfig(AppConfig):
    name = "packages_pypi"
    verbose_name = "PyPI packages"

    def ready(self) -> None:
        from packages_pypi.models import PackageTombstone
        from packages_pypi.services import project_files_remove_on_commit
        from packages_pypi.tombstones import tombstones_for_projects
        from projects.cleanup import on_projects_delete
        from projects.models import ApplicationSettings, Group, Project

        on_projects_delete(project_files_remove_on_commit)
        on_projects_delete(tombstones_for_projects)
        # What an anonymous caller may see, and where a miss goes, is decided by these rows (a
        # released tombstone lets a name go upstream again): any change to them replaces the
        # public generation (package writes do it in packages_serial_bump).
        for model in (Project, Group, ApplicationSettings, PackageTombstone):
            post_save.connect(_public_change, sender=model, dispatch_uid=f"public-{model}")
            post_delete.connect(_public_change, sender=model, dispatch_uid=f"public-d-{model}")


def _public_change(**_: Any) -> None:
    from packages_pypi.public_generation import public_generation_replace

    public_generation_replace()
