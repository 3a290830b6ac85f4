"""The `report_sections` hook's HTML: the last run's segment table and its projection plot."""

from __future__ import annotations

import base64
import html
import json
from typing import Any


def section(datadir: Any) -> dict[str, Any]:
    """The section; marked `ran: False` when the data directory has no segmentation run yet."""
    path = getattr(datadir, "path", datadir)
    seg_dir = path / "segments"
    summary_path = seg_dir / "summary.json"
    if not summary_path.is_file():
        return {
            "id": "segments",
            "title": "User segments",
            "html": "<p>No segmentation run yet: run <code>ducky segment</code>.</p>",
            "order": 60,
            "ran": False,
        }
    doc = json.loads(summary_path.read_text())
    rows = []
    for s in doc["segments"]:
        aov = "" if s.get("avg_order_value") is None else f"{s['avg_order_value']:,.2f}"
        rows.append(
            "<tr>"
            f"<td>{html.escape(s['segment'])}</td><td class='num'>{s['users']:,}</td>"
            f"<td class='num'>{_confidence(s)}</td><td>{html.escape(_evidence(s))}</td>"
            f"<td>{html.escape(', '.join(s['top_terms']))}</td>"
            f"<td>{html.escape('; '.join(s['representative_queries']))}</td>"
            f"<td class='num'>{aov}</td></tr>"
        )
    parts = [
        f"<p>{doc['users']:,} users in {doc['k']} segments (model {html.escape(doc['model'])}, "
        f"run {html.escape(doc['run_id'])}).</p>",
        "<table><thead><tr><th>segment</th><th>users</th><th>confidence</th><th>evidence</th>"
        "<th>top terms</th>"
        "<th>representative queries</th><th>avg order value</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>",
    ]
    parts += [f"<p>Note: {html.escape(n)}</p>" for n in doc.get("notes", [])]
    q = doc.get("quality")
    if q:
        parts.append(
            f"<p>Against the generator's truth: ARI {q['ari']:.3f}, name accuracy "
            f"{q['name_accuracy']:.1%} ({q['users_evaluated']:,} users).</p>"
        )
        if "mixed_users" in q or "other_language_users" in q:  # the generator's interests
            extra = []
            if "mixed_users" in q:
                extra.append(
                    f"{q['mixed_users']:,} users with two interests: name right for one of "
                    f"them {q['mixed_name_accuracy']:.1%}"
                )
            if "other_language_users" in q:
                extra.append(
                    f"{q['other_language_users']:,} users searching in other languages: "
                    f"{q['other_language_recall']:.1%} kept apart as other_language"
                )
            parts.append(f"<p>{html.escape('; '.join(extra))}.</p>")
    png = seg_dir / "projection.png"
    if png.is_file():
        b64 = base64.b64encode(png.read_bytes()).decode()
        parts.append(f"<img alt='user segments projection' src='data:image/png;base64,{b64}'/>")
    return {"id": "segments", "title": "User segments", "html": "\n".join(parts), "order": 60}


def _confidence(s: dict[str, Any]) -> str:
    if s.get("kind", "label") == "terms" or "confidence" not in s:
        return "-"
    return f"{s['confidence']:.0%}"


def _evidence(s: dict[str, Any]) -> str:
    sup = ", ".join(f"{k} {v:.0%}" for k, v in (s.get("support") or {}).items())
    if s.get("kind") == "other_language":
        return "searches in languages the model does not read"
    if s.get("kind") == "terms":
        return f"no label fits ({sup or 'none near'}); named by its top terms"
    return f"{sup}; agreeing terms: {', '.join((s.get('agreeing_terms') or [])[:4])}"
