"""An existing PostgreSQL database as the data source: the shop's own tables, read in place.

`--data postgresql://...` (or DUCKY_DATA) names a database that already holds the shop's
users, events and products (seed 000's tables). Nothing is copied and nothing is written:

- a mapping (the YAML/TOML of `ducky ingest --mapping`, plus three optional keys, below) says
  which schema, tables, columns and event values stand for the canonical ones; with the
  canonical names (seed 000's tables) no mapping is needed;
- the connection creates one TEMPORARY view per canonical table (in the session's own pg_temp
  schema, gone when it closes) that renames, casts and recodes the shop's columns, then sets
  `default_transaction_read_only`: every statement after that runs in a read-only transaction,
  so the server itself refuses any write, whatever the SQL;
- the canonical queries run unchanged on those views (`search_path` = pg_temp), so the answers
  are the same definitions as on a data directory.

Mapping file (all keys optional):

    schema: shop                 # the source tables' schema (default: the user's current one)
    tables: {users: customers}   # canonical table -> source table
    events:                      # canonical column -> source column (as for ingest)
      timestamp: event_time
    event_types:                 # source value -> canonical event_type value
      view: viewed
      cart: add-to-cart
      purchase: purchased
    id_types: {user_id: string}  # as for ingest: int64 | string per id kind

Ids (user_id, product_id) are integers or the shop's own strings, one type per kind across
the tables (ducky.schema.ID_COLUMNS), decided by `decide_id_types`: the mapping's `id_types:`
when it names the kind, else the source columns' own types: every column of the kind numeric
-> int64 (BIGINT), otherwise string (TEXT; an integer column among text ones is read as its
decimal text, never the other way round, so no cast can fail on the shop's values).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ducky.datasets import DataDir
from ducky.engines.postgres import PostgresEngine
from ducky.engines.postgres import dsn as dsnlib
from ducky.engines.postgres.dsn import is_pg_url as is_pg_url  # re-exported: the CLI's test
from ducky.errors import ConnectionFailed, DataDirError, EngineError, UserError

if TYPE_CHECKING:
    from ducky.datasets.datadir import Manifest
    from ducky.engines.base import Engine
    from ducky.schema import IdTypes

SOURCE_TABLES = ("users", "events", "products")  # what the canonical queries read
ID_TYPE_NAMES = ("int64", "string")  # what a mapping's id_types may say
# Canonical column type -> (PostgreSQL type to cast to, format_type() spelling of it).
_PG_TYPES = {
    "int64": ("BIGINT", "bigint"),
    "int32": ("INTEGER", "integer"),
    "string": ("TEXT", "text"),
    "date": ("DATE", "date"),
    "timestamp": ("TIMESTAMP", "timestamp without time zone"),
    "decimal": ("NUMERIC(12,2)", "numeric(12,2)"),
    "bool": ("BOOLEAN", "boolean"),
    "float64": ("DOUBLE PRECISION", "double precision"),
}


@dataclass
class SourceMapping:
    """Where the canonical tables are in the shop's database."""

    schema: str | None = None
    tables: dict[str, str] = field(default_factory=dict)  # canonical -> source table
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> canon -> src
    event_types: dict[str, str] = field(default_factory=dict)  # source value -> canonical
    id_types: dict[str, str] = field(default_factory=dict)  # id kind -> int64 | string


def _read_doc(p: Path) -> dict[str, Any]:
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
    return doc


def load_source_mapping(path: str | os.PathLike[str] | None) -> SourceMapping:
    """The mapping file's source keys (schema, tables, event_types) and its column maps,
    the latter checked exactly as `ducky ingest --mapping` checks them."""
    if path is None:
        return SourceMapping()
    p = Path(path)
    doc = _read_doc(p)
    out = SourceMapping()
    schema = doc.pop("schema", None)
    if schema is not None and (not isinstance(schema, str) or not schema):
        raise UserError(f"mapping file {p}: schema must name a schema")
    out.schema = schema
    for key, target in (("tables", out.tables), ("event_types", out.event_types)):
        value = doc.pop(key, None) or {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        ):
            raise UserError(f"mapping file {p}: {key} must map names to names")
        target.update(value)
    unknown = [t for t in out.tables if t not in SOURCE_TABLES]
    if unknown:
        raise UserError(
            f"mapping file {p}: tables: unknown canonical table {unknown[0]!r} "
            f"(tables: {', '.join(SOURCE_TABLES)})"
        )
    from ducky.schema import EVENT_TYPES

    bad = [v for v in out.event_types.values() if v not in EVENT_TYPES]
    if bad:
        raise UserError(
            f"mapping file {p}: event_types: {bad[0]!r} is not a canonical event type "
            f"({', '.join(EVENT_TYPES)})"
        )
    from ducky.ingest.mapping import ID_TYPES_KEY
    from ducky.schema import ID_KINDS

    ids = doc.pop(ID_TYPES_KEY, None) or {}
    if not isinstance(ids, dict):
        raise UserError(
            f"mapping file {p}: id_types maps user_id / product_id to int64 or string, "
            "e.g. id_types: {user_id: string}"
        )
    for kind, typ in ids.items():
        if kind not in ID_KINDS:
            raise UserError(
                f"mapping file {p}: id_types: unknown id {kind!r} (ids: {', '.join(ID_KINDS)})"
            )
        if typ not in ID_TYPE_NAMES:
            raise UserError(
                f"mapping file {p}: id_types: {kind}: {typ!r} is not an id type "
                f"(use {' or '.join(ID_TYPE_NAMES)})"
            )
    out.id_types = {str(k): str(v) for k, v in ids.items()}
    # The column part is ingest's format: validate it with ingest's own loader.
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        rest = Path(tmp) / "columns.yaml"
        rest.write_text(yaml.safe_dump(doc))
        from ducky.ingest.mapping import load_mapping

        try:
            out.columns = load_mapping(rest)
        except UserError as e:
            raise UserError(str(e).replace(str(rest), str(p))) from None
    return out


def state_path(dsn: str) -> Path:
    """A local folder for what a source run writes (bench results): per server and database."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ducky" / "sources"
    where = dsnlib.describe(dsn)
    slug = "".join(c if c.isalnum() else "-" for c in where).strip("-")[:60]
    return base / f"{slug}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"


class PgSource(DataDir):
    """A PostgreSQL database standing where a data directory would: engines that know it
    (source.open_source_engine) read its tables in place; everything that needs
    Parquet files gets a clear error naming `ducky ingest --from` instead."""

    pg_source: ClassVar[bool] = True
    in_place_engine: ClassVar[str] = "postgres"  # what -e's default runs on here (registry)

    def __init__(self, dsn: str, mapping: str | os.PathLike[str] | None = None) -> None:
        super().__init__(state_path(dsn))
        self.dsn = dsn.strip()
        self.mapping_path = Path(mapping) if mapping else None
        self.mapping = load_source_mapping(self.mapping_path)
        self.plain: dict[str, dict[str, str]] = {}  # filled by map_tables
        # canonical table -> canonical column -> (source column, its format_type()), and
        # canonical table -> the source's `schema.table`: filled by view_statements
        self.sources: dict[str, dict[str, tuple[str, str]]] = {}
        self.wheres: dict[str, str] = {}
        self.ids: IdTypes | None = None  # each id kind's type here, set by view_statements
        # forced int64 id columns that are not numeric: (kind, "schema.table.col (type)")
        self.int_casts: list[tuple[str, str]] = []

    @property
    def description(self) -> str:
        return f"postgresql://{dsnlib.describe(self.dsn)}"

    def __repr__(self) -> str:
        return f"PgSource({self.description!r})"

    def __str__(self) -> str:
        return self.description

    def exists(self) -> bool:
        return True

    def table_files(self, table: str) -> list[Path]:
        return []

    def manifest(self) -> Manifest:
        raise DataDirError(
            f"--data {self.description} is a PostgreSQL database, not a data directory: "
            "this command needs Parquet files; copy them with "
            "`ducky ingest --from postgresql://...` into a data directory first"
        )

    def id_types(self) -> dict[str, str]:
        """How the source's ids read (decide_id_types): known once a session has mapped the
        tables, else asked of the catalogs on a short connection (nothing but the catalogs
        is read)."""
        if self.ids is None:
            import psycopg

            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as con:
                    view_statements(con, self)
            except psycopg.Error as e:
                msg = dsnlib.scrub(dsnlib.first_line(e), self.dsn)
                raise ConnectionFailed(
                    f"postgres: cannot connect to {self.description}: {msg}"
                ) from e
        assert self.ids is not None
        return dict(self.ids)

    def read_tables(self, engine: str = "postgres") -> dict[str, Any]:
        """canonical table -> its rows (a pyarrow Table), read through the mapped temp views in
        one read-only session: what `ducky report` computes its DuckDB-side facts on, so they
        are the definitions used on a data directory. Everything is held in memory."""
        from ducky.engines import open_engine

        eng = open_engine(engine, self)
        with eng:
            eng.load()
            return {t: eng.run(f"SELECT * FROM {_quote(t)}") for t in SOURCE_TABLES}

    def summary(self, tables: dict[str, Any]) -> Manifest:
        """A manifest-like summary of the source (row counts, first and last event) from
        read_tables' rows, in the shapes a data directory's manifest gives them."""
        import pyarrow.compute as pc

        from ducky.datasets.datadir import Manifest

        rows = {t: {"rows": tables[t].num_rows} for t in SOURCE_TABLES if t in tables}
        first = last = None
        events = tables.get("events")
        if events is not None and events.num_rows:
            bounds = pc.min_max(events.column("timestamp")).as_py()
            first, last = bounds["min"].isoformat(), bounds["max"].isoformat()
        return Manifest(
            1,
            {"name": f"the PostgreSQL source {self.description}, read in place"},
            rows,
            {"first_event": first, "last_event": last},
            "",
        )

    def validate(self, tables: tuple[str, ...] = (), deep: bool = True) -> Manifest:
        """Tables are checked when the engine connects (it maps them); nothing on disk."""
        from ducky.datasets.datadir import Manifest

        unknown = [t for t in tables if t not in SOURCE_TABLES]
        if unknown:
            raise DataDirError(
                f"--data {self.description}: table {unknown[0]} is not read from a PostgreSQL "
                f"source (only {', '.join(SOURCE_TABLES)})"
            )
        return Manifest(1, {"name": "postgres-source"}, {}, {}, "")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _id_kinds() -> dict[tuple[str, str], str]:
    """(table, column) -> id kind, for the source tables' id columns."""
    from ducky.schema import ID_COLUMNS

    return {
        where: kind
        for kind, cols in ID_COLUMNS.items()
        for where in cols
        if where[0] in SOURCE_TABLES
    }


def _target(table: str, column: str, logical: str, ids: IdTypes) -> tuple[str, tuple[str, ...]]:
    """(the PostgreSQL type a view column is cast to, the format_type() spellings read as they
    are). An id column follows its kind's decided type; a string id in a VARCHAR column is
    passed through (text's own operators apply, an index on it stays usable)."""
    kind = _id_kinds().get((table, column))
    if kind is not None:
        if ids.get(kind, "int64") == "string":
            return "TEXT", ("text", "character varying")
        return "BIGINT", ("bigint",)
    cast, spelled = _PG_TYPES.get(logical, ("TEXT", "text"))
    return cast, (spelled,)


def _passes(spelled: str, accepted: tuple[str, ...]) -> bool:
    """Whether a format_type() spelling is one of `accepted` (a length modifier aside for
    character varying: varchar(20) is text to every operator the queries use)."""
    return spelled in accepted or (
        "character varying" in accepted and spelled.startswith("character varying(")
    )


@dataclass
class SourceTable:
    """One source table as the catalogs show it, and the canonical columns it maps."""

    canonical: str
    schema: str
    name: str
    columns: dict[str, str]  # source column -> format_type()
    numeric: set[str]  # source columns of a numeric type (pg_type.typcategory 'N')
    colmap: dict[str, str]  # canonical column -> source column

    @property
    def where(self) -> str:
        return f"{self.schema}.{self.name}"


def decide_id_types(tables: dict[str, SourceTable], mapping: SourceMapping) -> IdTypes:
    """Each id kind's type on this source: the mapping's id_types when it names the kind, else
    int64 when every source column of the kind is numeric (integer types; seed 000's INTEGER
    ids), string otherwise (text, varchar, uuid, ...; also when the kind's columns disagree:
    an integer column is then read as its decimal text, a cast that cannot fail, where text
    cast to BIGINT would stop the query at the first 'C-0001')."""
    from ducky.schema import ID_KINDS, INT_IDS

    out: IdTypes = dict(INT_IDS)
    for (table, column), kind in _id_kinds().items():
        t = tables.get(table)
        src = t.colmap.get(column) if t is not None else None
        if t is not None and src is not None and src not in t.numeric:
            out[kind] = "string"
    for kind in ID_KINDS:
        if kind in mapping.id_types:
            out[kind] = mapping.id_types[kind]
    return out


def view_sql(t: SourceTable, mapping: SourceMapping, ids: IdTypes) -> str:
    """CREATE TEMP VIEW <canonical table> over the source table with the canonical columns,
    ids typed as `ids` says. Casts only where the type differs (an index on the source column
    stays usable otherwise)."""
    from ducky.schema import TABLES

    table = t.canonical
    parts = []
    for col in TABLES[table].columns:
        cast, accepted = _target(table, col.name, col.type, ids)
        src = t.colmap.get(col.name)
        if src is None:
            expr = f"CAST(NULL AS {cast})"
        else:
            expr = _quote(src)
            if table == "events" and col.name == "event_type" and mapping.event_types:
                whens = " ".join(
                    f"WHEN {_literal(k)} THEN {_literal(v)}"
                    for k, v in sorted(mapping.event_types.items())
                )
                expr = f"CASE {expr}::text {whens} ELSE {expr}::text END"
            elif not _passes(t.columns[src], accepted):
                expr = f"CAST({expr} AS {cast})"
        parts.append(f"{expr} AS {_quote(col.name)}")
    return (
        f"CREATE TEMP VIEW {_quote(table)} AS SELECT {', '.join(parts)} "
        f"FROM {_quote(t.schema)}.{_quote(t.name)}"
    )


def plain_columns(t: SourceTable, mapping: SourceMapping, ids: IdTypes) -> dict[str, str]:
    """canonical column -> source column for the columns the view passes through unchanged
    (no cast, no recoding): only an index on those can serve a query on the view."""
    from ducky.schema import TABLES

    table = t.canonical
    out = {}
    for col in TABLES[table].columns:
        src = t.colmap.get(col.name)
        if src is None:
            continue
        if table == "events" and col.name == "event_type" and mapping.event_types:
            continue
        if _passes(t.columns[src], _target(table, col.name, col.type, ids)[1]):
            out[col.name] = src
    return out


def read_catalog(con: Any, source: PgSource) -> dict[str, SourceTable]:
    """canonical table -> the source table mapped to it, read from the catalogs on an open
    psycopg connection (nothing else is read)."""
    from ducky.ingest.mapping import resolve

    m = source.mapping
    schema = m.schema or str(con.execute("SELECT current_schema()").fetchone()[0])
    out: dict[str, SourceTable] = {}
    for t in SOURCE_TABLES:
        src = m.tables.get(t, t)
        rows = con.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), ty.typcategory "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type ty ON ty.oid = a.atttypid "
            "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (schema, src),
        ).fetchall()
        if not rows:
            hint = "" if source.mapping_path else "; map it with --mapping (tables: ...)"
            raise DataDirError(
                f"--data {source.description}: no table {schema}.{src} for {t}{hint}"
            )
        cols = {str(r[0]): str(r[1]) for r in rows}
        numeric = {str(r[0]) for r in rows if str(r[2]) == "N"}
        where = f"{schema}.{src}"
        colmap = resolve(t, list(cols), {t: m.columns.get(t, {})}, where)
        out[t] = SourceTable(t, schema, src, cols, numeric, colmap)
    return out


def view_statements(con: Any, source: PgSource) -> dict[str, tuple[str, str]]:
    """canonical table -> (CREATE TEMP VIEW statement, source `schema.table`), read from the
    catalogs on an open psycopg connection; `source.ids` gets the id types decided
    (decide_id_types), `source.plain[table]` the pass-through columns (see plain_columns)."""
    tables = read_catalog(con, source)
    ids = decide_id_types(tables, source.mapping)
    source.ids = ids
    source.int_casts = [
        (
            kind,
            f"{tables[table].where}.{tables[table].colmap[column]} "
            f"({tables[table].columns[tables[table].colmap[column]]})",
        )
        for (table, column), kind in _id_kinds().items()
        if ids[kind] == "int64"
        and column in tables[table].colmap
        and tables[table].colmap[column] not in tables[table].numeric
    ]
    out: dict[str, tuple[str, str]] = {}
    for t, st in tables.items():
        out[t] = (view_sql(st, source.mapping, ids), st.where)
        source.plain[t] = plain_columns(st, source.mapping, ids)
        source.sources[t] = {c: (src, st.columns[src]) for c, src in st.colmap.items()}
        source.wheres[t] = st.where
    return out


def explain_cast_error(message: str, source: PgSource) -> str:
    """`message` (a PostgreSQL error's first line) with what to do when it is a text id that
    the mapping's id_types reads as int64 (`invalid input syntax for type bigint: "C-1"`)."""
    if "invalid input syntax for type bigint" not in message or not source.int_casts:
        return message
    kinds = list(dict.fromkeys(kind for kind, _ in source.int_casts))
    says = ", ".join(f"{k}: int64" for k in kinds)
    cols = ", ".join(col for _, col in source.int_casts)
    fix = ", ".join(f"{k}: string" for k in kinds)
    return (
        f"{message} (the mapping's id_types says {says}, but {cols} hold text that is not "
        f"an integer: set id_types: {{{fix}}} or drop it)"
    )


def map_tables(con: Any, source: PgSource) -> dict[str, str]:
    """Create the temp views on an open psycopg connection; canonical -> `schema.table`."""
    out = {}
    for t, (sql, where) in view_statements(con, source).items():
        con.execute(sql)
        out[t] = where
    return out


def open_source_engine(name: str, source: PgSource, **options: Any) -> Engine:
    """The engine for a PostgreSQL source: PostgreSQL itself, in place (the default engine
    name, duckdb, means "wherever the data is" here)."""
    if name not in ("postgres", "duckdb"):
        raise UserError(
            f"--data {source.description} runs in place on PostgreSQL (-e postgres), not on "
            f"{name}: copy the tables with `ducky ingest --from postgresql://...` to use {name}"
        )
    PostgresEngine.ensure_available(options)
    return PgSourceEngine(source, **options)


class PgSourceEngine(PostgresEngine):
    """PostgresEngine on the shop's own tables: temp views, read-only session, no load."""

    def __init__(self, source: PgSource, **options: Any) -> None:
        options.pop("dsn", None)  # the source's DSN is the one --data gave
        super().__init__(source, dsn=source.dsn, **options)
        self.source = source
        self.mapped: dict[str, str] = {}
        self.created: list[dict[str, Any]] = []  # indexes built by prepare (allow_ddl)
        self.suggested: list[str] = []  # indexes not built (no allow_ddl): their DDL
        # DDL that would ALTER the shop's table (a stored column): printed, never run
        self.proposed: list[str] = []
        # indexes the server refused to build (no privilege, read-only): (why, their DDL)
        self.refused: list[tuple[str, str]] = []

    @property
    def target(self) -> str:
        return dsnlib.describe(self.source.dsn)

    def connect(self) -> None:
        import psycopg

        if self._con is not None:
            return
        dsn = self.source.dsn
        con = dsnlib.connect(dsn, self.target, autocommit=True)
        try:
            # UTC: a timestamptz source column becomes the canonical (UTC) timestamp.
            con.execute("SET TimeZone = 'UTC'")
            self.mapped = map_tables(con, self.source)
            con.execute("SET search_path TO pg_temp")
            # From here on the server refuses any write this session could attempt.
            con.execute("SET default_transaction_read_only = on")
        except psycopg.Error as e:
            con.close()
            msg = dsnlib.scrub(dsnlib.first_line(e), dsn)
            raise ConnectionFailed(f"postgres ({self.target}): {msg}") from e
        except BaseException:
            con.close()
            raise
        self._con = con
        if self.statement_timeout is not None:
            self.execute(f"SET statement_timeout = '{int(self.statement_timeout)}'")

    def is_current(self) -> bool:
        return True

    def _wrap(self, e: Exception) -> EngineError:
        """The server's error, with what to do when it is a text id read as int64."""
        err = super()._wrap(e)
        hint = explain_cast_error(str(err), self.source)
        return err if hint == str(err) else type(err)(hint)

    def render(self, query: str, variant: str = "optimized", **params: Any) -> str:
        """The variant's SQL, or the baseline's when the variant's PostgreSQL SQL reads what
        only its setup's ALTER TABLE adds (such as a stored column an optimization would add).
        A shop's table is never altered (prepare skips those statements), so that SQL could
        only fail here; the baseline gives the same answer by the same definition."""
        from ducky.engines.base import setup_statements

        if variant not in ("baseline", "rollup"):
            stmts = setup_statements(query, variant, self.dialect, roots=self.search_roots())
            if any(st.lstrip().split(None, 1)[0].upper() == "ALTER" for st in stmts if st.strip()):
                variant = "baseline"
            elif reads_stored_column(super().render(query, variant, **params)):
                # wau optimized groups by ducky_week, a column only ducky's own load stores
                # (types.STORED_COLUMNS); the shop's table has none and is never altered.
                variant = "baseline"
        return super().render(query, variant, **params)

    def load(self, force: bool = False, progress: bool | None = None) -> None:
        """Nothing to load: the tables are read where they are."""
        from ducky.engines.base import StageTiming

        self.connect()
        self.timings.append(StageTiming("load", 0.0, {"skipped": True, "in_place": True}))

    def reset_settings(self) -> None:
        self.execute("RESET ALL")
        self.execute("SET TimeZone = 'UTC'")
        self.execute("SET search_path TO pg_temp")
        self.execute("SET default_transaction_read_only = on")
        if self.statement_timeout is not None:
            self.execute(f"SET statement_timeout = '{int(self.statement_timeout)}'")

    # -- optimizing a database ducky does not own: only with consent ------------------------
    def prepare(self, query: str, variant: str) -> list[Any]:
        """A variant's setup, on the shop's database.

        baseline: nothing (the shop's tables as they are). Otherwise SET statements run (the
        session's own settings); each CREATE INDEX is rewritten onto the source table
        (CREATE INDEX CONCURRENTLY: writers are not blocked) and built only with
        allow_ddl (`ducky bench --allow-ddl`, DUCKY_PG_ALLOW_DDL=1), else reported as
        not built; every other statement (VACUUM, tables, rollups) is skipped. An index the
        server refuses to build (a role that is not the table's owner, a read-only server) is
        reported as not built, naming the table, and the bench goes on. Indexes built here
        are dropped when the engine closes unless keep_optimizations."""
        from ducky.engines.base import StageTiming, classify_setup, setup_statements

        if variant == "rollup":
            raise UserError(
                f"the rollup variant builds tables and triggers: not on --data "
                f"{self.source.description}, read in place (bench -V baseline,optimized)"
            )
        if variant == "baseline":
            return []
        self.connect()
        stages: list[StageTiming] = []
        for stmt in setup_statements(query, variant, self.dialect):
            kind, _ = classify_setup(stmt)
            head = stmt.lstrip().split(None, 1)[0].upper()
            if head == "SET":
                self.execute(stmt)
                continue
            if kind != "index":
                stages.append(StageTiming("setup", 0.0, {"skipped": _short(stmt)}))
                continue
            stages.append(self._index(stmt))
        self.timings.extend(stages)
        return stages

    def _index(self, stmt: str) -> Any:
        """One CREATE INDEX of a variant's setup, on the shop's table (plan_index): built with
        consent, else only reported. Every index not built says why in the stage's detail:
        `skipped` (the record's reason) and, unless printed with its DDL at close, `not_built`
        (a few words; `ducky bench` prints one line per variant from it)."""
        import time

        from ducky.engines.base import StageTiming

        plan = plan_index(stmt, self.source, self.mapped)
        if plan.proposal:  # needs a stored column: only proposed
            proposal = "; ".join(plan.proposal)
            self.proposed.append(proposal)
            detail: dict[str, Any] = {
                "skipped": "proposed only",
                "proposal": proposal,
                "statements": plan.proposal,
            }
            return StageTiming("index", 0.0, detail)
        if plan.ddl is None:
            detail = {"skipped": plan.reason, "not_built": plan.short, "sql": _short(stmt)}
            return StageTiming("index", 0.0, detail)
        ddl, name = plan.ddl, plan.name
        assert name is not None
        schema = ddl_schema(self.mapped, stmt)
        if self._index_exists(schema, name):  # not ours to rebuild or drop
            return StageTiming("index", 0.0, {"object": name, "existing": True, "sql": ddl})
        if not _flag(self.options.get("allow_ddl"), ENV_ALLOW_DDL):
            self.suggested.append(ddl)
            return StageTiming(
                "index", 0.0, {"sql": ddl, "skipped": "not built: needs --allow-ddl"}
            )
        t0 = time.perf_counter()
        self.execute("SET default_transaction_read_only = off")
        try:
            self.execute(ddl)
        except EngineError as e:
            why = _refused(e, plan.where)
            if why is None:
                raise
            # A role that may read the shop's tables but not index them (not the owner), or
            # a read-only server: this index is not built, the rest of the bench runs.
            self.refused.append((why, ddl))
            detail = {"sql": ddl, "skipped": f"not built ({why})", "not_built": why}
            return StageTiming("index", 0.0, {**detail, "error": str(e)})
        finally:
            self.execute("SET default_transaction_read_only = on")
        secs = time.perf_counter() - t0
        qualified = f'"{schema}"."{name}"'
        size = int(self.run(f"SELECT pg_relation_size('{qualified}')").column(0)[0].as_py())
        cost = self._write_cost(ddl)
        self.created.append(
            {"index": qualified, "sql": ddl, "bytes": size, "build_s": secs, "write": cost}
        )
        detail = {"object": qualified, "bytes": size, "sql": ddl, "write_cost": cost}
        return StageTiming("index", secs, detail)

    def _write_cost(self, ddl: str) -> str:
        """What the index costs each insert, in words: measured on TEMPORARY copies (this
        session's own pg_temp, gone when it closes) of up to WRITE_COST_ROWS of the source
        table's rows, inserted without and with the same index (best of three each). The
        shop's table itself is only read. Temporary tables write no WAL, so a live table pays
        somewhat more; the figure is the index's own share."""
        import time

        m = re.search(r' ON ("(?:[^"]|"")+"\."(?:[^"]|"")+") (\(.*)$', ddl, re.S)
        if m is None:
            return "write cost not measured"
        table, cols = m.groups()
        unique = "UNIQUE " if ddl.startswith("CREATE UNIQUE") else ""

        def best_insert() -> float:
            times = []
            for _ in range(3):
                self.execute("TRUNCATE pg_temp.ducky_wc_t")
                t0 = time.perf_counter()
                self.execute("INSERT INTO pg_temp.ducky_wc_t SELECT * FROM pg_temp.ducky_wc_src")
                times.append(time.perf_counter() - t0)
            return min(times)

        self.execute("SET default_transaction_read_only = off")
        try:
            self.execute(
                f"CREATE TEMP TABLE ducky_wc_src AS SELECT * FROM {table} LIMIT {WRITE_COST_ROWS}"
            )
            n = int(self.run("SELECT count(*) FROM pg_temp.ducky_wc_src").column(0)[0].as_py())
            self.execute("CREATE TEMP TABLE ducky_wc_t (LIKE pg_temp.ducky_wc_src)")
            plain = best_insert()
            self.execute(f"CREATE {unique}INDEX ON pg_temp.ducky_wc_t {cols}")
            indexed = best_insert()
        except ConnectionFailed:
            raise
        except EngineError as e:  # the SQL error, already one scrubbed line
            return f"write cost not measured ({e})"
        finally:
            self.execute("DROP TABLE IF EXISTS pg_temp.ducky_wc_t, pg_temp.ducky_wc_src")
            self.execute("SET default_transaction_read_only = on")
        if n == 0:
            return "write cost not measured (empty table)"
        per_row = max(indexed - plain, 0.0) / n * 1e6
        return f"+{per_row:.1f} us per inserted row ({n:,} rows into a temporary copy)"

    def _index_exists(self, schema: str, name: str) -> bool:
        sql = f"SELECT to_regclass('{_quote(schema)}.{_quote(name)}') IS NOT NULL"
        return bool(self.run(sql).column(0)[0].as_py())

    def close(self) -> None:
        """Drop the indexes this engine built unless kept; say what to apply permanently."""
        import sys

        keep = _flag(self.options.get("keep_optimizations"), ENV_KEEP)
        if self._con is not None and self.created and not keep:
            self.execute("SET default_transaction_read_only = off")
            for ix in self.created:
                self.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {ix['index']}")
        for ix in self.created:
            state = "kept" if keep else "dropped again"
            print(
                f"ducky: {state}: {ix['sql']}  -- {ix['bytes']:,} bytes, built in "
                f"{ix['build_s']:.3f} s, {ix['write']}",
                file=sys.stderr,
            )
        if self.created and not keep:
            print(
                "ducky: to keep them, run the statements above (the bench shows each "
                "variant's gain) or rerun with --keep-optimizations",
                file=sys.stderr,
            )
        for ddl in dict.fromkeys(self.suggested):
            print(f"ducky: not built (needs --allow-ddl): {ddl}", file=sys.stderr)
        for why, ddl in dict.fromkeys(self.refused):  # what the table's owner could run
            print(f"ducky: not built ({why}): {ddl}", file=sys.stderr)
        for ddl in dict.fromkeys(self.proposed):
            print(f"ducky: proposed, never run by ducky on your table: {ddl}", file=sys.stderr)
        self.created, self.suggested, self.proposed, self.refused = [], [], [], []
        super().close()


ENV_ALLOW_DDL = "DUCKY_PG_ALLOW_DDL"
WRITE_COST_ROWS = 20_000  # rows copied to measure an index's insert cost: ~0.1 s a variant
ENV_KEEP = "DUCKY_PG_KEEP_OPTIMIZATIONS"


def _flag(value: Any, env: str) -> bool:
    if value is None:
        value = os.environ.get(env, "")
    return str(value).strip().lower() in ("1", "true", "yes", "on")


# SQLSTATEs that mean "this role or server may not build it", not "the bench is broken":
# insufficient_privilege (not the table's owner), read_only_sql_transaction (a standby).
_REFUSED = {"42501": "no privilege on {where}: {msg}", "25006": "read-only server: {msg}"}


def _refused(e: EngineError, where: str) -> str | None:
    """Why the server refused an index build, in a few words naming the shop's table, or None
    when the error is another kind (it then stops the bench as before)."""
    state = getattr(e.__cause__, "sqlstate", None)
    if state not in _REFUSED:
        return None
    msg = str(e).removeprefix("postgres: ")
    if msg.startswith("must be owner of "):  # "... of table events": the table is named apart
        msg = "must be owner"
    return _REFUSED[state].format(where=where, msg=msg)


def _short(stmt: str) -> str:
    return " ".join(stmt.split())[:200]


_INDEX = re.compile(
    r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(\w+)\s+ON\s+(\w+)\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)


def ddl_schema(mapped: dict[str, str], stmt: str) -> str:
    m = _INDEX.match(_code(stmt))
    table = m.group(3) if m else "events"
    return mapped.get(table, "public.x").split(".", 1)[0]


def _code(stmt: str) -> str:
    return "\n".join(ln.split("--", 1)[0] for ln in stmt.splitlines()).strip()


@dataclass
class IndexPlan:
    """What becomes of one CREATE INDEX of a variant's setup on the shop's table: built (ddl),
    only proposed (statements that would ALTER the shop's table), or neither, with why."""

    name: str | None
    where: str = ""  # the source table, schema.table
    ddl: str | None = None  # CREATE INDEX CONCURRENTLY on the source table
    proposal: list[str] = field(default_factory=list)  # statements ducky never runs itself
    reason: str = ""  # why it is not built (the bench record's `skipped`)
    short: str = ""  # the same in a few words (the bench's one line per variant)


def rewrite_index(
    stmt: str, source: PgSource, mapped: dict[str, str]
) -> tuple[str | None, str | None, str]:
    """(DDL on the source table, index name, ""), (None, index name, the proposed statements
    joined by "; ") or (None, None, why not): plan_index, in one tuple."""
    plan = plan_index(stmt, source, mapped)
    if plan.ddl is not None:
        return plan.ddl, plan.name, ""
    if plan.proposal:
        return None, plan.name, "; ".join(plan.proposal)
    return None, None, plan.reason


def plan_index(stmt: str, source: PgSource, mapped: dict[str, str]) -> IndexPlan:
    """A variant's CREATE INDEX on a canonical table, in the source's own names: the schema
    and table quoted and qualified, every canonical column replaced by the shop's. Only an
    index on columns the view passes through unchanged can serve the query; one that keys on
    a column only ducky's own load stores is proposed with the ALTER TABLE it needs, its
    expression rewritten onto the shop's columns and IMMUTABLE (a generated column requires
    it): a timestamptz column is read as `col AT TIME ZONE 'UTC'`, ducky's UTC weeks."""
    m = _INDEX.match(_code(stmt))
    if m is None:
        return IndexPlan(None, reason="not a plain CREATE INDEX", short="not a plain CREATE INDEX")
    unique, name, table, rest = m.groups()
    if table not in mapped:
        why = f"{table} is not a mapped table"
        return IndexPlan(None, reason=why, short=why)
    from ducky.engines.postgres.types import STORED_COLUMNS
    from ducky.schema import TABLES

    where = mapped[table]
    schema, src_table = where.split(".", 1)
    qualified = f"{_quote(schema)}.{_quote(src_table)}"
    plain = source.plain.get(table, {})
    used = [c for c in TABLES[table].column_names if _mentions(rest, c)]
    for col in used:
        if col not in plain:
            short = _converted(source, table, col)
            return IndexPlan(
                None,
                where,
                reason=(
                    f"{table}.{col} is converted by the mapping ({short}): an index on the "
                    "source column cannot serve the query"
                ),
                short=short,
            )
    # read from the text as written: a shop's column may carry a stored column's name
    stored = [c for c in STORED_COLUMNS.get(table, ()) if _mentions(rest, c[0])]
    rest = _rename_all(rest, {c: _quote(plain[c]) for c in used}).strip()
    if not stored:
        ddl = (
            f"CREATE {unique or ''}INDEX CONCURRENTLY IF NOT EXISTS {_quote(name)} "
            f"ON {qualified} {rest}"
        )
        return IndexPlan(name, where, ddl=ddl)
    # The index keys on a column ducky's own load stores. On the shop's table that means
    # ALTER TABLE (a table rewrite under an exclusive lock): ducky never runs it, it only
    # proposes it, with the index, in the source's own names.
    alters = []
    for col, typ, expr in stored:
        refs = {}
        for canon in TABLES[table].column_names:
            if not _mentions(expr, canon):
                continue
            src, why = _immutable_source(source, table, canon)
            if src is None:
                short = f"{col} needs an immutable {canon}: {why}"
                return IndexPlan(
                    None,
                    where,
                    reason=f"not proposed: the stored column {short}",
                    short=short,
                )
            refs[canon] = src
        alters.append(
            f"ALTER TABLE {qualified} ADD COLUMN {_quote(col)} {typ} "
            f"GENERATED ALWAYS AS ({_rename_all(expr, refs)}) STORED"
        )
    index = f"CREATE INDEX CONCURRENTLY {_quote(name)} ON {qualified} {rest}"
    return IndexPlan(
        name,
        where,
        proposal=[*alters, index],
        reason="proposed only",
        short=f"needs ALTER TABLE {where} (proposed)",
    )


_TIMESTAMPTZ = re.compile(r"timestamp(\(\d+\))? with time zone")
_TIMESTAMP = re.compile(r"timestamp(\(\d+\))? without time zone")


def _immutable_source(source: PgSource, table: str, canon: str) -> tuple[str | None, str]:
    """(an IMMUTABLE expression of the shop's columns equal to the canonical column, "") or
    (None, why there is none). The canonical timestamp is UTC: a timestamptz column is
    `col AT TIME ZONE 'UTC'` (immutable, where the view's cast to timestamp depends on the
    session's TimeZone and is only stable); a timestamp(n) or date column is cast."""
    plain = source.plain.get(table, {})
    if canon in plain:
        return _quote(plain[canon]), ""
    found = source.sources.get(table, {}).get(canon)
    if found is None:
        return None, _converted(source, table, canon)
    col, typ = found
    if _logical(table, canon) == "timestamp":
        if _TIMESTAMPTZ.fullmatch(typ):
            return f"({_quote(col)} AT TIME ZONE 'UTC')", ""
        if _TIMESTAMP.fullmatch(typ) or typ == "date":
            return f"CAST({_quote(col)} AS TIMESTAMP)", ""
    return None, _converted(source, table, canon)


def _logical(table: str, column: str) -> str:
    from ducky.schema import TABLES

    return next(c.type for c in TABLES[table].columns if c.name == column)


def _converted(source: PgSource, table: str, col: str) -> str:
    """Why the view does not pass `table.col` through, in a few words naming the shop's
    column: a cast (its type and the canonical one), recoded values, or no such column."""
    found = source.sources.get(table, {}).get(col)
    if found is None:
        return f"no column for {table}.{col} in {source.wheres.get(table, table)}"
    src, typ = found
    if table == "events" and col == "event_type" and source.mapping.event_types:
        return f"{src}: values recoded by event_types"
    from ducky.schema import INT_IDS

    target = _target(table, col, _logical(table, col), source.ids or INT_IDS)[0]
    return f"{src}: {_short_type(typ)} read as {_short_type(target.lower())}"


def _short_type(spelled: str) -> str:
    """format_type()'s spelling, shorter: timestamptz, timestamp(3), varchar(20)."""
    if m := _TIMESTAMPTZ.fullmatch(spelled):
        return f"timestamptz{m.group(1) or ''}"
    if m := _TIMESTAMP.fullmatch(spelled):
        return f"timestamp{m.group(1) or ''}"
    return re.sub(r"^character varying", "varchar", spelled)


def _mentions(sql: str, col: str) -> bool:
    return re.search(rf'(?<![\w"]){col}(?![\w"])|"{col}"', sql) is not None


def _rename_all(sql: str, names: dict[str, str]) -> str:
    """`sql` with each canonical column name (bare or quoted) replaced in one pass: a
    replacement is never renamed again (a shop's column may carry another canonical name)."""
    if not names:
        return sql
    alts = "|".join(re.escape(c) for c in sorted(names, key=len, reverse=True))
    pattern = rf'(?<![\w"])({alts})(?![\w"])|"({alts})"'
    return re.sub(pattern, lambda m: names[m.group(1) or m.group(2)], sql)


def reads_stored_column(sql: str) -> bool:
    """Whether `sql` reads a column only ducky's own load stores (types.STORED_COLUMNS)."""
    from ducky.engines.postgres.types import STORED_COLUMNS

    code = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)  # comments may name it
    code = _code(code)
    return any(_mentions(code, c[0]) for cols in STORED_COLUMNS.values() for c in cols)
