"""Contract drift: an output port's ODCS schema against the harvested schema of its asset.

Columns are matched by ``physicalName`` (else ``name``), case-insensitively. A type change
is reported when the contract's ``logicalType`` (ODCS: string, date, timestamp, time,
number, integer, object, array, boolean) is not compatible with the harvested field's
normalised family (:class:`catalog.models.Field` ``data_type``). Unknown families
(``other``, empty) never count as a change.
"""

from products.models import OutputPort
from products.odcs import contract_object

COMPATIBLE = {
    "string": {"string"},
    "integer": {"integer"},
    "number": {"integer", "decimal", "float"},
    "boolean": {"boolean"},
    "date": {"date", "timestamp"},
    "timestamp": {"timestamp", "date"},
    "time": {"string", "timestamp"},
    "object": {"struct", "map", "string"},
    "array": {"array"},
}


def contract_drift(port: OutputPort) -> dict | None:
    """Drift of ``port``'s contract vs its asset's fields.

    Returns None when the port has no contract or no harvested asset, else
    ``{"object": <schema object name or None>, "missing": [col, ...], "extra": [col, ...],
    "type_changes": [{"column", "contract", "harvested"}], "drifted": bool}``; lists keep
    the contract's (missing, type changes) or the asset's (extra) column order.
    """
    if port.data_contract is None or port.asset is None:
        return None
    obj = contract_object(port.data_contract.document, port.asset)
    result = {"object": None, "missing": [], "extra": [], "type_changes": [], "drifted": False}
    if obj is None:
        result["object"] = None
        result["missing"] = ["(no schema object matches the asset)"]
        result["drifted"] = True
        return result
    result["object"] = obj.get("physicalName") or obj.get("name")
    fields = {f.name.lower(): f for f in port.asset.fields.all()}
    contract_cols = set()
    for prop in obj.get("properties") or []:
        column = str(prop.get("physicalName") or prop.get("name") or "")
        contract_cols.add(column.lower())
        field = fields.get(column.lower())
        if field is None:
            result["missing"].append(column)
            continue
        logical = str(prop.get("logicalType") or "").lower()
        family = (field.data_type or "").lower()
        if (
            logical in COMPATIBLE
            and family not in {"", "other"}
            and family not in COMPATIBLE[logical]
        ):
            result["type_changes"].append(
                {"column": column, "contract": logical, "harvested": family}
            )
    result["extra"] = [
        f.name for f in port.asset.fields.all() if f.name.lower() not in contract_cols
    ]
    result["drifted"] = bool(result["missing"] or result["extra"] or result["type_changes"])
    return result
