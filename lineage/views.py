"""Lineage pages: the lineage, impact and runs tabs of the asset page, lineage figures.

Registered on the catalog's pages (:mod:`catalog.pages`) by :class:`lineage.apps.LineageConfig`.
The lineage graph itself is drawn in the browser (Cytoscape.js, ``static/catalog/lineage.js``)
from ``/api/v1/lineage`` and ``/api/v1/column-lineage``.
"""

from collections import defaultdict
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from catalog.pages import AssetTab, PageExtension
from catalog.urns import short_name
from catalog.views import asset_url
from lineage import queries
from lineage.api.edits import edge_rows
from lineage.history import schema_diff
from lineage.models import JobRun, LineageEdge, SchemaVersion, edge_filter

LINEAGE_SCRIPTS = (
    "vendor/cytoscape/cytoscape.min.js",
    "vendor/dagre/dagre.min.js",
    "vendor/cytoscape-dagre/cytoscape-dagre.js",
    "catalog/lineage.js",
)
#: columns of the runs tab: (JobRun field, heading)
RUN_COLUMNS = (
    ("run_id", "Run"),
    ("state", "State"),
    ("started_at", "Started"),
    ("ended_at", "Ended"),
    ("nominal_start_time", "Nominal start"),
    ("event_count", "Events"),
    ("error_message", "Error"),
)


def job_runs(asset, limit: int = 50) -> dict:
    """Recent runs of a job, newest first: ``{columns: [heading], rows: [{cells: [{name,
    value}], state, seconds}]}``; ``seconds`` is the wall-clock duration (None while
    running). One query."""
    rows = []
    for run in JobRun.objects.filter(job=asset)[:limit]:
        started, ended = run.started_at, run.ended_at
        rows.append(
            {
                "cells": [{"name": name, "value": getattr(run, name)} for name, _ in RUN_COLUMNS],
                "state": run.state,
                "seconds": (ended - started).total_seconds() if started and ended else None,
            }
        )
    return {"columns": [heading for _, heading in RUN_COLUMNS], "rows": rows}


def impact_groups(rows: list[dict]) -> list[dict]:
    """Impact rows grouped by owner: ``[{owner, assets: [row]}]``, "No owner" last.

    An asset with several owners appears under each. Rows keep depth order and gain
    ``url`` and ``path_names`` (the names along the path).
    """
    names = {r["urn"]: r["name"] for r in rows}
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        row = {
            **row,
            "url": asset_url(row["urn"]),
            "path_names": [names.get(u, short_name(u)) for u in row["path"]],
        }
        for owner in row["owners"] or [""]:
            groups[owner].append(row)
    ordered = sorted((o for o in groups if o), key=str.lower)
    result = [{"owner": o, "assets": groups[o]} for o in ordered]
    if "" in groups:
        result.append({"owner": "", "assets": groups[""]})
    return result


def history_context(request: HttpRequest, asset) -> dict:
    """The history tab: ``schema_versions`` (newest first), the ``diff`` between
    ``?from=`` and ``?to=`` (default: the latest version and the one before; ``diff_from``
    / ``diff_to`` the versions compared, ``diff_error`` for an unknown one) and
    ``edge_history`` (``{dataset, column}`` rows, every edge in or out, ended ones
    too). Four queries."""
    versions = {v.version: v for v in SchemaVersion.objects.filter(asset=asset)}
    latest = max(versions, default=0)
    context: dict = {"schema_versions": [versions[v] for v in sorted(versions, reverse=True)]}
    try:
        to = int(request.GET.get("to") or latest)
        old = int(request.GET.get("from") or to - 1)
    except ValueError:
        to, old = latest, latest - 1
    if to and to in versions and (old == 0 or old in versions):
        context.update(
            diff=schema_diff(versions[old].columns if old else [], versions[to].columns),
            diff_from=old,
            diff_to=to,
        )
    elif versions:
        context["diff_error"] = f"No schema version {to if to not in versions else old}."
    rows = edge_rows(asset, ended=True)
    context["edge_history"] = rows["dataset"] + rows["column"]
    return context


class LineagePages(PageExtension):
    """Asset page: a dataset gets the lineage and impact tabs and its upstream/downstream
    counts in the header; a job gets its inputs and outputs and the runs tab (OpenLineage
    runs). Home page: the number of lineage edges."""

    header_template = "lineage/_header_facts.html"

    def home_context(self) -> dict:
        """``{edges_total}``: dataset lineage edges stored."""
        return {"edges_total": LineageEdge.objects.filter(edge_filter()).count()}

    def tabs(self, asset, is_job: bool) -> list[AssetTab]:
        """Jobs (not nodes of the dataset graph): runs; others: lineage and impact."""
        if is_job:
            return [AssetTab("runs", "Runs", "lineage/_runs.html")]
        return [
            AssetTab("lineage", "Lineage", "lineage/_lineage.html", LINEAGE_SCRIPTS),
            AssetTab("impact", "Impact", "lineage/_impact.html"),
            AssetTab("history", "History", "lineage/_history.html"),
        ]

    def header_context(self, asset, is_job: bool) -> dict:
        """A job: ``job_inputs``/``job_outputs`` (assets by name, one query); otherwise
        ``upstream_count``/``downstream_count`` (distinct neighbours, two queries)."""
        if is_job:
            edges = LineageEdge.objects.filter(edge_filter(), job=asset).select_related(
                "upstream", "downstream"
            )
            return {
                "job_inputs": sorted({e.upstream for e in edges}, key=lambda a: a.name),
                "job_outputs": sorted({e.downstream for e in edges}, key=lambda a: a.name),
            }
        return {
            "upstream_count": LineageEdge.objects.filter(edge_filter(), downstream=asset)
            .values("upstream")
            .distinct()
            .count(),
            "downstream_count": LineageEdge.objects.filter(edge_filter(), upstream=asset)
            .values("downstream")
            .distinct()
            .count(),
        }

    def tab_context(self, request: HttpRequest, asset, tab: str) -> dict:
        """Impact rows grouped by owner (impact tab), the job's runs (runs tab)."""
        if tab == "impact":
            rows = queries.impact(asset.urn)
            return {
                "impact_count": len(rows),
                "impact_groups": impact_groups(rows),
                "impact_csv_url": reverse("api-impact")
                + "?"
                + urlencode({"urn": asset.urn, "format": "csv"}),
            }
        if tab == "runs":
            return {"runs": job_runs(asset)}
        if tab == "history":
            return history_context(request, asset)
        return {}

    def tab_templates(self, asset, tab: str) -> list[str]:
        """A job's inputs and outputs at the top of its first tab."""
        return ["lineage/_job_io.html"] if tab == "schema" and asset.kind == "job" else []
