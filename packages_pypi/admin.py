"""Django admin for packages and files: browse and inspect; uploads go through the API."""

from django.contrib import admin

from packages_pypi.models import Package, PackageFile, UpstreamEvent, UpstreamFile, UpstreamPage
from packages_pypi.services import packages_serial_bump
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
