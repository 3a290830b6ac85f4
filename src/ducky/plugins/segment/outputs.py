"""Outputs of a run: `<data>/segments/` (Parquet + summary.json, swapped in atomically), the
versioned Elasticsearch index behind an alias, and the projection plot."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.plugins.segment.pipeline import SegmentationResult
    from ducky.plugins.segment.store.base import BulkReport, SearchLogStore

SEGMENTS_DIR = "segments"


def assignments_table(result: SegmentationResult) -> pa.Table:
    import pyarrow as pa

    n = len(result.user_ids)
    conf = [result.segments[i].confidence for i in result.labels.tolist()]
    return pa.table(
        {
            # ids pass through as the source had them: integers stay int64, "abc123" stays text
            "user_id": pa.array(result.user_ids.tolist()),
            "segment": pa.array(result.segment_of_user, pa.string()),
            "confidence": pa.array(conf, pa.float32()),
            "score": pa.array(result.score, pa.float32()),
            "distance": pa.array(result.distance, pa.float32()),
            "run_id": pa.array([result.run_id] * n, pa.string()),
            "model": pa.array([result.model] * n, pa.string()),
            "k": pa.array([result.k] * n, pa.int32()),
        }
    )


HOLDING_NOTE = (
    "not a segment: users searching mostly in languages the model does not read (it reads "
    "English), set aside before clustering; nothing was fitted or named, so it has no "
    "confidence, name evidence or segment value"
)


def _segment_doc(s: Any) -> dict[str, Any]:
    return {
        "segment": s.name,
        "kind": s.kind,
        "label": s.label,
        "group": s.group,
        "parts": s.parts,
        "matched": s.matched,
        "confidence": s.confidence,
        "support": s.support,
        "agreeing_terms": s.agreeing_terms,
        "users": s.size,
        "top_terms": s.top_terms,
        "representative_queries": s.queries,
        "avg_order_value": s.avg_order_value,
        "price_z": s.price_z,
    }


def _holding_doc(s: Any) -> dict[str, Any]:
    return {
        "segment": s.name,
        "kind": s.kind,
        "holding_group": True,
        "users": s.size,
        "users_by_language": s.languages or {},
        "confidence": None,
        "confidence_note": HOLDING_NOTE,
        "representative_queries": s.queries,
    }


def summary(result: SegmentationResult) -> dict[str, Any]:
    """The run summary. `segments` holds the fitted segments only; users set aside (the
    other-language group) are under `holding_groups`: they are not a segment, and tables,
    reports and value figures built from `segments` must not show them as one."""
    ordered = sorted(result.segments, key=lambda s: (-s.size, s.name))
    return {
        "run_id": result.run_id,
        "model": result.model,
        "embedder": result.embedder,
        "k": result.k,
        "users": len(result.user_ids),
        "log_rows": result.log_rows,
        "distinct_queries": result.distinct_queries,
        "embedded_now": result.embedded_now,
        "silhouette": {str(k): round(v, 4) for k, v in result.silhouette.items()},
        "notes": result.notes,
        "languages": result.languages,
        "quality": result.quality,
        "changes": result.changes,
        "timings_s": result.timings,
        "segments": [_segment_doc(s) for s in ordered if not s.holding],
        "holding_groups": [_holding_doc(s) for s in ordered if s.holding],
    }


def centroids_table(result: SegmentationResult) -> pa.Table:
    """Each named segment's centre (unit mean query embedding): what the next run matches."""
    import pyarrow as pa

    assert result.centroids is not None
    segs = [s for s in result.segments if not s.holding]
    return pa.table(
        {
            "segment": pa.array([s.name for s in segs], pa.string()),
            "users": pa.array([s.size for s in segs], pa.int64()),
            "centroid": pa.array(
                [result.centroids[s.index].tolist() for s in segs], pa.list_(pa.float32())
            ),
            "model": pa.array([result.model] * len(segs), pa.string()),
        }
    )


def match_previous_run(datadir: DataDir, result: SegmentationResult) -> dict[str, Any] | None:
    """Compare with `<data>/segments/centroids.parquet` from the previous run (same model)."""
    import numpy as np
    import pyarrow.parquet as pq

    from ducky.plugins.segment.pipeline import match_previous

    path = datadir.path / SEGMENTS_DIR / "centroids.parquet"
    if not path.is_file():
        return None
    try:
        prev = pq.read_table(path).to_pylist()
    except Exception:  # an unreadable leftover is no reason to fail this run
        return None
    prev = [p for p in prev if p.get("model") == result.model]
    if not prev:
        return None
    c = np.asarray([p["centroid"] for p in prev], dtype=np.float32)
    return match_previous(result, c, prev)


def write_segments(datadir: DataDir, result: SegmentationResult, plot: Path | None = None) -> Path:
    """Write segments.parquet, summary.json and projection.png into a temp dir, then swap it
    in; `plot` also gets a copy of the PNG."""
    import pyarrow.parquet as pq

    target = datadir.path / SEGMENTS_DIR
    from ducky.atomic import recover_dir, swap_dir, temp_dir_for

    recover_dir(target)  # a crashed earlier run: finish or roll back, drop garbage
    tmp = temp_dir_for(target)
    tmp.mkdir(parents=True)
    try:
        pq.write_table(assignments_table(result), tmp / "segments.parquet", compression="zstd")
        if result.centroids is not None:
            pq.write_table(centroids_table(result), tmp / "centroids.parquet")
        doc = summary(result)
        plot_projection(result, tmp / "projection.png")
        if plot is not None:
            plot.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp / "projection.png", plot)
            doc["plot"] = str(plot)
        (tmp / "summary.json").write_text(json.dumps(doc, indent=2) + "\n")
        swap_dir(tmp, target)  # crash-safe: old or new is always in place (ducky.atomic)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def projection(features: Any) -> tuple[Any, Any]:
    """2-D PCA of the user features and the explained-variance ratio of each of the two axes."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0)
    xy = pca.fit_transform(features)
    return xy, pca.explained_variance_ratio_


def axis_label(component: int, ratio: float) -> str:
    return f"PC {component} ({100 * ratio:.1f} % of variance)"


def plot_projection(result: SegmentationResult, path: Path, max_points: int = 20_000) -> Path:
    """2-D PCA projection of the user features, coloured by segment (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(0)
    n = len(result.labels)
    idx = np.sort(rng.choice(n, size=min(n, max_points), replace=False))
    xy, ratio = projection(result.features[idx])
    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    colors = segment_colors(len(result.segments))
    for i, seg in enumerate(result.segments):
        sel = result.labels[idx] == seg.index
        ax.scatter(
            xy[sel, 0],
            xy[sel, 1],
            s=4,
            alpha=0.6,
            color=colors[i],
            label=f"{seg.name} ({seg.size:,}, holding group: not clustered)"
            if seg.holding
            else f"{seg.name} ({seg.size:,})",
        )
    # the share of variance the picture keeps says how far to trust overlaps seen in 2-D
    ax.set_title(
        f"User segments (k={result.k}, run {result.run_id}); "
        f"this 2-D view keeps {100 * ratio.sum():.1f} % of the variance"
    )
    ax.set_xlabel(axis_label(1, float(ratio[0])))
    ax.set_ylabel(axis_label(2, float(ratio[1])))
    # outside the axes: inside, "best" still covered points of the larger segments
    ax.legend(markerscale=4, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:6]}.png")
    fig.savefig(tmp, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def segment_colors(n: int) -> list[tuple[float, float, float]]:
    """One saturated colour per segment drawn, in segment order: tab10, then
    Dark2. tab20 (used before for > 10 segments) gave every second segment its near-white
    pastel twin, the largest ones included. Cycles beyond 18."""
    import matplotlib.pyplot as plt

    base = [
        cm(i) for name in ("tab10", "Dark2") for cm in [plt.get_cmap(name)] for i in range(cm.N)
    ]
    return [
        (float(c[0]), float(c[1]), float(c[2])) for c in (base[i % len(base)] for i in range(n))
    ]


def push_segments(
    store: SearchLogStore, result: SegmentationResult, alias: str, progress: Any = None
) -> dict[str, Any]:
    """Index the assignments as `<alias>-<run_id>`, then swap `alias` onto it atomically.
    Same inputs -> same run id -> same index name and document ids (user_id): idempotent.

    The live alias is never put at risk: a new run writes a NEW index and only the final
    `_aliases` call moves the alias; the indexes it left are deleted after that. A re-push of
    the same run id whose index is the live one writes the same documents into it in place
    (nothing is deleted first); a failure there leaves the alias and its index as they were."""
    from ducky.atomic import _pause
    from ducky.errors import ConnectionFailed, EngineError
    from ducky.plugins.segment.store.queries import SEGMENTS_MAPPING

    index = f"{alias}-{result.run_id}"
    segs = {s.index: s for s in result.segments}
    live = store.alias_targets(alias)
    in_place = index in live
    if not in_place:
        # not live: a leftover of an interrupted push of this run may be replaced safely
        store.create_index(index, SEGMENTS_MAPPING, replace=True)
    _pause("es-created")  # kill -9 tests: the new index exists, empty, not live

    def actions() -> Any:
        for uid, lab, sc in zip(
            result.user_ids.tolist(), result.labels.tolist(), result.score.tolist(), strict=True
        ):
            seg = segs[lab]
            yield {
                "_index": index,
                "_id": str(uid),
                "_source": {
                    "user_id": uid,
                    "segment": seg.name,
                    "segment_kind": seg.kind,
                    "confidence": seg.confidence,
                    "evidence": seg.evidence(),
                    "score": round(float(sc), 6),
                    "top_terms": seg.top_terms,
                    "representative_queries": seg.queries,
                    "run_id": result.run_id,
                    "model": result.model,
                },
            }

    acked = 0

    def tick(n: int) -> None:
        nonlocal acked
        acked += n
        if acked == n:  # kill -9 tests: the first chunk is in, the rest not sent yet
            _pause("es-bulk")
        if progress:
            progress(n)

    try:
        report: BulkReport = store.bulk(actions(), progress=tick)
    except BaseException:
        if not in_place:
            _drop_quietly(store, index)
        raise
    if report.failed:
        where = f"index {index} kept: it is live" if in_place else f"index {index} removed"
        failed = f"{report.failed} of {report.ok + report.failed} segment documents"
        # The bulk helper reports a server that went away as a transport error per document,
        # not as an exception: ask the server once, so that case reads "cannot reach" (exit 3)
        # instead of the same connection error repeated for every document.
        try:
            store.info()
        except ConnectionFailed as e:
            where = where.replace("removed", "left for the next push to remove")
            raise ConnectionFailed(
                f"{e} (lost during the push: {failed} not indexed; {where}, alias {alias} "
                "unchanged)"
            ) from None
        if not in_place:
            _drop_quietly(store, index)
        raise EngineError(
            f"{failed} failed to index ({where}, alias {alias} unchanged): "
            + "; ".join(report.errors)
        )
    store.refresh(index)
    removed = store.swap_alias(alias, index)
    return {"index": index, "alias": alias, "documents": report.ok, "removed_indexes": removed}


def _drop_quietly(store: SearchLogStore, index: str) -> None:
    """Remove a half-written, never-live index; when the cluster is gone too, the original
    error is the one to report (the leftover is replaced by the next push of this run)."""
    from ducky.errors import DuckyError

    with contextlib.suppress(DuckyError):
        store.delete_index(index)
