"""CSV rendering of audit entries (API ``?format=csv`` and the page's download)."""

import csv
import io
import json

COLUMNS = [
    "seq",
    "at",
    "actor_name",
    "action",
    "subject_type",
    "subject_id",
    "subject_label",
    "before",
    "after",
    "detail",
    "prev_hash",
    "hash",
]


def entries_csv(entries) -> str:
    """RFC 4180 CSV with a header row of :data:`COLUMNS`; JSON columns as compact JSON."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in entries:
        row = []
        for c in COLUMNS:
            value = getattr(e, c)
            if c in {"before", "after", "detail"}:
                value = "" if value is None else json.dumps(value, sort_keys=True)
            elif c == "at":
                value = value.isoformat()
            row.append(value)
        writer.writerow(row)
    return out.getvalue()
