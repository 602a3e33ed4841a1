"""GitLab's access levels and visibility levels, with the order that makes them comparable."""

from django.db import models


class AccessLevel(models.IntegerChoices):
    """A member's role; GitLab's numbers, so the REST API can speak them as they are."""

    NO_ACCESS = 0, "No access"
    GUEST = 10, "Guest"
    REPORTER = 20, "Reporter"
    DEVELOPER = 30, "Developer"
    MAINTAINER = 40, "Maintainer"
    OWNER = 50, "Owner"


class Visibility(models.IntegerChoices):
    """GitLab's visibility levels: a larger number is visible to more people."""

    PRIVATE = 0, "private"
    INTERNAL = 10, "internal"
    PUBLIC = 20, "public"

    @classmethod
    def from_name(cls, name: str) -> "Visibility":
        """Parse 'private' / 'internal' / 'public' as the API sends them."""
        for member in cls:
            if member.label == name:
                return member
        raise ValueError(f"visibility does not have a valid value: {name!r}")


class FeatureAccess(models.IntegerChoices):
    """A project feature's access level (GitLab's ProjectFeature), here for the package registry."""

    DISABLED = 0, "disabled"
    PRIVATE = 10, "private"
    ENABLED = 20, "enabled"
    PUBLIC = 30, "public"
