"""K-means with a fixed seed; `k=auto` picks the k with the best silhouette on a sample.

Rows arrive in canonical order (users sorted by id) and every random choice takes the seed, so
the same data and seed give the same labels. Above `MINIBATCH_ABOVE` users MiniBatchKMeans
keeps the time linear; below it full KMeans is cheap and slightly better.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ducky.errors import UserError

if TYPE_CHECKING:
    import numpy as np

MINIBATCH_ABOVE = 50_000
SILHOUETTE_SAMPLE = 3_000
K_MIN, K_MAX = 2, 20
K_TOLERANCE = 0.01  # at most this below the best silhouette still counts as the best (pick_k)
MIN_USERS = 20  # below this a split says nothing: refuse with a clear message
WEAK_SILHOUETTE = 0.10  # best silhouette below this: little cluster structure, said plainly
N_INIT = 10  # K-means restarts on large data
N_INIT_SMALL = 100  # ... and below SMALL_N users, where restarts are cheap and the landscape of
SMALL_N = 5_000  # a weakly structured sample has many local minima (seed agreement measured)
# K-means restarts per k when choosing k on the sample: with 4 the silhouette curve had dips
# from bad local minima (30k generated users: k=14 at 0.272 between 0.297 and 0.291) that moved
# the chosen k between seeds; 10 smooths it (measured in docs/SEGMENTATION.md)
CHOOSE_N_INIT = 10
PCA_DIMS = 32
PCA_SAMPLE = 20_000


@dataclass
class Clustering:
    labels: np.ndarray  # (users,) int
    centers: np.ndarray  # (k, features)
    distance: np.ndarray  # (users,) Euclidean distance to the own centre
    score: np.ndarray  # (users,) margin in [0, 1]: 1 - d_own / d_second
    k: int
    silhouette: dict[int, float]  # k -> silhouette on the sample (only with k=auto)

    @property
    def weak(self) -> bool:
        """True when the best silhouette says the users barely form groups."""
        return bool(self.silhouette) and max(self.silhouette.values()) < WEAK_SILHOUETTE


def _kmeans(x: np.ndarray, k: int, seed: int, n_init: int | None = None) -> object:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if n_init is None:
        n_init = N_INIT_SMALL if len(x) <= SMALL_N else N_INIT
    if len(x) > MINIBATCH_ABOVE:
        return MiniBatchKMeans(
            n_clusters=k, random_state=seed, batch_size=8192, n_init=n_init, max_no_improvement=20
        ).fit(x)
    return KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit(x)


def choose_k(x: np.ndarray, seed: int, ks: range = range(K_MIN, K_MAX + 1)) -> dict[int, float]:
    """Silhouette of K-means for each k on one seeded sample."""
    return _silhouettes(x, seed, ks)[0]


def _silhouettes(
    x: np.ndarray, seed: int, ks: range = range(K_MIN, K_MAX + 1)
) -> tuple[dict[int, float], dict[int, float]]:
    """Silhouette of K-means for each k on one seeded sample, and its standard error (the
    standard deviation of the per-user silhouettes over the square root of the sample size)."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_samples

    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x), size=min(len(x), SILHOUETTE_SAMPLE), replace=False))
    s = x[idx]
    # one distance matrix for every k: silhouette_score would recompute it per call (measured:
    # 80% of the k=auto time at 100k users)
    from sklearn.metrics import pairwise_distances

    dist = pairwise_distances(s.astype(np.float64))
    out: dict[int, float] = {}
    se: dict[int, float] = {}
    for k in ks:
        if k >= len(s):
            break
        n_init = 20 if len(s) <= 1_000 else CHOOSE_N_INIT
        labels = KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit_predict(s)
        if len(set(labels.tolist())) < 2:
            continue
        per = silhouette_samples(dist, labels, metric="precomputed")
        out[k] = float(per.mean())
        se[k] = float(per.std() / np.sqrt(len(per)))
    return out, se


def pick_k(sil: dict[int, float], se: dict[int, float]) -> int:
    """The smallest k whose silhouette is within the tolerance of the best: one standard error
    of the best silhouette's estimate (a difference smaller than that is sampling noise),
    capped at K_TOLERANCE (a flat top on small data is noise too; the smaller k is steadier).
    With 3,000 sampled users the standard error is ~0.003: on 30,000 generated users of 15
    interests the fixed 0.01 took k=14 for some seeds and 15 for others (0.311 vs 0.319)."""
    best_k = max(sil, key=lambda kk: (sil[kk], -kk))
    tol = min(K_TOLERANCE, se.get(best_k, K_TOLERANCE))
    return min(kk for kk, v in sil.items() if v >= sil[best_k] - tol)


def cluster(
    x: np.ndarray,
    k: int | None,
    seed: int,
    k_min: int = K_MIN,
    k_max: int = K_MAX,
    set_aside: str = "",
) -> Clustering:
    """`set_aside`: why users are missing from `x` (the other-language group), added to the
    "only N users to cluster" refusal so that 40 users becoming 9 is explained."""
    import sklearn.cluster  # noqa: F401  (loads the OpenMP runtime so the limit below applies)
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread unless DUCKY_SEGMENT_THREADS says otherwise: on the shared 2-core
    # machine threads mostly wait for each other (measured, 100k users: K-means 8.9 s with the
    # default threads vs 1.3 s with one; 300 users: 17.7 s vs 1.1 s).
    threads = int(os.environ.get("DUCKY_SEGMENT_THREADS", "1") or 1)
    with threadpool_limits(limits=threads):
        return _cluster(x, k, seed, k_min, k_max, set_aside)


def reduce(x: np.ndarray, seed: int, dims: int = PCA_DIMS) -> np.ndarray:
    """Project onto the top principal components (fitted on a seeded sample): K-means and the
    silhouette cost O(dims) per distance, and the discarded tail is mostly noise."""
    import numpy as np
    from sklearn.decomposition import PCA

    if x.shape[1] <= dims or len(x) <= dims:
        return x
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x), size=min(len(x), PCA_SAMPLE), replace=False))
    # covariance_eigh: one (features x features) Gram matrix and an exact eigendecomposition,
    # much cheaper than a randomized SVD for tall, narrow data, and deterministic
    pca = PCA(n_components=dims, svd_solver="covariance_eigh").fit(x[idx])
    out = np.empty((len(x), dims), dtype=np.float32)
    for i in range(0, len(x), 200_000):
        out[i : i + 200_000] = pca.transform(x[i : i + 200_000])
    return out


def _cluster(
    x: np.ndarray, k: int | None, seed: int, k_min: int, k_max: int, set_aside: str = ""
) -> Clustering:
    import numpy as np

    x = reduce(x, seed)
    n = len(x)
    if n < MIN_USERS:
        raise UserError(
            f"only {n} users to cluster: segmenting needs at least {MIN_USERS} "
            "(a split of so few says nothing)" + (f"; {set_aside}" if set_aside else "")
        )
    if k_min < 2 or k_max < k_min:
        raise UserError(f"--k-min {k_min} / --k-max {k_max}: need 2 <= k-min <= k-max")
    sil: dict[int, float] = {}
    if k is None:
        sil, se = _silhouettes(x, seed, range(k_min, min(k_max, n - 1) + 1))
        if not sil:
            raise UserError("too few distinct users to choose k: pass --k N")
        k = pick_k(sil, se)
    if k < 2 or k > n:
        # One segment is everyone: a name and an action for "all users" would be a claim the
        # clustering never made (the same floor as k-min).
        raise UserError(f"k = {k} segments is out of range for {n} users (2..{n})")
    model = _kmeans(x, k, seed)
    centers = np.asarray(model.cluster_centers_, dtype=np.float32)  # type: ignore[attr-defined]
    # distances to every centre in chunks: (n, k) stays small even for millions of users
    labels = np.empty(n, dtype=np.int64)
    d_own = np.empty(n, dtype=np.float32)
    d_second = np.empty(n, dtype=np.float32)
    c2 = (centers**2).sum(axis=1)
    for i in range(0, n, 200_000):
        xs = x[i : i + 200_000]
        d2 = np.maximum((xs**2).sum(axis=1)[:, None] - 2 * xs @ centers.T + c2[None, :], 0)
        order = np.argsort(d2, axis=1, kind="stable")
        labels[i : i + len(xs)] = order[:, 0]
        d_own[i : i + len(xs)] = np.sqrt(np.take_along_axis(d2, order[:, :1], 1)[:, 0])
        second = order[:, 1:2] if k > 1 else order[:, :1]
        d_second[i : i + len(xs)] = np.sqrt(np.take_along_axis(d2, second, 1)[:, 0])
    if not sil and k > 1:
        sil = {k: _silhouette_of(x, labels, seed)}  # a given k is reported on too
    score = np.where(d_second > 0, 1 - d_own / np.maximum(d_second, 1e-12), 1.0).astype(np.float32)
    return Clustering(labels, centers, d_own, np.clip(score, 0, 1), k, sil)


def _silhouette_of(x: np.ndarray, labels: np.ndarray, seed: int) -> float:
    import numpy as np
    from sklearn.metrics import silhouette_score

    if len(set(labels.tolist())) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x), size=min(len(x), SILHOUETTE_SAMPLE), replace=False))
    if len(set(labels[idx].tolist())) < 2:
        return 0.0
    return float(silhouette_score(x[idx], labels[idx]))
