"""What each segment of the last `ducky segment` run means for the business, in words a manager
reads: a human name, its value in the shop's largest currency, a reading built only from the
figures it cites, and an action that follows from that reading.

The brief lists some segments (the largest by revenue, then the largest by users); the
evidence page (`business_section.render_segment_value`) lists every segment with the same
figures, reading and action, and says how both were decided (`RULES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ducky.report import fmt

if TYPE_CHECKING:
    from ducky.report.business import Business, SegmentValue

BRIEF_BY_REVENUE = 3  # the brief lists the segments with the most revenue ...
BRIEF_BY_USERS = 4  # ... and the largest by users (a segment may be both)
AOV_BAND = 0.15  # an AOV within +-15 % of the shop's is "about average"
MIN_ORDERS = 20  # fewer orders than this: too few to judge a segment's basket size
MIN_DEAL_TERMS = 2  # deal words among the top search terms to read a segment as price-sensitive
PRICE_LEVEL = 0.5  # |viewed-price level| from this on: cheaper / pricier products than most
DEAL_WORDS = frozenset(
    {"cheap", "cheaper", "cheapest", "deal", "deals", "discount", "discounts", "coupon", "coupons",
     "sale", "clearance", "affordable", "budget", "bargain", "bargains", "used", "refurbished",
     "outlet", "offer", "offers", "promo"}
)  # fmt: skip
WORDS = {"womens": "women's", "mens": "men's", "pc": "PC", "diy": "DIY", "tv": "TV"}

RULES = (
    f"How the brief picks and reads segments: it lists the {BRIEF_BY_REVENUE} segments with the "
    f"most revenue in the shop's largest currency and the {BRIEF_BY_USERS} with the most users "
    "(a segment can be both). Basket size compares the segment's AOV with the shop's: within "
    f"\u00b1{100 * AOV_BAND:.0f} % is average, judged only from {MIN_ORDERS} or more orders. "
    f"Price-sensitive only when at least {MIN_DEAL_TERMS} of the segment's top 8 search terms "
    "are deal words (cheap, deal, discount, coupon, affordable, budget, used, ...) or the "
    "segment is named for deal hunting. Viewed-price level: the segment's average (log) price "
    "of the products its users viewed, in standard deviations of all users (0 = typical; "
    f"\u00b1{PRICE_LEVEL} or more reads as cheaper / pricier)."
)


def _words(ident: str) -> list[str]:
    return [WORDS.get(w, w) for w in ident.split("_") if w]


def _title(words: list[str]) -> str:
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def human_name(s: dict[str, Any]) -> str:
    """`womens_fashion` -> "Women's fashion", `terms_baby_monitor` -> "Unnamed group (top
    searches "baby", "monitor")", `other_language` -> "Shoppers searching in other languages"."""
    ident = str(s.get("segment") or "")
    kind = s.get("kind")
    if kind == "other_language" or ident == "other_language":
        return "Shoppers searching in other languages"
    if kind == "terms" or ident.startswith(("terms_", "segment_")):
        terms = [str(t) for t in (s.get("top_terms") or [])][:2]
        if not terms and ident.startswith("terms_"):
            terms = ident.removeprefix("terms_").split("_")[:2]
        quoted = ", ".join("\u201c" + t + "\u201d" for t in terms)
        return f"Unnamed group (top searches {quoted})" if terms else "Unnamed group"
    parts = [str(p) for p in (s.get("parts") or [])]
    if kind == "mixed" and len(parts) >= 2:
        return _title(_words(parts[0])) + " + " + " ".join(_words(parts[1]))
    base = str(s.get("label") or s.get("group") or "") if kind in ("label", "group") else ""
    if base and ident != base and ident.startswith(base + "_"):
        extra = ident.removeprefix(base + "_").replace("_", " ")
        return f"{_title(_words(base))} ({extra})"
    return _title(_words(base or ident))


def _topic(s: dict[str, Any]) -> str:
    """What an action is about, as a noun phrase: the category in words, or (for a segment no
    category fits) products like its most representative search."""
    kind = s.get("kind")
    if kind == "other_language":
        return "the products they buy"
    if kind == "terms":
        queries = [str(q) for q in (s.get("representative_queries") or [])][:1]
        return f"products like \u201c{queries[0]}\u201d" if queries else "their searches"
    parts = [str(p) for p in (s.get("parts") or [])]
    if kind == "mixed" and len(parts) >= 2:
        return " and ".join(" ".join(_words(p)) for p in parts[:2])
    return " ".join(_words(str(s.get("label") or s.get("group") or s.get("segment") or "")))


@dataclass(frozen=True)
class Reading:
    ident: str  # the segment run's name (the "User segments" table's)
    name: str  # in words
    users: int
    share: float  # of all segmented users
    value: SegmentValue | None  # in the shop's largest currency; None: no purchase in it
    currency: str | None
    revenue_share: float | None  # of the shop's revenue in that currency
    shop_aov: float
    price_level: float | None
    deal_terms: tuple[str, ...]
    reading: str
    action: str

    @property
    def revenue(self) -> float:
        return self.value.revenue if self.value else 0.0


def _deal_terms(s: dict[str, Any]) -> tuple[str, ...]:
    terms = [str(t) for t in (s.get("top_terms") or [])][:8]
    return tuple(t for t in terms if t.lower() in DEAL_WORDS)


def _is_deal_segment(s: dict[str, Any]) -> bool:
    names = {str(s.get("segment")), str(s.get("label")), *(str(p) for p in s.get("parts") or [])}
    return "budget_deals" in names


def read_segment(
    s: dict[str, Any],
    v: SegmentValue | None,
    shop_aov: float,
    total_users: int,
    shop_revenue: float,
    languages: list[str] | None = None,
) -> Reading:
    """A segment's reading and action, each from the figures it states."""
    users = int(s.get("users") or 0)
    topic = _topic(s)
    pz = s.get("price_z")
    level = float(pz) if isinstance(pz, int | float) else None
    deals = _deal_terms(s)
    orders = v.orders if v else 0
    aov = v.aov if v else 0.0
    said: list[str] = []
    if _is_deal_segment(s) or len(deals) >= MIN_DEAL_TERMS:
        said.append(
            "price-sensitive: "
            + (
                f"deal words among its top searches ({', '.join(deals)})"
                if len(deals) >= MIN_DEAL_TERMS
                else "named for deal-hunting searches"
            )
        )
        if _is_deal_segment(s):
            topic = "the products they view"
        action = f"reach them with deals and price-drop alerts on {topic}, not site-wide discounts"
    else:
        action = ""
    if not orders:
        said.append("no purchases yet")
        basket = None
    elif orders < MIN_ORDERS or not shop_aov:
        said.append(f"too few orders ({fmt.count(orders)}) to judge basket size")
        basket = None
    else:
        ratio = aov / shop_aov
        basket = "larger" if ratio >= 1 + AOV_BAND else "smaller" if ratio <= 1 - AOV_BAND else ""
        vs = f"AOV {fmt.money(aov)} vs {fmt.money(shop_aov)} shop-wide"
        said.append(f"{basket} baskets ({vs})" if basket else f"average basket size ({vs})")
    if level is not None and abs(level) >= PRICE_LEVEL:
        said.append(
            f"views {'pricier' if level > 0 else 'cheaper'} products "
            f"(viewed-price level {level:+.2f})"
        )
    if not action:
        if basket == "larger":
            action = f"keep them with early access and loyalty perks on {topic}, not discounts"
        elif basket == "smaller":
            action = (
                f"raise the basket with bundles around {topic} and a free-shipping threshold "
                f"above {fmt.money(aov)}"
            )
        elif basket == "":
            action = f"cross-sell related products next to {topic} in recommendations and email"
        else:
            action = f"too little purchase data to invest yet: test one email on {topic} first"
    if s.get("kind") == "other_language":
        where = ", ".join(languages or []) or "their languages"
        action = (
            f"check search results and product pages in {where} (these users do not search "
            f"in English); then {action}"
        )
    reading = "; ".join(said)
    return Reading(
        ident=str(s.get("segment")),
        name=human_name(s),
        users=users,
        share=users / total_users if total_users else 0.0,
        value=v,
        currency=v.currency if v else None,
        revenue_share=(v.revenue / shop_revenue) if v and shop_revenue else None,
        shop_aov=shop_aov,
        price_level=level,
        deal_terms=deals,
        reading=reading[:1].upper() + reading[1:],
        action=action,
    )


def readings(doc: dict[str, Any] | None, business: Business) -> list[Reading]:
    """Every segment of the run, largest by users first."""
    segs = doc.get("segments") if doc else None
    if not doc or not isinstance(segs, list):
        return []
    main = business.totals[0] if business.totals else None
    value = {
        v.segment: v
        for v in business.by_segment
        if main is not None and v.currency == main.currency and v.orders
    }
    rows = [s for s in segs if isinstance(s, dict) and "segment" in s]
    total = sum(int(s.get("users") or 0) for s in rows)
    langs = doc.get("languages") or {}
    by_lang = langs.get("queries_by_language") if isinstance(langs, dict) else None
    languages = sorted(by_lang) if isinstance(by_lang, dict) else []
    out = [
        read_segment(
            s,
            value.get(str(s["segment"])),
            main.aov if main else 0.0,
            total,
            main.revenue if main else 0.0,
            languages,
        )
        for s in rows
    ]
    return sorted(out, key=lambda r: (-r.users, r.ident))


def holding_groups(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Users the run set aside (searching in languages the model does not read): listed under
    `holding_groups`, never as a segment (older runs listed them as the `other_language`
    segment, which is read as one)."""
    groups = doc.get("holding_groups") if doc else None
    return [g for g in groups or [] if isinstance(g, dict) and "segment" in g]


def holding_sentence(g: dict[str, Any]) -> str:
    by_lang = g.get("users_by_language")
    langs = (
        " (" + ", ".join(f"{k} {int(v):,}" for k, v in by_lang.items()) + ")"
        if isinstance(by_lang, dict) and by_lang
        else ""
    )
    return (
        f"{int(g.get('users') or 0):,} users searching mostly in other languages{langs} are "
        "set aside, not a segment: the model reads English, so their searches were neither "
        "grouped nor named"
    )


def for_brief(all_readings: list[Reading]) -> list[Reading]:
    """The segments with the most revenue (most first), then the largest by users."""
    by_rev = [r for r in sorted(all_readings, key=lambda r: (-r.revenue, r.ident)) if r.revenue]
    picked = by_rev[:BRIEF_BY_REVENUE]
    for r in all_readings[:BRIEF_BY_USERS]:  # already largest first
        if r not in picked:
            picked.append(r)
    return picked


def line(r: Reading) -> str:
    """A segment in one line: who, how many, what they bring, what it means, what to do."""
    text = f"{r.name}: {fmt.count(r.users)} users ({fmt.pct(r.share)})"
    if r.value is not None:
        text += f", revenue {fmt.money(r.value.revenue)}"
        if r.revenue_share is not None:
            text += f" ({fmt.pct(r.revenue_share)} of the shop's)"
    return f"{text}. {r.reading}. Action: {r.action}."
