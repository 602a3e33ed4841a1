"""A stand-in OIDC issuer on 127.0.0.1, as GitHub Actions' and GitLab's look to a registry:
`/.well-known/openid-configuration`, a JWKS of keys made here, and the token endpoint that
GitHub Actions points `ACTIONS_ID_TOKEN_REQUEST_URL` at (`?audience=` and a Bearer request
token). It records every request, so a test can prove what was, or was never, asked."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    @property
    def jwk(self) -> dict[str, Any]:
        codec = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        key = codec.to_jwk(self.private.public_key(), as_dict=True)
        return {**key, "kid": self.kid, "use": "sig", "alg": self.algorithm}


def rsa_key(kid: str = "rsa-1") -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str = "ec-1") -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class FakeIssuer:
    """The issuer; `published` are the keys its JWKS lists, `ci_claims` what its token
    endpoint puts in the ID tokens it hands out (beside iss, aud and the times)."""

    published: list[SigningKey] = field(default_factory=lambda: [rsa_key(), ec_key()])
    ci_claims: dict[str, Any] = field(default_factory=dict)
    request_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    requests: list[str] = field(default_factory=list)
    # Overrides for the documents: (status, body bytes) by path.
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                status, body = issuer.answer(self.path, self.headers.get("Authorization", ""))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def key(self) -> SigningKey:
        return self.published[0]

    def answer(self, path: str, authorization: str) -> tuple[int, bytes]:
        route = urlsplit(path).path
        if route in self.answers:
            return self.answers[route]
        if route == "/.well-known/openid-configuration":
            return 200, json.dumps({
                "issuer": self.url, "jwks_uri": f"{self.url}/.well-known/jwks",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }).encode()
        if route == "/.well-known/jwks":
            return 200, json.dumps({"keys": [key.jwk for key in self.published]}).encode()
        if route == "/token":
            if authorization != f"Bearer {self.request_token}":
                return 401, b'{"message": "bad request token"}'
            audience = parse_qs(urlsplit(path).query).get("audience", [""])[0]
            return 200, json.dumps({"value": self.token(aud=audience)}).encode()
        return 404, b"{}"

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.url, "aud": "registry-test", "iat": now, "nbf": now, "exp": now + 300,
            "jti": str(uuid.uuid4()), **self.ci_claims,
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, *, key: SigningKey | None = None, headers: dict[str, Any] | None = None,
              **overrides: Any) -> str:
        """An ID token signed with `key` (the first published one by default)."""
        key = key or self.key
        return jwt.encode(self.claims(**overrides), key.private, algorithm=key.algorithm,
                          headers={"kid": key.kid, **(headers or {})})

    def __enter__(self) -> FakeIssuer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def github_claims(repository: str = "octo/app", workflow: str = "release.yml",
                  ref: str = "refs/heads/main", **extra: Any) -> dict[str, Any]:
    """The claims of a GitHub Actions ID token (docs: "Understanding the OIDC token")."""
    owner = repository.split("/")[0]
    return {
        "sub": f"repo:{repository}:ref:{ref}", "repository": repository,
        "repository_owner": owner, "repository_owner_id": "1001", "repository_id": "2002",
        "workflow": "Release", "workflow_ref": f"{repository}/.github/workflows/{workflow}@{ref}",
        "job_workflow_ref": f"{repository}/.github/workflows/{workflow}@{ref}",
        "ref": ref, "sha": "a" * 40, "run_id": "4242", "run_attempt": "1",
        "event_name": "push", "actor": "octocat", "runner_environment": "github-hosted",
        **extra,
    }


def gitlab_claims(project_path: str = "acme/app", host: str = "gitlab.example.com",
                  ref: str = "main", **extra: Any) -> dict[str, Any]:
    """The claims of a GitLab CI ID token (docs: "ID token authentication")."""
    return {
        "sub": f"project_path:{project_path}:ref_type:branch:ref:{ref}",
        "project_path": project_path, "project_id": "77", "namespace_path":
        project_path.rsplit("/", 1)[0], "namespace_id": "7", "user_login": "alice",
        "pipeline_id": "900", "pipeline_source": "push", "job_id": "901", "ref": ref,
        "ref_type": "branch", "ref_path": f"refs/heads/{ref}", "ref_protected": "true",
        "ci_config_ref_uri": f"{host}/{project_path}//.gitlab-ci.yml@refs/heads/{ref}",
        "ci_config_sha": "b" * 40, "sha": "b" * 40, "runner_environment": "gitlab-hosted",
        **extra,
    }
