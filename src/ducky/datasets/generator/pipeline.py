"""`generate()`: users and catalog first, then events and searches month by month.

Each month is generated from its own random stream (seed, month number), ordered as
ducky.datasets.layout prescribes and written straight through the atomic DatasetWriter, so
memory holds one month at a time and the same seed and parameters always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
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
STREAM_ORDERS = 6  # quantities and discounts (--orders): the events' own streams are untouched
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
    orders: bool = False,
    second_currency: str | None = None,
    string_ids: bool = False,
    finish: Callable[[Path], dict[str, Any]] | None = None,
) -> Manifest:
    """Generate a synthetic shop into the data directory `path` (atomically) and return its
    manifest. `users`, `events`, `products` default from `months` (and `scale`). `finish`: as
    DatasetWriter's (facts an engine records about the complete data)."""
    from ducky.datasets import DataDir, DatasetWriter

    params = resolve(
        months=months,
        start=start,
        users=users,
        events=events,
        products=products,
        seed=seed,
        scale=scale,
        orders=orders,
        second_currency=second_currency,
        string_ids=string_ids,
    )
    with (
        _progress(progress) as bar,
        DatasetWriter(
            path,
            PRODUCER,
            parameters=params.to_dict(),
            overwrite=overwrite,
            finish=finish,
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

    ids = _Ids.build(params, len(catalog))
    writer.write_table("users", ids.users(users.to_arrow(params.start, (first_names, last_names))))
    writer.write_table("products", ids.products(catalog.to_arrow()))
    writer.write_truth("personas", ids.users(users.truth()))
    bar.advance("users and catalog")
    shape = _Shape(ids, params, np.rint(catalog.price * 100).astype(np.int64))

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
                order_rng = _rng(params, STREAM_ORDERS, m, part)
                pending = pool.submit(
                    _write_chunk, writer, world, month, part, chunk, epoch_us, shape, order_rng
                )
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
    shape: _Shape | None = None,
    order_rng: np.random.Generator | None = None,
) -> None:
    """Write one chunk of a month as part files of events and search_logs.

    Chunks hold sessions that start in consecutive time ranges, so the part files of a month
    follow each other in time (overlapping only by the length of a session): date filters skip
    whole files. Inside a part, events are in time order with purchases last as their own run,
    searches in time order (ducky.datasets.layout says why).
    """
    import pyarrow as pa

    ids = shape.ids if shape is not None else _Ids()
    order = _events_order(chunk.ev_type, chunk.ev_time)
    if len(order):
        prod = chunk.ev_product[order]
        cols = {
            "user_id": ids.user(chunk.ev_user[order]),
            "event_type": pa.array(EVENT_TYPES, pa.string()).take(pa.array(chunk.ev_type[order])),
            "product_id": ids.product(prod, mask=prod < 0),
            "timestamp": pa.array((chunk.ev_time[order] + epoch_us).astype("datetime64[us]")),
        }
        if shape is not None and shape.params.orders:
            assert order_rng is not None
            cols.update(
                shape.order_columns(
                    order_rng,
                    month,
                    part,
                    chunk.ev_type[order],
                    chunk.ev_user[order],
                    prod,
                    chunk.ev_time[order],
                )
            )
        table = pa.table(cols)
        del prod, order, cols
        _write_part(writer, "events", month, part, table)
        del table

    if len(chunk.q_time) == 0:
        return
    # Clicked products travel with their search.
    offsets = np.concatenate([[0], np.cumsum(chunk.q_clicks)]).astype(np.int64)
    clicked_ids = ids.product(chunk.click_product)
    clicked = pa.LargeListArray.from_arrays(pa.array(offsets), clicked_ids).cast(
        pa.list_(clicked_ids.type)
    )
    order = np.argsort(chunk.q_time)
    table = pa.table(
        {
            "user_id": ids.user(chunk.q_user[order]),
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

    from ducky.schema import arrow_schema, id_types_of

    data = data.cast(
        arrow_schema(table, id_types_of(data.schema, table), present=data.column_names)
    )
    # Text ids (--string-ids) repeat a lot: dictionary pages instead of integer delta encoding.
    text = {c for c in data.column_names if data.schema.field(c).type == "string"}
    pq.write_table(
        data,
        writer.path(f"{table}/month={month}/part-{part}.parquet"),
        compression="zstd",
        row_group_size=layout.ROW_GROUP_ROWS,
        use_dictionary=[*_DICTIONARY[table], *(c for c in _DELTA[table] if c in text)],
        column_encoding={c: "DELTA_BINARY_PACKED" for c in _DELTA[table] if c not in text},
    )


# -- opt-in shapes: text ids, orders ------------------------------------------------------------
class _Ids:
    """Ids as written: 1-based integers by default, or text ("u000123", "p0042") with
    --string-ids, built once per dataset and gathered by index (no per-row formatting)."""

    def __init__(self, users: pa.Array | None = None, products: pa.Array | None = None) -> None:
        self._users = users
        self._products = products

    @classmethod
    def build(cls, params: GenParams, n_products: int) -> _Ids:
        import pyarrow as pa

        if not params.string_ids:
            return cls()
        uw, pw = max(6, len(str(params.users))), max(4, len(str(n_products)))
        return cls(
            pa.array([f"u{i:0{uw}d}" for i in range(1, params.users + 1)], pa.string()),
            pa.array([f"p{i:0{pw}d}" for i in range(1, n_products + 1)], pa.string()),
        )

    def user(self, index: np.ndarray) -> pa.Array:
        import pyarrow as pa

        if self._users is None:
            return pa.array(index + 1)
        return self._users.take(pa.array(index))

    def product(self, index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        import pyarrow as pa

        if self._products is None:
            return pa.array(index + 1, pa.int64(), mask=mask)
        return self._products.take(pa.array(index, mask=mask))

    def users(self, table: pa.Table) -> pa.Table:
        return self._replace(table, "user_id", self._users)

    def products(self, table: pa.Table) -> pa.Table:
        return self._replace(table, "product_id", self._products)

    @staticmethod
    def _replace(table: pa.Table, column: str, text: pa.Array | None) -> pa.Table:
        import pyarrow as pa

        if text is None:
            return table
        i = table.column_names.index(column)
        index = pa.array(np.asarray(table.column(column)) - 1)
        return table.set_column(i, column, text.take(index))


class _Shape:
    """What a chunk's events carry besides the four canonical columns."""

    def __init__(self, ids: _Ids, params: GenParams, price_cents: np.ndarray) -> None:
        self.ids, self.params, self.price_cents = ids, params, price_cents

    def order_columns(
        self,
        rng: np.random.Generator,
        month: str,
        part: int,
        ev_type: np.ndarray,
        ev_user: np.ndarray,
        ev_product: np.ndarray,
        ev_time: np.ndarray,
    ) -> dict[str, pa.Array]:
        """order_id, quantity, amount, currency: set on purchases, NULL on the other events."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from ducky.schema import DEFAULT_CURRENCY, PRICE_PRECISION, PRICE_SCALE

        buy = np.flatnonzero(ev_type == sessions.PURCHASED)
        o = activity.orders(
            rng,
            ev_user[buy],
            ev_time[buy],
            self.price_cents[ev_product[buy]],
            self.params.second_currency is not None,
        )
        n = len(ev_type)
        not_buy = np.ones(n, dtype=bool)
        not_buy[buy] = False

        def spread(values: np.ndarray) -> np.ndarray:
            full = np.zeros(n, dtype=values.dtype)
            full[buy] = values
            return full

        # unique over the dataset: month, part of the month, order number in the part
        prefix = "o" + month.replace("-", "") + f"{part:03d}"
        names = pa.array([f"{prefix}{k:06d}" for k in range(int(o.order_no.max(initial=-1)) + 1)])
        order_id = names.take(pa.array(spread(o.order_no), mask=not_buy))
        assert PRICE_SCALE == 2, "amounts are drawn in cents"
        cents = spread(o.amount_cents)
        # exact decimals: Decimal128 holds the unscaled integer (cents at scale 2) as two
        # little-endian 64-bit words, the high one the sign extension
        words = np.stack([cents, np.where(cents < 0, -1, 0).astype(np.int64)], axis=1).ravel()
        amount = pa.Array.from_buffers(
            pa.decimal128(PRICE_PRECISION, PRICE_SCALE), n, [None, pa.py_buffer(words)]
        )
        amount = pc.if_else(pa.array(not_buy), pa.scalar(None, amount.type), amount)
        currencies = pa.array([DEFAULT_CURRENCY, self.params.second_currency or DEFAULT_CURRENCY])
        return {
            "order_id": order_id,
            "quantity": pa.array(spread(o.quantity), pa.int64(), mask=not_buy),
            "amount": amount,
            "currency": currencies.take(
                pa.array(spread(o.second.astype(np.int8)), pa.int8(), mask=not_buy)
            ),
        }


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
