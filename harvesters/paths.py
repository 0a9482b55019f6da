"""What a source may read on this server: path confinement of source configs.

Sources of kind ``lake`` (``path``, an Iceberg SQL catalog's ``uri`` / ``warehouse``),
``sql`` with a file database (``sqlite:///...``, ``duckdb:///...``) and ``dbt``
(``target_dir``, ``*_path``) name files on the server. Two rules apply:

* :func:`forbidden_problems`: the catalog's own database (the SQLite file, or the
  PostgreSQL database named by ``DATABASE_URL``) and ``MESH_VAR_DIR`` (search index,
  cache, SQLite database) are never harvestable, whoever asks; the runner enforces it on
  every harvest.
* :func:`path_problems`: local paths must lie under one of ``MESH_SOURCE_PATH_ROOTS``
  (default: ``MESH_SAMPLES_DIR``); enforced where users define or start harvests (API,
  web pages, admin). Remote lake URLs are accepted only for object stores
  (:data:`REMOTE_PROTOCOLS`); chained fsspec URLs (``a::b``) are refused.

Each function returns a list of ``"<config key>: <reason>"`` strings (empty when fine).
"""

from pathlib import Path

from django.conf import settings
from sqlalchemy.engine import make_url

#: fsspec protocols a lake path may use besides local files (object stores only; no
#: http, ftp, sftp or memory, which would reach other hosts or this process)
REMOTE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl"})
FILE_PROTOCOLS = frozenset({"", "file", "local"})
FILE_DATABASES = ("sqlite", "duckdb")
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104


def _resolve(raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def path_roots() -> list[Path]:
    """The folders sources may read (``MESH_SOURCE_PATH_ROOTS``), resolved."""
    return [_resolve(str(r)) for r in getattr(settings, "MESH_SOURCE_PATH_ROOTS", [])]


def forbidden_paths() -> list[Path]:
    """Files and folders no source may read: ``MESH_VAR_DIR`` (search index, cache) and
    the catalog's SQLite database (with its ``-wal``/``-shm`` files)."""
    paths = [_resolve(str(settings.VAR_DIR))]
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) not in ("", ":memory:"):
        name = _resolve(str(db["NAME"]))
        paths += [name, Path(f"{name}-wal"), Path(f"{name}-shm")]
    return paths


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _protocol(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def _local_part(url: str) -> str:
    return url.split("://", 1)[1] if "://" in url else url


def local_paths(kind: str, config: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """``([(config key, local path)], [problems])`` of a source config: every server
    path the harvester would open, and URLs refused outright (bad protocols)."""
    config = config or {}
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    if kind == "lake":
        lake_path = str(config.get("path") or "")
        if "::" in lake_path:
            problems.append("path: chained fsspec URLs are not accepted")
        elif _protocol(lake_path) in FILE_PROTOCOLS:
            found.append(("path", _local_part(lake_path)))
        elif _protocol(lake_path) not in REMOTE_PROTOCOLS:
            problems.append(
                f"path: protocol '{_protocol(lake_path)}' is not accepted; use a local folder "
                f"or one of {', '.join(sorted(REMOTE_PROTOCOLS))}"
            )
        iceberg = config.get("iceberg_catalog") or {}
        if isinstance(iceberg, dict):
            uri = str(iceberg.get("uri") or "")
            if uri:
                found += _database_paths("iceberg_catalog.uri", uri, problems)
            warehouse = str(iceberg.get("warehouse") or "")
            if warehouse and _protocol(warehouse) in FILE_PROTOCOLS:
                found.append(("iceberg_catalog.warehouse", _local_part(warehouse)))
    elif kind == "sql":
        found += _database_paths("url", str(config.get("url") or ""), problems)
    elif kind == "dbt":
        for key in ("target_dir", "manifest_path", "catalog_path", "run_results_path"):
            if config.get(key):
                found.append((key, str(config[key])))
    return found, problems


def _database_paths(key: str, url: str, problems: list[str]) -> list[tuple[str, str]]:
    """The file of a SQLAlchemy URL naming a file database (none for servers)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - the harvester's own validation names a bad URL
        return []
    if parsed.get_backend_name() not in FILE_DATABASES:
        return []
    database = parsed.database or ""
    if database.startswith("file:"):  # SQLite URI filenames: file:/path?mode=ro
        database = database[len("file:") :].split("?", 1)[0]
    if database in ("", ":memory:"):
        return []
    return [(key, database)]


def is_catalog_database_url(url: str) -> bool:
    """Whether SQLAlchemy ``url`` names the catalog's own PostgreSQL database (same
    database name on the same host and port; local host names are one host)."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        return False
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return False
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        return False
    same_host = (parsed.host or "") == (db.get("HOST") or "") or (
        (parsed.host or "") in LOCAL_HOSTS and (db.get("HOST") or "") in LOCAL_HOSTS
    )
    same_port = int(parsed.port or 5432) == int(db.get("PORT") or 5432)
    return same_host and same_port and (parsed.database or "") == db["NAME"]


def forbidden_problems(kind: str, config: dict) -> list[str]:
    """Problems of a config that reads the catalog's own data (always refused)."""
    problems = []
    paths, _ = local_paths(kind, config)
    forbidden = forbidden_paths()
    for key, raw in paths:
        path = _resolve(raw)
        if any(_inside(path, f) or _inside(f, path) for f in forbidden):
            problems.append(
                f"{key}: the catalog's own database and data folder are not harvestable"
            )
    if kind == "sql" and is_catalog_database_url(str((config or {}).get("url") or "")):
        problems.append("url: the catalog's own database is not harvestable")
    return problems


def path_problems(kind: str, config: dict) -> list[str]:
    """Every confinement problem of a source config: the forbidden paths, refused
    protocols, and local paths outside ``MESH_SOURCE_PATH_ROOTS``."""
    paths, problems = local_paths(kind, config)
    problems = problems + forbidden_problems(kind, config)
    roots = path_roots()
    for key, raw in paths:
        path = _resolve(raw)
        if not any(_inside(path, root) for root in roots):
            problems.append(
                f"{key}: '{raw}' is outside the folders sources may read (MESH_SOURCE_PATH_ROOTS)"
            )
    return problems
