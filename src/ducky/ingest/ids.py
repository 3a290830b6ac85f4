"""Deciding how a data directory stores its ids: integers or the shop's own strings.

Per id kind (user_id, product_id), one type for every table of the directory:
- the directory's existing type wins (a directory never holds both);
- else the mapping's `id_types:` section, if it names the kind;
- else the sources decide: strings when more than half of the present values of that kind's
  columns are not integers ("u001", "abc123", UUIDs), integers otherwise. A few stray
  non-integers in an integer column are typing mistakes and are quarantined with a reason,
  as before; a shop whose ids really are strings has mostly non-integers.
  One integer-looking value that is not written the canonical way ('007', '+7') is enough
  for strings: as integers '007' would become 7 and merge with another user's '7', so the
  shop's ids are kept unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ducky.errors import UserError
from ducky.schema import ID_COLUMNS, INT_IDS, IdTypes

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.ingest.mapping import Mapping
    from ducky.ingest.records import SourceData


def _counts(col: pa.ChunkedArray | pa.Array, is_list: bool) -> tuple[int, int, int]:
    """(present values, values that are not integers, integers not in canonical form)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    typ = col.type
    if is_list and (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        # a list as text ('[30, 10]', '["p01"]'): judge its elements
        inner = pc.replace_substring_regex(col, r"[\[\]\s]", "")
        col = pc.list_flatten(pc.split_pattern(inner, ","))
        typ = col.type
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        col = pc.list_flatten(col)
        typ = col.type
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        n = len(col) - col.null_count
        return n, (0 if pa.types.is_integer(typ) or pa.types.is_floating(typ) else n), 0
    text = pc.utf8_trim_whitespace(col)
    present = pc.and_(pc.is_valid(text), pc.not_equal(text, ""))
    ints = pc.match_substring_regex(text, r"^[+-]?[0-9]+(\.0+)?$")
    n = int(pc.sum(pc.cast(present, pa.int64())).as_py() or 0)
    bad = int(pc.sum(pc.cast(pc.and_(present, pc.invert(ints)), pa.int64())).as_py() or 0)
    canonical = pc.match_substring_regex(text, r"^-?(0|[1-9][0-9]*)(\.0+)?$")
    odd = pc.and_(pc.and_(present, ints), pc.invert(canonical))
    padded = int(pc.sum(pc.cast(odd, pa.int64())).as_py() or 0)
    return n, bad, padded


def decide_id_types(
    raw: dict[str, SourceData], mapping: Mapping, existing: DataDir | None
) -> IdTypes:
    from ducky.ingest.mapping import ID_TYPES_KEY, resolve

    forced = mapping.get(ID_TYPES_KEY, {})
    held = existing.id_types() if existing is not None else None
    out: IdTypes = dict(INT_IDS)
    for kind, where in ID_COLUMNS.items():
        n = bad = padded = 0
        for table, col in where:
            src = raw.get(table)
            if src is None or src.data.num_columns == 0:
                continue
            colmap = resolve(table, src.data.column_names, mapping, src.source)
            if col in colmap:
                a, b, c = _counts(src.data.column(colmap[col]), col == "clicked_product_ids")
                n, bad, padded = n + a, bad + b, padded + c
        from_sources = "string" if n and (bad * 2 > n or padded) else "int64"
        want = forced.get(kind, from_sources)
        if held is not None and existing is not None and _holds(existing, kind):
            if kind in forced and forced[kind] != held[kind]:
                raise UserError(
                    f"{existing.path} stores {kind} as {held[kind]}, but the mapping's id_types "
                    f"says {forced[kind]}: ingest into a new --data directory"
                )
            if held[kind] == "int64" and from_sources == "string" and kind not in forced:
                raise UserError(
                    f"{existing.path} stores {kind} as integers, but the new sources' {kind} "
                    "values are mostly strings"
                    + (" or zero-padded ('007')" if padded else "")
                    + ": ingest into a new --data directory"
                )
            want = held[kind]
        out[kind] = want
    return out


def _holds(existing: DataDir | None, kind: str) -> bool:
    """Whether the directory holds any value of this id kind. An empty table does not: a
    users-only ingest writes an empty products table, and a catalog of text SKUs ingested
    next must not be refused for the integer type that empty table happens to have. Read from
    the files' footers (row counts and null counts), never the data."""
    import pyarrow.parquet as pq

    if existing is None:
        return False
    for table, col in ID_COLUMNS[kind]:
        for f in existing.table_files(table):
            meta = pq.ParquetFile(f).metadata
            names = [meta.schema.column(i).path.split(".")[0] for i in range(meta.num_columns)]
            for g in range(meta.num_row_groups):
                rg = meta.row_group(g)
                for i, name in enumerate(names):
                    if name != col or rg.num_rows == 0:
                        continue
                    stats = rg.column(i).statistics
                    if stats is None or not stats.has_null_count:
                        return True  # no statistics: assume it holds values
                    if rg.column(i).num_values - stats.null_count > 0:  # a non-null value
                        return True
    return False
