"""The ingest run: read every source, check it, then merge (or not) and account for each row.

Decision when a `fail` check trips (with the default --fail-on fail): NOTHING is merged — the
tables and manifest of the data directory stay exactly as they were — but the rejected rows are
still written to <data>/quarantine/ so that nothing that came in is lost. Rows that passed are
reported as `held_back`. Accounting per table always holds exactly:

    rows_in = loaded + quarantined + duplicates + held_back

where duplicates = exact duplicates inside the source + rows already present in the directory.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError
from ducky.ingest.checks import CheckResult
from ducky.ingest.sources import HttpOptions, read_source

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.ingest.mapping import Mapping
    from ducky.ingest.merge import TableMerge
    from ducky.ingest.records import SourceData
    from ducky.ingest.validate import Validated

ORDER = ("users", "products", "events", "search_logs")
FAIL_ON = ("warn", "fail", "never")
PRODUCER = "ducky.ingest"


@dataclass
class TableAccount:
    table: str
    source: str
    rows_in: int
    loaded: int
    inserted: int
    updated: int
    quarantined: int
    duplicates_in_source: int
    already_present: int
    held_back: int

    @property
    def duplicates(self) -> int:
        return self.duplicates_in_source + self.already_present

    def holds(self) -> bool:
        return self.rows_in == self.loaded + self.quarantined + self.duplicates + self.held_back

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source": self.source,
            "rows_in": self.rows_in,
            "loaded": self.loaded,
            "inserted": self.inserted,
            "updated": self.updated,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "duplicates_in_source": self.duplicates_in_source,
            "already_present": self.already_present,
            "held_back": self.held_back,
        }


@dataclass
class IngestResult:
    datadir: Path
    accounts: list[TableAccount]
    checks: list[CheckResult]
    metrics: dict[str, dict[str, float | None]]
    merged: bool
    changed: bool
    tripped: list[CheckResult]
    quarantine_files: list[str]
    fail_on: str
    daily: dict[str, Any] = field(default_factory=dict)
    postgres: dict[str, Any] | None = None
    # event names kept as they are (not one of the four canonical types) -> loaded rows
    custom_events: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": str(self.datadir),
            "merged": self.merged,
            "changed": self.changed,
            "fail_on": self.fail_on,
            "accounting": [a.to_dict() for a in self.accounts],
            "quality": self.metrics,
            "checks": [c.to_dict() for c in self.checks],
            "tripped": [f"{c.table}.{c.check}" for c in self.tripped],
            "quarantine_files": self.quarantine_files,
            "custom_event_types": [
                {"event_type": k, "rows": n} for k, n in self.custom_events.items()
            ],
        }


def _existing(path: Path) -> DataDir | None:
    """The data directory to merge into, or None when ingest creates it."""
    from ducky.datasets import DataDir
    from ducky.datasets.datadir import MANIFEST, STATE_DIR
    from ducky.ingest.quarantine import QUARANTINE_DIR

    if path.exists() and not path.is_dir():
        raise UserError(f"{path} exists and is not a directory")
    if not path.is_dir():
        return None
    d = DataDir(path)
    if (path / MANIFEST).is_file():
        d.validate(tables=(), deep=False)  # schema version; tables are checked as they are read
        return d
    others = [p.name for p in path.iterdir() if p.name not in (QUARANTINE_DIR, STATE_DIR)]
    if others:
        raise UserError(
            f"{path} is not empty and is not a ducky data directory (no {MANIFEST}): "
            "refusing to replace it; pick a new --data directory"
        )
    return d


def _keys(
    existing: DataDir | None,
    table: str,
    column: str,
    good: pa.Table | None,
    id_types: dict[str, str] | None = None,
) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    parts: list[pa.Array] = []
    if existing is not None and existing.has_table(table):
        files = [str(f) for f in existing.table_files(table)]
        parts.append(
            ds.dataset(files, format="parquet")
            .to_table(columns=[column])
            .column(0)
            .combine_chunks()
        )
    if good is not None:
        parts.append(good.column(column).combine_chunks())
    typ = pa.string() if (id_types or {}).get(column) == "string" else pa.int64()
    if not parts:
        return pa.array([], typ)
    return pc.unique(pa.chunked_array([pc.cast(x, typ) for x in parts], typ).combine_chunks())


def quality_metrics(v: Validated) -> dict[str, float | None]:
    """completeness / validity / uniqueness / referential integrity of one source, 0..1."""
    n = v.rows_in

    def rate(*kinds: str) -> float:
        bad = sum(1 for b in v.bad if {_kind_of(c) for c in b.checks} & set(kinds))
        return 1.0 if n == 0 else round(1 - bad / n, 6)

    return {
        "completeness": rate("required", "parse", "encoding"),
        "validity": rate("type", "allowed", "range", "not_future"),
        "uniqueness": 1.0 if n == 0 else round(1 - (v.duplicates + _n(v, "unique")) / n, 6),
        "referential_integrity": rate("reference")
        if v.table in ("events", "search_logs")
        else None,
    }


def _n(v: Validated, kind: str) -> int:
    return sum(1 for b in v.bad if any(_kind_of(c) == kind for c in b.checks))


def _kind_of(check_name: str) -> str:
    from ducky.ingest.checks import CHECKS

    return next((c.kind for c in CHECKS if c.name == check_name), check_name)


def _catalog_from_events(
    raw: dict[str, SourceData],
    mapping: Mapping,
    existing: DataDir | None,
    prev_derived: dict[str, str],
) -> bool:
    """Add the products the events describe to `raw` when the mapping asks for it (catalog.py);
    True when it did. A catalog file and a catalog from events at once is a mistake, and so
    is overwriting a catalog an earlier ingest brought from a file."""
    from ducky.ingest.catalog import PRODUCTS_FROM_EVENTS_KEY, products_from_events

    if PRODUCTS_FROM_EVENTS_KEY not in mapping or "events" not in raw:
        return False
    if "products" in raw:
        raise UserError(
            "products come from a file (--products) and from the mapping's "
            "products_from_events at once: give one of them"
        )
    if existing is not None and existing.has_table("products") and "products" not in prev_derived:
        raise UserError(
            f"{existing.path} already has a products table from a catalog file: ingest the "
            "catalog with --products, or drop products_from_events from the mapping"
        )
    raw["products"] = products_from_events(raw["events"], mapping)
    return True


def run_ingest(
    data: str | os.PathLike[str],
    sources: dict[str, str],
    mapping: str | os.PathLike[str] | None = None,
    fail_on: str = "fail",
    http: HttpOptions | None = None,
    now: dt.datetime | None = None,
    progress: bool = False,
    manifest_extra: dict[str, Any] | None = None,
    id_types: dict[str, str] | None = None,
) -> IngestResult:
    """Ingest `sources` (table -> path or URL) into the data directory `data`.
    `manifest_extra`: kept in the manifest when merged (e.g. ingest --from's watermark).
    `id_types`: id kinds whose type the caller knows (ingest --from: the source's own column
    types), as a mapping's `id_types:` section would force them."""
    from ducky.datasets import DatasetWriter
    from ducky.ingest.mapping import load_mapping
    from ducky.ingest.merge import plan_table, write_merged
    from ducky.ingest.quarantine import quarantine_table, relative_path, write_quarantine_file
    from ducky.ingest.validate import validate

    if fail_on not in FAIL_ON:
        raise UserError(f"--fail-on must be one of {', '.join(FAIL_ON)}")
    unknown = set(sources) - set(ORDER)
    if unknown:
        raise UserError(f"unknown table(s) {', '.join(sorted(unknown))}")
    if not sources:
        raise UserError("nothing to ingest: give at least one of --users, --products, --events")
    path = Path(data)
    mp = load_mapping(mapping)
    if id_types:
        from ducky.ingest.mapping import ID_TYPES_KEY

        mp = {**mp, ID_TYPES_KEY: {**mp.get(ID_TYPES_KEY, {}), **id_types}}
    existing = _existing(path)
    ex_with_manifest = (
        existing if existing is not None and existing.manifest_path.is_file() else None
    )

    # Tables an earlier ingest derived (no users table, no catalog): derived again from the
    # merged events unless this ingest brings the real table.
    prev_derived: dict[str, str] = (
        dict(ex_with_manifest.manifest().extra.get("derived") or {}) if ex_with_manifest else {}
    )
    rederive = {t for t in prev_derived if t not in sources}

    def _real(table: str) -> bool:
        if table in sources:
            return True
        return (
            ex_with_manifest is not None
            and ex_with_manifest.has_table(table)
            and table not in prev_derived
        )

    with _Progress(progress, len(sources) * 2) as bar:
        raw = {}
        for table in ORDER:
            if table in sources:
                bar.step(f"reading {table}")
                raw[table] = read_source(sources[table], table, http)
        derived_catalog = _catalog_from_events(raw, mp, ex_with_manifest, prev_derived)
        if derived_catalog:
            rederive.discard("products")  # merged into the earlier derived catalog instead
        from ducky.ingest.ids import decide_id_types

        id_types = decide_id_types(raw, mp, ex_with_manifest)
        validated: dict[str, Validated] = {}
        for table in ORDER:
            if table not in raw:
                continue
            bar.step(f"checking {table}")
            ref_users = ref_products = None
            if table in ("events", "search_logs"):
                u = validated.get("users")
                # No users table / no catalog anywhere: nothing to be an orphan of (the
                # reference check is skipped; users are then derived from events).
                if _real("users"):
                    ref_users = _keys(
                        ex_with_manifest, "users", "user_id", u.good if u else None, id_types
                    )
                p = validated.get("products")
                if _real("products"):
                    ref_products = _keys(
                        ex_with_manifest, "products", "product_id", p.good if p else None, id_types
                    )
            # The catalog from events has the canonical column names already.
            own = (
                {k: v for k, v in mp.items() if k != table}
                if derived_catalog and table == "products"
                else mp
            )
            u = validated.get("users")
            held = {b.key for b in u.bad if b.key is not None} if u is not None else None
            validated[table] = validate(
                raw[table], own, ref_users, ref_products, now=now, id_types=id_types,
                held_users=held,
            )  # fmt: skip

    checks = [r for v in validated.values() for r in v.results]
    levels = {"warn": ("warn", "fail"), "fail": ("fail",), "never": ()}[fail_on]
    tripped = [c for c in checks if c.status in levels]
    merge_allowed = not tripped

    merges: dict[str, TableMerge] = {}
    for table, v in validated.items():
        merges[table] = plan_table(ex_with_manifest, table, v.good)

    # Quarantine files: always written (nothing is lost); skipped when already there.
    q_new: dict[str, pa.Table] = {}
    q_files: list[str] = []
    for v in validated.values():
        if not v.bad:
            continue
        rel = relative_path(v)
        q_files.append(rel)
        if not (path / rel).is_file():
            q_new[rel] = quarantine_table(v)

    changed_tables = any(m.changed for m in merges.values())
    creating = ex_with_manifest is None
    merged = merge_allowed and (changed_tables or creating)

    accounts = []
    for table, v in validated.items():
        m = merges[table]
        passed = m.inserted + m.updated
        acct = TableAccount(
            table=table,
            source=v.source.source,
            rows_in=v.rows_in,
            loaded=passed if merge_allowed else 0,
            inserted=m.inserted if merge_allowed else 0,
            updated=m.updated if merge_allowed else 0,
            quarantined=len(v.bad),
            duplicates_in_source=v.duplicates,
            already_present=m.already_present,
            held_back=0 if merge_allowed else passed,
        )
        # The promise of the command: every row that came in is accounted for, exactly.
        assert v.good.num_rows == passed + m.already_present, f"merge lost rows of {table}"
        assert acct.holds(), f"accounting does not hold for {table}: {acct}"
        accounts.append(acct)
    metrics = {t: quality_metrics(v) for t, v in validated.items()}

    if merged:
        params = {"sources": dict(sources), "mapping": str(mapping) if mapping else None}
        summary = {
            "accounting": [a.to_dict() for a in accounts],
            "quality": metrics,
            "checks": [c.to_dict() for c in checks if c.status != "ok"],
        }
        from ducky.engines.duckdb.idhash import manifest_entry

        before = ex_with_manifest.manifest().extra if ex_with_manifest else None

        def finish(root: Path) -> dict[str, Any]:
            # string user ids: the DuckDB engine's check that their hashes do not collide
            return manifest_entry(root, previous=before)

        with DatasetWriter(path, producer=PRODUCER, parameters=params, finish=finish) as w:
            write_merged(w, existing, merges, q_new, rederive)
            if derived_catalog:
                from ducky.ingest.catalog import DERIVED_NOTE

                w.extra["derived"] = {**(w.extra.get("derived") or {}), "products": DERIVED_NOTE}
            w.extra["ingest"] = summary
            w.extra.update(manifest_extra or {})
    elif q_new:
        for rel, tbl in q_new.items():
            write_quarantine_file(path / rel, tbl)

    return IngestResult(
        path,
        accounts,
        checks,
        metrics,
        merged,
        merged,
        tripped,
        q_files,
        fail_on,
        custom_events=custom_event_counts(validated.get("events")),
    )


def custom_event_counts(v: Validated | None) -> dict[str, int]:
    """Event names this ingest kept as custom (not viewed/add-to-cart/purchased/login), with
    their row counts, most frequent first: a shop whose `checkout_completed` is not counted as
    a purchase learns it from the report (vocab.py maps only the names it knows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ducky.schema import EVENT_TYPES

    if v is None or v.good.num_rows == 0 or "event_type" not in v.good.column_names:
        return {}
    col = v.good.column("event_type")
    known = pc.is_in(col, value_set=pa.array(list(EVENT_TYPES), pa.string()))
    custom = pc.filter(col, pc.invert(known))
    counts = pc.value_counts(custom).to_pylist()
    pairs = sorted(((c["values"], int(c["counts"])) for c in counts), key=lambda x: (-x[1], x[0]))
    return dict(pairs)


class _Progress:
    """A rich progress bar on stderr when asked for, nothing otherwise."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._p: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            self._p = Progress(console=Console(stderr=True), transient=True)
            self._p.start()
            self._task = self._p.add_task("ingest", total=self.total)
        return self

    def step(self, what: str) -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1, description=what)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()
