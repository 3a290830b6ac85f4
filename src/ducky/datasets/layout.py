"""Physical layout of the partitioned tables' Parquet files: row order and row-group size.

Every producer (`ducky gen`, `ducky ingest`, any DatasetWriter user) writes events the same
way, so the speed of the canonical queries does not depend on who wrote the data.

Events inside each month part file are clustered by (event_type, user_id, timestamp) in row
groups of 128Ki rows. Why, measured with DuckDB on 100M generated events on 2 cores
(docs/BENCHMARKS.md, issue 3):
- event_type first: purchases (3 % of events) become one contiguous run, so the min/max
  statistics of the other row groups let `event_type = 'purchased'` skip ~95 % of the file:
  reading the purchases' user_id + product_id went from 0.95 s to 0.09 s, revenue per category
  from 1.7 s to 0.55 s. One-million-row row groups (the old size) were too coarse to skip.
- user_id next: a user's events of one type sit together, so the hash tables of WAU, cohort
  and buyer counts (millions of groups, far larger than the CPU caches) are hit in bursts
  instead of at random: WAU 6.0 s -> 4.2 s.
- timestamp last: the order inside a user's run, and part files still cover consecutive time
  ranges (a part holds about nine days at 100M events), so date filters skip whole files.
search_logs keep plain time order: they are read whole, by user, for segmentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

ROW_GROUP_ROWS = 128 * 1024
EVENTS_CLUSTER_KEYS = ("event_type", "user_id", "timestamp")
CLUSTER_KEYS: dict[str, tuple[str, ...]] = {
    "events": EVENTS_CLUSTER_KEYS,
    "search_logs": ("timestamp",),
}


def cluster(table: str, data: pa.Table) -> pa.Table:
    """`data` in the row order the layout prescribes for `table` (unchanged if none)."""
    keys = CLUSTER_KEYS.get(table)
    if not keys or data.num_rows == 0:
        return data
    return data.sort_by([(k, "ascending") for k in keys])
