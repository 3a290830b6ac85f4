"""Naming segments: compare each segment's mean query embedding with embedded descriptions of
known shopper profiles, nudge by the behaviour profile (a low price level is evidence for
`budget_conscious`), assign names one-to-one (Hungarian), and fall back to an honest generic
name when nothing matches well. Evidence: c-TF-IDF top terms and representative queries.

The descriptions below are this plugin's own text; the data generator's personas are not read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ducky.plugins.segment.features import QueryTable

LABELS: dict[str, str] = {
    "tech_enthusiast": (
        "searches for laptops, smartphones, gaming consoles, graphics cards, headphones, "
        "smart watches, cameras and the latest electronics and gadgets"
    ),
    "budget_conscious": (
        "looks for cheap deals, discounts, coupons, clearance sales, bargains, "
        "lowest price and affordable budget options"
    ),
    "fashion_oriented": (
        "searches for clothing, dresses, sneakers, jackets, handbags, jewelry, "
        "designer brands and the latest fashion trends and style"
    ),
    "fitness_focused": (
        "searches for gym equipment, running shoes, yoga mats, dumbbells, protein powder, "
        "workout clothes and sports gear"
    ),
    "home_kitchen": (
        "searches for cookware, kitchen appliances, coffee makers, furniture, bedding, "
        "home decor and cleaning supplies"
    ),
    "beauty_care": (
        "searches for skincare, makeup, moisturizer, serum, shampoo, perfume, "
        "cosmetics and personal care products"
    ),
}

MIN_SIMILARITY = 0.25  # below this cosine a description does not describe the segment
PRICE_WEIGHT = 0.08  # similarity bonus per standard deviation below the average price level


@dataclass
class SegmentInfo:
    index: int
    name: str
    matched: bool  # named after a known profile (else a generic name)
    similarity: float
    size: int
    top_terms: list[str]
    queries: list[str]
    avg_order_value: float | None
    price_z: float | None


def c_tf_idf(qt: QueryTable, labels: np.ndarray, k: int, top: int = 5) -> list[list[str]]:
    """Class-based TF-IDF over the words of each segment's searches (BERTopic's formula)."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

    texts = qt.texts.to_pylist()
    vec = CountVectorizer(token_pattern=r"(?u)\b[a-z][a-z0-9]+\b", stop_words="english")
    try:
        q_terms = vec.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return [[] for _ in range(k)]
    vocab = np.asarray(vec.get_feature_names_out())
    seg_query = sp.csr_matrix(
        (np.ones(qt.rows), (labels[qt.user_idx], qt.query_idx)), shape=(k, len(texts))
    )
    counts = np.asarray((seg_query @ q_terms).todense(), dtype=np.float64)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg_words = counts.sum() / k
    idf = np.log1p(avg_words / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf[None, :]
    out = []
    for c in range(k):
        order = np.lexsort((vocab, -scores[c]))  # ties broken by the word: deterministic
        out.append([str(vocab[i]) for i in order[:top] if scores[c, i] > 0])
    return out


def representative_queries(
    qt: QueryTable,
    labels: np.ndarray,
    query_vectors: np.ndarray,
    centroids: np.ndarray,
    k: int,
    top: int = 3,
) -> list[list[str]]:
    """Frequent queries of the segment that sit close to its centre (count x cosine)."""
    import numpy as np
    import scipy.sparse as sp

    seg_query = sp.csr_matrix(
        (np.ones(qt.rows), (labels[qt.user_idx], qt.query_idx)), shape=(k, len(qt.texts))
    )
    out: list[list[str]] = []
    for c in range(k):
        row = seg_query.getrow(c)
        idx, cnt = row.indices, row.data
        if len(idx) == 0:
            out.append([])
            continue
        cos = query_vectors[idx] @ centroids[c]
        rank = cnt * np.maximum(cos, 0)
        order = np.lexsort((idx, -rank))[:top]
        out.append([qt.texts[int(idx[i])].as_py() for i in order])
    return out


def name_segments(
    centroids: np.ndarray,
    price_z: np.ndarray | None,
    embed: Callable[[list[str]], np.ndarray],
) -> tuple[list[str], list[bool], list[float]]:
    """One unique name per segment: (names, matched, similarity)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    k = len(centroids)
    label_ids = list(LABELS)
    lv = embed([LABELS[n] for n in label_ids])
    sim = centroids @ lv.T  # (k, labels)
    adjusted = sim.copy()
    if price_z is not None:
        b = label_ids.index("budget_conscious")
        adjusted[:, b] += np.clip(-np.nan_to_num(price_z) * PRICE_WEIGHT, -0.3, 0.3)
    rows, cols = linear_sum_assignment(-adjusted)
    names: list[str | None] = [None] * k
    matched = [False] * k
    score = [float(adjusted[i].max()) for i in range(k)]
    for r, c in zip(rows, cols, strict=True):
        if adjusted[r, c] >= MIN_SIMILARITY:
            names[r] = label_ids[c]
            matched[r] = True
            score[r] = float(adjusted[r, c])
    final = [n if n is not None else f"segment_{i + 1}" for i, n in enumerate(names)]
    return final, matched, score


def unit_centroids(user_vecs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    import numpy as np
    import scipy.sparse as sp

    onehot = sp.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
        shape=(k, len(labels)),
    )
    c = np.asarray(onehot @ user_vecs, dtype=np.float32)
    return c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
