"""Django admin for the mesh: teams (members inline), domains, products (ports and members
inline), contracts, SLOs, and read-only SLI samples and edit history.

Product changes made here are recorded in the product's history like UI edits
(action ``admin update`` / ``create``, user = the admin). Samples and history are
evidence: they can be browsed and filtered, never added or changed (deletion follows the
Django ``delete`` permission so that deleting a product or SLO can cascade).
"""

from django.contrib import admin

from products.models import (
    SLO,
    DataContract,
    DataProduct,
    Domain,
    EditRecord,
    InputPort,
    OutputPort,
    ProductMember,
    SLISample,
    Team,
    TeamMembership,
)
from products.odps import resolve_product_links
from products.services import ProductEdit, TeamEdit


class TeamMembershipInline(admin.TabularInline):
    """Members of a team with their role."""

    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams, searchable by name and slug, with members inline."""

    list_display = ["name", "slug", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]

    @admin.display(description="members")
    def member_count(self, obj: Team) -> int:
        """Number of members (int)."""
        return obj.memberships.count()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Snapshot the team before the form is processed, for the history record."""
        team = Team.objects.filter(pk=object_id).first() if object_id else None
        # the admin's own permissions apply (check=False); the edit records the history
        request._team_edit = TeamEdit(team, request.user, "admin update", check=False)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change) -> None:
        """Save the members, then record the edit in the team's history."""
        super().save_related(request, form, formsets, change)
        edit = getattr(request, "_team_edit", None) or TeamEdit(None, request.user, "", check=False)
        edit.obj, edit.action = form.instance, "admin update" if change else "create"
        edit.summary = "edited in the admin" if change else "created in the admin"
        if not change:
            edit.before = {}
        edit.finish()


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    """Domains with parent and owner team."""

    list_display = ["name", "slug", "parent", "owner_team"]
    list_filter = ["owner_team"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "owner_team"]


class ProductMemberInline(admin.TabularInline):
    """Typed members of a product (ODPS ``team.members``)."""

    model = ProductMember
    extra = 0
    fields = ["username", "name", "role", "user"]
    autocomplete_fields = ["user"]


class InputPortInline(admin.StackedInline):
    """What the product consumes."""

    model = InputPort
    fk_name = "product"
    extra = 0
    fields = ["name", "version", "contract_id", "asset_urn", "upstream_product"]
    autocomplete_fields = ["upstream_product"]


class OutputPortInline(admin.StackedInline):
    """What the product publishes; the asset binding is resolved from ``asset_urn``."""

    model = OutputPort
    extra = 0
    fields = ["name", "version", "type", "description", "asset_urn", "data_contract", "server"]
    autocomplete_fields = ["data_contract"]
    show_change_link = True


@admin.register(DataProduct)
class DataProductAdmin(admin.ModelAdmin):
    """Data products with members and ports inline; saves are recorded in history."""

    list_display = ["name", "uid", "domain", "owner_team", "status", "version"]
    list_filter = ["status", "domain", "owner_team"]
    search_fields = ["name", "uid", "purpose"]
    autocomplete_fields = ["domain", "owner_team"]
    readonly_fields = ["descriptor", "created_at", "updated_at"]
    inlines = [ProductMemberInline, OutputPortInline, InputPortInline]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Snapshot the product before the form is processed, for the history record."""
        product = DataProduct.objects.filter(pk=object_id).first() if object_id else None
        # the admin's own permissions apply (check=False); the edit records the history
        request._product_edit = ProductEdit(product, request.user, "admin update", check=False)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change) -> None:
        """Save inlines, resolve port assets, then record the edit in the product history."""
        super().save_related(request, form, formsets, change)
        resolve_product_links()
        edit = getattr(request, "_product_edit", None)
        edit = edit or ProductEdit(None, request.user, "", check=False)
        edit.obj, edit.action = form.instance, "admin update" if change else "create"
        edit.summary = "edited in the admin" if change else "created in the admin"
        if not change:
            edit.before = {}
        edit.finish()


@admin.register(OutputPort)
class OutputPortAdmin(admin.ModelAdmin):
    """Output ports with their SLOs' product; mostly reached from the product page."""

    list_display = ["__str__", "type", "asset_urn", "data_contract"]
    search_fields = ["name", "asset_urn", "product__name"]
    list_select_related = ["product", "data_contract"]
    autocomplete_fields = ["product", "data_contract"]
    readonly_fields = ["asset"]


@admin.register(DataContract)
class DataContractAdmin(admin.ModelAdmin):
    """ODCS contracts; ``document`` is the whole contract (edit it as JSON)."""

    list_display = ["name", "uid", "version", "api_version", "status", "updated_at"]
    list_filter = ["api_version", "status"]
    search_fields = ["name", "uid"]


@admin.register(SLO)
class SLOAdmin(admin.ModelAdmin):
    """SLOs with their port, kind and objective."""

    list_display = ["name", "port", "kind", "objective", "window_days", "threshold", "enabled"]
    list_filter = ["kind", "enabled", "origin"]
    search_fields = ["name", "port__name", "port__product__name"]
    list_select_related = ["port__product"]
    autocomplete_fields = ["port"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse-only: no add, no change. Delete follows the Django ``delete`` permission,
    so deleting an SLO or product (which cascades to its samples/history) still works."""

    def has_add_permission(self, request) -> bool:
        """Never: rows are written by checks, harvests and edits."""
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        """Never (viewing needs the ``view`` permission)."""
        return False


@admin.register(SLISample)
class SLISampleAdmin(ReadOnlyAdmin):
    """SLI samples (value in the kind's unit), newest first."""

    list_display = ["observed_at", "slo", "value", "good", "error", "origin"]
    list_filter = ["good", "slo__kind", "origin"]
    search_fields = ["slo__name", "slo__port__product__name", "origin"]
    list_select_related = ["slo"]
    date_hierarchy = "observed_at"


@admin.register(EditRecord)
class EditRecordAdmin(ReadOnlyAdmin):
    """Who changed what, when (``changes`` = ``{field: [old, new]}``)."""

    list_display = ["at", "product", "domain", "user", "action", "summary"]
    list_filter = ["action"]
    search_fields = ["product__name", "domain__name", "summary", "user__username"]
    list_select_related = ["product", "domain", "user"]
    date_hierarchy = "at"
