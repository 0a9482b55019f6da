"""Admin of governance: glossary terms and groups, the curation history (read-only)."""

from django.contrib import admin

from governance.models import CurationChange, GlossaryTerm, TermGroup, TermLink


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
