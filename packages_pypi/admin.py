"""Django admin for packages and files: browse and inspect; uploads go through the API."""

from django.contrib import admin

from packages_pypi.models import Package, PackageFile
from packages_pypi.services import packages_serial_bump


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
