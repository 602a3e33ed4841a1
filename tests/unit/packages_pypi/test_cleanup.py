"""Cleanup policies: what a plan removes and keeps, the dry run against the real run, blobs
gone after commit, the API and its preview."""

import datetime
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from packages_pypi.cleanup import cleanup_plan, cleanup_policy_update
from packages_pypi.models import Package, PackageProtectionRule, PackageTombstone
from projects.roles import AccessLevel
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.package_rows import add_file, make_package

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def project():
    return make_project("tools", namespace=make_group("acme"))


def versions(project, *numbers: str, name: str = "zqx-clean", age_days: int = 0,
             **fields) -> list[Package]:
    made = []
    for number in numbers:
        package = make_package(project, name, number, **fields)
        Package.objects.filter(pk=package.pk).update(
            created_at=NOW - datetime.timedelta(days=age_days))
        add_file(package, content=f"{name}{number}".encode())
        package.refresh_from_db()
        made.append(package)
    return made


def planned(project, **policy) -> list[str]:
    policy = cleanup_policy_update(project=project, enabled=True, **{
        "keep_n_versions": None, "older_than_days": None} | policy)
    return [p.version for p in cleanup_plan(policy, now=NOW)]


def test_keep_n_removes_the_older_versions_in_pep_440_order(project):
    versions(project, "1.0", "10.0", "2.0", "9.0")
    assert planned(project, keep_n_versions=2) == ["2.0", "1.0"]


def test_age_removes_old_versions_nobody_downloaded_lately(project):
    versions(project, "1.0", "2.0", age_days=100)
    versions(project, "3.0", age_days=100, last_downloaded_at=NOW - datetime.timedelta(days=1))
    versions(project, "4.0", age_days=5)
    versions(project, "5.0", age_days=100)
    assert planned(project, older_than_days=30) == ["2.0", "1.0"]


def test_both_rules_together_remove_only_what_both_allow(project):
    versions(project, "1.0", "2.0", age_days=100)
    versions(project, "3.0", "4.0", age_days=1)
    assert planned(project, keep_n_versions=1, older_than_days=30) == ["2.0", "1.0"]


def test_the_newest_and_the_newest_unyanked_versions_are_always_kept(project):
    versions(project, "1.0", "2.0", age_days=100)
    versions(project, "3.0", "4.0", age_days=100, yanked=True)
    assert planned(project, keep_n_versions=1) == ["3.0", "1.0"]
    assert planned(project, older_than_days=1) == ["3.0", "1.0"]


def test_a_disabled_or_empty_policy_removes_nothing(project):
    versions(project, "1.0", "2.0")
    assert planned(project) == []
    policy = cleanup_policy_update(project=project, enabled=False, keep_n_versions=1,
                                   older_than_days=None)
    assert cleanup_plan(policy) == []


@pytest.mark.parametrize(("delete_level", "removed"), [(None, ["1.0"]), (40, ["1.0"]),
                                                       (50, []), (60, [])])
def test_a_rule_protecting_deletes_from_maintainers_keeps_the_cleanup_away(
    project, delete_level, removed
):
    versions(project, "1.0", "2.0")
    PackageProtectionRule.objects.create(project=project, package_name_pattern="zqx-*",
                                         minimum_access_level_for_push=40,
                                         minimum_access_level_for_delete=delete_level)
    assert planned(project, keep_n_versions=1) == removed


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("packages_cleanup", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db(transaction=True)
def test_the_dry_run_lists_exactly_what_the_run_removes_and_no_blob_is_left():
    project = make_project("tools", namespace=make_group("acme"))
    other = make_project("other", namespace=project.namespace)
    old = versions(project, "1.0", "2.0", "3.0")
    versions(project, "1.0", "2.0", name="zqx-second")
    versions(other, "1.0", "2.0")  # no policy: untouched
    cleanup_policy_update(project=project, enabled=True, keep_n_versions=1, older_than_days=None)
    blobs = [p.files.get().file.name for p in old[:2]]

    dry = run("--dry-run")
    assert Package.objects.count() == 7
    real = run()

    assert dry == [
        "would remove acme/tools zqx-clean 2.0", "would remove acme/tools zqx-clean 1.0",
        "would remove acme/tools zqx-second 1.0", "3 version(s) would remove",
    ]
    assert real == [line.replace("would remove", "removed") for line in dry]
    assert sorted(Package.objects.values_list("project__path", "normalized_name", "version")) == [
        ("other", "zqx-clean", "1.0"), ("other", "zqx-clean", "2.0"),
        ("tools", "zqx-clean", "3.0"), ("tools", "zqx-second", "2.0"),
    ]
    assert not any(default_storage.exists(name) for name in blobs)
    out = StringIO()
    call_command("registry_check", stdout=out)  # raises CommandError when inconsistent
    assert run() == ["0 version(s) removed"]
    assert not PackageTombstone.objects.exists()  # every name still has a version


def test_project_selects_one_policy(project):
    versions(project, "1.0", "2.0")
    other = make_project("other", namespace=project.namespace)
    versions(other, "1.0", "2.0")
    for each in (project, other):
        cleanup_policy_update(project=each, enabled=True, keep_n_versions=1, older_than_days=None)
    assert run("--dry-run", "--project", "acme/other") == [
        "would remove acme/other zqx-clean 1.0", "1 version(s) would remove"]
    assert run("--dry-run", "--project", str(project.pk))[0].startswith("would remove acme/tools")


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user))
    return client


def test_the_api_sets_the_policy_and_previews_the_run(project):
    maintainer = make_user("maintainer")
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    versions(project, "1.0", "2.0", "3.0")
    url = f"/api/v4/projects/{project.pk}/packages/cleanup_policy"
    client = api(maintainer)
    assert client.get(url).json() | {"updated_at": None} == {
        "project_id": project.pk, "enabled": False, "keep_n_versions": None,
        "older_than_days": None, "updated_at": None}

    put = client.put(url, {"enabled": True, "keep_n_versions": 2}, format="json")
    preview = client.get(f"{url}/preview")

    assert put.status_code == 200
    assert put.json()["keep_n_versions"] == 2 and put.json()["updated_at"].endswith("Z")
    assert [(p["name"], p["version"]) for p in preview.json()] == [("zqx-clean", "1.0")]
    assert Package.objects.count() == 3  # a preview removes nothing
    assert client.put(url, {"enabled": True, "keep_n_versions": 0},
                      format="json").status_code == 400


def test_developers_cannot_read_or_set_the_policy(project):
    developer = make_user("developer")
    add_member(project, developer, AccessLevel.DEVELOPER)
    url = f"/api/v4/projects/{project.pk}/packages/cleanup_policy"
    assert api(developer).get(url).status_code == 403
    assert api(developer).put(url, {"enabled": True}, format="json").status_code == 403
    assert api(developer).get(f"{url}/preview").status_code == 403


def test_compose_runs_the_cleanup_daily_next_to_the_consistency_check():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[3] / "docker-compose.yml")
                             .read_text())
    job = compose["services"]["packages-cleanup"]
    assert "python manage.py packages_cleanup" in job["command"][0]
    assert "sleep 86400" in job["command"][0]
    assert job["environment"] == compose["services"]["registry-check"]["environment"]
