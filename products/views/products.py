"""Web pages for data products: read for everyone signed in, edit for owners.

Edit views answer 403 to users who are not in the owning team (nor admins); every saved
edit is recorded in the product's history (:mod:`products.history`). Domain pages are in
:mod:`products.domain_views`, team pages in :mod:`products.team_views`.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from identity.decorators import read_access
from products.checks import run_check
from products.drift import contract_drift
from products.filtersets import ProductFilterSet, extra_controls
from products.forms import (
    DESCRIPTION_PROPERTY,
    InputPortForm,
    MemberForm,
    OutputPortDetailsForm,
    ProductForm,
    SLOForm,
    form_groups,
)
from products.links import product_lineage
from products.models import (
    SLO,
    DataContract,
    DataProduct,
    InputPort,
    OutputPort,
    ProductMember,
    ProductStatus,
    SLISample,
    Team,
)
from products.odcs import apply_contract, attach_contract
from products.odps import (
    custom_property,
    dump_yaml,
    export_descriptor,
    resolve_asset,
    resolve_product_links,
)
from products.pages import port_sections, product_badges, product_headers
from products.permissions import can_edit, editable_teams, is_admin
from products.services import PRODUCT_DENIED, ProductEdit
from products.slo import (
    HEALTH_ORDER,
    compute_status,
    history_svg,
    products_health,
    window_samples,
)
from products.slo_text import check_message
from products.views.domains import domain_tree, flatten_tree


def _product_or_403(request, uid: str) -> DataProduct:
    """The product ``uid`` if the user may edit it; 404 if unknown, 403 otherwise."""
    product = get_object_or_404(DataProduct, uid=uid)
    if not can_edit(request.user, product):
        raise PermissionDenied(PRODUCT_DENIED)
    return product


class ProductListFilterSet(ProductFilterSet):
    """The product list's filters: :class:`ProductFilterSet` (same filtering as the API)
    with domain, owner and status as selects of the values in the database (domains in
    tree order, owner teams) and tag as a text box suggesting the tags in use. An owner
    value that is not a team slug (a member's username from a shared link) is kept as
    an extra choice so the link still filters."""

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        fields = self.form.fields
        domains = [
            (node["domain"].slug, "\u2003" * node["depth"] + node["domain"].name)
            for node in flatten_tree(domain_tree())
        ]
        owners = list(Team.objects.values_list("slug", "name"))
        wanted = (data or {}).get("owner")
        if wanted and wanted not in {slug for slug, _ in owners}:
            owners.append((wanted, wanted))
        fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "placeholder": "Name or purpose"}
        )
        fields["domain"] = forms.ChoiceField(
            label="Domain", required=False, choices=[("", "All domains"), *domains]
        )
        fields["owner"] = forms.ChoiceField(
            label="Owner team", required=False, choices=[("", "All teams"), *owners]
        )
        fields["status"] = forms.ChoiceField(
            label="Status", required=False, choices=[("", "Any status"), *ProductStatus.choices]
        )
        fields["tag"].widget = forms.TextInput(
            attrs={"list": "tag-options", "autocomplete": "off", "placeholder": "Any tag"}
        )
        for name, (label, empty, choices) in extra_controls().items():
            options = list(choices())
            value = (data or {}).get(name)
            if value and value not in {v for v, _ in options}:  # a shared link: keep it
                options.append((value, f"{value} (unknown)"))
            fields[name] = forms.ChoiceField(
                label=label, required=False, choices=[("", empty), *options]
            )


def _no_team(user) -> bool:
    """Whether ``user`` cannot own a product: not staff and in no team."""
    return not is_admin(user) and not editable_teams(user).exists()


@read_access
def product_list(request):
    """All data products (up to 500), filtered by domain, owner team, status, tag and
    text (:class:`ProductListFilterSet`), with their SLO health. Everyone signed in.

    The "New data product" button shows for staff and members of a team; others get a
    note on how to join one. Invalid filter values show every product.
    """
    base = DataProduct.objects.select_related("domain", "owner_team")
    filterset = ProductListFilterSet(request.GET or None, queryset=base)
    products = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    products = list(products[:500])
    health = products_health(products)
    badges = product_badges(p.pk for p in products)
    rows = [{"product": p, "health": health[p.pk], "badges": badges[p.pk]} for p in products]
    tags = sorted({t for tags in DataProduct.objects.values_list("tags", flat=True) for t in tags})
    context = {
        "filter": filterset,
        "rows": rows,
        "tags": tags,
        "filtered": any(request.GET.get(k) for k in filterset.form.fields),
        "no_team": _no_team(request.user),
        "no_teams_at_all": not Team.objects.exists(),
    }
    return render(request, "products/product_list.html", context)


def _health(slos, samples: dict, now) -> dict:
    """:func:`products.slo.product_health` from SLOs and samples already read."""
    counts: dict[str, int] = {}
    for slo in slos:
        if slo.enabled:
            state = compute_status(slo, now, samples=samples[slo.pk]).state
            counts[state] = counts.get(state, 0) + 1
    return {"state": next((s for s in HEALTH_ORDER if counts.get(s)), "none"), "counts": counts}


@read_access
def product_detail(request, uid: str):
    """A product: description, output ports (asset, server, contract drift, SLOs with
    history charts), input ports, product lineage, members and edit history. Everyone
    signed in; edit controls only for owners (members of the owning team) and staff.
    404 for an unknown id."""
    product = get_object_or_404(DataProduct.objects.select_related("domain", "owner_team"), uid=uid)
    now = timezone.now()
    output_ports = list(
        product.output_ports.select_related("asset", "data_contract").prefetch_related(
            "slos", "asset__fields"
        )
    )
    all_slos = [slo for port in output_ports for slo in port.slos.all()]
    samples = window_samples(all_slos, now)  # one query for every chart and status
    ports = []
    for port in output_ports:
        slos = [
            {
                "slo": slo,
                "status": compute_status(slo, now, samples=samples[slo.pk]),
                "chart": mark_safe(history_svg(slo, now, samples=samples[slo.pk])),
            }
            for slo in port.slos.all()
        ]
        ports.append({"port": port, "drift": contract_drift(port), "slos": slos})
    inputs = [
        {"port": p, "description": custom_property(p.extra, DESCRIPTION_PROPERTY)}
        for p in product.input_ports.select_related("asset", "upstream_product")
    ]
    context = {
        "product": product,
        "ports": ports,
        "inputs": inputs,
        "members": product.members.all(),
        "lineage": product_lineage(product),
        "history": product.history.select_related("user")[:50],
        "health": _health(all_slos, samples, now),
        "can_edit": can_edit(request.user, product),
        "port_sections": port_sections(),
        "product_headers": product_headers(),
        "badges": product_badges([product.pk])[product.pk],
    }
    return render(request, "products/product_detail.html", context)


@read_access
def product_descriptor(request, uid: str):
    """Download the product as ODPS v1.0.0 YAML (everyone signed in; 404 if unknown)."""
    product = get_object_or_404(DataProduct, uid=uid)
    response = HttpResponse(
        dump_yaml(export_descriptor(product)), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{uid}.odps.yaml"'
    return response


@read_access
def contract_document(request, uid: str):
    """Download an ODCS data contract as YAML, exactly as it was stored (everyone signed
    in; 404 if unknown)."""
    contract = get_object_or_404(DataContract, uid=uid)
    response = HttpResponse(
        dump_yaml(contract.document), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{uid}.odcs.yaml"'
    return response


@login_required
def product_edit(request, uid: str | None = None):
    """Create (no uid) or edit a product's fields.

    Editing: owners and staff (403 otherwise). Creating: staff and members of a team,
    who pick one of their teams as owner; a user in no team gets a 403 page explaining
    how to get one. Invalid input re-renders the form with the errors by their fields.
    """
    product = _product_or_403(request, uid) if uid else None
    if product is None and _no_team(request.user):
        return render(
            request,
            "products/form.html",
            {"title": "New data product", "no_team": True, "back_url": reverse("products:list")},
            status=403,
        )
    teams = editable_teams(request.user)
    # the edit snapshots the product before is_valid(), which mutates the instance
    change = ProductEdit(product, request.user, "update" if product else "create")
    form = ProductForm(request.POST or None, instance=product, teams=teams, user=request.user)
    if request.method == "POST" and form.is_valid():
        with change:
            saved = change.obj = form.save()
        messages.success(request, f"Saved {saved.name}.")
        return redirect("products:detail", uid=saved.uid)
    return _form_page(
        request, form, product, f"Edit {product.name}" if product else "New data product"
    )


@login_required
def port_edit(request, uid: str, pk: int | None = None):
    """Add or edit an output port: name, type, asset URN, server details and an optional
    ODCS contract (whose SLAs seed SLOs). Owners and staff only (403); 404 for a port of
    another product. Recorded in the product's history."""
    product = _product_or_403(request, uid)
    port = get_object_or_404(OutputPort, pk=pk, product=product) if pk else None
    form = OutputPortDetailsForm(request.POST or None, instance=port)
    if request.method == "POST" and form.is_valid():
        with ProductEdit(product, request.user, "edit output port" if port else "add output port"):
            saved = form.save(commit=False)
            saved.product = product
            saved.asset = resolve_asset(saved.asset_urn)
            saved.save()
            contract_doc = form.cleaned_data.get("contract_yaml")
            if contract_doc:
                contract, _ = apply_contract(contract_doc)
                attach_contract(saved, contract)
        return redirect("products:detail", uid=uid)
    title = f"Output port {port.name}" if port else f"New output port of {product.name}"
    return _form_page(request, form, product, title)


@login_required
def port_delete(request, uid: str, pk: int):
    """Delete an output port with its SLOs and their samples. GET shows what goes, POST
    deletes. Owners and staff only (403); 404 for a port of another product. Recorded
    in the product's history."""
    product = _product_or_403(request, uid)
    port = get_object_or_404(OutputPort, pk=pk, product=product)
    if request.method == "POST":
        with ProductEdit(product, request.user, "delete output port"):
            port.delete()
        messages.success(request, f"Deleted output port {port.name}.")
        return redirect("products:detail", uid=uid)
    slos = port.slos.count()
    samples = SLISample.objects.filter(slo__port=port).count()
    return render(
        request,
        "products/confirm_delete.html",
        {
            "product": product,
            "title": f"Delete output port {port.name}?",
            "consequences": [
                f"{slos} SLO{'s' if slos != 1 else ''} and {samples} "
                f"sample{'s' if samples != 1 else ''} of their history are deleted too.",
                "The published asset stays in the catalog; only its binding to this product goes.",
            ],
        },
    )


def _input_label(port: InputPort) -> str:
    """How an input port reads in the history: ``name version ← source: description``."""
    source = (
        f"{port.upstream_product.uid} (contract {port.contract_id})"
        if port.upstream_product_id
        else port.asset_urn or port.contract_id or "-"
    )
    description = custom_property(port.extra, DESCRIPTION_PROPERTY)
    label = f"{port.name} {port.version}".strip() + f" <- {source}"
    return f"{label}: {description}" if description else label


@login_required
def input_port_edit(request, uid: str, pk: int | None = None):
    """Add or edit an input port: name, version, upstream product port and/or asset URN,
    description. Owners and staff only (403); 404 for a port of another product. The
    edit (source and description included) is recorded in the product's history."""
    product = _product_or_403(request, uid)
    port = get_object_or_404(InputPort, pk=pk, product=product) if pk else None
    change = ProductEdit(product, request.user, "edit input port" if port else "add input port")
    if port is not None:
        change.before[f"input port {port.name}"] = _input_label(port)
    form = InputPortForm(request.POST or None, instance=port, product=product)
    if request.method == "POST" and form.is_valid():
        with change:
            saved = form.save(commit=False)
            saved.asset = resolve_asset(saved.asset_urn)
            saved.save()
            resolve_product_links()
            saved.refresh_from_db()
            change.after[f"input port {saved.name}"] = _input_label(saved)
        messages.success(request, f"Saved input port {saved.name}.")
        return redirect(f"{reverse('products:detail', args=[uid])}#inputs")
    title = f"Input port {port.name}" if port else f"New input port of {product.name}"
    return _form_page(request, form, product, title)


@login_required
@require_POST
def input_port_delete(request, uid: str, pk: int):
    """Delete an input port (POST; owners and staff only, 403 otherwise; 404 for a port
    of another product). Recorded in the product's history."""
    product = _product_or_403(request, uid)
    port = get_object_or_404(InputPort, pk=pk, product=product)
    with ProductEdit(product, request.user, "delete input port") as change:
        change.before[f"input port {port.name}"] = _input_label(port)
        port.delete()
    messages.success(request, f"Deleted input port {port.name}.")
    return redirect(f"{reverse('products:detail', args=[uid])}#inputs")


@login_required
def slo_edit(request, uid: str, pk: int | None = None):
    """Add or edit an SLO on one of the product's output ports (owners and staff; 403
    otherwise). Per-kind problems are shown next to their fields."""
    product = _product_or_403(request, uid)
    slo = get_object_or_404(SLO, pk=pk, port__product=product) if pk else None
    form = SLOForm(request.POST or None, instance=slo, product=product)
    if request.method == "POST" and form.is_valid():
        with ProductEdit(product, request.user, "edit slo" if slo else "add slo"):
            form.save()
        return redirect("products:detail", uid=uid)
    return _form_page(request, form, product, f"SLO of {product.name}")


@login_required
@require_POST
def slo_check(request, uid: str, pk: int):
    """Run an SLO's live check now (POST; owners and staff, 403 otherwise) and show the
    measured value, or why the check failed, as a message on the product page."""
    product = _product_or_403(request, uid)
    sample = run_check(get_object_or_404(SLO, pk=pk, port__product=product))
    if sample.error:
        messages.error(request, f"Check failed: {sample.error}")
    else:
        messages.success(request, check_message(sample.slo, sample))
    return redirect("products:detail", uid=uid)


@login_required
@require_POST
def slo_delete(request, uid: str, pk: int):
    """Delete an SLO (POST; owners and staff, 403 otherwise). Recorded in the history."""
    product = _product_or_403(request, uid)
    with ProductEdit(product, request.user, "delete slo"):
        get_object_or_404(SLO, pk=pk, port__product=product).delete()
    return redirect("products:detail", uid=uid)


@login_required
def member_add(request, uid: str):
    """Add a typed member (owner, data steward, …) to a product (owners and staff; 403
    otherwise). The same username twice in one role is refused next to the field."""
    product = _product_or_403(request, uid)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if product.members.filter(
            username=form.cleaned_data["username"], role=form.cleaned_data["role"]
        ).exists():
            form.add_error("username", "already a member with this role")
        else:
            with ProductEdit(product, request.user, "add member"):
                member = form.save(commit=False)
                member.product = product
                member.user = get_user_model().objects.filter(username=member.username).first()
                member.save()
            return redirect("products:detail", uid=uid)
    return _form_page(request, form, product, f"Add a member to {product.name}")


@login_required
@require_POST
def member_delete(request, uid: str, pk: int):
    """Remove a product member (POST; owners and staff, 403 otherwise)."""
    product = _product_or_403(request, uid)
    with ProductEdit(product, request.user, "remove member"):
        get_object_or_404(ProductMember, pk=pk, product=product).delete()
    return redirect("products:detail", uid=uid)


def _form_page(request, form, product, title: str):
    """Render ``products/form.html`` for one of a product's forms."""
    back = reverse("products:detail", args=[product.uid]) if product else reverse("products:list")
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "groups": form_groups(form),
            "product": product,
            "title": title,
            "back_url": back,
        },
    )
