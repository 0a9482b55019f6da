"""Admin: query shapes and popularity scores (read-mostly)."""

from django.contrib import admin

from usage.models import Popularity, QueryShape


@admin.register(QueryShape)
class QueryShapeAdmin(admin.ModelAdmin):
    """Normalised queries seen by usage harvests."""

    list_display = ("fingerprint", "writes", "text")
    search_fields = ("fingerprint", "text")


@admin.register(Popularity)
class PopularityAdmin(admin.ModelAdmin):
    """Popularity scores of assets."""

    list_display = ("asset", "score", "queries", "users", "computed_at")
    ordering = ("-score",)
