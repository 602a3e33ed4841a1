"""Liveness and readiness endpoints."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_readiness_reports_database_and_local_storage(client):
    response = client.get("/-/readiness")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_checks_the_s3_bucket(client, s3_storage):
    assert client.get("/-/readiness").json()["checks"]["storage"] == "ok"


@pytest.mark.django_db
def test_missing_bucket_makes_the_instance_unready(client, s3_storage, s3_endpoint):
    s3_endpoint.client().delete_bucket(Bucket=s3_storage)

    response = client.get("/-/readiness")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {"database": "ok", "storage": "ClientError"}


@pytest.mark.django_db
def test_unwritable_folder_makes_the_instance_unready(client, settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "storage")},
        },
    }

    response = client.get("/-/readiness")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "NotADirectoryError"


@pytest.mark.django_db
def test_database_failure_makes_the_instance_unready(client, monkeypatch):
    from django.db import OperationalError

    def fail():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", fail)

    response = client.get("/-/readiness")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "OperationalError"


def test_health_does_not_touch_the_database(client):
    assert client.get("/-/health").json() == {"status": "ok"}
