"""Sign-in with a username and password, for people whose account may sign in at all."""

from typing import Any

from django.contrib.auth.backends import ModelBackend


class RegistryModelBackend(ModelBackend):
    """Django's password backend, refusing blocked accounts as well as inactive ones.

    The access policy already refuses a blocked user everything; refusing the sign-in too
    means no session is made for them (GitLab: "Your account has been blocked").
    """

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_blocked", False)
