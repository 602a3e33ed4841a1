# Migrations written side by side (download counts; yanks, status and rules; trusted
# publishing; the upstream cache) joined.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("packages_pypi", "0002_download_counts"),
        ("packages_pypi", "0002_lifecycle"),
        ("packages_pypi", "0002_packagefile_publishing_token"),
        ("packages_pypi", "0002_upstream_cache"),
    ]

    operations: list = []
