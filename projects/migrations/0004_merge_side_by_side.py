# Migrations written side by side (the upstream proxy's settings; the group tree serial and
# path indexes) joined.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0003_group_tree_serial_and_path_indexes"),
        ("projects", "0003_upstream_proxy_settings"),
    ]

    operations: list = []
