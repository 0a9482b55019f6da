"""Data mesh models: teams, domains, data products, ports, contracts, SLOs and edit history.

A :class:`DataProduct` follows the Open Data Product Standard (ODPS v1.0.0): its ``uid``
is the descriptor's ``id``; ``descriptor`` keeps the last imported document so fields
this model does not map (``support``, ``managementPorts``, ``customProperties``, ...)
survive a round trip. Output ports publish catalog assets (``catalog.Asset`` by URN) and
may be bound to an ODCS v3.1.0 :class:`DataContract`. Each output port carries
:class:`SLO` rows whose :class:`SLISample` series drive status and error budgets
(:mod:`products.slo`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.models import Asset


class Team(models.Model):
    """A group of people that owns domains and products. ``slug`` is the stable key."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A user in a team with a role (``owner``, ``steward``, ``engineer``, ``member``...)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=64, default="member")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]


class Domain(models.Model):
    """A business domain; ``parent`` makes domains a tree (``sales`` › ``sales/online``)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    owner_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="domains"
    )
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def path(self) -> list["Domain"]:
        """Ancestors from the root down to this domain (cycles are cut)."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class ProductStatus(models.TextChoices):
    """ODPS lifecycle: proposed → draft → active → deprecated → retired."""

    PROPOSED = "proposed"
    DRAFT = "draft"
    ACTIVE = "active"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class DataProduct(models.Model):
    """A data product (ODPS ``DataProduct``).

    ``uid`` is the ODPS ``id`` (a UUID or any unique string); ``tags`` a list of strings;
    ``links`` a list of ``{"type", "url", "description"?}`` (ODPS authoritativeDefinitions);
    ``descriptor`` the last imported ODPS document (dict) used to keep unknown fields;
    ``api_version`` the ODPS apiVersion it declared (``v1.0.0`` for new products).
    """

    uid = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    domain = models.ForeignKey(
        Domain, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    owner_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    status = models.CharField(
        max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    version = models.CharField(max_length=64, blank=True, default="")
    purpose = models.TextField(blank=True, default="")
    limitations = models.TextField(blank=True, default="")
    usage = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    api_version = models.CharField(max_length=16, default="v1.0.0")
    descriptor = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Model validation (admin and model forms): every link is a ``{type, url}`` whose
        URL is http(s), mailto or a site path. Raises ValidationError on ``links``."""
        from django.core.exceptions import ValidationError

        from products.validators import bad_links

        problems = [f"link {i}: {why}" for i, _, why in bad_links(self.links)]
        if problems:
            raise ValidationError({"links": problems})


class ProductMember(models.Model):
    """A typed member of a product (ODPS ``team.members[]``): owner, data steward, ...

    ``username`` is the ODPS username (often an email); ``user`` the matching Django user
    when one exists.
    """

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    username = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True, default="")
    role = models.CharField(max_length=64, default="owner")
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "username", "role"], name="product_member_unique"
            )
        ]


class DataContract(models.Model):
    """An ODCS v3.x data contract; ``document`` is the whole validated contract (dict)."""

    uid = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, blank=True, default="")
    version = models.CharField(max_length=64, blank=True, default="")
    api_version = models.CharField(max_length=16, default="v3.1.0")
    status = models.CharField(max_length=32, blank=True, default="")
    document = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or self.uid


class InputPort(models.Model):
    """What a product consumes: an upstream product's port (by contract id) or an asset."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="input_ports")
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=64, blank=True, default="")
    contract_id = models.CharField(max_length=200, blank=True, default="")
    asset_urn = models.CharField(max_length=768, blank=True, default="")
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="input_ports"
    )
    upstream_product = models.ForeignKey(
        DataProduct, on_delete=models.SET_NULL, null=True, blank=True, related_name="consumers"
    )
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]


class OutputPort(models.Model):
    """An asset the product publishes (table, view, file, topic), with server details.

    ``asset_urn`` binds the port to a catalog asset even before it is harvested; ``asset``
    is resolved from it. ``server`` is ODCS-style server details (``{"type", "host",
    "database", "schema", ...}``); ``extra`` keeps unmapped ODPS port fields.
    """

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="output_ports")
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=64, blank=True, default="")
    type = models.CharField(max_length=64, blank=True, default="tables")
    description = models.TextField(blank=True, default="")
    contract_id = models.CharField(max_length=200, blank=True, default="")
    data_contract = models.ForeignKey(
        DataContract, on_delete=models.SET_NULL, null=True, blank=True, related_name="ports"
    )
    asset_urn = models.CharField(max_length=768, blank=True, default="")
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="output_ports"
    )
    server = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product.name}/{self.name}"


class SLIKind(models.TextChoices):
    """What an SLO measures (see :mod:`products.slo` for how each is judged)."""

    FRESHNESS = "freshness"
    VOLUME = "volume"
    COMPLETENESS = "completeness"
    QUALITY = "quality"
    AVAILABILITY = "availability"


class SLO(models.Model):
    """A service-level objective on an output port.

    ``objective`` is the target share of good samples in the window (0 < x < 1, e.g.
    0.99); ``window_days`` the rolling window (default 28). Per kind: freshness uses
    ``threshold`` = max age in seconds and ``column`` = timestamp column; volume
    ``min_value``/``max_value`` rows; completeness ``column`` and ``threshold`` = max null
    share (0..1); quality ``threshold`` = min pass rate (0..1) of ``rules`` (ODCS quality
    rules); availability needs nothing. ``origin`` is ``manual`` or ``contract``.
    Freshness is also sampled from harvested timestamps after harvests and OpenLineage
    runs (:mod:`products.freshness`).
    """

    port = models.ForeignKey(OutputPort, on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=SLIKind.choices)
    objective = models.FloatField(default=0.99)
    window_days = models.PositiveIntegerField(default=28)
    threshold = models.FloatField(null=True, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    column = models.CharField(max_length=255, blank=True, default="")
    rules = models.JSONField(default=list, blank=True)
    origin = models.CharField(max_length=16, default="manual")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    #: the computed state after the newest sample (``no data``, ``met``, ``at risk``,
    #: ``breached``); a change sends :data:`products.events.slo_state_changed`
    last_state = models.CharField(max_length=16, default="no data", blank=True)

    class Meta:
        ordering = ["port_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class SLISample(models.Model):
    """One measurement of an SLO's indicator at ``observed_at``.

    ``value`` is in the kind's unit (seconds of age, rows, null share, pass rate, 1/0
    reachable); ``good`` whether it met the SLO's threshold; ``error`` is set (and
    ``good`` false) when the measurement itself failed. ``origin`` is ``check`` (the
    scheduled SQL task) or ``harvest:<source>``; freshness samples from stored timestamps
    add the basis: ``harvest:lake (lake last-modified)``, ``openlineage (openlineage
    run)``, ``check (dbt run)``.
    """

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="samples")
    observed_at = models.DateTimeField(default=timezone.now)
    value = models.FloatField(null=True, blank=True)
    good = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    origin = models.CharField(max_length=128, default="check")

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["slo", "observed_at"])]


class EditRecord(models.Model):
    """Who changed what, when: the history of a product, domain or team.

    ``changes`` maps a field to ``[old, new]`` (JSON values); ``action`` is e.g.
    ``create``, ``update``, ``import``, ``add output port``, ``delete slo``.
    """

    product = models.ForeignKey(
        DataProduct, on_delete=models.CASCADE, null=True, blank=True, related_name="history"
    )
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, null=True, blank=True, related_name="history"
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="history"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=64)
    summary = models.CharField(max_length=500, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
