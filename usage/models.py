"""Usage tables: per asset and day, per column, per user, co-used assets, query shapes.

Every row belongs to the ``usage`` source that harvested it (``source``), so a new harvest
of a source replaces that source's rows for the days it covers (idempotent re-harvests).
``urn`` is the dataset URN the query named; ``asset`` is the catalog asset of that URN or
None when the catalog does not know the table (kept, shown as unknown).

Rows older than the retention window (``MESH_USAGE_RETENTION_DAYS``) are rolled up by
:func:`usage.rollup.rollup_usage` into one row per month (``monthly=True``, ``day`` the
first of the month) holding the month's sums; :class:`AssetView` likewise.
"""

from django.conf import settings
from django.db import models

from catalog.models import Asset, Source


class QueryShape(models.Model):
    """A normalised query (literals replaced by ``?``, whitespace collapsed), shared by
    all sources; ``fingerprint`` is the SHA-1 of the text with its default database and
    schema."""

    fingerprint = models.CharField(max_length=40, unique=True)
    text = models.TextField()
    writes = models.BooleanField(default=False)


class _SourceDay(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    urn = models.CharField(max_length=768)
    day = models.DateField()
    #: a monthly rollup row (``day`` is the first of the month) rather than one day
    monthly = models.BooleanField(default=False)

    class Meta:
        abstract = True


class UsageDay(_SourceDay):
    """One asset on one day: ``queries`` (statements that read or wrote it), ``writes``
    (of them, statements that wrote it), ``users`` (distinct users), ``rows`` (rows
    returned or written, summed where the log says), ``duration_ms`` (summed)."""

    queries = models.PositiveIntegerField(default=0)
    writes = models.PositiveIntegerField(default=0)
    users = models.PositiveIntegerField(default=0)
    rows = models.BigIntegerField(default=0)
    duration_ms = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "urn", "day", "monthly"], name="usage_day_unique"
            )
        ]
        indexes = [models.Index(fields=["asset", "day"]), models.Index(fields=["day"])]


class ColumnUsageDay(_SourceDay):
    """One column of an asset on one day: statements that ``selected`` it (a DIRECT
    source of an output column), ``filtered`` on it (WHERE/HAVING) or ``joined`` on it."""

    column = models.CharField(max_length=255)
    selected = models.PositiveIntegerField(default=0)
    filtered = models.PositiveIntegerField(default=0)
    joined = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["asset", "day"])]


class UserUsageDay(_SourceDay):
    """Statements a user ran against an asset on one day."""

    user = models.CharField(max_length=255)
    queries = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["asset", "day"])]


class CoUsageDay(_SourceDay):
    """Statements on one day that read ``urn`` together with ``other_urn`` (joins,
    subqueries, unions)."""

    other_urn = models.CharField(max_length=768)
    other_asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queries = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["asset", "day"])]


class QueryUsageDay(_SourceDay):
    """Statements of one query shape that touched an asset on one day."""

    shape = models.ForeignKey(QueryShape, on_delete=models.CASCADE, related_name="+")
    queries = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["asset", "day"])]


class Popularity(models.Model):
    """An asset's popularity: ``score`` is the percentile (0–100) of its ``queries`` over
    the last ``MESH_USAGE_POPULARITY_DAYS`` days among assets with any usage (0 when
    unused); recomputed after each usage harvest and by ``manage.py compute_popularity``."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="popularity")
    score = models.FloatField(default=0.0)
    queries = models.PositiveIntegerField(default=0)
    users = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()


class AssetView(models.Model):
    """The catalog's own usage: views of an asset's page on one day (``clicks``: of them,
    arrivals from a search result) by one user.

    ``user_key`` is the viewer's user id, or 0 for anonymous viewers, viewers who opted
    out (:class:`UsagePreference`) and every viewer when ``MESH_USAGE_RECORD_USERS`` is
    off. ``last_at`` is the latest view of the row. Written by one upsert per page view
    (:func:`usage.views_log.record_view`).
    """

    # no index of its own: the unique constraint's index starts with asset
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    user_key = models.PositiveIntegerField(default=0)
    monthly = models.BooleanField(default=False)
    views = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "day", "user_key", "monthly"], name="usage_assetview_unique"
            )
        ]
        indexes = [models.Index(fields=["user_key", "last_at"]), models.Index(fields=["day"])]


class UsagePreference(models.Model):
    """A user's choice about usage recording: ``record_views`` False keeps their asset
    page views anonymous (counted, not linked to them; no "Recently used by you")."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_preference"
    )
    record_views = models.BooleanField(default=True)
