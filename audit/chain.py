"""The hash chain of the audit trail: canonical form and verification.

``hash = sha256(canonical JSON of {seq, at, actor_id, actor_name, action, subject_type,
subject_id, subject_label, before, after, detail, prev_hash})`` with sorted keys, no
whitespace, UTF-8 (RFC 8785-like canonical JSON for the values we store: strings,
integers, booleans, null, lists and objects; times as ISO 8601 with microseconds, UTC).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC

from audit.models import AuditEntry, AuditHead

FIELDS = (
    "seq",
    "actor_id",
    "actor_name",
    "action",
    "subject_type",
    "subject_id",
    "subject_label",
    "before",
    "after",
    "detail",
    "prev_hash",
)


def entry_hash(values: dict) -> str:
    """SHA-256 hex digest of the canonical form of ``values`` (the FIELDS plus ``at``, a
    timezone-aware datetime)."""
    doc = {name: values.get(name) for name in FIELDS}
    doc["at"] = values["at"].astimezone(UTC).isoformat(timespec="microseconds")
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Verification:
    """Result of :func:`verify`: ``checked`` entries and ``problems`` (one line each)."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return not self.problems


def verify(batch: int = 2000) -> Verification:
    """Walk the whole chain in ``seq`` order and report every altered entry (hash does
    not match its content), broken link (``prev_hash`` differs from the previous hash),
    gap (a removed entry) and a head that points past the last entry (removed newest
    entries)."""
    result = Verification()
    previous_seq, previous_hash = 0, ""
    qs = AuditEntry.objects.order_by("seq").values(*FIELDS, "at", "hash")
    for row in qs.iterator(chunk_size=batch):
        result.checked += 1
        seq = row["seq"]
        if seq != previous_seq + 1:
            result.problems.append(
                f"entries {previous_seq + 1}..{seq - 1} are missing (removed rows)"
            )
        elif row["prev_hash"] != previous_hash:
            result.problems.append(f"entry {seq}: link to entry {previous_seq} is broken")
        if entry_hash(row) != row["hash"]:
            result.problems.append(f"entry {seq}: content altered (hash mismatch)")
        previous_seq, previous_hash = seq, row["hash"]
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.hash) != (previous_seq, previous_hash):
        result.problems.append(
            f"the chain ends at entry {previous_seq} but its head says {head.seq}: "
            "newest entries were removed or altered"
        )
    return result
