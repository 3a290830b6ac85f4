"""Reading sources into Arrow: CSV, JSON array, NDJSON, Parquet, and paginated HTTP JSON APIs.

Every reader returns a `SourceData`: the records with their source column names, the line (or
record) number of each one, and the records that could not even be parsed (`Reject`). Text
formats are read as strings so that typing happens in one place (coerce.py) with a reason per
value. The main path is vectorized (pyarrow's CSV reader, DuckDB's JSON functions over an Arrow
array of lines built zero-copy with numpy); Python loops only touch the lines that fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError
from ducky.ingest.records import Reject, SourceData

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

FORMATS = ("csv", "json", "ndjson", "parquet", "api")
_EXTENSIONS = {
    ".csv": "csv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_JSON_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "number",
    "UBIGINT": "number",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "ARRAY": "array",
    "NULL": "null",
}
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class HttpOptions:
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5  # seconds, doubled after each retry
    page_size: int | None = None


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def detect_format(spec: str) -> str:
    """Format from the extension; an http(s) URL without a known extension is a JSON API."""
    path = urllib.parse.urlparse(spec).path if is_url(spec) else spec
    ext = Path(path).suffix.lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if is_url(spec):
        return "api"
    raise UserError(
        f"{spec}: unknown file format {ext or '(no extension)'!r}: use .csv, .json, .ndjson, "
        ".jsonl or .parquet (or an http(s) JSON API URL)"
    )


def read_source(spec: str, table: str, http: HttpOptions | None = None) -> SourceData:
    """Read one source (path or URL) for `table`."""
    if spec.startswith("pg:"):  # a table of `ingest --from postgresql://` (ingest.pg_source)
        from ducky.ingest.pg_source import is_registered, read_registered

        if is_registered(spec):
            return read_registered(spec)
    http = http or HttpOptions()
    fmt = detect_format(spec)
    if fmt == "api":
        return _read_api(spec, table, http)
    if is_url(spec):
        body = http_get(spec, http)
        return _read_bytes(body, spec, table, fmt)
    p = Path(spec)
    if not p.is_file():
        raise UserError(f"{spec}: no such file")
    if fmt == "parquet":
        return _read_parquet(p, table)
    return _read_bytes(p.read_bytes(), spec, table, fmt)


def _read_bytes(buf: bytes, spec: str, table: str, fmt: str) -> SourceData:
    digest = hashlib.sha256(buf).hexdigest()
    if fmt == "parquet":
        with tempfile.NamedTemporaryFile(suffix=".parquet") as f:
            f.write(buf)
            f.flush()
            out = _read_parquet(Path(f.name), table)
        out.source = spec
        return out
    if fmt == "json":
        head = buf.lstrip()[:1]
        fmt = "json" if head == b"[" else "ndjson"
    if fmt == "json":
        return _read_json_array(buf, spec, table, digest)
    buf, rejects = _blank_bad_utf8(buf)
    if fmt == "csv":
        data, rec, more = _read_csv(buf, spec)
    else:
        data, rec, more = _read_ndjson(buf)
    return SourceData(table, spec, fmt, data, rec, digest, sorted(rejects + more, key=_rec))


def _rec(r: Reject) -> int:
    return r.record


# -- lines ------------------------------------------------------------------------------------
def _line_bounds(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets of every line, end excluding '\\n' and a trailing '\\r'."""
    import numpy as np

    a = np.frombuffer(buf, dtype=np.uint8)
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    nl = np.flatnonzero(a == 10)
    if len(a) and (len(nl) == 0 or nl[-1] != len(a) - 1):
        nl = np.append(nl, len(a))  # last line without a newline
    starts = np.concatenate(([0], nl[:-1] + 1)).astype(np.int64)
    ends = nl.astype(np.int64)
    has_cr = np.zeros(len(ends), dtype=bool)
    nonempty = ends > starts
    has_cr[nonempty] = a[ends[nonempty] - 1] == 13
    return starts, ends - has_cr


def _blank_bad_utf8(buf: bytes) -> tuple[bytes, list[Reject]]:
    """Empty every line that is not valid UTF-8 (keeping line numbers) and report it."""
    try:
        buf.decode("utf-8")
        return buf, []
    except UnicodeDecodeError:
        pass
    text = buf.decode("utf-8", "surrogateescape")
    starts, ends = _line_bounds(buf)
    # Character offsets of each line start, to map a bad character back to its line.
    bad_lines: list[int] = []
    line, pos = 0, 0
    for m in _SURROGATE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if not bad_lines or bad_lines[-1] != line:
            bad_lines.append(line)
    if bad_lines and bad_lines[0] == 0:
        raise UserError("the header line is not valid UTF-8: re-encode the file as UTF-8")
    rejects = []
    out = bytearray(buf)
    for i in reversed(bad_lines):
        raw = buf[starts[i] : ends[i]]
        err = _first_utf8_error(raw)
        rejects.append(
            Reject(int(i) + 1, "encoding", f"line {i + 1} is not valid UTF-8 ({err})", _show(raw))
        )
        out[int(starts[i]) : int(ends[i])] = b""
    return bytes(out), rejects[::-1]


def _first_utf8_error(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"byte 0x{raw[e.start]:02x} at column {e.start + 1}; latin-1 or cp1252?"
    return "invalid byte"


def _show(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _line_array(buf: bytes) -> tuple[pa.Array, np.ndarray]:
    """Every non-empty line as an Arrow large_string array (zero copy) and its line number."""
    import numpy as np
    import pyarrow as pa

    starts, ends = _line_bounds(buf)
    offsets = np.concatenate((starts, [len(buf)])).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(buf))
    keep = ends > starts
    numbers = np.arange(1, len(starts) + 1, dtype=np.int64)
    return lines.filter(pa.array(keep)), numbers[keep]


# -- CSV --------------------------------------------------------------------------------------
def _read_csv(buf: bytes, spec: str) -> tuple[pa.Table, np.ndarray, list[Reject]]:
    import csv
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    starts, ends = _line_bounds(buf)
    if len(starts) == 0 or ends[0] == starts[0]:
        raise UserError(f"{spec}: empty CSV file (no header line)")
    header = next(csv.reader([buf[starts[0] : ends[0]].decode("utf-8")]))
    if len(set(header)) != len(header) or any(not h.strip() for h in header):
        raise UserError(f"{spec}: the CSV header has empty or repeated column names: {header}")
    invalid: list[str] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row.text)
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(buf),
        read_options=pacsv.ReadOptions(block_size=1 << 24),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in header},
            strings_can_be_null=True,
            null_values=["", "NULL", "null"],
        ),
    )
    data_lines = np.flatnonzero(ends[1:] > starts[1:]) + 1  # 0-based, non-empty, no header
    rejects: list[Reject] = []
    if b'"' in buf and (
        any(t.count('"') % 2 for t in invalid)  # a quote opened on one line, closed later
        or len(data_lines) - len(invalid) != table.num_rows
    ):
        return _read_csv_records(buf, spec, header)
    if invalid:
        # Locate each invalid row's line by its text: only invalid rows pay for this.
        bad: set[int] = set()
        for text in sorted(set(invalid)):
            needle = text.rstrip("\r\n").encode("utf-8")
            pos = buf.find(needle, int(starts[1]) if len(starts) > 1 else 0)
            while pos >= 0:
                i = int(np.searchsorted(starts, pos, side="right")) - 1
                if starts[i] == pos and ends[i] - starts[i] == len(needle):
                    bad.add(i)
                pos = buf.find(needle, pos + 1)
        for i in sorted(bad):
            raw = buf[starts[i] : ends[i]].decode("utf-8")
            got = len(next(csv.reader([raw]))) if raw else 0
            rejects.append(
                Reject(
                    i + 1,
                    "parse",
                    f"line {i + 1} has {got} field(s), the header has {len(header)} "
                    "(truncated or malformed line)",
                    raw,
                )
            )
        data_lines = data_lines[~np.isin(data_lines, np.array(sorted(bad), dtype=np.int64))]
    if len(data_lines) != table.num_rows:
        raise UserError(f"{spec}: could not match CSV rows to lines")
    return table, (data_lines + 1).astype(np.int64), rejects


_CSV_NULLS = frozenset(("", "NULL", "null"))  # as the fast path's null_values


def _read_csv_records(buf: bytes, spec: str, header: list[str]) -> tuple[Any, Any, list[Reject]]:
    """A CSV whose quoted values span lines (a product name or address with a line break, as
    shop exports write them): read record by record with Python's csv module, which follows
    the quotes, numbering each record by the line it starts on. Slower than Arrow's reader,
    so only a file that needs it comes here; a record with the wrong number of fields is a
    reject with its line number and text, as on the fast path."""
    import csv

    import numpy as np
    import pyarrow as pa

    text = buf.decode("utf-8")
    # Lines end at "\n" only, as the fast path counts them (a lone "\r" stays in a value).
    lines = text.split("\n")
    reader = csv.reader(ln + "\n" for ln in lines)
    next(reader)  # the header, already read
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    rejects: list[Reject] = []
    first = reader.line_num + 1  # 1-based line the next record starts on
    for fields in reader:
        start, first = first, reader.line_num + 1
        if not fields or (fields == [""] and len(header) > 1):  # a blank line, skipped as there
            continue
        if len(fields) != len(header):
            raw = "\n".join(lines[start - 1 : first - 1]).rstrip("\r\n")
            rejects.append(
                Reject(
                    start,
                    "parse",
                    f"line {start} has {len(fields)} field(s), the header has {len(header)} "
                    "(truncated or malformed line, or an unclosed quote)",
                    raw,
                )
            )
            continue
        numbers.append(start)
        for col, v in zip(columns, fields, strict=True):
            col.append(None if v in _CSV_NULLS else v)
    table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(header, columns, strict=True)})
    return table, np.asarray(numbers, dtype=np.int64), rejects


# -- JSON -------------------------------------------------------------------------------------
def _read_ndjson(buf: bytes) -> tuple[pa.Table, np.ndarray, list[Reject]]:
    fast = _read_ndjson_fast(buf)
    if fast is not None:
        return fast
    lines, numbers = _line_array(buf)
    return _json_objects(lines, numbers, "line")


def _read_ndjson_fast(buf: bytes) -> tuple[pa.Table, np.ndarray, list[Reject]] | None:
    """pyarrow's multithreaded JSON reader, for files where every line is a JSON object with
    consistently typed values (the common case). Anything else (a malformed line, an array,
    a column mixing numbers and strings) returns None and takes the line-by-line DuckDB path,
    which gives the same typed result and a reason per bad line."""
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.json as pajson

    try:
        table = pajson.read_json(
            io.BytesIO(buf), read_options=pajson.ReadOptions(block_size=1 << 24)
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    starts, ends = _line_bounds(buf)
    numbers = np.flatnonzero(ends > starts) + 1
    if len(numbers) != table.num_rows:
        return None  # blank-but-not-empty lines: numbering would be off
    # Nested values (structs, lists of structs) are left to the string path, which keeps them
    # as JSON text; lists of integers are fine as they are.
    for f in table.schema:
        if pa.types.is_struct(f.type) or (
            pa.types.is_list(f.type) and not pa.types.is_integer(f.type.value_type)
        ):
            return None
    return table, numbers.astype(np.int64), []


def _json_objects(
    lines: pa.Array, numbers: np.ndarray, unit: str
) -> tuple[pa.Table, np.ndarray, list[Reject]]:
    """Extract every key of JSON object texts as strings with DuckDB (vectorized)."""
    import numpy as np
    import pyarrow as pa

    from ducky.ingest.duck import connect, q

    src = pa.table({"rec": pa.array(numbers, pa.int64()), "line": lines})
    con = connect()
    try:
        con.register("src", src)
        # Parse each line as few times as possible: validity, then keys, then one extraction
        # of every path at once (json_extract_string with a list parses the document once).
        q(
            con,
            "CREATE TEMP TABLE o AS SELECT rec, line, json_valid(line) AS ok, "
            "starts_with(ltrim(line), '{') AS obj FROM src",
        )
        keys = [
            r[0]
            for r in q(
                con,
                "SELECT k FROM (SELECT unnest(json_keys(line)) AS k, rec FROM o "
                "WHERE ok AND obj) GROUP BY k ORDER BY min(rec), k",
            ).fetchall()
        ]
        paths = "[" + ", ".join(_sql_str(_json_path(k)) for k in keys) + "]"
        cols = "".join(f", ex[{i + 1}] AS {_ident(k)}" for i, k in enumerate(keys))
        extract = f", json_extract_string(line, {paths}) AS ex" if keys else ""
        data = con.sql(
            f"SELECT rec{cols} FROM (SELECT rec{extract} FROM o WHERE ok AND obj) ORDER BY rec"
        ).to_arrow_table()
        bad = q(
            con,
            "SELECT rec, line, CASE WHEN ok THEN json_type(line) END AS jt FROM o "
            "WHERE NOT (ok AND obj) ORDER BY rec",
        ).fetchall()
    finally:
        con.close()
    rejects = [
        Reject(
            int(rec),
            "parse",
            f"{unit} {rec} is not valid JSON (truncated or malformed)"
            if jt is None
            else f"{unit} {rec} is a JSON {_JSON_TYPES.get(jt, jt.lower())}, not an object",
            line.rstrip("\r\n"),
        )
        for rec, line, jt in bad
    ]
    rec_out = np.asarray(data.column("rec").to_numpy(), dtype=np.int64)
    data = data.drop_columns(["rec"])
    # JSON values come back as strings; large_string would only slow the casts down.
    data = data.cast(pa.schema([pa.field(n, pa.string()) for n in data.column_names]))
    return data, rec_out, rejects


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _read_json_array(buf: bytes, spec: str, table: str, digest: str) -> SourceData:
    text = buf.decode("utf-8", "surrogateescape")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(
            f"{spec}: not valid JSON at line {e.lineno} column {e.colno} ({e.msg}); "
            "a truncated JSON array cannot be split into records: fix the file or use NDJSON"
        ) from None
    if not isinstance(doc, list):
        raise UserError(f"{spec}: a .json file must hold an array of records (or be NDJSON)")
    data, rec, rejects = records_to_table(doc)
    return SourceData(table, spec, "json", data, rec, digest, rejects)


def records_to_table(records: list[Any], first: int = 1) -> tuple[pa.Table, Any, list[Reject]]:
    """Python records (from a JSON array or API pages) -> string columns, like NDJSON."""
    import numpy as np
    import pyarrow as pa

    lines: list[str] = []
    numbers: list[int] = []
    rejects: list[Reject] = []
    for i, r in enumerate(records, start=first):
        s = json.dumps(r, ensure_ascii=False, separators=(",", ":"))
        if _SURROGATE.search(s):
            rejects.append(
                Reject(
                    i,
                    "encoding",
                    f"record {i} is not valid UTF-8 (latin-1 or cp1252?)",
                    s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"),
                )
            )
            continue
        lines.append(s)
        numbers.append(i)
    data, rec, more = _json_objects(
        pa.array(lines, pa.large_string()), np.array(numbers, dtype=np.int64), "record"
    )
    return data, rec, sorted(rejects + more, key=_rec)


# -- Parquet ----------------------------------------------------------------------------------
def _read_parquet(p: Path, table: str) -> SourceData:
    import numpy as np
    import pyarrow.parquet as pq

    try:
        data = pq.read_table(p)
    except Exception as e:  # pyarrow raises several types for a corrupt file
        raise UserError(f"{p}: not a readable Parquet file ({e})") from None
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    rec = np.arange(1, data.num_rows + 1, dtype=np.int64)
    return SourceData(table, str(p), "parquet", data, rec, h.hexdigest())


# -- HTTP -------------------------------------------------------------------------------------
_RETRY_STATUS = {429, 500, 502, 503, 504}


def http_get(url: str, opts: HttpOptions) -> bytes:
    """GET with a timeout, retrying 429/5xx and connection errors with exponential backoff."""
    delay = opts.backoff
    last = ""
    for attempt in range(opts.retries + 1):
        try:
            req = urllib.request.Request(url, headers={"Accept": "application/json, */*"})
            with urllib.request.urlopen(req, timeout=opts.timeout) as resp:
                body: bytes = resp.read()
                return body
        except urllib.error.HTTPError as e:
            if e.code not in _RETRY_STATUS:
                raise UserError(f"GET {url}: HTTP {e.code} {e.reason}") from None
            last = f"HTTP {e.code} {e.reason}"
            retry_after = e.headers.get("Retry-After") if e.headers else None
            if retry_after and retry_after.isdigit():
                delay = max(delay, min(float(retry_after), 30.0))
        except (urllib.error.URLError, OSError) as e:  # refused, reset, timed out
            last = str(getattr(e, "reason", e))
        if attempt < opts.retries:
            time.sleep(delay)
            delay *= 2
    raise UserError(f"GET {url}: gave up after {opts.retries + 1} attempts ({last})")


_RECORD_KEYS = ("data", "items", "results", "records")
_NEXT_KEYS = ("next", "next_url")
_CURSOR_KEYS = ("next_cursor", "cursor")


def _with_query(url: str, **params: Any) -> str:
    u = urllib.parse.urlparse(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    q.update({k: str(v) for k, v in params.items()})
    return urllib.parse.urlunparse(u._replace(query=urllib.parse.urlencode(q)))


def fetch_api_records(url: str, opts: HttpOptions, max_pages: int = 100_000) -> list[Any]:
    """Follow a JSON API's pagination and return every record.

    A page is a JSON list, or an object with the records under data/items/results/records.
    Next page: the object's `next` URL, else its `next_cursor` (sent back as ?cursor=), else,
    for list pages, ?page=N+1 until an empty page.
    """
    records: list[Any] = []
    page_no = 1
    current = url
    for _ in range(max_pages):
        body = http_get(current, opts)
        try:
            doc = json.loads(body.decode("utf-8", "surrogateescape"))
        except json.JSONDecodeError as e:
            raise UserError(f"GET {current}: the response is not JSON ({e.msg})") from None
        if isinstance(doc, list):
            if not doc:
                return records
            records.extend(doc)
            page_no += 1
            current = _with_query(url, page=page_no)
            continue
        if not isinstance(doc, dict):
            raise UserError(f"GET {current}: expected a JSON list or object")
        key = next((k for k in _RECORD_KEYS if isinstance(doc.get(k), list)), None)
        if key is None:
            raise UserError(f"GET {current}: no record list under any of {', '.join(_RECORD_KEYS)}")
        records.extend(doc[key])
        nxt = next((doc[k] for k in _NEXT_KEYS if doc.get(k)), None)
        cursor = next((doc[k] for k in _CURSOR_KEYS if doc.get(k)), None)
        if nxt:
            current = urllib.parse.urljoin(current, str(nxt))
        elif cursor:
            current = _with_query(url, cursor=cursor)
        else:
            return records
    raise UserError(f"GET {url}: more than {max_pages} pages; stopping")


def _read_api(url: str, table: str, opts: HttpOptions) -> SourceData:
    records = fetch_api_records(url, opts)
    canon = json.dumps(records, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(canon.encode("utf-8", "surrogateescape")).hexdigest()
    data, rec, rejects = records_to_table(records)
    return SourceData(table, url, "api", data, rec, digest, rejects)


def http_options_from_env() -> HttpOptions:
    """Timeout / retries / backoff, overridable for slow APIs (DUCKY_HTTP_TIMEOUT, ...)."""
    return HttpOptions(
        timeout=float(os.environ.get("DUCKY_HTTP_TIMEOUT", 30)),
        retries=int(os.environ.get("DUCKY_HTTP_RETRIES", 4)),
        backoff=float(os.environ.get("DUCKY_HTTP_BACKOFF", 0.5)),
    )
