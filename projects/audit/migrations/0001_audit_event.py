import django.utils.timezone
from django.db import migrations, models

# The database refuses to change an event, so not even a bug or a raw query in the app can.
# PostgreSQL refuses DELETE too; SQLite only UPDATE, because Django empties SQLite tables
# with DELETE (`manage.py flush`, the test suite), where PostgreSQL uses TRUNCATE.
_POSTGRESQL_GUARD = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
_POSTGRESQL_UNGUARD = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
_SQLITE_GUARD = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""
_SQLITE_UNGUARD = "DROP TRIGGER IF EXISTS audit_event_append_only;"


def _guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = {"postgresql": _POSTGRESQL_GUARD, "sqlite": _SQLITE_GUARD}.get(vendor)
    if sql:
        schema_editor.execute(sql)


def _unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = {"postgresql": _POSTGRESQL_UNGUARD, "sqlite": _SQLITE_UNGUARD}.get(vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('author_id', models.BigIntegerField()),
                ('entity_type', models.CharField(choices=[('User', 'User'), ('Group', 'Group'), ('Project', 'Project'), ('Gitlab::Audit::InstanceScope', 'Instance')], max_length=64)),
                ('entity_id', models.BigIntegerField()),
                ('event_name', models.CharField(max_length=128)),
                ('details', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['entity_type', 'entity_id', '-id'], name='audit_entity_idx'), models.Index(fields=['author_id', '-id'], name='audit_author_idx')],
            },
        ),
        migrations.RunPython(_guard, _unguard),
    ]
