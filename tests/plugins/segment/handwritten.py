"""Hand-written search histories with a known answer per user: the evaluation that does not come
from ducky's generator. Written before the naming was tuned, and not edited to fit the code.

Each user: (user_id, answer, queries). `answer` is a label id from the shipped taxonomy
(`plugins/segment/data/labels.json`), `mixed:<a>+<b>` for a user with two interests (either
interest, or a segment called mixed, counts as right), or `lang:<code>:<interest>` for a user
who searches in another language (right when the user lands in the other-language group).
User ids are strings on purpose (seed 000's documents use ids like "abc123").
"""

from __future__ import annotations

USERS: list[tuple[str, str, list[str]]] = [
    # --- pets
    (
        "p01",
        "pets",
        [
            "grain free dog food",
            "dog leash retractable",
            "puppy chew toys",
            "dog bed large breed",
            "flea and tick collar dog",
        ],
    ),
    (
        "p02",
        "pets",
        [
            "cat litter clumping",
            "cat scratching post",
            "kitten food wet",
            "self cleaning litter box",
            "cat tree tower",
        ],
    ),
    (
        "p03",
        "pets",
        [
            "aquarium filter 20 gallon",
            "fish tank heater",
            "betta fish food",
            "aquarium gravel",
            "dog food",
        ],
    ),
    (
        "p04",
        "pets",
        ["dog harnes no pull", "dog treats training", "puppy pads", "dog shampoo", "dog crate"],
    ),
    (
        "p05",
        "pets",
        ["cat food salmon", "catnip toys", "cat carrier", "litter mat", "cat fountain water"],
    ),
    # --- baby
    (
        "b01",
        "baby",
        [
            "diapers size 2",
            "baby wipes sensitive",
            "baby formula",
            "baby monitor with camera",
            "crib mattress",
        ],
    ),
    (
        "b02",
        "baby",
        [
            "stroller lightweight",
            "infant car seat",
            "baby bottles anti colic",
            "pacifier 0-6 months",
            "diaper bag backpack",
        ],
    ),
    (
        "b03",
        "baby",
        [
            "breast pump electric",
            "nursing pillow",
            "newborn onesies",
            "baby swaddle",
            "diapers newborn",
        ],
    ),
    (
        "b04",
        "baby",
        [
            "toddler high chair",
            "baby gate stairs",
            "sippy cup",
            "teething toys baby",
            "baby bath tub",
        ],
    ),
    (
        "b05",
        "baby",
        ["diaper rash cream", "baby food pouches", "pram", "baby carrier wrap", "nursery glider"],
    ),
    # --- automotive
    (
        "a01",
        "automotive",
        [
            "synthetic motor oil 5w30",
            "oil filter",
            "brake pads front",
            "car battery",
            "wiper blades 24 inch",
        ],
    ),
    (
        "a02",
        "automotive",
        [
            "dash cam front and rear",
            "car phone mount",
            "tire pressure gauge",
            "car vacuum cordless",
            "jump starter",
        ],
    ),
    (
        "a03",
        "automotive",
        ["all season tires 17", "spark plugs", "headlight bulbs led", "car wax", "seat covers car"],
    ),
    (
        "a04",
        "automotive",
        ["truck bed liner", "tow hitch", "car floor mats", "engine air filter", "brake fluid"],
    ),
    # --- DIY / tools
    (
        "d01",
        "diy_tools",
        ["cordless drill 20v", "drill bit set", "impact driver", "tool box", "stud finder"],
    ),
    (
        "d02",
        "diy_tools",
        ["circular saw", "orbital sander", "wood screws", "workbench", "miter saw"],
    ),
    (
        "d03",
        "diy_tools",
        ["screwdriver set", "socket wrench set", "hammer", "tape measure", "level laser"],
    ),
    (
        "d04",
        "diy_tools",
        ["drywall anchors", "paint roller", "caulk gun", "ladder 6 ft", "pipe wrench"],
    ),
    # --- garden
    (
        "g01",
        "garden",
        ["lawn mower electric", "garden hose 50 ft", "grass seed", "weed killer", "leaf blower"],
    ),
    (
        "g02",
        "garden",
        ["tomato seeds", "raised garden bed", "potting soil", "plant pots", "pruning shears"],
    ),
    (
        "g03",
        "garden",
        ["compost bin", "garden gloves", "fertilizer for roses", "watering can", "hedge trimmer"],
    ),
    (
        "g04",
        "garden",
        [
            "patio furniture set",
            "garden hose reel",
            "bird feeder",
            "lawn sprinkler",
            "flower bulbs",
        ],
    ),
    # --- books
    (
        "k01",
        "books",
        [
            "mystery novels",
            "stephen king books",
            "kindle paperwhite",
            "bestseller fiction 2024",
            "book light",
        ],
    ),
    (
        "k02",
        "books",
        ["fantasy book series", "hardcover books", "biography", "manga box set", "bookmarks"],
    ),
    ("k03", "books", ["cookbook", "self help books", "history books", "audiobook", "poetry book"]),
    (
        "k04",
        "books",
        [
            "children's picture books",
            "harry potter box set",
            "novel",
            "ebook reader",
            "graphic novels",
        ],
    ),
    # --- PC building / gaming hardware
    (
        "t01",
        "pc_components",
        ["rtx 4070", "ryzen 7 7800x3d", "b650 motherboard", "ddr5 32gb ram", "nvme ssd 2tb"],
    ),
    (
        "t02",
        "pc_components",
        ["1000w psu", "pc case airflow", "cpu cooler aio", "graphics card", "thermal paste"],
    ),
    (
        "t03",
        "pc_components",
        ["rtx 4090", "intel i9", "z790 motherbord", "ssd 1tb", "case fans rgb"],
    ),
    # --- video games
    (
        "v01",
        "video_games",
        ["ps5 console", "ps5 controller", "elden ring", "gaming headset", "playstation plus"],
    ),
    (
        "v02",
        "video_games",
        [
            "nintendo switch oled",
            "zelda tears of the kingdom",
            "mario kart",
            "switch pro controller",
            "switch case",
        ],
    ),
    (
        "v03",
        "video_games",
        ["xbox series x", "game pass", "call of duty", "xbox controller", "gaming chair"],
    ),
    # --- fitness
    (
        "f01",
        "fitness",
        [
            "adjustable dumbbells",
            "yoga mat thick",
            "resistance bands",
            "protein powder whey",
            "kettlebell 16kg",
        ],
    ),
    ("f02", "fitness", ["pull up bar", "creatine", "weight bench", "gym gloves", "foam roller"]),
    (
        "f03",
        "fitness",
        ["treadmill", "exercise bike", "jump rope", "protien bars", "workout leggings"],
    ),
    ("f04", "fitness", ["yoga blocks", "pilates ring", "ab roller", "gym bag", "shaker bottle"]),
    # --- skincare / makeup
    (
        "s01",
        "skincare",
        [
            "vitamin c serum",
            "moisturizer for dry skin",
            "sunscreen spf 50",
            "retinol cream",
            "gentle cleanser",
        ],
    ),
    (
        "s02",
        "skincare",
        ["hyaluronic acid serum", "niacinamide", "eye cream", "face toner", "acne spot treatment"],
    ),
    (
        "s03",
        "makeup",
        [
            "matte lipstick",
            "mascara waterproof",
            "foundation for oily skin",
            "eyeshadow palette",
            "makeup brushes",
        ],
    ),
    ("s04", "makeup", ["concealer", "setting spray", "blush", "eyeliner pen", "makeup sponge"]),
    # --- women's fashion
    (
        "w01",
        "womens_fashion",
        ["summer dress", "maxi skirt", "womens blouse", "high waisted jeans", "cardigan"],
    ),
    (
        "w02",
        "womens_fashion",
        ["floral dress", "leather handbag", "womens trench coat", "silk blouse", "midi skirt"],
    ),
    (
        "w03",
        "womens_fashion",
        [
            "little black dress",
            "crossbody bag",
            "womens leggings",
            "knit sweater women",
            "wrap dress",
        ],
    ),
    # --- kitchen
    (
        "c01",
        "kitchen",
        ["nonstick frying pan", "chef knife", "air fryer", "cutting board", "cast iron skillet"],
    ),
    (
        "c02",
        "kitchen",
        ["stand mixer", "baking sheet", "measuring cups", "blender", "food storage containers"],
    ),
    ("c03", "kitchen", ["instant pot", "dutch oven", "knife set", "spatula set", "toaster"]),
    # --- coffee
    (
        "e01",
        "coffee_tea",
        [
            "espresso machine",
            "coffee beans whole",
            "coffee grinder burr",
            "milk frother",
            "nespresso pods",
        ],
    ),
    (
        "e02",
        "coffee_tea",
        ["green tea", "loose leaf tea", "french press", "cold brew coffee", "matcha powder"],
    ),
    # --- travel
    (
        "r01",
        "travel",
        [
            "carry on suitcase",
            "packing cubes",
            "travel adapter",
            "neck pillow travel",
            "passport holder",
        ],
    ),
    (
        "r02",
        "travel",
        [
            "luggage set",
            "hard shell suitcase",
            "toiletry bag travel",
            "luggage tags",
            "travel backpack",
        ],
    ),
    # --- camping / outdoor
    (
        "o01",
        "outdoor_camping",
        ["4 person tent", "sleeping bag", "camping stove", "headlamp", "hiking boots"],
    ),
    (
        "o02",
        "outdoor_camping",
        ["backpacking tent", "trekking poles", "water filter hiking", "camping chair", "cooler"],
    ),
    # --- budget / deal seekers (no single product domain)
    (
        "x01",
        "budget_deals",
        [
            "cheap headphones",
            "clearance sale",
            "discount shoes",
            "coupon code",
            "cheapest phone case",
        ],
    ),
    (
        "x02",
        "budget_deals",
        ["deals under 20", "bargain bin", "cheap kitchen stuff", "sale items", "affordable dress"],
    ),
    # --- mixed users (two interests)
    (
        "m01",
        "mixed:pets+baby",
        ["dog food", "baby wipes", "dog leash", "diapers size 3", "puppy toys", "stroller"],
    ),
    (
        "m02",
        "mixed:pc_components+fitness",
        ["rtx 4070", "protein powder", "ddr5 ram", "dumbbells", "ssd", "yoga mat"],
    ),
    (
        "m03",
        "mixed:garden+diy_tools",
        ["lawn mower", "cordless drill", "garden hose", "saw", "seeds"],
    ),
    (
        "m04",
        "mixed:books+coffee_tea",
        ["novel", "coffee beans", "kindle", "espresso machine", "mystery books"],
    ),
    (
        "m05",
        "mixed:makeup+womens_fashion",
        ["lipstick", "summer dress", "mascara", "handbag", "blouse"],
    ),
    (
        "m06",
        "mixed:automotive+outdoor_camping",
        ["car battery", "tent", "motor oil", "sleeping bag", "tires"],
    ),
    # --- other languages
    (
        "l01",
        "lang:fr:pets",
        ["nourriture pour chien", "croquettes pour chat", "litière pour chat", "laisse pour chien"],
    ),
    (
        "l02",
        "lang:fr:baby",
        ["couches pour bébé", "poussette légère", "lait pour bébé", "siège auto bébé"],
    ),
    (
        "l03",
        "lang:es:fitness",
        [
            "mancuernas ajustables",
            "esterilla de yoga",
            "proteína en polvo",
            "bandas de resistencia para mujer",
        ],
    ),
    (
        "l04",
        "lang:es:kitchen",
        [
            "sartén antiadherente",
            "juego de cuchillos de cocina",
            "freidora de aire",
            "olla a presión",
        ],
    ),
    (
        "l05",
        "lang:de:diy_tools",
        [
            "akkuschrauber mit zubehör",
            "bohrmaschine für beton",
            "werkzeugkoffer",
            "schraubenzieher set",
        ],
    ),
    ("l06", "lang:ar:skincare", ["كريم مرطب للبشرة", "واقي شمس", "سيروم فيتامين سي", "غسول للوجه"]),
]
