"""A summary of a data directory: what `ducky gen` prints after a run and `--describe` shows.

Computed from the files (with DuckDB over Parquet), not from the generator's memory, so it
describes any data directory, generated or ingested, and checks what was actually written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PERCENTILES = (0.5, 0.9, 0.99)


def describe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Row counts, date range, funnel conversion, events per user, searches and persona mix."""
    import duckdb

    from ducky.datasets import DataDir

    dd = DataDir(path)
    manifest = dd.validate(deep=False)
    con = duckdb.connect()
    try:
        for table in ("users", "events", "search_logs"):
            if dd.has_table(table):
                glob = dd.table_glob(table).replace("'", "''")
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}')")
        out: dict[str, Any] = {
            "path": str(Path(path)),
            "producer": manifest.producer,
            "rows": {name: info.get("rows", 0) for name, info in manifest.tables.items()},
            "date_range": manifest.date_range,
        }
        out["funnel"] = _funnel(con)
        out["events_per_user"] = _events_per_user(con)
        out["signups_by_month"] = _signups(con)
        if dd.has_table("search_logs"):
            out["searches"] = _searches(con)
        truth = dd.path / "truth" / "personas.parquet"
        if truth.is_file():
            out["personas"] = _personas(con, truth)
        out["bytes_on_disk"] = sum(f.stat().st_size for f in dd.path.rglob("*") if f.is_file())
        return out
    finally:
        con.close()


def _funnel(con: Any) -> dict[str, Any]:
    counts = dict(con.execute("SELECT event_type, COUNT(*) FROM events GROUP BY 1").fetchall())
    views = counts.get("viewed", 0)
    carts = counts.get("add-to-cart", 0)
    buys = counts.get("purchased", 0)
    users_by_step = con.execute(
        """SELECT COUNT(DISTINCT user_id) FILTER (WHERE event_type = 'viewed'),
                  COUNT(DISTINCT user_id) FILTER (WHERE event_type = 'add-to-cart'),
                  COUNT(DISTINCT user_id) FILTER (WHERE event_type = 'purchased')
           FROM events"""
    ).fetchone()

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "events": counts,
        "cart_per_view": ratio(carts, views),
        "purchase_per_cart": ratio(buys, carts),
        "purchase_per_view": ratio(buys, views),
        "cart_abandonment": round(1 - buys / carts, 4) if carts else None,
        "users_viewing": users_by_step[0],
        "users_carting": users_by_step[1],
        "users_buying": users_by_step[2],
    }


def _events_per_user(con: Any) -> dict[str, Any]:
    quantiles = ", ".join(f"QUANTILE_CONT(n, {q})" for q in PERCENTILES)
    row = con.execute(
        f"""WITH per_user AS (SELECT user_id, COUNT(*) AS n FROM events GROUP BY user_id)
            SELECT COUNT(*), AVG(n), {quantiles}, MAX(n) FROM per_user"""
    ).fetchone()
    users = con.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    out: dict[str, Any] = {"users_with_events": row[0], "users_without_events": users - row[0]}
    out["mean"] = round(row[1] or 0.0, 2)
    for q, v in zip(PERCENTILES, row[2:-1], strict=True):
        out[f"p{round(q * 100)}"] = round(v or 0.0, 1)
    out["max"] = row[-1]
    return out


def _signups(con: Any) -> dict[str, int]:
    rows = con.execute(
        "SELECT strftime(signup_date, '%Y-%m'), COUNT(*) FROM users GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {m: n for m, n in rows}


def _searches(con: Any) -> dict[str, Any]:
    row = con.execute(
        """WITH per_user AS (SELECT user_id, COUNT(*) AS n FROM search_logs GROUP BY user_id)
           SELECT COUNT(*), MIN(n), QUANTILE_CONT(n, 0.5), MAX(n) FROM per_user"""
    ).fetchone()
    users = con.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    clicks = con.execute(
        "SELECT AVG(len(clicked_product_ids)), AVG((len(clicked_product_ids) = 0)::INT) "
        "FROM search_logs"
    ).fetchone()
    return {
        "users_searching": row[0],
        "users_never_searching": users - row[0],
        "per_searching_user_min": row[1],
        "per_searching_user_p50": row[2],
        "per_searching_user_max": row[3],
        "clicks_per_search": round(clicks[0] or 0.0, 3),
        "searches_without_click": round(clicks[1] or 0.0, 3),
    }


def _personas(con: Any, truth: Path) -> dict[str, Any]:
    t = str(truth).replace("'", "''")
    rows = con.execute(
        f"SELECT persona, COUNT(*) FROM read_parquet('{t}') GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    total = sum(n for _, n in rows) or 1
    return {p: {"users": n, "share": round(n / total, 4)} for p, n in rows}
