"""Arrow schemas to catalog fields (type families of :class:`catalog.models.Field`)."""

import pyarrow as pa
import pyarrow.types as pat

from harvesters.records import FieldRecord

NATIVE_MAX = 255  # catalog.models.Field.native_type max_length


def family(t: pa.DataType) -> str:
    """The catalog type family of an Arrow type.

    integer, float, decimal, string, binary, boolean, date, timestamp, array (list,
    large/fixed-size list), map, struct, or other (time, duration, null, unions...).
    Dictionary-encoded types take the family of their values.
    """
    if pat.is_dictionary(t):
        return family(t.value_type)
    checks = (
        (pat.is_integer, "integer"),
        (pat.is_floating, "float"),
        (pat.is_decimal, "decimal"),
        (pat.is_boolean, "boolean"),
        (pat.is_timestamp, "timestamp"),
        (pat.is_date, "date"),
        (pat.is_map, "map"),
        (pat.is_struct, "struct"),
    )
    for check, name in checks:
        if check(t):
            return name
    if pat.is_string(t) or pat.is_large_string(t) or t == pa.string_view():
        return "string"
    if (
        pat.is_binary(t)
        or pat.is_large_binary(t)
        or pat.is_fixed_size_binary(t)
        or t == pa.binary_view()
    ):
        return "binary"
    if (
        pat.is_list(t)
        or pat.is_large_list(t)
        or pat.is_fixed_size_list(t)
        or pat.is_list_view(t)
        or pat.is_large_list_view(t)
    ):
        return "array"
    return "other"


def clip(text: str, limit: int = NATIVE_MAX) -> str:
    """``text`` cut to ``limit`` characters (with a trailing "…" when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def arrow_fields(
    schema: pa.Schema, native: dict[str, str] | None = None, start: int = 0
) -> list[FieldRecord]:
    """One FieldRecord per top-level field of ``schema``, ordinals from ``start``.

    ``native`` overrides the native type string per field name (e.g. Delta or Iceberg
    type names, or ``"timestamp[ns] (INT96)"``); otherwise the Arrow type string is used,
    cut to 255 characters.
    """
    native = native or {}
    return [
        FieldRecord(
            name=f.name,
            data_type=family(f.type),
            native_type=clip(native.get(f.name) or str(f.type)),
            nullable=f.nullable,
            ordinal=start + i,
        )
        for i, f in enumerate(schema)
    ]


def schema_key(schema: pa.Schema, names_only: bool = False) -> tuple:
    """A hashable key telling two file schemas apart (names and types, or names only)."""
    if names_only:
        return tuple(schema.names)
    return tuple((f.name, str(f.type)) for f in schema)


def partition_fields(values: dict[str, set[str]], start: int) -> list[FieldRecord]:
    """Fields for Hive partition columns, typed integer when every value is an integer.

    ``values`` maps a partition key to the values seen in folder names, in key order.
    ``__HIVE_DEFAULT_PARTITION__`` (null) is ignored when typing.
    """
    out = []
    for i, (key, seen) in enumerate(values.items()):
        real = [v for v in seen if v != "__HIVE_DEFAULT_PARTITION__"]
        is_int = bool(real) and all(v.lstrip("-").isdigit() for v in real)
        out.append(
            FieldRecord(
                name=key,
                data_type="integer" if is_int else "string",
                native_type="int64 (hive partition)" if is_int else "string (hive partition)",
                nullable=len(real) != len(seen),
                description="Hive partition column",
                ordinal=start + i,
            )
        )
    return out


def unify(schemas: list[pa.Schema], text: bool) -> pa.Schema:
    """One schema for the files of a dataset, fields in first-seen order.

    Same-typed fields keep their type; null-typed samples take the others' type. For
    Parquet (``text=False``) other differences use Arrow's permissive promotion; for
    CSV/JSON samples, mixed integer/float become float64 and anything else string.
    Raises pa.ArrowInvalid / pa.ArrowTypeError when Parquet types cannot be unified.
    """
    if not text:
        return pa.unify_schemas(schemas, promote_options="permissive")
    seen: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for f in schema:
            seen.setdefault(f.name, []).append(f.type)
    out = []
    for name, types in seen.items():
        distinct = {t for t in types if not pat.is_null(t)}
        if not distinct:
            chosen = pa.null()
        elif len(distinct) == 1:
            chosen = distinct.pop()
        elif all(pat.is_integer(t) or pat.is_floating(t) for t in distinct):
            chosen = pa.float64() if any(pat.is_floating(t) for t in distinct) else pa.int64()
        else:
            chosen = pa.string()
        out.append(pa.field(name, chosen))
    return pa.schema(out)
