"""CSV and JSON-lines files: schema inferred with pyarrow from a bounded sample.

At most ``sample_bytes`` bytes are read from the start of a file, cut back to the last
complete line, and the header plus the first ``sample_rows`` rows are parsed with
``pyarrow.csv`` / ``pyarrow.json`` (RFC 4180 CSV; JSON lines, one object per line, as in
https://jsonlines.org). When the whole file fits in the sample, its exact row count is
known; otherwise ``rows`` is None (the catalog never guesses).
"""

import io

import pyarrow.csv as pacsv
import pyarrow.json as pajson

from harvesters.kinds.lake.common import FileInfo, LakeFileError, error_text


def _read_sample(fs, path: str, size: int, sample_bytes: int) -> tuple[bytes, bool]:
    """The first bytes of ``path`` up to the last newline, and whether that is all of it."""
    with fs.open(path, "rb") as fh:
        data = fh.read(sample_bytes + 1)
    complete = len(data) <= sample_bytes and len(data) >= size
    if not complete:
        data = data[:sample_bytes]
        cut = data.rfind(b"\n")
        if cut <= 0:
            raise LakeFileError(f"no complete line in the first {sample_bytes} bytes")
        data = data[: cut + 1]
    return data, complete


def _first_lines(data: bytes, count: int) -> bytes:
    """The first ``count`` lines of ``data`` (by newline; enough for type inference)."""
    pos = -1
    for _ in range(count):
        pos = data.find(b"\n", pos + 1)
        if pos < 0:
            return data
    return data[: pos + 1]


def _check_names(schema, what: str) -> None:
    """Raise LakeFileError if the column names of ``schema`` are not valid UTF-8.

    pyarrow reads such names without complaint but fails (UnicodeDecodeError) as soon
    as they are turned into Python strings, e.g. a Latin-1 CSV header.
    """
    try:
        schema.names  # noqa: B018 - decoding the names is the check
    except UnicodeDecodeError as exc:
        raise LakeFileError(f"{what} not valid UTF-8 ({exc})") from None


def inspect_csv(fs, path: str, size: int, sample_rows: int, sample_bytes: int) -> FileInfo:
    """Describe a CSV (``.tsv``: tab-separated) file from its first rows.

    Raises LakeFileError naming the reason (empty file, unparsable CSV, a header that is
    not valid UTF-8, no complete line within ``sample_bytes``).
    """
    if size == 0:
        raise LakeFileError("empty file: no header row")
    data, complete = _read_sample(fs, path, size, sample_bytes)
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    parse = pacsv.ParseOptions(delimiter=delimiter)
    try:
        sample = pacsv.read_csv(
            io.BytesIO(_first_lines(data, sample_rows + 1)), parse_options=parse
        )
        rows = None
        if complete:
            rows = pacsv.read_csv(io.BytesIO(data), parse_options=parse).num_rows
    except Exception as exc:  # pyarrow.lib.ArrowInvalid with a line number
        raise LakeFileError(f"not parsable as CSV: {error_text(exc)}") from None
    _check_names(sample.schema, "header is")
    return FileInfo(
        schema=sample.schema,
        rows=rows,
        props={"delimiter": delimiter, "sampled_rows": min(sample.num_rows, sample_rows)},
    )


def inspect_jsonl(fs, path: str, size: int, sample_rows: int, sample_bytes: int) -> FileInfo:
    """Describe a JSON-lines file (``.jsonl``, ``.ndjson``, ``.json``) from its first lines.

    Raises LakeFileError naming the reason (empty file, not JSON lines — e.g. a single
    pretty-printed JSON document or an array —, field names that are not valid UTF-8).
    """
    if size == 0:
        raise LakeFileError("empty file: no JSON lines")
    data, complete = _read_sample(fs, path, size, sample_bytes)
    stripped = data.lstrip()
    if stripped.startswith(b"["):
        raise LakeFileError("a JSON array, not JSON lines (one object per line)")
    try:
        sample = pajson.read_json(io.BytesIO(_first_lines(data, sample_rows)))
        rows = pajson.read_json(io.BytesIO(data)).num_rows if complete else None
    except Exception as exc:
        raise LakeFileError(f"not parsable as JSON lines: {error_text(exc)}") from None
    _check_names(sample.schema, "field names are")
    return FileInfo(
        schema=sample.schema, rows=rows, props={"sampled_rows": min(sample.num_rows, sample_rows)}
    )
