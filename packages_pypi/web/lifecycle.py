"""Lifecycle pages: yank a version, set a name's status, and the project's package settings
(protection rules and the cleanup policy with its preview)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from packages_pypi import cleanup, lifecycle, protection, selectors
from packages_pypi.name_status import name_status_get
from packages_pypi.web.forms import CleanupPolicyForm, ProtectionRuleForm, StatusForm, YankForm
from projects.access import Ability, access_project, can
from projects.principals import Principal
from projects.web.pages import ui_page
from registry.http.exceptions import RegistryError


@require_POST
@ui_page(sign_in_required=True)
def package_yank(request: HttpRequest, principal: Principal, full_path: str, package_id: int,
                 ) -> HttpResponse:
    """Yank a version with a reason, or (`undo`) unyank it (maintainers)."""
    project = access_project(principal, full_path, Ability.YANK_PACKAGE)
    package = selectors.package_with_stats_get(project, package_id)
    if package is None:
        raise Http404
    if request.POST.get("undo"):
        lifecycle.package_unyank(package=package, actor=principal)
        messages.success(request, f"{package.name} {package.version} is no longer yanked.")
    else:
        form = YankForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        lifecycle.package_yank(package=package, reason=reason, actor=principal)
        messages.success(request, f"Yanked {package.name} {package.version}.")
    return redirect(f"/{project.full_path}/-/packages/{package.pk}")


@require_POST
@ui_page(sign_in_required=True)
def package_status(request: HttpRequest, principal: Principal, full_path: str, package_id: int,
                   ) -> HttpResponse:
    """Set the PEP 792 status of the version's name (maintainers; quarantine: admins)."""
    project = access_project(principal, full_path, Ability.ADMIN_PACKAGE)
    package = selectors.package_with_stats_get(project, package_id)
    if package is None:
        raise Http404
    form = StatusForm(request.POST,
                      may_quarantine=can(principal, Ability.QUARANTINE_PACKAGE, project))
    back = redirect(f"/{project.full_path}/-/packages/{package.pk}")
    if not form.is_valid():
        messages.error(request, "Pick a status you may set.")
        return back
    old = name_status_get(project, package.normalized_name).status
    try:
        lifecycle.access_name_status_change(principal, project, old=old,
                                            new=form.cleaned_data["status"])
    except RegistryError:
        messages.error(request, "Only an administrator can lift a quarantine.")
        return back
    lifecycle.package_name_status_set(
        project=project, normalized_name=package.normalized_name,
        status=form.cleaned_data["status"], reason=form.cleaned_data["reason"],
        user=principal.user, actor=principal,
    )
    messages.success(request, f"{package.normalized_name} is now {form.cleaned_data['status']}.")
    return back


@require_http_methods(["GET", "HEAD", "POST"])
@ui_page(sign_in_required=True)
def package_settings(request: HttpRequest, principal: Principal, full_path: str
                     ) -> HttpResponse:
    """`/<group>/<project>/-/settings/packages`: protection rules and the cleanup policy."""
    project = access_project(principal, full_path, Ability.ADMIN_PACKAGE)
    policy = cleanup.cleanup_policy_get(project)
    rule_form = ProtectionRuleForm(prefix="rule")
    policy_form = CleanupPolicyForm(prefix="cleanup", initial={
        "enabled": policy.enabled, "keep_n_versions": policy.keep_n_versions,
        "older_than_days": policy.older_than_days,
    })
    here = f"/{project.full_path}/-/settings/packages"
    if request.method == "POST" and request.POST.get("form") == "rule":
        rule_form = ProtectionRuleForm(request.POST, prefix="rule")
        if rule_form.is_valid():
            try:
                protection.protection_rule_create(
                    project=project, package_type="pypi",
                    package_name_pattern=rule_form.cleaned_data["package_name_pattern"],
                    **rule_form.levels(), actor=principal,
                )
                messages.success(request, "Added the protection rule.")
                return redirect(here)
            except protection.RuleInvalid as error:
                rule_form.add_error(None, "; ".join(error.errors))
    elif request.method == "POST" and request.POST.get("form") == "cleanup":
        policy_form = CleanupPolicyForm(request.POST, prefix="cleanup")
        if policy_form.is_valid():
            cleanup.cleanup_policy_update(project=project, actor=principal,
                                          **policy_form.cleaned_data)
            messages.success(request, "Saved the cleanup policy.")
            return redirect(here)
    return render(request, "settings/packages.html", {
        "project": project, "can_manage_tokens": can(principal, Ability.ADMIN_PROJECT, project),
        "can_manage_packages": True,
        "rules": [
            {"rule": rule,
             "push": protection.LEVEL_NAMES.get(rule.minimum_access_level_for_push or 0),
             "delete": protection.LEVEL_NAMES.get(rule.minimum_access_level_for_delete or 0)}
            for rule in protection.rules_list(project)
        ],
        "rule_form": rule_form, "policy_form": policy_form, "policy": policy,
        "preview": cleanup.cleanup_plan(policy),
    })


@require_POST
@ui_page(sign_in_required=True)
def protection_rule_delete(request: HttpRequest, principal: Principal, full_path: str,
                           rule_id: int) -> HttpResponse:
    """Remove a protection rule (maintainers)."""
    project = access_project(principal, full_path, Ability.ADMIN_PACKAGE)
    rule = protection.protection_rule_get(project, rule_id)
    if rule is None:
        raise Http404
    protection.protection_rule_delete(rule=rule, actor=principal)
    messages.success(request, f"Removed the rule for {rule.package_name_pattern}.")
    return redirect(f"/{project.full_path}/-/settings/packages")
