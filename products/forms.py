"""Forms for owners: products, domains, output ports, SLOs, members (inline validation);
teams and their members (staff)."""

from django import forms
from django.contrib.auth import get_user_model

from products.models import (
    SLO,
    DataProduct,
    Domain,
    OutputPort,
    ProductMember,
    Team,
    TeamMembership,
)
from products.odcs import parse_contract
from products.schemas import DescriptorError


class TagsField(forms.CharField):
    """Comma-separated tags ↔ a list of strings."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [t.strip() for t in (value or "").split(",") if t.strip()]


class ProductForm(forms.ModelForm):
    """Create/edit a product; ``owner_team`` limited to teams the editor may assign."""

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

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["owner_team"].queryset = teams
            self.fields["owner_team"].required = True
        if self.instance.pk:
            self.fields["uid"].disabled = True


class DomainForm(forms.ModelForm):
    """Edit a domain; a domain cannot be its own ancestor."""

    class Meta:
        model = Domain
        fields = ["slug", "name", "parent", "owner_team", "description"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent and self.instance.pk and self.instance in parent.path():
            raise forms.ValidationError("a domain cannot sit under itself or its sub-domains")
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
    """An SLO on one of the product's output ports, validated per kind."""

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
        if kind in {"freshness", "completeness"} and not data.get("column"):
            self.add_error("column", f"a {kind} SLO needs a column")
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
