"""The business glossary service: terms, groups, links, import/export, search feed.

Every write of terms, groups and links goes through here (API, pages, admin, the
``glossary`` command). Terms are found by name, slug or synonym (case-insensitive).
"""

import csv
import io

import yaml
from django.db import transaction
from django.utils.text import slugify

from catalog.models import Asset
from catalog.outbox import reindex_assets
from governance.errors import GovernanceError
from governance.models import GlossaryTerm, TermGroup, TermLink, TermStatus

EXPORT_COLUMNS = ["name", "slug", "group", "status", "definition", "synonyms", "owners", "related"]


def find_term(name: str) -> GlossaryTerm | None:
    """The term whose name, slug or synonym is ``name`` (case-insensitive), or None."""
    key = name.strip().lower()
    for term in GlossaryTerm.objects.all():
        if key in {term.name.lower(), term.slug} | {s.lower() for s in term.synonyms}:
            return term
    return None


def resolve_terms(value, item: str, errors: dict) -> list[GlossaryTerm]:
    """Term names (or slugs, synonyms) → terms; unknown ones are reported under ``item``
    (``unknown term 'X'``)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        errors.setdefault(item, []).append("must be a list of glossary term names")
        return []
    by_key = {}
    for term in GlossaryTerm.objects.all():
        for key in {term.name.lower(), term.slug, *(s.lower() for s in term.synonyms)}:
            by_key.setdefault(key, term)
    terms = []
    for name in value:
        term = by_key.get(name.strip().lower())
        if term is None:
            errors.setdefault(item, []).append(f"unknown term {name!r}")
        elif term not in terms:
            terms.append(term)
    return terms


def set_links(asset: Asset, field_name: str, terms: list[GlossaryTerm]) -> tuple[list, list]:
    """Make the direct (not propagated) term links of ``asset`` (column ``field_name``,
    ``""`` for the asset) exactly ``terms``; returns ``(old names, new names)``. Links
    propagated from a removed one go with it (cascade)."""
    direct = TermLink.objects.filter(asset=asset, field_name=field_name, propagated_from=None)
    old = sorted(direct.values_list("term__name", flat=True))
    wanted = {t.pk for t in terms}
    direct.exclude(term_id__in=wanted).delete()
    have = set(direct.values_list("term_id", flat=True))
    # a propagated link of the same term becomes a direct one
    TermLink.objects.filter(asset=asset, field_name=field_name, term_id__in=wanted).exclude(
        propagated_from=None
    ).delete()
    TermLink.objects.bulk_create(
        [TermLink(term_id=pk, asset=asset, field_name=field_name) for pk in wanted - have]
    )
    return old, sorted(t.name for t in terms)


def link_product(term: GlossaryTerm, product_uid: str) -> TermLink:
    """Attach ``term`` to the data product ``product_uid`` (idempotent)."""
    return TermLink.objects.get_or_create(term=term, asset=None, product_uid=product_uid)[0]


def _clean_list(value, item: str, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v.strip() for v in value.split("|")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(item, []).append("must be a list of strings")
        return []
    return [v.strip() for v in value if v.strip()]


def save_term(data: dict, term: GlossaryTerm | None = None) -> GlossaryTerm:
    """Create (``term`` None) or update a term from ``{"name", "definition", "synonyms",
    "owners", "status", "group" (slug or name path), "related" (names), "products" (data
    product uids the term is attached to)}``; on update missing
    keys keep their values. A group named but missing is created. Raises
    :class:`GovernanceError` naming bad items (unknown related term, status...)."""
    errors: dict[str, list[str]] = {}
    name = data.get("name", term.name if term else None)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors.setdefault("name", []).append("required, 1 to 200 characters")
        raise GovernanceError(errors)
    name = name.strip()
    clash = GlossaryTerm.objects.filter(name__iexact=name).exclude(pk=term.pk if term else None)
    if clash.exists():
        errors.setdefault("name", []).append(f"a term named {name!r} exists")
    status = data.get("status", term.status if term else TermStatus.DRAFT) or TermStatus.DRAFT
    if status not in TermStatus.values:
        errors.setdefault("status", []).append(
            f"unknown status {status!r} (use {', '.join(TermStatus.values)})"
        )
    definition = data.get("definition", term.definition if term else "") or ""
    if not isinstance(definition, str):
        errors.setdefault("definition", []).append("must be a string (Markdown)")
    synonyms = _clean_list(data.get("synonyms", term.synonyms if term else []), "synonyms", errors)
    owners = _clean_list(data.get("owners", term.owners if term else []), "owners", errors)
    related = None
    if "related" in data:
        names = _clean_list(data["related"], "related", errors)
        related = resolve_terms(names, "related", errors)
    products = None
    if "products" in data:
        from products.models import DataProduct

        products = _clean_list(data["products"], "products", errors)
        known = set(DataProduct.objects.filter(uid__in=products).values_list("uid", flat=True))
        for uid in products:
            if uid not in known:
                errors.setdefault("products", []).append(f"unknown data product {uid!r}")
    group = term.group if term else None
    if "group" in data:
        group = _group(data["group"], errors)
    if errors:
        raise GovernanceError(errors)
    with transaction.atomic():
        if term is None:
            term = GlossaryTerm(slug=_free_slug(name))
        term.name, term.status, term.definition = name, status, definition
        term.synonyms, term.owners, term.group = synonyms, owners, group
        term.save()
        if related is not None:
            term.related.set([t for t in related if t.pk != term.pk])
        if products is not None:
            term.links.filter(asset=None).exclude(product_uid__in=products).delete()
            for uid in products:
                link_product(term, uid)
        reindex_assets(set(term.links.exclude(asset=None).values_list("asset_id", flat=True)))
    return term


def _free_slug(name: str) -> str:
    base = slugify(name)[:90] or "term"
    slug, n = base, 2
    while GlossaryTerm.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _group(value, errors: dict) -> TermGroup | None:
    """A group by slug or name path (``Finance/Revenue``), created when missing."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.setdefault("group", []).append(
            "must be a group slug or a path like 'Finance/Revenue'"
        )
        return None
    parent = None
    for part in [p.strip() for p in value.split("/") if p.strip()]:
        found = (
            TermGroup.objects.filter(slug=part).first()
            or TermGroup.objects.filter(name__iexact=part, parent=parent).first()
        )
        if found is None:
            slug, base, n = slugify(part)[:90] or "group", slugify(part)[:90] or "group", 2
            while TermGroup.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            found = TermGroup.objects.create(slug=slug, name=part, parent=parent)
        parent = found
    return parent


def delete_term(term: GlossaryTerm) -> None:
    """Delete ``term`` and its links (the linked assets are re-indexed)."""
    with transaction.atomic():
        reindex_assets(set(term.links.exclude(asset=None).values_list("asset_id", flat=True)))
        term.delete()


def group_path(group: TermGroup | None) -> str:
    """``Finance/Revenue`` for a nested group, ``""`` for none."""
    return "/".join(g.name for g in group.path()) if group else ""


def export_terms() -> list[dict]:
    """Every term as ``{name, slug, group (path), status, definition, synonyms, owners,
    related}`` (lists of strings), sorted by name."""
    terms = GlossaryTerm.objects.select_related("group").prefetch_related("related")
    return [
        {
            "name": t.name,
            "slug": t.slug,
            "group": group_path(t.group),
            "status": t.status,
            "definition": t.definition,
            "synonyms": list(t.synonyms),
            "owners": list(t.owners),
            "related": sorted(r.name for r in t.related.all()),
        }
        for t in terms
    ]


def to_yaml(rows: list[dict]) -> str:
    """YAML document ``{"terms": [...]}``."""
    return yaml.safe_dump({"terms": rows}, sort_keys=False, allow_unicode=True)


def to_csv(rows: list[dict]) -> str:
    """CSV with :data:`EXPORT_COLUMNS`; list cells are joined with ``|``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "|".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return out.getvalue()


def parse(text: str, fmt: str) -> list[dict]:
    """Rows of a CSV or YAML glossary (``fmt`` ``csv`` or ``yaml``); GovernanceError on
    a document that is not one."""
    if fmt == "yaml":
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise GovernanceError(f"not YAML: {exc}", "file") from None
        rows = doc.get("terms") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise GovernanceError("YAML must be {terms: [{name: ...}, ...]}", "file")
        return rows
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise GovernanceError("CSV needs a header row with at least 'name'", "file")
        return [
            {k: v for k, v in row.items() if k in EXPORT_COLUMNS and v is not None}
            for row in reader
        ]
    raise GovernanceError(f"unknown format {fmt!r} (csv or yaml)", "format")


def import_terms(rows: list[dict]) -> dict[str, int]:
    """Create or update terms (matched by name) from exported rows, all or nothing;
    related terms are set in a second pass so rows may name terms further down.
    Returns ``{"created": n, "updated": n}``; GovernanceError names the bad row."""
    created = updated = 0
    with transaction.atomic():
        for i, row in enumerate(rows):
            data = {k: v for k, v in row.items() if k not in ("related", "slug")}
            term = GlossaryTerm.objects.filter(
                name__iexact=str(row.get("name", "")).strip()
            ).first()
            try:
                save_term(data, term)
            except GovernanceError as exc:
                raise GovernanceError(
                    {f"row {i + 1}.{k}": v for k, v in exc.errors.items()}
                ) from None
            created, updated = created + (term is None), updated + (term is not None)
        for i, row in enumerate(rows):
            if row.get("related"):
                term = GlossaryTerm.objects.get(name__iexact=str(row["name"]).strip())
                try:
                    save_term({"related": row["related"]}, term)
                except GovernanceError as exc:
                    raise GovernanceError(
                        {f"row {i + 1}.{k}": v for k, v in exc.errors.items()}
                    ) from None
    return {"created": created, "updated": updated}


def linked_assets(term: GlossaryTerm) -> list[TermLink]:
    """The term's links to assets and columns (with asset), then products."""
    return list(
        term.links.select_related("asset", "propagated_from__asset").order_by(
            "asset__qualified_name", "field_name", "product_uid"
        )
    )


def search_terms(asset_ids) -> dict[int, dict[str, list[str]]]:
    """Search enricher (``MESH_SEARCH_ENRICHERS``): ``{asset_id: {"glossary": [term
    names], "glossary_text": [names and synonyms]}}`` for assets with linked terms (on the
    asset or a column, direct or propagated), so a search for a term's name or synonym
    finds them and ``glossary`` is a facet."""
    out: dict[int, dict[str, list[str]]] = {}
    links = TermLink.objects.filter(asset_id__in=list(asset_ids)).select_related("term")
    for link in links:
        entry = out.setdefault(link.asset_id, {"glossary": [], "glossary_text": []})
        if link.term.name not in entry["glossary"]:
            entry["glossary"].append(link.term.name)
            entry["glossary_text"] += [link.term.name, *link.term.synonyms]
    return out
