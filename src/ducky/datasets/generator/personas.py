"""Shopper personas: who searches for what, browses which categories, and pays how much.

This module is the generator's private business: analytics (the segmentation plugin) must
never import it; only `truth/personas.parquet` tells which persona each user was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ducky.datasets.generator.catalog import CATEGORIES, CATEGORY_INDEX, ITEM_CATEGORY, ITEMS

PERSONAS: tuple[str, ...] = (
    "tech_enthusiast",
    "budget_conscious",
    "fashion_oriented",
    "fitness_focused",
    "home_kitchen",
    "beauty_care",
)


@dataclass(frozen=True)
class Persona:
    name: str
    share: float  # of users
    categories: dict[str, float]  # where this persona browses and buys (relative weights)
    focus: float  # share of browsing inside `categories`; the rest follows the whole catalog
    price_exponent: float  # browse weight ∝ price ** -exponent (high = price sensitive)
    searches_per_session: float
    cart_rate: float  # per viewed product
    phrases: tuple[str, ...]  # persona-specific query templates ("{item} for gaming")
    age_mean: float
    female_share: float


PERSONA_SPECS: tuple[Persona, ...] = (
    Persona(
        "tech_enthusiast",
        0.20,
        {"Electronics": 3, "Computers": 3, "Phones & Accessories": 2.2, "Video Games": 1.8},
        0.8,
        -0.15,
        0.55,
        0.09,
        (
            "{item} for gaming",
            "{item} with usb-c",
            "{item} specs",
            "{item} vs",
            "latest {item}",
            "{item} 4k",
        ),
        31,
        0.3,
    ),
    Persona(
        "budget_conscious",
        0.18,
        {},  # browses the whole catalog, cheap end first
        0.0,
        1.4,
        0.6,
        0.08,
        (
            "cheap {item}",
            "{item} under $10",
            "{item} under $20",
            "{item} under $50",
            "discount {item}",
            "{item} deal",
            "budget {item}",
            "affordable {item}",
            "{item} clearance",
            "used {item}",
            "{item} coupon",
            "cheapest {item}",
        ),
        40,
        0.5,
    ),
    Persona(
        "fashion_oriented",
        0.18,
        {"Women's Fashion": 3.5, "Men's Fashion": 2, "Shoes": 2.5, "Jewelry & Accessories": 2},
        0.8,
        0.1,
        0.5,
        0.11,
        (
            "{item} outfit",
            "trendy {item}",
            "{item} for women",
            "{item} for men",
            "{item} street style",
            "oversized {item}",
        ),
        29,
        0.7,
    ),
    Persona(
        "fitness_focused",
        0.14,
        {"Sports & Fitness": 4.5, "Outdoors": 2.5, "Health & Nutrition": 3},
        0.8,
        0.1,
        0.45,
        0.10,
        (
            "{item} for home gym",
            "{item} for beginners",
            "{item} for marathon training",
            "heavy duty {item}",
            "{item} workout",
        ),
        33,
        0.45,
    ),
    Persona(
        "home_kitchen",
        0.16,
        {"Home & Kitchen": 5.5, "Furniture & Decor": 3.5, "Grocery & Household": 1},
        0.8,
        0.2,
        0.45,
        0.10,
        (
            "{item} for small kitchen",
            "{item} set",
            "{item} dishwasher safe",
            "{item} for apartment",
            "stainless steel {item}",
        ),
        42,
        0.6,
    ),
    Persona(
        "beauty_care",
        0.14,
        {"Beauty": 5, "Skin & Hair Care": 5},
        0.8,
        0.2,
        0.5,
        0.11,
        (
            "{item} for sensitive skin",
            "vegan {item}",
            "{item} for dry skin",
            "cruelty free {item}",
            "{item} dupe",
            "long lasting {item}",
        ),
        30,
        0.85,
    ),
)
assert tuple(p.name for p in PERSONA_SPECS) == PERSONAS

# Queries everyone types, whatever their interests: they blur the personas on purpose.
GENERIC_QUERIES: tuple[str, ...] = (
    "gift ideas",
    "sale",
    "free shipping",
    "new arrivals",
    "best sellers",
    "gift card",
    "black friday deals",
    "christmas gifts",
    "birthday gift for her",
    "birthday gift for him",
    "deals of the day",
    "return policy",
    "track my order",
    "trending now",
    "top rated",
    "clearance",
)

# Templates every persona uses for its own items (weights relative to the plain item name).
COMMON_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{item}", 1.0),
    ("{plural}", 0.35),
    ("best {item}", 0.3),
    ("{item} review", 0.12),
    ("{item} sale", 0.1),
    ("new {item}", 0.08),
    ("cheap {item}", 0.05),
    ("{item} under $50", 0.04),
)
BRAND_WEIGHT = 0.7  # total weight of "{brand} {item}" queries per item
PHRASE_WEIGHT = 0.5  # total weight of the persona's own phrases per item
TYPO_WEIGHT = 0.12  # per typo variant (two per item)

# Search mix per user: own persona, generic, and a secondary interest (another persona).
OWN_SHARE, GENERIC_SHARE, SECONDARY_SHARE = 0.78, 0.14, 0.08


def plural(item: str) -> str:
    if item.endswith(("s", "x", "ch", "sh")):
        return item if item.endswith("s") else item + "es"
    if item.endswith("y") and item[-2:-1] not in "aeiou":
        return item[:-1] + "ies"
    return item + "s"


def typo(text: str, rng: np.random.Generator) -> str:
    """A plausible typing mistake: swapped, dropped or doubled letter."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[int(rng.integers(1, len(letters) - 1))]
    kind = int(rng.integers(0, 3))
    if kind == 0 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def persona_items(p: Persona, rng: np.random.Generator) -> list[tuple[int, float]]:
    """(item index, weight) pairs a persona searches for."""
    if p.categories:
        total = sum(p.categories.values())
        out = []
        for cat, w in p.categories.items():
            c = CATEGORY_INDEX[cat]
            items = [k for k in range(len(ITEMS)) if ITEM_CATEGORY[k] == c]
            out += [(k, w / total / len(items)) for k in items]
        return out
    # Budget shoppers look for anything, with a tilt towards everyday goods.
    weights = []
    for k in range(len(ITEMS)):
        cat = CATEGORIES[ITEM_CATEGORY[k]]
        boost = 2.0 if cat.name in ("Grocery & Household", "Pet Supplies", "Toys & Kids") else 1.0
        weights.append((k, boost * cat.weight / len(cat.items)))
    total = sum(w for _, w in weights)
    return [(k, w / total) for k, w in weights]


@dataclass(frozen=True)
class QueryPools:
    """All query strings, grouped in pools (one per persona, then the generic pool).

    `cdf` holds each pool's cumulative weights shifted by the pool number, so one
    `searchsorted(cdf, pool + u)` draws from any mix of pools at once.
    """

    vocab: list[str]
    item: np.ndarray  # item index a query names, -1 for generic queries
    cheap: np.ndarray  # the query asks for low prices (clicks go to the cheap end)
    cdf: np.ndarray

    @property
    def generic_pool(self) -> int:
        return len(PERSONAS)

    def sample(self, rng: np.random.Generator, pool: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.cdf, pool + rng.random(len(pool)), side="right")
        return np.minimum(idx, len(self.vocab) - 1)


CHEAP_WORDS: tuple[str, ...] = (
    *("cheap", "under $", "discount", "deal", "budget", "affordable", "clearance"),
    *("used", "coupon", "sale"),
)


def build_query_pools(rng: np.random.Generator) -> QueryPools:
    vocab: list[str] = []
    items: list[int] = []
    weights: list[float] = []
    pool_of: list[int] = []

    def add(pool: int, text: str, item: int, weight: float) -> None:
        vocab.append(text)
        items.append(item)
        weights.append(weight)
        pool_of.append(pool)

    for pi, p in enumerate(PERSONA_SPECS):
        # Budget shoppers mostly phrase queries with price words; others mostly plain.
        phrase_weight = 3.0 if not p.categories else PHRASE_WEIGHT
        for k, w in persona_items(p, rng):
            item = ITEMS[k]
            cat = CATEGORIES[ITEM_CATEGORY[k]]
            for template, tw in COMMON_TEMPLATES:
                text = template.format(item=item, plural=plural(item))
                add(pi, text, k, w * tw * (0.4 if not p.categories else 1.0))
            for brand in cat.brands:
                add(pi, f"{brand.lower()} {item}", k, w * BRAND_WEIGHT / len(cat.brands))
            for phrase in p.phrases:
                add(pi, phrase.format(item=item), k, w * phrase_weight / len(p.phrases))
            for _ in range(2):
                add(pi, typo(item, rng), k, w * TYPO_WEIGHT)
    g = len(PERSONAS)
    for q in GENERIC_QUERIES:
        add(g, q, -1, 1.0)

    pool_arr = np.array(pool_of, dtype=np.int64)
    w_arr = np.array(weights)
    cdf = np.empty(len(w_arr))
    for pool in range(g + 1):
        sel = pool_arr == pool
        c = np.cumsum(w_arr[sel])
        cdf[sel] = pool + c / c[-1]
    cdf[np.r_[pool_arr[1:] != pool_arr[:-1], True]] = (
        pool_arr[np.r_[pool_arr[1:] != pool_arr[:-1], True]] + 1.0
    )  # exact pool ends, so pool + u (u < 1) never spills into the next pool
    cheap = np.array([any(w in q for w in CHEAP_WORDS) for q in vocab])
    return QueryPools(vocab=vocab, item=np.array(items, dtype=np.int64), cheap=cheap, cdf=cdf)


BROWSE_BINS = 1 << 18  # quantile resolution: a product with p < 1/BROWSE_BINS may be skipped


def browse_tables(category: np.ndarray, price: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Per persona, the products to browse as a quantile table: row i maps BROWSE_BINS equal
    slices of [0, 1) to products, so drawing a product is one gather instead of a binary
    search. P(product | persona) = share of its category for the persona x (popularity x
    price ** -exponent, normalised within the category).
    """
    n_cat = len(CATEGORIES)
    base_share = np.array([c.weight for c in CATEGORIES])
    base_share = base_share / base_share.sum()
    mid = (np.arange(BROWSE_BINS) + 0.5) / BROWSE_BINS
    out = np.empty((len(PERSONAS), BROWSE_BINS), dtype=np.int32)
    for pi, p in enumerate(PERSONA_SPECS):
        share = np.zeros(n_cat)
        total = sum(p.categories.values())
        for cat, cw in p.categories.items():
            share[CATEGORY_INDEX[cat]] = cw / total
        share = p.focus * share + (1.0 - p.focus) * base_share
        weight = popularity * price ** (-p.price_exponent)
        within = np.bincount(category, weights=weight, minlength=n_cat)
        prob = share[category] * weight / np.where(within[category] > 0, within[category], 1.0)
        cdf = np.cumsum(prob)
        out[pi] = np.minimum(np.searchsorted(cdf / cdf[-1], mid, side="right"), len(price) - 1)
    return out
