"""Concurrent uploads: a database constraint picks exactly one winner (PostgreSQL)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from auth_tokens.services import personal_access_token_issue
from packages_pypi import services
from packages_pypi.models import Package, PackageFile
from projects.roles import Visibility
from tests.conftest import basic_auth
from tests.factories import make_project, make_user
from tests.pypi_driver import sdist, twine_form, wheel

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("races need a database that runs transactions concurrently")


@pytest.fixture
def upload(live_server):
    project = make_project("tools", visibility=Visibility.PUBLIC)
    _, secret = personal_access_token_issue(
        user=make_user("root", is_admin=True), name="t", scopes=["api"]
    )
    url = f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi"

    def post(dist, name="race-lib", version="1.0.0"):
        form = twine_form(dist, name, version)
        form.pop("content")  # sent as a real multipart file part below
        return requests.post(
            url, data=form, files={"content": (dist.filename, dist.data)},
            headers={"Authorization": basic_auth("root", secret)}, timeout=60,
        )

    return post


@pytest.fixture
def lockstep(monkeypatch):
    """Hold each upload after its duplicate check until both have passed it."""
    barrier = threading.Barrier(2, timeout=20)
    original = services.blob_save

    def save_together(**kwargs):
        barrier.wait()
        return original(**kwargs)

    monkeypatch.setattr(services, "blob_save", save_together)


def blobs() -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [Path(d) / f for d, _, files in os.walk(root) for f in files]


def test_two_uploads_of_the_same_file_have_exactly_one_winner(upload, lockstep):
    dist = wheel("race-lib")

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: upload(dist), range(2)))

    assert sorted(r.status_code for r in responses) == [201, 400]
    loser = next(r for r in responses if r.status_code == 400)
    assert "File already exists" in loser.text
    assert (Package.objects.count(), PackageFile.objects.count()) == (1, 1)
    assert len(blobs()) == 1  # the loser's blob was removed


def test_wheel_and_sdist_of_a_new_version_at_once_make_one_package(upload, lockstep):
    dists = [wheel("race-lib"), sdist("race-lib")]

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(upload, dists))

    assert [r.status_code for r in responses] == [201, 201]
    assert Package.objects.count() == 1
    assert PackageFile.objects.count() == 2
