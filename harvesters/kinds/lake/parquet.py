"""Parquet files: schema, row count and sizes from the footer, plus bounded validation.

The footer (``pyarrow.parquet.ParquetFile`` metadata) gives the schema, row count, row
groups and codecs without scanning data. The footer alone cannot reveal broken pages,
so each file is also checked, within a byte budget, in two steps:

1. the first page header of every column chunk of the first row group is decoded
   (Thrift compact protocol, a few hundred bytes per column) and compared with the
   footer: a dictionary page that the column metadata does not declare, or a page larger
   than its column chunk, is reported as a malformed page;
2. when the first row group is at most ``verify_bytes`` compressed, it is read with page
   CRC verification on, which catches corrupt page checksums and undecodable pages.

A file that fails is reported as an error naming the file and the reason and is left out
of the catalog; it never stops the harvest. Parquet format reference:
https://github.com/apache/parquet-format (``PageHeader``, ``ColumnMetaData``).
"""

import pyarrow.parquet as pq

from harvesters.kinds.lake.common import FileInfo, LakeFileError

PAGE_TYPES = {0: "DATA_PAGE", 1: "INDEX_PAGE", 2: "DICTIONARY_PAGE", 3: "DATA_PAGE_V2"}
HEADER_PROBE = 512  # bytes read per column chunk to decode its first page header


def inspect_parquet(fs, path: str, verify_bytes: int) -> FileInfo:
    """Describe the Parquet file at ``path`` on fsspec filesystem ``fs``.

    Raises LakeFileError with the reason: encrypted footer, unreadable footer, malformed
    dictionary page / page header, corrupt page checksum, undecodable first row group.
    """
    with fs.open(path, "rb") as fh:
        magic = fh.read(4)
        if magic == b"PARE":
            raise LakeFileError(
                "encrypted footer (Parquet modular encryption): the file cannot "
                "be read without its decryption keys"
            )
        if magic != b"PAR1":
            raise LakeFileError(f"not a Parquet file (magic bytes {magic!r}, expected b'PAR1')")
        fh.seek(0)
        try:
            pf = pq.ParquetFile(fh)
            md = pf.metadata
            schema = pf.schema_arrow
        except Exception as exc:  # pyarrow raises OSError/ArrowInvalid with its own text
            raise LakeFileError(f"unreadable footer: {exc}") from None
        _check_page_headers(fh, md)
        if md.num_row_groups and _row_group_bytes(md, 0) <= verify_bytes:
            fh.seek(0)
            try:
                pq.ParquetFile(fh, page_checksum_verification=True).read_row_group(0)
            except Exception as exc:
                text = str(exc)
                if "CRC" in text or "checksum" in text.lower():
                    raise LakeFileError(f"corrupt page checksum: {text}") from None
                raise LakeFileError(f"first row group cannot be decoded: {text}") from None
    native = {}
    for i in range(len(pf.schema)):
        col = pf.schema.column(i)
        if col.physical_type == "INT96" and "." not in col.path:
            native[col.path] = f"{schema.field(col.path).type} (INT96)"
    codecs = sorted(
        {
            _codec(md.row_group(r).column(c).compression)
            for r in range(md.num_row_groups)
            for c in range(md.num_columns)
        }
    )
    props = {
        "row_groups": md.num_row_groups,
        "compression": codecs,
        "created_by": md.created_by or "",
        "format_version": md.format_version,
    }
    return FileInfo(schema=schema, rows=md.num_rows, native=native, props=props)


def _check_page_headers(fh, md) -> None:
    """Decode the first page header of each column chunk of row group 0 (see module doc)."""
    if not md.num_row_groups:
        return
    rg = md.row_group(0)
    for c in range(rg.num_columns):
        col = rg.column(c)
        declared_dict = col.has_dictionary_page and col.dictionary_page_offset is not None
        offset = col.dictionary_page_offset if declared_dict else col.data_page_offset
        fh.seek(offset)
        probe = fh.read(HEADER_PROBE)
        try:
            header = read_page_header(probe)
        except (IndexError, ValueError) as exc:
            raise LakeFileError(
                f"malformed page header in column '{col.path_in_schema}' at byte {offset}: {exc}"
            ) from None
        kind = PAGE_TYPES.get(header.get(1), f"unknown type {header.get(1)}")
        # Old parquet-mr writers leave dictionary_page_offset unset but list a dictionary
        # encoding; that is tolerated. A dictionary page with no dictionary encoding
        # declared at all (PARQUET-816's nation.dict-malformed) is not.
        dict_encoded = any("DICTIONARY" in e for e in col.encodings)
        if kind == "DICTIONARY_PAGE" and not declared_dict and not dict_encoded:
            raise LakeFileError(
                f"malformed dictionary page in column '{col.path_in_schema}': the column chunk "
                f"starts with a dictionary page at byte {offset} that its metadata does not "
                f"declare (no dictionary page offset, no dictionary encoding in "
                f"{list(col.encodings)})"
            )
        if declared_dict and kind != "DICTIONARY_PAGE":
            raise LakeFileError(
                f"malformed dictionary page in column '{col.path_in_schema}': metadata points "
                f"to a dictionary page at byte {offset} but a {kind} is there"
            )
        size = header.get(3, 0)
        if size < 0 or size > col.total_compressed_size:
            raise LakeFileError(
                f"malformed page header in column '{col.path_in_schema}': page of {size} bytes "
                f"in a column chunk of {col.total_compressed_size} bytes"
            )


def read_page_header(buf: bytes) -> dict[int, int]:
    """Decode the integer fields of a Thrift-compact ``PageHeader`` at the start of ``buf``.

    Returns {field id: value} for top-level i32 fields (1 type, 2 uncompressed size,
    3 compressed size, 4 crc); nested structs are skipped. Raises IndexError when
    ``buf`` ends early and ValueError on an invalid field type.
    """
    pos = 0
    out: dict[int, int] = {}
    last = 0
    while True:
        byte = buf[pos]
        pos += 1
        if byte == 0:
            return out
        ftype, delta = byte & 0x0F, byte >> 4
        if delta:
            fid = last + delta
        else:
            raw, pos = _varint(buf, pos)
            fid = _zigzag(raw)
        last = fid
        if ftype == 5:
            raw, pos = _varint(buf, pos)
            out[fid] = _zigzag(raw)
        else:
            pos = _skip(buf, pos, ftype)


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ValueError("varint too long")


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _elem(etype: int) -> int:
    """Inside lists and maps a bool is a whole byte (type 3 width)."""
    return 3 if etype in (1, 2) else etype


def _skip(buf: bytes, pos: int, ftype: int) -> int:
    """Skip one Thrift-compact value of ``ftype`` starting at ``pos``; return the new pos."""
    if ftype in (1, 2):  # bool true/false, value in the type nibble
        return pos
    if ftype == 3:
        return pos + 1
    if ftype in (4, 5, 6):
        return _varint(buf, pos)[1]
    if ftype == 7:
        return pos + 8
    if ftype == 8:
        length, pos = _varint(buf, pos)
        return pos + length
    if ftype in (9, 10):
        head = buf[pos]
        pos += 1
        count, etype = head >> 4, head & 0x0F
        if count == 15:
            count, pos = _varint(buf, pos)
        for _ in range(count):
            pos = _skip(buf, pos, _elem(etype))
        return pos
    if ftype == 11:
        count, pos = _varint(buf, pos)
        if count:
            kinds = buf[pos]
            pos += 1
            for _ in range(count):
                pos = _skip(buf, pos, _elem(kinds >> 4))
                pos = _skip(buf, pos, _elem(kinds & 0x0F))
        return pos
    if ftype == 12:
        while True:
            byte = buf[pos]
            pos += 1
            if byte == 0:
                return pos
            if not byte >> 4:  # long form: the field id follows as a zigzag varint
                _, pos = _varint(buf, pos)
            pos = _skip(buf, pos, byte & 0x0F)
    raise ValueError(f"invalid Thrift compact type {ftype}")


def _codec(arrow_name: str) -> str:
    """Parquet codec name (parquet-format ``CompressionCodec``) from pyarrow's name.

    Arrow calls Parquet's ``LZ4_RAW`` "LZ4" and reads Parquet's deprecated Hadoop-framed
    ``LZ4`` as LZ4_HADOOP, which pyarrow's Python layer names "UNKNOWN"; no other Parquet
    codec maps to "UNKNOWN".
    """
    return {"LZ4": "lz4_raw", "UNKNOWN": "lz4"}.get(arrow_name, arrow_name.lower())


def _row_group_bytes(md, index: int) -> int:
    """Compressed bytes of row group ``index`` (sum of its column chunks)."""
    rg = md.row_group(index)
    return sum(rg.column(c).total_compressed_size for c in range(rg.num_columns))
