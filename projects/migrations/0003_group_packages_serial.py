from django.db import migrations, models


class Migration(migrations.Migration):
    """The group tree serial: group index pages are cached under it (issue 14)."""

    dependencies = [
        ('projects', '0002_project_packages_serial'),
    ]

    operations = [
        migrations.AddField(
            model_name='group',
            name='packages_serial',
            field=models.BigIntegerField(default=0, editable=False),
        ),
    ]
