"""An audit event for every write on the way users make it (API, protocol, pages, admin),
naming who did it from where."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from auth_tokens.models import CiJob, DeployToken, PersonalAccessToken
from packages_pypi.models import Package
from projects.audit.models import AuditEvent
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, project_scope, sdist, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _any_host(settings):
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture
def world():
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    alice = make_user("alice", password="pw-alice-123")
    add_member(group, alice, AccessLevel.OWNER)
    api = APIClient(REMOTE_ADDR="10.0.0.7")
    secret = make_pat(alice)
    api.credentials(HTTP_PRIVATE_TOKEN=secret)
    return {"group": group, "project": project, "alice": alice, "api": api, "secret": secret}


def _last(event_name: str) -> AuditEvent:
    event = AuditEvent.objects.filter(event_name=event_name).order_by("-id").first()
    assert event is not None, f"no {event_name} event"
    return event


def _by_alice(event: AuditEvent, world) -> None:
    assert event.author_id == world["alice"].pk
    assert event.details["author_name"] == "alice"


def test_an_upload_records_the_publication_with_the_token_kind(world):
    registry = Registry(Client(REMOTE_ADDR="10.0.0.9"))
    response = registry.upload("acme%2Ftools", wheel("audited-pkg", "1.0"),
                               auth=("alice", world["secret"]))
    assert response.status_code == 201
    event = _last("package_registry_package_published")
    _by_alice(event, world)
    assert (event.entity_type, event.entity_id) == ("Project", world["project"].pk)
    assert event.details["target_details"] == "acme/tools/audited_pkg-1.0"
    assert event.details["custom_message"] == "Pypi package published"
    assert event.details["auth_token_type"] == "PersonalAccessToken"
    assert event.details["ip_address"] == "10.0.0.9"
    another = registry.upload("acme%2Ftools", sdist("audited-pkg", "1.0"),
                              auth=("alice", world["secret"]))
    assert another.status_code == 201
    added = _last("package_registry_package_file_published")
    assert added.details["file_name"].endswith(".tar.gz")


def test_deleting_through_the_api_and_the_page_is_recorded(world):
    registry = Registry()
    for version in ("1.0", "2.0"):
        registry.upload(project_scope(world["project"]).split("/")[1],
                        wheel("gone-pkg", version), auth=("alice", world["secret"]))
    first, second = Package.objects.order_by("pk")
    api = world["api"]
    assert api.delete(f"/api/v4/projects/acme%2Ftools/packages/{first.pk}").status_code == 204
    event = _last("package_registry_package_deleted")
    _by_alice(event, world)
    assert event.details["target_details"] == "acme/tools/gone_pkg-1.0"
    assert event.details["ip_address"] == "10.0.0.7"
    web = Client()
    web.force_login(world["alice"])
    file_id = second.files.get().pk
    web.post(f"/acme/tools/-/packages/{second.pk}/files/{file_id}/delete")
    assert _last("package_registry_package_file_deleted").details["package_version"] == "2.0"
    assert _last("package_registry_package_deleted").details["target_details"] == (
        "acme/tools/gone_pkg-2.0"
    )


def test_personal_access_tokens_created_rotated_and_revoked(world):
    api, alice = world["api"], world["alice"]
    root_user = make_user("root", is_admin=True)
    root = APIClient()
    root.credentials(HTTP_PRIVATE_TOKEN=make_pat(root_user))
    created = root.post(f"/api/v4/users/{alice.pk}/personal_access_tokens",
                        {"name": "ci", "scopes": ["read_api"]}, format="json")
    assert created.status_code == 201
    made = _last("personal_access_token_created")
    assert made.author_id == root_user.pk
    assert (made.entity_type, made.entity_id) == ("User", alice.pk)
    token = PersonalAccessToken.objects.filter(user=alice).order_by("pk").first()
    rotated = api.post(f"/api/v4/personal_access_tokens/{token.pk}/rotate")
    assert rotated.status_code == 200
    event = _last("personal_access_token_rotated")
    assert event.details["rotated_token_id"] == token.pk
    assert (event.entity_type, event.entity_id) == ("User", alice.pk)
    new_id = rotated.json()["id"]
    api.credentials(HTTP_PRIVATE_TOKEN=rotated.json()["token"])
    assert api.delete(f"/api/v4/personal_access_tokens/{new_id}").status_code == 204
    revoked = _last("personal_access_token_revoked")
    assert revoked.details["token_id"] == new_id
    _by_alice(revoked, world)
    assert world["secret"] not in str(AuditEvent.objects.values_list("details", flat=True))


def test_a_token_made_on_the_page_is_recorded(world):
    web = Client()
    web.force_login(world["alice"])
    web.post("/-/user_settings/personal_access_tokens",
             {"name": "laptop", "scopes": ["read_api"], "expires_at": ""})
    event = _last("personal_access_token_created")
    _by_alice(event, world)
    assert event.details["target_details"] == "laptop"


def test_deploy_tokens_and_job_tokens_are_recorded(world):
    api = world["api"]
    created = api.post("/api/v4/projects/acme%2Ftools/deploy_tokens",
                       {"name": "robot", "scopes": ["read_package_registry"]}, format="json")
    assert created.status_code == 201
    event = _last("deploy_token_created")
    _by_alice(event, world)
    assert (event.entity_type, event.entity_id) == ("Project", world["project"].pk)
    token = DeployToken.objects.get(name="robot")
    api.delete(f"/api/v4/projects/acme%2Ftools/deploy_tokens/{token.pk}")
    assert _last("deploy_token_revoked").details["target_details"] == "robot"
    job = api.post("/api/v4/projects/acme%2Ftools/jobs", {"username": "alice"}, format="json")
    assert job.status_code == 201
    _by_alice(_last("ci_job_token_created"), world)
    api.post(f"/api/v4/jobs/{CiJob.objects.get().pk}/finish", {"status": "success"},
             format="json")
    _by_alice(_last("ci_job_token_revoked"), world)


def test_members_added_changed_and_removed(world):
    api = world["api"]
    bob = make_user("bob")
    api.post("/api/v4/projects/acme%2Ftools/members",
             {"user_id": bob.pk, "access_level": 30}, format="json")
    added = _last("member_created")
    _by_alice(added, world)
    assert added.details["target_details"] == "bob"
    assert added.details["as"] == "Developer"
    api.put(f"/api/v4/projects/acme%2Ftools/members/{bob.pk}", {"access_level": 40},
            format="json")
    changed = _last("member_updated")
    assert (changed.details["from"], changed.details["to"]) == ("Developer", "Maintainer")
    api.delete(f"/api/v4/projects/acme%2Ftools/members/{bob.pk}")
    assert _last("member_destroyed").details["remove"] == "user_access"


def test_visibility_and_forwarding_changes_are_recorded(world):
    api = world["api"]
    api.put("/api/v4/groups/acme", {"visibility": "internal"}, format="json")
    group_event = _last("group_visibility_level_updated")
    assert (group_event.details["from"], group_event.details["to"]) == ("private", "internal")
    api.put("/api/v4/projects/acme%2Ftools", {"visibility": "internal"}, format="json")
    assert _last("project_visibility_level_updated").entity_id == world["project"].pk
    before = AuditEvent.objects.count()
    api.put("/api/v4/projects/acme%2Ftools", {"visibility": "internal"}, format="json")
    assert AuditEvent.objects.count() == before  # nothing changed, nothing recorded
    root = APIClient()
    root.credentials(HTTP_PRIVATE_TOKEN=make_pat(make_user("root", is_admin=True)))
    root.put("/api/v4/application/settings", {"pypi_package_requests_forwarding": False},
             format="json")
    setting = _last("application_setting_pypi_package_requests_forwarding_updated")
    assert (setting.details["from"], setting.details["to"]) == ("True", "False")
    assert setting.entity_type == "Gitlab::Audit::InstanceScope"


def test_changes_to_the_upstream_policy_are_recorded(world):
    root = APIClient()
    root.credentials(HTTP_PRIVATE_TOKEN=make_pat(make_user("root", is_admin=True)))
    root.put("/api/v4/application/settings", {
        "pypi_package_requests_forwarding_mode": "redirect",
        "pypi_upstream_min_release_age_hours": 72, "pypi_upstream_offline": True,
    }, format="json")
    world["api"].put("/api/v4/groups/acme", {"pypi_upstream_blocklist": ["evil-pkg"]},
                     format="json")

    mode = _last("application_setting_pypi_package_requests_forwarding_mode_updated")
    age = _last("application_setting_pypi_upstream_min_release_age_hours_updated")
    _last("application_setting_pypi_upstream_offline_updated")
    blocklist = _last("group_pypi_upstream_blocklist_updated")
    assert (mode.details["from"], mode.details["to"]) == ("proxy", "redirect")
    assert (age.details["from"], age.details["to"]) == ("0", "72")
    assert blocklist.entity_id == world["group"].pk and blocklist.details["to"] == "evil-pkg"
    _by_alice(blocklist, world)


def test_admin_changes_to_forwarding_are_recorded(world):
    root = make_user("root", is_admin=True)
    admin = Client()
    admin.force_login(root)
    group = world["group"]
    response = admin.post(f"/admin/projects/group/{group.pk}/change/", {
        "name": group.name, "description": "", "visibility": Visibility.PRIVATE,
        "pypi_package_requests_forwarding": "false",
        "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content[:2000]
    event = _last("group_pypi_package_requests_forwarding_updated")
    assert event.author_id == root.pk
    assert (event.details["from"], event.details["to"]) == ("inherit", "False")
    ApplicationSettings.load()


def test_sign_ins_and_failed_sign_ins_are_recorded(world):
    web = Client(REMOTE_ADDR="10.0.0.5")
    web.post("/users/sign_in", {"username": "alice", "password": "wrong"})
    failed = _last("login_failed_with_standard_authentication")
    assert failed.author_id == -1
    assert failed.details["author_name"] == "alice"
    assert (failed.entity_type, failed.entity_id) == ("User", world["alice"].pk)
    assert failed.details["ip_address"] == "10.0.0.5"
    web.post("/users/sign_in", {"username": "alice", "password": "pw-alice-123"})
    signed_in = _last("user_signed_in")
    _by_alice(signed_in, world)
    assert signed_in.details["ip_address"] == "10.0.0.5"


def test_member_rows_an_admin_edits_in_the_admin_are_recorded(world):
    root = make_user("root", is_admin=True)
    admin = Client()
    admin.force_login(root)
    group, alice, bob = world["group"], world["alice"], make_user("bob")
    owner_row = group.members.get(user=alice)
    form = {
        "name": group.name, "description": "", "visibility": Visibility.PRIVATE,
        "pypi_package_requests_forwarding": "unknown",
        "members-TOTAL_FORMS": "2", "members-INITIAL_FORMS": "1",
        "members-0-id": owner_row.pk, "members-0-group": group.pk, "members-0-user": alice.pk,
        "members-0-access_level": AccessLevel.OWNER, "members-0-expires_at": "",
        "members-1-group": group.pk, "members-1-user": bob.pk,
        "members-1-access_level": AccessLevel.OWNER, "members-1-expires_at": "",
    }
    response = admin.post(f"/admin/projects/group/{group.pk}/change/", form)
    assert response.status_code == 302, response.content[:3000]
    added = _last("member_created")
    assert (added.author_id, added.details["target_details"], added.details["as"]) == (
        root.pk, "bob", "Owner")
    bob_row = group.members.get(user=bob)
    form |= {"members-TOTAL_FORMS": "2", "members-INITIAL_FORMS": "2",
             "members-1-id": bob_row.pk, "members-1-access_level": AccessLevel.DEVELOPER}
    admin.post(f"/admin/projects/group/{group.pk}/change/", form)
    changed = _last("member_updated")
    assert (changed.details["from"], changed.details["to"]) == ("Owner", "Developer")
    form |= {"members-1-DELETE": "on"}
    admin.post(f"/admin/projects/group/{group.pk}/change/", form)
    assert _last("member_destroyed").details["target_details"] == "bob"
    assert not group.members.filter(user=bob).exists()
