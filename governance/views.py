"""Governance web pages: the asset page's curation forms, the glossary pages.

Writes go through :mod:`governance.curation` and :mod:`governance.glossary`; bad input
comes back as a message naming the item, never a stack trace."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalog.models import Asset
from governance import curation, glossary
from governance.errors import Forbidden, GovernanceError
from governance.models import GlossaryTerm, TermGroup
from governance.permissions import is_steward
from identity.decorators import read_access


def _names(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _owner_lines(text: str) -> list[dict]:
    owners = []
    for line in (text or "").splitlines():
        parts = line.split()
        if parts:
            owners.append({"name": parts[0], **({"type": parts[1]} if len(parts) > 1 else {})})
    return owners


def form_to_request(asset: Asset, post) -> dict:
    """The curation request of the asset page's forms (see :func:`curation.validate`).

    Asset form: ``description`` (text equal to the harvested one, or the
    ``revert_description`` box, removes the curated value), ``tags`` and ``terms``
    (comma-separated), ``owners`` (lines ``name [type]``), ``hide_owner`` check boxes
    (``name|type`` of each harvested owner to hide, read when the form sends
    ``hidden_owners_form``). Column form (``scope=columns``):
    ``col:<name>:description`` (empty: harvested), ``col:<name>:tags``, ``col:<name>:terms``."""
    if post.get("scope") == "columns":
        fields = {}
        for f in asset.fields.all():
            prefix = f"col:{f.name}:"
            if prefix + "description" not in post:
                continue
            text = post.get(prefix + "description", "").strip()
            fields[f.name] = {
                "description": None if not text or text == f.description.strip() else text,
                "tags": _names(post.get(prefix + "tags", "")),
                "terms": _names(post.get(prefix + "terms", "")),
            }
        return {"fields": fields}
    text = post.get("description", "").replace("\r\n", "\n")
    revert = post.get("revert_description") or text.strip() == asset.description.strip()
    hidden = {}
    if post.get("hidden_owners_form"):  # the form lists the harvested owners
        pairs = (v.partition("|") for v in post.getlist("hide_owner"))
        hidden = {"hidden_owners": [{"name": n, "type": t} for n, _, t in pairs if n]}
    return hidden | {
        "sensitivity": post.get("sensitivity") or None,
        "description": None if revert else text,
        "tags": _names(post.get("tags", "")),
        "owners": _owner_lines(post.get("owners", "")),
        "terms": _names(post.get("terms", "")),
    }


@require_POST
@login_required
def curate_asset(request: HttpRequest) -> HttpResponse:
    """``POST /governance/curate``: save the asset page's curation form, back to the page
    (403 for users who may not curate the asset)."""
    asset = get_object_or_404(Asset, urn=request.POST.get("urn", ""))
    try:
        changes = curation.curate(asset, request.user, form_to_request(asset, request.POST))
    except Forbidden as exc:
        return HttpResponseForbidden(str(exc))
    except GovernanceError as exc:
        for item, reasons in exc.errors.items():
            messages.error(request, f"{item}: {' '.join(reasons)}")
    else:
        messages.success(request, f"Saved {len(changes)} change{'s' if len(changes) != 1 else ''}.")
    return redirect(reverse("catalog:asset", args=[asset.urn]))


@require_POST
@login_required
def decide_class(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /governance/classes/<id>/decide`` with ``decision=accept|reject``: a
    steward's or owner's decision on a proposed class; back to the Classification tab."""
    from governance.classification import decide
    from governance.models import ColumnClass

    proposal = get_object_or_404(ColumnClass.objects.select_related("asset", "data_class"), pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("accept", "reject"):
        messages.error(request, "decision: accept or reject")
    else:
        try:
            decide(proposal, request.user, decision == "accept")
        except Forbidden as exc:
            return HttpResponseForbidden(str(exc))
        except GovernanceError as exc:
            for item, reasons in exc.errors.items():
                messages.error(request, f"{item}: {' '.join(reasons)}")
        else:
            messages.success(
                request, f"{proposal.field_name}: {proposal.data_class.name} {decision}ed."
            )
    return redirect(reverse("catalog:asset", args=[proposal.asset.urn]) + "?tab=classification")


@read_access
def glossary_home(request: HttpRequest) -> HttpResponse:
    """``GET /glossary/``: groups as a tree with their terms; ``?q=`` filters by name or
    synonym; stewards get the import form."""
    q = (request.GET.get("q") or "").strip().lower()
    terms = list(GlossaryTerm.objects.select_related("group"))
    if q:
        terms = [t for t in terms if q in t.name.lower() or any(q in s.lower() for s in t.synonyms)]
    groups = list(TermGroup.objects.all())
    by_group: dict = {}
    for t in terms:
        by_group.setdefault(t.group_id, []).append(t)
    tree = []

    def walk(parent_id, depth):
        for g in groups:
            if g.parent_id == parent_id and depth < 20:
                tree.append({"group": g, "depth": depth, "terms": by_group.get(g.pk, [])})
                walk(g.pk, depth + 1)

    walk(None, 0)
    return render(
        request,
        "governance/glossary.html",
        {
            "tree": tree,
            "ungrouped": by_group.get(None, []),
            "q": request.GET.get("q", ""),
            "count": len(terms),
            "steward": is_steward(request.user),
        },
    )


@read_access
def term_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """``GET /glossary/terms/<slug>/``: definition, synonyms, owners, status, related
    terms and the linked assets, columns and products (with provenance)."""
    term = get_object_or_404(
        GlossaryTerm.objects.select_related("group").prefetch_related("related"), slug=slug
    )
    return render(
        request,
        "governance/term.html",
        {
            "term": term,
            "links": glossary.linked_assets(term),
            "path": term.group.path() if term.group else [],
        },
    )


@require_POST
@login_required
def glossary_import(request: HttpRequest) -> HttpResponse:
    """``POST /glossary/import``: a CSV or YAML file (stewards, admins)."""
    if not is_steward(request.user):
        return HttpResponseForbidden("Only stewards and admins may import the glossary.")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "file: choose a CSV or YAML file")
        return redirect("governance:glossary")
    fmt = "csv" if upload.name.lower().endswith(".csv") else "yaml"
    try:
        result = glossary.import_terms(
            glossary.parse(upload.read().decode("utf-8", "replace"), fmt)
        )
    except GovernanceError as exc:
        for item, reasons in exc.errors.items():
            messages.error(request, f"{item}: {' '.join(reasons)}")
    else:
        messages.success(
            request, f"Imported: {result['created']} created, {result['updated']} updated."
        )
    return redirect("governance:glossary")


@read_access
def glossary_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """``GET /glossary/export.<csv|yaml>``: the whole glossary as a download."""
    if fmt not in ("csv", "yaml"):
        raise Http404("export as glossary.csv or glossary.yaml")
    rows = glossary.export_terms()
    body = glossary.to_csv(rows) if fmt == "csv" else glossary.to_yaml(rows)
    response = HttpResponse(body, content_type="text/csv" if fmt == "csv" else "application/yaml")
    response["Content-Disposition"] = f'attachment; filename="glossary.{fmt}"'
    return response


@read_access
def scorecards(request: HttpRequest) -> HttpResponse:
    """``GET /scorecards/``: every domain's and product's score, the policies with how
    many products fail each (linking to the product list filtered ``?failing=``)."""
    from governance.policies import policies
    from governance.scorecards import all_scorecards, domain_scorecard
    from products.models import Domain

    cards = all_scorecards()
    domains = [domain_scorecard(d, cards) for d in Domain.objects.filter(parent=None)]
    failing = {p.name: 0 for p in policies()}
    for c in cards:
        for r in c["results"]:
            if r["passed"] is False:
                failing[r["policy"]] += 1
    return render(
        request,
        "governance/scorecards.html",
        {
            "cards": cards,
            "domains": domains,
            "policies": [(p, failing[p.name]) for p in policies()],
        },
    )


@read_access
def product_scorecard(request: HttpRequest, uid: str) -> HttpResponse:
    """``GET /scorecards/products/<uid>/``: the product's policies, what to fix, trend."""
    from governance.scorecards import _products, trend
    from governance.scorecards import product_scorecard as card_of

    product = get_object_or_404(_products(), uid=uid)
    return render(
        request,
        "governance/scorecard.html",
        {"card": card_of(product), "product": product, "trend": _bars(trend("product", uid))},
    )


@read_access
def domain_scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    """``GET /scorecards/domains/<slug>/``: the domain's products and failing policies."""
    from governance.scorecards import domain_scorecard as card_of
    from governance.scorecards import trend
    from products.models import Domain

    domain = get_object_or_404(Domain, slug=slug)
    return render(
        request,
        "governance/domain_scorecard.html",
        {"card": card_of(domain), "domain": domain, "trend": _bars(trend("domain", slug))},
    )


def _bars(points: list[dict]) -> list[dict]:
    """Trend points with a ``bar`` height (percent) for the template's bar chart."""
    return [{**p, "bar": round(p["score"] or 0)} for p in points]
