
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('packages_pypi', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='package',
            name='downloads',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='packagefile',
            name='downloads',
            field=models.BigIntegerField(default=0, editable=False),
        ),
    ]
