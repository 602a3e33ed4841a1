"""A JSON body the parser cannot follow is a 400 with GitLab's error shape, never a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories import make_pat, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"{not json"])
def test_a_body_nested_too_deep_or_broken_is_a_400(body):
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(make_user("zqx-json-root", is_admin=True)))

    response = client.generic("POST", "/api/v4/groups", body, content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in str(response.json())
