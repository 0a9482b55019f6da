"""Admin: query shapes, popularity scores, page views (read-mostly) and users'
usage-recording preferences."""

from django.contrib import admin

from usage.models import AssetView, Popularity, QueryShape, UsagePreference


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


@admin.register(AssetView)
class AssetViewAdmin(admin.ModelAdmin):
    """Asset page views per day and viewer (``user_key`` 0: anonymous or opted out)."""

    list_display = ("asset", "day", "user_key", "monthly", "views", "clicks", "last_at")
    list_filter = ("monthly",)
    raw_id_fields = ("asset",)
    ordering = ("-day",)


@admin.register(UsagePreference)
class UsagePreferenceAdmin(admin.ModelAdmin):
    """Whether a user's page views are linked to them (changed by the user on
    ``/usage/preferences``, through :func:`usage.catalog_usage.set_record_views`)."""

    list_display = ("user", "record_views")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        """Save through the service, so opting out also anonymises past views."""
        from usage.catalog_usage import set_record_views

        set_record_views(obj.user, obj.record_views)
