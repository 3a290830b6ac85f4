"""Physical layout of the partitioned tables' Parquet files: row order and row-group size.

Every producer (`ducky gen`, `ducky ingest`, any DatasetWriter user) writes events the same
way, so the speed of the canonical queries does not depend on who wrote the data.

Events inside each month part file are in time order, except that purchases come last, as
their own time-ordered run; row groups hold 256Ki rows. Why, measured with DuckDB on generated
events on 2 cores (docs/BENCHMARKS.md, issue 3):
- purchases (3 % of events) are the only rows revenue per category reads; as one contiguous
  run, the min/max statistics of the row groups before it let `event_type = 'purchased'` skip
  them, and 256Ki-row groups are fine enough to do so (the old 1Mi-row groups were not):
  revenue 0.184 s -> 0.082 s at 10M events, 1.7 s -> 0.6 s at 100M.
- everything else stays in time order, which the hash aggregates of WAU and cohort profit from
  (one day's users at a time): both unchanged (WAU 0.394 -> 0.397 s, cohort 0.652 -> 0.662 s at
  10M). Clustering by event type (cohort +17 %) or by (event type, user) (cohort slower and
  generation 1.75x slower) was measured and not kept.
- part files still cover consecutive time ranges (about nine days each at 100M events), so date
  filters skip whole files.
search_logs keep plain time order: they are read whole, by user, for segmentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

ROW_GROUP_ROWS = 256 * 1024
LAST_EVENT_TYPE = "purchased"  # stored as its own run at the end of each events part
_PURCHASE_KEY = "__ducky_is_purchase"


def cluster(table: str, data: pa.Table) -> pa.Table:
    """`data` in the row order the layout prescribes for `table` (unchanged if none)."""
    import pyarrow.compute as pc

    if data.num_rows == 0 or table not in ("events", "search_logs"):
        return data
    if table == "search_logs":
        return data.sort_by([("timestamp", "ascending")])
    keyed = data.append_column(_PURCHASE_KEY, pc.equal(data["event_type"], LAST_EVENT_TYPE))
    keyed = keyed.sort_by([(_PURCHASE_KEY, "ascending"), ("timestamp", "ascending")])
    return keyed.drop_columns([_PURCHASE_KEY])
