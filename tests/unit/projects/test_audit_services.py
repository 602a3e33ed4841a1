"""audit_event_record: GitLab's shape, the caller's transaction, and no way to change a row."""

import pytest
from django.contrib import admin
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction
from django.test import RequestFactory

from auth_tokens.models import DeployToken, PersonalAccessToken
from projects.audit.admin import AuditEventAdmin
from projects.audit.models import AuditEvent, AuditEventImmutable
from projects.audit.services import audit_event_record
from projects.principals import Principal
from tests.factories import make_deploy_token, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db


def test_an_event_carries_gitlabs_details():
    alice = make_user("alice", name="Alice A")
    project = make_project("tools")
    request = RequestFactory().post("/", REMOTE_ADDR="10.1.2.3")
    event = audit_event_record(
        author=alice, entity=project, event_name="project_visibility_level_updated",
        message="Changed visibility", details={"change": "visibility", "from": 0, "to": 20},
        request=request,
    )
    assert (event.author_id, event.entity_type, event.entity_id) == (
        alice.pk, "Project", project.pk
    )
    assert event.details == {
        "author_name": "Alice A", "author_email": "alice@example.com", "author_class": "User",
        "event_name": "project_visibility_level_updated", "custom_message": "Changed visibility",
        "target_id": project.pk, "target_type": "Project", "target_details": project.full_path,
        "entity_path": project.full_path, "ip_address": "10.1.2.3",
        "change": "visibility", "from": "0", "to": "20",
    }


def test_a_token_is_named_as_its_kind_and_a_deploy_token_as_gitlabs_deploy_token_author():
    alice = make_user()
    project = make_project()
    make_pat(alice)
    pat = PersonalAccessToken.objects.get(user=alice)
    by_pat = audit_event_record(
        author=Principal.for_user(alice, pat), entity=project, event_name="x", message="x"
    )
    assert by_pat.details["auth_token_type"] == "PersonalAccessToken"
    make_deploy_token(project)
    deploy = DeployToken.objects.get(project=project)
    by_deploy = audit_event_record(
        author=Principal.for_deploy_token(deploy), entity=project, event_name="x", message="x"
    )
    assert by_deploy.author_id == -2
    assert by_deploy.details["author_name"] == "deploy"
    assert by_deploy.details["auth_token_type"] == "DeployToken"
    nobody = audit_event_record(
        author=None, author_name="mallory", entity=None, event_name="x", message="x"
    )
    assert (nobody.author_id, nobody.entity_type, nobody.entity_id) == (
        -1, "Gitlab::Audit::InstanceScope", 1
    )
    assert nobody.details["author_name"] == "mallory"


def test_an_event_is_part_of_the_callers_transaction():
    alice = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_event_record(author=alice, entity=alice, event_name="x", message="x")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(event_name="x").exists()


def test_the_app_cannot_change_or_delete_an_event():
    event = audit_event_record(author=None, entity=None, event_name="x", message="x")
    event.details = {"custom_message": "nothing happened"}
    with pytest.raises(AuditEventImmutable):
        event.save()
    with pytest.raises(AuditEventImmutable):
        event.delete()
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(event_name="y")
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_to_change_an_event():
    event = audit_event_record(author=None, entity=None, event_name="x", message="x")
    errors = (IntegrityError, InternalError, OperationalError)
    with pytest.raises(errors), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET event_name = 'y' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(errors), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).event_name == "x"


def test_the_admin_only_reads_events():
    root = make_user(is_admin=True)
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = admin.site._registry[AuditEvent]
    assert isinstance(model_admin, AuditEventAdmin)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
