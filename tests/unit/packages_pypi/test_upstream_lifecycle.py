"""Following the upstream (takedowns, yanks, quarantine) and keeping the cache in bounds
(the sweep, purges, the size bound, the admin, registry_check)."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from packages_pypi.consistency import registry_check
from packages_pypi.models import UpstreamEvent, UpstreamFile
from projects.audit.models import AuditEvent
from projects.roles import Visibility
from tests.factories import make_group, make_project
from tests.pypi_driver import Registry, project_scope, wheel

pytestmark = pytest.mark.django_db

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def scope():
    group = make_group("acme", visibility=Visibility.PUBLIC)
    return project_scope(make_project("tools", namespace=group, visibility=Visibility.PUBLIC))


def files_of(scope: str, name: str) -> list[dict]:
    response = Registry().simple(scope, name, accept=JSON)
    assert response.status_code == 200, response.content
    return response.json()["files"]


def fetch(entry: dict):
    response = Registry().client.get("/api/v4/" + entry["url"].split("/api/v4/")[1])
    if response.streaming:
        response.content_bytes = b"".join(response.streaming_content)
    return response


def cached_twice(upstream, scope, *dists):
    for dist in dists:
        upstream.add(dist.filename, dist.data)
    entries = files_of(scope, dists[0].filename.split("-")[0].replace("_", "-"))
    for entry in entries:
        assert fetch(entry).status_code == 200
    return entries


def test_a_takedown_upstream_leaves_our_page_and_is_no_longer_served(upstream, scope,
                                                                      settings):
    good, bad = wheel("takedown-lib", "1.0"), wheel("takedown-lib", "1.1")
    entries = cached_twice(upstream, scope, good, bad)
    upstream.remove(bad.filename)
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0

    after = files_of(scope, "takedown-lib")
    response = fetch(next(e for e in entries if e["filename"] == bad.filename))

    assert [e["filename"] for e in after] == [good.filename]
    assert response.status_code == 404
    row = UpstreamFile.objects.get(file_name=bad.filename)
    assert row.taken_down_at is not None and default_storage.exists(row.file.name)
    event = UpstreamEvent.objects.get()
    assert (event.kind, event.file_name) == ("takedown", bad.filename)
    audited = AuditEvent.objects.get(event_name="pypi_upstream_takedown")
    assert audited.entity_type == AuditEvent.EntityType.INSTANCE
    assert audited.details["file_name"] == bad.filename


def test_the_sweep_deletes_takedowns_after_the_keep_days_only(upstream, scope, settings):
    old, recent = wheel("sweep-lib", "1.0"), wheel("sweep-lib", "1.1")
    cached_twice(upstream, scope, old, recent)
    now = timezone.now()
    UpstreamFile.objects.filter(file_name=old.filename).update(
        taken_down_at=now - datetime.timedelta(days=31))
    UpstreamFile.objects.filter(file_name=recent.filename).update(
        taken_down_at=now - datetime.timedelta(days=29))
    old_key = UpstreamFile.objects.get(file_name=old.filename).file.name

    call_command("pypi_cache", "sweep")

    assert list(UpstreamFile.objects.values_list("file_name", flat=True)) == [recent.filename]
    assert not default_storage.exists(old_key)


def test_an_upstream_yank_becomes_ours_on_revalidation(upstream, scope, settings):
    dist = wheel("yank-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    assert files_of(scope, "yank-lib")[0]["yanked"] is False
    upstream.files[dist.filename].yanked = "security hole"
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0

    assert files_of(scope, "yank-lib")[0]["yanked"] == "security hole"


def test_a_quarantined_project_offers_no_file(upstream, scope, settings):
    dist = wheel("haunted-lib", "1.0")
    (entry,) = cached_twice(upstream, scope, dist)
    upstream.status["haunted-lib"] = ("quarantined", "the project is haunted")
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0

    body = Registry().simple(scope, "haunted-lib", accept=JSON).json()
    html = Registry().simple(scope, "haunted-lib").content.decode()

    assert body["files"] == []
    assert body["project-status"] == {"status": "quarantined", "reason": "the project is haunted"}
    assert '<meta name="pypi:project-status" content="quarantined">' in html
    assert fetch(entry).status_code == 404
    assert UpstreamEvent.objects.filter(kind="quarantine").count() == 1


def test_purge_by_name_and_age(upstream, scope):
    cached_twice(upstream, scope, wheel("purge-a", "1.0"))
    cached_twice(upstream, scope, wheel("purge-b", "1.0"))
    UpstreamFile.objects.filter(normalized_name="purge-b").update(
        last_used_at=timezone.now() - datetime.timedelta(days=10))

    call_command("pypi_cache", "purge", "--older-than", "5")
    assert list(UpstreamFile.objects.values_list("normalized_name", flat=True)) == ["purge-a"]
    call_command("pypi_cache", "purge", "--name", "Purge_A")
    assert not UpstreamFile.objects.exists()


def test_the_size_bound_drops_the_least_recently_used(upstream, scope, settings):
    first, second = wheel("bound-a", "1.0"), wheel("bound-b", "1.0")
    cached_twice(upstream, scope, first)
    UpstreamFile.objects.update(last_used_at=timezone.now() - datetime.timedelta(hours=1))
    settings.REGISTRY_PYPI_CACHE_MAX_BYTES = len(second.data) + 10

    cached_twice(upstream, scope, second)

    cached = {row.file_name: row.cached for row in UpstreamFile.objects.all()}
    assert cached == {first.filename: False, second.filename: True}


def test_registry_check_knows_upstream_blobs(upstream, scope):
    cached_twice(upstream, scope, wheel("checked-lib", "1.0"))
    report = registry_check(repair=False, orphan_grace=datetime.timedelta(0),
                            temp_max_age=datetime.timedelta(hours=1))
    assert report.consistent
    assert report.checked_rows == report.checked_blobs == 1

    UpstreamFile.objects.update(file="")  # the row forgets its blob: an orphan now
    orphaned = registry_check(repair=False, orphan_grace=datetime.timedelta(0),
                              temp_max_age=datetime.timedelta(hours=1))
    assert orphaned.tallies["blobs without a row"].found == 1


def test_admins_see_and_purge_cached_files(upstream, scope, admin_client):
    dist = wheel("admin-lib", "1.0")
    cached_twice(upstream, scope, dist)
    row = UpstreamFile.objects.get()
    key = row.file.name

    listing = admin_client.get("/admin/packages_pypi/upstreamfile/").content.decode()
    purged = admin_client.post("/admin/packages_pypi/upstreamfile/", {
        "action": "purge", "_selected_action": [row.pk]})

    assert dist.filename in listing and "admin-lib" in listing
    assert purged.status_code == 302
    assert not UpstreamFile.objects.exists() and not default_storage.exists(key)
    assert admin_client.get("/admin/packages_pypi/upstreamevent/").status_code == 200


def test_registry_check_repairs_a_cached_file_whose_blob_is_gone(upstream, scope):
    cached_twice(upstream, scope, wheel("lost-lib", "1.0"))
    default_storage.delete(UpstreamFile.objects.get().file.name)

    found = registry_check(repair=False, orphan_grace=datetime.timedelta(0),
                           temp_max_age=datetime.timedelta(hours=1))
    repaired = registry_check(repair=True, orphan_grace=datetime.timedelta(0),
                              temp_max_age=datetime.timedelta(hours=1))

    assert found.tallies["rows without a blob"].found == 1 and not found.consistent
    assert repaired.consistent
    assert not UpstreamFile.objects.get().cached  # fetched again when next asked for
