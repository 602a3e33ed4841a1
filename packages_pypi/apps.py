"""App config for PyPI packages: upload, simple index, downloads."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class PackagesPypiConfig(AppConfig):
    name = "packages_pypi"
    verbose_name = "PyPI packages"

    def ready(self) -> None:
        from packages_pypi.services import project_files_remove_on_commit
        from projects.cleanup import on_projects_delete
        from projects.models import ApplicationSettings, Group, Project

        on_projects_delete(project_files_remove_on_commit)
        # What an anonymous caller may see, and where a miss goes, is decided by these rows:
        # any change to them replaces the public generation (package writes do it in
        # packages_serial_bump).
        for model in (Project, Group, ApplicationSettings):
            post_save.connect(_public_change, sender=model, dispatch_uid=f"public-{model}")
            post_delete.connect(_public_change, sender=model, dispatch_uid=f"public-d-{model}")


def _public_change(**_: Any) -> None:
    from packages_pypi.public_generation import public_generation_replace

    public_generation_replace()
