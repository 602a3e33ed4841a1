"""Record an audit event: one call, inside the caller's transaction.

Every write that a company needs to answer "who did this?" for calls `audit_event_record`
from its service, in the same transaction as the change, so an event exists exactly when the
change does (a rolled-back change leaves no event, and no change goes unrecorded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from projects.audit.context import caller_ip
from projects.audit.models import AuditEvent
from projects.models import Group, Project, User
from projects.principals import Principal, PrincipalKind
from registry.throttle import client_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

# GitLab's Gitlab::Audit::UnauthenticatedAuthor and DeployTokenAuthor ids.
UNAUTHENTICATED_AUTHOR_ID = -1
DEPLOY_TOKEN_AUTHOR_ID = -2
# Ours: GitLab has no trusted publishers. A minted token acts for a CI pipeline, not a user.
TRUSTED_PUBLISHER_AUTHOR_ID = -3
# GitLab's Gitlab::Audit::InstanceScope: the whole instance, id 1.
INSTANCE_ENTITY_ID = 1


@dataclass(frozen=True)
class _Author:
    id: int
    name: str
    email: str
    author_class: str
    token_type: str | None
    # What else names the author: a trusted publisher's identifying claims.
    extra: Mapping[str, Any] | None = None


def _author_of(author: Principal | User | None, fallback_name: str) -> _Author:
    if isinstance(author, User):
        author = Principal.for_user(author)
    if author is None or author.kind is PrincipalKind.ANONYMOUS:
        # No caller: a management command or the system itself, unless a name is given (the
        # username a failed sign-in tried).
        return _Author(UNAUTHENTICATED_AUTHOR_ID, fallback_name or "System",
                       "", "Gitlab::Audit::UnauthenticatedAuthor", None)
    if author.kind is PrincipalKind.DEPLOY_TOKEN:
        assert author.deploy_token is not None
        return _Author(DEPLOY_TOKEN_AUTHOR_ID, author.deploy_token.name, "",
                       "Gitlab::Audit::DeployTokenAuthor", "DeployToken")
    if author.kind is PrincipalKind.TRUSTED_PUBLISHER:
        token = author.publishing_token
        assert token is not None
        return _Author(TRUSTED_PUBLISHER_AUTHOR_ID, token.published_by, "",
                       "TrustedPublisherAuthor", "PublishingToken",
                       {"trusted_publisher_claims": dict(token.claims)})
    assert author.user is not None
    token_type = None
    if author.kind is PrincipalKind.JOB:
        token_type = "CiJobToken"
    elif author.personal_access_token is not None:
        token_type = "PersonalAccessToken"
    user = author.user
    return _Author(user.pk, user.name or user.username, user.email, "User", token_type)


def _entity_of(entity: Group | Project | User | None) -> tuple[str, int, str]:
    if isinstance(entity, Project):
        return AuditEvent.EntityType.PROJECT, entity.pk, entity.full_path
    if isinstance(entity, Group):
        return AuditEvent.EntityType.GROUP, entity.pk, entity.full_path
    if isinstance(entity, User):
        return AuditEvent.EntityType.USER, entity.pk, entity.username
    return AuditEvent.EntityType.INSTANCE, INSTANCE_ENTITY_ID, ""


def audit_event_record(
    *,
    author: Principal | User | None,
    entity: Group | Project | User | None,
    event_name: str,
    message: str,
    target: models.Model | None = None,
    target_details: str | None = None,
    details: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    author_name: str = "",
) -> AuditEvent:
    """Write one audit event in the caller's transaction and return it.

    `author` is who acted: a Principal (a token's kind is kept as `auth_token_type`), a User,
    or None for nobody signed in (`author_name` then names them, e.g. a failed sign-in's
    username). `entity` is the scope the event is filed under: a project, a group, a user, or
    None for the whole instance. `target` is the thing changed (default: the entity), and
    `target_details` how to name it (default: `str(target)`). `details` adds GitLab's other
    keys (`from`/`to`/`change`, `add`, `remove`, ...). `request` gives the caller's address
    (default: the request being served, see `context`).
    """
    who = _author_of(author, author_name)
    entity_type, entity_id, entity_path = _entity_of(entity)
    changed = target if target is not None else entity
    record: dict[str, Any] = {
        "author_name": who.name,
        "author_email": who.email,
        "author_class": who.author_class,
        "event_name": event_name,
        "custom_message": message,
        "target_id": changed.pk if changed is not None else None,
        "target_type": type(changed).__name__ if changed is not None else None,
        "target_details": target_details or (str(changed) if changed is not None else ""),
        "entity_path": entity_path,
        "ip_address": client_ip(request) if request is not None else caller_ip(),
    }
    if who.token_type is not None:
        record["auth_token_type"] = who.token_type
    record.update(who.extra or {})
    # GitLab's formatted_details turns from/to into strings.
    for key, value in (details or {}).items():
        record[key] = str(value) if key in {"from", "to"} and value is not None else value
    return AuditEvent.objects.create(
        author_id=who.id,
        entity_type=entity_type,
        entity_id=entity_id,
        event_name=event_name,
        details=record,
    )
