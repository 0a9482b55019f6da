"""ODPS v1.0.0 (Open Data Product Standard) descriptors in and out of the catalog.

Standard: https://github.com/bitol-io/open-data-product-standard (v1.0.0, 2025-09).

* :func:`parse_descriptor` reads YAML text, validates it against the official JSON
  Schema (:func:`products.schemas.odps_schema`) plus our lifecycle rule, and raises
  :class:`~products.schemas.DescriptorError` naming every problem.
* :func:`apply_descriptor` creates or updates a :class:`~products.models.DataProduct`
  with its domain, team, members and ports. Fields we do not map are kept: the whole
  document is stored in ``DataProduct.descriptor`` and each port/member dict in ``extra``.
* :func:`export_descriptor` rebuilds the document: the stored one overlaid with the
  current model values, so a round trip loses nothing.

apiVersion: the v1.0.0 schema itself accepts ``v0.9.0`` and ``v1.0.0`` (its enum). We
accept both, validate both with the v1.0.0 schema (v0.9.0 documents such as the
standard's ``customer-data-product`` example use only fields v1.0.0 still defines),
and export the apiVersion the product was imported with; new products get ``v1.0.0``.

Catalog bindings use ODPS ``customProperties`` (valid per the schema): a port with
``{property: assetUrn, value: <URN>}`` is bound to that catalog asset.
"""

import copy

from django.db import transaction
from django.utils.text import slugify

from catalog.models import Asset
from products.models import (
    DataContract,
    DataProduct,
    Domain,
    InputPort,
    OutputPort,
    ProductMember,
    ProductStatus,
    Team,
    TeamMembership,
)
from products.odcs import seed_slos
from products.permissions import is_admin
from products.schemas import (  # noqa: F401  (load_yaml, dump_yaml: re-exported)
    DescriptorError,
    dump_yaml,
    load_yaml,
    odps_schema,
    schema_problems,
)
from products.services import ProductEdit
from products.validators import (  # noqa: F401  (re-exported for callers)
    LINK_SCHEMES,
    bad_links,
    is_safe_link,
    link_url_problem,
)

ASSET_URN_PROPERTY = "assetUrn"
SUPPORTED_API_VERSIONS = ("v0.9.0", "v1.0.0")
LIFECYCLE = tuple(ProductStatus.values)  # proposed → draft → active → deprecated → retired


def lifecycle_problem(old: str | None, new: str, may_go_back: bool = False) -> str | None:
    """Why a product may not move from status ``old`` to ``new``, or None when it may.

    The ODPS lifecycle is proposed → draft → active → deprecated → retired: staying put
    and moving forward any number of steps are allowed; moving back is refused unless
    ``may_go_back`` (staff, or the ``sync_products`` command). A new product (``old``
    empty) may start anywhere; unknown statuses are left to the field validation. The
    message names the allowed next statuses."""
    if not old or old == new or old not in LIFECYCLE or new not in LIFECYCLE:
        return None
    if may_go_back or LIFECYCLE.index(new) > LIFECYCLE.index(old):
        return None
    ahead = LIFECYCLE[LIFECYCLE.index(old) + 1 :]
    allowed = ", ".join(ahead) if ahead else f"none ({old!r} is the last stage)"
    return (
        f"cannot move back from {old!r} to {new!r} (only staff may); "
        f"allowed next statuses: {allowed}"
    )


def descriptor_lifecycle_problem(current: str | None, new: str, user) -> str | None:
    """:func:`lifecycle_problem` for a descriptor applied by ``user``, as a ``path: rule:
    message`` line: moving back is allowed to staff and to no user (the
    ``sync_products`` command: the domain's git repo speaking). Shared by
    :func:`apply_descriptor` and ``sync_products --check``."""
    why = lifecycle_problem(current, new, user is None or is_admin(user))
    return f"status: lifecycle: {why}" if why else None


def odps_problems(doc: dict) -> list[str]:
    """Schema violations plus our rules: ``status`` is a lifecycle stage and the
    product's links (top-level ``authoritativeDefinitions[].url``, rendered on the product
    page) pass :func:`link_url_problem`. Sorted ``"path: rule: message"`` strings."""
    problems = schema_problems(doc, odps_schema())
    status = doc.get("status")
    if isinstance(status, str) and status not in ProductStatus.values:
        problems.append(
            f"status: lifecycle: {status!r} is not one of {', '.join(ProductStatus.values)}"
        )
    links = doc.get("authoritativeDefinitions")
    for i, link in enumerate(links if isinstance(links, list) else []):
        if isinstance(link, dict) and "url" in link:
            why = link_url_problem(link["url"])
            if why:
                problems.append(f"authoritativeDefinitions[{i}].url: scheme: {why}")
    return problems


def parse_descriptor(text: str, item: str = "descriptor") -> dict:
    """Parse and validate ODPS YAML; returns the document or raises DescriptorError."""
    doc = load_yaml(text, item)
    problems = odps_problems(doc)
    if problems:
        raise DescriptorError(item, problems)
    return doc


def custom_property(entity: dict, prop: str) -> str:
    """Value of custom property ``prop`` of an ODPS element (a port, or a port's
    ``extra``), or ``""``."""
    for entry in (entity or {}).get("customProperties") or []:
        if isinstance(entry, dict) and entry.get("property") == prop:
            return str(entry.get("value") or "")
    return ""


def set_custom_property(entity: dict, prop: str, value: str) -> None:
    """Set (or remove when empty) custom property ``prop`` of an ODPS element, in place;
    ``customProperties`` disappears when nothing is left in it."""
    entries = [dict(e) for e in entity.get("customProperties") or [] if isinstance(e, dict)]
    index = next((i for i, e in enumerate(entries) if e.get("property") == prop), None)
    if value and index is None:
        entries.append({"property": prop, "value": value})
    elif value:
        entries[index]["value"] = value
    elif index is not None:
        del entries[index]
    if entries:
        entity["customProperties"] = entries
    else:
        entity.pop("customProperties", None)


def _team_for(doc: dict) -> Team | None:
    """Get or create the owner team named in ``team.name`` (None if absent)."""
    team_doc = doc.get("team") or {}
    name = team_doc.get("name")
    if not name:
        return None
    team, _ = Team.objects.get_or_create(
        slug=slugify(name)[:100] or "team", defaults={"name": name}
    )
    if team_doc.get("description") and not team.description:
        team.description = team_doc["description"]
        team.save(update_fields=["description"])
    return team


def _domain_for(value: str | None) -> Domain | None:
    """Get or create the domain named by the ODPS ``domain`` string (slug or name)."""
    if not value:
        return None
    domain = Domain.objects.filter(slug=slugify(value)[:100]).first()
    return domain or Domain.objects.create(slug=slugify(value)[:100] or "domain", name=value)


def resolve_asset(urn: str) -> Asset | None:
    """The catalog asset with this URN, or None (bindings resolve again after harvests)."""
    return Asset.objects.filter(urn=urn).first() if urn else None


@transaction.atomic
def apply_descriptor(doc: dict, user=None, action: str = "import") -> tuple[DataProduct, str]:
    """Create or update the product described by a *validated* ODPS ``doc``.

    Returns ``(product, outcome)`` with outcome ``created``, ``updated`` or ``unchanged``
    (unchanged when the export of the stored product already equals ``doc``). The edit
    is recorded in the product's history with ``user`` (None for the command line).
    Raises DescriptorError (``status: lifecycle: ...``) when ``doc`` moves an existing
    product back in its lifecycle and ``user`` is neither staff nor None (the command:
    the domain's git repo speaking), before anything is written.
    """
    product = DataProduct.objects.filter(uid=str(doc["id"])).first()
    if product is not None and export_descriptor(product) == doc:
        return product, "unchanged"
    if product is not None:
        why = descriptor_lifecycle_problem(product.status, doc["status"], user)
        if why:
            raise DescriptorError(str(doc["id"]), [why])
    created = product is None
    # the caller checks permissions (the API before and after, with the new owner team);
    # the command line (user None) speaks for the domain's repository
    change = ProductEdit(product, user, "create" if created else action, check=False)
    product = product or DataProduct(uid=str(doc["id"]))
    description = doc.get("description") or {}
    product.name = doc.get("name") or str(doc["id"])
    product.status = doc["status"]
    product.version = doc.get("version") or ""
    product.purpose = description.get("purpose", "")
    product.limitations = description.get("limitations", "")
    product.usage = description.get("usage", "")
    product.tags = list(doc.get("tags") or [])
    product.links = list(doc.get("authoritativeDefinitions") or [])
    product.api_version = doc.get("apiVersion", "v1.0.0")
    product.domain = _domain_for(doc.get("domain"))
    product.owner_team = _team_for(doc)
    product.descriptor = copy.deepcopy(doc)
    product.save()
    _apply_members(product, doc)
    _apply_ports(product, doc)
    change.obj = product
    change.finish()  # in this function's transaction
    return product, "created" if created else "updated"


def _apply_members(product: DataProduct, doc: dict) -> None:
    """Replace the product's members with ``team.members[]``; link known users."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    product.members.all().delete()
    for member in (doc.get("team") or {}).get("members") or []:
        username = member["username"]
        user = users.filter(username=username).first() or users.filter(email=username).first()
        ProductMember.objects.get_or_create(
            product=product,
            username=username,
            role=member.get("role") or "member",
            defaults={"user": user, "name": member.get("name", ""), "extra": member},
        )
        if user is not None and product.owner_team_id:
            TeamMembership.objects.get_or_create(
                team_id=product.owner_team_id,
                user=user,
                defaults={"role": member.get("role") or "member"},
            )


def _apply_ports(product: DataProduct, doc: dict) -> None:
    """Replace input/output ports from the document; keep SLOs of output ports that
    survive (matched by name + version)."""
    product.input_ports.all().delete()
    for port in doc.get("inputPorts") or []:
        urn = custom_property(port, ASSET_URN_PROPERTY)
        InputPort.objects.create(
            product=product,
            name=port["name"],
            version=port.get("version", ""),
            contract_id=port.get("contractId", ""),
            asset_urn=urn,
            asset=resolve_asset(urn),
            extra=port,
        )
    keep = set()
    for port in doc.get("outputPorts") or []:
        urn = custom_property(port, ASSET_URN_PROPERTY)
        contract = DataContract.objects.filter(uid=port.get("contractId") or "").first()
        existing = product.output_ports.filter(name=port["name"], version=port["version"]).first()
        values = {
            "type": port.get("type", ""),
            "description": port.get("description", ""),
            "contract_id": port.get("contractId", ""),
            "data_contract": contract,
            "asset_urn": urn,
            "asset": resolve_asset(urn),
            "extra": port,
        }
        if contract is not None:
            values["server"] = (contract.document.get("servers") or [{}])[0]
        if existing:
            for key, value in values.items():
                setattr(existing, key, value)
            existing.save()
        else:
            existing = OutputPort.objects.create(
                product=product, name=port["name"], version=port["version"], **values
            )
        if contract is not None:
            seed_slos(existing, contract.document)
        keep.add(existing.pk)
    product.output_ports.exclude(pk__in=keep).delete()
    resolve_product_links()


def resolve_product_links() -> int:
    """Bind input ports to upstream products (contractId of their output ports) and
    ports to assets by URN; returns how many bindings changed. Cheap; call after
    imports and harvests."""
    changed = 0
    by_contract = {
        cid: pid
        for cid, pid in OutputPort.objects.exclude(contract_id="").values_list(
            "contract_id", "product_id"
        )
    }
    for port in InputPort.objects.all():
        upstream = by_contract.get(port.contract_id)
        asset = resolve_asset(port.asset_urn)
        if upstream == port.product_id:
            upstream = None
        if port.upstream_product_id != upstream or port.asset_id != (asset.pk if asset else None):
            port.upstream_product_id, port.asset = upstream, asset
            port.save(update_fields=["upstream_product", "asset"])
            changed += 1
    for port in OutputPort.objects.exclude(asset_urn="").filter(asset__isnull=True):
        asset = resolve_asset(port.asset_urn)
        if asset is not None:
            port.asset = asset
            port.save(update_fields=["asset"])
            changed += 1
    return changed


def export_descriptor(product: DataProduct) -> dict:
    """The product as an ODPS document (dict): the stored descriptor overlaid with the
    current values; keys absent and empty stay absent. Valid against the schema."""
    doc = copy.deepcopy(product.descriptor or {})
    doc["apiVersion"] = product.api_version or "v1.0.0"
    doc["kind"] = "DataProduct"
    doc["id"] = product.uid
    _put(doc, "name", product.name)
    _put(doc, "version", product.version)
    doc["status"] = product.status
    _put(doc, "domain", product.domain.slug if product.domain else "")
    description = dict(doc.get("description") or {})
    for key in ("purpose", "limitations", "usage"):
        _put(description, key, getattr(product, key))
    _put(doc, "description", description)
    _put(doc, "tags", list(product.tags))
    _put(doc, "authoritativeDefinitions", list(product.links))
    _put(doc, "inputPorts", [_export_input(p) for p in product.input_ports.all()])
    _put(doc, "outputPorts", [_export_output(p) for p in product.output_ports.all()])
    team = dict(doc.get("team") or {})
    if product.owner_team:
        team["name"] = product.owner_team.name
    members = []
    for member in product.members.all():
        entry = dict(member.extra or {})
        entry["username"] = member.username
        _put(entry, "name", member.name)
        entry["role"] = member.role
        members.append(entry)
    _put(team, "members", members)
    _put(doc, "team", team)
    return doc


def _put(target: dict, key: str, value) -> None:
    """Set ``target[key]``; an empty value removes the key unless it was there before
    with an empty value too (so ``tags: []`` survives a round trip)."""
    if value or value == 0 or key in target and not target[key]:
        target[key] = value
    else:
        target.pop(key, None)


def _export_input(port: InputPort) -> dict:
    """One ODPS ``inputPorts[]`` entry."""
    entry = dict(port.extra or {})
    entry["name"], entry["version"] = port.name, port.version
    entry["contractId"] = port.contract_id
    set_custom_property(entry, ASSET_URN_PROPERTY, port.asset_urn)
    return entry


def _export_output(port: OutputPort) -> dict:
    """One ODPS ``outputPorts[]`` entry."""
    entry = dict(port.extra or {})
    entry["name"], entry["version"] = port.name, port.version
    _put(entry, "description", port.description)
    _put(entry, "type", port.type)
    _put(entry, "contractId", port.contract_id)
    set_custom_property(entry, ASSET_URN_PROPERTY, port.asset_urn)
    return entry
