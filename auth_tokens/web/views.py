"""Token pages: personal access tokens, and deploy tokens of projects and groups.

A new secret is kept in the session for exactly one page view: it is shown once on the page
the form redirects to, and never again (style.md §3).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auth_tokens import selectors, services
from auth_tokens.web.forms import DeployTokenForm, PersonalAccessTokenForm
from projects.access import Ability, access_group, access_project
from projects.models import Group, Project
from projects.principals import Principal
from projects.web.pages import group_may_manage_deploy_tokens, ui_page
from registry.http.exceptions import BadRequest, NotFound

NEW_TOKEN_KEY = "new_token"
PAT_PAGE = "/-/user_settings/personal_access_tokens"


def _remember_secret(request: HttpRequest, name: str, secret: str) -> None:
    request.session[NEW_TOKEN_KEY] = {"name": name, "secret": secret}


def _pop_secret(request: HttpRequest) -> dict[str, str] | None:
    return request.session.pop(NEW_TOKEN_KEY, None)


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def personal_access_tokens(request: HttpRequest, principal: Principal) -> HttpResponse:
    """List the viewer's tokens and create one."""
    assert principal.user is not None  # sign_in_required
    form = PersonalAccessTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, secret = services.personal_access_token_issue(
            user=principal.user, name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"], expires_at=form.cleaned_data["expires_at"],
            issuer=principal,
        )
        _remember_secret(request, token.name, secret)
        return redirect(PAT_PAGE)
    return render(request, "user_settings/personal_access_tokens.html", {
        "form": form,
        "new_token": _pop_secret(request),
        "tokens": selectors.personal_access_tokens_of(principal.user),
    })


@require_POST
@ui_page(sign_in_required=True)
def personal_access_token_revoke(
    request: HttpRequest, principal: Principal, token_id: int
) -> HttpResponse:
    """Revoke one of the viewer's own tokens; anyone else's is a 404."""
    assert principal.user is not None  # sign_in_required
    token = get_object_or_404(selectors.personal_access_tokens_of(principal.user), pk=token_id)
    services.token_revoke(token=token, actor=principal)
    messages.success(request, f"Revoked the token “{token.name}”.")
    return redirect(PAT_PAGE)


def _deploy_token_owner(principal: Principal, kind: str, full_path: str) -> Project | Group:
    """The project or group whose deploy tokens the viewer may manage (maintainer and up)."""
    if kind == "project":
        return access_project(principal, full_path, Ability.ADMIN_PROJECT)
    group = access_group(principal, full_path, Ability.READ_GROUP)
    if not group_may_manage_deploy_tokens(principal, group):
        raise NotFound("Group")
    return group


def _settings_url(owner: Project | Group) -> str:
    if isinstance(owner, Project):
        return f"/{owner.full_path}/-/settings/repository"
    return f"/groups/{owner.full_path}/-/settings/repository"


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def deploy_tokens(
    request: HttpRequest, principal: Principal, kind: str, full_path: str
) -> HttpResponse:
    """GitLab's Settings > Repository > Deploy tokens, for a project or a group."""
    owner = _deploy_token_owner(principal, kind, full_path)
    form = DeployTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.deploy_token_issue(
                owner=owner, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                username=form.cleaned_data["username"], expires_at=form.expiry_datetime(),
                actor=principal,
            )
        except BadRequest as error:
            form.add_error(None, error.message)
        else:
            _remember_secret(request, f"{token.name} (username {token.username})", secret)
            return redirect(_settings_url(owner))
    return render(request, "settings/repository.html", {
        "owner": owner,
        "kind": kind,
        "settings_url": _settings_url(owner),
        "form": form,
        "new_token": _pop_secret(request),
        "tokens": selectors.deploy_tokens_of(owner),
    })


@require_POST
@ui_page(sign_in_required=True)
def deploy_token_revoke(
    request: HttpRequest, principal: Principal, kind: str, full_path: str, token_id: int
) -> HttpResponse:
    """Revoke a deploy token of the project or group."""
    owner = _deploy_token_owner(principal, kind, full_path)
    token = get_object_or_404(selectors.deploy_tokens_of(owner), pk=token_id)
    services.token_revoke(token=token, actor=principal)
    messages.success(request, f"Revoked the deploy token “{token.name}”.")
    return redirect(_settings_url(owner))
