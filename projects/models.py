"""Users, groups with subgroups, projects, memberships and the instance settings."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from projects.roles import AccessLevel, FeatureAccess, Visibility


def path_prefixes(full_path: str) -> list[str]:
    """`a/b/c` -> [`a`, `a/b`, `a/b/c`]: a full path and every path above it."""
    parts = full_path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


PATH_REGEX = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"


class ForwardingMode(models.TextChoices):
    """What a forwarded miss gets (issue 11): GitLab's 302, or our caching proxy."""

    REDIRECT = "redirect", "redirect"
    PROXY = "proxy", "proxy"


def default_forwarding_mode() -> str:
    """New instances proxy, unless REGISTRY_PYPI_FORWARDING_MODE says otherwise."""
    mode = settings.REGISTRY_PYPI_FORWARDING_MODE
    return mode if mode in ForwardingMode.values else ForwardingMode.PROXY


class User(AbstractUser):
    """A person who signs in; `is_superuser` is GitLab's admin flag."""

    class State(models.TextChoices):
        ACTIVE = "active"
        BLOCKED = "blocked"

    name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser

    @property
    def is_blocked(self) -> bool:
        return self.state == self.State.BLOCKED or not self.is_active

    def __str__(self) -> str:
        return self.username


class Group(models.Model):
    """A namespace that holds projects and subgroups; `full_path` is `parent/child/...`."""

    name = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # Denormalised so that a subtree is one prefix query and a path lookup one index hit.
    full_path = models.CharField(max_length=1024, editable=False)
    description = models.TextField(blank=True)
    visibility = models.IntegerField(choices=Visibility.choices, default=Visibility.PRIVATE)
    # None inherits from the parent group, and at the top from the instance setting.
    pypi_package_requests_forwarding = models.BooleanField(
        null=True,
        blank=True,
        help_text="Forward PyPI misses to the upstream index. Empty: inherit from the parent.",
    )
    # The upstream proxy (issue 11); every one empty inherits from the parent, then the instance.
    pypi_package_requests_forwarding_mode = models.CharField(  # noqa: DJ001 (None inherits)
        max_length=16, choices=ForwardingMode.choices, null=True, blank=True,
        help_text="redirect (GitLab's 302) or proxy (cached). Empty: inherit from the parent.",
    )
    pypi_upstream_min_release_age_hours = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Hide upstream files younger than this (0: off). Empty: inherit.",
    )
    pypi_upstream_allowlist_only = models.BooleanField(
        null=True, blank=True, help_text="Proxy only names on an allowlist. Empty: inherit.",
    )
    # Lists add to those of the parents and of the instance: a group can only tighten them.
    pypi_upstream_blocklist = models.TextField(
        blank=True,
        help_text="Requirement-style rules, one a line (evil-pkg, foo>=3, tensorfl0w*).",
    )
    pypi_upstream_allowlist = models.TextField(blank=True, help_text="Names, one a line.")
    pypi_upstream_age_exemptions = models.TextField(
        blank=True, help_text="Names exempt from the minimum release age, one a line.",
    )
    # The tree serial: bumped in the transaction of every package write in this group or any
    # group below it (packages_pypi.services.packages_serial_bump); group pages key on it.
    packages_serial = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("full_path"), name="group_full_path_unique_ci"),
        ]
        # A subtree is `full_path LIKE 'a/b/%'` and the ancestors `full_path IN (...)`: on
        # PostgreSQL only a pattern-ops index serves the prefix (issue 14: a plan at 200,000
        # projects); SQLite makes it a plain index.
        indexes = [models.Index(fields=["full_path"], name="group_full_path_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.full_path

    @property
    def ancestor_paths(self) -> list[str]:
        """Full paths of this group and every ancestor, outermost first."""
        return path_prefixes(self.full_path)


class Project(models.Model):
    """A project in a group; it owns packages."""

    name = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    namespace = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="projects")
    full_path = models.CharField(max_length=1024, editable=False)
    description = models.TextField(blank=True)
    visibility = models.IntegerField(choices=Visibility.choices, default=Visibility.PRIVATE)
    package_registry_access_level = models.IntegerField(
        choices=FeatureAccess.choices, default=FeatureAccess.ENABLED
    )
    # Bumped in the transaction of every package write: index caches and ETags key on it, so
    # no reader is served a page older than a write that has returned.
    packages_serial = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("full_path"), name="project_full_path_unique_ci"),
        ]
        # A group's projects are `full_path LIKE 'a/b/%'` (see Group).
        indexes = [models.Index(fields=["full_path"], name="project_full_path_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.full_path

    @property
    def packages_enabled(self) -> bool:
        return self.package_registry_access_level != FeatureAccess.DISABLED


class GroupMember(models.Model):
    """A user's role in a group; it holds in every subgroup and project below."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships")
    access_level = models.IntegerField(choices=AccessLevel.choices)
    expires_at = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.get_access_level_display()})"


class ProjectMember(models.Model):
    """A user's role in one project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="project_memberships")
    access_level = models.IntegerField(choices=AccessLevel.choices)
    expires_at = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.get_access_level_display()})"


class ApplicationSettings(models.Model):
    """The instance-wide settings: one row, id 1 (GitLab's ApplicationSetting)."""

    # GitLab's default is true (AddPypiPackageRequestsForwardingToApplicationSettings).
    pypi_package_requests_forwarding = models.BooleanField(default=True)
    # The upstream proxy and its supply-chain policy (issue 11); groups may override them.
    pypi_package_requests_forwarding_mode = models.CharField(
        max_length=16, choices=ForwardingMode.choices, default=default_forwarding_mode,
    )
    pypi_upstream_offline = models.BooleanField(
        default=False, help_text="Serve upstream packages from the cache only.",
    )
    pypi_upstream_min_release_age_hours = models.PositiveIntegerField(
        default=0, help_text="Hide upstream files younger than this many hours (0: off).",
    )
    pypi_upstream_allowlist_only = models.BooleanField(
        default=False, help_text="Proxy only the names on the allowlist.",
    )
    pypi_upstream_blocklist = models.TextField(
        blank=True,
        help_text="Requirement-style rules, one a line (evil-pkg, foo>=3, tensorfl0w*).",
    )
    pypi_upstream_allowlist = models.TextField(blank=True, help_text="Names, one a line.")
    pypi_upstream_age_exemptions = models.TextField(
        blank=True, help_text="Names exempt from the minimum release age, one a line.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "application settings"
        verbose_name_plural = "application settings"

    def __str__(self) -> str:
        return "Application settings"

    @classmethod
    def load(cls) -> "ApplicationSettings":
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings
