"""The brief's segment lines and business sentences on hand-made inputs: human names, readings
that state the figures they rest on, the most valuable segment listed even when it is small,
actions present in the evidence, the currency named, partial periods marked in the charts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ducky.report.business import Business, CurrencyTotals, Period, SegmentValue

D = dt.date


def seg(name: str, users: int, kind: str = "label", **extra: Any) -> dict[str, Any]:
    base = {"segment": name, "users": users, "kind": kind, "label": name, "top_terms": [],
            "representative_queries": [], "matched": kind != "terms"}  # fmt: skip
    return base | extra


SEGMENTS = [
    seg("womens_fashion", 300, price_z=0.02, top_terms=["dress", "jeans", "skirt"]),
    seg("beauty", 250, kind="group", label=None, group="beauty", price_z=-1.24),
    seg("terms_baby_monitor", 200, kind="terms", label=None, price_z=-0.9,
        top_terms=["baby", "monitor", "affordable", "used", "car"],
        representative_queries=["graco car seat", "huggies little snugglers"]),
    seg("fitness", 150, price_z=-0.1),
    seg("kitchen", 120, price_z=0.4, top_terms=["knife", "dutch", "oven"]),
    seg("books", 100, price_z=-1.2),
    seg("garden", 90),
    seg("pc_components", 40, price_z=1.49),  # the smallest, and the most valuable
]  # fmt: skip
# (revenue, orders) in USD; the shop: 20,000.00 over 300 orders -> AOV 66.67
VALUES = {
    "womens_fashion": (2700.0, 50),  # AOV 54.00: -19 %, a smaller basket, not "price-sensitive"
    "beauty": (1350.0, 50),  # 27.00
    "terms_baby_monitor": (1000.0, 20),  # 50.00, deal words in its searches
    "fitness": (660.0, 10),  # 10 orders: too few to judge
    "kitchen": (2400.0, 30),  # 80.00: +20 %
    "books": (1300.0, 20),  # 65.00: about average
    "garden": (790.0, 10),
    "pc_components": (9800.0, 70),  # 140.00, the most revenue
}
DOC = {
    "k": 7, "model": "all-MiniLM-L6-v2", "users": 1250, "segments": SEGMENTS,
    "silhouette": {"6": 0.2, "7": 0.25, "8": 0.24}, "quality": {"ari": 0.777},
    # set aside by the run, not a segment (its users are still in segments.parquet, so the
    # business facts carry a value row for it)
    "holding_groups": [{"segment": "other_language", "kind": "other_language",
                        "holding_group": True, "users": 60,
                        "users_by_language": {"fr": 40, "de": 20}}],
}  # fmt: skip


def business() -> Business:
    return Business(
        totals=[
            CurrencyTotals("USD", 20000.0, 300, 320, 200), CurrencyTotals("EUR", 500.0, 5, 5, 4),
        ],
        by_month=[
            Period(D(2025, 1, 1), "USD", 20.5, 1), Period(D(2025, 2, 1), "USD", 9000.0, 130),
            Period(D(2025, 3, 1), "USD", 10900.0, 160), Period(D(2025, 4, 1), "USD", 79.5, 9),
            Period(D(2025, 2, 1), "EUR", 500.0, 5),
        ],
        by_week=[
            Period(D(2025, 1, 27), "USD", 20.5, 1), Period(D(2025, 2, 3), "USD", 3000.0, 40),
            # no USD revenue in the week of 2025-02-10
            Period(D(2025, 2, 10), "EUR", 500.0, 5), Period(D(2025, 2, 17), "USD", 6000.0, 90),
            Period(D(2025, 3, 31), "USD", 79.5, 9),
        ],
        by_segment=[
            SegmentValue(n, "USD", s["users"], o, r, o)
            for s in SEGMENTS
            for n, (r, o) in [(s["segment"], VALUES[s["segment"]])]
        ] + [SegmentValue("other_language", "USD", 60, 30, 9999.0, 70)],
    )  # fmt: skip


class Ctx:
    """Just what the brief and the evidence read from a ReportContext."""

    def __init__(self, doc: dict[str, Any] | None = DOC, first: str = "2025-01-31",
                 last: str = "2025-03-31") -> None:  # fmt: skip
        self.doc, self.b = doc, business()
        self.range = {"first_event": f"{first}T08:00:00", "last_event": f"{last}T21:00:00"}

    def segments(self) -> dict[str, Any] | None:
        return self.doc

    def business(self) -> Business:
        return self.b

    def manifest(self) -> Any:
        return type("M", (), {"date_range": self.range})()


def part_text(part: Any) -> str:
    return " ".join([*part.sentences, *part.bullets])


def test_human_names() -> None:
    from ducky.report.segments_section import human_name

    assert human_name(seg("womens_fashion", 1)) == "Women's fashion"
    assert human_name(seg("pc_components", 1)) == "PC components"
    assert human_name(seg("diy_tools", 1)) == "DIY tools"
    assert (
        human_name(SEGMENTS[2])
        == "Unnamed group (top searches \u201cbaby\u201d, \u201cmonitor\u201d)"
    )
    assert human_name(seg("other_language", 1, kind="other_language", label=None)) == (
        "Shoppers searching in other languages"
    )
    assert human_name(seg("electronics_iphone", 1, kind="group", label=None,
                          group="electronics")) == "Electronics (iphone)"  # fmt: skip
    assert human_name(seg("mixed_pets_garden", 1, kind="mixed", label=None,
                          parts=["pets", "garden"])) == "Pets + garden"  # fmt: skip


def test_segment_lines_state_their_evidence() -> None:
    from ducky.report.brief import segmentation_part

    text = part_text(segmentation_part(Ctx()))  # type: ignore[arg-type]
    lines = {b.split(":")[0]: b for b in segmentation_part(Ctx()).bullets}  # type: ignore[arg-type]
    # the AOV alone no longer makes a segment "price-sensitive": the fashion segment has an
    # average price level; its reading states its AOV against the shop's
    fashion = lines["Women's fashion"]
    assert "price-sensitive" not in fashion.lower()
    assert "Smaller baskets (AOV 54.00 vs 66.67 shop-wide)" in fashion
    assert "free-shipping threshold above 54.00" in fashion
    # price-sensitive only from deal words in its searches, which are named
    baby = lines["Unnamed group (top searches \u201cbaby\u201d, \u201cmonitor\u201d)"]
    assert "Price-sensitive: deal words among its top searches (affordable, used)" in baby
    # actions speak of the category or of whole searches, not of single terms
    assert "knife, dutch" not in text and "premium" not in text
    assert "products like \u201cgraco car seat\u201d" in baby
    # the larger basket cites both AOVs and the viewed-price level
    pc = lines["PC components"]
    assert "Larger baskets (AOV 140.00 vs 66.67 shop-wide)" in pc
    assert "viewed-price level +1.49" in pc


def test_the_most_valuable_segment_is_listed_and_chosen_as_said() -> None:
    from ducky.report.brief import segmentation_part

    part = segmentation_part(Ctx())  # type: ignore[arg-type]
    names = [b.split(":")[0] for b in part.bullets]
    # top 3 by revenue (PC components 9,800, fashion 2,700, kitchen 2,400), most first, then
    # the 4 largest by users not yet listed (beauty, the unnamed group, fitness)
    assert names[:6] == [
        "PC components", "Women's fashion", "Kitchen", "Beauty",
        "Unnamed group (top searches \u201cbaby\u201d, \u201cmonitor\u201d)", "Fitness",
    ]  # fmt: skip
    assert "the 3 segments with the most revenue (USD) and the 4 with the most users" in (
        part_text(part)
    )
    assert part.bullets[-1] == (
        "The other 2 segments: same figures, reading and action under \u201cSegment value: "
        "evidence\u201d."
    )
    text = part_text(part)
    for jargon in ("k-means", "silhouette", "ARI", "terms_", "pc_components", "womens_"):
        assert jargon not in text, jargon
    # the set-aside users are said once, never listed or valued as a segment
    assert "1,250 users are grouped into 8 segments by what they search for (60 more, who " in text
    assert "other languages" not in " ".join(part.bullets) and "9,999.00" not in text


def test_every_segment_has_its_action_in_the_evidence() -> None:
    from ducky.report.brief import segmentation_part
    from ducky.report.business_section import render_segment_value

    section = render_segment_value(Ctx())  # type: ignore[arg-type]
    assert section is not None
    evidence = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section.html))
    for s in SEGMENTS:
        assert re.search(rf"\({s['segment']}\): [^<]*Action: ", section.html), s["segment"]
    assert "other_language" not in section.html.split("<table>")[1].split("</table>")[0]
    assert "60 users searching mostly in other languages (fr 40, de 20) are set aside" in evidence
    # the method moved here from the brief
    assert "k-means" in evidence and "silhouette (0.2500)" in evidence and "ARI 0.777" in evidence
    # each brief line's figures are in the evidence (table, readings, totals)
    totals = " 66.67 "
    for line in segmentation_part(Ctx()).bullets:  # type: ignore[arg-type]
        for n in re.findall(r"\d(?:[\d,]*\d)?(?:\.\d+)?", line):
            assert n in evidence + totals, (n, line)


def test_month_sentence_names_the_currency_and_the_partial_months() -> None:
    from ducky.report.brief import business_part

    # data from 2025-01-31 to 2025-03-31: January is partial, April is not in it
    text = part_text(business_part(Ctx()))  # type: ignore[arg-type]
    assert (
        "By month in USD (the largest of 2 currencies; EUR is in the tables below), revenue "
        "ranges from 9,000.00 (2025-02) to 10,900.00 (2025-03) over the 2 full months; "
        "2025-01, 2025-04 are only partly in the data"
    ) in text
    assert "20.50" not in text  # a one-day January is not the worst month
    # with the whole range covered, the range runs over every month and names the last one
    text = part_text(business_part(Ctx(first="2025-01-01", last="2025-04-30")))  # type: ignore[arg-type]
    assert "ranges from 20.50 (2025-01) to 10,900.00 (2025-03); the last month, 2025-04" in text


def test_revenue_chart_drops_to_zero_and_marks_partial_weeks() -> None:
    import matplotlib.pyplot as plt

    from ducky.report.charts import revenue_figure

    fig = revenue_figure(business(), D(2025, 1, 31), D(2025, 4, 1))
    try:
        months, weeks = fig.axes
        fig.canvas.draw()
        # month labels as the tables write them, horizontal with 4 months
        assert [t.get_text() for t in months.get_xticklabels()] == [
            "2025-01", "2025-02", "2025-03", "2025-04",
        ]  # fmt: skip
        assert all(t.get_rotation() == 0 for t in months.get_xticklabels())
        # every week from the first to the last; no USD in 2025-02-10..: 0, not bridged
        line = weeks.get_lines()[0]
        ys = dict(zip(line.get_xdata(), line.get_ydata(), strict=True))
        assert len(ys) == 10 and ys[D(2025, 2, 10)] == 0 and ys[D(2025, 3, 3)] == 0
        # the partial weeks (2025-01-27 starts before the data, 2025-03-31 holds 2 days)
        (dots,) = weeks.collections
        assert len(dots.get_offsets()) == 2
        assert "partial week" in weeks.get_title() and "USD" in weeks.get_title()
        assert months.get_ylim()[0] == 0 and weeks.get_ylim()[0] == 0
        assert any("EUR" in t.get_text() for t in fig.texts)  # the other currency, said
    finally:
        plt.close(fig)


@pytest.mark.parametrize("peak", [3, 230])
def test_wau_axis_starts_at_zero_with_whole_users(peak: int) -> None:
    import matplotlib.pyplot as plt

    from ducky.report.charts import wau_figure

    weeks = [D(2025, 1, 6) + dt.timedelta(days=7 * i) for i in range(5)]
    fig = wau_figure(
        weeks, [peak // 3 + 1, peak, peak - 1, peak // 2 + 1, 1], [False] + [True] * 3 + [False]
    )
    try:
        ax = fig.axes[0]
        fig.canvas.draw()
        ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
        assert ax.get_ylim()[0] == 0
        assert all(float(t).is_integer() for t in ticks), ticks
    finally:
        plt.close(fig)
