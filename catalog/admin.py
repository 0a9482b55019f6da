"""Admin pages for catalog assets."""

from django.contrib import admin

from catalog.models import Asset, Field, Owner, Tag


class FieldInline(admin.TabularInline):
    """Columns of an asset."""

    model = Field
    extra = 0


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    """Assets, searchable by name and URN."""

    list_display = ["name", "type", "platform", "qualified_name", "removed"]
    list_filter = ["type", "platform", "removed"]
    search_fields = ["name", "urn"]
    inlines = [FieldInline]


admin.site.register(Tag)
admin.site.register(Owner)
