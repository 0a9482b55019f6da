"""Descriptors as code: sync a folder of ODPS products and ODCS contracts into the catalog.

A folder (a domain's git repo) holds ``*.odps.yaml`` products and ``*.odcs.yaml``
contracts (``.yml`` too). Contracts are applied first so products can bind their output
ports to them by ``contractId``. Each file is its own transaction: one bad file is
reported as invalid (every problem named) and the others are imported.
"""

import difflib
from pathlib import Path

from django.db import transaction

from products.models import DataContract, DataProduct
from products.odcs import apply_contract, parse_contract
from products.odps import (
    apply_descriptor,
    descriptor_lifecycle_problem,
    dump_yaml,
    export_descriptor,
    parse_descriptor,
)
from products.schemas import DescriptorError

PRODUCT_SUFFIXES = (".odps.yaml", ".odps.yml")
CONTRACT_SUFFIXES = (".odcs.yaml", ".odcs.yml")


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def _diff(old: dict | None, new: dict, name: str) -> str:
    """Unified diff of two documents rendered as YAML (``""`` when equal)."""
    before = dump_yaml(old).splitlines(keepends=True) if old else []
    after = dump_yaml(new).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"catalog/{name}", f"folder/{name}"))


def sync_folder(folder: Path, check: bool = False, user=None) -> dict:
    """Import every descriptor under ``folder``.

    Returns ``{"created": [file...], "updated": [...], "unchanged": [...],
    "invalid": [{"file", "problems": [str]}], "diffs": {file: unified diff}}``; with
    ``check=True`` nothing is written and ``diffs`` shows what would change. Raises
    FileNotFoundError if ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"descriptor folder not found: {folder}")
    report = {"created": [], "updated": [], "unchanged": [], "invalid": [], "diffs": {}}
    for path in _files(folder, CONTRACT_SUFFIXES):
        _one(path, folder, report, check, parse_contract, _contract_current, apply_contract)
    for path in _files(folder, PRODUCT_SUFFIXES):
        _one(
            path,
            folder,
            report,
            check,
            parse_descriptor,
            _product_current,
            lambda doc: apply_descriptor(doc, user=user, action="sync"),
            lambda existing, doc: descriptor_lifecycle_problem(
                (existing or {}).get("status"), str(doc.get("status") or ""), user
            ),
        )
    return report


def _contract_current(doc: dict) -> dict | None:
    contract = DataContract.objects.filter(uid=str(doc["id"])).first()
    return contract.document if contract else None


def _product_current(doc: dict) -> dict | None:
    product = DataProduct.objects.filter(uid=str(doc["id"])).first()
    return export_descriptor(product) if product else None


def _one(path, folder, report, check, parse, current, apply, refuse=None) -> None:
    """Parse, compare and (unless ``check``) apply one file, recording the outcome.

    ``refuse(existing, doc)`` names why applying would be refused (checked in ``check``
    mode, where nothing is applied), or returns None."""
    name = str(path.relative_to(folder))
    try:
        doc = parse(path.read_text(encoding="utf-8"), name)
    except (DescriptorError, UnicodeDecodeError, OSError) as exc:
        problems = exc.problems if isinstance(exc, DescriptorError) else [f"(file): {exc}"]
        report["invalid"].append({"file": name, "problems": problems})
        return
    existing = current(doc)
    if existing == doc:
        report["unchanged"].append(name)
        return
    if check:
        problem = refuse(existing, doc) if refuse else None
        if problem:
            report["invalid"].append({"file": name, "problems": [problem]})
            return
        report["created" if existing is None else "updated"].append(name)
        report["diffs"][name] = _diff(existing, doc, name)
        return
    try:
        with transaction.atomic():
            _, outcome = apply(doc)
    except DescriptorError as exc:  # refused as a whole (e.g. a lifecycle step back)
        report["invalid"].append({"file": name, "problems": exc.problems})
        return
    except Exception as exc:  # a per-file failure never aborts the folder
        report["invalid"].append({"file": name, "problems": [f"(root): apply: {exc}"]})
        return
    report[outcome].append(name)
