"""The supply-chain policy for upstream files: minimum release age (fail closed), blocklist,
allowlist mode, exemptions, per group; and the endpoint that says why a file is missing."""

import datetime

import pytest
from django.utils import timezone

from packages_pypi.upstream.config import upstream_config
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from projects.upstream_rules import InvalidRule, parse_rule
from tests.conftest import basic_auth
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db

JSON = "application/vnd.pypi.simple.v1+json"
NOW = timezone.now()
YESTERDAY = NOW - datetime.timedelta(days=1)
LAST_MONTH = NOW - datetime.timedelta(days=30)


@pytest.fixture
def group():
    return make_group("acme", visibility=Visibility.PUBLIC)


@pytest.fixture
def scope(group):
    return project_scope(make_project("tools", namespace=group, visibility=Visibility.PUBLIC))


def instance_set(**fields: object) -> None:
    ApplicationSettings.load()
    ApplicationSettings.objects.filter(pk=1).update(**fields)


def versions(scope: str, name: str) -> list[str]:
    response = Registry().simple(scope, name, accept=JSON)
    assert response.status_code == 200, response.content
    return [entry["filename"].split("-")[1] for entry in response.json()["files"]]


def release(upstream, name: str, version: str, uploaded: datetime.datetime | None) -> None:
    dist = wheel(name, version)
    upstream.add(dist.filename, dist.data, upload_time=uploaded)


def test_the_minimum_release_age_hides_yesterdays_release(upstream, scope):
    release(upstream, "aged-lib", "1.0", LAST_MONTH)
    release(upstream, "aged-lib", "1.1", YESTERDAY)
    instance_set(pypi_upstream_min_release_age_hours=48)

    assert versions(scope, "aged-lib") == ["1.0"]


def test_without_an_upload_time_nothing_is_served_while_the_age_rule_is_on(upstream, scope):
    release(upstream, "timeless-lib", "1.0", None)
    assert versions(scope, "timeless-lib") == ["1.0"]  # the rule is off by default

    instance_set(pypi_upstream_min_release_age_hours=1)

    assert versions(scope, "timeless-lib") == []


def test_an_exemption_lets_an_urgent_fix_through(upstream, scope):
    release(upstream, "urgent-fix", "2.0.1", NOW - datetime.timedelta(hours=1))
    instance_set(pypi_upstream_min_release_age_hours=72, pypi_upstream_age_exemptions="Urgent_Fix")

    assert versions(scope, "urgent-fix") == ["2.0.1"]


def test_a_file_hidden_by_the_policy_cannot_be_downloaded_either(upstream, scope):
    release(upstream, "fresh-lib", "1.0", YESTERDAY)
    (entry,) = Registry().simple(scope, "fresh-lib", accept=JSON).json()["files"]
    instance_set(pypi_upstream_min_release_age_hours=48)

    response = Registry().client.get("/api/v4/" + entry["url"].split("/api/v4/")[1])

    assert response.status_code == 404
    assert not upstream.asked_for("/files/")


@pytest.mark.parametrize(("rules", "expected"), [
    ("evil-pkg", []),
    ("evil-pkg==1.1", ["1.0", "3.0rc1"]),
    ("Evil_Pkg>=1.1", ["1.0"]),  # pre-releases count: 3.0rc1 goes too
    ("evil-p*", []),
    ("other-pkg\ntensorfl0w*", ["1.0", "1.1", "3.0rc1"]),
    ("evil-pkg>=1.1,<3", ["1.0", "3.0rc1"]),  # one rule: a specifier set is never split
])
def test_blocklist_rules_remove_matching_files(upstream, scope, rules, expected):
    for version in ("1.0", "1.1", "3.0rc1"):
        release(upstream, "evil-pkg", version, LAST_MONTH)
    instance_set(pypi_upstream_blocklist=rules)

    assert versions(scope, "evil-pkg") == expected


def test_allowlist_mode_proxies_only_the_names_on_it(upstream, scope):
    release(upstream, "allowed-lib", "1.0", LAST_MONTH)
    release(upstream, "other-lib", "1.0", LAST_MONTH)
    instance_set(pypi_upstream_allowlist_only=True, pypi_upstream_allowlist="allowed-lib")

    assert versions(scope, "allowed-lib") == ["1.0"]
    assert Registry().simple(scope, "other-lib", accept=JSON).status_code == 404
    assert upstream.asked_for("other-lib") == []


def test_a_group_overrides_single_values_and_adds_to_lists(group):
    instance_set(pypi_upstream_min_release_age_hours=24, pypi_upstream_blocklist="evil-pkg")
    group.pypi_upstream_min_release_age_hours = 0
    group.pypi_upstream_blocklist = "worse-pkg"
    group.save()
    sub = make_group("sub", parent=group, visibility=Visibility.PUBLIC)

    policy = upstream_config(sub).policy

    assert policy.min_release_age_hours == 0
    assert [rule.text for rule in policy.blocklist] == ["evil-pkg", "worse-pkg"]


@pytest.mark.parametrize("bad", ["foo @ https://example.com/x.whl", "foo; python_version<'3'",
                                 "ba d", "foo*>=1"])
def test_bad_rules_are_refused(bad):
    with pytest.raises(InvalidRule):
        parse_rule(bad)


def test_admins_are_told_why_each_upstream_file_is_missing(upstream, group):
    release(upstream, "why-lib", "1.0", LAST_MONTH)
    release(upstream, "why-lib", "1.1", YESTERDAY)
    release(upstream, "why-lib", "1.2", LAST_MONTH)
    instance_set(pypi_upstream_min_release_age_hours=48, pypi_upstream_blocklist="why-lib==1.2")
    owner, reader = make_user(), make_user()
    add_member(group, owner, AccessLevel.OWNER)
    add_member(group, reader, AccessLevel.REPORTER)
    path = f"/api/v4/{group_scope(group)}/upstream/Why_Lib"

    answer = Registry().client.get(path, HTTP_AUTHORIZATION=basic_auth("x", make_pat(owner)))
    refused = Registry().client.get(path, HTTP_AUTHORIZATION=basic_auth("x", make_pat(reader)))

    assert answer.status_code == 200
    results = {f["version"]: f["result"] for f in answer.json()["files"]}
    assert results["1.0"] == "served"
    assert results["1.1"].startswith("min_release_age")
    assert results["1.2"] == "blocklist: why-lib==1.2"
    assert refused.status_code == 403
