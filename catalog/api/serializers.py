"""Serializers of catalog assets for ``/api/v1/assets``."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Asset, Field, Ownership
from catalog.quality import as_dict as quality_as_dict
from catalog.quality import latest_results as latest_quality


class QualityResultSerializer(serializers.Serializer):
    """The newest outcome of one quality check (documentation of ``quality``)."""

    name = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    check_type = serializers.CharField()
    status = serializers.CharField(help_text="pass, fail, warn, error or skipped")
    executed_at = serializers.DateTimeField(allow_null=True)
    origin = serializers.CharField()


class FieldSerializer(serializers.ModelSerializer):
    """A column: ``type`` is the normalised family, ``native_type`` the source's own.

    ``description`` and ``tags`` are the shown (effective) values: the curated
    description when there is one (else ``harvested_description``), the harvested tags
    plus the curated ones; ``curated_description`` is null when nobody curated it."""

    type = serializers.CharField(source="data_type")
    description = serializers.CharField(source="effective_description", read_only=True)
    harvested_description = serializers.CharField(source="description", read_only=True)
    tags = serializers.ListField(
        source="effective_tags", child=serializers.CharField(), read_only=True
    )
    harvested_tags = serializers.ListField(
        source="tags", child=serializers.CharField(), read_only=True
    )
    curated_tags = serializers.SerializerMethodField()

    class Meta:
        model = Field
        fields = [
            "name",
            "type",
            "native_type",
            "nullable",
            "description",
            "ordinal",
            "is_primary_key",
            "fk_target_urn",
            "fk_target_field",
            "tags",
            "harvested_description",
            "curated_description",
            "harvested_tags",
            "curated_tags",
        ]

    def get_curated_tags(self, field: Field) -> list[str]:
        """Tags people added (governance curation); ``[]`` when none."""
        return list(field.curated_tags or [])


class OwnershipSerializer(serializers.ModelSerializer):
    """``{name, kind, type}``: who owns the asset and how."""

    name = serializers.CharField(source="owner.name")
    kind = serializers.CharField(source="owner.kind")

    class Meta:
        model = Ownership
        fields = ["name", "kind", "type", "origin"]


class AssetListSerializer(serializers.ModelSerializer):
    """One row of the asset list; ``description`` is the shown one (curated, else
    harvested)."""

    description = serializers.CharField(source="effective_description", read_only=True)

    class Meta:
        model = Asset
        fields = [
            "urn",
            "name",
            "qualified_name",
            "kind",
            "type",
            "platform",
            "namespace",
            "description",
            "removed",
            "last_seen",
        ]


class AssetDetailSerializer(AssetListSerializer):
    """An asset with its fields, owners, tags, sources and properties.

    Curated values (governance) are kept apart: ``harvested_description`` and
    ``curated_description`` (null when none; ``description`` shows the curated one when
    set), ``tags`` = harvested ``harvested_tags`` plus ``curated_tags``; owners carry their
    ``origin`` (a source name, ``curated`` or the products app's)."""

    fields = FieldSerializer(many=True, read_only=True)
    owners = OwnershipSerializer(source="ownerships", many=True, read_only=True)
    tags = serializers.SerializerMethodField()
    harvested_description = serializers.CharField(source="description", read_only=True)
    harvested_tags = serializers.SlugRelatedField(
        source="tags", slug_field="name", many=True, read_only=True
    )
    curated_tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    sources = serializers.SerializerMethodField()
    quality = serializers.SerializerMethodField()

    class Meta(AssetListSerializer.Meta):
        fields = [
            *AssetListSerializer.Meta.fields,
            "row_count",
            "size_bytes",
            "first_seen",
            "properties",
            "fields",
            "owners",
            "tags",
            "harvested_description",
            "curated_description",
            "harvested_tags",
            "curated_tags",
            "sources",
            "quality",
        ]

    def get_tags(self, asset: Asset) -> list[str]:
        """Harvested tags, then curated ones not among them."""
        names = [t.name for t in asset.tags.all()]
        return names + [t.name for t in asset.curated_tags.all() if t.name not in names]

    @extend_schema_field(QualityResultSerializer(many=True))
    def get_quality(self, asset: Asset) -> list[dict]:
        """The newest outcome of each quality check (dbt tests, OpenLineage assertions):
        ``[{name, field, check_type, status, executed_at, origin}]``, failures first."""
        return [quality_as_dict(r) for r in latest_quality(asset)]

    def get_sources(self, asset: Asset) -> list[dict]:
        """``[{name, kind, last_seen, removed}]`` for each source that reported the asset."""
        return [
            {
                "name": p.source.name,
                "kind": p.source.kind,
                "last_seen": p.last_seen,
                "removed": p.removed,
            }
            for p in asset.provenance.all()
        ]
