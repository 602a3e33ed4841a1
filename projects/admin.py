"""Django admin for users, groups, projects, memberships and the instance settings."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from projects.models import ApplicationSettings, Group, GroupMember, Project, ProjectMember, User
from projects.services import AUDITED_SETTINGS, member_change_record, setting_change_record


def _record_setting_changes(request, obj, form) -> None:  # noqa: ANN001
    """Audit the visibility and forwarding changes an admin makes here (same transaction)."""
    for name in set(form.changed_data) & set(AUDITED_SETTINGS):
        setting_change_record(actor=request.user, subject=obj, name=name,
                              old=form.initial.get(name), new=form.cleaned_data.get(name))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "name", "email", "is_superuser", "state", "last_login")
    list_filter = ("is_superuser", "state")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Registry", {"fields": ("name", "state")}),
    )


class AuditedMembersMixin:
    """Audit the member rows an admin adds, changes or deletes in the inline (same transaction)."""

    def save_formset(self, request, form, formset, change) -> None:  # noqa: ANN001
        model = formset.model
        if model not in (GroupMember, ProjectMember):
            super().save_formset(request, form, formset, change)  # type: ignore[misc]
            return
        old_levels = {f.instance.pk: f.initial.get("access_level") for f in formset.initial_forms}
        deleted = [f.instance for f in formset.initial_forms
                   if formset.can_delete and formset._should_delete_form(f)]
        for member in deleted:
            member_change_record(actor=request.user, member=member, old_level=None, removed=True)
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for member in formset.new_objects:
            member_change_record(actor=request.user, member=member, old_level=None)
        for member, _fields in formset.changed_objects:
            member_change_record(actor=request.user, member=member,
                                 old_level=old_levels.get(member.pk))


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0
    autocomplete_fields = ("user",)


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Group)
class GroupAdmin(AuditedMembersMixin, admin.ModelAdmin):
    list_display = ("full_path", "name", "visibility", "pypi_package_requests_forwarding",
                    "pypi_package_requests_forwarding_mode")
    search_fields = ("full_path", "name")
    readonly_fields = ("full_path", "created_at")
    inlines = (GroupMemberInline,)

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:  # noqa: ANN001
        # Moving or renaming would leave descendants' full paths behind: create only.
        return (*self.readonly_fields, "path", "parent") if obj else self.readonly_fields

    def save_model(self, request, obj: Group, form, change: bool) -> None:  # noqa: ANN001
        if not change:
            obj.full_path = f"{obj.parent.full_path}/{obj.path}" if obj.parent else obj.path
        super().save_model(request, obj, form, change)
        if change:
            _record_setting_changes(request, obj, form)


@admin.register(Project)
class ProjectAdmin(AuditedMembersMixin, admin.ModelAdmin):
    list_display = ("full_path", "name", "visibility", "package_registry_access_level")
    search_fields = ("full_path", "name")
    readonly_fields = ("full_path", "created_at")
    inlines = (ProjectMemberInline,)

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:  # noqa: ANN001
        return (*self.readonly_fields, "path", "namespace") if obj else self.readonly_fields

    def save_model(self, request, obj: Project, form, change: bool) -> None:  # noqa: ANN001
        if not change:
            obj.full_path = f"{obj.namespace.full_path}/{obj.path}"
        super().save_model(request, obj, form, change)
        if change:
            _record_setting_changes(request, obj, form)


@admin.register(ApplicationSettings)
class ApplicationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "pypi_package_requests_forwarding",
                    "pypi_package_requests_forwarding_mode", "pypi_upstream_offline", "updated_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return not ApplicationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def save_model(self, request, obj: ApplicationSettings, form, change: bool) -> None:  # noqa: ANN001
        super().save_model(request, obj, form, change)
        if change:
            _record_setting_changes(request, obj, form)
