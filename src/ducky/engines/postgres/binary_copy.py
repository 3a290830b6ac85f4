"""Arrow record batches -> PostgreSQL binary COPY rows, vectorized with numpy.

Why: binary COPY is the cheapest format for the server to parse (no text timestamps), and
feeding it through psycopg lets the load say `COPY ... (FORMAT binary, FREEZE)`: rows are
written frozen and pages all-visible, so no VACUUM pass over the whole table is needed after
the load. ADBC's ingest speaks binary COPY too but cannot ask for FREEZE. psycopg's own
`write_row` would format row by row in Python; here every column is encoded for the whole
batch at once (a few numpy scatters per column).

Row layout (PostgreSQL docs, "COPY binary format"): int16 field count, then per field an int32
byte length (-1 for NULL) followed by the value in network byte order. Supported Arrow types:
int64, int32, date32, timestamp[us] (naive), string, decimal128 (per value: small tables only),
list<int64> (BIGINT[]) and list<string> (TEXT[]: text product ids in search_logs, issue 15).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
_PG_EPOCH_DAYS = 10_957
_INT8_OID = 20
_TEXT_OID = 25


def _string_parts(a: Any) -> tuple[Any, Any, Any]:
    """(bytes, start offsets, lengths) of a string array, without copying its data."""
    import numpy as np
    import pyarrow as pa

    a = a.cast(pa.large_string()) if not pa.types.is_large_string(a.type) else a
    n = len(a)
    bufs = a.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[a.offset : a.offset + n + 1]
    src = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else None
    return src, offsets[:-1], offsets[1:] - offsets[:-1]


def _copy_bytes(out: Any, dest: Any, src: Any, starts: Any, lengths: Any) -> None:
    """out[dest[i] + j] = src[starts[i] + j] for j < lengths[i]: every string at once."""
    import numpy as np

    total = int(lengths.sum())
    if total and src is not None:
        # Each string's bytes move by (destination start - source start).
        shift = np.repeat(dest - starts, lengths)
        src_index = np.repeat(starts, lengths) + (
            np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        )
        out[src_index + shift] = src[src_index]


def _scatter(out: Any, pos: Any, data: Any) -> None:
    """out[pos[i] + j] = data[i, j] for every row i and byte j."""
    import numpy as np

    if len(pos):
        width = data.shape[1]
        out[(pos[:, None] + np.arange(width, dtype=np.int64)).ravel()] = data.ravel()


def _be(values: Any, dtype: str) -> Any:
    """Big-endian bytes of `values` as an (n, width) uint8 array."""
    import numpy as np

    arr = np.ascontiguousarray(values, dtype=dtype)
    return arr.view(np.uint8).reshape(len(arr), -1)


def _numeric(value: Decimal, scale: int) -> bytes:
    """One NUMERIC in PostgreSQL's binary form: base-10000 digits around the decimal point."""
    import struct

    sign = 0x4000 if value < 0 else 0
    text = f"{abs(value):.{scale}f}"
    ip, _, fp = text.partition(".")
    ip = ip.lstrip("0")
    ip = "0" * (-len(ip) % 4) + ip
    fp = fp + "0" * (-len(fp) % 4)
    groups = [int(ip[i : i + 4]) for i in range(0, len(ip), 4)]
    weight = len(groups) - 1
    groups += [int(fp[i : i + 4]) for i in range(0, len(fp), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight, sign = 0, 0
    return struct.pack(f">hhhh{len(groups)}h", len(groups), weight, sign, scale, *groups)


class _Column:
    """One column's encoded fields: per-row byte length and a writer into the row buffer."""

    def __init__(self, arr: Any) -> None:
        import numpy as np
        import pyarrow as pa

        self.arr = arr
        n = len(arr)
        self.valid = (
            np.ones(n, dtype=bool)
            if arr.null_count == 0
            else np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        )
        t = arr.type
        self.kind: str
        if pa.types.is_int64(t) or pa.types.is_timestamp(t):
            self.kind, self.width = "fixed", 8
            raw = arr.cast(pa.int64()) if pa.types.is_timestamp(t) else arr
            vals = np.asarray(raw.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
            if pa.types.is_timestamp(t):
                if t.unit != "us" or t.tz is not None:
                    raise TypeError(f"binary COPY supports naive timestamp[us], not {t}")
                vals = vals - _PG_EPOCH_US
            self.data = _be(vals, ">i8")
        elif pa.types.is_int32(t) or pa.types.is_date32(t):
            self.kind, self.width = "fixed", 4
            raw = arr.cast(pa.int32())
            vals = np.asarray(raw.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int32)
            if pa.types.is_date32(t):
                vals = vals - _PG_EPOCH_DAYS
            self.data = _be(vals, ">i4")
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            self.kind = "bytes"
            a = arr.cast(pa.large_string()) if pa.types.is_string(t) else arr
            bufs = a.buffers()
            offsets = np.frombuffer(bufs[1], dtype=np.int64)[a.offset : a.offset + n + 1]
            self.src = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else None
            self.starts = offsets[:-1]
            self.lengths = np.where(self.valid, offsets[1:] - offsets[:-1], 0)
        elif pa.types.is_decimal(t):
            self.kind = "blobs"
            scale = t.scale
            self.blobs = [None if v is None else _numeric(v, scale) for v in arr.to_pylist()]
            self.lengths = np.array([0 if b is None else len(b) for b in self.blobs], np.int64)
        elif pa.types.is_list(t) and pa.types.is_int64(t.value_type):
            self.kind = "int8_array"
            offsets = np.asarray(arr.offsets.to_numpy(), dtype=np.int64)
            self.counts = np.where(self.valid, offsets[1:] - offsets[:-1], 0)
            flat = arr.flatten()
            if flat.null_count:
                raise TypeError("binary COPY: NULL elements inside a BIGINT[] are not supported")
            self.values = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=np.int64)
            # header: ndim, has-null flag, element type (+ dim length, lower bound if non-empty)
            self.lengths = np.where(self.counts > 0, 20 + 12 * self.counts, 12)
        elif pa.types.is_list(t) and (
            pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
        ):
            self.kind = "text_array"
            offsets = np.asarray(arr.offsets.to_numpy(), dtype=np.int64)
            self.counts = np.where(self.valid, offsets[1:] - offsets[:-1], 0)
            flat = arr.flatten()
            if flat.null_count:
                raise TypeError("binary COPY: NULL elements inside a TEXT[] are not supported")
            self.src, self.starts, self.el_len = _string_parts(flat)
            # each element: int32 length + its bytes; per row, the sum over its elements
            el_size = 4 + self.el_len
            self.el_excl = np.cumsum(el_size) - el_size  # bytes before it, over all rows
            row_bytes = np.zeros(n, dtype=np.int64)
            if len(el_size):
                row_of = np.repeat(np.arange(n), self.counts)
                np.add.at(row_bytes, row_of, el_size)
            self.row_excl = np.cumsum(row_bytes) - row_bytes
            self.lengths = np.where(self.counts > 0, 20 + row_bytes, 12)
        else:
            raise TypeError(f"binary COPY: unsupported Arrow type {t}")

    def _array_heads(self, out: Any, body: Any, oid: int) -> None:
        """One-dimensional array headers: ndim, has-null flag, element type, and for a
        non-empty array its length and lower bound (an empty array stops after the type)."""
        import numpy as np

        counts, ok = self.counts, self.valid
        nonempty = ok & (counts > 0)
        empty = ok & (counts == 0)
        head = np.zeros((len(counts), 5), dtype=">i4")
        head[:, 0] = 1
        head[:, 2] = oid
        head[:, 3] = counts
        head[:, 4] = 1
        _scatter(out, body[nonempty], head[nonempty].view(np.uint8).reshape(-1, 20))
        empty_head = np.zeros((int(empty.sum()), 3), dtype=">i4")
        empty_head[:, 2] = oid
        _scatter(out, body[empty], empty_head.view(np.uint8).reshape(-1, 12))

    def field_lengths(self) -> Any:
        """Bytes each row's field takes, its int32 length prefix included."""
        import numpy as np

        if self.kind == "fixed":
            return np.where(self.valid, 4 + self.width, 4)
        return np.where(self.valid, 4 + self.lengths, 4)

    def write(self, out: Any, pos: Any) -> None:
        """Write this column's fields; `pos` is where each row's field starts."""
        import numpy as np

        ok = self.valid
        if self.kind == "fixed":
            size = np.where(ok, self.width, -1).astype(">i4")
        else:
            size = np.where(ok, self.lengths, -1).astype(">i4")
        _scatter(out, pos, size.view(np.uint8).reshape(-1, 4))
        body = pos + 4
        if self.kind == "fixed":
            _scatter(out, body[ok], self.data[ok])
        elif self.kind == "bytes":
            _copy_bytes(out, body, self.src, self.starts, self.lengths)
        elif self.kind == "blobs":
            for p, blob in zip(body.tolist(), self.blobs, strict=True):
                if blob is not None:
                    out[p : p + len(blob)] = np.frombuffer(blob, dtype=np.uint8)
        elif self.kind == "text_array":
            counts = self.counts
            self._array_heads(out, body, _TEXT_OID)
            n_el = int(counts.sum())
            if n_el:
                row_of = np.repeat(np.arange(len(counts)), counts)
                el_pos = body[row_of] + 20 + (self.el_excl - self.row_excl[row_of])
                size = np.asarray(self.el_len, dtype=">i4")
                _scatter(out, el_pos, size.view(np.uint8).reshape(n_el, 4))
                _copy_bytes(out, el_pos + 4, self.src, self.starts, self.el_len)
        else:  # int8_array
            counts = self.counts
            nonempty = ok & (counts > 0)
            empty = ok & (counts == 0)
            head = np.zeros((len(counts), 5), dtype=">i4")
            head[:, 0] = 1  # ndim
            head[:, 2] = _INT8_OID
            head[:, 3] = counts
            head[:, 4] = 1  # lower bound
            _scatter(out, body[nonempty], head[nonempty].view(np.uint8).reshape(-1, 20))
            empty_head = np.zeros((int(empty.sum()), 3), dtype=">i4")
            empty_head[:, 2] = _INT8_OID
            _scatter(out, body[empty], empty_head.view(np.uint8).reshape(-1, 12))
            n_el = int(counts.sum())
            if n_el:
                row_of = np.repeat(np.arange(len(counts)), counts)
                idx_in_row = np.arange(n_el) - np.repeat(np.cumsum(counts) - counts, counts)
                el_pos = body[row_of] + 20 + 12 * idx_in_row
                elem = np.zeros(n_el, dtype=[("len", ">i4"), ("val", ">i8")])
                elem["len"] = 8
                elem["val"] = self.values
                _scatter(out, el_pos, elem.view(np.uint8).reshape(n_el, 12))


def encode_batch(batch: Any) -> Any:
    """The binary COPY rows of an Arrow record batch (no file header or trailer), as a
    bytes-like buffer (a numpy array's memory: handed to the writer without a copy)."""
    import numpy as np

    n = batch.num_rows
    if n == 0:
        return memoryview(b"")
    cols = [_Column(batch.column(i)) for i in range(batch.num_columns)]
    lengths = [c.field_lengths() for c in cols]
    row_len = 2 + np.sum(lengths, axis=0)
    row_start = np.concatenate(([0], np.cumsum(row_len)[:-1])).astype(np.int64)
    out = np.empty(int(row_len.sum()), dtype=np.uint8)  # every byte is written below
    count = np.full(n, batch.num_columns, dtype=">i2")
    _scatter(out, row_start, count.view(np.uint8).reshape(n, 2))
    pos = row_start + 2
    for col, flen in zip(cols, lengths, strict=True):
        col.write(out, pos)
        pos = pos + flen
    return out.data
