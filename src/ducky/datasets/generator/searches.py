"""What shoppers type into the search box: interests, their wording, and who searches in which
language.

A user has one shopping style (personas.PERSONAS: how they browse, how much they pay, how often
they buy) and, within it, an *interest*: what they search for. Interests are finer than styles
(a budget shopper may be a new parent, a pet owner, a reader or a deal hunter; a home shopper a
cook, a DIY renovator or a gardener), so the search box is not a copy of the six styles.

The wording here was written as shoppers type it (product names, model numbers, brands, sizes,
"for my puppy", typos, French/Spanish/German), independently of any analytics: the segmentation
plugin must never import this module, and only `truth/personas.parquet` (columns `interest`,
`interest2`, `language`) tells which interest each user was given.

Everything random here has its own streams (the interest stream for users, the query stream for
the vocabulary), and choosing a search draws the same random numbers as before, so the users,
products and the number, kinds and times of events do not depend on this vocabulary; only which
product a search's click lands on does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ducky.datasets.generator.catalog import CATEGORIES, ITEM_CATEGORY, ITEM_INDEX, ITEMS
from ducky.datasets.generator.personas import PERSONAS, typo

LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "de")
# Users in these countries search in the country's language with this probability (the rest
# type English, as many do in shops with an English catalog).
COUNTRY_LANGUAGE: dict[str, tuple[str, float]] = {
    "FR": ("fr", 0.45),
    "ES": ("es", 0.5),
    "DE": ("de", 0.4),
    "CA": ("fr", 0.1),  # Quebec
}
MIXED_SHARE = 0.08  # users with two interests, searched about equally
TYPOS_PER_PHRASE = 1
Q = tuple[str, str | None]  # (query text, catalog item type it leads to, or None)


@dataclass(frozen=True)
class Interest:
    name: str
    style: str  # the shopping style (persona) whose browsing and prices it shares
    share: float  # of the style's users
    phrases: tuple[Q, ...]  # what they type most
    branded: tuple[Q, ...]  # brand and model queries
    templates: tuple[str, ...]  # their own ways of narrowing a search ("{q} for puppies")
    foreign: dict[str, tuple[Q, ...]]  # the same interest in French, Spanish, German


def _q(*pairs: str) -> tuple[Q, ...]:
    """'text=catalog item' or plain 'text' (no matching item type in the shop)."""
    out = []
    for p in pairs:
        text, _, item = p.partition("=")
        if item and item not in ITEM_INDEX:
            raise ValueError(f"unknown catalog item {item!r}")
        out.append((text, item or None))
    return tuple(out)


INTERESTS: tuple[Interest, ...] = (
    Interest(
        "pc_gamer",
        "tech_enthusiast",
        0.5,
        _q(
            "rtx 4070=graphics card",
            "rtx 4060 ti=graphics card",
            "graphics card 16gb=graphics card",
            "ryzen 7 7800x3d",
            "am5 motherboard",
            "ddr5 ram 32gb",
            "1440p 165hz monitor=4k monitor",
            "mechanical keyboard=mechanical keyboard",
            "gaming mouse=wireless mouse",
            "gaming headset=gaming headset",
            "ps5 controller=game controller",
            "xbox series x",
            "nintendo switch games=switch game",
            "gaming chair=gaming chair",
            "gaming pc build",
            "nvme ssd 2tb=external ssd",
            "cpu cooler",
            "gaming laptop rtx=gaming laptop",
        ),
        _q(
            "logitech g pro x superlight=wireless mouse",
            "razer blackwidow=mechanical keyboard",
            "steelseries arctis nova=gaming headset",
            "asus rog strix=gaming laptop",
            "zelda tears of the kingdom=switch game",
            "meta quest 3=vr headset",
            "corsair 4000d case",
        ),
        ("{q} for streaming", "{q} fps", "{q} rgb", "{q} for fortnite", "{q} benchmark"),
        {
            "fr": _q(
                "carte graphique rtx=graphics card",
                "clavier mécanique=mechanical keyboard",
                "souris gamer sans fil=wireless mouse",
                "casque gamer=gaming headset",
                "manette ps5=game controller",
                "écran pc gamer 144hz=4k monitor",
            ),
            "es": _q(
                "tarjeta gráfica rtx=graphics card",
                "teclado mecánico=mechanical keyboard",
                "ratón gaming inalámbrico=wireless mouse",
                "auriculares gaming con micro=gaming headset",
                "mando para ps5=game controller",
                "silla gamer ergonómica=gaming chair",
            ),
            "de": _q(
                "grafikkarte rtx=graphics card",
                "mechanische tastatur=mechanical keyboard",
                "gaming maus kabellos=wireless mouse",
                "gaming headset für ps5=gaming headset",
                "ps5 controller für pc=game controller",
                "gaming stuhl ergonomisch=gaming chair",
            ),
        },
    ),
    Interest(
        "gadget_fan",
        "tech_enthusiast",
        0.5,
        _q(
            "iphone 15 pro=smartphone",
            "galaxy s24=smartphone",
            "pixel 8=smartphone",
            "airpods pro=noise cancelling earbuds",
            "noise cancelling headphones=wireless headphones",
            "bluetooth speaker waterproof=bluetooth speaker",
            "magsafe charger=wireless charger",
            "65w usb c charger=usb-c charger",
            "power bank 20000mah=portable charger",
            "iphone case=phone case",
            "tempered glass screen protector=screen protector",
            "apple watch series 9=smartwatch",
            "smart tv 55 inch=smart tv",
            "soundbar with subwoofer=soundbar",
            "alexa echo dot=smart home hub",
            "gopro=action camera",
        ),
        _q(
            "sony wh-1000xm5=wireless headphones",
            "bose quietcomfort=wireless headphones",
            "jbl flip 6=bluetooth speaker",
            "anker nano charger=usb-c charger",
            "spigen case galaxy=phone case",
            "lg oled c3=smart tv",
        ),
        ("{q} 2024", "{q} battery life", "{q} vs", "{q} unboxing", "{q} for iphone"),
        {
            "fr": _q(
                "écouteurs sans fil réduction de bruit=noise cancelling earbuds",
                "coque iphone 15=phone case",
                "chargeur rapide usb c=usb-c charger",
                "enceinte bluetooth étanche=bluetooth speaker",
                "montre connectée pour homme=smartwatch",
                "batterie externe=portable charger",
            ),
            "es": _q(
                "auriculares inalámbricos con cancelación de ruido=wireless headphones",
                "funda para iphone=phone case",
                "cargador rápido usb c=usb-c charger",
                "altavoz bluetooth resistente al agua=bluetooth speaker",
                "reloj inteligente para mujer=smartwatch",
                "protector de pantalla cristal templado=screen protector",
            ),
            "de": _q(
                "kopfhörer mit geräuschunterdrückung=wireless headphones",
                "handyhülle iphone 15=phone case",
                "usb c ladegerät schnell=usb-c charger",
                "bluetooth lautsprecher wasserdicht=bluetooth speaker",
                "smartwatch für damen=smartwatch",
                "powerbank 20000mah für handy=portable charger",
            ),
        },
    ),
    Interest(
        "womens_style",
        "fashion_oriented",
        0.55,
        _q(
            "floral midi dress=summer dress",
            "wrap dress=summer dress",
            "linen dress=summer dress",
            "pleated maxi skirt=maxi skirt",
            "mom jeans=high waisted jeans",
            "wide leg jeans=high waisted jeans",
            "satin blouse=silk blouse",
            "cropped cardigan=knit cardigan",
            "oversized denim jacket=denim jacket",
            "block heel sandals=platform sandals",
            "strappy heels=block heels",
            "crossbody bag=crossbody bag",
            "gold hoop earrings=hoop earrings",
            "layered necklace=gold necklace",
            "tote bag leather=leather handbag",
        ),
        _q(
            "zara linen dress=summer dress",
            "free people maxi skirt=maxi skirt",
            "levis ribcage jeans=high waisted jeans",
            "mango blazer",
            "pandora charm bracelet=gold necklace",
            "kate spade purse=leather handbag",
        ),
        ("{q} for wedding guest", "{q} petite", "{q} plus size", "{q} outfit ideas", "{q} black"),
        {
            "fr": _q(
                "robe longue fleurie=summer dress",
                "jupe plissée=maxi skirt",
                "jean taille haute femme=high waisted jeans",
                "chemisier en soie=silk blouse",
                "sac à main en cuir=leather handbag",
                "boucles d'oreilles créoles=hoop earrings",
            ),
            "es": _q(
                "vestido largo de flores=summer dress",
                "falda plisada midi=maxi skirt",
                "vaqueros de tiro alto mujer=high waisted jeans",
                "blusa de seda=silk blouse",
                "bolso de piel para mujer=leather handbag",
                "pendientes de aro dorados=hoop earrings",
            ),
            "de": _q(
                "sommerkleid mit blumen=summer dress",
                "plisseerock midi=maxi skirt",
                "jeans mit hoher taille damen=high waisted jeans",
                "bluse aus seide=silk blouse",
                "handtasche aus leder=leather handbag",
                "creolen ohrringe gold=hoop earrings",
            ),
        },
    ),
    Interest(
        "streetwear_sneakers",
        "fashion_oriented",
        0.45,
        _q(
            "air force 1=white sneakers",
            "jordan 1 low=white sneakers",
            "samba og=white sneakers",
            "chelsea boots men=ankle boots",
            "heavyweight hoodie=hoodie",
            "cargo pants",
            "slim fit chinos=chino pants",
            "oxford shirt=linen shirt",
            "selvedge denim=slim fit jeans",
            "bomber jacket=leather jacket",
            "graphic tee",
            "aviator sunglasses=sunglasses",
            "polo shirt mens=polo shirt",
            "loafers men=loafers",
        ),
        _q(
            "nike dunk low=white sneakers",
            "new balance 550=white sneakers",
            "carhartt detroit jacket=leather jacket",
            "dr martens 1460=ankle boots",
            "uniqlo oxford shirt=linen shirt",
            "ralph lauren polo=polo shirt",
            "ray ban wayfarer=sunglasses",
        ),
        ("{q} size 11", "{q} restock", "{q} mens", "{q} on feet", "{q} fit guide"),
        {
            "fr": _q(
                "baskets blanches homme=white sneakers",
                "sweat à capuche oversize=hoodie",
                "pantalon chino homme=chino pants",
                "blouson en cuir homme=leather jacket",
                "bottines en cuir=ankle boots",
                "chemise en lin homme=linen shirt",
            ),
            "es": _q(
                "zapatillas blancas hombre=white sneakers",
                "sudadera con capucha=hoodie",
                "pantalón chino hombre=chino pants",
                "chaqueta de cuero hombre=leather jacket",
                "botines de piel=ankle boots",
                "camisa de lino para hombre=linen shirt",
            ),
            "de": _q(
                "weiße sneaker herren=white sneakers",
                "kapuzenpullover oversize=hoodie",
                "chinohose für herren=chino pants",
                "lederjacke herren=leather jacket",
                "chelsea boots aus leder=ankle boots",
                "leinenhemd für herren=linen shirt",
            ),
        },
    ),
    Interest(
        "gym_goer",
        "fitness_focused",
        0.55,
        _q(
            "adjustable dumbbells=adjustable dumbbells",
            "kettlebell 16kg=kettlebell",
            "whey isolate=whey protein",
            "creatine monohydrate=creatine",
            "pre workout=pre workout",
            "resistance bands set=resistance bands",
            "pull up bar",
            "weight bench",
            "lifting belt",
            "gym bag",
            "foam roller=foam roller",
            "protein bars=protein bars",
            "yoga mat thick=yoga mat",
            "jump rope=jump rope",
        ),
        _q(
            "bowflex selecttech 552=adjustable dumbbells",
            "optimum nutrition gold standard=whey protein",
            "myprotein impact whey=whey protein",
            "gaiam yoga mat=yoga mat",
            "fitbit charge 6=fitness tracker",
        ),
        ("{q} for home gym", "{q} for beginners", "{q} bulk", "{q} chocolate", "{q} 5lb"),
        {
            "fr": _q(
                "haltères réglables=adjustable dumbbells",
                "protéine whey=whey protein",
                "créatine monohydrate=creatine",
                "tapis de yoga épais=yoga mat",
                "élastiques de musculation=resistance bands",
                "banc de musculation",
            ),
            "es": _q(
                "mancuernas ajustables=adjustable dumbbells",
                "proteína whey=whey protein",
                "creatina monohidrato=creatine",
                "esterilla de yoga=yoga mat",
                "bandas elásticas de resistencia=resistance bands",
                "barra de dominadas para puerta",
            ),
            "de": _q(
                "verstellbare hanteln=adjustable dumbbells",
                "whey protein pulver=whey protein",
                "kreatin monohydrat=creatine",
                "yogamatte rutschfest=yoga mat",
                "fitnessbänder für das training=resistance bands",
                "klimmzugstange für die tür",
            ),
        },
    ),
    Interest(
        "hiker_camper",
        "fitness_focused",
        0.45,
        _q(
            "waterproof hiking boots=hiking boots",
            "trail runners=running shoes",
            "2 person tent=camping tent",
            "ultralight tent=camping tent",
            "sleeping bag 20 degree",
            "daypack 30l=hiking backpack",
            "hydration bladder=insulated water bottle",
            "rain shell jacket=rain jacket",
            "trekking poles",
            "headlamp",
            "camping stove",
            "merino wool socks",
            "electrolyte tablets=electrolyte powder",
        ),
        _q(
            "osprey talon 22=hiking backpack",
            "patagonia torrentshell=rain jacket",
            "north face thermoball",
            "coleman sundome=camping tent",
            "yeti rambler=insulated water bottle",
            "salomon x ultra=hiking boots",
        ),
        ("{q} for backpacking", "{q} for winter", "{q} lightweight", "{q} for thru hike"),
        {
            "fr": _q(
                "chaussures de randonnée imperméables=hiking boots",
                "tente de camping 2 places=camping tent",
                "sac à dos de randonnée=hiking backpack",
                "veste de pluie=rain jacket",
                "sac de couchage",
                "bâtons de marche",
            ),
            "es": _q(
                "botas de montaña impermeables=hiking boots",
                "tienda de campaña 2 personas=camping tent",
                "mochila de senderismo=hiking backpack",
                "chubasquero para montaña=rain jacket",
                "saco de dormir",
                "bastones de trekking",
            ),
            "de": _q(
                "wanderschuhe wasserdicht=hiking boots",
                "zelt für 2 personen=camping tent",
                "wanderrucksack 30l=hiking backpack",
                "regenjacke für damen=rain jacket",
                "schlafsack für den winter",
                "wanderstöcke aus carbon",
            ),
        },
    ),
    Interest(
        "home_cook",
        "home_kitchen",
        0.4,
        _q(
            "air fryer xl=air fryer",
            "dutch oven=cast iron skillet",
            "cast iron pan=cast iron skillet",
            "santoku knife=chef knife set",
            "knife block set=chef knife set",
            "ceramic nonstick pans=nonstick pan set",
            "stand mixer=stand mixer",
            "immersion blender=blender",
            "pour over coffee=coffee maker",
            "glass meal prep containers=food storage containers",
            "sheet pan",
            "instant read thermometer",
            "sourdough starter kit",
            "cutting board wood",
        ),
        _q(
            "kitchenaid artisan=stand mixer",
            "le creuset dutch oven=cast iron skillet",
            "ninja air fryer=air fryer",
            "instant pot duo=air fryer",
            "vitamix=blender",
            "oxo containers=food storage containers",
        ),
        ("{q} for small kitchen", "{q} dishwasher safe", "{q} recipes", "{q} induction"),
        {
            "fr": _q(
                "friteuse sans huile=air fryer",
                "poêle en fonte=cast iron skillet",
                "couteau de cuisine=chef knife set",
                "robot pâtissier=stand mixer",
                "batterie de cuisine antiadhésive=nonstick pan set",
                "boîtes de conservation en verre=food storage containers",
            ),
            "es": _q(
                "freidora de aire=air fryer",
                "sartén de hierro fundido=cast iron skillet",
                "juego de cuchillos de cocina=chef knife set",
                "batidora amasadora=stand mixer",
                "batería de cocina antiadherente=nonstick pan set",
                "táper de cristal=food storage containers",
            ),
            "de": _q(
                "heißluftfritteuse=air fryer",
                "gusseisenpfanne=cast iron skillet",
                "küchenmesser set=chef knife set",
                "küchenmaschine mit knethaken=stand mixer",
                "pfannenset für induktion=nonstick pan set",
                "frischhaltedosen aus glas=food storage containers",
            ),
        },
    ),
    Interest(
        "diy_renovator",
        "home_kitchen",
        0.3,
        _q(
            "cordless drill",
            "impact driver",
            "drill bit set",
            "circular saw",
            "stud finder",
            "laser level",
            "wood screws",
            "tile cutter",
            "orbital sander",
            "socket wrench set",
            "tool chest",
            "paint roller",
            "caulk gun",
            "ladder 6 ft",
            "wall anchors",
        ),
        _q(
            "dewalt 20v drill",
            "milwaukee m18 impact",
            "makita circular saw",
            "ryobi one+ kit",
            "bosch laser level",
            "craftsman tool set",
        ),
        ("{q} for drywall", "{q} brushless", "{q} kit with battery", "{q} for beginners diy"),
        {
            "fr": _q(
                "perceuse visseuse sans fil",
                "scie circulaire",
                "niveau laser",
                "coffret de tournevis",
                "ponceuse orbitale",
                "chevilles pour placo",
            ),
            "es": _q(
                "taladro percutor inalámbrico",
                "sierra circular",
                "nivel láser",
                "juego de destornilladores",
                "lijadora orbital",
                "tacos para pared de pladur",
            ),
            "de": _q(
                "akkuschrauber mit zwei akkus",
                "kreissäge",
                "kreuzlinienlaser",
                "schraubendreher set",
                "exzenterschleifer",
                "dübel für gipskarton",
            ),
        },
    ),
    Interest(
        "gardener",
        "home_kitchen",
        0.3,
        _q(
            "raised garden bed",
            "tomato seeds",
            "potting soil",
            "expandable garden hose",
            "pruning shears",
            "cordless lawn mower",
            "leaf blower",
            "terracotta pots",
            "drip irrigation kit",
            "compost bin",
            "hedge trimmer",
            "bird feeder",
            "patio furniture set",
        ),
        _q(
            "fiskars pruners",
            "miracle gro potting mix",
            "greenworks mower",
            "weber kettle grill",
            "gardena hose reel",
        ),
        ("{q} for vegetables", "{q} for small yard", "{q} organic", "{q} for balcony"),
        {
            "fr": _q(
                "graines de tomates",
                "terreau pour potager",
                "tuyau d'arrosage extensible",
                "sécateur de jardin",
                "tondeuse à gazon sans fil",
                "jardinière pour balcon",
            ),
            "es": _q(
                "semillas de tomate",
                "tierra para macetas",
                "manguera de jardín extensible",
                "tijeras de podar",
                "cortacésped inalámbrico",
                "jardinera para balcón",
            ),
            "de": _q(
                "tomatensamen für den balkon",
                "blumenerde für hochbeete",
                "gartenschlauch flexibel",
                "gartenschere",
                "akku rasenmäher",
                "hochbeet aus holz",
            ),
        },
    ),
    Interest(
        "makeup_lover",
        "beauty_care",
        0.5,
        _q(
            "matte liquid lipstick=matte lipstick",
            "lip liner",
            "waterproof mascara=waterproof mascara",
            "full coverage foundation=liquid foundation",
            "concealer",
            "neutral eyeshadow palette=eyeshadow palette",
            "cream blush",
            "setting powder",
            "setting spray=setting spray",
            "beauty blender=makeup brushes",
            "brush set=makeup brushes",
            "gel nail polish",
            "false lashes",
        ),
        _q(
            "fenty pro filtr foundation=liquid foundation",
            "maybelline sky high=waterproof mascara",
            "nars radiant creamy concealer",
            "mac ruby woo=matte lipstick",
            "elf power grip primer",
            "urban decay naked palette=eyeshadow palette",
        ),
        ("{q} for oily skin", "{q} shade match", "{q} dupe", "{q} long wear", "{q} tutorial"),
        {
            "fr": _q(
                "rouge à lèvres mat=matte lipstick",
                "mascara waterproof volume=waterproof mascara",
                "fond de teint couvrant=liquid foundation",
                "palette de fards à paupières=eyeshadow palette",
                "pinceaux de maquillage=makeup brushes",
                "vernis à ongles semi permanent",
            ),
            "es": _q(
                "pintalabios mate de larga duración=matte lipstick",
                "máscara de pestañas a prueba de agua=waterproof mascara",
                "base de maquillaje de alta cobertura=liquid foundation",
                "paleta de sombras de ojos=eyeshadow palette",
                "brochas de maquillaje=makeup brushes",
                "esmalte de uñas semipermanente",
            ),
            "de": _q(
                "matter lippenstift=matte lipstick",
                "wasserfeste wimperntusche=waterproof mascara",
                "deckende foundation für den sommer=liquid foundation",
                "lidschatten palette=eyeshadow palette",
                "pinselset für make-up=makeup brushes",
                "nagellack für gelnägel",
            ),
        },
    ),
    Interest(
        "skincare_fan",
        "beauty_care",
        0.5,
        _q(
            "vitamin c serum=vitamin c serum",
            "niacinamide serum=vitamin c serum",
            "hyaluronic acid serum=vitamin c serum",
            "gentle cleanser",
            "moisturizer for dry skin=moisturizer",
            "mineral sunscreen=sunscreen spf 50",
            "retinol cream=retinol cream",
            "eye cream",
            "sheet masks",
            "sulfate free shampoo=sulfate free shampoo",
            "hair mask for damaged hair",
            "ionic hair dryer=hair dryer",
            "scalp serum",
        ),
        _q(
            "cerave moisturizing cream=moisturizer",
            "the ordinary niacinamide=vitamin c serum",
            "la roche posay anthelios=sunscreen spf 50",
            "neutrogena hydro boost=moisturizer",
            "olaplex no 3",
            "dyson supersonic=hair dryer",
        ),
        ("{q} for sensitive skin", "{q} fragrance free", "{q} for acne", "{q} morning routine"),
        {
            "fr": _q(
                "sérum vitamine c=vitamin c serum",
                "crème hydratante peau sèche=moisturizer",
                "crème solaire visage spf 50=sunscreen spf 50",
                "nettoyant doux pour le visage",
                "shampooing sans sulfate=sulfate free shampoo",
                "sèche cheveux ionique=hair dryer",
            ),
            "es": _q(
                "sérum de vitamina c=vitamin c serum",
                "crema hidratante para piel seca=moisturizer",
                "protector solar facial spf 50=sunscreen spf 50",
                "limpiador facial suave",
                "champú sin sulfatos=sulfate free shampoo",
                "secador de pelo iónico=hair dryer",
            ),
            "de": _q(
                "vitamin c serum für das gesicht=vitamin c serum",
                "feuchtigkeitscreme für trockene haut=moisturizer",
                "sonnencreme für das gesicht lsf 50=sunscreen spf 50",
                "sanftes reinigungsgel",
                "shampoo ohne sulfate=sulfate free shampoo",
                "haartrockner ionen=hair dryer",
            ),
        },
    ),
    Interest(
        "deal_hunter",
        "budget_conscious",
        0.3,
        (),  # built from the whole catalog with price words (see _deal_queries)
        _q("amazon basics=paper towels", "great value=snack variety pack", "kirkland=trash bags"),
        (),
        {
            "fr": _q(
                "promo=paper towels",
                "bon plan lessive=laundry detergent",
                "pas cher casque bluetooth=wireless headphones",
                "soldes baskets=white sneakers",
                "code promo",
                "déstockage",
            ),
            "es": _q(
                "ofertas=paper towels",
                "detergente barato=laundry detergent",
                "auriculares baratos=wireless headphones",
                "rebajas zapatillas=white sneakers",
                "código de descuento",
                "outlet",
            ),
            "de": _q(
                "angebote der woche=paper towels",
                "waschmittel günstig=laundry detergent",
                "billige kopfhörer=wireless headphones",
                "sneaker im sale=white sneakers",
                "gutscheincode",
                "schnäppchen",
            ),
        },
    ),
    Interest(
        "pet_parent",
        "budget_conscious",
        0.25,
        _q(
            "grain free dog food=dog food",
            "puppy food=dog food",
            "wet cat food=dog food",
            "clumping cat litter=cat litter",
            "self cleaning litter box=cat litter",
            "chew toys for aggressive chewers=dog toy",
            "squeaky toys=dog toy",
            "orthopedic dog bed=pet bed",
            "cat tree",
            "no pull harness",
            "retractable leash",
            "flea and tick collar",
            "cat scratching post",
            "aquarium filter",
        ),
        _q(
            "purina pro plan=dog food",
            "blue buffalo puppy=dog food",
            "kong classic=dog toy",
            "fresh step litter=cat litter",
            "seresto collar",
        ),
        ("{q} for puppies", "{q} for large breeds", "{q} for senior cats", "{q} for my dog"),
        {
            "fr": _q(
                "croquettes pour chien=dog food",
                "litière pour chat=cat litter",
                "jouet pour chien=dog toy",
                "panier pour chien=pet bed",
                "arbre à chat",
                "harnais pour chien",
            ),
            "es": _q(
                "pienso para perros=dog food",
                "arena para gatos=cat litter",
                "juguetes para perros=dog toy",
                "cama para perro=pet bed",
                "rascador para gatos",
                "arnés para perro",
            ),
            "de": _q(
                "hundefutter getreidefrei=dog food",
                "katzenstreu klumpend=cat litter",
                "hundespielzeug=dog toy",
                "hundebett orthopädisch=pet bed",
                "kratzbaum für katzen",
                "geschirr für hunde",
            ),
        },
    ),
    Interest(
        "new_parent",
        "budget_conscious",
        0.25,
        _q(
            "diapers size 2",
            "baby wipes",
            "baby formula",
            "lightweight stroller",
            "infant car seat",
            "convertible crib",
            "video baby monitor=baby monitor",
            "swaddle blankets",
            "breast pump",
            "baby bottles anti colic",
            "teething toys=stuffed animal",
            "high chair",
            "baby carrier",
        ),
        _q(
            "pampers swaddlers",
            "huggies little snugglers",
            "uppababy vista",
            "graco car seat",
            "fisher price play gym=stuffed animal",
            "owlet monitor=baby monitor",
        ),
        ("{q} for newborn", "{q} 0-6 months", "{q} for twins", "{q} registry"),
        {
            "fr": _q(
                "couches taille 3",
                "lingettes bébé",
                "poussette compacte",
                "siège auto bébé",
                "babyphone vidéo=baby monitor",
                "lait infantile",
            ),
            "es": _q(
                "pañales talla 3",
                "toallitas para bebé",
                "carrito de bebé ligero",
                "silla de coche para bebé",
                "vigilabebés con cámara=baby monitor",
                "leche de fórmula",
            ),
            "de": _q(
                "windeln größe 3",
                "feuchttücher für babys",
                "kinderwagen leicht",
                "babyschale für das auto",
                "babyphone mit kamera=baby monitor",
                "babynahrung pre",
            ),
        },
    ),
    Interest(
        "bookworm",
        "budget_conscious",
        0.2,
        _q(
            "thriller paperback=mystery novel",
            "fantasy book series",
            "romance novels=mystery novel",
            "historical fiction",
            "book club picks",
            "new york times bestsellers",
            "kindle paperwhite",
            "audiobooks",
            "baking cookbook=cookbook",
            "self improvement books=self help book",
            "picture books for toddlers=kids picture book",
            "bookmarks",
        ),
        _q(
            "fourth wing=mystery novel",
            "atomic habits=self help book",
            "colleen hoover=mystery novel",
            "penguin classics",
            "harry potter box set",
        ),
        ("{q} hardcover", "{q} signed copy", "{q} like gone girl", "{q} 2024"),
        {
            "fr": _q(
                "roman policier=mystery novel",
                "livre de cuisine=cookbook",
                "livres pour enfants=kids picture book",
                "bande dessinée",
                "livre de développement personnel=self help book",
                "liseuse",
            ),
            "es": _q(
                "novela negra=mystery novel",
                "libro de recetas=cookbook",
                "libros infantiles=kids picture book",
                "novela histórica",
                "libros de autoayuda=self help book",
                "libro electrónico",
            ),
            "de": _q(
                "krimi taschenbuch=mystery novel",
                "kochbuch vegetarisch=cookbook",
                "kinderbücher ab 3=kids picture book",
                "fantasy bücher",
                "ratgeber bücher=self help book",
                "e-book reader",
            ),
        },
    ),
)
INTEREST_NAMES: tuple[str, ...] = tuple(i.name for i in INTERESTS)
assert {i.style for i in INTERESTS} == set(PERSONAS)
for _s in PERSONAS:  # shares within a style add up to one
    assert abs(sum(i.share for i in INTERESTS if i.style == _s) - 1.0) < 1e-9, _s

# What everyone types, whatever their interest: it blurs the interests on purpose.
GENERIC: dict[str, tuple[str, ...]] = {
    "en": (
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
    ),
    "fr": ("idée cadeau", "carte cadeau", "livraison gratuite", "soldes", "suivi de commande"),
    "es": ("ideas para regalar", "tarjeta regalo", "envío gratis", "rebajas", "mi pedido"),
    "de": ("geschenkideen", "gutschein", "kostenloser versand", "angebote", "meine bestellung"),
}
SHOPPER_TEMPLATES: tuple[tuple[str, float], ...] = (  # everyone's narrowing, per phrase
    ("best {q}", 0.25),
    ("{q} review", 0.1),
    ("{q} sale", 0.08),
)
DEAL_TEMPLATES: tuple[str, ...] = (
    "cheap {item}",
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
)
CHEAP_WORDS: tuple[str, ...] = (
    *("cheap", "under $", "discount", "deal", "budget", "affordable", "clearance"),
    *("used", "coupon", "sale", "promo", "pas cher", "barato", "günstig", "billig", "oferta"),
)
BRANDED_WEIGHT = 0.6  # all brand queries together, relative to one phrase x number of phrases
TEMPLATE_WEIGHT = 0.45  # the interest's own narrowing templates, all together, per phrase
TYPO_WEIGHT = 0.12


@dataclass(frozen=True)
class QueryPools:
    """All query strings, in pools: one per (language, interest), then a generic pool per
    language. Pool number = language * (interests + 1) + interest (generic: interest = n).

    `cdf` holds each pool's cumulative weights shifted by the pool number, so one
    `searchsorted(cdf, pool + u)` draws from any mix of pools at once.
    """

    vocab: list[str]
    item: np.ndarray  # item index a query names, -1 when the shop has no such item type
    cheap: np.ndarray  # the query asks for low prices (clicks go to the cheap end)
    cdf: np.ndarray

    @staticmethod
    def pool(language: np.ndarray | int, interest: np.ndarray | int) -> np.ndarray:
        return np.asarray(language) * (len(INTERESTS) + 1) + np.asarray(interest)

    def sample(self, rng: np.random.Generator, pool: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.cdf, pool + rng.random(len(pool)), side="right")
        return np.minimum(idx, len(self.vocab) - 1)


def _deal_queries() -> list[tuple[str, int, float]]:
    """Deal hunters look for anything cheap, with a tilt towards everyday goods."""
    out = []
    for k, item in enumerate(ITEMS):
        cat = CATEGORIES[ITEM_CATEGORY[k]]
        boost = 2.0 if cat.name in ("Grocery & Household", "Pet Supplies", "Toys & Kids") else 1.0
        w = boost * cat.weight / len(cat.items)
        out.append((item, k, 0.4 * w))
        for t in DEAL_TEMPLATES:
            out.append((t.format(item=item), k, 3.0 * w / len(DEAL_TEMPLATES)))
    return out


def build_query_pools(rng: np.random.Generator) -> QueryPools:
    vocab: list[str] = []
    items: list[int] = []
    weights: list[float] = []
    pool_of: list[int] = []

    def add(pool: int, text: str, item: str | int | None, weight: float) -> None:
        vocab.append(text)
        items.append(ITEM_INDEX[item] if isinstance(item, str) else -1 if item is None else item)
        weights.append(weight)
        pool_of.append(pool)

    n = len(INTERESTS)
    for li, lang in enumerate(LANGUAGES):
        for ii, it in enumerate(INTERESTS):
            pool = int(QueryPools.pool(li, ii))
            if lang != "en":
                for text, item in it.foreign[lang]:
                    add(pool, text, item, 1.0)
                    for _ in range(TYPOS_PER_PHRASE):
                        add(pool, typo(text, rng), item, TYPO_WEIGHT)
                continue
            if it.name == "deal_hunter":
                for text, k, w in _deal_queries():
                    add(pool, text, k, w)
            for text, item in it.phrases:
                add(pool, text, item, 1.0)
                for t, tw in SHOPPER_TEMPLATES:
                    add(pool, t.format(q=text), item, tw)
                for t in it.templates:
                    add(pool, t.format(q=text), item, TEMPLATE_WEIGHT / len(it.templates))
                for _ in range(TYPOS_PER_PHRASE):
                    add(pool, typo(text, rng), item, TYPO_WEIGHT)
            scale = max(len(it.phrases), 1) if it.phrases else 1.0
            for text, item in it.branded:
                add(pool, text, item, BRANDED_WEIGHT * scale / len(it.branded))
                add(pool, typo(text, rng), item, TYPO_WEIGHT * 0.5)
        g = int(QueryPools.pool(li, n))
        for q in GENERIC[lang]:
            add(g, q, None, 1.0)

    pool_arr = np.array(pool_of, dtype=np.int64)
    order = np.argsort(pool_arr, kind="stable")  # pools contiguous and in pool order
    vocab = [vocab[i] for i in order]
    pool_arr = pool_arr[order]
    w_arr = np.array(weights)[order]
    item_arr = np.array(items, dtype=np.int64)[order]
    cdf = np.empty(len(w_arr))
    for pool in np.unique(pool_arr):
        sel = pool_arr == pool
        c = np.cumsum(w_arr[sel])
        cdf[sel] = pool + c / c[-1]
        cdf[np.flatnonzero(sel)[-1]] = pool + 1.0  # pool + u (u < 1) never spills over
    cheap = np.array([any(w in q for w in CHEAP_WORDS) for q in vocab])
    return QueryPools(vocab=vocab, item=item_arr, cheap=cheap, cdf=cdf)


@dataclass(frozen=True)
class UserSearch:
    """Per user: interest(s), language and the query pools their searches come from."""

    interest: np.ndarray  # index into INTERESTS
    interest2: np.ndarray  # second interest of a mixed user, -1 otherwise
    secondary: np.ndarray  # an interest they search now and then (not counted as theirs)
    language: np.ndarray  # index into LANGUAGES
    pool1: np.ndarray
    pool2: np.ndarray  # = pool1 unless mixed
    pool_secondary: np.ndarray
    pool_generic: np.ndarray


def assign(
    rng: np.random.Generator, persona: np.ndarray, country: np.ndarray, countries: list[str]
) -> UserSearch:
    """Interests within each user's shopping style, mixed users, and search languages."""
    n = len(persona)
    n_int = len(INTERESTS)
    interest = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for si, style in enumerate(PERSONAS):
        idx = [i for i, it in enumerate(INTERESTS) if it.style == style]
        cum = np.cumsum([INTERESTS[i].share for i in idx])
        sel = persona == si
        pick = np.minimum(np.searchsorted(cum, u[sel], side="right"), len(idx) - 1)
        interest[sel] = np.asarray(idx)[pick]
    # mixed users: a second interest, any other one (a gamer who also gardens)
    other = (interest + rng.integers(1, n_int, n)) % n_int
    mixed = rng.random(n) < MIXED_SHARE
    interest2 = np.where(mixed, other, -1)
    secondary = (interest + rng.integers(1, n_int, n)) % n_int
    language = np.zeros(n, dtype=np.int64)
    coin = rng.random(n)
    for code, (lang, p) in COUNTRY_LANGUAGE.items():
        if code in countries:
            sel = (country == countries.index(code)) & (coin < p)
            language[sel] = LANGUAGES.index(lang)
    pool1 = QueryPools.pool(language, interest)
    return UserSearch(
        interest=interest,
        interest2=interest2,
        secondary=secondary,
        language=language,
        pool1=pool1,
        pool2=np.where(mixed, QueryPools.pool(language, interest2), pool1),
        pool_secondary=QueryPools.pool(language, secondary),
        pool_generic=QueryPools.pool(language, n_int),
    )
