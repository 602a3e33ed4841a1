"""The project's Settings > Trusted publishers page (maintainers): list, add and remove the CI
identities that may publish without a stored secret (issue 13)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auth_tokens import selectors, services
from auth_tokens.models import TrustedPublisher
from auth_tokens.oidc.issuers import allowed_issuers
from projects.access import Ability, access_project
from projects.models import Project
from projects.principals import Principal
from projects.web.pages import ui_page
from registry.http.exceptions import BadRequest

Provider = TrustedPublisher.Provider
PROVIDER_CHOICES = [
    (Provider.GITHUB.value, "GitHub Actions"),
    (Provider.GITLAB.value, "GitLab CI"),
    (Provider.OIDC.value, "Any OIDC issuer (Forgejo, Gitea, Buildkite…)"),
]
# The form's generic fields, named for each provider.
NAME_CLAIM = {Provider.GITHUB: "repository", Provider.GITLAB: "project_path"}
PIPELINE_CLAIM = {Provider.GITHUB: "workflow", Provider.GITLAB: "ci_config_ref_uri"}


class TrustedPublisherForm(forms.Form):
    provider = forms.ChoiceField(choices=PROVIDER_CHOICES, widget=forms.RadioSelect,
                                 initial=Provider.GITHUB.value)
    issuer = forms.CharField(
        required=False, max_length=255,
        help_text="Leave empty for GitHub's or gitlab.com; a self-hosted GitLab or any OIDC "
                  "issuer by its URL.",
    )
    name = forms.CharField(
        label="Repository or project", required=False, max_length=255,
        help_text="GitHub: owner/name. GitLab: namespace/project.",
    )
    pipeline = forms.CharField(
        label="Workflow or pipeline", required=False, max_length=1000,
        help_text="GitHub: the workflow file (release.yml). GitLab: ci_config_ref_uri "
                  "(gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main).",
    )
    environment = forms.CharField(required=False, max_length=255)
    claims = forms.CharField(
        label="Claims to match", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Any OIDC issuer: one claim=value per line; every one must match exactly.",
    )

    def publisher_claims(self) -> dict[str, object]:
        """The claims the chosen provider stores, from the fields that apply to it."""
        data = self.cleaned_data
        provider = Provider(data["provider"])
        if provider == Provider.OIDC:
            return _claim_lines(data["claims"])
        named = {
            NAME_CLAIM[provider]: data["name"], PIPELINE_CLAIM[provider]: data["pipeline"],
            "environment": data["environment"],
        }
        return {claim: value for claim, value in named.items() if value}


def _claim_lines(text: str) -> dict[str, object]:
    claims: dict[str, object] = {}
    for line in text.splitlines():
        if line.strip():
            name, sep, value = line.partition("=")
            if not sep:
                raise BadRequest(f"{line.strip()!r} is not claim=value")
            claims[name.strip()] = value.strip()
    return claims


def _settings_url(project: Project) -> str:
    return f"/{project.full_path}/-/settings/trusted_publishers"


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def trusted_publishers(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    project = access_project(principal, full_path, Ability.ADMIN_PROJECT)
    form = TrustedPublisherForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.trusted_publisher_create(
                project=project, provider=form.cleaned_data["provider"],
                issuer=form.cleaned_data["issuer"] or None, claims=form.publisher_claims(),
                creator=principal.user,
            )
        except BadRequest as error:
            form.add_error(None, error.message.removeprefix("400 Bad request - "))
        else:
            messages.success(request, "Added the trusted publisher.")
            return redirect(_settings_url(project))
    return render(request, "settings/trusted_publishers.html", {
        "project": project,
        "form": form,
        "publishers": selectors.trusted_publishers_of(project),
        "issuers": allowed_issuers(),
        "settings_url": _settings_url(project),
        "upload_url": request.build_absolute_uri(
            f"/api/v4/projects/{project.pk}/packages/pypi"
        ),
    })


@require_POST
@ui_page(sign_in_required=True)
def trusted_publisher_delete(
    request: HttpRequest, principal: Principal, full_path: str, publisher_id: int
) -> HttpResponse:
    project = access_project(principal, full_path, Ability.ADMIN_PROJECT)
    publisher = get_object_or_404(selectors.trusted_publishers_of(project), pk=publisher_id)
    services.trusted_publisher_delete(publisher=publisher, actor=principal)
    messages.success(request, "Removed the trusted publisher; the tokens it minted stop working.")
    return redirect(_settings_url(project))
