"""One segmentation run, from a search-log table to named segments (no I/O besides the cache)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.errors import DataDirError, UserError

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.plugins.segment.embed import Embedder
    from ducky.plugins.segment.features import Behaviour, QueryTable
    from ducky.plugins.segment.naming import SegmentInfo

FEATURES_VERSION = 2  # bump when features change: part of the run id
# Behaviour block variance relative to the query block (--balance). 0.3, not 1.0: browsing and
# prices say HOW people shop (a style several interests share), searches say WHAT they want; at
# 1.0 the 22 behaviour columns outweigh the interest signal of the 384-d query block. Measured on
# generated data (2,000 users, 15 search interests in 6 shopping styles, seed 42): ARI 0.55 at
# 1.0, 0.85 at 0.5, 0.97 at 0.3, 0.97 at 0.15 (docs/SEGMENTATION.md).
BALANCE = 0.3


@dataclass
class SegmentationResult:
    run_id: str
    model: str
    embedder: str
    k: int  # clusters fitted (the other-language group, if any, is extra)
    user_ids: np.ndarray
    labels: np.ndarray  # per user: index into `segments` (k = the other-language group)
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
    languages: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # plain warnings (weak structure, ...)
    clustered: np.ndarray | None = None  # per user: True when the user was clustered
    centroids: np.ndarray | None = None  # per segment: unit mean query embedding
    changes: dict[str, Any] | None = None  # against the previous run (see match_previous)

    @property
    def segment_of_user(self) -> list[str]:
        return [self.names[i] for i in self.labels.tolist()]


def run_id_for(
    qt: QueryTable, model: str, k: int | None, seed: int, balance: float, extra: Any = None
) -> str:
    """A digest of the inputs: same searches (in any row order), model and parameters -> same
    id. Hashes the integer-coded rows in canonical order (user, query, weight), which is what
    the features see, plus the distinct query texts and the user ids; no string sort of
    millions of rows."""
    import numpy as np

    h = hashlib.sha256()
    h.update(json.dumps([model, k, seed, balance, FEATURES_VERSION, extra]).encode())
    # QueryTable rows are already in canonical order (see features.encode_queries)
    for arr in (qt.user_idx, qt.query_idx, qt.weight):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update("\x00".join(str(u) for u in qt.user_ids.tolist()).encode())
    h.update("\x00".join(qt.texts.to_pylist()).encode())
    return h.hexdigest()[:12]


def _split_languages(qt: QueryTable) -> tuple[QueryTable, np.ndarray, dict[str, Any]]:
    """Rows of English queries of mostly-English users (for clustering), the mask of users kept,
    and the counts by language.

    A user searches "mostly in another language" (the other-language group) when half or more
    of their searches are detected as another language (see lang.py), or when at least two are
    and they outnumber the searches holding an English word: brand names, sizes and words the
    detector does not know say nothing either way, so a German user whose other searches are
    such words is not clustered as English. Each such user's language is the most frequent
    one among their other-language searches; Han-only searches of a user who also types kana
    count as Japanese (kanji are Han characters)."""
    import numpy as np

    from ducky.plugins.segment import lang
    from ducky.plugins.segment.features import QueryTable

    calls = [lang.classify(t) for t in qt.texts.to_pylist()]
    foreign_q = np.asarray([c != lang.ENGLISH for c, _ in calls], dtype=bool)
    english_q = np.asarray([c == lang.ENGLISH and ev for c, ev in calls], dtype=bool)
    row_foreign = foreign_q[qt.query_idx]
    n_users = len(qt.user_ids)
    rows_per_user = np.bincount(qt.user_idx, minlength=n_users)
    foreign_per_user = np.bincount(qt.user_idx, weights=row_foreign, minlength=n_users)
    english_per_user = np.bincount(qt.user_idx, weights=english_q[qt.query_idx], minlength=n_users)
    other_user = (foreign_per_user >= 0.5 * np.maximum(rows_per_user, 1)) | (
        (foreign_per_user >= 2) & (foreign_per_user > english_per_user)
    )
    keep_rows = ~row_foreign & ~other_user[qt.user_idx]
    sub = QueryTable(
        qt.user_ids,
        qt.texts,
        qt.user_idx[keep_rows],
        qt.query_idx[keep_rows],
        qt.weight[keep_rows],
        int(keep_rows.sum()),
    )
    # each user's other language: (user x language) counts of their other-language rows
    names = sorted({c for c, _ in calls if c != lang.ENGLISH})
    user_lang = np.full(n_users, -1, dtype=np.int64)
    query_code = [c for c, _ in calls]
    if names:
        code_of = {c: i for i, c in enumerate(names)}
        q_lang = np.asarray([code_of.get(c, -1) for c in query_code], dtype=np.int64)
        rows = np.flatnonzero(row_foreign)
        counts = np.bincount(
            qt.user_idx[rows] * len(names) + q_lang[qt.query_idx[rows]],
            minlength=n_users * len(names),
        ).reshape(n_users, len(names))
        if "ja" in code_of and "zh" in code_of:
            ja, zh = code_of["ja"], code_of["zh"]
            kana = counts[:, ja] > 0
            counts[kana, ja] += counts[kana, zh]
            counts[kana, zh] = 0
            # a Han-only query searched by such a user is counted as Japanese below too
            ja_rows = kana[qt.user_idx[rows]] & (q_lang[qt.query_idx[rows]] == zh)
            for qi in np.unique(qt.query_idx[rows][ja_rows]).tolist():
                query_code[qi] = "ja"
        has = counts.sum(axis=1) > 0
        user_lang[has] = np.argmax(counts[has], axis=1)
    by_lang: dict[str, int] = {}
    for c, q in zip(query_code, foreign_q.tolist(), strict=True):
        if q:
            by_lang[c] = by_lang.get(c, 0) + 1
    users_by_lang: dict[str, int] = {}
    for li in user_lang[other_user].tolist():
        c = names[li] if li >= 0 else "unknown"
        users_by_lang[c] = users_by_lang.get(c, 0) + 1
    info = {
        "model_languages": ["en"],
        "other_language_users": int(other_user.sum()),
        "other_language_queries": int(foreign_q.sum()),
        "other_language_rows": int(row_foreign.sum()),
        "queries_by_language": dict(sorted(by_lang.items())),
        "users_by_language": dict(sorted(users_by_lang.items(), key=lambda t: (-t[1], t[0]))),
    }
    # users whose every English search was dropped have nothing to cluster on either
    has_rows = np.bincount(sub.user_idx, minlength=n_users) > 0
    return sub, ~other_user & has_rows, info


def languages_phrase(lang_info: dict[str, Any]) -> str:
    """`de 8, es 8, fr 7, ja 8`: the set-aside users by language, largest first."""
    by = lang_info.get("users_by_language") or {}
    return ", ".join(f"{c} {n:,}" for c, n in by.items())


def segment(
    logs: pa.Table,
    datadir: DataDir,
    embedder: Embedder,
    k: int | None = None,
    seed: int = 42,
    balance: float = BALANCE,
    progress: Callable[[str, int, int | None], None] | None = None,
    k_min: int = 2,
    k_max: int = 20,
    labels_file: Path | None = None,
) -> SegmentationResult:
    """Embed, featurize, cluster and name. `progress(stage, advance, total)` drives a bar."""
    import numpy as np

    # Checked here, for the CLI and the Python API alike: a bad k from a notebook is one
    # clear error, not a TypeError from deep in the clustering.
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 2):
        raise UserError(f"k: {k!r} is not a number of segments (a whole number >= 2, or None)")

    from ducky.plugins.segment import cluster as clustering
    from ducky.plugins.segment import features, naming
    from ducky.plugins.segment.embed.cache import EmbeddingCache, cache_dir

    taxonomy = naming.load_taxonomy(labels_file)  # a bad --labels file fails before any work
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    if logs.num_rows == 0:
        raise DataDirError("no search logs in the selected source and time range")
    qt_all = features.encode_queries(logs)
    if qt_all.rows == 0:
        raise DataDirError("the search logs hold no non-empty query")
    qt, keep, lang_info = _split_languages(qt_all)
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
    if progress:  # choosing k and naming take seconds after embedding's 100 %: say so
        progress("clustering and naming", 0, None)
    kept = np.flatnonzero(keep)
    n_users = len(qt.user_ids)
    aside = ""
    if len(kept) < n_users:
        aside = (
            f"{n_users - len(kept):,} of the {n_users:,} users were set aside as "
            f"'{naming.OTHER_LANGUAGE}' (searches mostly in {languages_phrase(lang_info)}; "
            "the model reads English)"
        )
    cl = clustering.cluster(x[kept], k, seed, k_min, k_max, set_aside=aside)
    labels = np.full(n_users, cl.k, dtype=np.int64)  # cl.k = the other-language group
    labels[kept] = cl.labels
    distance = np.full(n_users, np.nan, dtype=np.float32)
    distance[kept] = cl.distance
    score = np.zeros(n_users, dtype=np.float32)
    score[kept] = cl.score
    t["cluster"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_groups = cl.k + (1 if len(kept) < n_users else 0)
    centroids = naming.unit_centroids(user_vecs, labels, n_groups)
    price_z = _segment_price_z(behaviour, labels, n_groups)

    def embed_labels(texts: list[str]) -> np.ndarray:
        import pyarrow as pa

        from ducky.plugins.segment.embed import normalize_text

        return cache.lookup_or_embed(pa.array([normalize_text(s) for s in texts]), embedder)

    terms = naming.c_tf_idf(qt, labels, n_groups)
    namings = naming.name_segments(qt, labels, cl.k, qvecs, terms[: cl.k], embed_labels, taxonomy)
    reps = naming.representative_queries(qt, labels, qvecs, centroids, n_groups)
    sizes = np.bincount(labels, minlength=n_groups)
    infos = []
    for i in range(n_groups):
        aov = None
        if behaviour is not None:
            aov = features.segment_aov(behaviour, labels == i)
        if i < cl.k:
            nm = namings[i]
            info = naming.SegmentInfo(
                index=i,
                name=nm.name,
                kind=nm.kind,
                label=nm.label,
                group=nm.group,
                confidence=round(nm.confidence, 3),
                support=nm.support,
                agreeing_terms=nm.agreeing_terms,
                parts=nm.parts,
                size=int(sizes[i]),
                top_terms=terms[i],
                queries=reps[i],
            )
        else:  # not clustered: their searches are in languages the model does not read
            other = [
                qt_all.texts[int(q)].as_py()
                for q in np.unique(qt_all.query_idx[~keep[qt_all.user_idx]])[:3]
            ]
            # A holding group, not a segment: nothing was fitted or named, so it has no
            # confidence (None, never a made-up 100 %); `languages` says what it holds.
            info = naming.SegmentInfo(
                index=i,
                name=naming.OTHER_LANGUAGE,
                kind="other_language",
                label=None,
                group=None,
                confidence=None,
                support={},
                agreeing_terms=[],
                parts=[],
                size=int(sizes[i]),
                top_terms=[],
                queries=other,
                languages=dict(lang_info["users_by_language"]),
            )
        info.avg_order_value = None if aov is None or info.holding else round(aov, 2)
        info.price_z = None if price_z is None else round(float(price_z[i]), 3)
        infos.append(info)
    t["name"] = time.perf_counter() - t0
    notes = []
    if cl.silhouette:
        best = max(cl.silhouette.values())
        if cl.weak:
            notes.append(
                f"weak cluster structure: best silhouette {best:.3f} (< "
                f"{clustering.WEAK_SILHOUETTE}); these segments cut a continuum, treat them "
                "as rough groups"
            )
        best_k = max(cl.silhouette, key=lambda kk: cl.silhouette[kk])
        if k is None and best_k == max(cl.silhouette) and best_k < len(kept) - 1:
            notes.append(
                f"the silhouette is best at the largest k tried ({best_k}): the data may hold "
                "more groups; try a larger --k-max"
            )
    if lang_info["other_language_users"]:
        notes.append(
            f"{lang_info['other_language_users']:,} users search mostly in other languages "
            f"({languages_phrase(lang_info)}): set aside as '{naming.OTHER_LANGUAGE}', a "
            "holding group, not a segment (the model reads English: they are not clustered "
            "or named, and it has no confidence)"
        )
    extra = None if labels_file is None else [k_min, k_max, str(labels_file)]
    if labels_file is None and (k_min, k_max) != (2, 20):
        extra = [k_min, k_max]
    return SegmentationResult(
        run_id=run_id_for(qt_all, embedder.model, k, seed, balance, extra),
        model=embedder.model,
        embedder=embedder.kind,
        k=cl.k,
        user_ids=qt.user_ids,
        labels=labels,
        names=[s.name for s in infos],
        segments=infos,
        distance=distance,
        score=score,
        features=x,
        silhouette=cl.silhouette,
        log_rows=qt_all.rows,
        distinct_queries=len(qt_all.texts),
        embedded_now=embedded_now,
        timings={k_: round(v, 3) for k_, v in t.items()},
        languages=lang_info,
        notes=notes,
        clustered=keep,
        centroids=centroids,
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


# The generator's search interests -> the taxonomy labels (or groups) whose name is right for
# them. Written by hand from the interest names and the label descriptions, for scoring only:
# the namer never sees it, and the generator does not know the taxonomy. A group name counts only
# where the whole group fits the interest (`family` is right for a new parent, not for a dog
# owner; `home` for a cook, not for a DIY renovator).
GENERATOR_ANSWERS: dict[str, frozenset[str]] = {
    k: frozenset(v)
    for k, v in {
        "pc_gamer": {"pc_components", "video_games", "computers", "electronics"},
        "gadget_fan": {
            *("phones", "audio", "wearables", "smart_home", "tv_home_cinema", "cameras"),
            "electronics",
        },
        "womens_style": {"womens_fashion", "jewelry_watches", "shoes", "fashion"},
        "streetwear_sneakers": {"mens_fashion", "shoes", "jewelry_watches", "fashion"},
        "gym_goer": {"fitness", "health_wellness", "sports"},
        "hiker_camper": {"outdoor_camping", "running", "sports"},
        "home_cook": {"kitchen", "coffee_tea", "home"},
        "diy_renovator": {"diy_tools", "home_improvement"},
        "gardener": {"garden", "home_improvement"},
        "makeup_lover": {"makeup", "beauty"},
        "skincare_fan": {"skincare", "hair_care", "beauty"},
        "deal_hunter": {"budget_deals"},
        "pet_parent": {"pets"},
        "new_parent": {"baby", "toys", "family"},
        "bookworm": {"books", "hobbies"},
    }.items()
}


def _name_right(seg: SegmentInfo, accepted: set[str] | frozenset[str]) -> bool:
    """A segment's name is right for a user when what it names is among the user's answers:
    its label, its group, or either side of a mixed name; a `terms_*` name never is."""
    if seg.kind == "label":
        return seg.label in accepted
    if seg.kind == "group":
        return seg.group in accepted
    if seg.kind == "mixed":
        return bool(accepted & set(seg.parts))
    if seg.kind == "other_language":
        return OTHER_LANGUAGE_ANSWER in accepted
    return False


OTHER_LANGUAGE_ANSWER = "__other_language__"


def evaluate(result: SegmentationResult, datadir: DataDir) -> dict[str, Any] | None:
    """Scores against `truth/personas.parquet` when the generator left one. Read only after
    fitting: truth never influences the segments.

    With the generator's search interests (`interest`, `interest2`, `language` columns):
    * `ari`: adjusted Rand index between segments and interests over the users with ONE
      interest who search in English (the clustered population the truth is unambiguous for);
    * `name_accuracy`: share of those users whose segment's name is right for their interest
      (GENERATOR_ANSWERS);
    * mixed users (two interests) are scored apart: `mixed_name_accuracy` (the name is right
      for either interest) and `mixed_in_own_segment` (their segment's majority interest among
      single-interest users is one of theirs);
    * users searching in French/Spanish/German: `other_language_recall`, the share kept out of
      the clustering in the other-language group (the model reads English).
    Older truth files (a `persona` column only) score every user against the persona, a name
    being right when the taxonomy lists the persona as an alias of its label or group."""
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.metrics import adjusted_rand_score

    from ducky.plugins.segment.naming import load_taxonomy

    path = datadir.path / "truth" / "personas.parquet"
    if not path.is_file():
        return None
    truth = pq.read_table(path)
    tid = np.asarray(truth["user_id"].to_pylist(), dtype=result.user_ids.dtype)
    pos = np.searchsorted(result.user_ids, tid)
    pos = np.clip(pos, 0, len(result.user_ids) - 1)
    found = result.user_ids[pos] == tid
    if not found.any():
        return None
    seg = result.labels[pos[found]]
    if "interest" not in truth.column_names:
        tp = np.asarray(truth["persona"].to_pylist(), dtype=object)[found]
        tax = load_taxonomy()
        sets = [tax.answers(s.label, s.group) for s in result.segments]
        ok = np.asarray([t in sets[g] for g, t in zip(seg.tolist(), tp.tolist(), strict=True)])
        return {
            "users_evaluated": int(found.sum()),
            "ari": round(float(adjusted_rand_score(tp, seg)), 4),
            "name_accuracy": round(float(ok.mean()), 4),
        }
    interest = np.asarray(truth["interest"].to_pylist(), dtype=object)[found]
    interest2 = np.asarray(truth["interest2"].to_pylist(), dtype=object)[found]
    language = np.asarray(truth["language"].to_pylist(), dtype=object)[found]
    english = language == "en"
    mixed = english & np.asarray([x is not None for x in interest2.tolist()], dtype=bool)
    single = english & ~mixed
    segs = result.segments

    def answers(i: int) -> frozenset[str]:
        a = GENERATOR_ANSWERS.get(str(interest[i]), frozenset())
        if interest2[i] is not None:
            a = a | GENERATOR_ANSWERS.get(str(interest2[i]), frozenset())
        return a

    right_names = [_name_right(segs[g], answers(i)) for i, g in enumerate(seg.tolist())]
    right = np.asarray(right_names, dtype=bool)
    out: dict[str, Any] = {
        "users_evaluated": int(single.sum()),
        "ari": round(float(adjusted_rand_score(interest[single], seg[single])), 4),
        "name_accuracy": round(float(right[single].mean()), 4) if single.any() else 0.0,
        "interests": len(set(interest[single].tolist())),
    }
    per: dict[str, str] = {}
    for name in sorted(set(interest[single].tolist())):
        sel = single & (interest == name)
        per[name] = f"{int(right[sel].sum())}/{int(sel.sum())}"
    out["name_accuracy_per_interest"] = per
    if mixed.any():
        majority: dict[int, str] = {}
        for g in np.unique(seg[single]).tolist():
            vals, cnt = np.unique(interest[single & (seg == g)], return_counts=True)
            majority[g] = str(vals[np.argmax(cnt)])
        own = [
            majority.get(g) in (interest[i], interest2[i])
            for i, g in zip(np.flatnonzero(mixed).tolist(), seg[mixed].tolist(), strict=True)
        ]
        out["mixed_users"] = int(mixed.sum())
        out["mixed_name_accuracy"] = round(float(right[mixed].mean()), 4)
        out["mixed_in_own_segment"] = round(float(np.mean(own)), 4)
    foreign = ~english
    if foreign.any():
        other = np.asarray([segs[g].kind == "other_language" for g in seg.tolist()])
        out["other_language_users"] = int(foreign.sum())
        out["other_language_recall"] = round(float(other[foreign].mean()), 4)
        out["english_users_in_other_language"] = int(other[english].sum())
    return out


MATCH_MIN_COSINE = 0.85  # a segment is "the same" as a previous one when its centre is this close
SIZE_CHANGE = 0.10  # grown/shrunk when the size moved by more than 10%


def match_previous(
    result: SegmentationResult, centroids_prev: np.ndarray, prev: list[dict[str, Any]]
) -> dict[str, Any]:
    """Match this run's segments to the previous run's (cosine of the centres, one-to-one,
    greedy from the closest pair) to report what changed: a matched segment is same/grown/
    shrunk (with `was`, the previous name, when its name differs); unmatched ones are new;
    previous ones left over are gone. Names are not touched: they are a function of this
    run's clusters. `prev`: the previous summary's segments, in the
    order of `centroids_prev`."""
    if result.centroids is None or not len(centroids_prev):
        return {}
    cur = [s for s in result.segments if s.kind != "other_language"]
    sims = result.centroids[[s.index for s in cur]] @ centroids_prev.T
    pairs = sorted(
        ((float(sims[i, j]), i, j) for i in range(len(cur)) for j in range(len(prev))),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    matched: dict[int, int] = {}
    for sim, i, j in pairs:
        if sim < MATCH_MIN_COSINE:
            break
        if i in used_i or j in used_j:
            continue
        matched[i] = j
        used_i.add(i)
        used_j.add(j)
    # Names come from this run's own clusters only (naming.name_segments), so one clustering
    # always gets the same names whatever ran before. A previous name is never carried over:
    # chained through an intermediate run (another k or date range) it ended up on a different
    # audience (the gaming segment called `electronics`, phones/audio `electronics_new`). The
    # match only reports what changed, with the previous name as `was` when it differs.
    out: dict[str, list[dict[str, Any]]] = {"same": [], "grown": [], "shrunk": [], "new": []}
    for i, s in enumerate(cur):
        if i in matched:
            p = prev[matched[i]]
            before, now = int(p["users"]), s.size
            status = "same"
            if now > before * (1 + SIZE_CHANGE):
                status = "grown"
            elif now < before * (1 - SIZE_CHANGE):
                status = "shrunk"
            entry: dict[str, Any] = {
                "segment": s.name,
                "users_before": before,
                "users": now,
                "cosine": round(float(sims[i, matched[i]]), 3),
            }
            if p["segment"] != s.name:
                entry["was"] = p["segment"]
            out[status].append(entry)
        else:
            out["new"].append({"segment": s.name, "users": s.size})
    gone = [
        {"segment": prev[j]["segment"], "users_before": int(prev[j]["users"])}
        for j in range(len(prev))
        if j not in used_j
    ]
    result.names = [s.name for s in result.segments]
    changes: dict[str, Any] = {**out, "gone": gone}
    result.changes = changes
    return changes
