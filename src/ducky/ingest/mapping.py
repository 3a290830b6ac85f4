"""Column mapping: source column names -> canonical column names, from a YAML or TOML file.

File shape (both formats):

    users:            # canonical table
      user_id: id     # canonical column: source column
      signup_date: created_at
    events:
      event_type: action
    event_types:      # optional: source event value -> canonical type (see vocab.py)
      CLICK: viewed
    products_from_events:  # optional, no products file: the catalog from event columns
      price: price         # (see catalog.py)

Columns not named in the file map automatically when a source column has the canonical name,
compared case-insensitively with spaces and dashes read as underscores.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ducky.errors import UserError
from ducky.ingest.catalog import PRODUCTS_FROM_EVENTS_KEY, check_spec
from ducky.ingest.vocab import check_overrides
from ducky.schema import TABLES

Mapping = dict[str, dict[str, str]]  # table -> canonical column -> source column
# Not a table: the section that maps a shop's own event values onto the canonical types.
EVENT_TYPES_KEY = "event_types"
# Not a table either: force an id kind's type (`id_types: {user_id: string}`) instead of the
# majority rule of ingest.ids.
ID_TYPES_KEY = "id_types"
# Not a table: explicit time formats per column (`formats: {events.timestamp: "%m/%d/%Y"}`),
# strptime codes; a slash date without one is refused as ambiguous (03/04: March or April?).
FORMATS_KEY = "formats"


def load_mapping(path: str | os.PathLike[str] | None) -> Mapping:
    if path is None:
        return {}
    p = Path(path)
    if not p.is_file():
        raise UserError(f"mapping file {p}: no such file")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            doc: Any = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            doc = yaml.safe_load(text) or {}
        else:
            raise UserError(f"mapping file {p}: use a .yaml, .yml or .toml file")
    except UserError:
        raise
    except Exception as e:  # yaml and tomllib raise their own error types
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"mapping file {p}: not valid {p.suffix[1:].upper()} ({first})") from None
    if not isinstance(doc, dict):
        raise UserError(f"mapping file {p}: expected a table name -> columns mapping")
    out: Mapping = {}
    for table, cols in doc.items():
        if table == EVENT_TYPES_KEY:
            if not isinstance(cols, dict):
                raise UserError(f"mapping file {p}: event_types must map source value -> type")
            out[EVENT_TYPES_KEY] = check_overrides(cols, f"mapping file {p}")
            continue
        if table == PRODUCTS_FROM_EVENTS_KEY:
            out[PRODUCTS_FROM_EVENTS_KEY] = check_spec(cols, f"mapping file {p}")
            continue
        if table == FORMATS_KEY:
            if not isinstance(cols, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and "." in k for k, v in cols.items()
            ):
                raise UserError(
                    f"mapping file {p}: formats maps table.column to a strptime format, "
                    'e.g. events.timestamp: "%m/%d/%Y %H:%M"'
                )
            out[FORMATS_KEY] = {str(k): str(v) for k, v in cols.items()}
            for k, v in out[FORMATS_KEY].items():
                check_format(k, v, f"mapping file {p}")
            continue
        if table == ID_TYPES_KEY:
            if not isinstance(cols, dict) or any(
                k not in ("user_id", "product_id") or v not in ("int64", "string")
                for k, v in cols.items()
            ):
                raise UserError(
                    f"mapping file {p}: id_types maps user_id / product_id to int64 or string"
                )
            out[ID_TYPES_KEY] = {str(k): str(v) for k, v in cols.items()}
            continue
        if table not in TABLES:
            raise UserError(
                f"mapping file {p}: unknown table {table!r} (tables: {', '.join(TABLES)})"
            )
        if not isinstance(cols, dict):
            raise UserError(f"mapping file {p}: {table} must map canonical column -> source column")
        for canon, src in cols.items():
            if canon not in TABLES[table].column_names:
                raise UserError(
                    f"mapping file {p}: {table} has no column {canon!r} "
                    f"(columns: {', '.join(TABLES[table].column_names)})"
                )
            if not isinstance(src, str) or not src:
                raise UserError(f"mapping file {p}: {table}.{canon} must name a source column")
        out[table] = {str(k): str(v) for k, v in cols.items()}
    return out


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip()).lower()


def resolve(table: str, source_columns: list[str], mapping: Mapping, source: str) -> dict[str, str]:
    """canonical column -> source column for every canonical column that has a source."""
    explicit = mapping.get(table, {})
    by_norm: dict[str, str] = {}
    for c in source_columns:
        by_norm.setdefault(_norm(c), c)
    out: dict[str, str] = {}
    for canon in TABLES[table].column_names:
        if canon in explicit:
            src = explicit[canon]
            if src not in source_columns:
                raise UserError(
                    f"{source}: mapping names column {src!r} for {table}.{canon}, but the "
                    f"source has no such column (it has: {', '.join(source_columns) or 'none'})"
                )
            out[canon] = src
        elif _norm(canon) in by_norm:
            out[canon] = by_norm[_norm(canon)]
    missing = [c.name for c in TABLES[table].columns if not c.nullable and c.name not in out]
    if missing:
        raise UserError(
            f"{source}: no source column for required {table} column(s) {', '.join(missing)} "
            f"(source columns: {', '.join(source_columns) or 'none'}); add them to --mapping"
        )
    return out


def time_columns() -> list[str]:
    """The `table.column` keys a `formats:` section may name: every date/timestamp column."""
    return [
        f"{name}.{c.name}"
        for name, t in TABLES.items()
        for c in t.columns
        if c.type in ("date", "timestamp")
    ]


def check_format(key: str, fmt: str, where: str) -> None:
    """One `formats:` entry: a known time column, and a known unit or a valid strptime pattern."""
    from ducky.ingest.coerce import EPOCH_UNITS

    keys = time_columns()
    if key not in keys:
        raise UserError(
            f"{where}: formats names {key!r}, which is not a date or timestamp column "
            f"(valid keys: {', '.join(keys)})"
        )
    if fmt in EPOCH_UNITS:
        return
    units = ", ".join(EPOCH_UNITS)
    if "%" not in fmt:
        raise UserError(
            f"{where}: formats {key}: {fmt!r} is neither a known unit ({units}) nor a strptime "
            'pattern (no % directive, e.g. "%m/%d/%Y %H:%M")'
        )
    from ducky.ingest.duck import connect

    con = connect()
    try:
        con.execute("SELECT TRY_STRPTIME('', ?)", [fmt]).fetchone()
    except Exception as e:  # DuckDB's InvalidInputException: an unknown directive
        detail = str(e).split("strptime:")[-1].strip() or type(e).__name__
        raise UserError(
            f"{where}: formats {key}: {fmt!r} is not a valid strptime pattern "
            f"(unknown directive in {detail})"
        ) from None
    finally:
        con.close()
