"""The curation service: the one place that writes curated values of assets and columns.

Curated values are kept apart from harvested ones (DataHub's "editable" aspects): the
asset's ``curated_description`` and ``curated_tags``, each column's
``curated_description`` and ``curated_tags``, ``Ownership`` rows with origin
``curated``, and the ``hidden`` flag of harvested ownerships (an owner people removed:
the row stays hidden through re-harvests, which never update existing rows). Harvesters never write them, so a re-harvest never overwrites them; a
curated description of ``None`` falls back to the harvested one. Every change is
recorded as a :class:`governance.models.CurationChange` (author, time, old → new) and
the asset's search document is rebuilt (outbox) after commit.

Used by the API (``PATCH /api/v1/assets/<urn>``), the asset page forms, the admin and
commands alike.
"""

from django.db import transaction

from catalog.models import Asset, Field, Owner, Ownership, Tag
from catalog.outbox import reindex_assets
from governance.errors import Forbidden, GovernanceError
from governance.models import CurationChange
from governance.permissions import may_curate

CURATED = "curated"  #: Ownership.origin of owners people set
MAX_TAG = 128
MAX_TAGS = 50
MAX_DESCRIPTION = 100_000
ASSET_KEYS = {"description", "tags", "owners", "hidden_owners", "fields", "terms", "sensitivity"}
FIELD_KEYS = {"description", "tags", "terms", "classes"}


def _description(value, item: str, errors: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.setdefault(item, []).append("must be a string (Markdown) or null to remove it")
        return None
    if len(value) > MAX_DESCRIPTION:
        errors.setdefault(item, []).append(f"longer than {MAX_DESCRIPTION} characters")
    return value


def _tags(value, item: str, errors: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        errors.setdefault(item, []).append("must be a list of tag names (strings)")
        return []
    tags = []
    for tag in value:
        tag = tag.strip()
        if not tag or len(tag) > MAX_TAG:
            errors.setdefault(item, []).append(f"tag {tag!r}: 1 to {MAX_TAG} characters")
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        errors.setdefault(item, []).append(f"at most {MAX_TAGS} tags")
    return tags


def _owners(value, errors: dict) -> list[tuple[str, str, str]]:
    """``[{"name", "type"?, "kind"?}]`` → ``[(name, type, kind)]``."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.setdefault("owners", []).append('must be a list of {"name", "type", "kind"}')
        return []
    owners = []
    for i, o in enumerate(value):
        item = f"owners[{i}]"
        if isinstance(o, str):
            o = {"name": o}
        if not isinstance(o, dict) or not isinstance(o.get("name"), str) or not o["name"].strip():
            errors.setdefault(item, []).append("needs a name (an e-mail or a team handle)")
            continue
        otype = o.get("type", Ownership.Type.TECHNICAL_OWNER)
        kind = o.get("kind", Owner.Kind.USER)
        if otype not in Ownership.Type.values:
            errors.setdefault(item, []).append(
                f"unknown ownership type {otype!r} (use one of {', '.join(Ownership.Type.values)})"
            )
            continue
        if kind not in Owner.Kind.values:
            errors.setdefault(item, []).append(f"unknown owner kind {kind!r} (user or team)")
            continue
        name = o["name"].strip()[:255]
        if (name, otype, kind) not in owners:
            owners.append((name, otype, kind))
    return owners


def _hidden_owners(value, asset: Asset, errors: dict) -> set[int]:
    """``[{"name", "type"?}]`` (or names) → ids of the asset's non-curated ownerships
    to hide; without ``type`` every type of that owner. An owner the asset has not
    from a harvest (or its product) is an error naming it."""
    if value is None:
        return set()
    if not isinstance(value, list):
        errors.setdefault("hidden_owners", []).append('must be a list of {"name", "type"}')
        return set()
    rows = list(
        Ownership.all_objects.filter(asset=asset)
        .exclude(origin=CURATED)
        .values_list("pk", "owner__name", "type")
    )
    ids = set()
    for i, o in enumerate(value):
        item = f"hidden_owners[{i}]"
        if isinstance(o, str):
            o = {"name": o}
        if not isinstance(o, dict) or not isinstance(o.get("name"), str):
            errors.setdefault(item, []).append("needs the name of a harvested owner")
            continue
        name, otype = o["name"].strip(), o.get("type")
        found = {pk for pk, n, t in rows if n == name and (otype is None or t == otype)}
        if not found:
            what = f"{name!r}" + (f" ({otype})" if otype else "")
            errors.setdefault(item, []).append(
                f"{what} is not a harvested owner of {asset.name} (only those can be hidden)"
            )
        ids |= found
    return ids


def validate(asset: Asset, data) -> dict:
    """Check a curation request (the PATCH body) without writing; returns it cleaned.

    Shape: ``{"description": str|null, "tags": [str], "owners": [{"name", "type",
    "kind"}], "hidden_owners": [{"name", "type"?}], "terms": [term name], "sensitivity": public|internal|confidential|restricted|null,
    "fields": {"<column>": {"description": str|null,
    "tags": [str], "terms": [str], "classes": [class slug]}}}``; every key optional.
    ``tags``/``owners``/``terms`` replace the curated set (``[]`` clears it);
    ``hidden_owners`` replaces the set of harvested owners hidden (``[]`` shows them all
    again).
    Raises :class:`GovernanceError` naming each bad item (unknown key, column, term,
    class, ownership type...)."""
    from governance import glossary  # glossary and classification validate their names

    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise GovernanceError("the body must be a JSON object")
    for key in sorted(set(data) - ASSET_KEYS):
        errors.setdefault(key, []).append(f"unknown key (use {', '.join(sorted(ASSET_KEYS))})")
    clean: dict = {}
    if "description" in data:
        clean["description"] = _description(data["description"], "description", errors)
    if "tags" in data:
        clean["tags"] = _tags(data["tags"], "tags", errors)
    if "owners" in data:
        clean["owners"] = _owners(data["owners"], errors)
    if "hidden_owners" in data:
        clean["hidden_owners"] = _hidden_owners(data["hidden_owners"], asset, errors)
    if "terms" in data:
        clean["terms"] = glossary.resolve_terms(data["terms"], "terms", errors)
    if "sensitivity" in data:
        from governance.models import Sensitivity

        level = data["sensitivity"]
        if level is not None and level not in Sensitivity.values:
            errors.setdefault("sensitivity", []).append(
                f"unknown level {level!r} (use {', '.join(Sensitivity.values)} or null)"
            )
        clean["sensitivity"] = level
    fields = data.get("fields")
    if fields is not None:
        if not isinstance(fields, dict):
            errors.setdefault("fields", []).append('must be {"<column>": {...}}')
            fields = {}
        known = set(asset.fields.values_list("name", flat=True))
        clean["fields"] = {}
        for name, change in fields.items():
            item = f"fields.{name}"
            if name not in known:
                errors.setdefault(item, []).append(f"no column {name!r} in {asset.name}")
                continue
            if not isinstance(change, dict):
                errors.setdefault(item, []).append("must be an object")
                continue
            for key in sorted(set(change) - FIELD_KEYS):
                errors.setdefault(f"{item}.{key}", []).append("unknown key")
            c = {}
            if "description" in change:
                c["description"] = _description(
                    change["description"], f"{item}.description", errors
                )
            if "tags" in change:
                c["tags"] = _tags(change["tags"], f"{item}.tags", errors)
            if "terms" in change:
                c["terms"] = glossary.resolve_terms(change["terms"], f"{item}.terms", errors)
            if "classes" in change:
                from governance import classification

                c["classes"] = classification.resolve_classes(
                    change["classes"], f"{item}.classes", errors
                )
            clean["fields"][name] = c
    if errors:
        raise GovernanceError(errors)
    return clean


def curate(asset: Asset, user, data, *, check_permission: bool = True) -> list[CurationChange]:
    """Apply a curation request (see :func:`validate`) as ``user``; returns the changes
    recorded (nothing when every value is already as asked).

    Raises :class:`Forbidden` when ``user`` may not curate ``asset`` (owners, stewards,
    admins may: :mod:`governance.permissions`), :class:`GovernanceError` on bad input."""
    if check_permission and not may_curate(user, asset):
        raise Forbidden(f"you may not curate {asset.name}")
    clean = validate(asset, data)
    changes: list[CurationChange] = []

    def record(attribute, old, new, field_name=""):
        if old != new:
            changes.append(
                CurationChange(
                    asset=asset,
                    field_name=field_name,
                    attribute=attribute,
                    old=old,
                    new=new,
                    author=user if user and user.is_authenticated else None,
                    author_name=user.get_username() if user and user.is_authenticated else "",
                )
            )

    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if "description" in clean:
            record("description", asset.curated_description, clean["description"])
            asset.curated_description = clean["description"]
            asset.save(update_fields=["curated_description"])
        if "tags" in clean:
            old = sorted(asset.curated_tags.values_list("name", flat=True))
            asset.curated_tags.set([Tag.objects.get_or_create(name=t)[0] for t in clean["tags"]])
            record("tags", old, sorted(clean["tags"]))
        if "owners" in clean:
            record("owners", _curated_owners(asset), _set_owners(asset, clean["owners"]))
        if "hidden_owners" in clean:
            old = hidden_owners(asset)
            rows = Ownership.all_objects.filter(asset=asset).exclude(origin=CURATED)
            rows.filter(pk__in=clean["hidden_owners"]).update(hidden=True)
            rows.exclude(pk__in=clean["hidden_owners"]).update(hidden=False)
            record("hidden_owners", old, hidden_owners(asset))
        if "terms" in clean:
            from governance import glossary

            old, new = glossary.set_links(asset, "", clean["terms"])
            record("terms", old, new)
        for name, c in clean.get("fields", {}).items():
            field = Field.objects.get(asset=asset, name=name)
            if "description" in c:
                record("description", field.curated_description, c["description"], name)
                field.curated_description = c["description"]
            if "tags" in c:
                record("tags", field.curated_tags or [], c["tags"], name)
                field.curated_tags = c["tags"] or None
            field.save(update_fields=["curated_description", "curated_tags"])
            if "terms" in c:
                from governance import glossary

                old, new = glossary.set_links(asset, name, c["terms"])
                record("terms", old, new, name)
            if "classes" in c:
                from governance import classification

                old, new = classification.set_classes(asset, name, c["classes"], user)
                record("classes", old, new, name)
        if "sensitivity" in clean:
            from governance import classification
            from governance.models import AssetSensitivity

            old = (
                AssetSensitivity.objects.filter(asset=asset).values_list("level", flat=True).first()
            )
            classification.set_level(asset, clean["sensitivity"], user)
            record("sensitivity", old, clean["sensitivity"])
        CurationChange.objects.bulk_create(changes)
        if any(c.attribute == "terms" and c.field_name for c in changes):
            from governance.propagation import propagate

            propagate()
        if changes:
            reindex_assets([asset.pk])
            from governance.scorecards import invalidate

            transaction.on_commit(invalidate)
    return changes


def _curated_owners(asset: Asset) -> list[dict]:
    rows = Ownership.objects.filter(asset=asset, origin=CURATED).select_related("owner")
    return sorted(
        ({"name": o.owner.name, "type": o.type} for o in rows), key=lambda o: (o["name"], o["type"])
    )


def _set_owners(asset: Asset, owners: list[tuple[str, str, str]]) -> list[dict]:
    """Make the curated ownerships exactly ``owners``; a harvested row with the same
    owner and type already says it (kept as it is)."""
    wanted = set()
    for name, otype, kind in owners:
        owner, _ = Owner.objects.get_or_create(name=name, defaults={"kind": kind})
        wanted.add((owner.pk, otype))
    current = {
        (o.owner_id, o.type): o for o in Ownership.objects.filter(asset=asset, origin=CURATED)
    }
    for key, row in current.items():
        if key not in wanted:
            row.delete()
    taken = set(Ownership.all_objects.filter(asset=asset).values_list("owner_id", "type"))
    Ownership.objects.bulk_create(
        [
            Ownership(asset=asset, owner_id=pk, type=t, origin=CURATED)
            for pk, t in wanted
            if (pk, t) not in taken
        ]
    )
    return _curated_owners(asset)


def hidden_owners(asset: Asset) -> list[dict]:
    """``[{"name", "type", "origin"}]`` of the harvested owners people hid, by name."""
    rows = Ownership.all_objects.filter(asset=asset, hidden=True).select_related("owner")
    return sorted(
        ({"name": o.owner.name, "type": o.type, "origin": o.origin} for o in rows),
        key=lambda o: (o["name"], o["type"]),
    )


def history(asset: Asset, limit: int = 200) -> list[CurationChange]:
    """The newest ``limit`` curation changes of ``asset`` (and its columns), newest first."""
    return list(CurationChange.objects.filter(asset=asset).select_related("author")[:limit])
