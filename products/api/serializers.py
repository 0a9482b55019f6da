"""Serializers of the products API (JSON shapes documented per class)."""

from rest_framework import serializers

from products.checks import missing_column_problem
from products.forms import domain_parent_problem
from products.models import SLO, DataProduct, Domain, InputPort, OutputPort, SLISample, Team
from products.odps import bad_links, lifecycle_problem
from products.permissions import is_admin
from products.slo import compute_status, compute_statuses, product_health, products_health


def _request_user(serializer):
    """The user of the request in the serializer's context (None outside a request)."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class DomainSerializer(serializers.ModelSerializer):
    """``{slug, name, parent (slug|null), owner_team (slug|null), description, products}``.

    ``parent`` may not be the domain itself or one of its sub-domains (400 naming
    ``parent``, the same rule as :class:`products.forms.DomainForm`)."""

    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all(), allow_null=True, required=False
    )
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False
    )
    products = serializers.SerializerMethodField()

    class Meta:
        model = Domain
        fields = ["slug", "name", "parent", "owner_team", "description", "products"]

    def get_products(self, obj) -> list[str]:
        """Uids of the domain's products (name order; prefetched when listing)."""
        return [p.uid for p in obj.products.all()]

    def validate_parent(self, value):
        why = domain_parent_problem(self.instance, value)
        if why:
            raise serializers.ValidationError(why)
        return value


class OutputPortSerializer(serializers.ModelSerializer):
    """An output port: name, version, type, asset_urn, contract_id, server details."""

    class Meta:
        model = OutputPort
        fields = [
            "id",
            "name",
            "version",
            "type",
            "description",
            "asset_urn",
            "contract_id",
            "server",
        ]


class InputPortSerializer(serializers.ModelSerializer):
    """An input port; ``upstream_product`` is the uid of the product it consumes, if any."""

    upstream_product = serializers.SlugRelatedField(
        slug_field="uid", read_only=True, allow_null=True
    )

    class Meta:
        model = InputPort
        fields = ["id", "name", "version", "contract_id", "asset_urn", "upstream_product"]


class ProductListSerializer(serializers.ListSerializer):
    """Lists products with their SLO health computed in two queries for the page."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["slo_health"] = products_health(items)
        return super().to_representation(items)


class ProductSerializer(serializers.ModelSerializer):
    """A data product. Writable: uid (on create), name, domain (slug), owner_team (slug),
    status, version, purpose, limitations, usage, tags (list of str), links (list of
    ``{type, url}``; url http(s), mailto or a path starting with ``/``). Read-only: ports,
    ``slo_health`` (``{state, counts}``), timestamps. ``status`` only moves forward in the
    ODPS lifecycle unless the caller is staff (400 naming ``status`` and the allowed next
    statuses)."""

    domain = serializers.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all(), allow_null=True, required=False
    )
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False
    )
    input_ports = InputPortSerializer(many=True, read_only=True)
    output_ports = OutputPortSerializer(many=True, read_only=True)
    slo_health = serializers.SerializerMethodField()

    class Meta:
        model = DataProduct
        fields = [
            "uid",
            "name",
            "domain",
            "owner_team",
            "status",
            "version",
            "purpose",
            "limitations",
            "usage",
            "tags",
            "links",
            "input_ports",
            "output_ports",
            "slo_health",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        list_serializer_class = ProductListSerializer

    def get_slo_health(self, obj) -> dict:
        """``{state, counts}``: read for the whole page at once when listing."""
        known = self.context.get("slo_health")
        return known[obj.pk] if known and obj.pk in known else product_health(obj)

    def validate_tags(self, value):
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise serializers.ValidationError("tags must be a list of strings")
        return value

    def validate_links(self, value):
        if not isinstance(value, list) or not all(
            isinstance(v, dict) and v.get("type") and v.get("url") for v in value
        ):
            raise serializers.ValidationError("links must be a list of {type, url} objects")
        problems = [f"link {i} ({link['type']!r}): {why}" for i, link, why in bad_links(value)]
        if problems:
            raise serializers.ValidationError(problems)
        return value

    def validate_status(self, value):
        old = self.instance.status if self.instance is not None else None
        why = lifecycle_problem(old, value, is_admin(_request_user(self)))
        if why:
            raise serializers.ValidationError(why)
        return value

    def validate_uid(self, value):
        if self.instance is not None and value != self.instance.uid:
            raise serializers.ValidationError("the id of a product cannot change")
        return value


class SLOListSerializer(serializers.ListSerializer):
    """Lists SLOs with their statuses computed in one query for the page."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["slo_status"] = compute_statuses(items)
        return super().to_representation(items)


class SLOSerializer(serializers.ModelSerializer):
    """An SLO with its computed ``status`` (see :class:`products.slo.SLOStatus`).

    ``port`` must be an output port of the context's ``product`` when one is given (400
    naming ``port`` otherwise). A freshness SLO needs ``column`` only when the port's asset
    was harvested by a ``sql`` source (others are sampled from harvested times); a
    completeness SLO always needs one."""

    port = serializers.PrimaryKeyRelatedField(queryset=OutputPort.objects.all())
    status = serializers.SerializerMethodField()

    class Meta:
        model = SLO
        fields = [
            "id",
            "port",
            "name",
            "kind",
            "objective",
            "window_days",
            "threshold",
            "min_value",
            "max_value",
            "column",
            "rules",
            "origin",
            "enabled",
            "status",
        ]
        read_only_fields = ["origin"]
        list_serializer_class = SLOListSerializer

    def get_status(self, obj) -> dict:
        """:class:`products.slo.SLOStatus` as a dict; read for the whole page when listing."""
        known = self.context.get("slo_status")
        status = known[obj.pk] if known and obj.pk in known else compute_status(obj)
        return status.as_dict()

    def validate_objective(self, value):
        if not 0 < value < 1:
            raise serializers.ValidationError("objective must be between 0 and 1, e.g. 0.99")
        return value

    def validate_port(self, value):
        product = self.context.get("product")
        if product is not None and value.product_id != product.pk:
            raise serializers.ValidationError(
                f"port {value.pk} ({value.name!r}) belongs to another product, not {product.uid!r}"
            )
        return value

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        column = attrs.get("column", getattr(self.instance, "column", ""))
        threshold = attrs.get("threshold", getattr(self.instance, "threshold", None))
        port = attrs.get("port", getattr(self.instance, "port", None))
        why = missing_column_problem(kind, column, port)
        if why:
            raise serializers.ValidationError({"column": why})
        if kind == "freshness" and (threshold is None or threshold <= 0):
            raise serializers.ValidationError(
                {"threshold": "a freshness SLO needs a maximum age in seconds (> 0)"}
            )
        return attrs


class SampleSerializer(serializers.ModelSerializer):
    """One SLI sample: ``observed_at`` (ISO 8601), ``value``, ``good``, ``error``, ``origin``."""

    class Meta:
        model = SLISample
        fields = ["id", "observed_at", "value", "good", "error", "origin"]
