"""The pages where people run the registry: new groups and projects, members, settings.

Each view follows the API view that does the same thing (projects/api/views.py, members.py):
the same access call, then the same service; only the shape differs (a form in, a page out).
A refusal from the policy on the page itself is a 404 (ui_page); a refused change the viewer
may otherwise make, such as granting a role above their own, is the API's 403 with its reason
shown on the form, and nothing is changed.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from projects import selectors, services
from projects.access import (
    Ability,
    access_group,
    access_member_change,
    access_members_of,
    access_project,
    can_manage_members,
    groups_allowing,
)
from projects.models import Group, GroupMember, Project, ProjectMember
from projects.principals import Principal
from projects.roles import AccessLevel
from projects.web.forms import (
    GroupForm,
    GroupSettingsForm,
    MemberAddForm,
    MemberRoleForm,
    NamespaceSettingsForm,
    ProjectForm,
    add_service_error,
)
from projects.web.pages import ui_page
from registry.http.exceptions import BadRequest, Conflict, Forbidden, RegistryError

FORM_METHODS = ["GET", "HEAD", "POST"]
MEMBER_KINDS = {"group": "groups", "project": "projects"}


def _page_url(subject: Project | Group) -> str:
    return f"/{subject.full_path}"


def members_url(subject: Project | Group) -> str:
    if isinstance(subject, Project):
        return f"/{subject.full_path}/-/project_members"
    return f"/groups/{subject.full_path}/-/group_members"


def settings_url(subject: Project | Group) -> str:
    if isinstance(subject, Project):
        return f"/{subject.full_path}/edit"
    return f"/groups/{subject.full_path}/-/edit"


def _parent_ref(request: HttpRequest) -> str:
    value = request.POST.get("parent_id") or request.GET.get("parent_id") or ""
    return value if value.isdigit() else ""


@require_http_methods(FORM_METHODS)
@ui_page(sign_in_required=True)
def group_new(request: HttpRequest, principal: Principal) -> HttpResponse:
    """`/groups/new`: any signed-in user creates a top-level group and becomes its Owner;
    `?parent_id=` makes a subgroup, for whoever may create subgroups there (POST /groups)."""
    parent_ref = _parent_ref(request)
    parent = access_group(principal, parent_ref, Ability.CREATE_SUBGROUP) if parent_ref else None
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                name=form.cleaned_data["name"], path=form.cleaned_data["path"], parent=parent,
                visibility=form.cleaned_data["visibility"],
                description=form.cleaned_data["description"], creator=principal.user,
            )
        except BadRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Group '{group.name}' was successfully created.")
            return redirect(_page_url(group))
    return render(request, "groups/new.html", {"form": form, "parent": parent},
                  status=400 if form.errors else 200)


@require_http_methods(FORM_METHODS)
@ui_page(sign_in_required=True)
def project_new(request: HttpRequest, principal: Principal) -> HttpResponse:
    """`/projects/new`: a project in a group where the viewer may create one (POST /projects)."""
    namespaces = groups_allowing(principal, Ability.CREATE_PROJECT)
    initial = {"namespace": request.GET.get("namespace_id")}
    form = ProjectForm(request.POST or None, initial=initial, namespaces=namespaces)
    if request.method == "POST" and form.is_valid():
        try:
            # The choices are a convenience; the policy decides, as it does for the API.
            namespace = access_group(principal, form.cleaned_data["namespace"].pk,
                                     Ability.CREATE_PROJECT)
            project = services.project_create(
                name=form.cleaned_data["name"], path=form.cleaned_data["path"],
                namespace=namespace, visibility=form.cleaned_data["visibility"],
                description=form.cleaned_data["description"],
            )
        except BadRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Project '{project.name}' was successfully created.")
            return redirect(_page_url(project))
    context = {"form": form, "has_namespaces": namespaces.exists()}
    return render(request, "projects/new.html", context, status=400 if form.errors else 200)


def _members_subject(principal: Principal, kind: str, full_path: str, *,
                     manage: bool) -> Project | Group:
    return access_members_of(principal, MEMBER_KINDS[kind], full_path, manage=manage)


def _render_members(
    request: HttpRequest, principal: Principal, subject: Project | Group, *,
    form: MemberAddForm | None = None, refusal: str = "", status: int = 200,
) -> HttpResponse:
    may_manage = can_manage_members(principal, subject)
    return render(request, "members/index.html", {
        "subject": subject,
        "kind": "project" if isinstance(subject, Project) else "group",
        "members": selectors.members_of(subject),
        "may_manage": may_manage,
        "form": form or MemberAddForm(),
        "role_form": MemberRoleForm(),
        "refusal": refusal,
        "members_url": members_url(subject),
        "settings_url": settings_url(subject),
    }, status=status)


@require_http_methods(FORM_METHODS)
@ui_page(sign_in_required=True)
def members(request: HttpRequest, principal: Principal, kind: str, full_path: str) -> HttpResponse:
    """The members of a project or group; those who manage them add one here (POST …/members)."""
    if request.method != "POST":
        subject = _members_subject(principal, kind, full_path, manage=False)
        return _render_members(request, principal, subject)
    subject = _members_subject(principal, kind, full_path, manage=True)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _render_members(request, principal, subject, form=form, status=400)
    user = selectors.user_by_username(form.cleaned_data["username"])
    if user is None:
        form.add_error("username", "User not found")
        return _render_members(request, principal, subject, form=form, status=404)
    level = form.cleaned_data["access_level"]
    try:
        access_member_change(principal, subject, old_level=None, new_level=level)
        services.member_create(subject=subject, user=user, access_level=level,
                               expires_at=form.cleaned_data["expires_at"])
    except (Forbidden, Conflict, BadRequest) as error:
        add_service_error(form, error)
        return _render_members(request, principal, subject, form=form, status=error.status_code)
    messages.success(request, f"{user.username} was added as {_role(level)}.")
    return redirect(members_url(subject))


def _role(level: int) -> str:
    return AccessLevel(level).label


def _member(subject: Project | Group, user_id: int) -> ProjectMember | GroupMember:
    member = selectors.member_of(subject, user_id)
    if member is None:
        raise Http404("Member")
    return member


def _refused(request: HttpRequest, principal: Principal, subject: Project | Group,
             error: RegistryError) -> HttpResponse:
    reason = getattr(error, "reason", "") or error.message
    return _render_members(request, principal, subject, refusal=reason[:1].upper() + reason[1:],
                           status=error.status_code)


@require_POST
@ui_page(sign_in_required=True)
def member_update(request: HttpRequest, principal: Principal, kind: str, full_path: str,
                  user_id: int) -> HttpResponse:
    """Change a member's role (PUT …/members/:user_id); the expiry date stays."""
    subject = _members_subject(principal, kind, full_path, manage=True)
    member = _member(subject, user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _render_members(request, principal, subject, refusal="Choose a role.", status=400)
    level = form.cleaned_data["access_level"]
    try:
        access_member_change(principal, subject, old_level=member.access_level, new_level=level)
        services.member_update(member=member, access_level=level, expires_at=member.expires_at)
    except (Forbidden, BadRequest) as error:
        return _refused(request, principal, subject, error)
    messages.success(request, f"{member.user.username} is now {_role(level)}.")
    return redirect(members_url(subject))


@require_POST
@ui_page(sign_in_required=True)
def member_remove(request: HttpRequest, principal: Principal, kind: str, full_path: str,
                  user_id: int) -> HttpResponse:
    """Remove a direct member (DELETE …/members/:user_id)."""
    subject = _members_subject(principal, kind, full_path, manage=True)
    member = _member(subject, user_id)
    try:
        access_member_change(principal, subject, old_level=member.access_level, new_level=None)
        services.member_remove(member=member)
    except Forbidden as error:
        return _refused(request, principal, subject, error)
    messages.success(request, f"{member.user.username} was removed.")
    return redirect(members_url(subject))


@require_http_methods(FORM_METHODS)
@ui_page(sign_in_required=True)
def group_edit(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    """`/groups/<group>/-/edit`: name, description, visibility, and the upstream proxy's
    overrides: forwarding, its mode and the supply-chain policy (owners; PUT /groups/:id).
    GitLab keeps forwarding under Settings > Packages and registries; one page here, since a
    group has no other package setting."""
    group = access_group(principal, full_path, Ability.ADMIN_GROUP)
    form = GroupSettingsForm(request.POST or None, initial=GroupSettingsForm.initial_from(group))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_update(group=group, actor=principal, **form.changes())
        except BadRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Group '{group.name}' was successfully updated.")
            return redirect(settings_url(group))
    return render(request, "groups/edit.html", {"group": group, "form": form},
                  status=400 if form.errors else 200)


@require_http_methods(FORM_METHODS)
@ui_page(sign_in_required=True)
def project_edit(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    """`/<group>/<project>/edit`: name, description and visibility (maintainers; PUT
    /projects/:id)."""
    project = access_project(principal, full_path, Ability.ADMIN_PROJECT)
    initial = {"name": project.name, "description": project.description,
               "visibility": project.visibility}
    form = NamespaceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_update(project=project, **form.cleaned_data)
        except BadRequest as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Project '{project.name}' was successfully updated.")
            return redirect(settings_url(project))
    return render(request, "projects/edit.html", {"project": project, "form": form,
                                                  "can_manage_tokens": True, "can_manage": True},
                  status=400 if form.errors else 200)
