"""The query catalog: every query ducky runs, declared once.

An entry names the query, its parameters (with defaults), the tables it reads, the definition
printed next to its result, and the tables its maintained rollup builds. Its SQL is files, found
under SQL roots in order: roots an engine declares (`Engine.sql_roots`) or a caller adds
(`ducky bench --sql-dir`), then ducky's own `ducky/sql`. In a root, `<query>/<variant>.sql` is
the canonical text (DuckDB dialect) and `<query>/<variant>.<dialect>.sql` overrides it for one
dialect; `<variant>.setup[.<dialect>].sql` prepares the variant (indexes, rollups).

A new query is one `QuerySpec` below plus its `.sql` files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ducky.errors import UserError

DEFAULT_VARIANT = "optimized"
BOUNDS_TABLE = "rollup_event_bounds"  # shared by the wau and cohort rollups


class SqlRoot(Protocol):
    """A folder of SQL files: a `Path` or an `importlib.resources` Traversable."""

    def joinpath(self, *parts: str) -> Any: ...

    def is_dir(self) -> bool: ...


@dataclass(frozen=True)
class QuerySpec:
    name: str
    tables: tuple[str, ...]  # tables it reads (validated before it runs)
    parameters: dict[str, Any] = field(default_factory=dict)  # name -> default
    definition: str = ""  # printed next to its result (the contract in METRICS.md)
    rollup_tables: tuple[str, ...] = ()  # tables its maintained rollup builds (own, then shared)
    kind: str = "metric"  # metric (ducky query/bench/rollup) or summary (ingest daily summaries)


CATALOG: dict[str, QuerySpec] = {
    spec.name: spec
    for spec in (
        QuerySpec(
            "wau",
            tables=("events",),
            parameters={"event_type": None},
            definition=(
                "Weekly active users: distinct user_id with at least one event (of any type, or "
                "of the chosen type) in each ISO week starting Monday 00:00 UTC. complete = the "
                "whole week lies inside the data range [first event date, last event date]."
            ),
            rollup_tables=("rollup_user_week", "rollup_week_mask", BOUNDS_TABLE),
        ),
        QuerySpec(
            "revenue",
            tables=("events", "products"),
            parameters={"date_from": None, "date_to": None},
            definition=(
                "Revenue per (category, currency): a purchase's revenue is its amount (paid, "
                "after discounts), else quantity (default 1) x products.price (neither: 0, "
                "still a purchase and an order); never summed across currencies (none given "
                "= USD); purchases = count of 'purchased' events; orders = distinct "
                "order_id, each order-less purchase its own order; "
                "buyers = distinct purchasing users; avg_order_value = revenue / orders; "
                "category 'unknown' without a known product; ordered by revenue desc, "
                "category, currency. Optional date range, UTC: --from/--to inclusive, whole "
                "months for YYYY-MM."
            ),
            rollup_tables=("rollup_category_day",),
        ),
        QuerySpec(
            "cohort",
            tables=("events", "users"),
            parameters={"weeks": 8, "event_type": None},
            definition=(
                "Cohort retention: cohort = month of signup_date; week k of a user = "
                "floor((event date - signup_date) / 7), events before signup ignored; retained "
                "= distinct cohort users with an event in week k; rate = retained / "
                "cohort_size. A cell is complete only if max(signup_date in cohort) + 7(k+1) - "
                "1 <= last data date; incomplete cells have no rate (never 0 %)."
            ),
            rollup_tables=("rollup_user_signup_week", "rollup_cohort_week_mask", BOUNDS_TABLE),
        ),
        QuerySpec(
            "daily_sales",
            tables=("users", "products", "events"),
            parameters={"date_from": None, "date_to": None},
            definition=(
                "Purchases, revenue (amount, else quantity x products.price, as in revenue) "
                "and buyers per UTC day, category ('unknown' without a known product) and "
                "currency (never summed across currencies; none given = USD)."
            ),
            kind="summary",
        ),
        QuerySpec(
            "daily_users",
            tables=("users", "events"),
            parameters={"date_from": None, "date_to": None},
            definition="New (signed up) and active (any event) users per UTC day.",
            kind="summary",
        ),
    )
}

# The canonical metrics (ducky query, bench, rollup), in their documented order.
QUERIES: tuple[str, ...] = tuple(n for n, s in CATALOG.items() if s.kind == "metric")
SUMMARIES: tuple[str, ...] = tuple(n for n, s in CATALOG.items() if s.kind == "summary")
ROLLUP_QUERIES: tuple[str, ...] = tuple(n for n, s in CATALOG.items() if s.rollup_tables)


def spec(query: str, kinds: tuple[str, ...] = ("metric",)) -> QuerySpec:
    """The catalog entry of `query`; a clear UserError for an unknown one."""
    found = CATALOG.get(query)
    if found is None or found.kind not in kinds:
        names = [n for n, s in CATALOG.items() if s.kind in kinds]
        raise UserError(f"unknown query {query!r}: choose one of {', '.join(names)}")
    return found


def lookup(query: str) -> QuerySpec:
    """Any catalog entry (metric or summary) by name."""
    return spec(query, kinds=("metric", "summary"))


def packaged_root() -> SqlRoot:
    """ducky's own SQL folder. Installed as files (the usual case) it is this module's folder;
    importlib.resources (~5 ms to import, with tempfile and shutil) only for a zipped install."""
    here = Path(__file__).parent
    if here.is_dir():
        return here
    from importlib import resources

    return resources.files("ducky.sql")


def search_roots(extra: tuple[SqlRoot | str | Path, ...] | list[Any] = ()) -> list[SqlRoot]:
    """The SQL roots in lookup order: `extra` first, ducky's own last."""
    out: list[SqlRoot] = [Path(r) if isinstance(r, str) else r for r in extra]
    out.append(packaged_root())
    return out


def _file(root: SqlRoot, query: str, name: str) -> Any | None:
    f = root.joinpath(query, name)
    return f if f.is_file() else None


def variants(query: str, roots: tuple[Any, ...] | list[Any] = ()) -> list[str]:
    """Variants of `query` that have a canonical (DuckDB-dialect) file in any root."""
    lookup(query)
    names: set[str] = set()
    for root in search_roots(roots):
        folder = root.joinpath(query)
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            parts = f.name.split(".")
            if len(parts) == 2 and parts[1] == "sql":
                names.add(parts[0])
    return sorted(names)


def source(
    query: str,
    variant: str = DEFAULT_VARIANT,
    dialect: str = "duckdb",
    roots: tuple[Any, ...] | list[Any] = (),
) -> tuple[str, str]:
    """(text, dialect it is written in) of a query variant: in the first root that has it,
    the dialect's override file, else the canonical file."""
    lookup(query)
    for root in search_roots(roots):
        override = _file(root, query, f"{variant}.{dialect}.sql")
        if override is not None:
            return override.read_text(), dialect
        canonical = _file(root, query, f"{variant}.sql")
        if canonical is not None:
            return canonical.read_text(), "duckdb"
    raise UserError(
        f"query {query!r} has no variant {variant!r}: choose one of "
        f"{', '.join(variants(query, roots))}"
    )


def setup_source(
    query: str,
    variant: str,
    dialect: str,
    roots: tuple[Any, ...] | list[Any] = (),
) -> tuple[str, str] | None:
    """(text, dialect) of a variant's setup file, or None when it has none.

    The setup comes from the first root that defines the variant as a whole (its canonical
    text or a setup file): a variant that a root replaces brings its own setup (or none), and a
    root that only overrides one dialect's text keeps the setup of the root below.
    """
    source(query, variant, dialect, roots)  # unknown query/variant: a clear UserError
    for root in search_roots(roots):
        own = _file(root, query, f"{variant}.setup.{dialect}.sql")
        if own is not None:
            return own.read_text(), dialect
        generic = _file(root, query, f"{variant}.setup.sql")
        if generic is not None:
            return generic.read_text(), "duckdb"
        if _file(root, query, f"{variant}.sql") is not None:
            return None
    return None


def defines(root: Any, query: str, variant: str, dialect: str) -> bool:
    """`root` holds any file of this variant (text or setup, generic or for `dialect`)."""
    names = (f"{variant}.sql", f"{variant}.setup.sql", f"{variant}.setup.{dialect}.sql")
    return any(_file(root, query, n) is not None for n in names)


# -- rendered-SQL cache ----------------------------------------------------------------------
# Parsing and generating with sqlglot (and importing it) costs ~0.15-0.3 s per CLI call, more
# than a rollup answer itself. Rendered text is a pure function of the source text, the bound
# parameters, the target dialect and its fix-ups, and sqlglot's version, so it is kept on disk
# under the user cache (XDG_CACHE_HOME or ~/.cache)/ducky/sql, one small file per key.


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ducky" / "sql"


def _sqlglot_version() -> str:
    """sqlglot's installed version, remembered on disk (`version.txt` in the cache folder)
    under a stamp of where sqlglot lives: importlib.metadata costs ~15-25 ms to import and
    scan per CLI call, more than a cached rendering saves elsewhere. The stamp is the package's
    `__init__.py` (path, size, mtime) and its folder's parent (site-packages, whose mtime
    changes when a distribution is installed or removed), so an upgrade asks afresh."""
    from importlib.util import find_spec

    try:
        spec = find_spec("sqlglot")
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None:
            raise OSError("no sqlglot")
        st, parent = origin.stat(), origin.parent.parent.stat()
        stamp = f"{origin}|{st.st_size}|{st.st_mtime_ns}|{parent.st_mtime_ns}"
    except (OSError, ImportError, ValueError):
        return _sqlglot_version_from_metadata()
    memo = _cache_dir() / "version.txt"
    try:
        saved_stamp, saved_version = memo.read_text().split("\n")[:2]
        if saved_stamp == stamp and saved_version:
            return saved_version
    except (OSError, ValueError):
        pass
    found = _sqlglot_version_from_metadata()
    if not found.startswith("unknown-"):
        _write_whole(memo, f"{stamp}\n{found}\n")
    return found


def _sqlglot_version_from_metadata() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sqlglot")
    except PackageNotFoundError:  # a vendored sqlglot: never reuse across runs
        return f"unknown-{os.getpid()}"


def render_cache_key(*parts: Any) -> str:
    """The cache key of one rendering: every input, plus sqlglot's version."""
    h = hashlib.sha256(_sqlglot_version().encode())
    # The binding and transpile code itself (ducky/sql): an edit there renders afresh too.
    here = Path(__file__).parent
    for name in ("__init__.py", "catalog.py"):
        with contextlib.suppress(OSError):
            h.update(f"{name}:{(here / name).stat().st_mtime_ns}".encode())
    for p in parts:
        h.update(b"\0" + repr(p).encode())
    return h.hexdigest()


def render_cache_get(key: str) -> str | None:
    try:
        return (_cache_dir() / f"{key}.sql").read_text()
    except OSError:
        return None


def render_cache_put(key: str, text: str) -> None:
    _write_whole(_cache_dir() / f"{key}.sql", text)


def _write_whole(path: Path, text: str) -> None:
    """Write `path` whole (a temporary file renamed over it). Best effort: an unwritable cache
    only means rendering (or looking the version up) again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}"
        tmp.write_text(text)
        tmp.replace(path)
    except OSError:
        pass
