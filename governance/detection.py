"""Detection of personal data classes in columns: from names, and from a bounded,
read-only sample of values where the source opted in (:class:`SourceSampling`).

Name rules (:data:`NAME_RULES`) match the column name split into lower-case words
(``CustomerEmail`` → ``customer email``), each with a confidence. Value checks
(:data:`VALUE_CHECKS`) use well-kept validators: ``email-validator`` (syntax only, no
DNS), ``phonenumbers`` (possible number, international or ``MESH_CLASSIFY_PHONE_REGION``),
``python-stdnum`` (IBAN, Luhn for payment cards, US SSN), the standard ``ipaddress``;
the confidence is the share of sampled non-empty values that pass. Samples are read
with a ``SELECT <column> ... LIMIT n`` in a read-only session and are never stored.
"""

import ipaddress
import logging
import re
import threading
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

#: ``(class slug, regex over the spaced lower-case name, confidence)``, first match per class
NAME_RULES: list[tuple[str, str, float]] = [
    ("email", r"\b(e ?mail|email address|mail address)\b", 0.9),
    ("phone", r"\b(phone|telephone|mobile|cell|fax|tel)\b", 0.85),
    (
        "person_name",
        r"\b(first name|last name|full name|given name|surname|family name|middle name|firstname|lastname)\b",
        0.85,
    ),
    ("person_name", r"^(customer|employee|person|contact|user) name$", 0.7),
    (
        "postal_address",
        r"\b(address|street|address line \d|postal code|postcode|zip|zip code)\b",
        0.8,
    ),
    ("iban", r"\b(iban|bank account|account number)\b", 0.85),
    ("payment_card", r"\b(card number|credit card|cc number|pan|card no)\b", 0.85),
    (
        "national_id",
        r"\b(ssn|social security|national id|passport|tax id|nino|national insurance)\b",
        0.85,
    ),
    ("ip_address", r"\b(ip|ip address|ip addr|client ip|remote addr)\b", 0.8),
    ("date_of_birth", r"\b(birth ?date|date of birth|dob|birthday)\b", 0.9),
]
#: a proposal from values needs at least this share of valid sampled values
VALUE_THRESHOLD = 0.6
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(name: str) -> str:
    """``CustomerEmailAddress`` / ``customer_email`` → ``customer email address``."""
    spaced = _CAMEL.sub(" ", name)
    return " ".join(w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w)


@dataclass
class Finding:
    """A proposed class for a column: ``slug``, ``confidence`` 0..1, ``method``
    (``name``/``values``) and ``evidence`` (why, for the steward)."""

    slug: str
    confidence: float
    method: str
    evidence: str


#: a name ending in one of these words describes something about the data, not the data
#: (``credit_card_amount``, ``phone_type``, ``email_count``): no class from the name
NOT_THE_VALUE = {
    "amount",
    "count",
    "total",
    "type",
    "method",
    "status",
    "flag",
    "id",
    "key",
    "sum",
    "avg",
    "verified",
    "valid",
    "hash",
    "length",
    "at",
    "on",
    "date",
    "time",
}


def from_name(name: str) -> list[Finding]:
    """Classes suggested by a column name (one finding per class)."""
    text, found = words(name), {}
    last = text.rsplit(" ", 1)[-1] if text else ""
    if last in NOT_THE_VALUE and not re.search(r"birth|dob", text):
        return []
    for slug, pattern, confidence in NAME_RULES:
        if slug not in found and re.search(pattern, text):
            found[slug] = Finding(slug, confidence, "name", f"column name '{name}' matches {slug}")
    return list(found.values())


def _email(value: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


def _phone(value: str) -> bool:
    import phonenumbers

    region = getattr(settings, "MESH_CLASSIFY_PHONE_REGION", "US")
    if sum(c.isdigit() for c in value) < 7:
        return False
    try:
        number = phonenumbers.parse(value, None if value.strip().startswith("+") else region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def _iban(value: str) -> bool:
    from stdnum import iban

    return iban.is_valid(value)


def _card(value: str) -> bool:
    from stdnum import luhn

    digits = re.sub(r"[ -]", "", value)
    return digits.isdigit() and 13 <= len(digits) <= 19 and luhn.is_valid(digits)


def _ssn(value: str) -> bool:
    from stdnum.us import ssn

    return bool(re.fullmatch(r"\d{3}-\d{2}-\d{4}", value.strip())) and ssn.is_valid(value)


def _ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip())
        return True
    except ValueError:
        return False


#: ``class slug → validator(str) -> bool`` used on sampled values
VALUE_CHECKS = {
    "email": _email,
    "phone": _phone,
    "iban": _iban,
    "payment_card": _card,
    "national_id": _ssn,
    "ip_address": _ip,
}


def from_values(values: list) -> list[Finding]:
    """Classes whose validator accepts at least :data:`VALUE_THRESHOLD` of the non-empty
    string values (numbers are skipped: an integer id is not a card number)."""
    texts = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not texts:
        return []
    findings = []
    for slug, check in VALUE_CHECKS.items():
        passed = sum(1 for v in texts if check(v))
        share = passed / len(texts)
        if share >= VALUE_THRESHOLD:
            findings.append(
                Finding(
                    slug,
                    round(share, 2),
                    "values",
                    f"{passed} of {len(texts)} sampled values are valid {slug}",
                )
            )
    return findings


class SampleError(Exception):
    """Sampling failed or timed out (a warning for the caller, never fatal)."""


def sample_columns(
    source, schema: str, table: str, columns: list[str], rows: int, timeout: float
) -> dict[str, list]:
    """Up to ``rows`` values of each of ``columns`` of ``schema.table`` in ``source`` (a
    ``sql`` source), read in a read-only session within ``timeout`` seconds.

    Raises :class:`SampleError` with a reason (no secret: the URL is never in it)."""
    import sqlalchemy as sa

    from harvesters.registry import harvester_class
    from harvesters.report import HarvestReport
    from harvesters.vault import resolve

    if source.kind != "sql":
        raise SampleError(f"sampling supports sql sources, not {source.kind!r}")
    try:
        cls = harvester_class("sql")
        engine = cls(cls.parse_config(resolve(source.config)), HarvestReport())._engine()
    except Exception as exc:  # noqa: BLE001 - config, secrets, driver
        raise SampleError(f"cannot connect: {type(exc).__name__}") from None
    result: dict[str, list] = {}
    error: list[str] = []
    holder: dict = {}

    def run():
        try:
            with engine.connect() as conn:
                holder["conn"] = conn
                dialect = conn.dialect.name
                if dialect == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
                elif dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA query_only = ON")
                tbl = sa.table(
                    table,
                    *(sa.column(c) for c in columns),
                    schema=None if dialect == "sqlite" else schema,
                )
                query = sa.select(*(tbl.c[c] for c in columns)).limit(rows)
                fetched = conn.execute(query).fetchall()
                for i, c in enumerate(columns):
                    result[c] = [r[i] for r in fetched]
                conn.rollback()
        except Exception as exc:  # noqa: BLE001 - any driver error is a warning
            error.append(
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            )

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raw = getattr(holder.get("conn"), "connection", None)
        driver = getattr(raw, "driver_connection", None)
        try:
            if driver is not None and hasattr(driver, "interrupt"):
                driver.interrupt()
        except Exception:  # noqa: BLE001
            pass
        engine.dispose()
        raise SampleError(f"timed out after {timeout:g} s")
    engine.dispose()
    if error:
        raise SampleError(error[0])
    return result
