"""The worst audience spec the complexity budget admits, run through the HTTP API on a generated
shop under a DuckDB memory limit while small queries keep coming (issue 21).

The spec: MAX_SEQUENCES `sequence` conditions and enough `cart_abandonment`s to use every pass
over `events` the budget allows (MAX_EVENT_SCANS), all inside one `any`, with the widest
windows (within_days and last_days = MAX_DAYS, 1900..2199 start/end) on several of them.
Five of the sequences sort every `viewed` event (~460k of ~600k rows). Its answer is checked
against an independent Polars computation (an as-of join per sequence, an anti join per cart;
no SQL, nothing from ducky.audience); DuckDB's own memory accounting (`duckdb_memory()`, read
from another cursor of the server's database) and the process RSS are polled while it runs.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path
from typing import Any, cast

import httpx
import polars as pl
import pytest

from ducky.audience import budget, parse_payload
from ducky.audience.service import AudienceService
from ducky.audience.spec import MAX_DAYS, MAX_LIMIT
from tests.fixtures.generated import MEDIUM_PARAMS

# DuckDB's MB are 1000**2 bytes. Without a limit the spec peaks near 240 MB; alone it also runs
# under 128 MB (spilling ~77 MB), but with the small queries alongside, 128 MB ends it with
# DuckDB's "Out of Memory Error" (a one-line API 503, see test_reliability_limits.py::
# test_out_of_memory_is_a_limit_not_a_fault): 192 MB is the limit this test holds it to.
MEMORY_LIMIT = "192MB"
LIMIT_BYTES = 192 * 1000**2
TIMEOUT_S = 30  # per-query timeout: past it the spec must stop with a one-line 503
# each small request while the spec runs: 0.25-0.55 s at worst on 2 cores shared with other
# jobs, once 0.98 s. What it guards against costs far more: behind a serial lock a small request
# waits for the whole spec (4-11 s here), and with every slot taken it waits SLOT_WAIT = 2 s, 503.
SMALL_QUERY_BOUND_S = 2.0
USERS = cast(int, MEDIUM_PARAMS["users"])  # generated_medium_dir's users
WIDE = {"start": "1900-01-01", "end": "2199-12-31"}
V, P, A, L = ({"event": e} for e in ("viewed", "purchased", "add-to-cart", "login"))


def _seq(
    first: dict[str, Any],
    then: dict[str, Any],
    days: float,
    window: dict[str, Any] | None = None,
    same: bool = False,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "type": "sequence",
        "first": first,
        "then": then,
        "within_days": days,
        "same_product": same,
    }
    if window is not None:
        node["window"] = window
    return node


def _cart(
    days: float | None = None,
    window: dict[str, Any] | None = None,
    category: str | None = None,
    price: dict[str, Any] | None = None,
) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "cart_abandonment"}
    for key, value in (("within_days", days), ("window", window), ("category", category)):
        if value is not None:
            node[key] = value
    if price is not None:
        node["price"] = price
    return node


# within_days are whole seconds (x 86400), so both sides round them the same way
SEQUENCES = [
    _seq(V, V, 0.00001, {"last_days": MAX_DAYS}),  # two views 1 s apart
    _seq(V, V, 0.001, {"last_days": MAX_DAYS}, same=True),
    _seq(V, P, MAX_DAYS, {"last_days": 60}, same=True),
    _seq(V, A, 0.00001, WIDE, same=True),
    _seq(A, P, 0.001, same=True),
    _seq({"event": "viewed", "category": "Books"}, {"event": "viewed", "category": "Books"}, 1),
    _seq(L, P, 0.005),
    _seq({"event": "viewed", "price": {"min": 500}}, {"event": "purchased"}, MAX_DAYS, WIDE),
    _seq(V, L, 0.0025, {"last_days": MAX_DAYS}),
    _seq(P, P, MAX_DAYS, {"last_days": MAX_DAYS}, same=True),
]
CARTS = [
    _cart(MAX_DAYS),  # no cart is MAX_DAYS old: matches nobody, still a pass
    _cart(None, {"last_days": MAX_DAYS}, "Pet Supplies", {"min": 300}),
    _cart(0.5, {"last_days": 14}),
    _cart(MAX_DAYS, WIDE),
    _cart(7, None, "Books"),
    _cart(None, {"last_days": 3}),
    _cart(1, {"last_days": MAX_DAYS}, None, {"min": 950, "max": 1000}),
    _cart(None, WIDE, "Jewelry & Accessories", {"max": 20}),
    _cart(0.05, None, "Toys & Kids"),
    _cart(30, {"last_days": 45}, "Shoes"),
]
ADVERSARIAL = {"where": {"type": "any", "conditions": SEQUENCES + CARTS}, "limit": MAX_LIMIT}

SMALL: list[tuple[str, dict[str, Any] | None]] = [
    ("/audiences/query", {"count_only": True}),
    (
        "/audiences/query",
        {
            "where": {"type": "attribute", "column": "country", "op": "eq", "value": "US"},
            "count_only": True,
        },
    ),
    (
        "/audiences/query",
        {
            "where": {"type": "event", "event": "login", "window": {"last_days": 30}},
            "count_only": True,
        },
    ),
    ("/health", None),
]


def reference(datadir: Path) -> tuple[dt.datetime, list[set[int]]]:
    """The users each condition keeps (docs/AUDIENCE.md semantics), with Polars only."""
    events = pl.read_parquet(str(datadir / "events" / "*" / "*.parquet")).select(
        "user_id", "event_type", "product_id", "timestamp"
    )
    products = pl.read_parquet(datadir / "products.parquet")
    as_of = events["timestamp"].max()
    assert isinstance(as_of, dt.datetime)

    def window(df: pl.DataFrame, w: dict[str, Any] | None) -> pl.DataFrame:
        if not w:
            return df
        if "last_days" in w:
            return df.filter(pl.col("timestamp") > as_of - dt.timedelta(days=w["last_days"]))
        lo = dt.datetime.fromisoformat(w["start"])
        hi = dt.datetime.fromisoformat(w["end"]) + dt.timedelta(days=1)  # a date end: whole day
        return df.filter((pl.col("timestamp") >= lo) & (pl.col("timestamp") < hi))

    def matching(f: dict[str, Any], w: dict[str, Any] | None = None) -> pl.DataFrame:
        df = window(events.filter(pl.col("event_type") == f["event"]), w)
        if "category" in f or "price" in f:
            p = products
            if "category" in f:
                p = p.filter(pl.col("category") == f["category"])
            price = f.get("price") or {}
            if "min" in price:
                p = p.filter(pl.col("price").cast(pl.Float64) >= price["min"])
            if "max" in price:
                p = p.filter(pl.col("price").cast(pl.Float64) <= price["max"])
            df = df.join(p.select("product_id"), on="product_id", how="semi")
        return df

    def within(days: float) -> dt.timedelta:
        return dt.timedelta(seconds=round(days * 86400))

    events = events.filter(pl.col("timestamp") <= as_of)
    buys = events.filter(pl.col("event_type") == "purchased").rename({"timestamp": "bought"})
    sets = []
    for c in SEQUENCES:
        by = ["user_id", "product_id"] if c["same_product"] else ["user_id"]
        first = matching(c["first"], c.get("window")).drop_nulls(by).sort("timestamp")
        then = matching(c["then"]).drop_nulls(by).select(*by, pl.col("timestamp").alias("next"))
        # for each first-step event, the earliest then-step event strictly after it
        nxt = first.join_asof(
            then.sort("next"),
            left_on="timestamp",
            right_on="next",
            by=by,
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        hit = nxt.filter(pl.col("next") <= pl.col("timestamp") + within(c["within_days"]))
        sets.append(set(hit["user_id"].to_list()))
    for c in CARTS:
        carts = matching({"event": "add-to-cart", **c}, c.get("window")).with_row_index("cart")
        ok = pl.col("bought") >= pl.col("timestamp")
        if c.get("within_days") is not None:
            d = within(c["within_days"])
            carts = carts.filter(pl.col("timestamp") + d <= as_of)  # younger carts: not yet
            ok &= pl.col("bought") <= pl.col("timestamp") + d
        bought = carts.join(buys, on=["user_id", "product_id"]).filter(ok)
        left = carts.join(bought.select("cart"), on="cart", how="anti")
        sets.append(set(left["user_id"].to_list()))
    return as_of, sets


def _rss() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


class MemoryPoll:
    """Peaks of DuckDB's memory (in use / spilled, from duckdb_memory()) and of process RSS
    growth, sampled every 10 ms from a thread with its own cursor on the server's database."""

    def __init__(self, svc: AudienceService) -> None:
        self.con = svc.engine.con.cursor()  # type: ignore[attr-defined]
        self.rss0 = _rss()
        self.used = self.spilled = self.rss_growth = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sql = "SELECT sum(memory_usage_bytes), sum(temporary_storage_bytes) FROM duckdb_memory()"
        while not self._stop.is_set():
            used, spilled = self.con.execute(sql).fetchone()
            self.used, self.spilled = max(self.used, used), max(self.spilled, spilled)
            rss = _rss()
            if rss is not None and self.rss0 is not None:
                self.rss_growth = max(self.rss_growth, rss - self.rss0)
            self.samples += 1
            self._stop.wait(0.01)

    def __enter__(self) -> MemoryPoll:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.con.close()


# starts the HTTP API server, and the spec costs seconds (about 6 s on 2 busy cores)
@pytest.mark.integration
@pytest.mark.slow
def test_adversarial_spec_under_memory_limit_while_others_answer(
    generated_medium_dir: Path,
) -> None:
    from ducky.api import create_app
    from tests.fixtures.api_server import _serve

    # the budget's edges exactly: one more sequence or pass over events would be a 413
    spec = parse_payload(ADVERSARIAL).spec
    assert budget.check(spec) == budget.Cost(
        nodes=21, sequences=budget.MAX_SEQUENCES, event_scans=budget.MAX_EVENT_SCANS
    )
    # as `ducky serve -o memory_limit=192MB -o timeout=30 -o threads=2` builds it; 2 threads so
    # the limit means the same on a 2-core and a 64-core machine
    app = create_app(
        generated_medium_dir,
        "duckdb",
        memory_limit=MEMORY_LIMIT,
        timeout=str(TIMEOUT_S),
        threads="2",
    )
    svc: AudienceService = app.state.service
    setting = svc.engine.run("SELECT current_setting('memory_limit')").column(0)[0].as_py()
    assert setting == "183.1 MiB", setting
    server, thread, url = _serve(app)
    try:
        with httpx.Client(base_url=url, timeout=TIMEOUT_S + 30) as c:
            for path, body in SMALL:  # warm: first-request costs are not what is measured
                assert (c.get(path) if body is None else c.post(path, json=body)).is_success

            done: dict[str, Any] = {}

            def adversarial() -> None:
                with httpx.Client(base_url=url, timeout=TIMEOUT_S + 30) as own:
                    done["start"] = time.monotonic()
                    done["response"] = own.post("/audiences/query", json=ADVERSARIAL)
                    done["end"] = time.monotonic()

            small: list[tuple[float, float, str, int]] = []
            answers: dict[int, set[Any]] = {}  # per small query: every total_count it gave
            with MemoryPoll(svc) as mem:
                big = threading.Thread(target=adversarial)
                big.start()
                time.sleep(0.3)  # the spec is compiled and running
                i = 0
                while big.is_alive() and i < 500:
                    path, body = SMALL[i % len(SMALL)]
                    t0 = time.monotonic()
                    got = c.get(path) if body is None else c.post(path, json=body)
                    small.append((t0, time.monotonic(), path, got.status_code))
                    if got.is_success:
                        answers.setdefault(i % len(SMALL), set()).add(got.json().get("total_count"))
                    i += 1
                big.join(timeout=TIMEOUT_S + 60)
    finally:
        server.should_exit = True
        thread.join(timeout=30)

    r: httpx.Response = done["response"]
    spec_s = done["end"] - done["start"]
    during = [s for s in small if done["start"] <= s[0] and s[1] <= done["end"]]
    slowest = max(end - start for start, end, _, _ in small)
    print(
        f"\nadversarial spec: {r.status_code} in {spec_s:.2f} s; {len(during)} small queries "
        f"inside it, slowest {slowest * 1000:.0f} ms; DuckDB memory peak "
        f"{mem.used / 1e6:.1f} MB of {LIMIT_BYTES / 1e6:.0f} MB, "
        f"spilled {mem.spilled / 1e6:.1f} MB; "
        f"RSS growth {mem.rss_growth / 1e6:.0f} MB; {mem.samples} samples"
    )

    # (1) the right answer, or a one-line 503 past the per-query timeout
    if r.status_code == 503:
        assert r.json()["error"].startswith(
            f"duckdb: query stopped after the {TIMEOUT_S} s timeout"
        )
        assert "\n" not in r.json()["error"]
    else:
        assert r.status_code == 200, r.text
        as_of, sets = reference(generated_medium_dir)
        expected = sorted(set().union(*sets))
        body = r.json()
        assert body["as_of"] == as_of.isoformat() + "Z"
        assert body["total_count"] == len(expected)
        assert body["user_ids"] == expected[:MAX_LIMIT]
        # not a trivial answer: most conditions keep someone, the union is not everyone
        assert sum(1 for s in sets if s) >= 15
        assert 0.2 < len(expected) / USERS < 0.9, len(expected)

    # (2) small queries kept answering, and really while the spec ran
    assert len(during) >= 3, f"only {len(during)} small queries overlapped the spec"
    assert all(code == 200 for *_, code in small), small
    assert slowest < SMALL_QUERY_BOUND_S, f"a small query took {slowest:.2f} s"
    assert all(len(a) == 1 for a in answers.values()), answers  # and the same answer each time
    assert answers[0] == {USERS}

    # (3) DuckDB stayed within its limit (5 % for its block granularity), and the limit was
    # binding: the spec needed more and spilled the rest to disk
    assert mem.samples >= 10
    assert mem.used <= LIMIT_BYTES * 1.05, f"DuckDB used {mem.used / 1e6:.1f} MB"
    assert mem.spilled > 0, "the spec never reached the memory limit: nothing was tested"
    # the whole process: a loose bound (Python, uvicorn, arrow results), far below the GBs
    # the spec took with no limit before the sequence rewrite
    if mem.rss0 is not None:
        assert mem.rss_growth < LIMIT_BYTES + 256 * 1000**2, mem.rss_growth
