"""Governance models: curation history, business glossary, classification, policy
snapshots.

Curated values themselves live on the catalog rows (``Asset.curated_description``,
``Asset.curated_tags``, ``Field.curated_*``, ``Ownership`` rows with origin
``curated``), columns harvesters never write; this app writes them through
:mod:`governance.curation` and keeps their history here.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.models import Asset


class CurationChange(models.Model):
    """One change of a curated value: who, when, what (``old`` → ``new``).

    ``field_name`` is empty for the asset itself, else the column; ``attribute`` is
    ``description``, ``tags``, ``owners``, ``terms`` or ``classes``. ``old``/``new`` are
    JSON (a string, a list, or null for "no curated value")."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="curation_changes")
    field_name = models.CharField(max_length=255, blank=True, default="")
    attribute = models.CharField(max_length=32)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    author_name = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["asset", "-at"])]

    def __str__(self) -> str:
        where = f"{self.asset_id}#{self.field_name}" if self.field_name else str(self.asset_id)
        return f"{where} {self.attribute} by {self.author_name}"


class TermStatus(models.TextChoices):
    """Life cycle of a glossary term."""

    DRAFT = "draft"
    APPROVED = "approved"
    DEPRECATED = "deprecated"


class TermGroup(models.Model):
    """A node of the glossary hierarchy (e.g. Finance → Revenue)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def path(self) -> list["TermGroup"]:
        """Ancestors from the root down to this group (cycle-safe)."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class GlossaryTerm(models.Model):
    """A business term: Markdown ``definition``, ``synonyms`` (list of strings),
    ``owners`` (list of owner names: emails or team handles), a ``status``, the
    ``group`` it sits in and ``related`` terms (symmetric)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True)
    group = models.ForeignKey(
        TermGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="terms"
    )
    definition = models.TextField(blank=True, default="")
    synonyms = models.JSONField(default=list, blank=True)
    owners = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=TermStatus.choices, default=TermStatus.DRAFT)
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TermLink(models.Model):
    """A term attached to an asset (``field_name`` empty), a column, or a data product
    (``product_uid``). ``propagated_from`` is the upstream link it flowed from along
    column lineage (null: attached by a person)."""

    term = models.ForeignKey(GlossaryTerm, on_delete=models.CASCADE, related_name="links")
    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, null=True, blank=True, related_name="term_links"
    )
    field_name = models.CharField(max_length=255, blank=True, default="")
    product_uid = models.CharField(max_length=200, blank=True, default="")
    propagated_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="propagated"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["term__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "asset", "field_name", "product_uid"], name="term_link_unique"
            )
        ]

    @property
    def provenance(self) -> str:
        """``""`` for a direct link, else ``propagated from <asset name>.<column>``."""
        up = self.propagated_from
        if up is None:
            return ""
        return f"propagated from {up.asset.name}.{up.field_name}" if up.asset else "propagated"


class Sensitivity(models.TextChoices):
    """The classification scheme, least to most sensitive (order matters)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


#: rank of each sensitivity level (higher is more sensitive)
SENSITIVITY_RANK = {level: i for i, level in enumerate(Sensitivity.values)}


class DataClass(models.Model):
    """A class of data a column may hold: personal data classes (``email``, ``phone``,
    ``person_name``, ``postal_address``, ``iban``, ``payment_card``, ``national_id``,
    ``ip_address``, ``date_of_birth``) and any a company adds. ``level`` is the
    sensitivity a column holding it has at least."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    personal = models.BooleanField(default=True)
    level = models.CharField(
        max_length=16, choices=Sensitivity.choices, default=Sensitivity.CONFIDENTIAL
    )
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ColumnClass(models.Model):
    """A data class on a column: proposed by detection (``confidence`` 0..1, ``method``
    ``name`` or ``values``, ``evidence`` saying why), then ``accepted`` or ``rejected``
    by a steward or owner (a rejected one is never proposed again); set by a person
    (``manual``, accepted); or ``propagated`` along column lineage from
    ``propagated_from`` (accepted; withdrawn with it)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="column_classes")
    field_name = models.CharField(max_length=255)
    data_class = models.ForeignKey(DataClass, on_delete=models.CASCADE, related_name="columns")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    confidence = models.FloatField(default=1.0)
    method = models.CharField(max_length=16, default="name")
    evidence = models.CharField(max_length=500, blank=True, default="")
    propagated_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="propagated"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset_id", "field_name", "data_class__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "field_name", "data_class"], name="column_class_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}#{self.field_name}: {self.data_class_id} ({self.status})"

    @property
    def provenance(self) -> str:
        """``propagated from <asset>.<column>`` for a propagated class, else the method."""
        up = self.propagated_from
        if up is None:
            return self.method
        return f"propagated from {up.asset.name}.{up.field_name}"


class AssetSensitivity(models.Model):
    """A sensitivity level a person set on an asset (the shown level is the highest of
    this and its columns' accepted classes)."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="sensitivity")
    level = models.CharField(max_length=16, choices=Sensitivity.choices)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    set_at = models.DateTimeField(default=timezone.now)


class SourceSampling(models.Model):
    """Opt-in of a source to value sampling by classification: at most ``rows`` values
    per column, read-only, within ``timeout_seconds``, never stored."""

    source = models.OneToOneField(
        "catalog.Source", on_delete=models.CASCADE, related_name="classification_sampling"
    )
    enabled = models.BooleanField(default=True)
    rows = models.PositiveIntegerField(default=100)
    timeout_seconds = models.FloatField(default=10.0)


class ScoreSnapshot(models.Model):
    """A day's scorecard of a product (``scope`` ``product``, ``key`` its uid) or domain
    (``domain``, its slug): ``score`` 0..100 (null when no policy applied) and
    ``results`` ``{policy name: true|false|null}``; one row per day, kept for trends."""

    day = models.DateField(db_index=True)
    scope = models.CharField(max_length=16)
    key = models.CharField(max_length=200)
    score = models.FloatField(null=True, blank=True)
    results = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["scope", "key", "day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "scope", "key"], name="score_snapshot_unique")
        ]
