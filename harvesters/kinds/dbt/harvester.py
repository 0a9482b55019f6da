"""The ``dbt`` harvester: models, seeds, sources, snapshots, exposures and test results
from dbt's artifacts.

Reads the JSON artifacts a dbt run leaves in its ``target/`` folder
(https://docs.getdbt.com/reference/artifacts/dbt-artifacts):

* ``manifest.json`` (schema v12; required): nodes, sources, exposures, descriptions,
  tags, ``meta.owner``, ``depends_on`` and each model's ``compiled_code``;
* ``catalog.json`` (optional, from ``dbt docs generate``): column types and table stats;
* ``run_results.json`` (optional): test outcomes (→ quality results) and model builds.

URNs follow :mod:`catalog.urns` so that a dbt model and the warehouse table it builds
are one asset: namespace ``<adapter>://<database>`` for file databases (DuckDB, SQLite),
the configured ``namespace`` (e.g. ``postgres://db:5432``) for server databases; name
``<database>.<schema>.<alias>``. Each model/snapshot build is a job
``urn:mc:job:dbt://<project>/<unique_id>``; column lineage comes from parsing the
compiled SQL with :func:`harvesters.sqlparsing.lineage.parse_sql_lineage`
(:mod:`harvesters.kinds.dbt.lineage`).

Errors: an unreadable/invalid ``manifest.json`` stops the run (:class:`HarvestError`
naming the file and the JSON error position); a missing or broken ``catalog.json`` /
``run_results.json`` is a warning; a node missing keys is a per-item error naming its
``unique_id``; compiled SQL that cannot be parsed is a warning naming the model.
"""

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from catalog.urns import dataset_urn, job_urn, make_urn
from harvesters.base import Harvester, HarvesterConfig, HarvestError
from harvesters.kinds.dbt.artifacts import completed_at, load_artifact, parse_time
from harvesters.kinds.dbt.lineage import DbtLineageMixin
from harvesters.kinds.sql.harvester import normalise_type
from harvesters.records import (
    DatasetRecord,
    FieldRecord,
    JobRecord,
    LineageRecord,
    OwnerRecord,
    QualityRecord,
    Record,
)
from harvesters.sqlparsing.dialects import sqlglot_dialect

GC_THRESHOLD0 = 50_000  # first-generation threshold while a run lasts (default 700)
FILE_ADAPTERS = {"duckdb", "sqlite"}
DATASET_RESOURCES = ("seed", "model", "snapshot")
BUILT_RESOURCES = {"model", "snapshot"}
VIEW_MATERIALIZATIONS = {"view", "materialized_view"}
TEST_STATUS = {
    "pass": "pass",
    "success": "pass",
    "fail": "fail",
    "warn": "warn",
    "error": "error",
    "runtime error": "error",
    "skipped": "skipped",
    "skip": "skipped",
}
ROW_COUNT_STATS = ("num_rows", "row_count", "rows")
SIZE_STATS = ("num_bytes", "bytes", "size_bytes")


class DbtConfig(HarvesterConfig):
    """Where the artifacts are and how to name what they describe.

    ``target_dir``: folder holding ``manifest.json`` (and optionally ``catalog.json``,
    ``run_results.json``); or give ``manifest_path`` / ``catalog_path`` /
    ``run_results_path`` explicitly (they win over ``target_dir``). ``namespace``:
    OpenLineage namespace of the warehouse (e.g. ``postgres://db:5432``), default
    ``<adapter>://<database>``. ``platform``: default the manifest's ``adapter_type``.
    """

    target_dir: str | None = Field(
        None, description="folder holding manifest.json (and catalog.json, run_results.json)"
    )
    manifest_path: str | None = Field(None, description="manifest.json (wins over target_dir)")
    catalog_path: str | None = Field(None, description="catalog.json (wins over target_dir)")
    run_results_path: str | None = Field(
        None, description="run_results.json (wins over target_dir)"
    )
    namespace: str | None = Field(
        None, description="OpenLineage namespace of the warehouse, e.g. postgres://db:5432"
    )
    platform: str | None = Field(None, description="default: the manifest's adapter_type")

    @model_validator(mode="after")
    def _needs_manifest(self) -> "DbtConfig":
        if not self.target_dir and not self.manifest_path:
            raise ValueError("set 'target_dir' or 'manifest_path'")
        return self

    def path(self, artifact: str) -> Path | None:
        """Path of ``artifact`` ("manifest", "catalog", "run_results"), None if unknown."""
        explicit = getattr(self, f"{artifact}_path")
        if explicit:
            return Path(explicit)
        return Path(self.target_dir) / f"{artifact}.json" if self.target_dir else None


def owners_of(node: dict) -> list[OwnerRecord]:
    """Owners from ``meta.owner`` / ``config.meta.owner`` (a string or a list)."""
    meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
    raw = meta.get("owner") or meta.get("owners") or []
    names = [raw] if isinstance(raw, str) else [str(n) for n in raw if n]
    return [
        OwnerRecord(name=n, kind="user" if "@" in n else "team", email=n if "@" in n else "")
        for n in names
    ]


def tags_of(node: dict) -> list[str]:
    """Node tags plus ``config.tags``, de-duplicated, order kept."""
    tags = list(node.get("tags") or []) + list((node.get("config") or {}).get("tags") or [])
    return list(dict.fromkeys(str(t) for t in tags))


def _stat(stats: dict, keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = (stats.get(key) or {}).get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
    return None


class DbtHarvester(DbtLineageMixin, Harvester):
    """Harvests a dbt project's artifacts; see the module docstring for what it yields."""

    kind = "dbt"
    config_class = DbtConfig
    config: DbtConfig
    # Every dataset is yielded (once) before any lineage, and a build's field lineage
    # comes in one piece: the sink may write field lineage as it goes.
    stream_field_lineage = True

    # -- loading --------------------------------------------------------------------
    def _load_manifest(self) -> dict:
        path = self.config.path("manifest")
        if not path.is_file():
            raise HarvestError(f"manifest not found: {path}")
        try:
            manifest = load_artifact(path, "manifest")
        except (OSError, ValueError) as exc:
            raise HarvestError(str(exc)) from None
        if not isinstance(manifest.get("nodes"), dict):
            raise HarvestError(f"{path}: not a dbt manifest (no 'nodes' object)")
        return manifest

    def _load_optional(self, artifact: str, consequence: str) -> dict | None:
        path = self.config.path(artifact)
        if path is None or not path.is_file():
            self.report.warn(f"{artifact}.json", f"not found at {path}; {consequence}")
            return None
        try:
            return load_artifact(path, artifact)
        except (OSError, ValueError) as exc:
            self.report.warn(f"{artifact}.json", f"{exc}; {consequence}")
            return None

    # -- naming ---------------------------------------------------------------------
    def namespace(self, database: str | None) -> str:
        """The OpenLineage namespace of a relation in ``database``."""
        return self.config.namespace or f"{self.adapter}://{database or 'default'}"

    def relation(self, node: dict) -> tuple[str, str]:
        """``(namespace, qualified name)`` of the relation a node builds or reads."""
        ident = node.get("identifier") if node["resource_type"] == "source" else None
        ident = ident or node.get("alias") or node["name"]
        parts = [p for p in (node.get("database"), node["schema"], ident) if p]
        return self.namespace(node.get("database")), ".".join(parts)

    # -- main -------------------------------------------------------------------------
    def records(self) -> Iterator[Record]:
        """Yield datasets, jobs, lineage, field lineage and quality results."""
        # The artifacts and the dataset records live for the whole run: frozen, the
        # garbage collector stops re-scanning them (seconds at 10k models).
        # Millions of short-lived objects (records, rows) also made the collector run
        # thousands of times (5 s at 10k models): a larger first generation while the run
        # lasts, restored afterwards.
        # A process that froze its own objects at start (config/wsgi.py) keeps them
        # frozen: the run then freezes nothing, as it could not unfreeze only its own.
        owns_freeze = self._owns_freeze = gc.get_freeze_count() == 0
        threshold = gc.get_threshold()
        if owns_freeze:
            gc.set_threshold(max(threshold[0], GC_THRESHOLD0), *threshold[1:])
        try:
            yield from self._records()
        finally:
            if owns_freeze:
                gc.unfreeze()
                gc.set_threshold(*threshold)

    def _records(self) -> Iterator[Record]:
        """The records, in order: datasets, exposures, builds with lineage, tests."""
        manifest = self._load_manifest()
        meta = manifest.get("metadata") or {}
        self.adapter = str(meta.get("adapter_type") or "dbt")
        self.dialect = sqlglot_dialect(self.adapter)
        self.project = str(meta.get("project_name") or "dbt")
        self.platform = self.config.platform or self.adapter
        self.job_namespace = f"dbt://{self.project}"
        catalog = self._load_optional("catalog", "column types and row counts are left out")
        run_results = self._load_optional("run_results", "test results are left out")
        self.catalog = {
            **((catalog or {}).get("nodes") or {}),
            **((catalog or {}).get("sources") or {}),
        }
        self.results = {
            r.get("unique_id"): r
            for r in (run_results or {}).get("results") or []
            if isinstance(r, dict)
        }
        if self._owns_freeze:
            gc.freeze()
        if not self.config.namespace and self.adapter not in FILE_ADAPTERS:
            self.report.warn(
                "namespace",
                f"no 'namespace' set for the {self.adapter} adapter: using "
                f"'{self.adapter}://<database>'; set it (e.g. {self.adapter}://host:5432) so "
                "dbt assets converge with the warehouse harvester's",
            )
        self.datasets: dict[str, DatasetRecord] = {}
        self._column_spellings: dict[str, dict[str, str]] = {}
        nodes = manifest["nodes"]
        items = [
            (uid, n)
            for uid, n in nodes.items()
            if isinstance(n, dict) and n.get("resource_type") in DATASET_RESOURCES
        ]
        items += list((manifest.get("sources") or {}).items())
        for uid, node in items:
            record = self._guard(uid, self._dataset, node)
            if isinstance(node, dict):
                node.pop("columns", None)  # in the record now; nothing else reads it
            if record:
                self.datasets[uid] = record
                yield record
        self.catalog = {}  # only datasets read it
        if self._owns_freeze:
            gc.freeze()
        for uid, exposure in (manifest.get("exposures") or {}).items():
            yield from self._guard(uid, self._exposure, exposure) or ()
        builds = [
            (uid, node)
            for uid, node in items
            if node.get("resource_type") in BUILT_RESOURCES and uid in self.datasets
        ]
        parsed = self._parse_builds(builds)
        try:
            for uid, node in builds:
                yield from self._guard(uid, self._build, node, next(parsed)) or ()
        finally:
            parsed.close()
        for uid, result in self.results.items():
            if isinstance(uid, str) and uid.startswith("test."):
                record = self._guard(uid, self._quality, nodes.get(uid), result)
                if record:
                    yield record

    def _guard(self, uid: str, fn, *args):
        """Run ``fn(*args)``; a missing key or bad value is a per-item error on ``uid``."""
        try:
            result = fn(*args)
            return list(result) if isinstance(result, Iterator) else result
        except KeyError as exc:
            self.report.error(uid, f"missing key {exc}")
        except (TypeError, ValueError, AttributeError) as exc:
            self.report.error(uid, f"malformed node: {exc}")
        return None

    # -- datasets ---------------------------------------------------------------------
    def _dataset(self, node: dict) -> DatasetRecord:
        uid, resource = node["unique_id"], node["resource_type"]
        namespace, qualified = self.relation(node)
        config = node.get("config") or {}
        materialized = config.get("materialized") or ("source" if resource == "source" else "")
        stats = (self.catalog.get(uid) or {}).get("stats") or {}
        dbt_props = {
            "unique_id": uid,
            "resource_type": resource,
            "materialized": materialized,
            "path": node.get("original_file_path") or node.get("path") or "",
        }
        if resource == "source":
            dbt_props["source_name"] = node.get("source_name", "")
            dbt_props["loader"] = node.get("loader", "")
        description = node.get("description") or ""
        if not description and resource == "source":
            description = node.get("source_description") or ""
        return DatasetRecord(
            urn=dataset_urn(namespace, qualified),
            namespace=namespace,
            qualified_name=qualified,
            name=qualified.rsplit(".", 1)[-1],
            platform=self.platform,
            type="view" if materialized in VIEW_MATERIALIZATIONS else "table",
            description=description,
            fields=self._fields(node),
            tags=tags_of(node),
            owners=owners_of(node),
            properties={"dbt": dbt_props},
            row_count=_stat(stats, ROW_COUNT_STATS),
            size_bytes=_stat(stats, SIZE_STATS),
        )

    def _fields(self, node: dict) -> list[FieldRecord]:
        """Columns: manifest docs/tags merged with catalog.json types, warehouse order.

        With a catalog.json entry its column list is the truth (documented columns it
        lacks are warned about); without one, the documented columns are used."""
        documented = {name.lower(): col for name, col in (node.get("columns") or {}).items()}
        typed = (self.catalog.get(node["unique_id"]) or {}).get("columns") or {}
        fields, seen = [], set()
        for name, col in sorted(typed.items(), key=lambda kv: kv[1].get("index") or 0):
            doc = documented.get(name.lower()) or {}
            fields.append(
                self._field(
                    col.get("name") or name,
                    col.get("type") or "",
                    doc,
                    col.get("index") or 0,
                    col.get("comment") or "",
                )
            )
            seen.add(name.lower())
        for key, doc in documented.items():
            if key in seen:
                continue
            if typed:  # catalog.json lists the relation's real columns: do not invent one
                self.report.warn(
                    node["unique_id"],
                    f"documented column '{doc.get('name') or key}' is not in the relation "
                    "(catalog.json); left out",
                )
            else:
                fields.append(
                    self._field(doc.get("name") or key, doc.get("data_type") or "", doc, 0, "")
                )
        return fields

    def _field(self, name: str, native: str, doc: dict, index: int, comment: str) -> FieldRecord:
        tags = list(doc.get("tags") or []) + list((doc.get("config") or {}).get("tags") or [])
        return FieldRecord(
            name=name,
            native_type=native,
            data_type=self._family(native),
            description=doc.get("description") or comment,
            ordinal=index,
            tags=list(dict.fromkeys(str(t) for t in tags)),
        )

    def _family(self, native: str) -> str:
        """``normalise_type(native)``, memoised (a project has few distinct types)."""
        families = self.__dict__.setdefault("_families", {})
        if native not in families:
            families[native] = normalise_type(native)
        return families[native]

    def _exposure(self, node: dict) -> Iterator[Record]:
        uid = node["unique_id"]
        owner = node.get("owner") or {}
        owner_name = owner.get("email") or owner.get("name")
        owners = [
            OwnerRecord(
                name=owner_name,
                kind="user" if owner.get("email") else "team",
                type="business_owner",
                email=owner.get("email") or "",
            )
        ]
        urn = make_urn("dashboard", self.job_namespace, node["name"])
        yield DatasetRecord(
            urn=urn,
            namespace=self.job_namespace,
            qualified_name=node["name"],
            name=node.get("label") or node["name"],
            platform=self.platform,
            type="dashboard",
            kind="dashboard",
            description=node.get("description") or "",
            tags=tags_of(node),
            owners=owners if owner_name else [],
            properties={
                "dbt": {
                    "unique_id": uid,
                    "resource_type": "exposure",
                    "exposure_type": node.get("type") or "",
                    "maturity": node.get("maturity") or "",
                    "path": node.get("original_file_path") or "",
                },
                "url": node.get("url") or "",
            },
        )
        for parent in (node.get("depends_on") or {}).get("nodes") or []:
            if parent in self.datasets:
                yield LineageRecord(self.datasets[parent].urn, urn)

    # -- builds and lineage -----------------------------------------------------------
    def _build(self, node: dict, parsed: object = None) -> Iterator[Record]:
        uid = node["unique_id"]
        target = self.datasets[uid]
        job = job_urn(self.job_namespace, uid)
        props: dict[str, Any] = {
            "dbt": {
                "unique_id": uid,
                "resource_type": node["resource_type"],
                "materialized": target.properties["dbt"]["materialized"],
                "path": target.properties["dbt"]["path"],
            }
        }
        sql = node.get("compiled_code") or node.get("compiled_sql") or ""
        if sql:
            props["sql"] = sql
        result = self.results.get(uid)
        if result:
            props["dbt"]["last_run"] = {
                "status": result.get("status"),
                "execution_time": result.get("execution_time"),
                "completed_at": completed_at(result),
                "message": result.get("message"),
            }
        yield JobRecord(
            urn=job,
            namespace=self.job_namespace,
            qualified_name=uid,
            name=node["name"],
            platform="dbt",
            description=f"dbt {node['resource_type']} build of {target.name}",
            properties=props,
            owners=target.owners,
            tags=target.tags,
        )
        for parent in (node.get("depends_on") or {}).get("nodes") or []:
            if parent in self.datasets:
                yield LineageRecord(self.datasets[parent].urn, target.urn, job)
        if sql:
            yield from self._field_lineage(node, sql, target, job, parsed)

    # -- tests --------------------------------------------------------------------------
    def _quality(self, test: dict | None, result: dict) -> QualityRecord | None:
        uid = result["unique_id"]
        if test is None:
            self.report.warn(uid, "test result has no node in manifest.json; skipped")
            return None
        attached = test.get("attached_node")
        if not attached:
            parents = (test.get("depends_on") or {}).get("nodes") or []
            attached = next((p for p in parents if p in self.datasets), None)
        if attached not in self.datasets:
            self.report.warn(uid, f"test is attached to {attached!r}, not a harvested dataset")
            return None
        status = TEST_STATUS.get(str(result.get("status")).lower())
        if status is None:
            raise ValueError(f"unknown test status {result.get('status')!r}")
        metadata = test.get("test_metadata") or {}
        return QualityRecord(
            asset_urn=self.datasets[attached].urn,
            name=test["name"],
            status=status,
            field_name=test.get("column_name") or "",
            check_type=metadata.get("name") or "singular",
            executed_at=parse_time(completed_at(result)),
            details={
                "unique_id": uid,
                "message": result.get("message"),
                "failures": result.get("failures"),
            },
        )
