"""Load a big JSON object (a dbt artifact) keeping only what the harvester reads.

``json.load`` of a 10k-model ``manifest.json`` (120 MB) builds ~400 MB of Python objects,
most of them never read (raw code, configs, per-column constraints...). :func:`load_compact`
parses the top-level object member by member with the standard library's own decoder
(``JSONDecoder.raw_decode``) and hands each member of the named sections (e.g. every node
of ``nodes``) to a compacting function right away, so only the compacted form is ever
held in full. The result equals ``compact(json.load(f))``; errors are the standard
library's, worded as :func:`load_json` words them (file, line, column and
character offset): on anything unexpected the whole text is parsed again with
``json`` itself, which raises the exact error (or, for a document this reader does not
follow, returns it; it is then compacted the same way).
"""

import json
import re
from collections.abc import Callable
from json.decoder import scanstring
from pathlib import Path
from typing import Any

Compactor = Callable[[Any], Any]
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def json_error(path, exc: json.JSONDecodeError) -> str:
    """``<path>: not valid JSON: <reason> at line L column C (char N)``; the standard
    library's "Unterminated string starting at" reason does not repeat its "at"."""
    reason = exc.msg.removesuffix(" at")
    return (
        f"{path}: not valid JSON: {reason} at line {exc.lineno} column {exc.colno} (char {exc.pos})"
    )


def load_json(path: Path) -> dict:
    """Parse the JSON object in ``path``.

    Raises ValueError with a message naming the file and, for bad JSON, the line,
    column and character offset of the error; OSError if it cannot be read.
    """
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(json_error(path, exc)) from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: not UTF-8 text at byte {exc.start}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


class _Unexpected(Exception):
    """The streaming reader met something it leaves to the standard library."""


def load_compact(path: Path, sections: dict[str, Compactor], keep: set[str] | None = None) -> dict:
    """Parse the JSON object in ``path``; members of each ``sections[key]`` object (or
    elements of a list) go through its compactor; top-level keys outside ``keep`` (None
    = all) are dropped after parsing.

    Raises ValueError naming the file for bad JSON (line, column, char offset), text that
    is not UTF-8, or a top level that is not an object; OSError if it cannot be read.
    """
    data = path.read_bytes()
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: not UTF-8 text at byte {exc.start}") from None
    del data
    try:
        try:
            result = _stream(text, sections, keep)
        except (_Unexpected, ValueError, RecursionError):
            result = _DECODER.decode(text)  # what json.load does after decoding
            if isinstance(result, dict):
                result = _compact_all(result, sections, keep)
    except json.JSONDecodeError as exc:
        raise ValueError(json_error(path, exc)) from None
    if not isinstance(result, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(result).__name__}")
    return result


def _compact_all(doc: dict, sections: dict[str, Compactor], keep: set[str] | None) -> dict:
    out = {}
    for key, value in doc.items():
        if keep is not None and key not in keep:
            continue
        compact = sections.get(key)
        if compact and isinstance(value, dict):
            value = {k: compact(v) for k, v in value.items()}
        elif compact and isinstance(value, list):
            value = [compact(v) for v in value]
        out[key] = value
    return out


def _stream(text: str, sections: dict[str, Compactor], keep: set[str] | None) -> dict:
    ws = _WS.match
    i = ws(text, 0).end()
    if text[i : i + 1] != "{":
        raise _Unexpected
    out: dict = {}
    i = ws(text, i + 1).end()
    more = text[i : i + 1] != "}"
    if not more:
        i += 1
    while more:
        key, i = _key(text, i)
        compact = sections.get(key)
        opener = text[i : i + 1]
        if compact and opener == "{":
            value, i = _object(text, i, compact)
        elif compact and opener == "[":
            value, i = _array(text, i, compact)
        else:
            value, i = _DECODER.raw_decode(text, i)
        if keep is None or key in keep:
            out[key] = value
        del value
        i, more = _next(text, i, "}")
    if ws(text, i).end() != len(text):
        raise _Unexpected  # extra data
    return out


def _object(text: str, i: int, compact: Compactor) -> tuple[dict, int]:
    value: dict = {}
    i = _WS.match(text, i + 1).end()
    if text[i : i + 1] == "}":
        return value, i + 1
    more = True
    while more:
        key, i = _key(text, i)
        item, i = _DECODER.raw_decode(text, i)
        value[key] = compact(item)
        i, more = _next(text, i, "}")
    return value, i


def _array(text: str, i: int, compact: Compactor) -> tuple[list, int]:
    value: list = []
    i = _WS.match(text, i + 1).end()
    if text[i : i + 1] == "]":
        return value, i + 1
    more = True
    while more:
        item, i = _DECODER.raw_decode(text, i)
        value.append(compact(item))
        i, more = _next(text, i, "]")
    return value, i


def _key(text: str, i: int) -> tuple[str, int]:
    """A member's key at ``i`` and where its value starts."""
    if text[i : i + 1] != '"':
        raise _Unexpected
    key, i = scanstring(text, i + 1)
    i = _WS.match(text, i).end()
    if text[i : i + 1] != ":":
        raise _Unexpected
    return key, _WS.match(text, i + 1).end()


def _next(text: str, i: int, closer: str) -> tuple[int, bool]:
    """After a value ending at ``i``: (start of the next one, True) or (after the
    ``closer``, False)."""
    i = _WS.match(text, i).end()
    c = text[i : i + 1]
    if c == ",":
        return _WS.match(text, i + 1).end(), True
    if c == closer:
        return i + 1, False
    raise _Unexpected
