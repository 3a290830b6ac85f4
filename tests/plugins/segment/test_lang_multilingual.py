"""Language handling of the segmentation: the detector on hand-written shop searches in five
languages (tests/plugins/segment/data/lang_queries.tsv, written before scoring them), the kana
rule, the `other_language` holding group and the messages that mention it.

The pipeline tests use a stand-in embedder (hashed random unit vectors): what is checked here is
who is set aside and what is said about it, not the quality of the segments, so no model load.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ducky.datasets import DataDir
from ducky.errors import UserError
from ducky.plugins.segment import features, lang, outputs, pipeline
from ducky.plugins.segment.naming import OTHER_LANGUAGE
from tests.plugins.segment.test_naming import _logs  # the one search-log builder

DATA = Path(__file__).parent / "data" / "lang_queries.tsv"


def _rows(split: str | None = None) -> list[tuple[str, str, str]]:
    out = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        s, code, query = line.split("\t")
        if split is None or s == split:
            out.append((s, code, query))
    return out


def _accuracy(code: str, split: str = "eval") -> tuple[float, float, list[str]]:
    """(exact language right, English-vs-other right, misses) for one language's rows."""
    rows = [q for _, c, q in _rows(split) if c == code]
    got = [lang.detect(q) for q in rows]
    exact = sum(g == code for g in got) / len(rows)
    side = sum((g == lang.ENGLISH) == (code == lang.ENGLISH) for g in got) / len(rows)
    return exact, side, [f"{q} -> {g}" for q, g in zip(rows, got, strict=True) if g != code]


def test_detection_accuracy_per_language_on_held_out_searches() -> None:
    """Floors a little under what was measured on the `eval` rows (before the change: en 99.0 %,
    de 57.0 %, fr 63.6 %, es 63.6 %, ja 75.7 % exact; after: 100 / 93.0 / 89.9 / 86.9 / 87.1 %).
    Misses left: short phrases without a marker (`valise rigide`, `somier`), kanji-only
    Japanese (reported as Chinese, still not English)."""
    counts = Counter(c for _, c, _ in _rows("eval"))
    assert all(counts[c] >= 60 for c in ("en", "de", "fr", "es", "ja")), counts
    floors = {"de": 0.90, "fr": 0.87, "es": 0.85}
    for code, floor in floors.items():
        exact, side, misses = _accuracy(code)
        assert exact >= floor and side >= floor, (code, exact, misses)
    exact, side, misses = _accuracy("ja")
    assert side == 1.0 and exact >= 0.85, misses  # every Japanese search is non-English
    exact, _, misses = _accuracy("zh")
    assert exact == 1.0, misses
    exact, _, misses = _accuracy("en")
    assert exact >= 0.98, misses


def test_english_searches_stay_english() -> None:
    """No English search of the set (held-out and development rows, 126 with loanwords such as
    rosé, jalapeño, café, bureau, kitchen, schedule, pretzel) is taken for another language:
    a false call would move an English shopper out of the segments. Plus English words with
    German/French/Spanish endings and a French word alone ("pour" is half a point)."""
    rows = [q for _, c, q in _rows() if c == "en"]
    rows += ["pour over coffee maker", "samsung galaxy s24", "kitchen towels"]
    rows += ["schedule planner", "canada goose jacket", "superhero costume", "pouches"]
    wrong = [(q, lang.detect(q)) for q in rows if lang.detect(q) != lang.ENGLISH]
    assert len(rows) >= 120 and not wrong, wrong


def test_any_kana_makes_japanese_and_han_alone_stays_chinese() -> None:
    """Kana (hiragana, katakana, half-width katakana) anywhere: Japanese, even with more Han
    characters than kana (`ノミ取り首輪 犬` was reported as Chinese). Han alone is Chinese
    unless a form only Japanese uses is there (絵, 歳, 剤); a shared one (登山靴) stays zh and
    counts as Japanese for a user who also types kana (tested below)."""
    ja = [
        "猫砂 固まる",
        "冷蔵庫 一人暮らし",
        "日焼け止め",
        "電動歯ブラシ",
        "ｶﾒﾗ 三脚",
        "絵本 3歳",
        "洗剤",
    ]
    assert {q: lang.detect(q) for q in ja} == dict.fromkeys(ja, "ja")
    other = {"无线耳机": "zh", "婴儿推车 轻便": "zh", "무선 이어폰": "ko", "登山靴": "zh"}
    assert {q: lang.detect(q) for q in other} == other


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("hundebett waschbar", "de"),  # compounds built on German words
        ("katzenfutter trocken", "de"),
        ("sicherheitsschuhe s3", "de"),
        ("reinigungsmittel", "de"),  # -ung + linking s
        ("bouilloire", "fr"),  # -oire
        ("rideaux occultants", "fr"),  # -eaux
        ("bouteille isotherme", "fr"),  # -eille
        ("toallitas humedas", "es"),  # -itas
        ("gartenschere", "de"),
        ("licuadora", "es"),  # -dora
    ],
)
def test_morphology_and_compounds(query: str, code: str) -> None:
    assert lang.detect(query) == code


# --- the pipeline: who is set aside, and what is said about it


class _HashEmbedder:
    """Deterministic unit vectors from a hash of the text: enough to run the pipeline."""

    model = "test/hash-embedder"
    kind = "test"

    def __init__(self) -> None:
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts_embedded += len(texts)
        out = np.empty((len(texts), 384), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(384)
            out[i] = v / np.linalg.norm(v)
        return out


_EN = [
    ["dog food grain free", "retractable dog leash", "dog chew toys"],
    ["espresso machine", "burr coffee grinder", "milk frother"],
    ["diapers size 3", "baby stroller lightweight", "crib mattress"],
    ["running shoes men", "trail running shoes", "running socks"],
]
_FOREIGN = {
    "de": ["hundebett waschbar", "kaffeemühle elektrisch", "windeln größe 4", "laufschuhe damen"],
    "fr": ["croquettes pour chien", "moulin à café", "poussette légère", "chaussures de course"],
    "es": ["pienso para perros", "cafetera italiana", "pañales talla 4", "zapatillas de running"],
    "ja": ["ドッグフード 小型犬", "登山靴", "ベビーカー 軽量", "靴下"],  # two kanji-only searches
}


def _english_users(n: int) -> dict[str, list[str]]:
    return {f"en{i:02d}": _EN[i % len(_EN)] for i in range(n)}


def _foreign_users(per_language: int) -> dict[str, list[str]]:
    return {
        f"{code}{i}": qs[i % 2 :] + qs[: i % 2]
        for code, qs in _FOREIGN.items()
        for i in range(per_language)
    }


def test_too_few_users_says_how_many_were_set_aside(tmp_path: Path) -> None:
    """The tester's shop of 40 hand-written users said only "only 9 users to cluster": now the
    line says that the rest were set aside, and in which languages (one line)."""
    users = _english_users(8) | _foreign_users(8)
    with pytest.raises(UserError) as e:
        pipeline.segment(_logs(users), DataDir(tmp_path), _HashEmbedder(), k=None)
    msg = str(e.value)
    assert msg == (
        "only 8 users to cluster: segmenting needs at least 20 (a split of so few says "
        "nothing); 32 of the 40 users were set aside as 'other_language' (searches mostly in "
        "de 8, es 8, fr 8, ja 8; the model reads English)"
    ), msg
    assert "\n" not in msg


def test_other_language_is_a_holding_group_without_a_confidence(tmp_path: Path) -> None:
    users = _english_users(24) | _foreign_users(2)
    res = pipeline.segment(_logs(users), DataDir(tmp_path), _HashEmbedder(), k=2, seed=1)
    held = [s for s in res.segments if s.name == OTHER_LANGUAGE]
    assert len(held) == 1 and held[0].holding and held[0].size == 8
    assert held[0].confidence is None  # never a made-up 100 %
    assert held[0].avg_order_value is None
    assert held[0].languages == {"de": 2, "es": 2, "fr": 2, "ja": 2}
    assert held[0].evidence().startswith("holding group, not a segment")
    assert all(s.confidence is not None for s in res.segments if not s.holding)
    # the note lists the languages with user counts; no "zh" for the kanji-only searches
    note = next(n for n in res.notes if "other languages" in n)
    assert "(de 2, es 2, fr 2, ja 2)" in note and "holding group, not a segment" in note
    assert "zh" not in res.languages["queries_by_language"], res.languages
    assert res.languages["users_by_language"] == {"de": 2, "es": 2, "fr": 2, "ja": 2}
    # summary: segments are fitted segments only; the holding group is apart, and says why
    doc = outputs.summary(res)
    assert OTHER_LANGUAGE not in [s["segment"] for s in doc["segments"]]
    assert sum(s["users"] for s in doc["segments"]) == 24
    (hold,) = doc["holding_groups"]
    assert hold["holding_group"] is True and hold["users"] == 8
    assert hold["confidence"] is None and "not a segment" in hold["confidence_note"]
    json.dumps(doc, allow_nan=False)  # valid JSON: null, not NaN
    # segments.parquet: null confidence for the set-aside users
    t = outputs.assignments_table(res).to_pylist()
    conf = {r["user_id"]: r["confidence"] for r in t}
    assert conf["de0"] is None and conf["ja1"] is None
    assert all(conf[u] is not None for u in _english_users(24))


def test_a_user_with_two_german_searches_and_unmarked_ones_is_set_aside() -> None:
    """Four of six searches carry no language (sizes, brands, words the detector does not know):
    the two German ones decide. Before, 2 of 6 was under half and the user was clustered as
    English (the tester's German dog owner landed in `kitchen`, confidence 0.405)."""
    users = {
        "de1": [
            "hundebett waschbar",
            "katzenfutter trocken",
            "kong 2xl",
            "zooplus",
            "trixie",
            "60x90",
        ],
        "en1": ["dog food grain free", "retractable dog leash", "kong 2xl", "trixie"],
        "en2": ["jalapeño seeds", "piñata", "gaming laptop", "rtx 4070"],  # loanwords only
    }
    qt = features.encode_queries(_logs(users))
    _, keep, info = pipeline._split_languages(qt)
    kept = {str(u) for u, k in zip(qt.user_ids.tolist(), keep.tolist(), strict=True) if k}
    assert kept == {"en1", "en2"}, kept
    assert info["users_by_language"] == {"de": 1}
