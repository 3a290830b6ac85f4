"""Run the segmentation on the hand-written histories and score it (used by the test and by
`python -m tests.plugins.segment.handwritten_eval` for the figures in docs/SEGMENTATION.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.plugins.segment.handwritten import USERS


def logs_table() -> Any:
    import pyarrow as pa

    rows: list[dict[str, Any]] = []
    base = dt.datetime(2024, 3, 1)
    for i, (uid, _, queries) in enumerate(USERS):
        for j, q in enumerate(queries):
            rows.append(
                {
                    "user_id": uid,
                    "search_query": q,
                    "clicked_product_ids": [],
                    "timestamp": base + dt.timedelta(hours=i * 7 + j),
                }
            )
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("user_id", pa.string()),
                ("search_query", pa.string()),
                ("clicked_product_ids", pa.list_(pa.int64())),
                ("timestamp", pa.timestamp("us")),
            ]
        ),
    )


def score(res: Any) -> dict[str, Any]:
    """Purity (share of users whose segment's majority answer is theirs; mixed users count for
    either interest), name accuracy, and per-interest figures."""
    from collections import Counter

    from ducky.plugins.segment.naming import OTHER_LANGUAGE, load_taxonomy

    tax = load_taxonomy()
    labs = tax.by_id()
    seg_of = dict(zip(res.user_ids.tolist(), res.labels.tolist(), strict=True))
    answers = {uid: a for uid, a, _ in USERS}

    def accepted(answer: str) -> set[str]:
        if answer.startswith("lang:"):
            return {OTHER_LANGUAGE}
        if answer.startswith("mixed:"):
            return set(answer[6:].split("+"))
        return {answer}

    def primary(answer: str) -> str:
        return (
            "other_language" if answer.startswith("lang:") else answer.split(":")[-1].split("+")[0]
        )

    # purity: each segment's majority primary answer
    members: dict[int, list[str]] = {}
    for uid, s in seg_of.items():
        members.setdefault(s, []).append(uid)
    pure = 0
    for uids in members.values():
        top, _ = Counter(primary(answers[u]) for u in uids).most_common(1)[0]
        pure += sum(1 for u in uids if top in accepted(answers[u]) | {primary(answers[u])})
    per: dict[str, list[int]] = {}
    right_total = 0
    for uid, s in seg_of.items():
        seg = res.segments[s]
        a = answers[uid]
        acc = accepted(a)
        if seg.kind == "other_language":
            ok = OTHER_LANGUAGE in acc
        elif seg.kind == "label":
            ok = seg.label in acc
        elif seg.kind == "group":
            ok = any(labs[x].group == seg.group for x in acc if x in labs)
        elif seg.kind == "mixed":  # the name says both interests: right for a user of either
            ok = a.startswith("mixed:") or bool(acc & set(seg.parts))
        else:
            ok = False
        right_total += ok
        key = primary(a) if not a.startswith("mixed:") else "mixed"
        per.setdefault(key, [0, 0])
        per[key][0] += ok
        per[key][1] += 1
    n = len(seg_of)
    return {
        "users": n,
        "k": res.k,
        "silhouette": {k: round(v, 3) for k, v in res.silhouette.items()},
        "purity": round(pure / n, 3),
        "name_accuracy": round(right_total / n, 3),
        "per_interest": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per.items())},
        "segments": [
            (
                s.name,
                s.kind,
                s.size,
                None if s.confidence is None else round(s.confidence, 2),
                s.top_terms[:4],
            )
            for s in res.segments
        ],
    }


def run(tmp: Path, **kw: Any) -> Any:
    from ducky.datasets import DataDir
    from ducky.plugins.segment import pipeline
    from ducky.plugins.segment.embed.local import LocalEmbedder

    tmp.mkdir(parents=True, exist_ok=True)
    return pipeline.segment(logs_table(), DataDir(tmp), LocalEmbedder(), **kw)


if __name__ == "__main__":  # pragma: no cover - the figures for the docs
    import json
    import sys
    import tempfile

    kw: dict[str, Any] = {"k": None, "seed": int(sys.argv[1]) if len(sys.argv) > 1 else 42}
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(score(run(Path(d) / "data", **kw)), indent=1))
