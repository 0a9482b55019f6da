"""The classification service: data classes, proposals, decisions, levels, facets.

Detection (:mod:`governance.detection`) proposes classes; stewards and the asset's
owners accept or reject them (:func:`decide`); people may also set a column's classes
directly (:func:`set_classes`, from curation). A rejected class is never proposed again
for that column. Every decision re-runs :func:`governance.propagation.propagate`, so
accepted classes flow downstream along column lineage and are withdrawn with their
origin.
"""

import logging
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from catalog.models import Asset, AssetSource, Field
from catalog.outbox import reindex_assets
from governance import detection
from governance.errors import Forbidden, GovernanceError
from governance.models import (
    SENSITIVITY_RANK,
    AssetSensitivity,
    ColumnClass,
    CurationChange,
    DataClass,
    Sensitivity,
    SourceSampling,
)
from governance.permissions import may_curate

log = logging.getLogger(__name__)

#: the personal data classes every catalog has (also seeded by migration 0002)
PERSONAL_CLASSES = [
    ("email", "E-mail address", "confidential"),
    ("phone", "Phone number", "confidential"),
    ("person_name", "Person name", "confidential"),
    ("postal_address", "Postal address", "confidential"),
    ("iban", "IBAN (bank account)", "restricted"),
    ("payment_card", "Payment card number", "restricted"),
    ("national_id", "National identifier", "restricted"),
    ("ip_address", "IP address", "internal"),
    ("date_of_birth", "Date of birth", "confidential"),
]


def data_classes() -> dict[str, DataClass]:
    """``{slug: DataClass}``, creating the personal classes when missing."""
    classes = {c.slug: c for c in DataClass.objects.all()}
    for slug, name, level in PERSONAL_CLASSES:
        if slug not in classes:
            classes[slug] = DataClass.objects.get_or_create(
                slug=slug, defaults={"name": name, "level": level, "personal": True}
            )[0]
    return classes


def resolve_classes(value, item: str, errors: dict) -> list[DataClass]:
    """Class slugs (or names) → classes; unknown ones reported under ``item``."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(item, []).append("must be a list of data class slugs")
        return []
    classes = data_classes()
    by_name = {c.name.lower(): c for c in classes.values()}
    found = []
    for v in value:
        c = classes.get(v.strip()) or by_name.get(v.strip().lower())
        if c is None:
            errors.setdefault(item, []).append(
                f"unknown class {v!r} (use one of {', '.join(sorted(classes))})"
            )
        elif c not in found:
            found.append(c)
    return found


def set_classes(asset: Asset, field_name: str, classes: list[DataClass], user) -> tuple[list, list]:
    """Make the directly accepted classes of a column exactly ``classes`` (a person's
    decision: missing ones are created accepted ``manual``, proposals among them are
    accepted, accepted ones left out are rejected). Returns ``(old, new)`` slugs;
    propagation re-runs."""
    direct = ColumnClass.objects.filter(asset=asset, field_name=field_name, propagated_from=None)
    old = sorted(
        direct.filter(status=ColumnClass.Status.ACCEPTED).values_list("data_class__slug", flat=True)
    )
    wanted = {c.pk for c in classes}
    now = timezone.now()
    direct.filter(status=ColumnClass.Status.ACCEPTED).exclude(data_class_id__in=wanted).update(
        status=ColumnClass.Status.REJECTED, decided_by=user, decided_at=now
    )
    for c in classes:
        # a propagated one becomes a person's
        ColumnClass.objects.filter(asset=asset, field_name=field_name, data_class=c).exclude(
            propagated_from=None
        ).delete()
        ColumnClass.objects.update_or_create(
            asset=asset,
            field_name=field_name,
            data_class=c,
            defaults={"status": ColumnClass.Status.ACCEPTED, "decided_by": user, "decided_at": now},
            create_defaults={
                "status": ColumnClass.Status.ACCEPTED,
                "method": "manual",
                "confidence": 1.0,
                "evidence": "set by a person",
                "decided_by": user,
                "decided_at": now,
            },
        )
    _after_change()
    return old, sorted(c.slug for c in classes)


def decide(proposal: ColumnClass, user, accept: bool) -> ColumnClass:
    """Accept or reject a proposal (owners, stewards, admins of its asset; a propagated
    class cannot be decided: decide its origin). Recorded in the asset's history."""
    if not may_curate(user, proposal.asset):
        raise Forbidden(f"you may not classify {proposal.asset.name}")
    if proposal.propagated_from_id:
        raise GovernanceError(
            f"this class is {proposal.provenance}: decide it there", "classification"
        )
    status = ColumnClass.Status.ACCEPTED if accept else ColumnClass.Status.REJECTED
    with transaction.atomic():
        old = proposal.status
        proposal.status, proposal.decided_by, proposal.decided_at = status, user, timezone.now()
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        CurationChange.objects.create(
            asset=proposal.asset,
            field_name=proposal.field_name,
            attribute="classes",
            old={"class": proposal.data_class.slug, "status": old},
            new={"class": proposal.data_class.slug, "status": status},
            author=user,
            author_name=user.get_username(),
        )
        reindex_assets([proposal.asset_id])
        _after_change()
    return proposal


def set_level(asset: Asset, level: str | None, user) -> None:
    """Set (or with None clear) a person's sensitivity level on ``asset``."""
    if level is not None and level not in Sensitivity.values:
        raise GovernanceError(
            f"unknown level {level!r} (use {', '.join(Sensitivity.values)})", "sensitivity"
        )
    if level is None:
        AssetSensitivity.objects.filter(asset=asset).delete()
    else:
        AssetSensitivity.objects.update_or_create(
            asset=asset, defaults={"level": level, "set_by": user, "set_at": timezone.now()}
        )
    reindex_assets([asset.pk])


def _after_change() -> None:
    from governance.propagation import propagate

    propagate()


def highest(levels) -> str:
    """The most sensitive of ``levels`` (``""`` for none)."""
    levels = [lv for lv in levels if lv]
    return max(levels, key=lambda lv: SENSITIVITY_RANK.get(lv, 0)) if levels else ""


def effective_level(asset: Asset, classes: list[ColumnClass] | None = None) -> str:
    """The highest of the asset's set level and its columns' accepted classes' levels
    (``""`` when neither says anything)."""
    if classes is None:
        classes = list(
            ColumnClass.objects.filter(
                asset=asset, status=ColumnClass.Status.ACCEPTED
            ).select_related("data_class")
        )
    levels = [c.data_class.level for c in classes if c.status == ColumnClass.Status.ACCEPTED]
    explicit = AssetSensitivity.objects.filter(asset=asset).values_list("level", flat=True).first()
    if explicit:
        levels.append(explicit)
    return max(levels, key=lambda lv: SENSITIVITY_RANK.get(lv, 0)) if levels else ""


DETECT_CHUNK = 500  # assets classified per round of queries


class _Col(NamedTuple):
    name: str
    data_type: str


class _Asset(NamedTuple):
    pk: int
    urn: str
    qualified_name: str


def detect(assets, *, sample: bool | None = None, warnings: list | None = None) -> int:
    """Propose classes for the columns of ``assets`` (a queryset or list of datasets):
    from names always, from sampled values when ``sample`` (None: when the asset's
    source opted in with :class:`SourceSampling`). A class already proposed, accepted or
    rejected for the column is not proposed again (a proposal's confidence is updated).
    Sampling failures and timeouts go to ``warnings`` as ``{"item", "message"}``.
    Returns the number of new proposals.

    Works :data:`DETECT_CHUNK` assets at a time with a constant number of queries per
    chunk (columns, existing classes, source links; new proposals in one insert) and
    reads rows as tuples, so a harvest of 100,000 tables is classified in bounded
    memory and time linear in its columns."""
    classes = data_classes()
    by_name: dict[str, list[detection.Finding]] = {}  # few distinct column names
    sampling: dict[int, tuple] = {}  # source id -> (Source, its SourceSampling or None)
    created = 0
    if sample is None and not SourceSampling.objects.filter(enabled=True).exists():
        sample = False  # no source opted in: names only, no source links to read
    for chunk in _asset_chunks(assets):
        fields: dict[int, list[_Col]] = {}
        for asset_id, name, data_type in Field.objects.filter(
            asset_id__in=[a.pk for a in chunk]
        ).values_list("asset_id", "name", "data_type"):
            fields.setdefault(asset_id, []).append(_Col(name, data_type))
        existing = {
            (c.asset_id, c.field_name, c.data_class.slug): c
            for c in ColumnClass.objects.filter(asset_id__in=list(fields)).select_related(
                "data_class"
            )
        }
        links = _sampling_links(fields, sample, sampling)
        new: list[ColumnClass] = []
        for asset in chunk:
            asset_fields = fields.get(asset.pk)
            if not asset_fields:
                continue
            findings: dict[str, list[detection.Finding]] = {}
            for f in asset_fields:
                if f.name not in by_name:
                    by_name[f.name] = detection.from_name(f.name)
                findings[f.name] = list(by_name[f.name])
            if asset.pk in links:
                source, opt = links[asset.pk]
                for name, values in _samples(asset, asset_fields, source, opt, warnings).items():
                    findings[name] += detection.from_values(values)
            for name, found in findings.items():
                best: dict[str, detection.Finding] = {}
                for f in found:
                    if f.slug not in best or f.confidence > best[f.slug].confidence:
                        best[f.slug] = f
                for slug, f in best.items():
                    current = existing.get((asset.pk, name, slug))
                    if current is None:
                        new.append(
                            ColumnClass(
                                asset_id=asset.pk,
                                field_name=name,
                                data_class=classes[slug],
                                confidence=f.confidence,
                                method=f.method,
                                evidence=f.evidence[:500],
                            )
                        )
                    elif (
                        current.status == ColumnClass.Status.PROPOSED
                        and current.confidence != f.confidence
                    ):
                        current.confidence, current.method, current.evidence = (
                            f.confidence,
                            f.method,
                            f.evidence[:500],
                        )
                        current.save(update_fields=["confidence", "method", "evidence"])
        if new:
            ColumnClass.objects.bulk_create(new)
            created += len(new)
    if created:  # bulk_create sends no post_save: the cached scorecards read classes
        from governance.scorecards import invalidate

        invalidate()
    return created


def _asset_chunks(assets):
    """``assets`` as lists of at most :data:`DETECT_CHUNK` ``_Asset`` tuples (a
    queryset is read by primary key ranges, never whole)."""
    if isinstance(assets, list | tuple):
        rows = [_Asset(a.pk, a.urn, a.qualified_name) for a in assets]
        for start in range(0, len(rows), DETECT_CHUNK):
            yield rows[start : start + DETECT_CHUNK]
        return
    last = 0
    while True:
        ids = list(
            assets.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:DETECT_CHUNK]
        )
        if not ids:
            return
        last = ids[-1]
        rows = Asset.objects.filter(pk__in=ids).order_by("pk")
        yield [_Asset(*row) for row in rows.values_list("id", "urn", "qualified_name")]


def _sampling_links(fields, sample, sampling) -> dict[int, tuple]:
    """``{asset id: (Source, SourceSampling or None)}`` for the assets of ``fields``
    whose values are to be sampled: their first live link is to a ``sql`` source, and
    ``sample`` is True, or None and that source opted in."""
    if sample is False:
        return {}
    first: dict[int, tuple[int, str]] = {}
    for asset_id, source_id, kind in (
        AssetSource.objects.filter(asset_id__in=list(fields), removed=False)
        .order_by("pk")
        .values_list("asset_id", "source_id", "source__kind")
    ):
        first.setdefault(asset_id, (source_id, kind))
    chosen = {}
    for asset_id, (source_id, kind) in first.items():
        if kind != "sql":
            continue
        if source_id not in sampling:
            opt = SourceSampling.objects.filter(source_id=source_id).first()
            source = (
                opt.source
                if opt
                else AssetSource.objects.filter(source_id=source_id)
                .select_related("source")
                .first()
                .source
            )
            sampling[source_id] = (source, opt)
        source, opt = sampling[source_id]
        if sample is None and not (opt and opt.enabled):
            continue
        chosen[asset_id] = (source, opt)
    return chosen


def _samples(asset, fields, source, opt, warnings: list | None) -> dict[str, list]:
    """Sampled values per string column of ``asset`` (``pk``, ``urn``,
    ``qualified_name``) from ``source``, bounded by ``opt`` (its SourceSampling or
    None: 100 rows, 10 s)."""
    from harvesters.secrets import secret_values

    rows, timeout = (opt.rows, opt.timeout_seconds) if opt else (100, 10.0)
    columns = [f.name for f in fields if f.data_type in ("string", "", "other")]
    if not columns:
        return {}
    parts = asset.qualified_name.split(".")
    schema, table = (parts[-2] if len(parts) > 1 else None), parts[-1]
    try:
        return detection.sample_columns(source, schema, table, columns, min(rows, 10_000), timeout)
    except detection.SampleError as exc:
        message = str(exc)
        for secret in secret_values(source.config):
            message = message.replace(secret, "***")
        if warnings is not None:
            warnings.append(
                {"item": asset.qualified_name, "message": f"classification sampling: {message}"}
            )
        log.warning("classification sampling of %s: %s", asset.urn, message)
        return {}


def asset_classes(asset: Asset) -> list[ColumnClass]:
    """Every class of the asset's columns (all statuses), with origin, for the tab."""
    return list(
        ColumnClass.objects.filter(asset=asset)
        .select_related("data_class", "propagated_from__asset", "decided_by")
        .order_by("field_name", "data_class__name")
    )


def search_classes(asset_ids) -> dict[int, dict[str, list[str]]]:
    """Search enricher (``MESH_SEARCH_ENRICHERS``): ``{asset_id: {"classification":
    [accepted class slugs..., level]}}`` (the ``classification`` facet)."""
    out: dict[int, dict[str, list[str]]] = {}
    ids = list(asset_ids)
    rows = ColumnClass.objects.filter(
        asset_id__in=ids, status=ColumnClass.Status.ACCEPTED
    ).values_list("asset_id", "data_class__slug", "data_class__level")
    levels: dict[int, list[str]] = {}
    for asset_id, slug, level in rows:
        entry = out.setdefault(asset_id, {"classification": []})
        if slug not in entry["classification"]:
            entry["classification"].append(slug)
        levels.setdefault(asset_id, []).append(level)
    for asset_id, level in AssetSensitivity.objects.filter(asset_id__in=ids).values_list(
        "asset_id", "level"
    ):
        out.setdefault(asset_id, {"classification": []})
        levels.setdefault(asset_id, []).append(level)
    for asset_id, found in levels.items():
        out[asset_id]["classification"].append(
            max(found, key=lambda lv: SENSITIVITY_RANK.get(lv, 0))
        )
    return out


def classify_finished_run(instance) -> None:
    """Propose classes for the datasets ``instance`` (a finished run) reported, then
    re-propagate; sampling problems are added to the run's warnings. Logged, never
    raised."""
    from catalog.models import HarvestRun
    from governance.propagation import propagate

    try:
        warnings: list[dict] = []
        # the datasets this run reported, not the whole source again (detect skips
        # those without live columns; no join with the columns here: read in chunks by
        # primary key, a DISTINCT over a million columns would be sorted for each chunk)
        assets = Asset.objects.filter(provenance__last_run=instance, removed=False, kind="dataset")
        detect(assets, warnings=warnings)
        propagate()
        if warnings:
            HarvestRun.objects.filter(pk=instance.pk).update(
                warnings=[*instance.warnings, *warnings][:200]
            )
    except Exception:
        log.exception("classification after harvest %s failed", instance.pk)
