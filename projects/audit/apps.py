"""App config for audit events; connects the sign-in receivers."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "projects.audit"
    label = "audit"
    verbose_name = "Audit events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from projects.audit import sign_ins

        sign_ins.connect()
