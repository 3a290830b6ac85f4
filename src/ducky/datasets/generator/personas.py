"""Shopper personas (shopping styles): which categories they browse, how much they pay, how
often they search and buy. What they type in the search box is in searches.py.

This module is the generator's private business: analytics (the segmentation plugin) must
never import it; only `truth/personas.parquet` tells which persona each user was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ducky.datasets.generator.catalog import CATEGORIES, CATEGORY_INDEX

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
        30,
        0.85,
    ),
)
assert tuple(p.name for p in PERSONA_SPECS) == PERSONAS

# Search mix per user: own interest(s), generic, and a secondary interest (see searches.py).
OWN_SHARE, GENERIC_SHARE, SECONDARY_SHARE = 0.78, 0.14, 0.08


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
