"""Serializers of the governance API (documentation shapes and glossary terms)."""

from rest_framework import serializers

from governance.glossary import group_path
from governance.models import CurationChange, GlossaryTerm, TermGroup


class CurationChangeSerializer(serializers.ModelSerializer):
    """One recorded change: ``{field, attribute, old, new, author, at}`` (``field`` empty
    for the asset itself)."""

    field = serializers.CharField(source="field_name")
    author = serializers.CharField(source="author_name")
    old = serializers.JSONField()
    new = serializers.JSONField()

    class Meta:
        model = CurationChange
        fields = ["field", "attribute", "old", "new", "author", "at"]


class TermGroupSerializer(serializers.ModelSerializer):
    """A glossary group: ``parent`` is the parent's slug (null at the root)."""

    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    path = serializers.SerializerMethodField()

    class Meta:
        model = TermGroup
        fields = ["slug", "name", "parent", "path", "description"]

    def get_path(self, group: TermGroup) -> str:
        """``Finance/Revenue``: names from the root down."""
        return group_path(group)


class TermSerializer(serializers.ModelSerializer):
    """A glossary term (read shape); writes take the same keys (see
    :func:`governance.glossary.save_term`), ``group`` as a slug or a path."""

    group = serializers.SerializerMethodField()
    related = serializers.SerializerMethodField()
    synonyms = serializers.ListField(child=serializers.CharField())
    owners = serializers.ListField(child=serializers.CharField())
    links = serializers.SerializerMethodField()

    class Meta:
        model = GlossaryTerm
        fields = [
            "slug",
            "name",
            "group",
            "status",
            "definition",
            "synonyms",
            "owners",
            "related",
            "links",
            "updated_at",
        ]

    def get_group(self, term: GlossaryTerm) -> str:
        """The group path (``Finance/Revenue``), ``""`` for none."""
        return group_path(term.group)

    def get_related(self, term: GlossaryTerm) -> list[str]:
        """Names of related terms."""
        return sorted(t.name for t in term.related.all())

    def get_links(self, term: GlossaryTerm) -> list[dict]:
        """``[{asset, field, product, provenance}]``: what the term is attached to."""
        return [
            {
                "asset": link.asset.urn if link.asset_id else None,
                "field": link.field_name,
                "product": link.product_uid,
                "provenance": link.provenance,
            }
            for link in term.links.all()
        ]


class PolicySerializer(serializers.Serializer):
    """A configured scorecard check: ``{name, label, description}``
    (:class:`governance.policies.Policy`)."""

    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
