"""One segmentation run, from a search-log table to named segments (no I/O besides the cache)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.errors import DataDirError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.plugins.segment.embed import Embedder
    from ducky.plugins.segment.features import Behaviour, QueryTable
    from ducky.plugins.segment.naming import SegmentInfo

FEATURES_VERSION = 1  # bump when features change: part of the run id


@dataclass
class SegmentationResult:
    run_id: str
    model: str
    embedder: str
    k: int
    user_ids: np.ndarray
    labels: np.ndarray
    names: list[str]
    segments: list[SegmentInfo]
    distance: np.ndarray
    score: np.ndarray
    features: np.ndarray
    silhouette: dict[int, float]
    log_rows: int
    distinct_queries: int
    embedded_now: int  # distinct queries the model had to embed this run (cache misses)
    timings: dict[str, float] = field(default_factory=dict)
    quality: dict[str, Any] | None = None

    @property
    def segment_of_user(self) -> list[str]:
        return [self.names[i] for i in self.labels.tolist()]


def run_id_for(qt: QueryTable, model: str, k: int | None, seed: int, balance: float) -> str:
    """A digest of the inputs: same searches (in any row order), model and parameters -> same
    id. Hashes the integer-coded rows in canonical order (user, query, weight), which is what
    the features see, plus the distinct query texts; no string sort of millions of rows."""
    import numpy as np

    h = hashlib.sha256()
    h.update(json.dumps([model, k, seed, balance, FEATURES_VERSION]).encode())
    # QueryTable rows are already in canonical order (see features.encode_queries)
    for arr in (qt.user_ids[qt.user_idx], qt.query_idx, qt.weight):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update("\x00".join(qt.texts.to_pylist()).encode())
    return h.hexdigest()[:12]


def segment(
    logs: pa.Table,
    datadir: DataDir,
    embedder: Embedder,
    k: int | None = None,
    seed: int = 42,
    balance: float = 1.0,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> SegmentationResult:
    """Embed, featurize, cluster and name. `progress(stage, advance, total)` drives a bar."""
    import numpy as np

    from ducky.plugins.segment import cluster as clustering
    from ducky.plugins.segment import features, naming
    from ducky.plugins.segment.embed.cache import EmbeddingCache, cache_dir

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    if logs.num_rows == 0:
        raise DataDirError("no search logs in the selected source and time range")
    qt = features.encode_queries(logs)
    if qt.rows == 0:
        raise DataDirError("the search logs hold no non-empty query")
    t["encode"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cache = EmbeddingCache(cache_dir(datadir.state_dir, embedder.model))
    before = embedder.texts_embedded
    qvecs = cache.lookup_or_embed(
        qt.texts,
        embedder,
        progress=(lambda n: progress("embed", n, len(qt.texts))) if progress else None,
    )
    embedded_now = embedder.texts_embedded - before
    t["embed"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    user_vecs = features.user_query_vectors(qt, qvecs)
    behaviour = features.behaviour_features(datadir, qt.user_ids)
    x = features.combine(user_vecs, behaviour, balance)
    t["features"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cl = clustering.cluster(x, k, seed)
    t["cluster"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    centroids = naming.unit_centroids(user_vecs, cl.labels, cl.k)
    price_z = _segment_price_z(behaviour, cl.labels, cl.k)

    def embed_labels(texts: list[str]) -> np.ndarray:
        import pyarrow as pa

        from ducky.plugins.segment.embed import normalize_text

        return cache.lookup_or_embed(pa.array([normalize_text(s) for s in texts]), embedder)

    names, matched, sims = naming.name_segments(centroids, price_z, embed_labels)
    terms = naming.c_tf_idf(qt, cl.labels, cl.k)
    reps = naming.representative_queries(qt, cl.labels, qvecs, centroids, cl.k)
    names = [
        n if m or not terms[i] else f"{n}_{terms[i][0]}"
        for i, (n, m) in enumerate(zip(names, matched, strict=True))
    ]
    sizes = np.bincount(cl.labels, minlength=cl.k)
    infos = []
    for i in range(cl.k):
        aov = None
        if behaviour is not None:
            vals = behaviour.aov[cl.labels == i]
            vals = vals[~np.isnan(vals)]
            aov = float(vals.mean()) if len(vals) else None
        infos.append(
            naming.SegmentInfo(
                index=i,
                name=names[i],
                matched=matched[i],
                similarity=round(sims[i], 4),
                size=int(sizes[i]),
                top_terms=terms[i],
                queries=reps[i],
                avg_order_value=None if aov is None else round(aov, 2),
                price_z=None if price_z is None else round(float(price_z[i]), 3),
            )
        )
    t["name"] = time.perf_counter() - t0
    return SegmentationResult(
        run_id=run_id_for(qt, embedder.model, k, seed, balance),
        model=embedder.model,
        embedder=embedder.kind,
        k=cl.k,
        user_ids=qt.user_ids,
        labels=cl.labels,
        names=names,
        segments=infos,
        distance=cl.distance,
        score=cl.score,
        features=x,
        silhouette=cl.silhouette,
        log_rows=qt.rows,
        distinct_queries=len(qt.texts),
        embedded_now=embedded_now,
        timings={k_: round(v, 3) for k_, v in t.items()},
    )


def _segment_price_z(behaviour: Behaviour | None, labels: np.ndarray, k: int) -> np.ndarray | None:
    """Each segment's mean viewed-price level in population standard deviations."""
    import numpy as np

    if behaviour is None or "log_view_price" not in behaviour.names:
        return None
    p = behaviour.values[:, behaviour.names.index("log_view_price")]
    ok = ~np.isnan(p)
    if ok.sum() < 2 or p[ok].std() == 0:
        return None
    z = (p - p[ok].mean()) / p[ok].std()
    out = np.zeros(k)
    for i in range(k):
        sel = ok & (labels == i)
        out[i] = z[sel].mean() if sel.any() else 0.0
    return out


def evaluate(result: SegmentationResult, datadir: DataDir) -> dict[str, Any] | None:
    """ARI and name accuracy against `truth/personas.parquet` when the generator left one.
    Read only after fitting: truth never influences the segments."""
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.metrics import adjusted_rand_score

    path = datadir.path / "truth" / "personas.parquet"
    if not path.is_file():
        return None
    truth = pq.read_table(path, columns=["user_id", "persona"])
    tid = truth["user_id"].to_numpy()
    tp = np.asarray(truth["persona"].to_pylist(), dtype=object)
    pos = np.searchsorted(result.user_ids, tid)
    pos = np.clip(pos, 0, len(result.user_ids) - 1)
    found = result.user_ids[pos] == tid
    if not found.any():
        return None
    pred = np.asarray(result.names, dtype=object)[result.labels[pos[found]]]
    true = tp[found]
    return {
        "users_evaluated": int(found.sum()),
        "ari": round(float(adjusted_rand_score(true, pred)), 4),
        "name_accuracy": round(float((pred == true).mean()), 4),
    }
