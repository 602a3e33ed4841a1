"""The OIDC exchange over HTTP (Django's client) against a stand-in issuer on 127.0.0.1:
verification, publisher matching, the minted token, and every refusal leaving nothing stored."""

import datetime
import json

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from auth_tokens.models import PublishingToken, TrustedPublisher, UsedIdToken
from auth_tokens.services import trusted_publisher_create
from packages_pypi.models import PackageFile
from projects.audit.models import AuditEvent
from projects.roles import Visibility
from tests.fakes.oidc_issuer import FakeIssuer, ec_key, github_claims, gitlab_claims, rsa_key
from tests.pypi_driver import Registry, wheel

pytestmark = pytest.mark.django_db

AUDIENCE = "registry-test"


@pytest.fixture(scope="module")
def issuer():
    with FakeIssuer(ci_claims=github_claims()) as running:
        yield running


@pytest.fixture(autouse=True)
def _oidc_settings(settings, issuer):
    settings.REGISTRY_OIDC_ISSUERS = [issuer.url, "https://gitlab.example.com"]
    settings.REGISTRY_OIDC_AUDIENCE = AUDIENCE
    issuer.answers.clear()
    issuer.published[:] = issuer.published[:2]


@pytest.fixture
def project():
    return _project("app")


def _project(path, visibility=Visibility.PRIVATE):
    from tests.factories import make_project

    return make_project(path, visibility=visibility)


@pytest.fixture
def publisher(project, issuer):
    return trusted_publisher_create(
        project=project, provider="github", issuer=issuer.url,
        claims={"repository": "octo/app", "workflow": "release.yml"},
    )


def mint(token, client=None):
    client = client or Client()
    return client.post("/_/oidc/mint-token", json.dumps({"token": token}),
                       content_type="application/json")


def refusal(response):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] == "Token request failed"
    (error,) = body["errors"]
    return error["code"], error["description"]


def assert_nothing_stored():
    assert PublishingToken.objects.count() == 0
    assert UsedIdToken.objects.count() == 0


def test_the_audience_is_the_setting_else_the_host_name(client, settings):
    assert client.get("/_/oidc/audience").json() == {"audience": AUDIENCE}
    settings.REGISTRY_OIDC_AUDIENCE = ""
    settings.ALLOWED_HOSTS = ["registry.example.com"]
    response = client.get("/_/oidc/audience", HTTP_HOST="registry.example.com:8443")
    assert response.json() == {"audience": "registry.example.com"}


def test_a_valid_token_mints_a_15_minute_token_that_uploads_to_its_project(
    issuer, publisher, project
):
    response = mint(issuer.token())

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["token"].startswith("pypi-tp-")
    assert response["Cache-Control"] == "no-store"
    minted = PublishingToken.objects.get()
    assert body["expires"] == int(minted.expires_at.timestamp())
    lifetime = minted.expires_at - timezone.now()
    assert datetime.timedelta(minutes=14) < lifetime <= datetime.timedelta(minutes=15)
    # Only the digest is stored; the claims that minted it are kept for the admin and audits.
    assert body["token"] not in json.dumps(list(PublishingToken.objects.values()), default=str)
    assert minted.claims["repository"] == "octo/app"
    assert minted.claims["job_workflow_ref"].startswith("octo/app/.github/workflows/release.yml")
    assert minted.publisher == publisher and minted.project == project

    registry = Registry()
    uploaded = registry.upload(project.pk, wheel("tp-app"), auth=("__token__", body["token"]))
    assert uploaded.status_code == 201, uploaded.content
    assert PackageFile.objects.get().publishing_token == minted
    index = registry.simple(f"projects/{project.pk}/packages/pypi", "tp-app",
                            auth=("anything", body["token"]))
    assert index.status_code == 200


def test_the_mint_and_the_upload_are_audit_events_naming_the_pipeline(issuer, publisher, project):
    secret = mint(issuer.token()).json()["token"]
    Registry().upload(project.pk, wheel("tp-audited"), auth=("__token__", secret))

    minted, published = AuditEvent.objects.filter(
        entity_id=project.pk, event_name__in=["trusted_publishing_token_minted",
                                              "package_registry_package_published"],
    ).order_by("pk")
    assert minted.event_name == "trusted_publishing_token_minted"
    assert published.event_name == "package_registry_package_published"
    for event in (minted, published):
        assert event.author_id < 0  # not a user: a pipeline
        assert event.details["author_class"] == "TrustedPublisherAuthor"
        assert event.details["author_name"].startswith("GitHub Actions octo/app")
        assert event.details["trusted_publisher_claims"]["repository"] == "octo/app"
    assert minted.details["issuer"] == issuer.url
    assert secret not in json.dumps([minted.details, published.details])


def test_an_es256_token_is_accepted(issuer, publisher):
    assert mint(issuer.token(key=issuer.published[1])).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"repository": "octo/other"}, "invalid-publisher",
         "no publisher with matching claims was found for repository 'octo/other'"),
        ({"job_workflow_ref": "octo/app/.github/workflows/ci.yml@refs/heads/main"},
         "invalid-publisher", "does not match the workflow"),
        ({"event_name": "pull_request_target"}, "invalid-publisher", "pull_request_target"),
        ({"aud": "pypi"}, "invalid-token", "audience (aud) is not 'registry-test'"),
        ({"aud": ["registry-test", "other"]}, "invalid-token", "audience"),
        ({"exp": -1000}, "invalid-token", "expired"),
        ({"nbf": +1000}, "invalid-token", "not yet valid"),
        ({"iat": +1000}, "invalid-token", "not yet valid"),
        ({"jti": None}, "invalid-token", "no 'jti' claim"),
        ({"exp": +2 * 86400}, "invalid-token", "longer than a day"),
    ],
    ids=["repository", "workflow", "pull-request-target", "audience", "audience-list",
         "expired", "not-before", "issued-in-future", "no-jti", "too-long-lived"],
)
def test_a_token_failing_a_check_is_refused_with_that_check_and_nothing_stored(
    issuer, publisher, overrides, code, words
):
    now = int(timezone.now().timestamp())
    for claim in ("exp", "nbf", "iat"):
        if claim in overrides:
            overrides[claim] += now
    response = mint(issuer.token(**overrides))

    assert refusal(response)[0] == code
    assert words in refusal(response)[1]
    assert_nothing_stored()


def test_a_replayed_token_is_refused_and_mints_nothing_more(issuer, publisher):
    token = issuer.token()
    assert mint(token).status_code == 200

    assert refusal(mint(token)) == ("invalid-reuse-token", "invalid token: already used")
    assert PublishingToken.objects.count() == 1


def test_an_issuer_off_the_allowlist_is_refused_without_fetching_anything(issuer, publisher,
                                                                          settings):
    settings.REGISTRY_OIDC_ISSUERS = ["https://token.actions.githubusercontent.com"]
    before = len(issuer.requests)

    assert refusal(mint(issuer.token())) == ("invalid-payload", "unknown trusted publishing issuer")
    assert len(issuer.requests) == before
    assert_nothing_stored()


def _unsigned(issuer, algorithm_header):
    header = {"alg": algorithm_header, "typ": "JWT", "kid": issuer.key.kid}
    parts = [jwt.utils.base64url_encode(json.dumps(part).encode()).decode()
             for part in (header, issuer.claims())]
    return ".".join([*parts, ""])


def test_alg_none_is_refused(issuer, publisher):
    code, description = refusal(mint(_unsigned(issuer, "none")))
    assert code == "invalid-token" and "'none' is not accepted" in description
    assert_nothing_stored()


def test_an_hs256_token_signed_with_the_public_key_is_refused(issuer, publisher):
    # The classic confusion attack: the public key's PEM used as the HMAC secret. PyJWT
    # refuses to sign with it, so the token is put together by hand.
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    pem = issuer.key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = _unsigned(issuer, "HS256").rstrip(".")
    signature = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    token = f"{unsigned}.{jwt.utils.base64url_encode(signature).decode()}"

    code, description = refusal(mint(token))
    assert code == "invalid-token" and "'HS256' is not accepted" in description
    assert_nothing_stored()


def test_a_key_the_jwks_does_not_have_is_refused(issuer, publisher):
    stranger = rsa_key("not-published")
    code, description = refusal(mint(issuer.token(key=stranger)))
    assert code == "invalid-token"
    assert "'not-published' is not in the issuer's JWKS" in description
    assert_nothing_stored()


def test_a_published_kid_with_another_key_fails_the_signature(issuer, publisher):
    impostor = rsa_key(issuer.key.kid)
    code, description = refusal(mint(issuer.token(key=impostor)))
    assert (code, description) == ("invalid-token", "the token's signature does not verify")
    assert_nothing_stored()


def test_keys_are_cached_and_fetched_again_for_a_new_kid(issuer, publisher, settings):
    settings.REGISTRY_OIDC_JWKS_REFRESH_SECONDS = 60
    assert mint(issuer.token()).status_code == 200
    fetched = issuer.requests.count("/.well-known/jwks")
    assert mint(issuer.token()).status_code == 200
    assert issuer.requests.count("/.well-known/jwks") == fetched  # cached

    rotated = ec_key("rotated")
    issuer.published.append(rotated)
    assert mint(issuer.token(key=rotated)).status_code == 200
    assert issuer.requests.count("/.well-known/jwks") == fetched + 1

    # A second unknown kid within the refresh period is not fetched again.
    assert refusal(mint(issuer.token(key=ec_key("other"))))[0] == "invalid-token"
    assert issuer.requests.count("/.well-known/jwks") == fetched + 1


@pytest.mark.parametrize(
    ("path", "answer", "words"),
    [
        ("/.well-known/openid-configuration", (500, b"oops"), "answered 500"),
        ("/.well-known/openid-configuration", (200, b"<html>"), "did not answer JSON"),
        ("/.well-known/openid-configuration", (200, b"[]"), "not answer a JSON object"),
        ("/.well-known/openid-configuration",
         (200, b'{"issuer": "https://elsewhere.example", "jwks_uri": "x"}'), "another issuer"),
        ("/.well-known/jwks", (200, b" " * (300 * 1024)), "more than 262144 bytes"),
        ("/.well-known/jwks", (200, b'{"keys": "none"}'), "has no keys"),
    ],
    ids=["500", "html", "not-an-object", "other-issuer", "huge", "no-keys"],
)
def test_an_issuer_that_answers_badly_is_a_422_never_a_5xx(issuer, publisher, path, answer,
                                                            words):
    issuer.answers[path] = answer
    code, description = refusal(mint(issuer.token()))
    assert code == "invalid-token" and words in description
    assert_nothing_stored()


def test_a_jwks_uri_over_plain_http_elsewhere_is_not_fetched(issuer, publisher):
    issuer.answers["/.well-known/openid-configuration"] = (200, json.dumps(
        {"issuer": issuer.url, "jwks_uri": "http://keys.example.com/jwks"}).encode())
    _code, description = refusal(mint(issuer.token()))
    assert "must use https" in description


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"token": 5}', b'["token"]', b'{"token": "not.a.jwt"}',
     b'{"token": "abc"}', b"[" * 50_000, b'{"token": "eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln"}'],
    ids=["empty", "not-json", "number", "list", "not-a-jwt", "one-part", "nested",
         "payload-a-list"],
)
def test_a_malformed_request_is_invalid_payload(client, body):
    response = client.post("/_/oidc/mint-token", body, content_type="application/json")
    assert refusal(response)[0] == "invalid-payload"


def test_a_body_over_64_kib_is_413(client):
    body = json.dumps({"token": "x" * 70_000})
    response = client.post("/_/oidc/mint-token", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "invalid-payload"


def test_a_minted_token_uploads_nowhere_else_and_reads_only_what_anyone_can(issuer, publisher):
    secret = mint(issuer.token()).json()["token"]
    private = _project("secret")
    public = _project("open", visibility=Visibility.PUBLIC)
    registry = Registry()

    assert registry.upload(private.pk, wheel("tp-x"), auth=("__token__", secret)).status_code \
        == 404
    assert registry.upload(public.pk, wheel("tp-x"), auth=("__token__", secret)).status_code \
        == 403
    assert registry.simple(f"projects/{private.pk}/packages/pypi",
                           auth=("__token__", secret)).status_code == 404
    assert PackageFile.objects.count() == 0


def test_a_minted_token_after_its_lifetime_or_its_publisher_is_a_401(issuer, publisher, project):
    registry = Registry()
    secret = mint(issuer.token()).json()["token"]
    PublishingToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    expired = registry.upload(project.pk, wheel("tp-late"), auth=("__token__", secret))
    assert expired.status_code == 401
    assert "expired" in expired.json()["error_description"]

    fresh = mint(issuer.token()).json()["token"]
    publisher.delete()
    assert registry.upload(project.pk, wheel("tp-late"), auth=("__token__", fresh)).status_code \
        == 401
    assert PackageFile.objects.count() == 0
    assert PublishingToken.objects.count() == 2  # the rows stay, with their claims


def test_a_minted_token_does_not_open_the_rest_api(issuer, publisher, project):
    secret = mint(issuer.token()).json()["token"]
    response = Client().get(f"/api/v4/projects/{project.pk}/packages/pypi/trusted_publishers",
                            HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_gitlab_publishers_match_project_path_pipeline_file_and_environment(issuer, project):
    # A self-hosted GitLab (here the stand-in) is any allowlisted issuer.
    trusted_publisher_create(
        project=project, provider="gitlab", issuer=issuer.url,
        claims={"project_path": "Acme/App",
                "ci_config_ref_uri": "gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main",
                "environment": "production"},
    )
    claims = {**gitlab_claims(), "repository": None}

    def refused_for(**overrides):
        return refusal(mint(issuer.token(**{**claims, **overrides})))[1]

    assert "environment" in refused_for()
    assert "project_path 'acme/other'" in refused_for(project_path="acme/other",
                                                       environment="production")
    assert "ci_config_ref_uri" in refused_for(
        ci_config_ref_uri="gitlab.example.com/acme/app//x.yml@refs/heads/main",
        environment="production",
    )
    response = mint(issuer.token(**claims, environment="production"))
    assert response.status_code == 200, response.content
    minted = PublishingToken.objects.get()
    assert minted.claims["job_url"] == f"{issuer.url}/acme/app/-/jobs/901"
    assert minted.provider == "gitlab"


def test_oidc_publishers_need_every_listed_claim_exactly(issuer, project):
    trusted_publisher_create(
        project=project, provider="oidc", issuer=issuer.url,
        claims={"sub": "repo:forge/app:ref:refs/heads/main", "run_attempt": "1"},
    )
    claims = {"repository": None, "sub": "repo:forge/app:ref:refs/heads/main"}

    assert "'run_attempt'" in refusal(mint(issuer.token(**claims, run_attempt="2")))[1]
    assert mint(issuer.token(**claims, run_attempt=1)).status_code == 200


def test_the_publisher_naming_the_environment_wins_within_a_project(issuer, project, publisher):
    specific = trusted_publisher_create(
        project=project, provider="github", issuer=issuer.url,
        claims={"repository": "octo/app", "environment": "PyPI"},
    )
    assert mint(issuer.token(environment="pypi")).status_code == 200
    assert PublishingToken.objects.get().publisher == specific


def test_publishers_of_two_projects_matching_one_token_are_refused(issuer, publisher):
    trusted_publisher_create(project=_project("twin"), provider="github", issuer=issuer.url,
                             claims={"repository": "OCTO/app"})
    code, description = refusal(mint(issuer.token()))
    assert code == "invalid-publisher" and "several projects" in description
    assert_nothing_stored()


def test_no_publisher_at_all_says_so(issuer, project):
    code, description = refusal(mint(issuer.token()))
    assert code == "invalid-publisher"
    assert "no publisher with matching claims was found" in description
    assert TrustedPublisher.objects.count() == 0


def test_an_issuer_that_cannot_be_reached_or_never_answers_is_a_422(issuer, publisher, settings):
    import socket

    settings.REGISTRY_OIDC_FETCH_TIMEOUT_SECONDS = 0.5
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections into the backlog, never answers
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            closed_url = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nobody listens
        for url in (silent_url, closed_url):
            settings.REGISTRY_OIDC_ISSUERS = [url]
            code, description = refusal(mint(issuer.token(iss=url)))
            assert code == "invalid-token"
            assert "could not be fetched" in description
    assert_nothing_stored()


def test_a_redirect_from_the_issuer_is_not_followed(issuer, publisher):
    issuer.answers["/.well-known/openid-configuration"] = (302, b"")
    assert "answered 302" in refusal(mint(issuer.token()))[1]


def test_the_package_page_says_which_trusted_publisher_published_a_file(issuer, publisher,
                                                                       project, client):
    from packages_pypi.models import Package
    from projects.roles import AccessLevel
    from tests.factories import add_member, make_user

    secret = mint(issuer.token()).json()["token"]
    Registry().upload(project.pk, wheel("tp-page"), auth=("__token__", secret))
    reader = make_user("reader")
    add_member(project, reader, AccessLevel.REPORTER)
    client.force_login(reader)

    page = client.get(f"/{project.full_path}/-/packages/{Package.objects.get().pk}")

    assert page.status_code == 200
    assert "by trusted publisher GitHub Actions octo/app (release.yml)" in page.content.decode()


def test_time_claims_given_as_text_are_read_as_numbers(issuer, publisher):
    now = int(timezone.now().timestamp())
    response = mint(issuer.token(iat=str(now), nbf=str(now), exp=str(now + 300)))
    assert response.status_code == 200, response.content
    assert UsedIdToken.objects.get().expires_at.timestamp() > now + 300


def test_a_jwk_the_issuer_mangled_is_a_422(issuer, publisher):
    issuer.answers["/.well-known/jwks"] = (200, json.dumps(
        {"keys": [{"kid": issuer.key.kid, "kty": 5, "n": []}]}).encode())
    code, description = refusal(mint(issuer.token()))
    assert code == "invalid-token" and "cannot be used" in description
    assert_nothing_stored()
