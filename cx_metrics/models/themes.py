"""The theme estimator: themes in free text by TF-IDF + NMF, with no database in sight.

:class:`ThemeModel` is a scikit-learn estimator fitted on the texts of one corpus (one text per document, repeats
included); reading the corpus from DuckDB, storing the themes, their assignment and the saved model, and the
analyst's names, pins and merges are :mod:`cx_metrics.models.theme_store`'s.

* **Fit** (:meth:`ThemeModel.fit`): every document is redacted and folded (:mod:`cx_metrics.text.tokens`),
  vectorised with TF-IDF (words and two-word phrases, English/French/German/Spanish stop words) and factorised with
  NMF. The number of themes is not fixed: for each candidate k the NMF is refitted with several seeds on a seeded
  sample, and k is the one whose topics agree best across seeds (mean cosine similarity of Hungarian-matched
  topic-term vectors; Greene, O'Callaghan & Cunningham 2014), the largest k within 0.02 of the best.
  Large corpora are fitted on a seeded sample (``fit_sample`` documents); every document is then assigned.
* **Distinct texts**: texts that read the same once prepared (they differ only in a template sentence or in
  redacted data) are one row of the fit, and every distinct text is one row however often it repeats: the themes
  describe the kinds of text, their volume is counted at assignment (see :func:`_distinct_rows`). Topics that
  still carry the same documents are merged (:func:`collapse_duplicates`). When the most stable k is the largest
  tried, the stability check goes on with larger ones, up to ``k_limit``.
* **Labels** (:func:`label_themes`): the phrases of one to three words that are frequent in the theme's texts and
  rare elsewhere (lift), picked greedily so that together they cover most of its texts: "charged twice
  subscription", not the top NMF terms, which include words shared with other themes ("twice"); a theme that
  holds two kinds of text names both ("log account · close account"); no two themes get the same label.
* **Assignment** (:func:`assign`): a document carries each theme holding at least ``min_weight`` of its topic
  weight (at most three); a document matching no vocabulary carries none.
* **Identity across refits**: given the catalogue's themes (``known``: term weights by theme key), a refit's
  topics are matched to them by cosine similarity of their term weights, one-to-one (Hungarian); a match above
  ``match_threshold`` keeps its key (``matches_``) and so the analyst's name, pin and merge. A ``pinned`` theme
  that the refit does not find is kept: its term vector joins the model as a fixed topic, so its trend stays
  continuous.

Only ``sklearn.base`` is imported with the module; the parts that fit and transform are imported where they are
used (start-up cost, as in :mod:`cx_metrics.models.churn`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from cx_metrics.text.redact import redact
from cx_metrics.text.tokens import analyze, boilerplate, phrases, preprocess, surface_label

Progress = Callable[[float, str], None]

STABILITY_TOLERANCE = 0.02
EXAMPLE_CHARS = 240


class ThemeError(ValueError):
    """Themes cannot be fitted or used as asked; the message says what to do."""


def _vectorizer(max_features: int, n_docs: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=analyze, min_df=2 if n_docs >= 20 else 1, max_df=0.5 if n_docs >= 20 else 1.0,
        max_features=max_features, sublinear_tf=True, dtype=np.float32,
    )


def _nmf(k: int, seed: int, init: str, max_iter: int = 400) -> Any:
    from sklearn.decomposition import NMF

    return NMF(n_components=k, init=init, random_state=seed, max_iter=max_iter, tol=1e-4)


def _unit_rows(h: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(h, axis=1, keepdims=True)
    return np.asarray(np.divide(h, norms, out=np.zeros_like(h), where=norms > 0))


def topic_agreement(h1: np.ndarray, h2: np.ndarray) -> float:
    """Mean cosine similarity of two topic-term matrices' topics, matched one-to-one (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    sim = _unit_rows(h1) @ _unit_rows(h2).T
    rows, cols = linear_sum_assignment(-sim)
    return float(sim[rows, cols].mean())


def stability_curve(x: Any, ks: Sequence[int], runs: int, seed: int,
                    progress: Progress | None = None) -> dict[int, float]:
    """Stability of each k: mean pairwise :func:`topic_agreement` of ``runs`` NMF fits with different seeds."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    out: dict[int, float] = {}
    for i, k in enumerate(ks):
        with warnings.catch_warnings():  # short fits: agreement is measured, not the optimum
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits = [_nmf(k, seed + r, "random", max_iter=150).fit(x).components_ for r in range(runs)]
        pairs = [topic_agreement(fits[a], fits[b]) for a in range(runs) for b in range(a + 1, runs)]
        out[int(k)] = float(np.mean(pairs))
        if progress:
            progress((i + 1) / len(ks), f"stability of {k} themes: {out[int(k)]:.3f}")
    return out


def choose_k(curve: dict[int, float], tolerance: float = STABILITY_TOLERANCE) -> int:
    """The largest k whose stability is within ``tolerance`` of the best."""
    best = max(curve.values())
    return max(k for k, v in curve.items() if v >= best - tolerance)


def top_terms(h_row: np.ndarray, vocab: np.ndarray, n: int = 10, min_ratio: float = 0.0) -> list[str]:
    """The ``n`` heaviest terms of a topic, keeping only those weighing at least ``min_ratio`` x the heaviest."""
    order = np.argsort(-h_row)[:n]
    top = float(h_row[order[0]]) if len(order) else 0.0
    return [str(vocab[i]) for i in order if h_row[i] > 0 and h_row[i] >= min_ratio * top]


def label_from_terms(terms: Sequence[str], n: int = 3) -> str:
    """The first ``n`` top terms, skipping words already inside a chosen phrase (``charged twice`` then not
    ``charged``) and phrases made of chosen words."""
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        used = {w for c in chosen for w in c.split()}
        if words <= used:
            continue
        chosen = [c for c in chosen if not (set(c.split()) < words)]
        chosen.append(term)
        if len(chosen) == n:
            break
    return " · ".join(chosen)


# --------------------------------------------------------------------------------------------------- labels

#: a theme is labelled from the texts that carry it most (at most this many distinct texts per theme) against a
#: seeded sample of every text (the background)
LABEL_DOCS = 1_000
LABEL_BACKGROUND = 10_000
LABEL_MAX_PHRASES = 3
LABEL_MIN_GAIN = 0.1  #: a further phrase must cover this share of the theme's texts not yet covered
LABEL_COVERED = 0.9  #: stop once the phrases cover this share of the theme's texts
LABEL_MIN_LIFT = 2.0  #: a label phrase is at least this much more frequent in the theme than overall
#: a phrase of n words scores 1 + LABEL_LENGTH_BONUS x (n - 1) times its coverage: "log account" (64% of a theme)
#: beats "account" (100%) when the rest is "close account", so the label names both kinds of text it holds
LABEL_LENGTH_BONUS = 1.0


def choose_label(coverage: np.ndarray, lift: np.ndarray, members: Any, weights: np.ndarray,
                 candidates: np.ndarray, taken: Collection[str] = ()) -> list[str]:
    """The phrases that name a theme: picked greedily by the share of the theme's texts they newly cover times
    the log of their lift (frequency in the theme / frequency overall), longer phrases preferred (x 1 +
    :data:`LABEL_LENGTH_BONUS` per extra word, so "charged twice" beats "twice" when it covers half as many
    texts or more).

    ``members`` is a binary texts x candidates matrix of the theme's texts, ``weights`` their document counts,
    ``coverage`` / ``lift`` per candidate. Phrases are added while each newly covers at least
    :data:`LABEL_MIN_GAIN` of the theme and the chosen ones cover less than :data:`LABEL_COVERED`; phrases whose
    words are all in a chosen one are skipped. When the label is already another theme's (``taken``), the next
    best phrase is added to tell them apart.
    """
    total = float(weights.sum())
    if total <= 0:
        return []
    n_words = np.char.count(candidates.astype(str), " ") + 1
    quality = np.log(np.maximum(lift, 1.0)) * (1 + LABEL_LENGTH_BONUS * (n_words - 1))
    eligible = (lift >= LABEL_MIN_LIFT) & (coverage > 0)
    uncovered = weights.astype(float).copy()
    chosen: list[str] = []
    used: set[str] = set()

    def best(min_gain: float) -> int | None:
        gain = (members.T @ uncovered) / total
        score = np.where(eligible & (gain >= min_gain), gain * quality, -1.0)
        for i in np.argsort(-score, kind="stable"):
            if score[i] < 0:
                return None
            if not set(str(candidates[i]).split()) <= used:
                return int(i)
        return None

    while len(chosen) < LABEL_MAX_PHRASES:
        pick = best(LABEL_MIN_GAIN if chosen else 0.0)
        if pick is None:
            break
        chosen.append(str(candidates[pick]))
        used.update(str(candidates[pick]).split())
        hit = np.asarray(members[:, pick].todense()).ravel() > 0
        uncovered[hit] = 0.0
        if 1 - uncovered.sum() / total >= LABEL_COVERED:
            break
    if chosen and " · ".join(chosen) in taken:  # another theme has this label: the next best phrase tells them apart
        extra = best(0.0)
        if extra is None:
            score = np.where(eligible, coverage * quality, -1.0)
            extra = next((int(i) for i in np.argsort(-score, kind="stable") if score[i] >= 0
                          and not set(str(candidates[i]).split()) <= used), None)
        if extra is not None:
            chosen.append(str(candidates[extra]))
    return chosen


@dataclass
class TopicPhrases:
    """What :func:`topic_phrases` found for one topic: the label phrases, the texts carrying the topic most
    (``idx`` into the distinct texts, ``weight`` = documents x the topic's share of them) and, per phrase, which of
    those texts hold it."""

    chosen: list[str]
    idx: np.ndarray
    weight: np.ndarray
    holds: list[np.ndarray]


def topic_phrases(processed: Sequence[str], counts: np.ndarray, rows: np.ndarray, topics: np.ndarray,
                  shares: np.ndarray, n_topics: int, seed: int) -> list[TopicPhrases]:
    """The label phrases of every topic (see :func:`label_themes`), with the texts each one covers."""
    from sklearn.feature_extraction.text import CountVectorizer

    rng = np.random.default_rng(seed)
    n = len(processed)
    background = np.sort(rng.permutation(n)[:LABEL_BACKGROUND])
    per_topic: list[tuple[np.ndarray, np.ndarray]] = []
    for t in range(n_topics):
        mine = topics == t
        idx, weight = rows[mine], counts[rows[mine]] * shares[mine]
        top = np.argsort(-weight, kind="stable")[:LABEL_DOCS]
        per_topic.append((idx[top], weight[top]))
    nothing = [TopicPhrases([], idx, weight, []) for idx, weight in per_topic]
    pool = np.unique(np.concatenate([background, *[i for i, _ in per_topic]]))
    if not len(pool):
        return nothing
    position = {int(d): j for j, d in enumerate(pool)}
    try:
        matrix = CountVectorizer(analyzer=phrases, binary=True, dtype=np.float32).fit(
            [processed[i] for i in pool])
    except ValueError:  # no words at all
        return nothing
    x = matrix.transform([processed[i] for i in pool]).tocsr()
    candidates = matrix.get_feature_names_out()
    column = {str(c): j for j, c in enumerate(candidates)}
    bg_rows = x[[position[int(d)] for d in background]]
    bg_weights = counts[background]
    overall = np.asarray(bg_rows.T @ bg_weights).ravel() / max(float(bg_weights.sum()), 1.0)
    out: list[TopicPhrases] = []
    taken: set[str] = set()
    for idx, weight in per_topic:
        if not len(idx):
            out.append(TopicPhrases([], idx, weight, []))
            continue
        members = x[[position[int(d)] for d in idx]].tocsc()
        coverage = np.asarray(members.T @ weight).ravel() / float(weight.sum())
        # a phrase of the theme the background sample missed is rarer overall than the rarest seen
        floor = 1.0 / max(float(counts.sum()), 1.0)
        lift = coverage / np.maximum(overall, floor)
        chosen = choose_label(coverage, lift, members, weight, candidates, taken)
        if chosen:
            taken.add(" · ".join(chosen))
        holds = [np.asarray(members[:, column[c]].todense()).ravel() > 0 for c in chosen]
        out.append(TopicPhrases(chosen, idx, weight, holds))
    return out


def label_themes(processed: Sequence[str], counts: np.ndarray, rows: np.ndarray, topics: np.ndarray,
                 shares: np.ndarray, n_topics: int, seed: int, originals: Sequence[str] | None = None
                 ) -> list[str | None]:
    """A label per topic from the texts assigned to it (None for a topic that no text carries).

    The texts carrying a topic most (weighted by their document count x the topic's share of them) are compared
    with a seeded sample of all texts: :func:`choose_label` picks the phrases frequent in the theme and rare
    elsewhere that together cover most of its texts, so a theme gets the words that set it apart, not the words
    it shares with others ("charged twice subscription", not "twice"), and a theme made of two kinds of texts
    names both. With the ``originals`` (the texts as written, aligned with ``processed``) each phrase is shown as
    the texts write it (:func:`cx_metrics.text.tokens.surface_label`: "Missing features we asked for a year ago"
    reads "asked for a year ago", not "asked year ago").
    """
    found = topic_phrases(processed, counts, rows, topics, shares, n_topics, seed)
    labels = [" · ".join(tp.chosen) or None for tp in found]
    written = [_written(tp.chosen, tp.idx, tp.weight, originals) if tp.chosen and originals is not None
               else label for tp, label in zip(found, labels, strict=True)]
    # as written when every theme still reads differently; a written label shared by two themes gives way to the
    # phrases that tell them apart
    seen = [w for w in written if w]
    return [w if w and seen.count(w) == 1 else lab for w, lab in zip(written, labels, strict=True)]


#: two kinds of text in one topic are unrelated when at most this share of the smaller kind's texts also holds the
#: other's phrase, and the two kinds' term profiles are at most this similar (cosine): they share a word such as
#: "account" ("Cannot log in to my account" / "Close my account"), not their subject
SPLIT_OVERLAP = 0.05
SPLIT_SIMILARITY = 0.3


def split_mixed_topics(vectorizer: Any, h: np.ndarray, found: list[TopicPhrases], processed: Sequence[str],
                       counts: np.ndarray) -> tuple[np.ndarray, int]:
    """Topics that hold unrelated kinds of text become one topic per kind: one theme must not merge unrelated
    topics (an NMF with fewer topics than kinds of text puts two in one, and its label then names both).

    A topic is split when its label's phrases cover (nearly) disjoint texts (:data:`SPLIT_OVERLAP`) whose term
    profiles differ (TF-IDF centroids at most :data:`SPLIT_SIMILARITY` alike): synonyms ("refund" / "money back")
    share their context and stay together. Each kind's topic row is its texts' TF-IDF centroid without the terms
    the kinds share (which would pull texts of one kind towards the other), scaled like the topic it replaces.
    Returns the new topic-term matrix and how many topics were split."""
    rows: list[np.ndarray] = []
    split = 0
    for t in range(h.shape[0]):
        tp = found[t] if t < len(found) else None
        kinds = _unrelated_kinds(vectorizer, tp, processed, counts) if tp and len(tp.chosen) >= 2 else None
        if kinds is None:
            rows.append(h[t])
            continue
        split += 1
        scale = float(np.linalg.norm(h[t]))
        for g, centroid in enumerate(kinds):
            others = np.max(np.delete(kinds, g, axis=0), axis=0)
            own = np.where(centroid > others, centroid, 0.0)
            rows.append(own * scale / max(float(np.linalg.norm(own)), 1e-12))
    return (np.vstack(rows) if split else h), split


def _unrelated_kinds(vectorizer: Any, tp: TopicPhrases, processed: Sequence[str], counts: np.ndarray
                     ) -> np.ndarray | None:
    """The TF-IDF centroids of the kinds of text a topic's label names, when they are unrelated (else None)."""
    groups = []
    for held in tp.holds:
        mine = tp.idx[held]
        if not len(mine):
            return None
        groups.append((held, mine))
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            both = float(tp.weight[groups[a][0] & groups[b][0]].sum())
            smaller = min(float(tp.weight[groups[a][0]].sum()), float(tp.weight[groups[b][0]].sum()))
            if both > SPLIT_OVERLAP * smaller:
                return None
    centroids = []
    for _, mine in groups:
        x = vectorizer.transform([processed[int(i)] for i in mine])
        c = np.asarray(x.T @ counts[mine]).ravel()
        centroids.append(c / max(float(np.linalg.norm(c)), 1e-12))
    profile = np.vstack(centroids)
    similarity = profile @ profile.T
    if np.max(similarity - np.eye(len(centroids))) > SPLIT_SIMILARITY:
        return None
    return profile


def _written(chosen: list[str], idx: np.ndarray, weight: np.ndarray, originals: Sequence[str]) -> str:
    """The label's phrases as the theme's texts write them (see :func:`label_themes`)."""
    texts = [str(originals[int(i)]) for i in idx]
    return " · ".join(surface_label(phrase, texts, [float(w) for w in weight]) for phrase in chosen)


def term_weights(h_row: np.ndarray, vocab: np.ndarray, n: int = 60) -> dict[str, float]:
    order = np.argsort(-h_row)[:n]
    total = float(np.linalg.norm(h_row[order])) or 1.0
    return {str(vocab[i]): round(float(h_row[i]) / total, 6) for i in order if h_row[i] > 0}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na, nb = math.sqrt(sum(v * v for v in a.values())), math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def match_topics(new: Sequence[dict[str, float]], old: dict[int, dict[str, float]],
                 threshold: float) -> dict[int, tuple[int, float]]:
    """One-to-one match of new topics (by index) to catalogue themes (by key) on term-weight cosine similarity.

    Returns ``{new index: (theme_key, similarity)}`` for the pairs of the maximum-similarity assignment whose
    similarity reaches ``threshold``; the other new topics are new themes.
    """
    from scipy.optimize import linear_sum_assignment

    if not new or not old:
        return {}
    keys = sorted(old)
    sim = np.array([[_cosine(n, old[k]) for k in keys] for n in new])
    rows, cols = linear_sum_assignment(-sim)
    return {int(r): (keys[c], float(sim[r, c])) for r, c in zip(rows, cols, strict=True) if sim[r, c] >= threshold}


def assign(w: np.ndarray, min_weight: float, max_per_doc: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, topic, share) of every document-theme pair kept from the document-topic weights ``w``."""
    totals = w.sum(axis=1, keepdims=True)
    shares = np.divide(w, totals, out=np.zeros_like(w), where=totals > 0)
    if w.shape[1] > max_per_doc:
        cutoff = -np.partition(-shares, max_per_doc - 1, axis=1)[:, max_per_doc - 1: max_per_doc]
        shares = np.where(shares >= cutoff, shares, 0.0)
    rows, topics = np.nonzero(shares >= min_weight)
    return rows, topics, shares[rows, topics]


def solve_weights(vectorizer: Any, h: np.ndarray, texts: Sequence[str], progress: Progress | None,
               start: float, span: float, chunk: int = 50_000) -> np.ndarray:
    from sklearn.decomposition import non_negative_factorization

    out = np.zeros((len(texts), h.shape[0]), dtype=np.float64)
    for lo in range(0, len(texts), chunk):
        x = vectorizer.transform(texts[lo: lo + chunk])
        w, _, _ = non_negative_factorization(x, H=h.astype(x.dtype), n_components=h.shape[0], update_H=False,
                                             init="custom", max_iter=400, tol=1e-4)
        out[lo: lo + chunk] = w
        if progress:
            done = min(lo + chunk, len(texts))
            progress(start + span * done / len(texts), f"assigned themes to {done:,} of {len(texts):,} texts")
    return out


def _examples(w_col: np.ndarray, originals: Sequence[str], counts: np.ndarray, n: int = 3) -> list[str]:
    order = np.argsort(-(w_col * np.log1p(counts)))[: n * 4]
    out: list[str] = []
    for i in order:
        if w_col[i] <= 0:
            break
        text = redact(originals[i]) or ""
        text = text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"
        if text not in out:
            out.append(text)
        if len(out) == n:
            break
    return out


# --------------------------------------------------------------------------------------------------- fitting


STABILITY_TERMS = 2_000


def candidate_ks(k_min: int, k_max: int) -> list[int]:
    """Every k up to 10, then every other one (stability changes slowly there and each k costs refits)."""
    return [k for k in range(k_min, k_max + 1) if k <= 10 or k % 2 == 0 or k == k_max]


def _frequent_columns(x: Any, n: int = STABILITY_TERMS) -> Any:
    """The ``n`` terms found in most texts: the stability check compares topics on them (cost grows with terms)."""
    if x.shape[1] <= n:
        return x
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    keep = np.sort(np.argsort(-df, kind="stable")[:n])
    return x[:, keep]


def _counts(sample: np.ndarray) -> np.ndarray:
    """How often each distinct text of a sample occurs, in the order of ``np.unique``."""
    return np.unique(sample, return_counts=True)[1].astype(float)


def _distinct_rows(vectorizer: Any, processed: Sequence[str], sample: np.ndarray) -> Any:
    """TF-IDF rows of a sample's distinct (prepared) texts, one row each however often a text repeats.

    The themes describe the kinds of text, not their volume (volume is counted when every document is assigned):
    weighing a text by its repeats would let a template sent thousands of times absorb a rarer kind of text, such
    as an incident of a few hundred tickets among a hundred thousand (on the demo data, the double-charge tickets
    were folded into "notifications sent twice" when rows weighed their repeats). On free text, where nearly every
    text is distinct, the two are the same.
    """
    distinct = np.unique(sample)
    return vectorizer.transform([processed[i] for i in distinct])


DUPLICATE_SIMILARITY = 0.9


def collapse_duplicates(w: np.ndarray, h: np.ndarray,
                        threshold: float = DUPLICATE_SIMILARITY) -> tuple[np.ndarray, np.ndarray]:
    """Topics that carry the same documents (cosine similarity of their document-weight columns above
    ``threshold``) become one: an NMF asked for more topics than the texts hold splits one kind of text into
    several topics that would get the same label. The merged topic's weights are the sum of the columns and its
    terms the column-norm-weighted mean of the rows, so ``w @ h`` is kept where the split topics agree."""
    k = w.shape[1]
    norms = np.linalg.norm(w, axis=0)
    sim = _unit_rows(w.T) @ _unit_rows(w.T).T
    group = list(range(k))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(k):
        for j in range(i + 1, k):
            if sim[i, j] > threshold:
                group[root(j)] = root(i)
    roots = sorted({root(i) for i in range(k)})
    if len(roots) == k:
        return w, h
    members = [[i for i in range(k) if root(i) == r] for r in roots]
    w_out = np.column_stack([w[:, m].sum(axis=1) for m in members])
    h_out = np.vstack([(norms[m, None] * h[m]).sum(axis=0) / max(float(norms[m].sum()), 1e-12) for m in members])
    return w_out, h_out




# --------------------------------------------------------------------------------------------------- the estimator


class ThemeModel(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Themes of one corpus: TF-IDF + NMF with the number of themes chosen by stability (see the module).

    Parameters: ``n_themes`` (None: chosen by the stability check over ``k_min``..``k_max``, going on up to
    ``k_limit`` while the most stable is the largest tried), ``stability_runs`` seeded refits per candidate on
    ``stability_sample`` documents, the final fit on ``fit_sample`` documents, ``random_state``, ``min_weight`` and
    ``max_themes_per_doc`` (assignment), ``max_features`` (vocabulary) and ``match_threshold`` (the cosine
    similarity above which a topic keeps a known theme's key).

    Learned: ``vectorizer_``, ``components_`` (topics x terms, the pinned themes kept last), ``template_`` (the
    boilerplate sentences ignored), ``stability_``, ``chosen_by_``, ``n_split_``; per topic ``labels_``,
    ``top_terms_``, ``term_weights_``, ``examples_``; ``matches_`` (topic -> (known key, similarity)) and
    ``pinned_keys_`` (the keys of the topics after the fitted ones); and for the documents it was fitted on
    (as ``KMeans.labels_``): ``document_codes_`` (document -> distinct text), ``assignment_`` (distinct text,
    topic, share), ``n_documents_``, ``n_distinct_texts_``, ``sample_size_``, ``n_vocabulary_``.
    """

    def __init__(self, n_themes: int | None = None, *, k_min: int = 4, k_max: int = 30, k_limit: int = 50,
                 stability_runs: int = 3, stability_sample: int = 2_000, fit_sample: int = 100_000,
                 random_state: int = 7, min_weight: float = 0.25, max_themes_per_doc: int = 3,
                 max_features: int = 20_000, match_threshold: float = 0.35) -> None:
        self.n_themes = n_themes
        self.k_min = k_min
        self.k_max = k_max
        self.k_limit = k_limit
        self.stability_runs = stability_runs
        self.stability_sample = stability_sample
        self.fit_sample = fit_sample
        self.random_state = random_state
        self.min_weight = min_weight
        self.max_themes_per_doc = max_themes_per_doc
        self.max_features = max_features
        self.match_threshold = match_threshold

    def check(self) -> None:
        """Raise :class:`ThemeError` for parameters out of range (fit checks them too)."""
        if self.n_themes is not None and not 2 <= self.n_themes <= 60:
            raise ThemeError(f"the number of themes must be between 2 and 60, got {self.n_themes}")
        if not 2 <= self.k_min <= self.k_max <= self.k_limit <= 60:
            raise ThemeError("k_min/k_max/k_limit must satisfy 2 <= k_min <= k_max <= k_limit <= 60, got "
                             f"{self.k_min}/{self.k_max}/{self.k_limit}")
        if not 0 < self.min_weight <= 1:
            raise ThemeError(f"min_weight must be in (0, 1], got {self.min_weight}")
        if self.stability_runs < 2:
            raise ThemeError("the stability check needs at least 2 seeded runs")

    def fit(self, X: Sequence[str] | pd.Series, y: None = None, *,
            known: Mapping[int, dict[str, float]] | None = None, pinned: Collection[int] = (),
            progress: Progress | None = None) -> Self:
        """Fit on the texts ``X`` (one per document). ``known``: the catalogue's themes (key -> term weights) a
        topic may keep the key of; ``pinned``: the keys among them kept even when no topic matches."""
        self.check()
        report = progress or (lambda fraction, message: None)
        seed = self.random_state
        texts = X if isinstance(X, pd.Series) else pd.Series(list(X), dtype=object)
        codes, uniques = pd.factorize(texts, sort=False)
        originals = [str(u) for u in uniques]
        counts = np.bincount(codes, minlength=len(originals)).astype(float)
        report(0.02, f"preparing {len(originals):,} distinct texts")
        template = boilerplate(originals, counts.tolist())
        processed = [preprocess(t, template) for t in originals]
        n_distinct = len(originals)
        # texts that differ only in what the model does not read (a template sentence, redacted data) are one
        # text: identical rows would otherwise let the NMF split one kind of text into several themes with the
        # same words
        prepared, unique_prepared = pd.factorize(pd.Series(processed, dtype=object), sort=False)
        originals = [originals[i] for i in np.unique(prepared, return_index=True)[1]]  # a verbatim of each
        processed = [str(u) for u in unique_prepared]
        codes = prepared[codes]
        counts = np.bincount(codes, minlength=len(processed)).astype(float)
        rng = np.random.default_rng(seed)
        n = len(texts)
        sample = codes[rng.permutation(n)[: min(self.fit_sample, n)]]
        vectorizer = _vectorizer(self.max_features, len(sample))
        try:  # document frequencies over the sampled documents, repeats included
            vectorizer.fit([processed[i] for i in sample])
        except ValueError as exc:  # empty vocabulary
            raise ThemeError("The texts hold no words to build themes from (only numbers, stop words or redacted "
                             "personal data). Check the subject/description/comment columns of the imports.") from exc
        vocab = vectorizer.get_feature_names_out()
        x = _distinct_rows(vectorizer, processed, sample)
        cap = max(2, min(self.k_limit, len(vocab) - 1, len(sample) // 10, x.shape[0] - 1))
        max_k = min(self.k_max, cap)
        if self.n_themes is not None:
            k, curve, chosen_by = min(self.n_themes, len(vocab) - 1), {}, "fixed"
        else:
            ks = candidate_ks(min(self.k_min, max_k), max_k)
            report(0.05, f"checking stability of {ks[0]}-{ks[-1]} themes")
            stability_x = _frequent_columns(_distinct_rows(vectorizer, processed, sample[: self.stability_sample]))
            curve = stability_curve(stability_x, ks, self.stability_runs, seed,
                                    lambda f, m: report(0.05 + 0.4 * f, m))
            while choose_k(curve) == max(curve) < cap:  # the range was too narrow: stability still rising at its end
                more = candidate_ks(max(curve) + 1, min(max(curve) + 10, cap))
                report(0.45, f"the most stable number is the largest tried: checking {more[0]}-{more[-1]} themes")
                curve.update(stability_curve(stability_x, more, self.stability_runs, seed,
                                             lambda f, m: report(0.45 + 0.05 * f, m)))
            k, chosen_by = choose_k(curve), "stability"
        report(0.5, f"fitting {k} themes on {len(sample):,} texts")
        nmf = _nmf(k, seed, "nndsvda")
        w_sample, h_fit = collapse_duplicates(nmf.fit_transform(x), nmf.components_)
        k = h_fit.shape[0]
        sizes = (w_sample * _counts(sample)[:, None]).sum(axis=0)  # documents' weight on each topic
        order = np.argsort(-sizes, kind="stable")  # biggest theme first: stable ordering
        h = h_fit[order]
        # the fit already solved the sampled texts' weights: solve the rest
        distinct = np.unique(sample)
        w_all = np.zeros((len(originals), k))
        w_all[distinct] = w_sample[:, order]
        rest = np.setdiff1d(np.arange(len(originals)), distinct)
        if len(rest):
            w_all[rest] = solve_weights(vectorizer, h, [processed[i] for i in rest], report, 0.5, 0.05)
        n_split = 0
        if self.n_themes is None:  # a number of themes the user fixed is kept as it is
            rows, topics, shares = assign(w_all, self.min_weight, self.max_themes_per_doc)
            report(0.55, "checking that no theme merges unrelated kinds of text")
            found = topic_phrases(processed, counts, rows, topics, shares, k, seed)
            h, n_split = split_mixed_topics(vectorizer, h, found, processed, counts)
        if n_split:  # the topic matrix changed: every text's weights are solved again, biggest theme first
            w_all = solve_weights(vectorizer, h, processed, report, 0.56, 0.04)
            _, carried, _ = assign(w_all, self.min_weight, self.max_themes_per_doc)
            sizes = (w_all * counts[:, None]).sum(axis=0)
            # a kind split off that another topic already holds carries no text: it is dropped, not kept empty
            resort = [int(i) for i in np.argsort(-sizes, kind="stable") if i in set(carried.tolist())]
            h, w_all, k = h[resort], w_all[:, resort], len(resort)

        new_weights = [term_weights(row, vocab) for row in h]
        old = dict(known or {})
        matches = match_topics(new_weights, old, self.match_threshold)
        matched_keys = {key for key, _ in matches.values()}
        pinned_extra: list[tuple[int, np.ndarray]] = []
        index = {str(t): i for i, t in enumerate(vocab)}
        for key, weights in old.items():
            if key in pinned and key not in matched_keys:
                vec = np.zeros(len(vocab))
                for term, weight in weights.items():
                    if term in index:
                        vec[index[term]] = weight
                if vec.any():  # scaled like the fitted topics, so its documents compete fairly
                    vec *= float(np.median(np.linalg.norm(h, axis=1))) / float(np.linalg.norm(vec))
                    pinned_extra.append((key, vec))
        if pinned_extra:
            h = np.vstack([h, *[v for _, v in pinned_extra]])

        report(0.6, f"assigning themes to {len(originals):,} distinct texts")
        if pinned_extra:  # the topic matrix changed: every text's weights are solved again
            w = solve_weights(vectorizer, h, processed, report, 0.6, 0.3)
        else:
            w = w_all
        rows, topics, shares = assign(w, self.min_weight, self.max_themes_per_doc)
        report(0.88, "labelling themes")
        labels = label_themes(processed, counts, rows, topics, shares, h.shape[0], seed, originals)

        self.vectorizer_, self.components_, self.template_ = vectorizer, h, template
        self.stability_, self.chosen_by_, self.n_split_ = curve, chosen_by, n_split
        self.matches_ = matches
        self.pinned_keys_ = [key for key, _ in pinned_extra]
        self.term_weights_ = [*new_weights[:k], *[old[key] for key in self.pinned_keys_]]
        self.labels_ = [labels[i] or label_from_terms(top_terms(h[i], vocab, min_ratio=0.4))
                        for i in range(h.shape[0])]
        self.top_terms_ = [top_terms(h[i], vocab) for i in range(h.shape[0])]
        self.examples_ = [_examples(w[:, i], originals, counts) for i in range(h.shape[0])]
        self.document_codes_, self.assignment_ = codes, (rows, topics, shares)
        self.n_documents_, self.n_distinct_texts_, self.sample_size_ = n, n_distinct, len(sample)
        self.n_vocabulary_ = len(vocab)
        return self

    @classmethod
    def from_parts(cls, params: Mapping[str, Any], vectorizer: Any, components: np.ndarray,
                   template: frozenset[str]) -> ThemeModel:
        """A fitted model for :meth:`transform` from what a saved model keeps (see ``theme_store``)."""
        model = cls(**params)
        model.vectorizer_, model.components_, model.template_ = vectorizer, components, template
        return model

    def transform(self, X: Sequence[str], *, progress: Progress | None = None,
                  start: float = 0.0, span: float = 1.0) -> np.ndarray:
        """Document-topic weights of the texts ``X`` (one row per text, one column per topic)."""
        check_is_fitted(self, ["vectorizer_", "components_"])
        processed = [preprocess(str(t), self.template_) for t in X]
        return solve_weights(self.vectorizer_, self.components_, processed, progress, start, span)

    def assign(self, X: Sequence[str], **transform: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, topic, share) of every text-theme pair kept for the texts ``X`` (see :func:`assign`)."""
        return assign(self.transform(X, **transform), self.min_weight, self.max_themes_per_doc)
