"""Reading audit events with the real python-gitlab: `gl.audit_events`, `group.audit_events`,
`project.audit_events`, their filters and pages, and who reads what (issue 12, item 6)."""

import datetime

import gitlab
import pytest

from projects.models import User
from tests.factories import make_pat, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEVELOPER = 30


@pytest.fixture
def audited(admin_gl):
    """Through the API: a group, a project, a developer added, the project made internal."""
    group = admin_gl.groups.create({"name": "Audited", "path": "audited", "visibility": "internal"})
    project = admin_gl.projects.create({"name": "p", "namespace_id": group.id,
                                        "visibility": "private"})
    bob = make_user("bob")
    project.members.create({"user_id": bob.id, "access_level": DEVELOPER})
    project.visibility = "internal"
    project.save()
    return {"group": group, "project": project, "bob": bob}


def test_an_admin_reads_filters_and_pages_the_instance_log(admin_gl, audited):
    project = audited["project"]
    events = admin_gl.audit_events.list(get_all=True, per_page=2)
    names = [event.event_name for event in events]
    assert {"member_created", "project_visibility_level_updated"} <= set(names)
    ids = [event.id for event in events]
    assert ids == sorted(ids, reverse=True)  # newest first, across pages
    changed = next(e for e in events if e.event_name == "project_visibility_level_updated")
    assert changed.entity_type == "Project"
    assert changed.entity_id == project.id
    assert changed.author_id == User.objects.get(username="root").pk
    assert changed.details["author_name"] == "root"
    assert (changed.details["from"], changed.details["to"]) == ("private", "internal")
    assert changed.details["target_details"] == "audited/p"
    assert changed.details["ip_address"] == "127.0.0.1"
    assert admin_gl.audit_events.get(changed.id).event_name == changed.event_name

    only_project = admin_gl.audit_events.list(entity_type="Project", entity_id=project.id,
                                              get_all=True)
    assert {event.entity_id for event in only_project} == {project.id}
    tomorrow = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1))
    later = tomorrow.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert admin_gl.audit_events.list(created_after=later, get_all=True) == []
    assert len(admin_gl.audit_events.list(created_before=later, get_all=True)) == len(events)


def test_group_and_project_logs(admin_gl, audited):
    group = admin_gl.groups.get(audited["group"].id)
    project = admin_gl.projects.get(audited["project"].id)
    in_project = project.audit_events.list(get_all=True)
    assert "member_created" in {event.event_name for event in in_project}
    # The group's log includes its projects' events (a deliberate difference from GitLab).
    assert {e.id for e in in_project} <= {e.id for e in group.audit_events.list(get_all=True)}
    one = project.audit_events.get(in_project[0].id)
    assert one.id == in_project[0].id
    assert group.audit_events.get(in_project[0].id).id == in_project[0].id


def test_a_developer_reads_only_their_own_actions(connect, audited, admin_gl):
    bob = audited["bob"]
    bob_gl = connect(private_token=make_pat(bob))
    project = bob_gl.projects.get(audited["project"].id)
    assert project.audit_events.list(get_all=True) == []  # every event there is someone else's
    mine = bob_gl.audit_events.list(get_all=True)
    assert mine, "the token bob was issued is an event about his own account"
    for event in mine:
        assert event.author_id == bob.pk or (event.entity_type, event.entity_id) == (
            "User", bob.pk)
    someone_elses = next(event.id for event in admin_gl.audit_events.list(get_all=True)
                         if event.event_name == "project_visibility_level_updated")
    with pytest.raises(gitlab.GitlabGetError) as error:
        bob_gl.audit_events.get(someone_elses)
    assert error.value.response_code == 404
    with pytest.raises(gitlab.GitlabGetError) as error:
        project.audit_events.get(someone_elses)
    assert error.value.response_code == 404


def test_without_credentials_the_log_is_closed(connect, audited):
    with pytest.raises(gitlab.GitlabAuthenticationError) as error:
        connect().audit_events.list()
    assert error.value.response_code == 401
