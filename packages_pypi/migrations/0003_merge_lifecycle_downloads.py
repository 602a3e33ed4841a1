# Two migrations written side by side (yanks, status and rules; download counts) joined.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("packages_pypi", "0002_download_counts"),
        ("packages_pypi", "0002_lifecycle"),
    ]

    operations: list = []
