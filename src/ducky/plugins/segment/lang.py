"""A small, honest language detector for search queries.

The local model (all-MiniLM-L6-v2) was trained on English: a French or Arabic query gets a
vector that says more about its language than its meaning, so such users would form one
"foreign language" segment named after whatever label sits nearest. No package in reach ships a
multilingual sentence model offline, so ducky detects the language instead and keeps those users
out of the clustering (an `other_language` group, counted in the summary).

Rules (documented in docs/SEGMENTATION.md; tested on hand-written queries in
tests/plugins/segment/data/lang_queries.tsv):

* **scripts**: any kana (hiragana, katakana) makes a query Japanese, whatever else it holds
  (Japanese mixes kana with kanji: `ノミ取り首輪 犬` is not Chinese); Hangul is Korean; Han
  characters alone are Chinese unless one of them is a form only Japanese uses (`気`, `駅`,
  `剤`, `々`); other scripts (Arabic, Cyrillic, Greek, Hebrew, Devanagari, Thai) by majority;
* **Latin queries** are scored word by word. A word counts for a language (at most one point)
  when it is a function word or a common shop word of that language (lists below), holds
  letters English does not use (ñ, ß, ä/ö/ü, ç, è/ê/à, ...), has an inflection or word-building
  ending of that language (German -ung/-keit/-heit/-lich/-chen, French -eau/-oire/-eur/-ique/-ée,
  Spanish -ción/-illo/-ado/-eza/-aje, ...) or is a German compound built on a German word
  (`hundeleine`, `kaffeebohnen`: a German word of 5+ letters at its start or of 4+ at its end).
  Orthography alone (German `sch`, `pf`, `tz`) is half a point; so is a word shared by several
  languages (de, la, el, en ...). English words (a list of common shop and function words, and
  -ing/-ness/-less/-ful endings) count for English. The query is the best other language when
  it has at least one point and at least as many as English; otherwise English.
* words that are English too (`set`, `hose`, `winter`) and loanwords (`café`, `rosé`, `crème`)
  count for nobody. Brand-only queries ("rtx 4070") are English.

It is a heuristic: a short foreign query with no marker ("mixer smoothie") still passes as
English, and a foreign brand may tip an English query. Measured accuracy is in the docs.
"""

from __future__ import annotations

import re
from functools import lru_cache

ENGLISH = "en"

_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
_HAN = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF))
_SCRIPTS: list[tuple[str, tuple[tuple[int, int], ...]]] = [
    (
        "ar",
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
    ("he", ((0x0590, 0x05FF),)),
    ("ru", ((0x0400, 0x04FF),)),  # Cyrillic script, reported as "ru"
    ("el", ((0x0370, 0x03FF),)),
    ("hi", ((0x0900, 0x097F),)),  # Devanagari
    ("th", ((0x0E00, 0x0E7F),)),
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("ja", _KANA),
    ("zh", _HAN),
]
# Kanji forms that Japanese uses and Chinese does not (shinjitai simplifications that differ
# from both traditional and simplified Chinese, kokuji, and the iteration mark): a Han-only
# query holding one is Japanese. Others (犬, 電, 靴) are shared: such a query stays "zh".
_JA_ONLY_HAN = set(
    "々〆気楽変様駅売読円図広歳辺沢浜県発対両単関験転伝軽鉄薬検剤歯圧拡渋価値帯弁戦桜浄焼"
    "絵続緑縄聴脳蔵訳譲豊賛鋭録隠雑頼顔髪黒黙亜悪圏営巣従恵懐戻払抜掲摂斎栄殻毎涙満"
    "滝瀬稲穏粋経絶継総繊缶芸荘蛍衛覚観証謡遅郷酔醸釈鉱銭鎮閲険隣霊駆騒"
    "髄闘齢亀竜畑峠込働枠匂凪栃鰯枡榊躾"
)


def _w(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Common words of shop searches and function words, per language. Written from general
# vocabulary (clothes, home, kitchen, tools, garden, tech, baby, pets, sport, beauty, gifts,
# materials, offers), not from any evaluation data; words that are English too are left out
# (see _SHARED).
_WORDS: dict[str, frozenset[str]] = {
    "de": _w(
        "für fuer und mit ohne der das dem des ein eine einen einem einer zum zur vom beim bis "
        "aus auf bei nach unter über zwischen neben gegen im ins vor oder sehr mehr als wie zu "
        "von damen herren kinder mädchen jungen jungs frauen männer mann frau erwachsene "
        "erwachsenen oma opa groß große großer großes klein kleine kleiner kleines neu neue "
        "neuer neues günstig günstige billig billige schwarz schwarze weiß weiße weiss rot rote "
        "blau blaue grün grüne gelb gelbe grau graue braun braune bunt bunte warme kalt kalte "
        "leicht leichte schwer schwere lang lange kurz kurze breit hoch hohe tief weich weiche "
        "hart harte stark starke schnell laut elektrisch elektrische elektrischer "
        "kabellos kabellose wasserdicht rutschfest faltbar klappbar waschbar verstellbar "
        "tragbar ergonomisch runde eckig gebraucht echt echte natürlich nachhaltig beste "
        "bester besten schön schöne schuhe schuh stiefel stiefeletten sandalen hausschuhe "
        "socken strümpfe strumpfhose hemd bluse jacke kleid kleider mütze schal "
        "handschuhe gürtel tasche taschen rucksack koffer geldbörse brille sonnenbrille uhr "
        "schmuck kette armband ohrringe unterwäsche badeanzug bademantel schlafanzug anzug "
        "krawatte haus wohnung küche schlafzimmer wohnzimmer kinderzimmer badezimmer garten "
        "balkon tisch stuhl stühle schrank regal sessel bett betten matratze kissen decke "
        "bettwäsche handtuch handtücher teppich vorhang gardine gardinen lampe leuchte spiegel "
        "kerze kerzen bild bilder rahmen dekoration deko korb körbe kiste topf töpfe pfanne "
        "pfannen messer gabel löffel teller tasse tassen becher glas gläser schüssel schale "
        "kanne flasche flaschen dose kaffee milch zucker mehl brot wasser saft bier wein kochen "
        "backen backform herd ofen backofen kühlschrank spülmaschine mikrowelle waage "
        "staubsauger waschmittel spülmittel reiniger putzen lappen besen eimer müll mülleimer "
        "werkzeug bohrer bohrmaschine akku schrauber schraube schrauben dübel zange säge kabel "
        "stecker steckdose schalter birne pflanze pflanzen blumen blume erde dünger samen "
        "rasen schlauch gießkanne bildschirm fernseher tastatur maus kopfhörer lautsprecher "
        "ladegerät hülle drucker rechner spiel spiele spielzeug konsole puppe puppen buch "
        "bücher windeln schnuller kinderwagen fläschchen lätzchen hund hunde katze katzen "
        "vogel vögel fisch fische futter leine halsband napf käfig kratzbaum fahrrad laufen "
        "wandern schwimmen zelt schlafsack hanteln haut haare gesicht zahn zähne zahnbürste "
        "duft seife pflege nagel nägel lippenstift geschenk geschenke geburtstag weihnachten "
        "ostern muttertag vatertag angebot angebote rabatt gutschein versand kostenlos "
        "kostenloser größe farbe stück holz leder stoff baumwolle wolle seide edelstahl "
        "kunststoff zubehör ersatz ersatzteile halterung ständer abdeckung beutel tüte "
        "schachtel bestellung nudeln reis gewürz gewürze käse wurst fleisch obst gemüse "
        "schokolade kekse teebeutel"
    ),
    "fr": _w(
        "pour avec sans les des une dans sur aux chez entre sous très plus moins homme hommes "
        "femme femmes enfant enfants fille filles garçon garçons bébé bébés adulte adultes noir "
        "noire noirs blanc blanche blancs bleu bleue vert verte jaune gris grise marron doré "
        "dorée argenté petit petite petits grand grande grands nouveau nouvelle nouveaux neuf "
        "cher chère léger légère lourd lourde chaud chaude froid froide doux douce longue "
        "court courte étroit ronde carré électrique étanche imperméable réglable lavable "
        "pliant pliante meilleur meilleure chaussures chaussure baskets bottes bottines "
        "sandales chaussons chaussettes collant pantalon jupe chemise chemisier veste manteau "
        "blouson doudoune pull gilet maillot culotte écharpe gants bonnet casquette ceinture "
        "sacoche portefeuille montre lunettes bijoux collier bague boucles maison cuisine "
        "salon chambre salle bain jardin chaise chaises fauteuil canapé lit matelas oreiller "
        "couette housse drap draps coussin rideau rideaux tapis lampe lampadaire miroir "
        "étagère placard bougie bougies cadre horloge panier boîte rangement poubelle poêle "
        "casserole marmite couteau couteaux fourchette cuillère assiette verre verres tasse "
        "tasses théière bouilloire cafetière thé sucre farine pain eau vin bière jus cuisson "
        "four ondes réfrigérateur congélateur vaisselle grille mixeur aspirateur balai "
        "serpillière lessive nettoyant éponge outil outils perceuse visseuse marteau tournevis "
        "scie clé clés échelle ampoule câble prise rallonge plante plantes fleurs fleur terre "
        "engrais graines gazon tondeuse tuyau arrosoir téléphone écran ordinateur clavier "
        "souris casque écouteurs enceinte chargeur coque batterie imprimante jeu jeux jouet "
        "jouets poupée livre livres couches couche biberon tétine poussette landau bavoir "
        "chien chiens chat chats chiot chaton oiseau oiseaux poisson poissons croquettes "
        "nourriture laisse gamelle niche litière arbre vélo course randonnée natation tente "
        "couchage haltères peau visage cheveux savon shampooing maquillage vernis ongles dents "
        "brosse dentifrice rasoir cadeau cadeaux anniversaire noël fête mère père maman soldes "
        "livraison gratuit gratuite prix taille couleur pièce pièces bois métal cuir tissu "
        "coton laine soie acier plastique inox fromage chocolat biscuits pâtes riz épices "
        "nappe serviette serviettes tablier ménage sèche lave fer repasser"
    ),
    "es": _w(
        "para con sin los las del una unos unas por muy más menos hombre hombres mujer mujeres "
        "niño niña niños niñas bebé bebe adulto adultos chico chica chicos negro negra blanco "
        "blanca rojo roja azul verde amarillo gris morado marrón pequeño pequeña nuevo nueva "
        "barato barata baratos baratas caro mejor ligero ligera pesado suave largo larga corto "
        "corta alto alta bajo baja redondo plegable ajustable inalámbrico inalambrico "
        "inalámbricos recargable portátil portatil lavable zapatos zapato zapatillas botas "
        "botines sandalias calcetines medias pantalón pantalones vaqueros falda vestido camisa "
        "camiseta blusa chaqueta abrigo sudadera bañador sujetador gorro gorra bufanda "
        "guantes cinturón bolso mochila cartera reloj gafas joyas pulsera anillo pendientes "
        "casa cocina salón dormitorio baño jardín mesa silla sillas sillón sofá cama colchón "
        "almohada sábanas edredón funda cojín cojines cortina cortinas alfombra lámpara espejo "
        "estantería armario cesta caja velas vela marco sartén olla cazo cuchillo cuchillos "
        "tenedor cuchara plato platos vaso vasos taza tazas tetera cafetera hervidor azúcar "
        "harina leche agua vino cerveza zumo horno microondas nevera frigorífico lavavajillas "
        "batidora tostadora freidora aspiradora escoba fregona detergente limpieza esponja "
        "herramienta herramientas taladro martillo destornillador sierra tornillos llave "
        "escalera bombilla enchufe alargador planta plantas flores tierra abono semillas "
        "césped manguera barbacoa teléfono móvil movil pantalla ordenador teclado ratón raton "
        "auriculares altavoz cargador batería impresora juego juegos juguete juguetes muñeca "
        "libro libros cuento cuentos pañales chupete biberón cochecito carrito cuna babero "
        "perro perros gato gatos cachorro cachorros gatito pájaro pájaros pez peces pienso "
        "comida correa arnés comedero arena rascador bicicleta bici correr senderismo "
        "natación tienda campaña saco dormir pesas mancuernas esterilla crema piel cara pelo "
        "cabello jabón champú maquillaje pintalabios esmalte uñas dientes cepillo maquinilla "
        "regalo regalos cumpleaños navidad madre padre mamá papá oferta ofertas rebajas "
        "descuento envío gratis talla tamaño madera cuero tela algodón lana seda vidrio "
        "plástico queso chocolate galletas arroz especias toalla toallas mantel delantal "
        "plancha secador"
    ),
    "it": _w("per con senza della delle il gli donna uomo bambino scarpe economico"),
    "pt": _w("para com sem uma dos das mulher homem criança sapatos barato"),
    "nl": _w("voor met zonder een het dames heren kinderen goedkoop schoenen"),
}
# Short words of several languages: half a point to each (never enough on its own). "de" and
# "la" also start English brand names (de'longhi, la roche-posay), hence not a full point.
_AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "de": ("fr", "es", "pt"),
    "la": ("fr", "es", "it"),
    "le": ("fr",),
    "el": ("es",),
    "et": ("fr",),
    "du": ("fr",),
    "au": ("fr",),
    "y": ("es",),
    "en": ("fr", "es"),
    "un": ("fr", "es"),
    "al": ("es",),
    "lo": ("es",),
    "con": ("es", "it"),
    "sin": ("es",),
    "die": ("de",),
    "den": ("de",),
    "per": ("it",),
    "pas": ("fr",),
    "pour": ("fr",),
    "les": ("fr",),
    "des": ("fr",),
    "los": ("es",),
    "las": ("es",),
    "del": ("es",),
    "sac": ("fr",),
    "robe": ("fr",),
    "une": ("fr",),
    "com": ("pt",),
    "da": ("pt", "it"),
}
# English too, or loanwords English shoppers type: evidence for nobody.
_SHARED = _w(
    "set hose winter baby mini auto hand arm bad art kind rock band ring ball box sofa "
    "tee gift mist fest sand gold wind land bank bar sport fitness training camping grill "
    "mixer toaster shampoo parfum perfume vase jeans jersey pullover bikini pyjama pijama "
    "bracelet table bol mug robot balance portable collar color metal cristal body pack promo "
    "café cafe rosé crème creme brûlée brulee entrée purée soirée fiancée touché décor lait "
    "latte espresso cappuccino barista pizza pasta tortilla jalapeño piñata señorita vanilla "
    "anti extra bio vegan modern digital original premium design led usb smart super top "
    "matte matt halter teller spiel sack rouge grande impermeable pliable rechargeable "
    "armoire commode beige violet rose papa mama cable tablet laptop smartphone braun klein "
    "dose regal stark baskets biscuits blanc bonnet course court cuisine grand grille landau "
    "lit niche noir nouveau pain petite plus prix pull salon sous vin alto arena sierra "
    "herd hart mantel gilet chemise culotte casserole marmite eau jus four ampoule fleur "
    "croquettes serviette bleu suave pez couches couche"
)
_ENGLISH_WORDS = _w(
    # function words
    "the and for with without of in on to from by at under over up off out new old best top "
    "a an or not no my your his her our their this that these those all any some more most "
    "only one two three four five six ten men women kids boys girls man woman kid adult "
    "baby's men's women's kids' what how who which when where why is are was be can will "
    # common shop words that are not words of the other languages
    "shoes shoe boots boot sneakers sandals socks slippers shirt shirts dress dresses skirt "
    "pants trousers jacket coat hoodie sweater cardigan blouse leggings shorts swimsuit "
    "underwear bra hat cap scarf gloves belt bag bags backpack wallet purse watch watches "
    "sunglasses glasses jewelry jewellery necklace earrings bracelet rings home kitchen "
    "bedroom bathroom living room garden chair chairs desk shelf bed sheets pillow pillows "
    "blanket duvet comforter mattress curtain curtains rug carpet lamp lamps light lights "
    "mirror clock candle candles frame frames basket storage bin trash can pot pots pan "
    "pans knife knives fork spoon plate plates bowl bowls cup cups glass mug mugs kettle "
    "coffee tea milk sugar flour bread water juice wine beer oven stove fridge freezer "
    "microwave dishwasher blender cooker fryer scale vacuum cleaner broom mop detergent "
    "soap sponge tool tools drill saw hammer screwdriver screws ladder wrench bulb plug "
    "cord outlet switch plant plants flowers soil seeds lawn mower hose sprinkler grill "
    "phone phones screen computer keyboard mouse headphones earbuds speaker speakers "
    "charger case battery printer game games toy toys doll dolls book books novel diapers "
    "diaper stroller crib bottle bottles pacifier bib dog dogs cat cats puppy kitten bird "
    "fish food leash harness treats litter cage bike bicycle helmet tent sleeping hiking "
    "running swimming yoga weights dumbbells skin face hair teeth toothbrush toothpaste "
    "razor makeup lipstick nail polish cream lotion gift gifts birthday christmas mother "
    "father mom dad sale deal deals discount cheap free shipping size color colour wood "
    "wooden leather cotton wool silk steel stainless plastic metal iron cast black white "
    "red blue green yellow grey gray brown pink purple small large big little long short "
    "wide tall heavy light soft hard warm cold fast quiet electric wireless waterproof "
    "adjustable foldable portable washable rechargeable kitchen kitchens towel towels "
    "young school schedule discharge mischief hundred hundreds brother brothers betting "
    "camera cameras opera sombrero avocado tornado armada florida nevada colorado granddad "
    "mosquito burrito margarita doritos gorilla chinchilla armadillo guerrilla godzilla "
    "bureau plateau chateau trousseau amateur chauffeur connoisseur entrepreneur liqueur "
    "masseuse antique boutique unique technique physique critique cassette palette "
    "roulette cigarette baguette vignette silhouette kitchenette rosette etiquette "
    "omelette barrette launderette marionette faux memoir reservoir boudoir mayonnaise "
    "surveillance lichen llama samsung pouch pouches leisure rollerblade rollerblades"
    " wanderlust steinway canada villa villas superhero superheroes opera genera suspicion"
    " capita tiger madeleine douglas choir memoir gazette corvette brunette oblique bordeaux"
    " beaux regeneration regenerating makita chenille youngster youngsters labrador fedora"
    " pandora humidor corridor kindergarten protein lunch dinner breakfast snack snacks "
    "chocolate cookies chips nuts cereal rice noodles sauce spices cheese"
)


def _strip_shared(words: frozenset[str]) -> frozenset[str]:
    return words - _SHARED - _ENGLISH_WORDS


_FOREIGN = {code: _strip_shared(words) for code, words in _WORDS.items()}
_ENGLISH_ONLY = _ENGLISH_WORDS - _SHARED - frozenset().union(*_WORDS.values())

# Letters English does not use: one point to the language for a word that holds one.
_STRONG = {
    "es": set("ñ¿¡áíóú"),
    "de": set("ßäöü"),
    "fr": set("çèêàùœâîôûëï"),
    "pt": set("ãõ"),
}
# Word endings (word of 5+ letters, not an English word): one point.
_SUFFIXES = {
    "de": re.compile(
        r"(?:ungen|ung|heit|keit|heiten|keiten|schaft|lich|liche|lichen|licher|isch|ische|"
        r"ischen|ischer|chen|zeug|ig)$"
    ),
    "fr": re.compile(
        r"(?:eau|eaux|oire|oires|eur|eurs|euse|euses|eux|ique|iques|ée|ées|oir|oirs|ette|"
        r"ettes|eille|eilles|(?<!v)ille|(?<!v)illes|ouille|ouilles|ouche|ière|ières)$"
    ),
    "es": re.compile(
        r"(?:ción|cion|ciones|sión|siones|illo|illa|illos|illas|ado|ada|ados|adas|ido|ida|"
        r"idos|idas|ero|era|eros|eras|ito|ita|itos|itas|mente|dad|dades|oso|osa|osos|osas|"
        r"aje|ajes|eza|ezas|ería|erías|ura|uras|dora|doras)$"
    ),
}
# ... "ig" needs a longer word (big, fig, wig are English)
_MIN_SUFFIX_LEN = {
    **{"ig": 6, "ung": 7, "ungen": 7, "ado": 6, "ada": 6, "ido": 6, "ida": 6, "ura": 6},
    **{"ille": 6, "illes": 7, "dora": 8, "doras": 9},
}
_FR_START = re.compile(r"^é")  # écran, étanche, électrique: French, rarely Spanish
_ES_ACCENTED_O_A = re.compile(r"[éáíóú].*[oa]s?$")  # eléctrico, térmica: Spanish stress marks
_ELISION = re.compile(r"(?<![a-z])(?:[dlj]|qu)'(?=[a-zàâéèêëîïôûùh])")
_ELISION_EXCEPT = re.compile(r"l'or[eé]al")
# German spelling that English hardly has: half a point
_DE_ORTHO = re.compile(r"(?<=.)sch|^sch[^eo]|^pf|pf$|[^s]tz[eu]")
# a German compound joint: -ung/-heit/-keit/-ion/-ing + linking s + the next word
_DE_JOINT = re.compile(r"(?:ungs|heits|keits|ions)[a-zäöüß]{4,}|ings[a-zäöüß]{5,}")
_ENGLISH_SUFFIX = re.compile(r"(?:ing|ings|ness|less|ful|ship|proof|wear|ware)$")
# what may follow a German word at the start of an English word (bett+ing, brot+her)
_ENGLISH_TAILS = _w("s es er ers ed ing ings ies y ly ness")
# German compound parts: German-only words of the lists, plus frequent first parts
_DE_FUNCTION = _w(
    "für fuer und mit ohne der das dem des ein eine einen einem einer zum zur vom beim bis aus "
    "auf bei nach unter über zwischen neben gegen im ins vor oder sehr mehr als wie zu von"
)
_DE_PARTS = (_FOREIGN["de"] - _DE_FUNCTION) | _w(
    "kinder hunde katzen kaffee wasser schlaf wasch koch spiel lauf fahr zahn haar "
    "dusch sonnen sommer leder holz glas schirm jacke licht strom luft feuer schnee "
    "milch zucker brot tisch stuhl bett kopf hals bein reise garten küchen haus "
    "haushalt büro schul weihnachts oster baum blumen pflanzen arbeits sicherheits schutz "
    "trink heiz kühl gefrier lade steck schreib lese nacht woche abend morgen frei dicht "
    "voll artig förmig haltig sicher kalender bürste tuch stift mittel papier folie platte "
    "stange halter gerät maschine maschinen wagen sitz kleid kissen decke matte "
    "schuhe socken tasche flasche becher kanne dose napf leine futter korb eimer koffer "
    "schlauch rahmen lampe leuchte kerze birne kabel messer teller pfanne topf schale"
) - _SHARED - _ENGLISH_WORDS
_DE_WEAK_HEADS = ("los", "lose", "bar", "fest")  # only after a German first part


def _has(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def _script_language(query: str) -> str | None:
    counts: dict[str, int] = {}
    for ch in query:
        if ch.isascii() or not (ch.isalpha() or ch in "々〆"):
            continue
        for code, ranges in _SCRIPTS:
            if _has(ch, ranges):
                counts[code] = counts.get(code, 0) + 1
                break
    if not counts:
        return None
    if counts.get("ja"):  # any kana: Japanese (its kanji are Han characters too)
        return "ja"
    if counts.get("zh"):
        if counts.get("ko"):
            return "ko"
        if any(ch in _JA_ONLY_HAN for ch in query):
            counts["ja"] = counts.pop("zh")
    return max(sorted(counts), key=lambda c: counts[c])


def _german_compound(tok: str) -> bool:
    """`hundeleine`, `kaffeebohnen`, `getränkehalter`: a German word of 5+ letters starts the
    word, or one of 4+ letters ends it, with 3+ other letters."""
    if len(tok) < 7:
        return False
    for i in range(3, len(tok) - 2):
        head, tail = tok[:i], tok[i:]
        if len(head) >= 5 and head in _DE_PARTS and tail not in _ENGLISH_TAILS:
            return True
        if len(tail) >= 4 and tail in _DE_PARTS:
            return True
        if tail in _DE_WEAK_HEADS:
            stem = head
            for link in ("s", "e", "n", "en", "er", "es"):
                if head.endswith(link) and head[: -len(link)] in _DE_PARTS:
                    stem = head[: -len(link)]
            if stem in _DE_PARTS:
                return True
    return False


@lru_cache(maxsize=65536)
def _word_votes(tok: str) -> tuple[tuple[str, float], ...]:
    """(language, points) for one lower-case word; ("en", 1) for English evidence."""
    if tok in _SHARED:
        return ()
    if tok in _AMBIGUOUS:
        return tuple((c, 0.5) for c in _AMBIGUOUS[tok])
    hits = [c for c, words in _FOREIGN.items() if tok in words]
    if hits:
        return tuple((c, 1.0) for c in hits)
    if tok in _ENGLISH_ONLY or (tok.endswith("s") and tok[:-1] in _ENGLISH_ONLY):
        return ((ENGLISH, 1.0),)
    votes: dict[str, float] = {}
    for code, chars in _STRONG.items():
        if any(c in chars for c in tok):
            votes[code] = 1.0
    if "é" in tok and not tok.endswith("é") and not votes:
        if _FR_START.search(tok) or tok.endswith(("e", "es")):  # protéine, déstockage
            votes["fr"] = 1.0
        elif _ES_ACCENTED_O_A.search(tok):
            votes["es"] = 1.0
        else:
            votes["fr"] = votes["es"] = 0.5
    if len(tok) >= 5:
        if not votes and _ENGLISH_SUFFIX.search(tok):
            return ((ENGLISH, 1.0),)
        for code, rx in _SUFFIXES.items():
            m = rx.search(tok)
            if m and len(tok) >= _MIN_SUFFIX_LEN.get(m.group(0), 5):
                votes[code] = max(votes.get(code, 0.0), 1.0)
        if _german_compound(tok) or _DE_JOINT.search(tok):
            votes["de"] = 1.0
        elif "de" not in votes and _DE_ORTHO.search(tok):
            votes["de"] = 0.5
    return tuple(sorted(votes.items()))


_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def scores(query: str) -> dict[str, float]:
    """Points per language for one normalized Latin-script query (see the module docstring)."""
    out: dict[str, float] = {}
    for tok in _TOKEN.findall(query):
        for code, pts in _word_votes(tok):
            out[code] = out.get(code, 0.0) + pts
    if _ELISION.search(query) and not _ELISION_EXCEPT.search(query):
        out["fr"] = out.get("fr", 0.0) + 1.0
    return out


def classify(query: str) -> tuple[str, bool]:
    """(language code, evidence) of one normalized query. `evidence` is False when the query
    is called English only because nothing says otherwise (brands, sizes, unknown words): such
    a query says nothing about the language its user searches in."""
    script = _script_language(query)
    if script is not None:
        return script, True
    pts = scores(query)
    english = pts.pop(ENGLISH, 0.0)
    if pts:
        # ties go to the language with more whole words of its list (a word beats an ending)
        toks = _TOKEN.findall(query)
        words = {c: sum(t in _FOREIGN.get(c, ()) for t in toks) for c in pts}
        best = max(sorted(pts), key=lambda c: (pts[c], words[c]))
        if pts[best] >= 1.0 and pts[best] >= english:
            return best, True
    return ENGLISH, english > 0


def detect(query: str) -> str:
    """The language code of one normalized query ("en" when nothing says otherwise)."""
    return classify(query)[0]
