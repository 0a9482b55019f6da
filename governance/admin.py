"""Admin of governance: glossary terms and groups, the curation history (read-only)."""

from django.contrib import admin

from governance.models import (
    ColumnClass,
    CurationChange,
    DataClass,
    GlossaryTerm,
    SourceSampling,
    TermGroup,
    TermLink,
)


@admin.register(TermGroup)
class TermGroupAdmin(admin.ModelAdmin):
    """Glossary groups."""

    list_display = ("name", "slug", "parent")
    search_fields = ("name", "slug")


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    """Glossary terms (the API and the import go through ``governance.glossary``)."""

    list_display = ("name", "status", "group", "updated_at")
    list_filter = ("status",)
    search_fields = ("name", "slug")


@admin.register(TermLink)
class TermLinkAdmin(admin.ModelAdmin):
    """Term links (read-only: attach terms through curation)."""

    list_display = ("term", "asset", "field_name", "product_uid", "propagated_from")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CurationChange)
class CurationChangeAdmin(admin.ModelAdmin):
    """The curation history (append-only)."""

    list_display = ("at", "author_name", "asset", "field_name", "attribute")
    list_filter = ("attribute",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DataClass)
class DataClassAdmin(admin.ModelAdmin):
    """Data classes (the personal ones are created by migration; add your own)."""

    list_display = ("slug", "name", "personal", "level")


@admin.register(SourceSampling)
class SourceSamplingAdmin(admin.ModelAdmin):
    """Sources opted in to value sampling by classification."""

    list_display = ("source", "enabled", "rows", "timeout_seconds")


@admin.register(ColumnClass)
class ColumnClassAdmin(admin.ModelAdmin):
    """Column classes (decide them on the asset page or through the API)."""

    list_display = ("asset", "field_name", "data_class", "status", "confidence", "method")
    list_filter = ("status", "method", "data_class")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
