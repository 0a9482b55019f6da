"""Web pages for data products and domains: read for everyone signed in, edit for owners.

Edit views answer 403 to users who are not in the owning team (nor admins); every saved
edit is recorded in the product's history (:mod:`products.history`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from products.checks import run_check
from products.drift import contract_drift
from products.filtersets import ProductFilterSet
from products.forms import DomainForm, MemberForm, OutputPortForm, ProductForm, SLOForm
from products.history import record_edit, snapshot_product
from products.links import product_lineage
from products.models import SLO, DataContract, DataProduct, Domain, OutputPort, ProductMember
from products.odcs import apply_contract, attach_contract
from products.odps import dump_yaml, export_descriptor, resolve_asset
from products.permissions import can_edit, editable_teams
from products.slo import compute_status, history_svg, product_health


def _product_or_403(request, uid: str) -> DataProduct:
    product = get_object_or_404(DataProduct, uid=uid)
    if not can_edit(request.user, product):
        raise PermissionDenied("Only members of the owning team may edit this product.")
    return product


@login_required
def product_list(request):
    """Products filtered by the shared :class:`ProductFilterSet`, with SLO health."""
    filterset = ProductFilterSet(
        request.GET or None,
        queryset=DataProduct.objects.select_related("domain", "owner_team"),
    )
    products = (
        filterset.qs
        if filterset.is_bound and filterset.is_valid()
        else (DataProduct.objects.select_related("domain", "owner_team"))
    )
    rows = [{"product": p, "health": product_health(p)} for p in products[:500]]
    return render(request, "products/product_list.html", {"filter": filterset, "rows": rows})


@login_required
def product_detail(request, uid: str):
    """A product: description, ports, contract drift, SLOs with history, lineage, history."""
    product = get_object_or_404(DataProduct.objects.select_related("domain", "owner_team"), uid=uid)
    ports = []
    for port in product.output_ports.select_related("asset", "data_contract"):
        slos = [
            {"slo": slo, "status": compute_status(slo), "chart": mark_safe(history_svg(slo))}
            for slo in port.slos.all()
        ]
        ports.append({"port": port, "drift": contract_drift(port), "slos": slos})
    context = {
        "product": product,
        "ports": ports,
        "inputs": product.input_ports.select_related("asset", "upstream_product"),
        "members": product.members.all(),
        "lineage": product_lineage(product),
        "history": product.history.select_related("user")[:50],
        "health": product_health(product),
        "can_edit": can_edit(request.user, product),
    }
    return render(request, "products/product_detail.html", context)


@login_required
def product_descriptor(request, uid: str):
    """Download the product as ODPS v1.0.0 YAML."""
    product = get_object_or_404(DataProduct, uid=uid)
    response = HttpResponse(
        dump_yaml(export_descriptor(product)), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{uid}.odps.yaml"'
    return response


@login_required
def contract_document(request, uid: str):
    """Download an ODCS data contract as YAML, exactly as it was stored."""
    contract = get_object_or_404(DataContract, uid=uid)
    response = HttpResponse(
        dump_yaml(contract.document), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{uid}.odcs.yaml"'
    return response


@login_required
def product_edit(request, uid: str | None = None):
    """Create (no uid) or edit a product's fields."""
    product = _product_or_403(request, uid) if uid else None
    teams = editable_teams(request.user)
    before = snapshot_product(product)  # before is_valid(), which mutates the instance
    form = ProductForm(request.POST or None, instance=product, teams=teams)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            record_edit(
                saved,
                request.user,
                "update" if product else "create",
                before,
                snapshot_product(saved),
            )
        messages.success(request, f"Saved {saved.name}.")
        return redirect("products:detail", uid=saved.uid)
    return _form_page(
        request, form, product, f"Edit {product.name}" if product else "New data product"
    )


@login_required
def port_edit(request, uid: str, pk: int | None = None):
    """Add or edit an output port (asset URN, optional ODCS contract)."""
    product = _product_or_403(request, uid)
    port = get_object_or_404(OutputPort, pk=pk, product=product) if pk else None
    form = OutputPortForm(request.POST or None, instance=port)
    if request.method == "POST" and form.is_valid():
        before = snapshot_product(product)
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.product = product
            saved.asset = resolve_asset(saved.asset_urn)
            saved.save()
            contract_doc = form.cleaned_data.get("contract_yaml")
            if contract_doc:
                contract, _ = apply_contract(contract_doc)
                attach_contract(saved, contract)
            record_edit(
                product,
                request.user,
                "edit output port" if port else "add output port",
                before,
                snapshot_product(product),
            )
        return redirect("products:detail", uid=uid)
    return _form_page(request, form, product, f"Output port of {product.name}")


@login_required
def slo_edit(request, uid: str, pk: int | None = None):
    """Add or edit an SLO on one of the product's output ports."""
    product = _product_or_403(request, uid)
    slo = get_object_or_404(SLO, pk=pk, port__product=product) if pk else None
    form = SLOForm(request.POST or None, instance=slo, product=product)
    if request.method == "POST" and form.is_valid():
        before = snapshot_product(product)
        form.save()
        record_edit(
            product,
            request.user,
            "edit slo" if slo else "add slo",
            before,
            snapshot_product(product),
        )
        return redirect("products:detail", uid=uid)
    return _form_page(request, form, product, f"SLO of {product.name}")


@login_required
@require_POST
def slo_check(request, uid: str, pk: int):
    """Run an SLO's live check now (owners only) and show the result."""
    product = _product_or_403(request, uid)
    sample = run_check(get_object_or_404(SLO, pk=pk, port__product=product))
    if sample.error:
        messages.error(request, f"Check failed: {sample.error}")
    else:
        messages.success(
            request, f"Measured {sample.value:g} ({'good' if sample.good else 'bad'})."
        )
    return redirect("products:detail", uid=uid)


@login_required
@require_POST
def slo_delete(request, uid: str, pk: int):
    """Delete an SLO (owners only)."""
    product = _product_or_403(request, uid)
    before = snapshot_product(product)
    get_object_or_404(SLO, pk=pk, port__product=product).delete()
    record_edit(product, request.user, "delete slo", before, snapshot_product(product))
    return redirect("products:detail", uid=uid)


@login_required
def member_add(request, uid: str):
    """Add a typed member (owner, data steward, …) to a product."""
    product = _product_or_403(request, uid)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if product.members.filter(
            username=form.cleaned_data["username"], role=form.cleaned_data["role"]
        ).exists():
            form.add_error("username", "already a member with this role")
        else:
            before = snapshot_product(product)
            member = form.save(commit=False)
            member.product = product
            from django.contrib.auth import get_user_model

            member.user = get_user_model().objects.filter(username=member.username).first()
            member.save()
            record_edit(product, request.user, "add member", before, snapshot_product(product))
            return redirect("products:detail", uid=uid)
    return _form_page(request, form, product, f"Add a member to {product.name}")


@login_required
@require_POST
def member_delete(request, uid: str, pk: int):
    """Remove a product member (owners only)."""
    product = _product_or_403(request, uid)
    before = snapshot_product(product)
    get_object_or_404(ProductMember, pk=pk, product=product).delete()
    record_edit(product, request.user, "remove member", before, snapshot_product(product))
    return redirect("products:detail", uid=uid)


@login_required
def domain_list(request):
    """All domains as a tree (roots first), with product counts."""
    domains = Domain.objects.select_related("parent", "owner_team").prefetch_related("products")
    return render(request, "products/domain_list.html", {"domains": domains})


@login_required
def domain_detail(request, slug: str):
    """A domain: description, owner team, sub-domains and its products with SLO health."""
    domain = get_object_or_404(Domain, slug=slug)
    rows = [{"product": p, "health": product_health(p)} for p in domain.products.all()]
    return render(
        request,
        "products/domain_detail.html",
        {
            "domain": domain,
            "rows": rows,
            "children": domain.children.all(),
            "history": domain.history.select_related("user")[:30],
            "can_edit": can_edit(request.user, domain),
        },
    )


@login_required
def domain_edit(request, slug: str):
    """Edit a domain (owning team members and admins)."""
    domain = get_object_or_404(Domain, slug=slug)
    if not can_edit(request.user, domain):
        raise PermissionDenied("Only members of the owning team may edit this domain.")
    fields = ["slug", "name", "parent", "owner_team", "description"]
    before = {f: str(getattr(domain, f) or "") for f in fields}
    form = DomainForm(request.POST or None, instance=domain)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        after = {f: str(getattr(saved, f) or "") for f in fields}
        record_edit(None, request.user, "update", before, after, domain=saved)
        return redirect("products:domain", slug=saved.slug)
    return render(request, "products/form.html", {"form": form, "title": f"Edit {domain.name}"})


def _form_page(request, form, product, title: str):
    """Render ``products/form.html`` for one of a product's forms."""
    return render(request, "products/form.html", {"form": form, "product": product, "title": title})
