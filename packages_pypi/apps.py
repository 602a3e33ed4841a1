"""App config for PyPI packages: upload, simple index, downloads."""

from django.apps import AppConfig


class PackagesPypiConfig(AppConfig):
    name = "packages_pypi"
    verbose_name = "PyPI packages"
