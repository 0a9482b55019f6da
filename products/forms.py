"""Forms for owners: products, domains, output ports, SLOs, members (inline validation);
teams and their members (staff)."""

from django import forms
from django.contrib.auth import get_user_model

from products.checks import missing_column_problem
from products.models import (
    SLO,
    DataProduct,
    Domain,
    InputPort,
    OutputPort,
    ProductMember,
    Team,
    TeamMembership,
)
from products.odcs import parse_contract
from products.odps import custom_property, lifecycle_problem, set_custom_property
from products.permissions import is_admin
from products.schemas import DescriptorError


class TagsField(forms.CharField):
    """Comma-separated tags ↔ a list of strings."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [t.strip() for t in (value or "").split(",") if t.strip()]


class ProductForm(forms.ModelForm):
    """Create/edit a product; ``owner_team`` limited to teams the editor may assign.

    ``user`` is the editor: ``status`` only moves forward in the ODPS lifecycle
    (:func:`products.odps.lifecycle_problem`) unless ``user`` is staff; without a
    ``user`` the rule always applies."""

    tags = TagsField(required=False, help_text="Comma-separated")

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
        ]
        labels = {"uid": "Id (ODPS id)"}
        widgets = {
            k: forms.Textarea(attrs={"rows": 3}) for k in ("purpose", "limitations", "usage")
        }

    def __init__(self, *args, teams=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if teams is not None:
            self.fields["owner_team"].queryset = teams
            self.fields["owner_team"].required = True
        if self.instance.pk:
            self.fields["uid"].disabled = True

    def clean_status(self):
        status = self.cleaned_data.get("status")
        old = self.instance.status if self.instance.pk else None
        why = lifecycle_problem(old, status, is_admin(self.user))
        if why:
            raise forms.ValidationError(why)
        return status


def domain_parent_problem(domain: Domain | None, parent: Domain | None) -> str | None:
    """Why ``parent`` may not be the parent of ``domain`` (it is the domain itself or one
    of its sub-domains, which would make a cycle), or None when it may. A new domain
    (None or unsaved) or no parent is always fine. Shared by :class:`DomainForm` and the
    API's ``DomainSerializer``."""
    if parent is None or domain is None or domain.pk is None:
        return None
    if parent.pk == domain.pk or domain.pk in {d.pk for d in parent.path()}:
        return "a domain cannot sit under itself or its sub-domains"
    return None


class DomainForm(forms.ModelForm):
    """Edit a domain; a domain cannot be its own ancestor."""

    class Meta:
        model = Domain
        fields = ["slug", "name", "parent", "owner_team", "description"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        why = domain_parent_problem(self.instance, parent)
        if why:
            raise forms.ValidationError(why)
        return parent


class OutputPortForm(forms.ModelForm):
    """An output port, bound to a catalog asset by URN; optional ODCS contract YAML."""

    contract_yaml = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="ODCS contract (YAML, optional)",
    )

    class Meta:
        model = OutputPort
        fields = ["name", "version", "type", "description", "asset_urn"]
        labels = {"asset_urn": "Asset URN"}

    def clean_contract_yaml(self):
        text = self.cleaned_data.get("contract_yaml", "")
        if not text.strip():
            return None
        try:
            return parse_contract(text, "contract")
        except DescriptorError as exc:
            raise forms.ValidationError(exc.problems) from None


class SLOForm(forms.ModelForm):
    """An SLO on one of the product's output ports, validated per kind. A freshness SLO
    needs ``column`` only when the port's asset was harvested by a ``sql`` source (the
    live ``max(column)`` check); other ports are sampled from harvested times."""

    class Meta:
        model = SLO
        fields = [
            "port",
            "name",
            "kind",
            "objective",
            "window_days",
            "threshold",
            "min_value",
            "max_value",
            "column",
            "enabled",
        ]
        help_texts = {
            "objective": "Share of good samples in the window, 0–1 (e.g. 0.99)",
            "threshold": "freshness: max age in seconds; completeness: max null share; "
            "quality: min pass rate",
            "column": "freshness: timestamp column of the live max() check (ports without a "
            "SQL source use harvested times: lake last-modified, dbt run, OpenLineage run); "
            "completeness: the column checked for nulls",
        }

    def __init__(self, *args, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        if product is not None:
            self.fields["port"].queryset = product.output_ports.all()
            first = product.output_ports.first()
            if first is not None and not self.instance.pk:
                self.fields["port"].initial = first.pk

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        objective = data.get("objective")
        if objective is not None and not 0 < objective < 1:
            self.add_error("objective", "must be between 0 and 1, e.g. 0.99")
        why = missing_column_problem(kind, data.get("column"), data.get("port"))
        if why:
            self.add_error("column", why)
        if kind == "freshness" and not (data.get("threshold") or 0) > 0:
            self.add_error("threshold", "a freshness SLO needs a maximum age in seconds (> 0)")
        if kind == "volume" and data.get("min_value") is None and data.get("max_value") is None:
            self.add_error("min_value", "a volume SLO needs a minimum or a maximum row count")
        return data


class MemberForm(forms.ModelForm):
    """A typed product member (owner, data steward, …)."""

    class Meta:
        model = ProductMember
        fields = ["username", "name", "role"]


class TeamForm(forms.ModelForm):
    """Create/edit a team (staff only): slug, name, description."""

    class Meta:
        model = Team
        fields = ["slug", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TeamMemberForm(forms.ModelForm):
    """One member of a team: an existing user named by username, and a role."""

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.all(),
        to_field_name="username",
        widget=forms.TextInput(attrs={"placeholder": "username", "autocomplete": "off"}),
        error_messages={"invalid_choice": "no user named '%(value)s'"},
    )
    role = forms.CharField(max_length=64, initial="member", help_text="owner, steward, ...")

    class Meta:
        model = TeamMembership
        fields = ["user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # show the username, not the user's primary key
            self.initial["user"] = self.instance.user.get_username()


TeamMemberFormSet = forms.inlineformset_factory(
    Team, TeamMembership, form=TeamMemberForm, extra=2, can_delete=True
)
"""Members of one team: edit roles, remove (``DELETE``), add up to two per save."""


# --- Forms of the product pages (input ports, output port server details, new domains) ---

DESCRIPTION_PROPERTY = "description"
SERVER_FIELDS = ("type", "host", "port", "database", "schema", "location")


class UpstreamPortField(forms.ModelChoiceField):
    """An output port of another product, labelled ``Product › port version``."""

    def label_from_instance(self, obj) -> str:
        contract = f" (contract {obj.contract_id})" if obj.contract_id else ""
        return f"{obj.product.name} › {obj.name} {obj.version}".strip() + contract


class InputPortForm(forms.ModelForm):
    """An input port of ``product``: what it consumes, named by an upstream product's
    output port (its contract id binds the two products) and/or a catalog asset URN.

    The description is kept as the ODPS custom property ``description`` (ODPS input
    ports have no description field), so the exported descriptor stays valid. At least
    one of upstream port and asset URN is required; names are unique per product and
    version.
    """

    upstream_port = UpstreamPortField(
        queryset=OutputPort.objects.none(),
        required=False,
        empty_label="None (name an asset URN)",
        label="Upstream product port",
        help_text="An output port of another data product; its contract id links the "
        "two products (ports without a contract link by asset only).",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Description"
    )

    class Meta:
        model = InputPort
        fields = ["name", "version", "upstream_port", "asset_urn", "description"]
        labels = {"asset_urn": "Asset URN"}
        help_texts = {
            "asset_urn": "A catalog asset read directly, e.g. urn:mc:dataset:…; "
            "defaults to the upstream port's asset.",
            "version": "Defaults to the upstream port's version.",
        }

    def __init__(self, *args, product: DataProduct, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        ports = (
            OutputPort.objects.exclude(product=product)
            .select_related("product")
            .order_by("product__name", "name", "version")
        )
        self.fields["upstream_port"].queryset = ports
        port = self.instance
        if port.pk:
            self.initial["description"] = custom_property(port.extra, DESCRIPTION_PROPERTY)
            current = None
            if port.contract_id:
                current = ports.filter(contract_id=port.contract_id).first()
            if current is None and port.upstream_product_id:
                current = ports.filter(product_id=port.upstream_product_id).first()
            if current is None and port.asset_urn:
                current = ports.filter(asset_urn=port.asset_urn).first()
            self.initial["upstream_port"] = current.pk if current else None

    def clean(self):
        """Require an upstream port or an asset URN; refuse a second port of the same
        name and version on this product."""
        data = super().clean()
        upstream, urn = data.get("upstream_port"), (data.get("asset_urn") or "").strip()
        if upstream is None and not urn and "asset_urn" not in self.errors:
            self.add_error("asset_urn", "name an upstream product port or an asset URN")
        version = data.get("version") or (upstream.version if upstream else "")
        name = data.get("name")
        clash = self.product.input_ports.filter(name=name, version=version)
        if name and clash.exclude(pk=self.instance.pk).exists():
            self.add_error("name", f"this product already has an input port {name} {version}")
        return data

    def save(self, commit: bool = True):
        """Fill contract id, version, asset URN and upstream product from the upstream
        port; keep the description in ``extra``. The asset is resolved by the view."""
        port = super().save(commit=False)
        upstream = self.cleaned_data.get("upstream_port")
        port.product = self.product
        port.asset_urn = (port.asset_urn or "").strip()
        if upstream is not None:
            port.contract_id = upstream.contract_id
            port.version = port.version or upstream.version
            port.asset_urn = port.asset_urn or upstream.asset_urn
            port.upstream_product = upstream.product if upstream.contract_id else None
        else:
            port.contract_id, port.upstream_product = "", None
        port.extra = dict(port.extra or {})
        set_custom_property(
            port.extra, DESCRIPTION_PROPERTY, self.cleaned_data.get("description", "").strip()
        )
        if commit:
            port.save()
        return port


class OutputPortDetailsForm(OutputPortForm):
    """:class:`OutputPortForm` plus the port's server details (ODCS ``servers[]`` style:
    type, host, port, database, schema, location). Other keys of ``server`` are kept; an
    empty field removes its key. A contract given in the same save replaces the server
    with the contract's first server."""

    server_type = forms.CharField(
        required=False, label="Server type", help_text="e.g. postgres, duckdb, snowflake, s3, kafka"
    )
    server_host = forms.CharField(required=False, label="Host")
    server_port = forms.IntegerField(required=False, min_value=1, max_value=65535, label="Port")
    server_database = forms.CharField(required=False, label="Database")
    server_schema = forms.CharField(required=False, label="Schema")
    server_location = forms.CharField(
        required=False, label="Location", help_text="Files and topics: path or URL"
    )

    field_order = [
        "name",
        "version",
        "type",
        "description",
        "asset_urn",
        *(f"server_{k}" for k in SERVER_FIELDS),
        "contract_yaml",
    ]
    ui_groups = (("Server details", tuple(f"server_{k}" for k in SERVER_FIELDS)),)
    """Fields the form page shows together under a legend."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        server = self.instance.server or {}
        for key in SERVER_FIELDS:
            if server.get(key) not in (None, ""):
                self.initial[f"server_{key}"] = server[key]

    def save(self, commit: bool = True):
        """Merge the server fields into ``server`` (keeping other keys), then save."""
        server = dict(self.instance.server or {})
        for key in SERVER_FIELDS:
            value = self.cleaned_data.get(f"server_{key}")
            if value in (None, ""):
                server.pop(key, None)
            else:
                server[key] = value.strip() if isinstance(value, str) else value
        self.instance.server = server
        return super().save(commit=commit)


class DomainCreateForm(DomainForm):
    """A new domain. ``parents`` limits the parent choices (for non-staff: domains owned
    by one of their teams, and a parent is then required); ``teams`` the owner teams they
    may assign. The slug ``new`` is reserved for the page that creates domains."""

    def __init__(self, *args, parents=None, teams=None, parent_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        if parents is not None:
            self.fields["parent"].queryset = parents
        self.fields["parent"].required = parent_required
        if teams is not None:
            self.fields["owner_team"].queryset = teams
            self.fields["owner_team"].required = parent_required

    def clean_slug(self):
        """Refuse the reserved slug ``new``."""
        slug = self.cleaned_data.get("slug")
        if slug == "new":
            raise forms.ValidationError("“new” is reserved; choose another slug")
        return slug


def form_groups(form) -> list[tuple[str, list]]:
    """The visible fields of ``form`` in order as ``[(legend, [bound fields])]``: runs of
    ungrouped fields (legend ``""``) and, where its first field comes, each group the
    form names in ``ui_groups`` (``((legend, (field names)), ...)``)."""
    grouped = dict(getattr(form, "ui_groups", ()))
    legend_of = {name: legend for legend, names in grouped.items() for name in names}
    visible = {f.name: f for f in form.visible_fields()}
    groups: list[tuple[str, list]] = []
    for field in form.visible_fields():
        legend = legend_of.get(field.name, "")
        if legend:
            if field.name == next(n for n in grouped[legend] if n in visible):
                groups.append((legend, [visible[n] for n in grouped[legend] if n in visible]))
        elif groups and not groups[-1][0]:
            groups[-1][1].append(field)
        else:
            groups.append(("", [field]))
    return groups
