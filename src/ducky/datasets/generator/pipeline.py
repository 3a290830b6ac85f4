"""`generate()`: users and catalog first, then events and searches month by month.

Each month is generated from its own random stream (seed, month number), ordered as
ducky.datasets.layout prescribes and written straight through the atomic DatasetWriter, so
memory holds one month at a time and the same seed and parameters always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ducky.datasets import layout
from ducky.datasets.generator import activity, sessions
from ducky.datasets.generator.catalog import build_catalog
from ducky.datasets.generator.params import GenParams, resolve
from ducky.datasets.generator.personas import PERSONA_SPECS, PERSONAS, browse_tables
from ducky.datasets.generator.searches import INTEREST_NAMES, LANGUAGES, build_query_pools
from ducky.datasets.generator.seasonality import US_PER_DAY, Calendar, month_windows
from ducky.datasets.generator.users import build_users, name_vocabulary
from ducky.errors import UserError
from ducky.schema import EVENT_TYPES

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DatasetWriter, Manifest

PRODUCER = "ducky gen"
# Random streams: one per purpose, and one per month so months are independent.
STREAM_USERS, STREAM_CATALOG, STREAM_QUERIES, STREAM_MONTH, STREAM_INTERESTS = 1, 2, 3, 4, 5
# Sessions are processed in time order, in chunks; each chunk becomes one part file, so memory
# depends on the chunk size (about 1.1M events), never on the month's or the period's volume.
SESSIONS_PER_CHUNK = 200_000


def generate(
    path: str | os.PathLike[str],
    *,
    months: int = 12,
    start: str | dt.date = "2025-01-01",
    users: int | None = None,
    events: int | None = None,
    products: int | None = None,
    seed: int = 42,
    progress: bool = False,
    scale: float | None = None,
    overwrite: bool = True,
) -> Manifest:
    """Generate a synthetic shop into the data directory `path` (atomically) and return its
    manifest. `users`, `events`, `products` default from `months` (and `scale`)."""
    from ducky.datasets import DataDir, DatasetWriter

    params = resolve(
        months=months,
        start=start,
        users=users,
        events=events,
        products=products,
        seed=seed,
        scale=scale,
    )
    with (
        _progress(progress) as bar,
        DatasetWriter(
            path,
            PRODUCER,
            parameters=params.to_dict(),
            overwrite=overwrite,
            extra={
                "generator": {
                    "personas": list(PERSONAS),
                    "interests": list(INTEREST_NAMES),
                    "languages": list(LANGUAGES),
                    "event_types": list(EVENT_TYPES),
                }
            },
        ) as writer,
    ):
        _generate_into(writer, params, bar)
    return DataDir(path).manifest()


def _rng(params: GenParams, *stream: int) -> np.random.Generator:
    return np.random.default_rng([params.seed, *stream])


def _generate_into(writer: DatasetWriter, params: GenParams, bar: _Bar) -> None:
    windows = month_windows(params.start, params.end)
    bar.start(len(windows) + 1)
    cal = Calendar.build(params.start, params.days)
    first_names, last_names, n_female = name_vocabulary()
    users = build_users(
        _rng(params, STREAM_USERS),
        params.users,
        cal,
        (len(first_names), len(last_names), n_female),
    )
    from ducky.datasets.generator import searches
    from ducky.datasets.generator.users import COUNTRIES

    users.search = searches.assign(
        _rng(params, STREAM_INTERESTS),
        users.persona,
        users.attributes["country"],
        [c[0] for c in COUNTRIES],
    )
    catalog = build_catalog(_rng(params, STREAM_CATALOG), params.products)
    pools = build_query_pools(_rng(params, STREAM_QUERIES))
    world = sessions.World(
        users=users,
        catalog=catalog,
        pools=pools,
        browse_table=browse_tables(catalog.category, catalog.price, catalog.popularity),
        search_rate=np.array([p.searches_per_session for p in PERSONA_SPECS]),
        cart_rate=np.array([p.cart_rate for p in PERSONA_SPECS]),
    )
    first_events = sessions.expected_session_events(users, first=True)
    later_events = sessions.expected_session_events(users, first=False)
    floor = float(first_events.sum())
    if floor > params.events * 1.1:
        raise UserError(
            f"--events {params.events:,} is too few for {params.users:,} users: each user's "
            f"signup visit alone makes about {floor / params.users:.0f} events; ask for at "
            f"least {int(floor * 1.1):,} events or fewer users"
        )
    k = activity.calibrate(users, cal, windows, params.events, first_events, later_events)

    writer.write_table("users", users.to_arrow(params.start, (first_names, last_names)))
    writer.write_table("products", catalog.to_arrow())
    writer.write_truth("personas", users.truth())
    bar.advance("users and catalog")

    epoch_us = _epoch_us(params.start)
    # Chunk i is sorted, encoded and written by a second thread while chunk i + 1 is drawn:
    # NumPy's and Parquet's heavy loops release the GIL, so both cores work, and memory holds
    # at most two chunks.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ducky-gen-write") as pool:
        pending: Future[None] | None = None
        for m, (month, d0, d1) in enumerate(windows):
            rng = _rng(params, STREAM_MONTH, m)
            for part, chunk in enumerate(_month_chunks(world, cal, rng, k, d0, d1)):
                if pending is not None:
                    pending.result()
                pending = pool.submit(_write_chunk, writer, world, month, part, chunk, epoch_us)
                del chunk
            bar.advance(month)
        if pending is not None:
            pending.result()


def _epoch_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * US_PER_DAY


def _month_chunks(
    world: sessions.World,
    cal: Calendar,
    rng: np.random.Generator,
    k: float,
    d0: int,
    d1: int,
) -> Iterator[sessions.Chunk]:
    users = world.users
    # Signup sessions: everyone is active on their signup day.
    new = np.flatnonzero((users.signup_day >= d0) & (users.signup_day < d1))
    new_start = cal.sample_times(rng, users.signup_day[new], users.signup_day[new] + 1)
    # Later sessions: Poisson counts over each user's active window this month.
    w = activity.month_windows(users, cal, d0, d1)
    count = rng.poisson(w.expected * k)
    reg = np.repeat(np.arange(len(w.user)), count)
    reg_user = w.user[reg]
    reg_start = cal.sample_times(rng, w.day_from[reg], w.day_to[reg])

    sess_user = np.concatenate([new, reg_user])
    sess_start = np.concatenate([new_start, reg_start])
    sess_first = np.zeros(len(sess_user), dtype=bool)
    sess_first[: len(new)] = True
    # Process sessions in time order: events then come out nearly sorted, which makes the
    # month's final sort by timestamp several times cheaper.
    order = np.argsort(sess_start)
    sess_user, sess_start, sess_first = sess_user[order], sess_start[order], sess_first[order]
    month_end = d1 * US_PER_DAY
    for lo in range(0, len(sess_user), SESSIONS_PER_CHUNK):
        hi = lo + SESSIONS_PER_CHUNK
        yield sessions.run_sessions(
            world, rng, sess_user[lo:hi], sess_start[lo:hi], sess_first[lo:hi], month_end
        )


def _write_chunk(
    writer: DatasetWriter,
    world: sessions.World,
    month: str,
    part: int,
    chunk: sessions.Chunk,
    epoch_us: int,
) -> None:
    """Write one chunk of a month as part files of events and search_logs.

    Chunks hold sessions that start in consecutive time ranges, so the part files of a month
    follow each other in time (overlapping only by the length of a session): date filters skip
    whole files. Inside a part, events are in time order with purchases last as their own run,
    searches in time order (ducky.datasets.layout says why).
    """
    import pyarrow as pa

    order = _events_order(chunk.ev_type, chunk.ev_time)
    if len(order):
        prod = chunk.ev_product[order]
        table = pa.table(
            {
                "user_id": pa.array(chunk.ev_user[order] + 1),
                "event_type": pa.array(EVENT_TYPES, pa.string()).take(
                    pa.array(chunk.ev_type[order])
                ),
                "product_id": pa.array(prod + 1, mask=prod < 0),
                "timestamp": pa.array((chunk.ev_time[order] + epoch_us).astype("datetime64[us]")),
            }
        )
        del prod, order
        _write_part(writer, "events", month, part, table)
        del table

    if len(chunk.q_time) == 0:
        return
    # Clicked products travel with their search.
    offsets = np.concatenate([[0], np.cumsum(chunk.q_clicks)]).astype(np.int64)
    clicked = pa.LargeListArray.from_arrays(
        pa.array(offsets), pa.array(chunk.click_product + 1, pa.int64())
    ).cast(pa.list_(pa.int64()))
    order = np.argsort(chunk.q_time)
    table = pa.table(
        {
            "user_id": pa.array(chunk.q_user[order] + 1),
            "search_query": pa.array(world.pools.vocab, pa.string()).take(
                pa.array(chunk.q_query[order])
            ),
            "clicked_product_ids": clicked.take(pa.array(order)),
            "timestamp": pa.array((chunk.q_time[order] + epoch_us).astype("datetime64[us]")),
        }
    )
    _write_part(writer, "search_logs", month, part, table)


def _events_order(ev_type: np.ndarray, ev_time: np.ndarray) -> np.ndarray:
    """Row order of ducky.datasets.layout: by time, purchases last as their own run. The second
    sort is a stable one on an int8 flag, which NumPy does as a linear radix sort."""
    by_time = np.argsort(ev_time)
    purchase = (ev_type[by_time] == EVENT_TYPES.index(layout.LAST_EVENT_TYPE)).astype(np.int8)
    return by_time[np.argsort(purchase, kind="stable")]


# Parquet layout chosen for the analytics: dictionary pages only where values repeat a lot,
# delta encoding for the time-sorted timestamps and for user ids; this also writes about twice
# as fast as pyarrow's defaults (which try a dictionary for every column).
_DICTIONARY = {"events": ["event_type", "product_id"], "search_logs": ["search_query"]}
_DELTA = {"events": ["timestamp", "user_id"], "search_logs": ["timestamp", "user_id"]}


def _write_part(writer: DatasetWriter, table: str, month: str, part: int, data: pa.Table) -> None:
    """Write one part file of a month partition inside the writer's temporary directory."""
    import pyarrow.parquet as pq

    from ducky.schema import arrow_schema

    data = data.cast(arrow_schema(table, present=data.column_names))
    pq.write_table(
        data,
        writer.path(f"{table}/month={month}/part-{part}.parquet"),
        compression="zstd",
        row_group_size=layout.ROW_GROUP_ROWS,
        use_dictionary=_DICTIONARY[table],
        column_encoding={c: "DELTA_BINARY_PACKED" for c in _DELTA[table]},
    )


# -- progress ------------------------------------------------------------------------------------
class _Bar:
    """A rich progress bar over the generation steps, or nothing."""

    def __init__(self, progress: Any | None) -> None:
        self._p = progress
        self._task: Any = None

    def start(self, total: int) -> None:
        if self._p is not None:
            self._task = self._p.add_task("generating", total=total)

    def advance(self, what: str) -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1, description=f"generated {what}")


@contextmanager
def _progress(enabled: bool) -> Iterator[_Bar]:
    import sys

    if not enabled or not sys.stderr.isatty():
        yield _Bar(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as p:
        yield _Bar(p)


def output_size(path: str | os.PathLike[str]) -> int:
    """Bytes on disk of a data directory (for summaries and benchmarks)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
