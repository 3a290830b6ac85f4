"""Naming segments from the data, honestly.

A shipped taxonomy (`data/labels.json`: 49 e-commerce interest and intent labels in 13 groups,
each with a description and keywords; `--labels FILE` adds or overrides labels) is compared with
each segment's own searches:

1. every distinct query is embedded (it already is, for the features) and gets its nearest
   label by cosine with the label descriptions, if that cosine reaches `QUERY_MIN_SIM`;
2. a label's **support** in a segment is the share of the segment's searches whose nearest label
   it is; a group's support is the sum over its labels;
3. **agreement**: the segment's top c-TF-IDF terms (BERTopic's class-based TF-IDF) that are
   keywords of the label, or whose own embedding is nearest to that label;
4. the name:
   * `label` when one label has support >= `LABEL_SUPPORT` and at least one agreeing term;
   * the group (`electronics`, `home`, ...) when no single label does but one group's labels
     together do, with an agreeing term for one of them;
   * `mixed_<a>_<b>` when two labels (or groups) each hold >= `MIXED_PART` of the searches;
   * otherwise a descriptive name from the segment's own top terms (`terms_<t1>_<t2>`).
   No one-to-one forcing: two segments may match one label; the less confident one then gets
   its top term appended, so names stay unique.
Every segment carries its confidence (the support of what it is named after; 0 for term names;
None for the `other_language` holding group, which is not a fitted segment),
the support table, the agreeing terms, its top terms and representative queries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from ducky.plugins.segment.features import QueryTable

QUERY_MIN_SIM = 0.30  # a query farther than this from every label has no nearest label
LABEL_SUPPORT = 0.40  # share of a segment's searches a label needs to name it
BEHAVIOUR_SHARE = 0.5  # share of searches with a behaviour label's keyword ("cheap", "gift")
LABEL_OF_GROUP = 2 / 3  # a group whose support is this much one label's is named after it
MIXED_PART = 0.25  # a second group holding this share of the searches makes a segment mixed
MIXED_DOMINANT = 0.7  # ... unless the first group holds at least this much
TOP_TERMS = 8  # c-TF-IDF terms checked for agreement
OTHER_LANGUAGE = "other_language"
NO_GROUP_NAMES = {"behaviour"}  # a group too vague to be a name on its own


@dataclass(frozen=True)
class Label:
    id: str
    group: str
    description: str
    keywords: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    labels: tuple[Label, ...]
    group_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def by_id(self) -> dict[str, Label]:
        return {lab.id: lab for lab in self.labels}

    def answers(self, label: str | None, group: str | None) -> set[str]:
        """Every truth name a segment named `label`/`group` is right for."""
        out: set[str] = set()
        if label is not None:
            lab = self.by_id()[label]
            out |= {lab.id, *lab.aliases, lab.group, *self.group_aliases.get(lab.group, ())}
        elif group is not None:
            out |= {group, *self.group_aliases.get(group, ())}
        return out


def _labels_from(doc: Any, source: str) -> list[Label]:
    items = doc.get("labels") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise UserError(f'{source}: expected a JSON list of labels or {{"labels": [...]}}')
    out = []
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not it.get("id") or not it.get("description"):
            raise UserError(f"{source}: label #{i + 1} needs an 'id' and a 'description'")
        lid = str(it["id"])
        if not re.fullmatch(r"[a-z0-9_]+", lid):
            raise UserError(f"{source}: label id {lid!r} must be lower-case letters, digits, _")
        kw = it.get("keywords", [])
        if isinstance(kw, str):
            kw = kw.split()
        out.append(
            Label(
                lid,
                str(it.get("group") or lid),
                str(it["description"]),
                frozenset(str(w).lower() for w in kw),
                tuple(str(a) for a in it.get("aliases", [])),
            )
        )
    return out


def load_taxonomy(extra: Path | None = None) -> Taxonomy:
    """The shipped taxonomy, plus (or overridden by, same id) the labels in `extra`: JSON in the
    same format, or a text file with one `id: description` per line."""
    doc = json.loads(
        resources.files("ducky.plugins.segment").joinpath("data/labels.json").read_text()
    )
    labels = {lab.id: lab for lab in _labels_from(doc, "labels.json")}
    groups = {g["id"]: tuple(g.get("aliases", [])) for g in doc.get("groups", [])}
    if extra is not None:
        try:
            text = extra.read_text(encoding="utf-8")
        except OSError as e:
            raise UserError(f"--labels: cannot read {extra}: {e.strerror}") from None
        if extra.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
            try:
                added = _labels_from(json.loads(text), str(extra))
            except json.JSONDecodeError as e:
                raise UserError(
                    f"--labels: {extra} is not valid JSON: {e.msg} (line {e.lineno})"
                ) from None
        else:
            rows = []
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if ":" not in line:
                    raise UserError(f"--labels: {extra}:{n}: expected 'id: description'")
                lid, desc = line.split(":", 1)
                rows.append({"id": lid.strip(), "description": desc.strip()})
            added = _labels_from(rows, str(extra))
        for lab in added:
            labels[lab.id] = lab
    return Taxonomy(tuple(labels.values()), groups)


@dataclass
class SegmentInfo:
    index: int
    name: str
    kind: str  # label | group | mixed | terms | other_language
    label: str | None  # taxonomy label it is named after (kind == label)
    group: str | None  # taxonomy group (kind label or group)
    # support of what it is named after, 0..1 (0 for term names); None for the other-language
    # holding group: nothing was fitted or named there, so no number would be honest
    confidence: float | None
    support: dict[str, float]  # the top labels' shares of the segment's searches
    agreeing_terms: list[str]
    parts: list[str]  # label ids the name stands for (both sides of a mixed name)
    size: int
    top_terms: list[str]
    queries: list[str]
    avg_order_value: float | None = None
    price_z: float | None = None
    languages: dict[str, int] | None = None  # holding group: its users by language

    @property
    def matched(self) -> bool:
        return self.kind in ("label", "group")

    @property
    def holding(self) -> bool:
        """The other-language group: users set aside, not a segment that was fitted."""
        return self.kind == "other_language"

    def evidence(self) -> str:
        if self.holding:
            langs = ", ".join(f"{c} {n:,}" for c, n in (self.languages or {}).items())
            return (
                "holding group, not a segment: users searching mostly in other languages"
                + (f" ({langs})" if langs else "")
                + "; the model reads English, so they are neither clustered nor named"
            )
        sup = ", ".join(f"{k} {v:.0%}" for k, v in self.support.items())
        return f"support: {sup}; terms: {', '.join(self.agreeing_terms) or '-'}"


def c_tf_idf(qt: QueryTable, labels: np.ndarray, k: int, top: int = TOP_TERMS) -> list[list[str]]:
    """Class-based TF-IDF over the words of each segment's searches (BERTopic's formula)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    texts = qt.texts.to_pylist()
    vec = CountVectorizer(token_pattern=r"(?u)\b[a-z][a-z0-9]+\b", stop_words="english")
    try:
        q_terms = vec.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return [[] for _ in range(k)]
    vocab = np.asarray(vec.get_feature_names_out())
    seg_query = _segment_query_counts(qt, labels, k)
    counts = np.asarray((seg_query @ q_terms).todense(), dtype=np.float64)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg_words = counts.sum() / k
    idf = np.log1p(avg_words / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf[None, :]
    out = []
    for c in range(k):
        order = np.lexsort((vocab, -scores[c]))  # ties broken by the word: deterministic
        out.append([str(vocab[i]) for i in order[:top] if scores[c, i] > 0])
    return out


def _segment_query_counts(qt: QueryTable, labels: np.ndarray, k: int) -> Any:
    """(segments x distinct queries) sparse counts of search rows."""
    import numpy as np
    import scipy.sparse as sp

    rows = max(k, int(labels.max()) + 1) if len(labels) else k  # other-language group too
    return sp.csr_matrix(
        (np.ones(qt.rows), (labels[qt.user_idx], qt.query_idx)), shape=(rows, len(qt.texts))
    )


def representative_queries(
    qt: QueryTable,
    labels: np.ndarray,
    query_vectors: np.ndarray,
    centroids: np.ndarray,
    k: int,
    top: int = 3,
) -> list[list[str]]:
    """Frequent queries of the segment that sit close to its centre (count x cosine)."""
    import numpy as np

    seg_query = _segment_query_counts(qt, labels, k)
    out: list[list[str]] = []
    for c in range(k):
        row = seg_query.getrow(c)
        idx, cnt = row.indices, row.data
        if len(idx) == 0:
            out.append([])
            continue
        cos = query_vectors[idx] @ centroids[c]
        rank = cnt * np.maximum(cos, 0)
        order = np.lexsort((idx, -rank))[:top]
        out.append([qt.texts[int(idx[i])].as_py() for i in order])
    return out


@dataclass
class Naming:
    name: str
    kind: str
    label: str | None
    group: str | None
    confidence: float
    support: dict[str, float]
    agreeing_terms: list[str]
    parts: list[str]  # the label ids the name stands for (both sides of a mixed name)


def _stem(word: str) -> str:
    # enough for keyword matching: "dresses"/"dress", "tools"/"tool", "puppies"/"puppy"
    for suf, rep in (("ies", "y"), ("sses", "ss"), ("es", ""), ("s", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            return word[: len(word) - len(suf)] + rep
    return word


def name_segments(
    qt: QueryTable,
    labels: np.ndarray,
    k: int,
    query_vectors: np.ndarray,
    terms: list[list[str]],
    embed: Callable[[list[str]], np.ndarray],
    taxonomy: Taxonomy,
) -> list[Naming]:
    """One unique, evidence-backed name per segment (see the module docstring)."""
    import numpy as np

    labs = list(taxonomy.labels)
    lv = label_prototypes(taxonomy, embed)
    # nearest label per distinct query (or none when nothing is close)
    sims = query_vectors @ lv.T
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(len(best)), best]
    nearest = np.where(best_sim >= QUERY_MIN_SIM, best, -1)
    seg_query = _segment_query_counts(qt, labels, k)
    # nearest label per top term (by embedding), for agreement
    all_terms = sorted({t for ts in terms for t in ts})
    term_label: dict[str, int] = {}
    if all_terms:
        tv = embed(all_terms)
        ts_ = tv @ lv.T
        for t, row in zip(all_terms, ts_, strict=True):
            j = int(np.argmax(row))
            if row[j] >= QUERY_MIN_SIM:
                term_label[t] = j
    groups = sorted({lab.group for lab in labs})
    qwords = [re.findall(r"[a-z0-9]+", q) for q in qt.texts.to_pylist()]
    distinctive = _distinctive(seg_query, k)
    out: list[Naming] = []
    for c in range(k):
        row = seg_query.getrow(c)
        total = float(row.data.sum()) or 1.0
        sup = np.zeros(len(labs))
        keep = distinctive.getrow(c).toarray()[0]
        if keep[row.indices].sum() == 0:  # nothing sets it apart: judge it by all it types
            keep = np.ones(len(keep), dtype=bool)
        dtotal = float(row.data[keep[row.indices]].sum()) or 1.0
        for qi, cnt in zip(row.indices, row.data, strict=True):
            if nearest[qi] >= 0 and keep[qi]:
                sup[nearest[qi]] += cnt
        sup /= dtotal
        gsup = {
            g: float(sum(sup[j] for j, lab in enumerate(labs) if lab.group == g)) for g in groups
        }

        def agree(j: int, c: int = c) -> list[str]:
            kw = {_stem(w) for w in labs[j].keywords}
            return [t for t in terms[c] if _stem(t) in kw or term_label.get(t) == j]

        order = np.lexsort((np.arange(len(labs)), -sup))
        top_support = {labs[j].id: round(float(sup[j]), 3) for j in order[:3] if sup[j] > 0}
        j0 = int(order[0])
        ag = agree(j0)
        # behaviour labels (deal seeking, gifts, premium) cut across product domains: "cheap
        # laptop" is nearest to computers, so their evidence is the share of the segment's
        # searches that use the label's own words, checked against the top terms as well
        kw_best: tuple[float, int] | None = None
        for j, lab in enumerate(labs):
            if lab.group not in NO_GROUP_NAMES or not lab.keywords:
                continue
            kws = {_stem(w) for w in lab.keywords}
            hit = sum(
                cnt
                for qi, cnt in zip(row.indices, row.data, strict=True)
                if kws & {_stem(w) for w in qwords[qi]}
            )
            share = float(hit) / total
            good = share >= BEHAVIOUR_SHARE and len(agree(j)) >= 2
            if good and (kw_best is None or share > kw_best[0]):
                kw_best = (share, j)
        if kw_best is not None:
            share, j = kw_best
            lab = labs[j]
            sup_kw = {f"{lab.id} (own words)": round(share, 3), **top_support}
            out.append(
                Naming(lab.id, "label", lab.id, lab.group, share, sup_kw, agree(j), [lab.id])
            )
            continue
        gorder = sorted(groups, key=lambda g: (-gsup[g], g))
        g0, g1 = gorder[0], (gorder[1] if len(gorder) > 1 else gorder[0])

        def lead(g: str, order: np.ndarray = order) -> int:  # group g's strongest label
            return int(next(j for j in order if labs[j].group == g))

        if g1 != g0 and gsup[g1] >= MIXED_PART and gsup[g0] < MIXED_DOMINANT:
            a, b = lead(g0), lead(g1)
            mag = sorted(set(agree(a) + agree(b)), key=terms[c].index)
            if mag:
                out.append(
                    Naming(
                        f"mixed_{labs[a].id}_{labs[b].id}",
                        "mixed",
                        None,
                        None,
                        float(gsup[g0] + gsup[g1]),
                        top_support,
                        mag,
                        [labs[a].id, labs[b].id],
                    )
                )
                continue
        if sup[j0] >= LABEL_SUPPORT and ag:
            lab = labs[j0]
            out.append(
                Naming(
                    lab.id, "label", lab.id, lab.group, float(sup[j0]), top_support, ag, [lab.id]
                )
            )
            continue
        if g0 not in NO_GROUP_NAMES and gsup[g0] >= LABEL_SUPPORT:
            in_g = [int(j) for j in order if labs[j].group == g0 and sup[j] > 0]
            lead_j = in_g[0]
            lead_ag = agree(lead_j)
            if sup[lead_j] >= LABEL_OF_GROUP * gsup[g0] and lead_ag:
                # the group's evidence is mostly one label: that label is the precise name
                lab = labs[lead_j]
                out.append(
                    Naming(
                        lab.id,
                        "label",
                        lab.id,
                        lab.group,
                        float(sup[lead_j]),
                        top_support,
                        lead_ag,
                        [lab.id],
                    )
                )
                continue
            gag = sorted({t for j in in_g for t in agree(j)}, key=terms[c].index)
            if gag:
                out.append(
                    Naming(
                        g0,
                        "group",
                        None,
                        g0,
                        gsup[g0],
                        top_support,
                        gag,
                        [labs[j].id for j in in_g],
                    )
                )
                continue
        head = "_".join(terms[c][:2])
        name = f"terms_{head}" if head else f"segment_{c + 1}"
        out.append(Naming(name, "terms", None, None, 0.0, top_support, [], []))
    _make_unique(out, terms)
    return out


def _distinctive(seg_query: Any, k: int) -> Any:
    """(segments x queries) mask of the queries a segment types more often than the whole
    population does (lift > 1). Label support is measured on these: what every segment types
    ("gift ideas", "track my order") and a few users' side interests ("rtx 4070" in a pet
    owners' segment) say nothing about what sets the segment apart. Measured on generated data
    (15 interests, 22% of searches generic or a side interest): the right label's support
    rose from ~0.31-0.37 to ~0.5; the hand-written histories' figures are in the docs."""
    import numpy as np
    import scipy.sparse as sp

    m = sp.csr_matrix(seg_query[:k], dtype=np.float64)
    seg_tot = np.asarray(m.sum(axis=1)).ravel()
    q_tot = np.asarray(seg_query.sum(axis=0)).ravel()
    all_tot = float(q_tot.sum()) or 1.0
    coo = m.tocoo()
    lift = (coo.data / np.maximum(seg_tot[coo.row], 1)) / np.maximum(
        q_tot[coo.col] / all_tot, 1e-12
    )
    keep = lift > 1.0
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=bool), (coo.row[keep], coo.col[keep])), shape=m.shape
    )


def label_prototypes(taxonomy: Taxonomy, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """One unit vector per label: the mean of its description's and its keywords' embeddings.
    A long description alone sits far from a three-word query (measured on the hand-written
    histories' queries: nearest-label accuracy 53% with the description alone, 72% with the
    prototype; 25% vs 3% of queries near no label)."""
    import numpy as np

    labs = list(taxonomy.labels)
    desc = embed([lab.description for lab in labs])
    words = sorted({w for lab in labs for w in lab.keywords})
    wv = dict(zip(words, embed(words), strict=True)) if words else {}
    out = np.empty_like(desc)
    for i, lab in enumerate(labs):
        vs = [desc[i], *(wv[w] for w in sorted(lab.keywords))]
        m = np.mean(vs, axis=0)
        out[i] = m / max(float(np.linalg.norm(m)), 1e-12)
    return out


def _make_unique(names: list[Naming], terms: list[list[str]]) -> None:
    """The most confident segment keeps a shared name; the others get their own top term."""
    seen: set[str] = set()
    order = sorted(range(len(names)), key=lambda i: (-names[i].confidence, i))
    for i in order:
        n = names[i].name
        if n in seen:
            extra = next((t for t in terms[i] if t not in n.split("_")), None)
            cand = f"{n}_{extra}" if extra else n
            m = 2
            while cand in seen:
                cand = f"{n}_{m}"
                m += 1
            names[i].name = cand
        seen.add(names[i].name)


def unit_centroids(user_vecs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    import numpy as np
    import scipy.sparse as sp

    onehot = sp.csr_matrix(
        (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
        shape=(k, len(labels)),
    )
    c = np.asarray(onehot @ user_vecs, dtype=np.float32)
    return c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
