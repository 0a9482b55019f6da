"""Response shapes of the usage API (documented in the OpenAPI schema)."""

from rest_framework import serializers


class DailyUsageSerializer(serializers.Serializer):
    """One day of an asset's usage."""

    day = serializers.DateField()
    queries = serializers.IntegerField()
    users = serializers.IntegerField()
    rows = serializers.IntegerField()
    monthly = serializers.BooleanField(
        help_text="a month rolled up after the retention window; day is its first day"
    )


class ColumnUsageSerializer(serializers.Serializer):
    """How often statements selected, filtered on and joined on a column."""

    column = serializers.CharField()
    selected = serializers.IntegerField()
    filtered = serializers.IntegerField()
    joined = serializers.IntegerField()


class UserCountSerializer(serializers.Serializer):
    """A user and their statements on the asset."""

    user = serializers.CharField()
    queries = serializers.IntegerField()


class CoUsedSerializer(serializers.Serializer):
    """An asset read together with this one; ``known`` false when not in the catalog."""

    urn = serializers.CharField()
    name = serializers.CharField()
    known = serializers.BooleanField()
    queries = serializers.IntegerField()


class TopQuerySerializer(serializers.Serializer):
    """A normalised query (literals replaced by ``?``) and its executions."""

    fingerprint = serializers.CharField()
    query = serializers.CharField()
    writes = serializers.BooleanField()
    queries = serializers.IntegerField()


class TotalsSerializer(serializers.Serializer):
    """Totals over the window; ``users`` distinct."""

    queries = serializers.IntegerField()
    writes = serializers.IntegerField()
    users = serializers.IntegerField()
    rows = serializers.IntegerField()


class PageViewsSerializer(serializers.Serializer):
    """The catalog's own usage of an asset: page views, and of them search clicks."""

    views = serializers.IntegerField()
    clicks = serializers.IntegerField(help_text="page views that came from a search result")


class AssetUsageSerializer(serializers.Serializer):
    """An asset's usage over a window of days (``since``..``until`` inclusive)."""

    urn = serializers.CharField()
    window_days = serializers.IntegerField()
    since = serializers.DateField()
    until = serializers.DateField()
    popularity = serializers.FloatField(help_text="percentile 0-100 over the popularity window")
    totals = TotalsSerializer()
    daily = DailyUsageSerializer(many=True)
    columns = ColumnUsageSerializer(many=True)
    top_users = UserCountSerializer(many=True)
    co_used = CoUsedSerializer(many=True)
    top_queries = TopQuerySerializer(many=True)
    page_views = PageViewsSerializer(help_text="views of the asset's catalog page in the window")


class TopAssetSerializer(serializers.Serializer):
    """A catalog asset and its usage over the window."""

    urn = serializers.CharField()
    name = serializers.CharField()
    platform = serializers.CharField()
    queries = serializers.IntegerField()
    users = serializers.IntegerField()
    popularity = serializers.FloatField()
