"""Django admin for packages and files: browse and inspect; uploads go through the API."""

from django.contrib import admin

from packages_pypi.lifecycle import package_name_status_set
from packages_pypi.models import (
    Package,
    PackageCleanupPolicy,
    PackageFile,
    PackageNameStatus,
    PackageProtectionRule,
    PackageTombstone,
    UpstreamEvent,
    UpstreamFile,
    UpstreamPage,
)
from packages_pypi.services import packages_serial_bump
from packages_pypi.tombstones import tombstone_release
from packages_pypi.upstream.maintenance import cache_purge_rows


class PackageFileInline(admin.TabularInline):
    model = PackageFile
    fields = ("file_name", "size", "sha256", "status", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "project", "status", "created_at", "last_downloaded_at")
    list_filter = ("status",)
    search_fields = ("name", "normalized_name", "project__full_path")
    list_select_related = ("project",)
    readonly_fields = ("project", "name", "normalized_name", "version", "canonical_version",
                       "creator", "created_at", "updated_at", "last_downloaded_at")
    inlines = (PackageFileInline,)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def save_model(self, request, obj: Package, form, change: bool) -> None:  # noqa: ANN001
        super().save_model(request, obj, form, change)
        packages_serial_bump([obj.project_id])  # a status change shows or hides it in the index


@admin.register(PackageFile)
class PackageFileAdmin(admin.ModelAdmin):
    list_display = ("file_name", "package", "size", "status", "created_at")
    list_filter = ("status", "packagetype")
    search_fields = ("file_name", "sha256")
    list_select_related = ("package",)
    exclude = ("core_metadata",)
    readonly_fields = ("package", "project", "file", "file_name", "size", "sha256", "md5",
                       "blake2_256", "packagetype", "python_version", "requires_python",
                       "core_metadata_sha256", "uploaded_by", "deploy_token", "ci_job",
                       "created_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


# --- Lifecycle and governance (issue 12).


@admin.register(PackageTombstone)
class PackageTombstoneAdmin(admin.ModelAdmin):
    """Tombstones are made by deletes and only released here: never edited or added by hand."""

    list_display = ("normalized_name", "group", "deleted_from", "created_at", "released_at",
                    "released_by")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("normalized_name", "group__full_path", "deleted_from")
    list_select_related = ("group", "released_by")
    readonly_fields = list_display
    actions = ("release",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False  # a release keeps the row: who released which name, and when

    @admin.action(description="Release: allow forwarding these names upstream again")
    def release(self, request, queryset) -> None:  # noqa: ANN001
        released = 0
        for tombstone in queryset.filter(released_at=None):
            tombstone_release(tombstone=tombstone, user=request.user)
            released += 1
        self.message_user(request, f"Released {released} name(s).")


@admin.register(PackageNameStatus)
class PackageNameStatusAdmin(admin.ModelAdmin):
    list_display = ("normalized_name", "project", "status", "reason", "updated_at", "updated_by")
    list_filter = ("status",)
    search_fields = ("normalized_name", "project__full_path")
    list_select_related = ("project", "updated_by")
    readonly_fields = ("project", "normalized_name", "updated_at", "updated_by")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def save_model(self, request, obj: PackageNameStatus, form, change: bool) -> None:  # noqa: ANN001
        package_name_status_set(project=obj.project, normalized_name=obj.normalized_name,
                                status=obj.status, reason=obj.reason, user=request.user)


@admin.register(PackageProtectionRule)
class PackageProtectionRuleAdmin(admin.ModelAdmin):
    list_display = ("package_name_pattern", "project", "package_type",
                    "minimum_access_level_for_push", "minimum_access_level_for_delete")
    search_fields = ("package_name_pattern", "project__full_path")
    list_select_related = ("project",)
    readonly_fields = ("project", "package_type", "package_name_pattern")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False  # through the API or the project's package settings, which validate


@admin.register(PackageCleanupPolicy)
class PackageCleanupPolicyAdmin(admin.ModelAdmin):
    list_display = ("project", "enabled", "keep_n_versions", "older_than_days", "updated_at")
    list_filter = ("enabled",)
    list_select_related = ("project",)
    readonly_fields = ("project",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


# --- The upstream proxy's cache and events (issue 11) -----------------------------------------


@admin.register(UpstreamFile)
class UpstreamFileAdmin(admin.ModelAdmin):
    """Cached upstream files: not packages of any project. Deleting one removes its blob."""

    list_display = ("normalized_name", "version", "file_name", "size", "created_at",
                    "last_used_at", "taken_down_at")
    list_filter = ("taken_down_at",)
    search_fields = ("normalized_name", "file_name", "sha256")
    exclude = ("core_metadata",)
    readonly_fields = ("normalized_name", "version", "file_name", "sha256", "size", "url",
                       "file", "core_metadata_sha256", "created_at", "last_used_at",
                       "taken_down_at", "fetch_lease_until")
    actions = ("purge",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def delete_model(self, request, obj: UpstreamFile) -> None:  # noqa: ANN001
        cache_purge_rows(UpstreamFile.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:  # noqa: ANN001
        cache_purge_rows(queryset)

    @admin.action(description="Purge the selected files from the cache")
    def purge(self, request, queryset) -> None:  # noqa: ANN001
        count = cache_purge_rows(queryset)
        self.message_user(request, f"Purged {count} upstream file(s).")


@admin.register(UpstreamEvent)
class UpstreamEventAdmin(admin.ModelAdmin):
    """Takedowns, quarantines and hash mismatches the proxy saw."""

    list_display = ("created_at", "kind", "normalized_name", "file_name", "detail")
    list_filter = ("kind",)
    search_fields = ("normalized_name", "file_name", "sha256")
    readonly_fields = ("kind", "normalized_name", "file_name", "sha256", "detail", "created_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(UpstreamPage)
class UpstreamPageAdmin(admin.ModelAdmin):
    list_display = ("normalized_name", "status", "validated_at", "etag")
    search_fields = ("normalized_name",)
    readonly_fields = ("normalized_name", "files", "status", "status_reason", "etag",
                       "last_modified", "validated_at", "created_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False
