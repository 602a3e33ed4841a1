"""The throttle locks and unlocks, driven over HTTP as the attacker did (issue 9, finding 8).

The sign-in test keeps GitLab's ten minutes and ends them by moving the recorded attempts back
in time, so a slow machine cannot outlast the lock while it is being tested. The token test
uses a short ban (set here, in this process, which the live server shares).
"""

import datetime
import re
import time

import pytest
import requests
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.db.models import F

from projects.roles import Visibility
from tests.factories import make_group, make_pat, make_project, make_user
from tests.fakes.counting_hasher import CountingPBKDF2PasswordHasher

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
COOL_OFF = 600  # seconds: GitLab's ten minutes
BAN = 15  # seconds


@pytest.fixture
def alice(live_server):
    user = make_user("alice")
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(session: requests.Session, url: str, password: str) -> requests.Response:
    page = session.get(f"{url}/users/sign_in", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{url}/users/sign_in",
        data={"csrfmiddlewaretoken": token, "username": "alice", "password": password},
        allow_redirects=False, timeout=30,
    )


def test_a_hundred_wrong_passwords_lock_the_sign_in_until_the_cool_off_ends(
    live_server, alice, settings
):
    """With GitLab's limit of 10: the 10th failure locks, and no later attempt is even hashed."""
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=COOL_OFF)
    settings.PASSWORD_HASHERS = ["tests.fakes.counting_hasher.CountingPBKDF2PasswordHasher"]
    CountingPBKDF2PasswordHasher.verified = 0
    session = requests.Session()

    wrong = [_sign_in(session, live_server.url, f"guess{i}") for i in range(100)]
    right = _sign_in(session, live_server.url, PASSWORD)
    hashed = CountingPBKDF2PasswordHasher.verified

    assert [r.status_code for r in wrong] == [200] * 9 + [429] * 91
    assert "correct username and password" in wrong[0].text
    assert right.status_code == 429
    assert "Too many sign-in attempts" in right.text
    assert right.headers["Retry-After"] == str(COOL_OFF)
    # 101 attempts, 10 password checks: a locked attempt never pays for the hash.
    assert hashed == 10

    _end_the_cool_off()
    after = _sign_in(session, live_server.url, PASSWORD)

    assert after.status_code == 302
    assert after.headers["Location"] == "/"
    assert session.get(f"{live_server.url}/-/user_settings/personal_access_tokens",
                       allow_redirects=False, timeout=30).status_code == 200


def _end_the_cool_off() -> None:
    """Move every recorded failure back past the cool-off, as if ten minutes had passed."""
    past = datetime.timedelta(seconds=COOL_OFF + 1)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - past)
    AccessAttemptExpiration.objects.update(expires_at=F("expires_at") - past)


def test_refused_tokens_lock_the_address_and_the_ban_ends(live_server, settings):
    settings.REGISTRY_TOKEN_FAILURE_LIMIT = 3
    # Long enough that a loaded machine cannot outlast the ban while it is being tested.
    settings.REGISTRY_TOKEN_BAN_SECONDS = BAN
    user = make_user()
    valid = make_pat(user)
    project = make_project(
        namespace=make_group(visibility=Visibility.PUBLIC), visibility=Visibility.PUBLIC
    )
    index = f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi/simple"
    api = f"{live_server.url}/api/v4/user"

    def refused(i: int, url: str = api) -> requests.Response:
        return requests.get(url, headers={"PRIVATE-TOKEN": f"glpat-{i:04d}wrongwrongwrong"},
                            timeout=30)

    first = [refused(i).status_code for i in range(2)]
    locking = refused(2)
    locked_at = time.monotonic()
    on_the_index = refused(3, index)
    valid_meanwhile = requests.get(api, headers={"PRIVATE-TOKEN": valid}, timeout=30)

    assert first == [401, 401]
    assert locking.status_code == 429
    assert locking.headers["Retry-After"] == str(BAN)
    assert locking.json() == {"message": "429 Too Many Requests - Retry later"}
    # The PyPI protocol answers the same way (pip and uv wait on 429).
    assert on_the_index.status_code == 429
    assert on_the_index.json() == {"message": "429 Too Many Requests - Retry later"}
    assert 1 <= int(on_the_index.headers["Retry-After"]) <= BAN
    # Documented decision: success never reads the cache, so a valid token is still served.
    assert valid_meanwhile.status_code == 200

    time.sleep(max(0.0, BAN + 0.5 - (time.monotonic() - locked_at)))

    assert refused(10).status_code == 401
