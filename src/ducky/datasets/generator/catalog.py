"""The catalog: categories, item types, brands and log-normal prices.

Products are built once per dataset (a few thousand rows, so plain Python is fine here).
Every product belongs to an item type ("air fryer"), and item types belong to categories;
search queries name item types, which is how a query leads to clicks on matching products.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Category:
    name: str
    median_price: float
    brands: tuple[str, ...]
    items: tuple[str, ...]
    weight: float = 1.0  # share of the catalog and of casual browsing


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Electronics",
        90,
        ("Sony", "Samsung", "JBL", "Bose", "Anker", "LG"),
        (
            "wireless headphones",
            "bluetooth speaker",
            "smart tv",
            "soundbar",
            "noise cancelling earbuds",
            "portable charger",
            "action camera",
            "smart home hub",
        ),
        1.3,
    ),
    Category(
        "Computers",
        220,
        ("Apple", "Dell", "Lenovo", "HP", "Asus", "Logitech"),
        (
            "gaming laptop",
            "mechanical keyboard",
            "4k monitor",
            "wireless mouse",
            "external ssd",
            "usb-c hub",
            "webcam",
            "graphics card",
        ),
        1.1,
    ),
    Category(
        "Phones & Accessories",
        45,
        ("Apple", "Samsung", "Google", "OnePlus", "Spigen", "Belkin"),
        (
            "smartphone",
            "phone case",
            "usb-c charger",
            "screen protector",
            "smartwatch",
            "wireless charger",
        ),
        1.1,
    ),
    Category(
        "Video Games",
        50,
        ("Nintendo", "PlayStation", "Xbox", "Razer", "SteelSeries"),
        ("gaming headset", "game controller", "gaming chair", "switch game", "vr headset"),
        0.8,
    ),
    Category(
        "Women's Fashion",
        38,
        ("Zara", "H&M", "Levi's", "Mango", "Free People"),
        (
            "summer dress",
            "maxi skirt",
            "denim jacket",
            "high waisted jeans",
            "silk blouse",
            "knit cardigan",
        ),
        1.2,
    ),
    Category(
        "Men's Fashion",
        42,
        ("Levi's", "Uniqlo", "Ralph Lauren", "Tommy Hilfiger", "Carhartt"),
        ("slim fit jeans", "linen shirt", "chino pants", "leather jacket", "hoodie", "polo shirt"),
        1.0,
    ),
    Category(
        "Shoes",
        75,
        ("Nike", "Adidas", "Converse", "Dr. Martens", "Steve Madden"),
        ("white sneakers", "ankle boots", "block heels", "loafers", "platform sandals"),
        0.9,
    ),
    Category(
        "Jewelry & Accessories",
        32,
        ("Pandora", "Fossil", "Ray-Ban", "Michael Kors", "Kate Spade"),
        ("gold necklace", "leather handbag", "sunglasses", "hoop earrings", "crossbody bag"),
        0.8,
    ),
    Category(
        "Sports & Fitness",
        35,
        ("Nike", "Under Armour", "Bowflex", "Gaiam", "Fitbit", "Reebok"),
        (
            "yoga mat",
            "adjustable dumbbells",
            "resistance bands",
            "running shoes",
            "foam roller",
            "kettlebell",
            "fitness tracker",
            "jump rope",
        ),
        1.0,
    ),
    Category(
        "Outdoors",
        60,
        ("The North Face", "Patagonia", "Coleman", "Osprey", "Yeti"),
        (
            "hiking boots",
            "camping tent",
            "insulated water bottle",
            "hiking backpack",
            "rain jacket",
        ),
        0.7,
    ),
    Category(
        "Health & Nutrition",
        28,
        ("Optimum Nutrition", "Garden of Life", "MyProtein", "Orgain"),
        ("whey protein", "pre workout", "creatine", "electrolyte powder", "protein bars"),
        0.7,
    ),
    Category(
        "Home & Kitchen",
        45,
        ("KitchenAid", "Instant Pot", "Ninja", "Le Creuset", "OXO", "Cuisinart"),
        (
            "air fryer",
            "stand mixer",
            "cast iron skillet",
            "coffee maker",
            "chef knife set",
            "nonstick pan set",
            "blender",
            "food storage containers",
        ),
        1.2,
    ),
    Category(
        "Furniture & Decor",
        110,
        ("IKEA", "West Elm", "Wayfair", "Pottery Barn"),
        ("throw pillows", "area rug", "bookshelf", "floor lamp", "bed sheets", "wall art"),
        0.9,
    ),
    Category(
        "Beauty",
        22,
        ("Maybelline", "L'Oreal", "Fenty Beauty", "NARS", "MAC", "e.l.f."),
        (
            "matte lipstick",
            "waterproof mascara",
            "liquid foundation",
            "eyeshadow palette",
            "makeup brushes",
            "setting spray",
        ),
        1.0,
    ),
    Category(
        "Skin & Hair Care",
        20,
        ("CeraVe", "The Ordinary", "Neutrogena", "La Roche-Posay", "Olaplex"),
        (
            "vitamin c serum",
            "moisturizer",
            "sunscreen spf 50",
            "retinol cream",
            "hair dryer",
            "sulfate free shampoo",
        ),
        1.0,
    ),
    Category(
        "Grocery & Household",
        11,
        ("Great Value", "Amazon Basics", "Kirkland", "Tide", "Bounty"),
        ("paper towels", "laundry detergent", "coffee beans", "snack variety pack", "trash bags"),
        1.0,
    ),
    Category(
        "Books",
        15,
        ("Penguin", "HarperCollins", "Scholastic"),
        ("mystery novel", "cookbook", "self help book", "kids picture book"),
        0.6,
    ),
    Category(
        "Toys & Kids",
        25,
        ("LEGO", "Hasbro", "Mattel", "Fisher-Price"),
        ("lego set", "board game", "stuffed animal", "baby monitor"),
        0.6,
    ),
    Category(
        "Pet Supplies",
        22,
        ("Purina", "KONG", "Blue Buffalo"),
        ("dog food", "cat litter", "dog toy", "pet bed"),
        0.5,
    ),
)

CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
CATEGORY_INDEX = {c.name: i for i, c in enumerate(CATEGORIES)}

# Item types, flattened: ITEMS[k] belongs to category ITEM_CATEGORY[k].
ITEMS: tuple[str, ...] = tuple(item for c in CATEGORIES for item in c.items)
ITEM_CATEGORY = np.array([ci for ci, c in enumerate(CATEGORIES) for _ in c.items], dtype=np.int64)
ITEM_INDEX = {item: k for k, item in enumerate(ITEMS)}

_MODEL_SUFFIXES = ("", " Pro", " Lite", " Max", " 2", " Plus", " Mini", " Classic", " Essential")


@dataclass(frozen=True)
class Catalog:
    """The products table plus the index arrays the event generator samples from.

    Products are numbered so that ids of one item type are contiguous and sorted by price:
    `item_start[k] .. item_start[k] + item_count[k]` are item k's product rows, cheapest first.
    """

    product_id: np.ndarray  # int64, row i has id i + 1
    category: np.ndarray  # category index per product
    item: np.ndarray  # item index per product
    price: np.ndarray  # float, 2 decimals
    popularity: np.ndarray  # relative weight when browsing
    item_start: np.ndarray
    item_count: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.product_id)

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        cents = np.rint(self.price * 100).astype(np.int64)
        prices = pa.array([Decimal(int(c)).scaleb(-2) for c in cents], type=pa.decimal128(12, 2))
        return pa.table(
            {
                "product_id": pa.array(self.product_id, pa.int64()),
                "category": pa.array([CATEGORY_NAMES[c] for c in self.category], pa.string()),
                "price": prices,
                "name": pa.array(self.names, pa.string()),
            }
        )


def build_catalog(rng: np.random.Generator, n: int) -> Catalog:
    """`n` products: every item type gets one before any gets a second (when n allows)."""
    n_items = len(ITEMS)
    item_weight = np.array([CATEGORIES[c].weight / len(CATEGORIES[c].items) for c in ITEM_CATEGORY])
    first = np.arange(min(n, n_items))
    if n < n_items:
        first = rng.permutation(n_items)[:n]
    extra = rng.choice(n_items, size=max(0, n - n_items), p=item_weight / item_weight.sum())
    item = np.concatenate([first, extra]).astype(np.int64)
    category = ITEM_CATEGORY[item]
    medians = np.array([CATEGORIES[c].median_price for c in category])
    # Each item type has its own typical price around its category's median.
    item_level = np.exp(rng.normal(0.0, 0.45, n_items))
    raw = medians * item_level[item] * np.exp(rng.normal(0.0, 0.55, n))
    # Shop prices: whole dollars minus a cent (x.99), at least 0.99.
    price = np.maximum(np.floor(raw), 1.0) - 0.01
    popularity = np.exp(rng.normal(0.0, 1.0, n))
    order = np.lexsort((price, item))
    item, category, price, popularity = (
        item[order],
        category[order],
        price[order],
        popularity[order],
    )
    item_count = np.bincount(item, minlength=n_items)
    item_start = np.concatenate([[0], np.cumsum(item_count)[:-1]])
    brand_pick = rng.integers(0, 1 << 30, n)
    model_pick = rng.integers(0, 1 << 30, n)
    names = []
    for i in range(n):
        cat = CATEGORIES[category[i]]
        brand = cat.brands[brand_pick[i] % len(cat.brands)]
        suffix = _MODEL_SUFFIXES[model_pick[i] % len(_MODEL_SUFFIXES)]
        names.append(f"{brand} {ITEMS[item[i]].title()}{suffix}")
    return Catalog(
        product_id=np.arange(1, n + 1, dtype=np.int64),
        category=category,
        item=item,
        price=price,
        popularity=popularity,
        item_start=item_start,
        item_count=item_count,
        names=names,
    )
