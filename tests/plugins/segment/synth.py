"""A small, hand-built persona dataset for the segmentation tests (independent of the project's
generator): each user searches with the vocabulary of one persona and views/buys matching
products; budget users search for deals across every category and pick the cheapest items."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from ducky.datasets import DatasetWriter

CATEGORIES = {
    "electronics": (
        [
            "laptop",
            "wireless earbuds",
            "4k monitor",
            "mechanical keyboard",
            "gaming mouse",
            "smartphone",
            "usb c charger",
            "graphics card",
        ],
        300.0,
    ),
    "fashion": (
        [
            "summer dress",
            "leather jacket",
            "white sneakers",
            "denim jeans",
            "silk scarf",
            "designer handbag",
            "wool coat",
            "ankle boots",
        ],
        80.0,
    ),
    "sports": (
        [
            "yoga mat",
            "adjustable dumbbells",
            "running shoes",
            "protein powder",
            "resistance bands",
            "fitness tracker",
            "gym bag",
            "foam roller",
        ],
        60.0,
    ),
    "home": (
        [
            "nonstick frying pan",
            "espresso machine",
            "chef knife",
            "air fryer",
            "cotton bed sheets",
            "cast iron skillet",
            "blender",
            "throw pillows",
        ],
        90.0,
    ),
    "beauty": (
        [
            "vitamin c serum",
            "face moisturizer",
            "matte lipstick",
            "hair conditioner",
            "sunscreen spf 50",
            "eyeshadow palette",
            "perfume",
            "retinol cream",
        ],
        40.0,
    ),
}
PERSONA_CATEGORY = {
    "tech_enthusiast": "electronics",
    "fashion_oriented": "fashion",
    "fitness_focused": "sports",
    "home_kitchen": "home",
    "beauty_care": "beauty",
}
PERSONAS = (*PERSONA_CATEGORY, "budget_conscious")
MODIFIERS = ["best", "new", "top rated", "premium", "", "", "reviews", "2025"]
BUDGET = ["cheap", "discount", "clearance", "budget", "deal on", "lowest price", "sale"]


def build(path: Path, users: int = 300, seed: int = 7, per_user: int = 8) -> Path:
    """Write a data directory with users, products, events, search_logs and truth/personas."""
    rnd = random.Random(seed)
    products = []
    by_cat: dict[str, list[tuple[int, float]]] = {}
    pid = 1
    for cat, (_items, base) in CATEGORIES.items():
        for _ in range(40):
            price = round(base * rnd.lognormvariate(0, 0.6), 2)
            products.append(
                {
                    "product_id": pid,
                    "category": cat,
                    "price": Decimal(f"{price:.2f}"),
                    "name": f"{cat} item {pid}",
                }
            )
            by_cat.setdefault(cat, []).append((pid, price))
            pid += 1
    start = dt.datetime(2025, 1, 1)
    u_rows, e_rows, s_rows, truth = [], [], [], []
    for uid in range(1, users + 1):
        persona = PERSONAS[(uid - 1) % len(PERSONAS)]
        truth.append({"user_id": uid, "persona": persona})
        u_rows.append(
            {
                "user_id": uid,
                "signup_date": dt.date(2024, 12, 1),
                "country": "US",
                "name": None,
                "age": None,
                "gender": None,
                "location": None,
                "plan": None,
                "device": None,
            }
        )
        for _ in range(per_user):
            ts = start + dt.timedelta(minutes=rnd.randrange(0, 60 * 24 * 85))
            if persona == "budget_conscious":
                cat = rnd.choice(list(CATEGORIES))
                q = f"{rnd.choice(BUDGET)} {rnd.choice(CATEGORIES[cat][0])}"
                pool = sorted(by_cat[cat], key=lambda p: p[1])[:10]
            else:
                cat = PERSONA_CATEGORY[persona]
                q = f"{rnd.choice(MODIFIERS)} {rnd.choice(CATEGORIES[cat][0])}"
                pool = by_cat[cat]
            if rnd.random() < 0.3:
                q = q.upper() + "  "  # the same query in another case: normalization matters
            clicked = [rnd.choice(pool)[0]] if rnd.random() < 0.6 else []
            s_rows.append(
                {
                    "user_id": uid,
                    "search_query": q.strip() if rnd.random() < 0.5 else q,
                    "clicked_product_ids": clicked,
                    "timestamp": ts,
                }
            )
            for _ in range(2):
                p = rnd.choice(pool)[0]
                e_rows.append(
                    {
                        "user_id": uid,
                        "event_type": "viewed",
                        "product_id": p,
                        "timestamp": ts + dt.timedelta(seconds=30),
                    }
                )
            if rnd.random() < 0.3:
                e_rows.append(
                    {
                        "user_id": uid,
                        "event_type": "purchased",
                        "product_id": rnd.choice(pool)[0],
                        "timestamp": ts + dt.timedelta(minutes=5),
                    }
                )
    with DatasetWriter(
        path, producer="tests.plugins.segment.synth", parameters={"users": users}
    ) as w:
        w.write_table("users", pa.Table.from_pylist(u_rows))
        w.write_table("products", pa.Table.from_pylist(products))
        for month in ("2025-01", "2025-02", "2025-03"):

            def in_month(r: dict, m: str = month) -> bool:
                return r["timestamp"].strftime("%Y-%m") == m

            ev = [r for r in e_rows if in_month(r)]
            sl = [r for r in s_rows if in_month(r)]
            if ev:
                w.write_partition("events", month, pa.Table.from_pylist(ev))
            if sl:
                w.write_partition("search_logs", month, pa.Table.from_pylist(sl))
        w.write_truth("personas", pa.Table.from_pylist(truth))
    return path
