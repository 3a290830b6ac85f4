"""Per-user features: a weighted mean of the user's query embeddings plus behaviour from the
events (price level of viewed and bought products, purchase rate, category mix), each block
scaled to the same total variance so neither drowns the other.

Everything is in canonical order: users sorted by id, distinct queries sorted by text, so the
same data gives the same matrices whatever order the source returned rows in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ducky.datasets import DataDir

RECENCY_HALF_LIFE_DAYS = 90.0  # older searches count less, but a quarter-old one still counts half
CLICK_BONUS = 0.5  # a search that led to a click says more about intent than one that did not


@dataclass
class QueryTable:
    """Search logs reduced to integer codes: one row per log entry with a non-empty query."""

    user_ids: np.ndarray  # distinct users, sorted
    texts: pa.Array  # distinct normalized queries, sorted
    user_idx: np.ndarray  # per row: position in user_ids
    query_idx: np.ndarray  # per row: position in texts
    weight: np.ndarray  # per row: recency x click weight
    rows: int


def normalize_array(queries: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorized `embed.normalize_text`: lower case, runs of whitespace -> one space, trimmed."""
    import pyarrow.compute as pc

    lowered = pc.utf8_lower(queries)
    collapsed = pc.replace_substring_regex(lowered, pattern=r"\s+", replacement=" ")
    return pc.utf8_trim_whitespace(collapsed)


def encode_queries(logs: pa.Table) -> QueryTable:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    norm = normalize_array(logs["search_query"])
    keep = pc.and_(pc.is_valid(norm), pc.not_equal(pc.utf8_length(norm), 0))
    keep = pc.fill_null(keep, False)
    logs = logs.filter(keep)
    norm = norm.filter(keep)
    if isinstance(norm, pa.ChunkedArray):
        norm = norm.combine_chunks()
    uniq = pc.unique(norm)
    uniq = uniq.take(pc.array_sort_indices(uniq))
    qidx = pc.index_in(norm, value_set=uniq).to_numpy(zero_copy_only=False).astype(np.int64)
    uids = logs["user_id"].to_numpy()
    user_ids, uidx = np.unique(uids, return_inverse=True)
    ts = logs["timestamp"].cast(pa.int64()).to_numpy()
    weight = np.ones(len(ts), dtype=np.float64)
    if len(ts):
        age_days = (ts.max() - ts) / 86_400e6
        weight = np.power(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
        nclicks = pc.fill_null(pc.list_value_length(logs["clicked_product_ids"]), 0).to_numpy()
        weight = weight * (1.0 + CLICK_BONUS * (nclicks > 0))
    # canonical row order (integers only, cheap): sums over a user's rows then add up in the
    # same order whatever order the source returned them, so features are bit-identical
    uidx = uidx.astype(np.int64)
    order = np.lexsort((weight, qidx, uidx))
    return QueryTable(user_ids, uniq, uidx[order], qidx[order], weight[order], len(ts))


def user_query_vectors(qt: QueryTable, query_vectors: np.ndarray) -> np.ndarray:
    """Each user's weighted mean query embedding, L2-normalized."""
    import numpy as np
    import scipy.sparse as sp

    # float32 throughout: at a million users the float64 product alone would be 3 GB
    m = sp.csr_matrix(
        (qt.weight.astype(np.float32), (qt.user_idx, qt.query_idx)),
        shape=(len(qt.user_ids), len(qt.texts)),
    )
    v = np.asarray(m @ query_vectors.astype(np.float32, copy=False), dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


@dataclass
class Behaviour:
    names: list[str]
    values: np.ndarray  # (users, features), NaN where a user has no such event
    aov: np.ndarray  # average order value per user, NaN without purchases (for reporting)
    categories: list[str] = field(default_factory=list)
    # Per user, for a segment's AOV = SUM(revenue) / SUM(orders) (METRICS.md): revenue of the
    # user's purchases (amount paid, else quantity x price) and distinct orders (an order-less
    # purchase is its own order). 0 without purchases. None when the data has several
    # currencies (never summed together: see the report's per-currency segment table).
    revenue: np.ndarray | None = None
    orders: np.ndarray | None = None


def segment_aov(b: Behaviour, mask: np.ndarray) -> float | None:
    """AOV of the users selected by `mask` = their revenue / their orders (METRICS.md), not
    the mean of each user's own AOV. None without orders or with several currencies."""
    if b.revenue is None or b.orders is None:
        return None
    n_orders = float(b.orders[mask].sum())
    return float(b.revenue[mask].sum()) / n_orders if n_orders else None


def _revenue_orders(con: Any, events: str, products: str) -> str | None:
    """SQL for (user_id, revenue, orders) per user, or None with several currencies."""
    from ducky.metrics import purchase_lines_sql

    src = f"read_parquet({events}, hive_partitioning = false)"
    cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    lines, _ = purchase_lines_sql(cols, src, f"read_parquet({products})")
    [(n,)] = con.execute(f"SELECT COUNT(DISTINCT currency) FROM ({lines})").fetchall()
    if int(n) > 1:
        return None
    return f"""
        SELECT user_id, CAST(SUM(revenue) AS DOUBLE) AS revenue,
               COUNT(DISTINCT order_key) AS orders
        FROM ({lines}) GROUP BY 1
    """


BEHAVIOUR_SQL = """
WITH ev AS (
  SELECT e.user_id, e.event_type, p.category, CAST(p.price AS DOUBLE) AS price
  FROM read_parquet({events}, hive_partitioning = false) e
  JOIN read_parquet({products}) p USING (product_id)
  WHERE e.event_type IN ('viewed', 'add-to-cart', 'purchased')
)
SELECT user_id,
       avg(ln(greatest(price, 0.01))) FILTER (WHERE event_type = 'viewed') AS log_view_price,
       avg(ln(greatest(price, 0.01))) FILTER (WHERE event_type = 'purchased') AS log_buy_price,
       count(*) FILTER (WHERE event_type = 'purchased')
         / greatest(count(*) FILTER (WHERE event_type = 'viewed'), 1) AS purchase_rate,
       avg(price) FILTER (WHERE event_type = 'purchased') AS aov
       {category_cols}
FROM ev GROUP BY user_id
"""


def behaviour_features(datadir: DataDir, user_ids: np.ndarray) -> Behaviour | None:
    """Behaviour per user from events x products, or None when the data has no events."""
    import duckdb
    import numpy as np

    if not (datadir.has_table("events") and datadir.has_table("products")):
        return None
    events = [str(f) for f in datadir.table_files("events")]
    products = str(datadir.table_files("products")[0])
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        cats = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT category FROM read_parquet('{products}') "
                "WHERE category IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        cat_cols = "".join(
            f', count(*) FILTER (WHERE category = {_sql_str(c)}) / count(*) AS "cat:{c}"'
            for c in cats
        )
        sql = BEHAVIOUR_SQL.format(
            events="[" + ", ".join(_sql_str(f) for f in events) + "]",
            products=_sql_str(products),
            category_cols=cat_cols,
        )
        con.register("wanted", _ids_table(user_ids))
        t = con.sql(
            f"SELECT w.user_id, b.* EXCLUDE (user_id) FROM wanted w LEFT JOIN ({sql}) b "
            "USING (user_id) ORDER BY w.user_id"
        ).to_arrow_table()
        ro_sql = _revenue_orders(
            con, "[" + ", ".join(_sql_str(f) for f in events) + "]", _sql_str(products)
        )
        ro = None
        if ro_sql is not None:
            ro = con.sql(
                "SELECT COALESCE(r.revenue, 0) AS revenue, COALESCE(r.orders, 0) AS orders "
                f"FROM wanted w LEFT JOIN ({ro_sql}) r USING (user_id) ORDER BY w.user_id"
            ).to_arrow_table()
    finally:
        con.close()
    names = [n for n in t.column_names if n not in ("user_id", "aov")]
    values = np.column_stack(
        [t[n].to_numpy(zero_copy_only=False).astype(np.float64) for n in names]
    )
    aov = t["aov"].to_numpy(zero_copy_only=False).astype(np.float64)
    # a user without any event gets NaN in every column; shares of nothing are 0, not unknown
    revenue = orders = None
    if ro is not None:
        revenue = ro["revenue"].to_numpy(zero_copy_only=False).astype(np.float64)
        orders = ro["orders"].to_numpy(zero_copy_only=False).astype(np.float64)
    return Behaviour(names, values, aov, cats, revenue, orders)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ids_table(user_ids: np.ndarray) -> Any:
    import pyarrow as pa

    return pa.table({"user_id": pa.array(user_ids.tolist())})  # int64 or text, as given


def combine(
    query_vecs: np.ndarray, behaviour: Behaviour | None, balance: float = 1.0
) -> np.ndarray:
    """[query block | behaviour block], the behaviour block z-scored (missing -> the mean) and
    scaled so its total variance is `balance` times the query block's."""
    import numpy as np

    if behaviour is None or behaviour.values.shape[1] == 0:
        return query_vecs.astype(np.float32)
    b = behaviour.values.copy()
    mean = np.nanmean(b, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    b = np.where(np.isnan(b), mean, b)
    std = b.std(axis=0)
    useful = std > 1e-9
    b = (b[:, useful] - b[:, useful].mean(axis=0)) / std[useful]
    if b.shape[1] == 0:
        return query_vecs.astype(np.float32)
    q_var = float(query_vecs.var(axis=0).sum())
    scale = np.sqrt(balance * q_var / b.shape[1])
    return np.hstack([query_vecs, (b * scale).astype(np.float32)]).astype(np.float32)
