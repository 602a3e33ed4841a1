"""Sign-ins and failed sign-ins, from Django's auth signals (axes sends no signal of its own
for a plain failure; it listens to the same `user_login_failed`).

Receivers only translate the signal into one service call: the rule lives in the service.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest

from projects.audit.services import audit_event_record
from projects.models import User


def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_event_record(
        author=user, entity=user, event_name="user_signed_in",
        message="Signed in with standard authentication", request=request,
    )


def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:255]
    # Filed under the account that was tried when it exists, so its owner and admins see it.
    account = User.objects.filter(username=username).first() if username else None
    audit_event_record(
        author=None, author_name=username or "(no username)", entity=account,
        event_name="login_failed_with_standard_authentication",
        message="Failed to sign in with standard authentication", request=request,
    )


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="audit_user_signed_in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="audit_user_login_failed")
