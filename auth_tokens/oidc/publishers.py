"""What a trusted publisher requires of an ID token, per provider, and checking a token's
claims against it.

`github` and `gitlab` name their fields after pypi.org's publishers: GitHub `repository`
(owner/name, required), `workflow` (the workflow file, matched in `job_workflow_ref`) and
`environment`; GitLab `project_path` (required), `ci_config_ref_uri` and `environment`. An
`oidc` publisher lists exact claim values, every one of which must match.
"""

import re
from collections.abc import Mapping
from typing import Any

from auth_tokens.models import TrustedPublisher
from auth_tokens.oidc.issuers import GITHUB_ACTIONS_ISSUER, GITLAB_COM_ISSUER

Provider = TrustedPublisher.Provider

# The field each provider requires, and every field it knows.
REQUIRED_FIELD = {Provider.GITHUB: "repository", Provider.GITLAB: "project_path"}
FIELDS = {
    Provider.GITHUB: ("repository", "workflow", "environment"),
    Provider.GITLAB: ("project_path", "ci_config_ref_uri", "environment"),
}
DEFAULT_ISSUER = {Provider.GITHUB: GITHUB_ACTIONS_ISSUER, Provider.GITLAB: GITLAB_COM_ISSUER}
# The registered claims verification already checks: matching one of them means nothing.
RESERVED_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti"})
MAX_VALUE_LENGTH = 1000
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PROJECT_PATH = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+")
_WORKFLOW = re.compile(r"[^/@]+\.ya?ml")


class PublisherInvalid(ValueError):
    """A publisher configuration that cannot be saved; the message says what is wrong."""


def clean_claims(provider: str, claims: Mapping[str, Any]) -> dict[str, str]:
    """The publisher's claims, checked for `provider`; raises PublisherInvalid."""
    cleaned: dict[str, str] = {}
    for name, value in claims.items():
        if not name.strip():
            raise PublisherInvalid("a claim needs a name")
        if not isinstance(value, str) or not value.strip():
            raise PublisherInvalid(f"claim {name!r} must be a non-empty string")
        if len(value) > MAX_VALUE_LENGTH or len(name) > 255:
            raise PublisherInvalid(f"claim {name!r} is too long")
        cleaned[name.strip()] = value.strip()
    if provider == Provider.OIDC:
        return _clean_oidc(cleaned)
    unknown = sorted(set(cleaned) - set(FIELDS[Provider(provider)]))
    if unknown:
        known = ", ".join(FIELDS[Provider(provider)])
        raise PublisherInvalid(f"{provider} publishers know the claims {known}, not {unknown}")
    required = REQUIRED_FIELD[Provider(provider)]
    if required not in cleaned:
        raise PublisherInvalid(f"claims.{required} is missing")
    pattern = _REPOSITORY if provider == Provider.GITHUB else _PROJECT_PATH
    if not pattern.fullmatch(cleaned[required]):
        raise PublisherInvalid(f"claims.{required} {cleaned[required]!r} is not a valid path")
    workflow = cleaned.get("workflow")
    if workflow is not None and not _WORKFLOW.fullmatch(workflow):
        raise PublisherInvalid("claims.workflow must be a workflow file name (release.yml)")
    return cleaned


def _clean_oidc(claims: dict[str, str]) -> dict[str, str]:
    if not claims:
        raise PublisherInvalid("an oidc publisher needs at least one claim to match")
    reserved = sorted(RESERVED_CLAIMS & set(claims))
    if reserved:
        raise PublisherInvalid(f"claims {reserved} are checked by verification, not matched")
    return claims


def lookup_key(provider: str, claims: Mapping[str, str]) -> str:
    """The index value the exchange looks candidates up by (TrustedPublisher.lookup_key)."""
    field = REQUIRED_FIELD.get(Provider(provider))
    return claims[field].lower() if field else ""


def token_lookup_keys(claims: Mapping[str, Any]) -> dict[str, str]:
    """{provider: lookup key} a verified token can match."""
    found = {}
    for provider, field in REQUIRED_FIELD.items():
        value = claims.get(field)
        if isinstance(value, str):
            found[provider.value] = value.lower()
    return found


def mismatch(publisher: TrustedPublisher, claims: Mapping[str, Any]) -> str | None:
    """Why `claims` do not satisfy `publisher`, or None when they do."""
    if publisher.provider == Provider.GITHUB:
        return _github_mismatch(publisher.claims, claims)
    if publisher.provider == Provider.GITLAB:
        return _gitlab_mismatch(publisher.claims, claims)
    for name, wanted in publisher.claims.items():
        if _text(claims.get(name)) != wanted:
            return f"claim {name!r} does not match"
    return None


def _github_mismatch(wanted: Mapping[str, str], claims: Mapping[str, Any]) -> str | None:
    repository = _text(claims.get("repository"))
    if repository is None or repository.lower() != wanted["repository"].lower():
        return "claim 'repository' does not match"
    if claims.get("event_name") == "pull_request_target":
        return "publishing from a workflow run by 'pull_request_target' is not supported"
    workflow = wanted.get("workflow")
    if workflow is not None:
        # job_workflow_ref: "<owner>/<repo>/.github/workflows/<file>@<ref>"; the workflow that
        # runs the job, reusable ones included, must be this file of this repository.
        path = (_text(claims.get("job_workflow_ref")) or "").partition("@")[0]
        if path.lower() != f"{wanted['repository']}/.github/workflows/{workflow}".lower():
            return "claim 'job_workflow_ref' does not match the workflow"
    environment = wanted.get("environment")
    if environment is not None and (_text(claims.get("environment")) or "").lower() != (
        environment.lower()
    ):
        return "claim 'environment' does not match"
    return None


def _gitlab_mismatch(wanted: Mapping[str, str], claims: Mapping[str, Any]) -> str | None:
    project_path = _text(claims.get("project_path"))
    if project_path is None or project_path.lower() != wanted["project_path"].lower():
        return "claim 'project_path' does not match"
    for name in ("ci_config_ref_uri", "environment"):
        if name in wanted and _text(claims.get(name)) != wanted[name]:
            return f"claim {name!r} does not match"
    return None


def _text(value: Any) -> str | None:
    """A claim as text: strings as they are, integers in decimal, anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


# The claims kept on a minted token (and shown in the admin): who published, from where.
KEPT_CLAIMS = (
    "sub", "repository", "repository_owner", "workflow", "job_workflow_ref", "workflow_ref",
    "ref", "sha", "run_id", "run_attempt", "event_name", "environment", "actor",
    "project_path", "ci_config_ref_uri", "pipeline_id", "job_id", "user_login", "jti",
)


def kept_claims(publisher: TrustedPublisher, claims: Mapping[str, Any]) -> dict[str, str]:
    """The identifying claims of an exchanged token, with the job's URL when it can be told."""
    names = [*KEPT_CLAIMS, *publisher.claims]
    kept = {
        name: text[:MAX_VALUE_LENGTH]
        for name in dict.fromkeys(names)
        if (text := _text(claims.get(name))) is not None
    }
    job_url = _job_url(publisher, kept)
    if job_url:
        kept["job_url"] = job_url
    return kept


def _job_url(publisher: TrustedPublisher, claims: Mapping[str, str]) -> str | None:
    if publisher.provider == Provider.GITLAB and "job_id" in claims and "project_path" in claims:
        return f"{publisher.issuer}/{claims['project_path']}/-/jobs/{claims['job_id']}"
    if (publisher.provider == Provider.GITHUB and publisher.issuer == GITHUB_ACTIONS_ISSUER
            and "run_id" in claims and "repository" in claims):
        return f"https://github.com/{claims['repository']}/actions/runs/{claims['run_id']}"
    return None
