"""Personal access tokens, deploy tokens and CI jobs with their job tokens."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects.models import Group, Project

# GitLab's personal access token scopes (doc/user/profile/personal_access_tokens.md).
PERSONAL_ACCESS_TOKEN_SCOPES = (
    "api", "read_api", "read_user", "create_runner", "manage_runner", "k8s_proxy",
    "read_repository", "write_repository", "read_registry", "write_registry",
    "read_virtual_registry", "write_virtual_registry", "ai_features", "sudo", "admin_mode",
    "read_service_ping",
)
# GitLab's deploy token scopes (doc/user/project/deploy_tokens).
DEPLOY_TOKEN_SCOPES = (
    "read_repository", "read_registry", "write_registry", "read_virtual_registry",
    "write_virtual_registry", "read_package_registry", "write_package_registry",
)


class PersonalAccessToken(models.Model):
    """A user's token for the API and the package registry; only its digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_access_tokens"
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    scopes = models.JSONField(default=list)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)
    expires_at = models.DateField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def is_expired(self) -> bool:
        # GitLab: a token expires at the start of its expiry date (UTC).
        return self.expires_at is not None and self.expires_at <= timezone.now().date()

    @property
    def active(self) -> bool:
        return not self.revoked and not self.is_expired


class DeployToken(models.Model):
    """A token for machines, on one project or on a group and everything below it."""

    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="deploy_tokens"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="deploy_tokens"
    )
    name = models.CharField(max_length=255)
    username = models.CharField(max_length=255, blank=True)
    scopes = models.JSONField(default=list)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False, group__isnull=True)
                | Q(project__isnull=True, group__isnull=False),
                name="deploy_token_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def active(self) -> bool:
        return not self.revoked and not self.is_expired


class CiJob(models.Model):
    """A CI job; its token acts as the job's user, in the job's project, while it runs."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCESS = "success"
        FAILED = "failed"
        CANCELED = "canceled"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ci_jobs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "CI job"

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status}) in {self.project_id}"

    @property
    def running(self) -> bool:
        return self.status == self.Status.RUNNING


def default_expiry() -> datetime.date:
    """GitLab's default lifetime for a new personal access token: 365 days."""
    return timezone.now().date() + datetime.timedelta(days=365)


class TrustedPublisher(models.Model):
    """A CI identity (issuer plus required claims) that may publish to one project without a
    stored secret: the OIDC exchange mints it a short-lived PublishingToken (issue 13)."""

    class Provider(models.TextChoices):
        GITLAB = "gitlab", "GitLab CI"
        GITHUB = "github", "GitHub Actions"
        OIDC = "oidc", "OIDC issuer"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="trusted_publishers"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    issuer = models.CharField(max_length=255)
    # {"<claim>": "<required value>"}: provider-named fields for gitlab and github, exact
    # claims for oidc (auth_tokens.oidc.publishers says what each means).
    claims = models.JSONField(default=dict)
    # The lower-cased repository or project path, so the exchange finds a token's candidates
    # by index instead of reading every publisher of an issuer; empty for `oidc`.
    lookup_key = models.CharField(max_length=255, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["issuer", "lookup_key"], name="publisher_lookup")]

    def __str__(self) -> str:
        named = ", ".join(f"{claim}={value}" for claim, value in sorted(self.claims.items()))
        return f"{self.provider} {named}"


class PublishingToken(models.Model):
    """An upload token the OIDC exchange minted for a trusted publisher: one project, minutes.

    Only its digest is stored, like every token. The claims that minted it stay on the row, so
    the admin (and audit events) can say which pipeline published. Deleting the publisher ends
    its tokens: authentication requires `publisher`.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    publisher = models.ForeignKey(
        TrustedPublisher, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="minted_tokens",
    )
    # Kept with the claims, so the row still says who published once the publisher is gone.
    provider = models.CharField(max_length=16, choices=TrustedPublisher.Provider.choices)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=16, editable=False)
    issuer = models.CharField(max_length=255)
    # The identifying claims of the ID token (repository, workflow or pipeline, ref, ...).
    claims = models.JSONField(default=dict)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.token_prefix}… for project {self.project_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def published_by(self) -> str:
        """How pages name the publisher: "GitHub Actions octo/app (release.yml)"."""
        claims = self.claims
        if self.provider == TrustedPublisher.Provider.GITHUB:
            workflow = claims.get("job_workflow_ref", "").partition("@")[0].rpartition("/")[2]
            name, detail = f"GitHub Actions {claims.get('repository', '')}", workflow
        elif self.provider == TrustedPublisher.Provider.GITLAB:
            pipeline = claims.get("ci_config_ref_uri", "").partition("//")[2].partition("@")[0]
            name, detail = f"GitLab CI {claims.get('project_path', '')}", pipeline
        else:
            name, detail = f"OIDC {claims.get('sub', self.issuer)}", ""
        return f"{name} ({detail})" if detail else name


class UsedIdToken(models.Model):
    """The `jti` of every ID token exchanged, kept until the token expires: a token is used
    once, whichever app server it reaches (the unique constraint decides a race)."""

    issuer = models.CharField(max_length=255)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "jti"], name="used_id_token_once"),
        ]

    def __str__(self) -> str:
        return f"{self.jti} from {self.issuer}"
