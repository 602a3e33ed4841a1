"""Upload edge cases that only a real HTTP server shows: chunked bodies and reason phrases.

gunicorn, not Django's development server: gunicorn de-chunks the body and drops the length,
and refuses a reason phrase outside Latin-1 with its own 500 "Invalid status".
"""

import subprocess
import sys

import pytest
import requests

from tests.acceptance.servers import REPO, gunicorn_instances, instance_env
from tests.builders import build_wheel

pytestmark = pytest.mark.slow

SETUP = """
from tests.factories import make_pat, make_project, make_user
from projects.roles import AccessLevel
from projects.services import member_add
project = make_project("tools")
user = make_user("dev")
member_add(subject=project, user=user, access_level=AccessLevel.DEVELOPER)
print(project.pk, make_pat(user))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One gunicorn on a database of its own; returns (upload URL, Basic credentials)."""
    folder = tmp_path_factory.mktemp("upload-http")
    env = instance_env(f"sqlite:///{folder / 'db.sqlite3'}", {}, folder)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    setup = subprocess.run([*manage, "shell", "-c", SETUP], cwd=REPO, env=env, check=True,
                           capture_output=True, text=True)
    project_id, token = setup.stdout.split()[-2:]
    with gunicorn_instances(1, env, folder) as (instance,):
        yield f"{instance.url}/api/v4/projects/{project_id}/packages/pypi", ("dev", token)


def multipart(filename: str, data: bytes, **fields: str) -> tuple[bytes, str]:
    boundary = "xYzZY"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        .encode()
        for key, value in fields.items()
    ) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_chunked_upload_answers_411_and_the_same_with_a_length_is_stored(server):
    url, auth = server
    filename, data = build_wheel("chunky", "1.0")
    body, content_type = multipart(filename, data, name="chunky", version="1.0")

    # A generator makes requests send Transfer-Encoding: chunked, without Content-Length.
    chunked = requests.post(url, data=iter([body[:1000], body[1000:]]), auth=auth,
                            headers={"Content-Type": content_type}, timeout=30)
    sized = requests.post(url, data=body, auth=auth, headers={"Content-Type": content_type},
                          timeout=30)

    assert chunked.request.headers.get("Transfer-Encoding") == "chunked"
    assert chunked.status_code == 411, chunked.text
    assert "Content-Length" in chunked.json()["message"]
    assert sized.status_code == 201, sized.text


def test_a_non_latin_1_filename_is_a_400_with_an_ascii_reason(server):
    url, auth = server
    _, data = build_wheel("fz", "1.0")
    body, content_type = multipart("\uff46\uff5a-1.0-py3-none-any.whl", data, name="fz",
                                   version="1.0")

    response = requests.post(url, data=body, auth=auth, headers={"Content-Type": content_type},
                             timeout=30)

    assert response.status_code == 400, response.text
    assert response.reason.startswith("Bad request - Invalid filename '\\uff46\\uff5a")
    assert "only ASCII letters" in response.json()["message"]
