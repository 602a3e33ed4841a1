"""The audit event pages: session only, the access policy's lists, the filters."""

import pytest
from django.test import Client

from projects.audit.services import audit_event_record
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return make_project("tools", namespace=make_group("acme", visibility=Visibility.PRIVATE),
                        visibility=Visibility.PRIVATE)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_page_needs_a_session_and_ignores_tokens(project):
    user = make_user(is_admin=True)
    assert Client().get("/-/audit_events")["Location"].startswith("/users/sign_in")
    with_token = Client(HTTP_PRIVATE_TOKEN=make_pat(user))
    assert with_token.get("/-/audit_events")["Location"].startswith("/users/sign_in")


def test_a_stranger_gets_a_404_for_a_private_projects_log(project):
    assert _signed_in(make_user()).get("/acme/tools/-/audit_events").status_code == 404
    assert _signed_in(make_user()).get("/groups/acme/-/audit_events").status_code == 404


def test_a_maintainer_sees_everything_and_filters_it(project):
    maintainer, developer = make_user("maint"), make_user("dev")
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    add_member(project, developer, AccessLevel.DEVELOPER)
    audit_event_record(author=developer, entity=project, event_name="thing_done",
                       message="Did <b>a thing</b>")
    page = _signed_in(maintainer).get("/acme/tools/-/audit_events").content.decode()
    assert 'data-event-name="thing_done"' in page
    assert "Did &lt;b&gt;a thing&lt;/b&gt;" in page  # escaped
    assert 'data-event-name="member_created"' in page
    only = _signed_in(maintainer).get("/acme/tools/-/audit_events",
                                      {"event_name": "thing_done"}).content.decode()
    assert only.count("data-event-id=") == 1
    old = _signed_in(maintainer).get("/acme/tools/-/audit_events",
                                     {"created_before": "2001-01-01"}).content.decode()
    assert "Nothing matches these filters." in old
    nonsense = _signed_in(maintainer).get("/acme/tools/-/audit_events",
                                          {"created_after": "2026-02-31"})
    assert nonsense.status_code == 200


def test_a_developer_sees_only_their_own_and_the_group_owner_the_tree(project):
    developer, owner = make_user("dev"), make_user("own")
    add_member(project, developer, AccessLevel.DEVELOPER)
    add_member(project.namespace, owner, AccessLevel.OWNER)
    audit_event_record(author=owner, entity=project, event_name="owner_did", message="x")
    audit_event_record(author=developer, entity=project, event_name="dev_did", message="x")
    mine = _signed_in(developer).get("/acme/tools/-/audit_events").content.decode()
    assert "dev_did" in mine and "owner_did" not in mine
    tree = _signed_in(owner).get("/groups/acme/-/audit_events").content.decode()
    assert 'data-event-name="dev_did"' in tree and 'data-event-name="owner_did"' in tree


def test_the_page_costs_constant_queries(project, django_assert_max_num_queries):
    admin = make_user(is_admin=True)
    for index in range(60):
        audit_event_record(author=admin, entity=project, event_name=f"e{index % 5}",
                           message="m")
    client = _signed_in(admin)
    with django_assert_max_num_queries(12):
        response = client.get("/-/audit_events")
    assert response.content.decode().count("data-event-id=") == 50
