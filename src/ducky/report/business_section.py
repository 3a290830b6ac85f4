"""Evidence for the brief's business summary and segment value: the tables its numbers come
from, and revenue by month and by week as a chart."""

from __future__ import annotations

from typing import Any

from ducky.report import fmt
from ducky.report import html as h
from ducky.report.context import ReportContext, Section


def render_business(ctx: ReportContext) -> Section:
    from ducky.report.charts import revenue_chart

    b = ctx.business()
    if not b.totals:
        return Section("business", "Business summary: evidence", "<p>No purchases.</p>", 15)
    totals = h.table(
        ["currency", "revenue", "orders", "purchases", "buyers", "avg order value"],
        [
            (
                fmt.currency(t.currency),
                fmt.money(t.revenue),
                fmt.count(t.orders),
                fmt.count(t.purchases),
                fmt.count(t.buyers),
                fmt.money(t.aov),
            )
            for t in b.totals
        ],
        {1, 2, 3, 4, 5},
    )
    steps = b.funnel_rates()
    first = steps[0][1] if steps else 0
    funnel = h.table(
        ["step", "users (this step and every one before)", "of previous step", "of first step"],
        [
            (s, fmt.count(n), "" if r is None else fmt.pct(r), fmt.pct(n / first) if first else "")
            for s, n, r in steps
        ],
        {1, 2, 3},
    )
    if b.funnel_notes:
        funnel += "".join(f'<p class="definition">{h.esc(n)}.</p>' for n in b.funnel_notes)
    repeat = h.table(
        ["buyers", "buyers with 2+ orders", "repeat purchase rate"],
        [(fmt.count(b.buyers), fmt.count(b.repeat_buyers), fmt.pct(b.repeat_rate))],
        {0, 1, 2},
    )
    from ducky.report.brief import data_days, month_complete

    days = data_days(ctx)
    months = h.table(
        ["month", "currency", "revenue", "orders"],
        [
            (
                f"{p.start:%Y-%m}" + ("" if month_complete(p.start, *days) else " (partial)"),
                fmt.currency(p.currency),
                fmt.money(p.revenue),
                fmt.count(p.orders),
            )
            for p in b.by_month
        ],
        {2, 3},
    )
    png = revenue_chart(b, *days)
    body = (
        "<h3>Totals</h3>"
        + totals
        + f'<p class="definition">Revenue of a purchase: {h.esc(b.revenue_source)}; an order is '
        "a distinct order_id (a purchase without one is its own order); currencies are never "
        "summed together.</p>"
        + h.img_bytes(png, "revenue by month and by week")
        + '<div class="cols"><div><h3>Revenue by month</h3>'
        + months
        + "</div><div><h3>Conversion funnel (distinct users)</h3>"
        + funnel
        + "<h3>Repeat purchases</h3>"
        + repeat
        + "</div></div>"
    )
    return Section("business", "Business summary: evidence", body, 15)


def segment_method(doc: dict[str, Any]) -> str:
    """How the segments were formed and checked (the brief only points here)."""
    segs = [x for x in doc.get("segments") or [] if isinstance(x, dict)]
    users = sum(int(x.get("users") or 0) for x in segs)
    k = doc.get("k")
    sil = doc.get("silhouette") or {}
    model = doc.get("model") or "an embedding model"
    text = (
        f"Method: {users:,} users in {len(segs)} segments. k-means over each user's search "
        f"queries embedded with {model}; k = {k}"
    )
    if isinstance(sil, dict) and str(k) in sil:
        ks = sorted(int(x) for x in sil)
        # pick_k takes the smallest k within noise of the best silhouette, not the argmax.
        text += (
            f", the smallest k whose silhouette ({sil[str(k)]:.4f}) is within noise of the best"
            f" among k = {ks[0]}..{ks[-1]}"
        )
    else:
        text += " (set by the user, no silhouette search)"
    if doc.get("holding_groups") or any(x.get("kind") == "other_language" for x in segs):
        text += "; users searching in languages the model does not read are kept apart"
    q = doc.get("quality")
    if isinstance(q, dict) and isinstance(q.get("ari"), int | float):
        text += (
            f"; agreement with the generator's planted interests: ARI {q['ari']:.3f} "
            "(1 = the same grouping, 0 = chance)"
        )
    return text + "."


def render_segment_value(ctx: ReportContext) -> Section | None:
    """Revenue and AOV per segment (joined here from the segment plugin's output), what each
    segment means and what to do (the brief's lines, for every segment), and the silhouette per
    k of the run: the numbers behind the brief's segmentation rationale."""
    from ducky.report.segments_section import (
        RULES,
        holding_groups,
        holding_sentence,
        human_name,
        readings,
    )

    doc = ctx.segments()
    b = ctx.business()
    if not doc:
        return None
    rows: list[tuple[str, ...]] = []
    names = {str(s.get("segment")): s for s in doc.get("segments") or [] if isinstance(s, dict)}
    total_users = sum(int(s.get("users") or 0) for s in names.values()) or 1
    revenue = {t.currency: t.revenue for t in b.totals}
    held = holding_groups(doc)
    set_aside = {str(g["segment"]) for g in held}
    for v in b.by_segment:
        if v.segment in set_aside:
            continue  # not a segment: said below the table instead
        s = names.get(v.segment, {})
        sim = s.get("similarity")
        pz = s.get("price_z")
        users = int(s.get("users") or v.users)
        cur_total = revenue.get(v.currency) if v.buyers else None
        rows.append(
            (
                human_name(s) if s else v.segment,
                v.segment,
                fmt.currency(v.currency) if v.buyers else "(no purchases)",
                fmt.count(users),
                fmt.pct(users / total_users),
                fmt.count(v.buyers),
                fmt.money(v.revenue),
                fmt.pct(v.revenue / cur_total) if cur_total else "",
                fmt.count(v.orders),
                fmt.money(v.aov),
                f"{pz:+.2f}" if isinstance(pz, int | float) else "",
                f"{sim:.2f}" if isinstance(sim, int | float) else "",
            )
        )
    headers = [
        "segment", "id", "currency", "users", "share", "buyers", "revenue", "revenue share",
        "orders", "AOV", "viewed-price level", "name similarity",
    ]  # fmt: skip
    for col in (11, 10):  # columns the run did not record: dropped rather than shown empty
        if not any(r[col] for r in rows):
            headers = headers[:col] + headers[col + 1 :]
            rows = [r[:col] + r[col + 1 :] for r in rows]
    body = f'<p class="definition">{h.esc(segment_method(doc))}</p>'
    body += h.table(headers, rows, set(range(3, len(headers))))
    body += (
        '<p class="definition">AOV = revenue / orders (METRICS.md); one row per (segment, '
        "currency); users and share count every user of the segment; revenue share is of the "
        "shop's revenue in that currency; id is the segment's name in the run (the User "
        "segments table).</p>"
    )
    body += "".join(f'<p class="definition">{h.esc(holding_sentence(g))}.</p>' for g in held)
    every = readings(doc, b)
    if every:
        body += "<h3>Reading and action per segment (most revenue first)</h3><ul>" + "".join(
            f"<li><b>{h.esc(r.name)}</b> ({h.esc(r.ident)}): {h.esc(r.reading)}. "
            f"Action: {h.esc(r.action)}.</li>"
            for r in sorted(every, key=lambda r: (-r.revenue, -r.users, r.ident))
        )
        body += f'</ul><p class="definition">{h.esc(RULES)}</p>'
    sil = doc.get("silhouette")
    if isinstance(sil, dict) and sil:
        body += "<h3>Choice of k (silhouette on a sample)</h3>" + h.table(
            ["k", "silhouette"],
            [(k, f"{v:.4f}") for k, v in sorted(sil.items(), key=lambda kv: int(kv[0]))],
            {0, 1},
        )
    return Section("segment-value", "Segment value: evidence", body, 61)
