"""Running audiences on an engine: pages, counts and per-node explain.

One AudienceService wraps one connected, loaded engine. An engine whose run() is safe from
several threads (`concurrent_queries`: DuckDB, one cursor per query) runs queries side by
side; any other engine's calls hold the service's lock (psycopg's one connection). Either way
at most `slots` queries run at once: a request that finds no free slot within SLOT_WAIT
seconds gets ServerBusy (the API's 503) instead of queueing without bound. The API runs
these calls in its threadpool so the event loop never blocks on SQL.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.audience import compiler
from ducky.audience.spec import AudienceSpec
from ducky.errors import DuckyError, UserError

DEFAULT_SLOTS = 4  # queries at once (env DUCKY_API_SLOTS): each may use every DuckDB thread
SLOT_WAIT = 2.0  # seconds a query waits for a free slot before ServerBusy


class ServerBusy(DuckyError):
    """Every query slot is taken (the API answers 503)."""


def slots_from_env() -> int:
    import os

    from ducky.errors import UserError

    raw = os.environ.get("DUCKY_API_SLOTS") or str(DEFAULT_SLOTS)
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"DUCKY_API_SLOTS must be a whole number of at least 1, not {raw!r}")
    return int(raw)


if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.engines.base import Engine


@dataclass
class AudienceResult:
    as_of: dt.datetime
    total_count: int
    users: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    sql: str = ""
    seconds: float = 0.0

    @property
    def user_ids(self) -> list[int | str]:
        # the source's ids unchanged: a shop's "u001" stays a string, 42 stays an integer
        return [u["user_id"] for u in self.users]


@dataclass
class NodeCount:
    path: str
    type: str
    users: int
    description: str


@dataclass
class Explanation:
    as_of: dt.datetime
    sql: str
    total_count: int
    nodes: list[NodeCount]
    seconds: float = 0.0


def describe(node: Any) -> str:
    """A short human reading of one node (for explain output)."""
    d = node.model_dump(exclude_none=True, exclude={"type", "conditions", "condition"})
    inner = ", ".join(f"{k}={v}" for k, v in d.items())
    return f"{node.type}({inner})" if inner else node.type


class AudienceService:
    """Runs specs on one engine; thread-safe."""

    def __init__(self, engine: Engine, slots: int | None = None) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self.slots = slots or slots_from_env()
        self._slots = threading.BoundedSemaphore(self.slots)
        self._end_of_data: dt.datetime | None = None
        self._text_ids: bool | None = None
        self._known_events: set[str] = set()  # shop event names found in the data

    @property
    def dialect(self) -> str:
        return self.engine.dialect

    def _run(self, sql: str) -> pa.Table:
        if not self._slots.acquire(timeout=SLOT_WAIT):
            raise ServerBusy(f"server busy: all {self.slots} query slots are in use, retry shortly")
        try:
            if getattr(self.engine, "concurrent_queries", False):
                return self.engine.run(sql)
            with self._lock:
                return self.engine.run(sql)
        finally:
            self._slots.release()

    def end_of_data(self) -> dt.datetime:
        """The last event's timestamp (the default as_of); now (UTC) when there are none."""
        if self._end_of_data is None:
            t = self._run('SELECT MAX("timestamp") AS m FROM "events"')
            value = t.column(0)[0].as_py() if t.num_rows else None
            if isinstance(value, dt.datetime):
                value = value.replace(tzinfo=None)
            else:
                value = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
            self._end_of_data = value
        return self._end_of_data

    def text_ids(self) -> bool:
        """Whether users.user_id is text (issue 15): the cursor is then compared as text.
        Asked of the engine once (one row), so it holds for any engine or source."""
        if self._text_ids is None:
            import pyarrow as pa

            t = self._run('SELECT "user_id" FROM "users" LIMIT 1')
            if t.num_rows:
                self._text_ids = isinstance(t.column(0)[0].as_py(), str)
            else:  # no users: the column's type says it (nothing to page through anyway)
                typ = t.schema.field(0).type
                self._text_ids = bool(pa.types.is_string(typ) or pa.types.is_large_string(typ))
        return self._text_ids

    def resolve_as_of(self, spec: AudienceSpec) -> dt.datetime:
        self.check_ids(spec)
        self.check_event_names(spec)
        return spec.as_of_instant() or self.end_of_data()

    def check_ids(self, spec: AudienceSpec) -> None:
        """An order comparison on user_id (gt, lt, between) means numbers: on a shop's text
        ids it is one clear error, not the engine's failed cast."""
        from ducky.audience.spec import ID_COLUMN, AttributeCondition

        if spec.where is None:
            return
        for _, node in compiler.iter_nodes(spec.where):
            if (
                isinstance(node, AttributeCondition)
                and node.column == ID_COLUMN
                and node.op in ("gt", "gte", "lt", "lte", "between")
                and self.text_ids()
            ):
                raise UserError(
                    f"user_id holds text ids in this data: {node.op} does not apply (use eq, "
                    "ne, in, not_in, starts_with, contains or like)"
                )

    def check_event_names(self, spec: AudienceSpec) -> None:
        """A shop's own event name in the spec must be in the data: misspelt, an `event`
        condition would select nobody and a `not_performed` one everybody (an export of the
        whole user base). Each name is asked of the engine once per service."""
        from ducky.sql.events import is_custom_event, require_event_in_data

        if spec.where is None:
            return
        names: list[str] = []
        for _, node in compiler.iter_nodes(spec.where):
            for f in (node, getattr(node, "first", None), getattr(node, "then", None)):
                name = getattr(f, "event", None)
                if isinstance(name, str) and is_custom_event(name):
                    names.append(name)
        for name in dict.fromkeys(names):
            if name not in self._known_events:
                require_event_in_data(self.engine, name, run=self._run)
                self._known_events.add(name)

    def sql(self, spec: AudienceSpec) -> str:
        """The SQL `query` runs for this spec, in the engine's dialect."""
        as_of = self.resolve_as_of(spec)
        q = (
            compiler.count_query(spec, as_of)
            if spec.count_only
            else compiler.page_query(spec, as_of, self.text_ids())
        )
        return compiler.render(q, self.engine.sql_dialect())

    def count(self, spec: AudienceSpec, node: Any = None) -> int:
        as_of = self.resolve_as_of(spec)
        sql = compiler.render(compiler.count_query(spec, as_of, node), self.engine.sql_dialect())
        return int(self._run(sql).column(0)[0].as_py())

    def query(self, spec: AudienceSpec) -> AudienceResult:
        t0 = time.perf_counter()
        as_of = self.resolve_as_of(spec)
        if spec.count_only:
            sql = compiler.render(compiler.count_query(spec, as_of), self.engine.sql_dialect())
            total = int(self._run(sql).column(0)[0].as_py())
            return AudienceResult(as_of, total, sql=sql, seconds=time.perf_counter() - t0)
        sql = compiler.render(
            compiler.page_query(spec, as_of, self.text_ids()), self.engine.sql_dialect()
        )
        rows = self._run(sql).to_pylist()
        if rows:
            total = int(rows[0].pop("total_count"))
            for r in rows[1:]:
                r.pop("total_count")
        else:  # an empty page carries no total: count the audience itself
            total = self.count(spec)
        next_cursor = None
        if len(rows) > spec.limit:
            rows = rows[: spec.limit]
            next_cursor = str(rows[-1]["user_id"])
        return AudienceResult(as_of, total, rows, next_cursor, sql, time.perf_counter() - t0)

    def explain(self, spec: AudienceSpec) -> Explanation:
        """The SQL, and for every node the number of users it keeps on its own."""
        t0 = time.perf_counter()
        as_of = self.resolve_as_of(spec)
        sql = compiler.render(compiler.audience_select(spec, as_of), self.engine.sql_dialect())
        nodes = []
        if spec.where is not None:
            for path, node in compiler.iter_nodes(spec.where):
                nodes.append(NodeCount(path, node.type, self.count(spec, node), describe(node)))
        total = nodes[0].users if nodes else self.count(spec)
        return Explanation(as_of, sql, total, nodes, time.perf_counter() - t0)
