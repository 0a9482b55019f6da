"""Query normalisation: the shape of a query with its literals removed.

``SELECT * FROM t WHERE id = 42 AND name IN ('a', 'b')`` and the same query with other
values share one shape, ``SELECT * FROM t WHERE id = ? AND name IN (?)``, so a log of a
million statements with a few thousand shapes is parsed a few thousand times. Regular
expressions, not a parser: normalising must cost microseconds per line.
"""

import hashlib
import re

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_PARAM = re.compile(r"\$\d+|%\(\w+\)s|%s|:\w+\b")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_SPACE = re.compile(r"\s+")


def normalise(sql: str) -> str:
    """``sql`` with comments dropped, string and number literals and bind parameters
    (``$1``, ``%s``, ``:name``) replaced by ``?``, ``IN`` lists collapsed to ``(?)``,
    whitespace collapsed and the trailing ``;`` removed. Case is kept (identifiers may
    be case-sensitive)."""
    text = _COMMENT.sub(" ", sql) if ("--" in sql or "/*" in sql) else sql
    text = _STRING.sub("?", text)
    text = _NUMBER.sub("?", text)
    if "$" in text or "%" in text or ":" in text:
        text = _PARAM.sub("?", text)
    text = _LIST.sub("(?)", text)
    return _SPACE.sub(" ", text).strip().rstrip(";").rstrip()


def fingerprint(normalised: str, database: str = "", schema: str = "") -> str:
    """SHA-1 (40 hex digits) of a normalised query and the database and schema that
    qualify its unqualified table names."""
    return hashlib.sha1(f"{database}\x00{schema}\x00{normalised}".encode()).hexdigest()
