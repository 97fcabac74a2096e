"""Themes in free text: TF-IDF + NMF over ticket subjects/descriptions and survey comments.

* **Two corpora, two models**: ticket text (``tickets``) and survey comments (``comments``) are fitted
  separately (:data:`SOURCES`), one code path parameterised by the corpus. A comment ("the agent was polite but
  slow") and a ticket ("pages are slow to load") share words, not reasons: one model would put them in one theme
  and blur the NPS/CSAT impact (read from the comment themes) with the ticket volume (read from the ticket themes).
  Each theme belongs to one corpus; names, pins and merges stay within it.
* **Fit** (:func:`fit`): every document is redacted and folded (:mod:`cx_metrics.text.tokens`), vectorised with
  TF-IDF (words and two-word phrases, English/French/German/Spanish stop words) and factorised with NMF. The
  number of themes is not fixed: for each candidate k the NMF is refitted with several seeds on a seeded
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
* **Assignment**: a document carries each theme holding at least ``min_weight`` of its topic weight (at most
  three); a document matching no vocabulary carries none.
* **Identity across refits**: a refit's topics are matched to the catalogue (table ``themes``) by cosine
  similarity of their term weights, one-to-one (Hungarian); a match above ``match_threshold`` keeps its
  ``theme_key`` and so the analyst's name, pin and merge. A pinned theme that a refit does not find is kept:
  its stored term vector joins the model as a fixed topic, so its trend stays continuous.
* The fitted vectoriser and topic matrix are saved under the database's folder (``models/``) and reused by
  :func:`assign_new` for documents imported later.
* Product requests ("please add dark mode", "il faudrait...", "bitte ... hinzufügen") are found by the
  multilingual cue list of :mod:`cx_metrics.text.requests` and grouped by what is asked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics.config import Settings
from cx_metrics.db import Connection, bump_data_version, query, transaction
from cx_metrics.text.redact import redact
from cx_metrics.text.requests import request_of
from cx_metrics.text.tokens import analyze, boilerplate, phrases, preprocess, surface_label

Progress = Callable[[float, str], None]

#: fewer documents than this cannot give stable themes
MIN_DOCUMENTS = 50
STABILITY_TOLERANCE = 0.02
EXAMPLE_CHARS = 240


#: corpus -> the document kind it reads (``theme_documents.doc_kind``)
SOURCES = {"tickets": "ticket", "comments": "survey"}
SOURCE_LABELS = {"tickets": "ticket subjects and descriptions", "comments": "survey comments"}


def _sources(source: str | None) -> list[str]:
    """The corpora a ``source`` argument names: one of :data:`SOURCES`, or ``"all"`` / None for both."""
    if source is None or source == "all":
        return list(SOURCES)
    if source not in SOURCES:
        raise ThemeError(f"source must be one of {', '.join(SOURCES)} or all, got {source!r}")
    return [source]


class ThemeError(ValueError):
    """Themes cannot be fitted or used as asked; the message says what to do."""


@dataclass(frozen=True)
class FitOptions:
    n_themes: int | None = None  #: None: chosen by the stability check over k_min..k_max
    k_min: int = 4
    k_max: int = 30
    #: when the most stable k is the largest tried, larger ones are tried (10 more at a time) up to this
    k_limit: int = 50
    stability_runs: int = 3  #: seeded refits per candidate k
    stability_sample: int = 2_000  #: documents the stability check is run on
    fit_sample: int = 100_000  #: documents the final model is fitted on (all, when fewer)
    seed: int = 7
    min_weight: float = 0.25  #: share of a document's topic weight a theme needs to count for it
    max_themes_per_doc: int = 3
    max_features: int = 20_000
    match_threshold: float = 0.35  #: cosine similarity above which a refit's topic keeps a catalogue theme

    def check(self) -> None:
        if self.n_themes is not None and not 2 <= self.n_themes <= 60:
            raise ThemeError(f"the number of themes must be between 2 and 60, got {self.n_themes}")
        if not 2 <= self.k_min <= self.k_max <= self.k_limit <= 60:
            raise ThemeError("k_min/k_max/k_limit must satisfy 2 <= k_min <= k_max <= k_limit <= 60, got "
                             f"{self.k_min}/{self.k_max}/{self.k_limit}")
        if not 0 < self.min_weight <= 1:
            raise ThemeError(f"min_weight must be in (0, 1], got {self.min_weight}")
        if self.stability_runs < 2:
            raise ThemeError("the stability check needs at least 2 seeded runs")


@dataclass
class FitSummary:
    fit_id: int
    source: str
    documents: int
    distinct_texts: int
    sample_size: int
    n_themes: int
    chosen_by: str
    stability: dict[int, float]
    seconds: float
    model_path: Path
    template_sentences: int = 0  #: boilerplate sentences ignored (signatures, "Screenshots attached")
    kept: list[int] = field(default_factory=list)  #: catalogue themes matched again
    new: list[int] = field(default_factory=list)  #: themes seen for the first time
    pinned_kept: list[int] = field(default_factory=list)  #: pinned themes kept without a match
    split: int = 0  #: topics that held unrelated kinds of text, each split into one theme per kind


# --------------------------------------------------------------------------------------------------- helpers


def _models_dir(settings: Settings) -> Path:
    return settings.db_path.parent / "models"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _vectorizer(options: FitOptions, n_docs: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=analyze, min_df=2 if n_docs >= 20 else 1, max_df=0.5 if n_docs >= 20 else 1.0,
        max_features=options.max_features, sublinear_tf=True, dtype=np.float32,
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


def _assign(w: np.ndarray, min_weight: float, max_per_doc: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, topic, share) of every document-theme pair kept from the document-topic weights ``w``."""
    totals = w.sum(axis=1, keepdims=True)
    shares = np.divide(w, totals, out=np.zeros_like(w), where=totals > 0)
    if w.shape[1] > max_per_doc:
        cutoff = -np.partition(-shares, max_per_doc - 1, axis=1)[:, max_per_doc - 1: max_per_doc]
        shares = np.where(shares >= cutoff, shares, 0.0)
    rows, topics = np.nonzero(shares >= min_weight)
    return rows, topics, shares[rows, topics]


def _transform(vectorizer: Any, h: np.ndarray, texts: Sequence[str], progress: Progress | None,
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


def _catalogue(conn: Connection, source: str) -> pd.DataFrame:
    """The corpus's themes (and those of fits made before the corpora were separate), to match a refit to."""
    return conn.cursor().execute(
        "SELECT theme_key, auto_label, name, pinned, merged_into, active, term_weights FROM themes "
        "WHERE corpus = $corpus OR corpus = 'all' ORDER BY theme_key", {"corpus": source}).df()


def documents_with_text(conn: Connection) -> dict[str, int]:
    """Documents with text to read, per corpus (``{"tickets": n, "comments": m}``)."""
    sizes = query(conn, "theme_corpus_size").set_index("doc_kind")["documents"]
    return {source: int(sizes.get(kind, 0)) for source, kind in SOURCES.items()}


def fit_all(conn: Connection, settings: Settings, options: FitOptions | None = None, *, source: str | None = "all",
            actor: str = "cli", progress: Progress | None = None) -> list[FitSummary]:
    """Fit the model of each corpus ``source`` names (``all``: tickets, then comments; a corpus with fewer than
    :data:`MIN_DOCUMENTS` texts is skipped unless it was asked for by name, or neither has enough)."""
    chosen = _sources(source)
    if len(chosen) > 1:
        sizes = documents_with_text(conn)
        enough = [s for s in chosen if sizes[s] >= MIN_DOCUMENTS]
        chosen = enough or chosen[:1]  # neither has enough: the tickets' fit says so
    report = progress or (lambda fraction, message: None)
    out = []
    for i, name in enumerate(chosen):
        def part(fraction: float, message: str, i: int = i, name: str = name) -> None:
            report((i + fraction) / len(chosen), f"{name}: {message}")

        out.append(fit(conn, settings, options, source=name, actor=actor, progress=part))
    return out


def fit(conn: Connection, settings: Settings, options: FitOptions | None = None, *, source: str = "tickets",
        actor: str = "cli", progress: Progress | None = None) -> FitSummary:
    """Fit the theme model of one corpus (``tickets`` or ``comments``) on every document of it, match it to the
    corpus's catalogue, store assignments and the model."""
    import joblib  # type: ignore[import-untyped]

    if source not in SOURCES:
        raise ThemeError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    kind = SOURCES[source]
    opts = options or FitOptions()
    opts.check()
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, "reading texts")
    corpus = query(conn, "theme_corpus", {"only_new": False, "kinds": [kind]})
    if len(corpus) < MIN_DOCUMENTS:
        what = ("tickets have a subject or description" if source == "tickets"
                else "survey responses have a comment")
        how = ("Import tickets with a subject or description" if source == "tickets"
               else "Import survey responses with comments")
        raise ThemeError(
            f"Only {len(corpus)} {what}; themes need at least {MIN_DOCUMENTS}. {how}, then fit again "
            f"(or fit the other corpus only: `cx themes fit --source "
            f"{'comments' if source == 'tickets' else 'tickets'}`).")
    codes, uniques = pd.factorize(corpus["text"], sort=False)
    originals = [str(u) for u in uniques]
    counts = np.bincount(codes, minlength=len(originals)).astype(float)
    report(0.02, f"preparing {len(originals):,} distinct texts")
    template = boilerplate(originals, counts.tolist())
    processed = [preprocess(t, template) for t in originals]
    requests = np.asarray([request_of(t) for t in originals], dtype=object)[codes]  # per document
    n_distinct = len(originals)
    # texts that differ only in what the model does not read (a template sentence, redacted data) are one text:
    # identical rows would otherwise let the NMF split one kind of text into several themes with the same words
    prepared, unique_prepared = pd.factorize(pd.Series(processed, dtype=object), sort=False)
    originals = [originals[i] for i in np.unique(prepared, return_index=True)[1]]  # a verbatim of each
    processed = [str(u) for u in unique_prepared]
    codes = prepared[codes]
    counts = np.bincount(codes, minlength=len(processed)).astype(float)
    rng = np.random.default_rng(opts.seed)
    n = len(corpus)
    sample = codes[rng.permutation(n)[: min(opts.fit_sample, n)]]
    vectorizer = _vectorizer(opts, len(sample))
    try:  # document frequencies over the sampled documents, repeats included
        vectorizer.fit([processed[i] for i in sample])
    except ValueError as exc:  # empty vocabulary
        raise ThemeError("The texts hold no words to build themes from (only numbers, stop words or redacted "
                         "personal data). Check the subject/description/comment columns of the imports.") from exc
    vocab = vectorizer.get_feature_names_out()
    x = _distinct_rows(vectorizer, processed, sample)
    cap = max(2, min(opts.k_limit, len(vocab) - 1, len(sample) // 10, x.shape[0] - 1))
    max_k = min(opts.k_max, cap)
    if opts.n_themes is not None:
        k, curve, chosen_by = min(opts.n_themes, len(vocab) - 1), {}, "fixed"
    else:
        ks = candidate_ks(min(opts.k_min, max_k), max_k)
        report(0.05, f"checking stability of {ks[0]}-{ks[-1]} themes")
        stability_x = _frequent_columns(_distinct_rows(vectorizer, processed, sample[: opts.stability_sample]))
        curve = stability_curve(stability_x, ks, opts.stability_runs, opts.seed,
                                lambda f, m: report(0.05 + 0.4 * f, m))
        while choose_k(curve) == max(curve) < cap:  # the range was too narrow: stability still rising at its end
            more = candidate_ks(max(curve) + 1, min(max(curve) + 10, cap))
            report(0.45, f"the most stable number is the largest tried: checking {more[0]}-{more[-1]} themes")
            curve.update(stability_curve(stability_x, more, opts.stability_runs, opts.seed,
                                         lambda f, m: report(0.45 + 0.05 * f, m)))
        k, chosen_by = choose_k(curve), "stability"
    report(0.5, f"fitting {k} themes on {len(sample):,} texts")
    model = _nmf(k, opts.seed, "nndsvda")
    w_sample, h_fit = collapse_duplicates(model.fit_transform(x), model.components_)
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
        w_all[rest] = _transform(vectorizer, h, [processed[i] for i in rest], report, 0.5, 0.05)
    n_split = 0
    if opts.n_themes is None:  # a number of themes the user fixed is kept as it is
        rows, topics, shares = _assign(w_all, opts.min_weight, opts.max_themes_per_doc)
        report(0.55, "checking that no theme merges unrelated kinds of text")
        found = topic_phrases(processed, counts, rows, topics, shares, k, opts.seed)
        h, n_split = split_mixed_topics(vectorizer, h, found, processed, counts)
    if n_split:  # the topic matrix changed: every text's weights are solved again, biggest theme first
        w_all = _transform(vectorizer, h, processed, report, 0.56, 0.04)
        _, carried, _ = _assign(w_all, opts.min_weight, opts.max_themes_per_doc)
        sizes = (w_all * counts[:, None]).sum(axis=0)
        # a kind split off that another topic already holds carries no text: it is dropped, not kept empty
        resort = [int(i) for i in np.argsort(-sizes, kind="stable") if i in set(carried.tolist())]
        h, w_all, k = h[resort], w_all[:, resort], len(resort)

    new_weights = [term_weights(row, vocab) for row in h]
    catalogue = _catalogue(conn, source)
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in catalogue.to_dict("records")]
    old: dict[int, dict[str, float]] = {int(r["theme_key"]): json.loads(r["term_weights"]) if r["term_weights"]
                                        else {} for r in records}
    matches = match_topics(new_weights, old, opts.match_threshold)
    matched_keys = {key for key, _ in matches.values()}
    pinned_extra: list[tuple[int, np.ndarray]] = []
    index = {str(t): i for i, t in enumerate(vocab)}
    for r in records:
        if bool(r["pinned"]) and int(r["theme_key"]) not in matched_keys:
            vec = np.zeros(len(vocab))
            for term, weight in old[int(r["theme_key"])].items():
                if term in index:
                    vec[index[term]] = weight
            if vec.any():  # scaled like the fitted topics, so its documents compete fairly
                vec *= float(np.median(np.linalg.norm(h, axis=1))) / float(np.linalg.norm(vec))
                pinned_extra.append((int(r["theme_key"]), vec))
    if pinned_extra:
        h = np.vstack([h, *[v for _, v in pinned_extra]])

    report(0.6, f"assigning themes to {len(originals):,} distinct texts")
    if pinned_extra:  # the topic matrix changed: every text's weights are solved again
        w = _transform(vectorizer, h, processed, report, 0.6, 0.3)
    else:
        w = w_all
    rows, topics, shares = _assign(w, opts.min_weight, opts.max_themes_per_doc)
    report(0.88, "labelling themes")
    labels = label_themes(processed, counts, rows, topics, shares, h.shape[0], opts.seed, originals)

    fitted_at = _now()
    report(0.92, "saving")
    models = _models_dir(settings)
    models.mkdir(parents=True, exist_ok=True)
    with transaction(conn) as cur:
        fit_id = int(cur.execute("SELECT nextval('theme_fit_seq')").fetchall()[0][0])
        keys: list[int] = []
        kept, new, pinned_kept = [], [], []
        for i in range(h.shape[0]):
            if i < k and i in matches:
                key, similarity = matches[i]
                kept.append(key)
            elif i < k:
                key, similarity = int(cur.execute("SELECT nextval('theme_key_seq')").fetchall()[0][0]), math.nan
                new.append(key)
            else:
                key, similarity = pinned_extra[i - k][0], math.nan
                pinned_kept.append(key)
            keys.append(key)
            terms = top_terms(h[i], vocab)
            label = labels[i] or label_from_terms(top_terms(h[i], vocab, min_ratio=0.4))
            examples = _examples(w[:, i], originals, counts)
            weights = new_weights[i] if i < k else old[key]
            cur.execute(
                "INSERT INTO themes (theme_key, auto_label, top_terms, term_weights, examples, first_fit_id, "
                "last_fit_id, match_similarity, active, created_at, updated_at, corpus) "
                "VALUES ($key, $label, $terms, $weights, $examples, $fit, $fit, $sim, true, $at, $at, $corpus) "
                "ON CONFLICT (theme_key) DO UPDATE SET auto_label = excluded.auto_label, corpus = excluded.corpus, "
                "top_terms = excluded.top_terms, term_weights = excluded.term_weights, examples = excluded.examples, "
                "last_fit_id = excluded.last_fit_id, match_similarity = excluded.match_similarity, active = true, "
                "updated_at = excluded.updated_at",
                {"key": key, "label": label or f"theme {key}", "terms": json.dumps(terms),
                 "weights": json.dumps(weights), "examples": json.dumps(examples, ensure_ascii=False), "fit": fit_id,
                 "sim": None if math.isnan(similarity) else round(similarity, 4), "at": fitted_at,
                 "corpus": source})
        cur.execute("UPDATE themes SET active = false WHERE (corpus = $corpus OR corpus = 'all') "
                    "AND NOT list_contains(CAST($keys AS INTEGER[]), theme_key)", {"keys": keys, "corpus": source})
        _write_documents(cur, corpus, codes, rows, topics, shares, keys, requests, fit_id, kind=kind, replace=True)
        model_path = models / f"{settings.db_path.stem}-themes-{source}-{fit_id}.joblib"
        joblib.dump({"vectorizer": vectorizer, "h": h, "keys": keys, "options": opts, "fit_id": fit_id,
                     "template": template},
                    model_path, compress=3)
        seconds = time.perf_counter() - started
        cur.execute(
            "INSERT INTO theme_fits (fit_id, fitted_at, actor, documents, distinct_texts, sample_size, n_themes, "
            "chosen_by, stability, seed, vocabulary, model_path, seconds, corpus) VALUES ($fit, $at, $actor, $docs, "
            "$distinct, $sample, $k, $by, $stability, $seed, $vocab, $path, $seconds, $corpus)",
            {"fit": fit_id, "at": fitted_at, "actor": actor, "docs": n, "distinct": n_distinct,
             "sample": len(sample), "k": len(keys), "by": chosen_by,
             "stability": json.dumps({str(kk): round(v, 4) for kk, v in curve.items()}), "seed": opts.seed,
             "vocab": len(vocab), "path": str(model_path), "seconds": seconds, "corpus": source})
        bump_data_version(cur)
        in_use = {str(p) for (p,) in cur.execute(
            "SELECT DISTINCT f.model_path FROM theme_fits AS f SEMI JOIN theme_documents AS d USING (fit_id)"
        ).fetchall()}
    for old_model in models.glob(f"{settings.db_path.stem}-themes-*.joblib"):
        if str(old_model) not in in_use:  # keep only the models the database's assignments came from
            old_model.unlink(missing_ok=True)
    report(1.0, f"{len(keys)} themes over {n:,} texts")
    return FitSummary(fit_id, source, n, n_distinct, len(sample), len(keys), chosen_by, curve, seconds, model_path,
                      len(template), kept, new, pinned_kept, n_split)


def _write_documents(cur: Any, corpus: pd.DataFrame, codes: np.ndarray, rows: np.ndarray, topics: np.ndarray,
                     shares: np.ndarray, keys: Sequence[int], requests: np.ndarray, fit_id: int,
                     *, kind: str, replace: bool) -> None:
    """One row per document x theme (rows/topics/shares index distinct texts, ``codes`` maps documents to them,
    ``requests`` is per document), NULL theme for the rest; ``replace``: every earlier assignment of the documents
    of ``kind`` goes."""
    per_text = pd.DataFrame({"code": rows, "theme_key": np.asarray(keys, dtype="int64")[topics],
                             "weight": shares.round(4)})
    docs = pd.DataFrame({"doc_kind": corpus["doc_kind"].to_numpy(), "source": corpus["source"].to_numpy(),
                         "doc_id": corpus["doc_id"].astype(str).to_numpy(), "code": codes,
                         "text_hash": corpus["text_hash"].to_numpy()})
    docs["request"] = requests
    frame = docs.merge(per_text, on="code", how="left").drop(columns="code")
    frame["theme_key"] = frame["theme_key"].astype("Int64")
    frame["fit_id"] = fit_id
    cur.register("theme_doc_rows", frame)
    if replace:
        cur.execute("DELETE FROM theme_documents WHERE doc_kind = $kind", {"kind": kind})
    else:  # texts that changed since they were read: their old themes go
        cur.execute("DELETE FROM theme_documents AS d USING theme_doc_rows AS n "
                    "WHERE d.doc_kind = n.doc_kind AND d.source = n.source AND d.doc_id = n.doc_id")
    cur.execute("INSERT INTO theme_documents (doc_kind, source, doc_id, theme_key, weight, is_request, request, "
                "text_hash, fit_id) SELECT doc_kind, source, doc_id, theme_key, weight, request IS NOT NULL, "
                "request, text_hash, fit_id FROM theme_doc_rows")
    cur.unregister("theme_doc_rows")


def latest_fit(conn: Connection, source: str | None = None) -> dict[str, Any] | None:
    """The newest fit of corpus ``source`` (None: of any corpus), as a dict of ``theme_fits`` columns."""
    frame = query(conn, "theme_fits_list", {"corpus": source})
    return None if frame.empty else {str(k): v for k, v in frame.iloc[0].to_dict().items()}


def latest_fits(conn: Connection) -> dict[str, dict[str, Any]]:
    """The newest fit of each corpus that has one: ``{"tickets": {...}, "comments": {...}}``."""
    out = {}
    for source in SOURCES:
        row = latest_fit(conn, source)
        if row is not None:
            out[source] = row
    return out


def unassigned_count(conn: Connection, source: str | None = None) -> int:
    """Documents with text a corpus's current model has not read (imported after the fit, or whose text changed),
    summed over the corpora ``source`` names (None: those with a model)."""
    fitted = latest_fits(conn)
    kinds = [SOURCES[s] for s in _sources(source) if s in fitted]
    if not kinds:
        return 0
    return len(query(conn, "theme_corpus", {"only_new": True, "kinds": kinds}))


def assign_new(conn: Connection, settings: Settings, *, source: str | None = None,
               progress: Progress | None = None) -> int:
    """Assign themes to documents imported (or changed) since the fit, with each corpus's saved model (no refit).

    ``source``: ``tickets``, ``comments`` or None / ``all`` (every corpus with a model). Returns their number."""
    import joblib  # type: ignore[import-untyped]

    fitted = latest_fits(conn)
    chosen = [s for s in _sources(source) if s in fitted]
    if not chosen:
        raise ThemeError("No theme model yet: run `cx themes fit` (or Fit themes on the Themes page) first.")
    done = 0
    for i, name in enumerate(chosen):
        path = Path(str(fitted[name]["model_path"]))
        if not path.is_file():
            raise ThemeError(f"The saved theme model {path} is missing; fit the themes again "
                             f"(`cx themes fit --source {name}`).")
        corpus = query(conn, "theme_corpus", {"only_new": True, "kinds": [SOURCES[name]]})
        if corpus.empty:
            continue
        saved = joblib.load(path)
        codes, uniques = pd.factorize(corpus["text"], sort=False)
        originals = [str(u) for u in uniques]
        processed = [preprocess(t, saved["template"]) for t in originals]
        opts: FitOptions = saved["options"]
        w = _transform(saved["vectorizer"], saved["h"], processed, progress, i / len(chosen), 0.9 / len(chosen))
        rows, topics, shares = _assign(w, opts.min_weight, opts.max_themes_per_doc)
        with transaction(conn) as cur:
            _write_documents(cur, corpus, codes, rows, topics, shares, saved["keys"],
                             np.asarray([request_of(t) for t in originals], dtype=object)[codes],
                             int(saved["fit_id"]), kind=SOURCES[name],
                             replace=False)
            bump_data_version(cur)
        done += len(corpus)
    return done


# --------------------------------------------------------------------------------------------------- editing


def _theme_row(cur: Any, key: int) -> tuple[Any, ...]:
    row = cur.execute("SELECT theme_key, name, pinned, merged_into FROM themes WHERE theme_key = $k",
                      {"k": key}).fetchall()
    if not row:
        raise ThemeError(f"There is no theme {key}; `cx themes show` lists them.")
    return tuple(row[0])


def _log(cur: Any, key: int, action: str, old: object, new: object, actor: str) -> None:
    cur.execute("INSERT INTO theme_edits VALUES ($at, $actor, $key, $action, $old, $new)",
                {"at": _now(), "actor": actor, "key": key, "action": action,
                 "old": None if old is None else str(old), "new": None if new is None else str(new)})
    bump_data_version(cur)


def rename(conn: Connection, key: int, name: str | None, *, actor: str = "cli") -> None:
    """Give a theme the analyst's name (None or blank: back to the automatic label). Survives refits."""
    clean = (name or "").strip() or None
    if clean is not None and len(clean) > 80:
        raise ThemeError("A theme name can be at most 80 characters.")
    with transaction(conn) as cur:
        _, old, _, _ = _theme_row(cur, key)
        cur.execute("UPDATE themes SET name = $name, updated_at = $at WHERE theme_key = $k",
                    {"name": clean, "at": _now(), "k": key})
        _log(cur, key, "rename", old, clean, actor)


def pin(conn: Connection, key: int, pinned: bool = True, *, actor: str = "cli") -> None:
    """Pin a theme: listed first, and kept by every refit even when the refit does not find it by itself."""
    with transaction(conn) as cur:
        _, _, old, _ = _theme_row(cur, key)
        cur.execute("UPDATE themes SET pinned = $p, updated_at = $at WHERE theme_key = $k",
                    {"p": bool(pinned), "at": _now(), "k": key})
        _log(cur, key, "pin" if pinned else "unpin", old, bool(pinned), actor)


def merge(conn: Connection, key: int, into: int, *, actor: str = "cli") -> None:
    """Count theme ``key`` as theme ``into`` everywhere (and anything merged into ``key`` too)."""
    if key == into:
        raise ThemeError("A theme cannot be merged into itself.")
    with transaction(conn) as cur:
        _theme_row(cur, key)
        _, _, _, target_parent = _theme_row(cur, into)
        corpora = {str(c) for (c,) in cur.execute("SELECT corpus FROM themes WHERE theme_key IN ($a, $b)",
                                                   {"a": key, "b": into}).fetchall()} - {"all"}
        if len(corpora) > 1:
            raise ThemeError(f"Theme {key} and theme {into} come from different texts (ticket text and survey "
                             "comments have separate models); merge themes of the same texts only.")
        target = int(target_parent) if target_parent is not None and not pd.isna(target_parent) else into
        if target == key:
            raise ThemeError(f"Theme {into} is merged into {key}; unmerge it first.")
        cur.execute("UPDATE themes SET merged_into = $t, updated_at = $at WHERE theme_key = $k OR merged_into = $k",
                    {"t": target, "at": _now(), "k": key})
        _log(cur, key, "merge", None, target, actor)


def unmerge(conn: Connection, key: int, *, actor: str = "cli") -> None:
    with transaction(conn) as cur:
        _, _, _, old = _theme_row(cur, key)
        cur.execute("UPDATE themes SET merged_into = NULL, updated_at = $at WHERE theme_key = $k",
                    {"at": _now(), "k": key})
        _log(cur, key, "unmerge", old, None, actor)


def catalog(conn: Connection, source: str | None = None) -> pd.DataFrame:
    """Every theme of corpus ``source`` (None or ``all``: of both) with its documents in the current assignment.

    Columns: ``theme_key``, ``theme`` (the analyst's name, else the automatic label), ``auto_label``, ``name``,
    ``pinned``, ``merged_into``, ``active`` (in the latest fit), ``corpus`` (``tickets`` / ``comments``; ``all``
    for a theme of a fit made before the corpora were separate), ``top_terms`` (list), ``examples`` (list of
    redacted verbatims), ``first_fit_id``, ``last_fit_id``, ``match_similarity`` (to its previous version),
    ``documents`` (documents counted under it, merges applied), ``own_documents`` (before merges),
    ``total_documents`` (documents read by the model), ``share`` (documents / total_documents).
    """
    chosen = _sources(source)
    frame = query(conn, "theme_catalog", {"kinds": [SOURCES[s] for s in chosen],
                                          "corpus": chosen[0] if len(chosen) == 1 else None})
    for col in ("top_terms", "examples"):
        frame[col] = [json.loads(v) if isinstance(v, str) else [] for v in frame[col]]
    frame["examples"] = [[redact(e) for e in ex] for ex in frame["examples"]]
    total = frame["total_documents"].astype(float)
    frame["share"] = np.where(total > 0, frame["documents"] / total.where(total > 0, 1), np.nan)
    return frame
