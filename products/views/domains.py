"""Domain pages: the domain tree, one domain with its sub-domains and products, and the
forms that create and edit domains.

Everyone signed in reads. Members of a domain's owner team (and staff) edit it and
create sub-domains under it; only staff create top-level domains. Other users get 403.
Every create and edit is recorded in the domain's history.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from identity.decorators import read_access
from products.forms import DomainCreateForm, DomainForm, form_groups
from products.models import Domain
from products.pages import domain_headers
from products.permissions import (
    can_create_domain,
    can_edit,
    creatable_parents,
    editable_teams,
    is_admin,
    may_move_domain,
)
from products.services import DomainEdit
from products.slo import products_health


def domain_tree(domains=None) -> list[dict]:
    """Domains as a tree: root nodes (no parent) sorted by name, each
    ``{"domain", "children": [nodes], "depth", "products": direct product count,
    "total": products including all sub-domains}``. ``domains`` defaults to all; a
    domain whose parent chain loops (or whose parent is not in ``domains``) becomes a
    root, so every domain appears exactly once."""
    if domains is None:
        domains = Domain.objects.select_related("owner_team").annotate(
            product_count=Count("products")
        )
    domains = list(domains)
    by_pk = {d.pk: d for d in domains}
    children_of: dict[int, list[Domain]] = {}
    for d in domains:
        if d.parent_id in by_pk and d.parent_id != d.pk:
            children_of.setdefault(d.parent_id, []).append(d)
    placed: set[int] = set()

    def by_name(d: Domain) -> str:
        return d.name.lower()

    def build(domain: Domain, depth: int) -> dict:
        placed.add(domain.pk)
        children = [
            build(child, depth + 1)
            for child in sorted(children_of.get(domain.pk, []), key=by_name)
            if child.pk not in placed
        ]
        own = getattr(domain, "product_count", 0)
        return {
            "domain": domain,
            "children": children,
            "depth": depth,
            "products": own,
            "total": own + sum(c["total"] for c in children),
        }

    roots = [build(d, 0) for d in sorted(domains, key=by_name) if d.parent_id not in by_pk]
    for d in sorted(domains, key=by_name):  # parent chains that loop have no root
        if d.pk not in placed:
            roots.append(build(d, 0))
    return sorted(roots, key=lambda n: by_name(n["domain"]))


def flatten_tree(nodes: list[dict]) -> list[dict]:
    """The nodes of :func:`domain_tree` depth first (parents before their children)."""
    flat = []
    for node in nodes:
        flat.append(node)
        flat.extend(flatten_tree(node["children"]))
    return flat


@read_access
def domain_list(request):
    """All domains as a nested tree (parent → sub-domains), each with its owner team and
    product counts (own, and including sub-domains). Everyone signed in; the "New
    domain" button shows for staff and members of a domain's owner team."""
    return render(
        request,
        "products/domain_list.html",
        {"tree": domain_tree(), "can_create": can_create_domain(request.user)},
    )


@read_access
def domain_detail(request, slug: str):
    """A domain: description, owner team, its sub-domains (with product counts) and its
    products with SLO health, and its edit history. Everyone signed in; 404 if unknown.
    Edit and "New sub-domain" show for members of its owner team and staff."""
    domain = get_object_or_404(Domain.objects.select_related("owner_team", "parent"), slug=slug)
    products = domain.products.select_related("owner_team")
    products = list(products)
    health = products_health(products)
    rows = [{"product": p, "health": health[p.pk]} for p in products]
    children = domain.children.select_related("owner_team").annotate(
        product_count=Count("products")
    )
    return render(
        request,
        "products/domain_detail.html",
        {
            "domain": domain,
            "rows": rows,
            "children": children,
            "history": domain.history.select_related("user")[:30],
            "can_edit": can_edit(request.user, domain),
            "can_create": can_create_domain(request.user, domain),
            "domain_headers": domain_headers(),
        },
    )


@login_required
def domain_create(request):
    """Create a domain. Staff create any domain; members of a domain's owner team create
    sub-domains under the domains their teams own (parent and owner team required, the
    owner one of their teams); everyone else gets 403. ``?parent=<slug>`` preselects the
    parent. Invalid input re-renders the form with the errors by their fields."""
    user = request.user
    if not can_create_domain(user):
        raise PermissionDenied("Only staff and members of a domain's owner team may do this.")
    staff = is_admin(user)
    parent = Domain.objects.filter(slug=request.GET.get("parent") or "").first()
    initial = {}
    if parent is not None and can_create_domain(user, parent):
        initial = {"parent": parent.pk, "owner_team": parent.owner_team_id}
    form = DomainCreateForm(
        request.POST or None,
        initial=initial,
        parents=None if staff else creatable_parents(user),
        teams=None if staff else editable_teams(user),
        parent_required=not staff,
    )
    if request.method == "POST" and form.is_valid():
        with DomainEdit(None, user, "create") as change:
            saved = change.obj = form.save()
        messages.success(request, f"Created domain {saved.name}.")
        return redirect("products:domain", slug=saved.slug)
    back = reverse("products:domain", args=[parent.slug]) if parent else reverse("products:domains")
    intro = (
        None
        if staff
        else "You may create sub-domains of the domains your teams own; the new domain's "
        "owner team may edit it."
    )
    return _domain_form(request, form, "New domain", back, intro)


@login_required
def domain_edit(request, slug: str):
    """Edit a domain (members of its owner team and staff; 403 otherwise). A domain
    cannot move under itself or its sub-domains. Recorded in the domain's history."""
    domain = get_object_or_404(Domain, slug=slug)
    change = DomainEdit(domain, request.user, "update")  # 403 unless the owner team or staff
    parent_before = domain.parent_id  # validating the form writes into the instance
    form = DomainForm(request.POST or None, instance=domain)
    if request.method == "POST" and form.is_valid():
        if not may_move_domain(request.user, parent_before, form.cleaned_data.get("parent")):
            form.add_error("parent", "You may only move a domain under a domain your team owns.")
            return _domain_form(
                request, form, f"Edit {domain.name}", reverse("products:domain", args=[slug])
            )
        with change:
            saved = change.obj = form.save()
        return redirect("products:domain", slug=saved.slug)
    back = reverse("products:domain", args=[slug])
    return _domain_form(request, form, f"Edit {domain.name}", back)


def _domain_form(request, form, title: str, back_url: str, intro: str | None = None):
    """Render ``products/form.html`` for a domain form."""

    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "groups": form_groups(form),
            "title": title,
            "back_url": back_url,
            "intro": intro,
            "section": "domains",
        },
    )
