"""A fact recorded when ducky writes a data directory: no two of its string user ids (in the
events and users files together) share a DuckDB 64-bit `hash()`. While it holds, the WAU full
scan groups users by the hash instead of the string (fast._mask_weekly), revenue counts buyers'
hashes (fast.revenue_sql), and cohort joins events to users on the hash (fast.cohort_sql), with
the same answers.

Why: at 100M events and 2M users with 16-character ids, WAU's one remaining cost is a hash
aggregate keyed by the strings (6.5 s of 9.4 s CPU): each event's id is compared and copied as a
string. Keyed by `hash(user_id)`, a UBIGINT, the same masks take 3.6 s instead of 5.1 s
(docs/BENCHMARKS.md). Grouping by the hash is exact only if the hash is one-to-one on the ids,
and that cannot be checked per query without paying for the string aggregate again. So the
writer checks it once, over every events and users file it wrote (`manifest_entry`: one
DISTINCT over the ids, ~4.5 s at 100M events), and the manifest keeps the answer under
"user_id_hash" with:

- DuckDB's version: hash() is not promised stable across versions;
- every events and users file's path, size and modification time: a file added, removed or
  rewritten since (by anyone) and the fact no longer applies (`holds`).

Both tables, because cohort's join matches an event's id to a user's: an event id that is in
no users row must not share a hash with one that is.

The text that keys users by the hash also checks, when it runs, that the files are still the
ones the fact was recorded over (`GUARD`: DuckDB's own listing of names, sizes and times, ~5 ms
for 99 files), and fails with an error otherwise: data rewritten between the render and the run
(a concurrent ingest) never counts two colliding ids as one. The one change neither notices is
a file rewritten to exactly the same size with its modification time put back (`cp -p` or
`rsync -a` of another file of equal size): the limit of any size-and-time check.

No fact (integer ids, a collision, files another tool wrote, an older DuckDB): the strings are
counted as they are. Integer ids never need it: they are 8-byte keys already.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.datasets import DataDir

KEY = "user_id_hash"


def hash_of(column: str) -> str:
    """The hashed expression over `column` (a user_id, possibly qualified: `e.user_id`)."""
    return f"hash({column})"


# The expression the fact is about; the fast texts key users by exactly this one.
HASH = hash_of("user_id")


def _covered(dd: DataDir) -> list[Path]:
    """The files the fact is about: every events file and the users file(s)."""
    return [*dd.table_files("events"), *dd.table_files("users")]


def _stamps(root: Path, files: list[Path]) -> dict[str, list[int]]:
    out = {}
    for p in files:
        st = p.stat()
        out[p.relative_to(root).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def manifest_entry(
    root: Path, expression: str = HASH, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """{KEY: the fact} for the events and users files under `root` (a complete data directory,
    or the writer's staging copy of one), or {KEY: None} when it does not hold or is not needed
    (no events or no users file, integer ids). `previous`: the manifest's entries before this
    write (an ingest): a fact whose files are all still there unchanged (kept files are
    hard-linked, so their sizes and times are the same) is kept without reading the ids again
    (a products-only ingest at 100M events would otherwise pay ~4.5 s). `expression` is for
    tests, which check that a colliding one records nothing."""
    import duckdb

    from ducky.datasets import DataDir

    dd = DataDir(root)
    events, users = dd.table_files("events"), dd.table_files("users")
    if not events or not users:
        return {KEY: None}
    files = _covered(dd)
    old = (previous or {}).get(KEY)
    if (
        isinstance(old, dict)
        and old.get("expression") == expression
        and old.get("duckdb") == duckdb.__version__
        and old.get("files") == _stamps(root, files)
    ):
        return {KEY: old}
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # gen and ingest draw their own
        reads = []
        for table in (events, users):
            paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in table)
            read = f"read_parquet([{paths}], hive_partitioning = false, union_by_name = true)"
            described = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE FROM {read})")
            types = {str(r[0]): str(r[1]) for r in described.fetchall()}
            if types.get("user_id") != "VARCHAR":
                return {KEY: None}  # integer ids are 8-byte keys already (the other type)
            reads.append(f"SELECT user_id FROM {read} WHERE user_id IS NOT NULL")
        row = con.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT h) FROM ("
            f"SELECT DISTINCT user_id, {expression} AS h FROM ({' UNION ALL '.join(reads)}))"
        ).fetchone()
    except duckdb.Error:
        # (out of memory or disk for the DISTINCT, say): the data is written all the same, and
        # WAU counts the strings; a fact is an optimization, never a reason to lose a write
        return {KEY: None}
    finally:
        con.close()
    assert row is not None
    ids, hashes = int(row[0]), int(row[1])
    if ids != hashes:
        return {KEY: None}  # two ids share a hash: WAU counts the strings themselves
    fact = {
        "expression": expression,
        "duckdb": duckdb.__version__,
        "distinct_ids": ids,
        "files": _stamps(root, files),
    }
    return {KEY: fact}


def _digest_text(files: dict[str, list[int]]) -> str:
    # what GUARD computes from DuckDB's listing: path under the data directory, size, and the
    # modification time in microseconds (DuckDB's last_modified is st_mtime_ns // 1000)
    return "|".join(
        f"{rel}:{size}:{mtime_ns // 1000}" for rel, (size, mtime_ns) in sorted(files.items())
    )


# A boolean scalar subquery over the events and users files' listing (no file is read): TRUE
# while the files are those of the fact, else an error. Parameters: fast_events_glob and
# fast_users_glob (the globs the engine's views read), fast_events_prefix (1 + the length of the
# data directory's path and its separator: the files' paths become relative) and
# fast_events_digest (md5 of _digest_text).
GUARD = """(
    SELECT CASE
        WHEN md5(STRING_AGG(
            SUBSTR(filename, :fast_events_prefix) || ':' || size || ':' || EPOCH_US(last_modified),
            '|' ORDER BY filename
        )) = :fast_events_digest THEN TRUE
        ELSE ERROR('the events or users files changed since this query was rendered: run it again')
    END
    FROM READ_BLOB([:fast_events_glob, :fast_users_glob])
)"""


def guard_params(datadir: DataDir, extra: dict[str, Any]) -> dict[str, Any] | None:
    """GUARD's parameters for the manifest's fact, or None where it does not hold."""
    import hashlib
    import os

    if not holds(datadir, extra):
        return None
    files = extra[KEY]["files"]
    return {
        "fast_events_glob": datadir.table_glob("events"),
        "fast_users_glob": datadir.table_glob("users"),
        "fast_events_prefix": len(os.path.join(str(datadir.path), "")) + 1,
        "fast_events_digest": hashlib.md5(_digest_text(files).encode()).hexdigest(),
    }


def holds(datadir: DataDir, extra: dict[str, Any]) -> bool:
    """Whether the manifest's fact (its `extra` entries) applies to the files as they are now:
    recorded for HASH by this DuckDB version over exactly these events and users files,
    unchanged."""
    import duckdb

    fact = extra.get(KEY)
    if not isinstance(fact, dict):
        return False
    if fact.get("expression") != HASH or fact.get("duckdb") != duckdb.__version__:
        return False
    try:
        now = _stamps(datadir.path, _covered(datadir))
    except (OSError, ValueError):
        return False
    return bool(now) and now == fact.get("files")
