"""The optimization section: the latest `ducky bench` run (chart, what each variant did and
cost, the plans' bottlenecks, every timing) and the DDL to apply."""

from __future__ import annotations

from ducky.report import fmt
from ducky.report import html as h
from ducky.report.context import ReportContext, Section


def render_bench(ctx: ReportContext) -> Section:
    from ducky.report.optimize import MIN_BASELINE_S, MIN_RUNS, analyse, ddl, engine_label

    doc = ctx.bench_doc()
    if doc is None:
        return Section(
            "bench",
            "Engine and index optimization",
            h.not_run("benchmark", "ducky bench"),
            30,
            ran=False,
        )
    opts = analyse(doc)
    rows = []
    for q in opts:
        for v in [*([q.baseline] if q.baseline else []), *q.variants]:
            rows.append(
                (
                    engine_label(q.engine),
                    q.query,
                    v.name,
                    v.what if v.name != "baseline" else "query as written",
                    fmt.dur(v.median_s),
                    fmt.speed(v.speedup) if v.speedup else "",
                    "yes" if v.parity else "NO",
                    v.bottleneck,
                    fmt.dur(v.build_s) if v.kinds and "rewrite" not in v.kinds else "",
                    fmt.size(v.bytes) if v.bytes is not None else "",
                    (
                        f"{fmt.speed(v.slowdown)} slower"
                        + (
                            f" ({v.rows_per_s[0]:,.0f} \u2192 {v.rows_per_s[1]:,.0f} rows/s)"
                            if v.rows_per_s
                            else ""
                        )
                    )
                    if v.slowdown
                    else "",
                )
            )
    body = h.table(
        ["engine", "query", "variant", "what was done", "median", "vs baseline", "parity",
         "plan bottleneck", "build", "size", "inserts"],
        rows,
        {4, 5, 8, 9},
    )  # fmt: skip
    body += (
        f'<p class="definition">A speedup is recommended only when the baseline and the variant '
        f"ran at least {MIN_RUNS} times each and the baseline median is at least "
        f"{MIN_BASELINE_S * 1000:g} ms; below that the difference is timer and cache noise. Build "
        "time is shown only for variants that build something (indexes, a rollup).</p>"
    )
    chart = ctx.datadir.path / "bench" / "chart.png"
    if chart.is_file():
        body = h.img_file(chart, "benchmark chart") + body
    ddls = []
    for q in opts:
        for v in q.variants:
            ok = v.speedup and v.speedup >= 1.1 and not q.unreliable(v)
            text = ddl(q.query, v.name, q.dialect) if ok else None
            if text:
                ddls.append(
                    f"<h4>{h.esc(engine_label(q.engine))} \u00b7 {h.esc(q.query)} \u00b7 "
                    f"{h.esc(v.name)}</h4><pre>{h.esc(text)}</pre>"
                )
    if ddls:
        body += '<h3 id="ddl">DDL to apply</h3>' + "".join(ddls)
    return Section("bench", "Engine and index optimization", body, 30)
