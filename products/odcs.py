"""ODCS v3.1.0 (Open Data Contract Standard) contracts on output ports.

Standard: https://github.com/bitol-io/open-data-contract-standard (v3.1.0). Contracts are
validated with the schema shipped by the ``open-data-contract-standard`` package (which
accepts apiVersion v3.0.0 … v3.2.0), stored whole in :class:`~products.models.DataContract`
(so export is lossless) and bound to output ports by ``contractId``.

A contract seeds its port's SLOs (:func:`seed_slos`):

* ``slaProperties`` ``latency`` (or ``freshness``) → a freshness SLO, threshold = value ×
  unit in seconds, timestamp column from ``element`` (``table.column``);
* ``availability`` (``"99.9%"`` or ``0.999``) → an availability SLO with that objective;
* quality rules with ``metric: nullValues`` on a column → a completeness SLO;
  ``metric: rowCount`` with bounds → a volume SLO; every rule with a ``metric`` or a
  ``query`` (SQL) → one quality SLO whose SLI is the pass rate of those rules.
"""

from django.db import transaction

from products.models import SLO, DataContract, OutputPort, SLIKind
from products.schemas import DescriptorError, load_yaml, odcs_schema, schema_problems

UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "y": 31536000,
    "yr": 31536000,
    "year": 31536000,
    "years": 31536000,
}


def parse_contract(text: str, item: str = "contract") -> dict:
    """Parse and validate ODCS YAML; returns the document or raises DescriptorError
    naming every problem (``path: rule: message``)."""
    doc = load_yaml(text, item)
    problems = schema_problems(doc, odcs_schema())
    if problems:
        raise DescriptorError(item, problems)
    return doc


def apply_contract(doc: dict) -> tuple[DataContract, str]:
    """Store a *validated* contract; returns ``(contract, created|updated|unchanged)``.
    Ports that name its id are bound to it and their contract SLOs re-seeded; an
    unchanged contract still binds ports that named it since it was stored."""
    with transaction.atomic():
        contract = DataContract.objects.filter(uid=str(doc["id"])).first()
        if contract is not None and contract.document == doc:
            unbound = OutputPort.objects.filter(contract_id=contract.uid).exclude(
                data_contract=contract
            )
            for port in unbound:
                attach_contract(port, contract)
            return contract, "unchanged"
        outcome = "updated" if contract else "created"
        contract = contract or DataContract(uid=str(doc["id"]))
        contract.name = doc.get("name") or ""
        contract.version = str(doc.get("version") or "")
        contract.api_version = doc.get("apiVersion", "")
        contract.status = doc.get("status", "")
        contract.document = doc
        contract.save()
        for port in OutputPort.objects.filter(contract_id=contract.uid):
            attach_contract(port, contract)
        return contract, outcome


def attach_contract(port: OutputPort, contract: DataContract) -> list[SLO]:
    """Bind ``contract`` to ``port`` (server details from its first server) and re-seed
    the port's contract SLOs; returns the seeded SLOs."""
    port.data_contract = contract
    port.contract_id = contract.uid
    port.server = (contract.document.get("servers") or [{}])[0]
    port.save(update_fields=["data_contract", "contract_id", "server"])
    return seed_slos(port, contract.document)


def contract_object(doc: dict, asset=None) -> dict | None:
    """The contract's ``schema[]`` object describing ``asset``: matched by physicalName
    or name against the asset's name (case-insensitive); the only object if there is
    one; else None."""
    objects = [o for o in doc.get("schema") or [] if isinstance(o, dict)]
    if asset is not None:
        wanted = asset.name.lower()
        for obj in objects:
            if wanted in {
                str(obj.get("physicalName", "")).lower(),
                str(obj.get("name", "")).lower(),
            }:
                return obj
    return objects[0] if len(objects) == 1 else None


def _seconds(value, unit) -> float | None:
    """``value`` × ``unit`` in seconds (unit names as ODCS: d, day, days, h, ...)."""
    try:
        return float(value) * UNIT_SECONDS[str(unit or "d").strip().lower()]
    except (KeyError, TypeError, ValueError):
        return None


def _share(value) -> float | None:
    """``"99.9%"`` → 0.999, ``0.999`` → 0.999, ``99.9`` → 0.999; None if not a number."""
    try:
        text = str(value).strip()
        number = float(text.rstrip("%"))
    except ValueError:
        return None
    return number / 100 if text.endswith("%") or number > 1 else number


def quality_rules(doc: dict, obj: dict | None) -> list[dict]:
    """Quality rules that apply to the port's object: object-level and column-level
    (each rule dict gains ``column`` when it sits on a property)."""
    rules = []
    objects = [obj] if obj is not None else [o for o in doc.get("schema") or []]
    for item in objects:
        rules.extend(dict(rule) for rule in item.get("quality") or [])
        for prop in item.get("properties") or []:
            column = prop.get("physicalName") or prop.get("name")
            rules.extend({**rule, "column": column} for rule in prop.get("quality") or [])
    rules.extend(dict(rule) for rule in doc.get("quality") or [])
    return rules


def slo_specs(doc: dict, asset=None) -> list[dict]:
    """The SLOs a contract implies, as dicts of :class:`~products.models.SLO` fields."""
    specs = []
    for sla in doc.get("slaProperties") or []:
        prop = str(sla.get("property", "")).lower()
        if prop in {"latency", "freshness"}:
            seconds = _seconds(sla.get("value"), sla.get("unit"))
            if seconds is not None:
                element = str(sla.get("element") or "")
                specs.append(
                    {
                        "name": f"freshness ≤ {sla.get('value')}{sla.get('unit') or 'd'}",
                        "kind": SLIKind.FRESHNESS,
                        "threshold": seconds,
                        "column": element.rsplit(".", 1)[-1] if element else "",
                    }
                )
        elif prop == "availability":
            share = _share(sla.get("value"))
            if share is not None and 0 < share < 1:
                specs.append(
                    {
                        "name": f"availability {sla.get('value')}",
                        "kind": SLIKind.AVAILABILITY,
                        "objective": share,
                    }
                )
    rules = quality_rules(doc, contract_object(doc, asset))
    for rule in rules:
        metric = rule.get("metric")
        if metric == "nullValues" and rule.get("column"):
            limit = rule.get(
                "mustBe", rule.get("mustBeLessThan", rule.get("mustBeLessOrEqualTo", 0))
            )
            share = float(limit) / 100 if rule.get("unit") == "percent" else 0.0
            specs.append(
                {
                    "name": f"completeness of {rule['column']}",
                    "kind": SLIKind.COMPLETENESS,
                    "column": rule["column"],
                    "threshold": share,
                }
            )
        elif metric == "rowCount":
            low = rule.get("mustBeGreaterThan", rule.get("mustBeGreaterOrEqualTo"))
            high = rule.get("mustBeLessThan", rule.get("mustBeLessOrEqualTo"))
            between = rule.get("mustBeBetween")
            if isinstance(between, list) and len(between) == 2:
                low, high = between
            specs.append(
                {"name": "row count", "kind": SLIKind.VOLUME, "min_value": low, "max_value": high}
            )
    checkable = [r for r in rules if r.get("metric") or r.get("query")]
    if checkable:
        specs.append(
            {
                "name": "contract quality rules",
                "kind": SLIKind.QUALITY,
                "threshold": 1.0,
                "rules": checkable,
            }
        )
    return specs


def seed_slos(port: OutputPort, doc: dict) -> list[SLO]:
    """Replace the port's contract-origin SLOs with those the contract implies (manual
    SLOs are untouched; samples of a kept SLO survive when name and kind match)."""
    wanted = slo_specs(doc, port.asset)
    existing = {(s.name, s.kind): s for s in port.slos.filter(origin="contract")}
    kept = []
    for spec in wanted:
        slo = existing.pop((spec["name"], spec["kind"]), None) or SLO(port=port, origin="contract")
        for key, value in spec.items():
            setattr(slo, key, value)
        slo.save()
        kept.append(slo)
    for stale in existing.values():
        stale.delete()
    return kept
