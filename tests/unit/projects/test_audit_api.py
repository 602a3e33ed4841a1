"""GET /audit_events, /groups/:id/audit_events and /projects/:id/audit_events: GitLab's shape,
filters and pagination, and who reads what."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from projects.audit.services import audit_event_record
from projects.roles import AccessLevel, Visibility
from tests.factories import (
    add_member,
    make_deploy_token,
    make_group,
    make_pat,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _any_host(settings):
    settings.ALLOWED_HOSTS = ["*"]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user))
    return client


@pytest.fixture
def tree():
    """A group g with a project g/p and a subgroup g/s with a project g/s/q, and people."""
    group = make_group("g", visibility=Visibility.PRIVATE)
    sub = make_group("s", parent=group, visibility=Visibility.PRIVATE)
    project = make_project("p", namespace=group, visibility=Visibility.PRIVATE)
    inner = make_project("q", namespace=sub, visibility=Visibility.PRIVATE)
    people = {name: make_user(name) for name in ("owner", "maint", "dev", "other")}
    add_member(group, people["owner"], AccessLevel.OWNER)
    add_member(project, people["maint"], AccessLevel.MAINTAINER)
    add_member(project, people["dev"], AccessLevel.DEVELOPER)
    events = {
        "by_maint_on_p": audit_event_record(author=people["maint"], entity=project,
                                            event_name="e1", message="m1"),
        "by_dev_on_p": audit_event_record(author=people["dev"], entity=project,
                                          event_name="e2", message="m2"),
        "by_owner_on_q": audit_event_record(author=people["owner"], entity=inner,
                                            event_name="e3", message="m3"),
        "by_owner_on_s": audit_event_record(author=people["owner"], entity=sub,
                                            event_name="e4", message="m4"),
        "elsewhere": audit_event_record(author=people["other"], entity=make_project("x"),
                                        event_name="e5", message="m5"),
    }
    return {"group": group, "project": project, "people": people, "events": events}


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {event["id"] for event in response.json()}


def _tracked(response, tree) -> set[int]:
    """The listed events among the fixture's own (setting up members records events too)."""
    return _ids(response) & {event.pk for event in tree["events"].values()}


def test_an_event_has_gitlabs_keys_in_gitlabs_order(tree):
    root = client_for(make_user("root", is_admin=True))
    event = tree["events"]["by_maint_on_p"]
    body = root.get(f"/api/v4/audit_events/{event.pk}").json()
    assert list(body) == ["id", "author_id", "entity_id", "entity_type", "event_name",
                          "details", "created_at"]
    assert body["entity_type"] == "Project"
    assert body["entity_id"] == tree["project"].pk
    assert body["event_name"] == "e1"
    assert body["details"]["custom_message"] == "m1"
    assert body["details"]["author_name"] == "maint"
    assert body["details"]["target_details"] == "g/p"
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 24


def test_an_admin_reads_every_event_and_filters_by_entity(tree):
    root = client_for(make_user("root", is_admin=True))
    assert _ids(root.get("/api/v4/audit_events")) >= {e.pk for e in tree["events"].values()}
    project = tree["project"]
    only_p = root.get("/api/v4/audit_events",
                      {"entity_type": "Project", "entity_id": project.pk})
    assert _tracked(only_p, tree) == {
        tree["events"]["by_maint_on_p"].pk, tree["events"]["by_dev_on_p"].pk
    }
    assert {event["entity_id"] for event in only_p.json()} == {project.pk}


@pytest.mark.parametrize("query, error", [
    ({"entity_type": "Pipeline"}, "entity_type does not have a valid value"),
    ({"entity_id": "3"}, "entity_id requires entity_type"),
    ({"entity_type": "Project", "entity_id": "x"}, "entity_id is invalid"),
    ({"created_after": "yesterday"}, "created_after is invalid"),
    ({"created_before": "2026-13-45"}, "created_before is invalid"),
])
def test_bad_filters_are_400_in_grape_shape(query, error):
    response = client_for(make_user(is_admin=True)).get("/api/v4/audit_events", query)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_the_time_filters_are_inclusive(tree):
    root = client_for(make_user("root", is_admin=True))
    event = tree["events"]["by_dev_on_p"]
    at = event.created_at.astimezone(datetime.UTC).isoformat()
    both = root.get("/api/v4/audit_events", {"created_after": at, "created_before": at})
    assert _ids(both) == {event.pk}
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    assert _ids(root.get("/api/v4/audit_events", {"created_after": tomorrow})) == set()


def test_lists_are_newest_first_and_paged_with_gitlabs_headers(tree):
    root = client_for(make_user("root", is_admin=True))
    response = root.get("/api/v4/audit_events", {"per_page": 2})
    ids = [event["id"] for event in response.json()]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    assert response["X-Per-Page"] == "2"
    assert response["X-Next-Page"] == "2"
    assert 'rel="next"' in response["Link"]


def test_a_group_owner_reads_the_whole_tree(tree):
    owner = client_for(tree["people"]["owner"])
    expected = {tree["events"][name].pk
                for name in ("by_maint_on_p", "by_dev_on_p", "by_owner_on_q", "by_owner_on_s")}
    assert _tracked(owner.get("/api/v4/groups/g/audit_events"), tree) == expected
    one = tree["events"]["by_dev_on_p"]
    assert owner.get(f"/api/v4/groups/g/audit_events/{one.pk}").status_code == 200


def test_a_project_maintainer_reads_the_project_and_a_developer_only_their_own(tree):
    events = tree["events"]
    maint = client_for(tree["people"]["maint"])
    dev = client_for(tree["people"]["dev"])
    assert _tracked(maint.get("/api/v4/projects/g%2Fp/audit_events"), tree) == {
        events["by_maint_on_p"].pk, events["by_dev_on_p"].pk
    }
    assert _ids(dev.get("/api/v4/projects/g%2Fp/audit_events")) == {events["by_dev_on_p"].pk}
    hidden = events["by_maint_on_p"].pk
    assert dev.get(f"/api/v4/projects/g%2Fp/audit_events/{hidden}").status_code == 404


def test_a_non_owner_of_the_group_reads_only_their_own_there(tree):
    maint = client_for(tree["people"]["maint"])
    assert _ids(maint.get("/api/v4/groups/g/audit_events")) == {
        tree["events"]["by_maint_on_p"].pk
    }


def test_everyone_else_reads_only_their_own_actions(tree):
    person = tree["people"]["other"]
    other = client_for(person)
    listed = other.get("/api/v4/audit_events")
    assert _tracked(listed, tree) == {tree["events"]["elsewhere"].pk}
    # The rest is about their own account: the token the test client was issued.
    for event in listed.json():
        assert event["author_id"] == person.pk or (
            event["entity_type"], event["entity_id"]) == ("User", person.pk)
    foreign = tree["events"]["by_maint_on_p"].pk
    assert other.get(f"/api/v4/audit_events/{foreign}").status_code == 404
    # A private project they cannot see is a 404, as if it did not exist.
    assert other.get("/api/v4/projects/g%2Fp/audit_events").status_code == 404
    assert other.get("/api/v4/groups/g/audit_events").status_code == 404


def test_anonymous_callers_and_deploy_tokens_must_sign_in(tree):
    assert APIClient().get("/api/v4/audit_events").status_code == 401
    assert APIClient().get("/api/v4/projects/g%2Fp/audit_events").status_code == 401
    deploy = APIClient()
    secret = make_deploy_token(tree["project"], scopes=("read_package_registry",))
    deploy.credentials(HTTP_DEPLOY_TOKEN=secret)
    assert deploy.get("/api/v4/projects/g%2Fp/audit_events").status_code == 401


def test_the_list_costs_constant_queries(tree, django_assert_max_num_queries):
    owner = tree["people"]["owner"]
    for index in range(30):
        audit_event_record(author=owner, entity=tree["project"], event_name=f"n{index}",
                           message="m")
    client = client_for(owner)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v4/groups/g/audit_events", {"per_page": 100})
    assert {"n0", "n29", "e1", "e4"} <= {event["event_name"] for event in response.json()}
