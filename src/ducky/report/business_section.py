"""Evidence for the brief's business summary and segment value: the tables its numbers come
from, and revenue by month and by week as a chart."""

from __future__ import annotations

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
    months = h.table(
        ["month", "currency", "revenue", "orders"],
        [
            (
                f"{p.start:%Y-%m}",
                fmt.currency(p.currency),
                fmt.money(p.revenue),
                fmt.count(p.orders),
            )
            for p in b.by_month
        ],
        {2, 3},
    )
    png = revenue_chart(b)
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


def render_segment_value(ctx: ReportContext) -> Section | None:
    """Revenue and AOV per segment (joined here from the segment plugin's output), and the
    silhouette per k of the run: the numbers behind the brief's segmentation rationale."""
    doc = ctx.segments()
    b = ctx.business()
    if not doc:
        return None
    rows: list[tuple[str, ...]] = []
    names = {str(s.get("segment")): s for s in doc.get("segments") or [] if isinstance(s, dict)}
    total_users = sum(int(s.get("users") or 0) for s in names.values()) or 1
    for v in b.by_segment:
        s = names.get(v.segment, {})
        sim = s.get("similarity")
        users = int(s.get("users") or v.users)
        rows.append(
            (
                v.segment,
                fmt.currency(v.currency) if v.buyers else "(no purchases)",
                fmt.count(users),
                fmt.pct(users / total_users),
                fmt.count(v.buyers),
                fmt.money(v.revenue),
                fmt.count(v.orders),
                fmt.money(v.aov),
                f"{sim:.2f}" if isinstance(sim, int | float) else "",
            )
        )
    headers = ["segment", "currency", "users", "share", "buyers", "revenue", "orders", "AOV",
               "name similarity"]  # fmt: skip
    if not any(r[-1] for r in rows):
        # The segment run recorded no name similarity: drop the column rather than show it
        # empty.
        headers = headers[:-1]
        rows = [r[:-1] for r in rows]
    body = h.table(headers, rows, set(range(2, len(headers))))
    body += (
        '<p class="definition">AOV = revenue / orders (METRICS.md); one row per (segment, '
        "currency); users and share count every user of the segment.</p>"
    )
    sil = doc.get("silhouette")
    if isinstance(sil, dict) and sil:
        body += "<h3>Choice of k (silhouette on a sample)</h3>" + h.table(
            ["k", "silhouette"],
            [(k, f"{v:.4f}") for k, v in sorted(sil.items(), key=lambda kv: int(kv[0]))],
            {0, 1},
        )
    q = doc.get("quality")
    if isinstance(q, dict) and isinstance(q.get("ari"), int | float):
        body += f"<p>Against the generator's personas: ARI {q['ari']:.3f}.</p>"
    return Section("segment-value", "Segment value: evidence", body, 61)
