from django.db import migrations, models


class Migration(migrations.Migration):
    """The group tree serial (group pages are cached under it) and the prefix indexes of full
    paths, which subtree queries need on PostgreSQL (issue 14)."""

    dependencies = [
        ('projects', '0002_project_packages_serial'),
    ]

    operations = [
        migrations.AddField(
            model_name='group',
            name='packages_serial',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='group',
            index=models.Index(fields=['full_path'], name='group_full_path_prefix',
                               opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(fields=['full_path'], name='project_full_path_prefix',
                               opclasses=['varchar_pattern_ops']),
        ),
    ]
