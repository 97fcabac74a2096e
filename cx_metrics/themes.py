"""Themes in free text: TF-IDF + NMF over ticket subjects/descriptions and survey comments.

* **Fit** (:func:`fit`): every document is redacted and folded (:mod:`cx_metrics.text.tokens`), vectorised with
  TF-IDF (words and two-word phrases, English/French/German/Spanish stop words) and factorised with NMF. The
  number of themes is not fixed: for each candidate k the NMF is refitted with several seeds on a seeded
  sample, and k is the one whose topics agree best across seeds (mean cosine similarity of Hungarian-matched
  topic-term vectors; Greene, O'Callaghan & Cunningham 2014), the largest k within 0.02 of the best.
  Large corpora are fitted on a seeded sample (``fit_sample`` documents); every document is then assigned.
* **Assignment**: a document carries each theme holding at least ``min_weight`` of its topic weight (at most
  three); a document matching no vocabulary carries none.
* **Identity across refits**: a refit's topics are matched to the catalogue (table ``themes``) by cosine
  similarity of their term weights, one-to-one (Hungarian); a match above ``match_threshold`` keeps its
  ``theme_key`` and so the analyst's name, pin and merge. A pinned theme that a refit does not find is kept:
  its stored term vector joins the model as a fixed topic, so its trend stays continuous.
* The fitted vectoriser and topic matrix are saved under the database's folder (``models/``) and reused by
  :func:`assign_new` for documents imported later.
* Product requests ("please add dark mode") are found by multilingual patterns and grouped by what is asked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics.config import Settings
from cx_metrics.db import Connection, bump_data_version, query, transaction
from cx_metrics.text.redact import redact
from cx_metrics.text.tokens import analyze, boilerplate, preprocess, tokens

Progress = Callable[[float, str], None]

#: fewer documents than this cannot give stable themes
MIN_DOCUMENTS = 50
STABILITY_TOLERANCE = 0.02
EXAMPLE_CHARS = 240


class ThemeError(ValueError):
    """Themes cannot be fitted or used as asked; the message says what to do."""


@dataclass(frozen=True)
class FitOptions:
    n_themes: int | None = None  #: None: chosen by the stability check over k_min..k_max
    k_min: int = 4
    k_max: int = 30
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
        if not 2 <= self.k_min <= self.k_max <= 60:
            raise ThemeError(f"k_min/k_max must satisfy 2 <= k_min <= k_max <= 60, got {self.k_min}/{self.k_max}")
        if not 0 < self.min_weight <= 1:
            raise ThemeError(f"min_weight must be in (0, 1], got {self.min_weight}")
        if self.stability_runs < 2:
            raise ThemeError("the stability check needs at least 2 seeded runs")


@dataclass
class FitSummary:
    fit_id: int
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


# --------------------------------------------------------------------------------------------------- requests

#: phrases that ask for something that does not exist yet; the one capturing group is the thing asked for
_REQUEST_PATTERNS = [
    r"feature request\s*[:\-–]?\s*([^.!?\n]{2,80})",
    r"(?:please|pls|could you|can you|would you|will you)\s+(?:please\s+)?(?:add|support|provide|offer|build|"
    r"include|implement|allow|enable|introduce)\s+([^.!?\n]{2,80})",
    r"(?:would|'d)\s+(?:love|like)\s+(?:to see\s+|to have\s+)?(?:a|an|the|some|more)\s+([^.!?\n]{2,80})",
    r"(?:it would be|would be)\s+(?:great|nice|good|helpful|useful|awesome)\s+(?:if|to)\s+([^.!?\n]{2,80})",
    r"(?:i|we)\s+wish\s+(?:there was|there were|you had|it had|it could|you could)\s+([^.!?\n]{2,80})",
    r"(?:missing|lacks?|lacking)\s+(?:a|an|the)?\s*(features?[^.!?\n]{0,80})",
    r"(?:add|adding)\s+support\s+for\s+([^.!?\n]{2,80})",
    r"(?:pourriez-vous|pouvez-vous|merci d'|serait-il possible d')\s*(?:ajouter|proposer|prendre en charge)\s+"
    r"([^.!?\n]{2,80})",
    r"(?:il manque|manque)\s+([^.!?\n]{2,80})",
    r"(?:ce serait|il serait)\s+(?:bien|top|utile|pratique)\s+(?:de|d'|que|qu')\s*([^.!?\n]{2,80})",
    r"(?:wäre|waere)\s+(?:schön|toll|gut|hilfreich|praktisch)\s*,?\s*(?:wenn|eine?n?)?\s*([^.!?\n]{2,80})",
    r"bitte\s+(?:fügt|fuegt|fügen sie|fuegen sie)\s+([^.!?\n]{2,80})",
]
_REQUEST_RE = re.compile("|".join(f"(?:{p})" for p in _REQUEST_PATTERNS), re.IGNORECASE)
_REQUEST_STOP = {"feature", "features", "option", "ability", "possibility", "way", "support", "add", "new",
                 "fonction", "fonctionnalite", "funktion"}


def request_of(text: str | None) -> str | None:
    """What a text asks for, normalised for grouping (``"dark mode"``), or None when it asks for nothing.

    The phrase after a request cue ("please add", "would love a", "feature request:", "il manque",
    "wäre schön") is redacted, folded, stripped of stop words and cut to its first three content words.
    """
    if not text:
        return None
    match = _REQUEST_RE.search(text)
    if not match:
        return None
    what = next((g for g in match.groups() if g), "")
    words = tokens(what)
    content = [w for w in words if w not in _REQUEST_STOP] or words
    if not content:
        return "(unspecified)"
    return " ".join(content[:3])


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


def _weighted_rows(vectorizer: Any, processed: Sequence[str], sample: np.ndarray) -> Any:
    """TF-IDF rows of a sample's distinct texts, each scaled by the square root of its repeats.

    The NMF's squared error over the scaled distinct rows equals its error over every sampled document, so a
    corpus of repeated texts (templates, short comments) is fitted exactly, at the cost of its distinct texts.
    """
    from scipy import sparse

    distinct, counts = np.unique(sample, return_counts=True)
    x = vectorizer.transform([processed[i] for i in distinct])
    return sparse.diags(np.sqrt(counts.astype(np.float32))) @ x


def _catalogue(conn: Connection) -> pd.DataFrame:
    return conn.cursor().execute(
        "SELECT theme_key, auto_label, name, pinned, merged_into, active, term_weights FROM themes "
        "ORDER BY theme_key").df()


def fit(conn: Connection, settings: Settings, options: FitOptions | None = None, *, actor: str = "cli",
        progress: Progress | None = None) -> FitSummary:
    """Fit the theme model on every document, match it to the catalogue, store assignments and the model."""
    import joblib  # type: ignore[import-untyped]

    opts = options or FitOptions()
    opts.check()
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, "reading texts")
    corpus = query(conn, "theme_corpus", {"only_new": False})
    if len(corpus) < MIN_DOCUMENTS:
        raise ThemeError(
            f"Only {len(corpus)} tickets or survey comments have text; themes need at least {MIN_DOCUMENTS}. "
            "Import tickets with a subject or description, or survey responses with comments, then fit again.")
    codes, uniques = pd.factorize(corpus["text"], sort=False)
    originals = [str(u) for u in uniques]
    counts = np.bincount(codes, minlength=len(originals)).astype(float)
    report(0.02, f"preparing {len(originals):,} distinct texts")
    template = boilerplate(originals, counts.tolist())
    processed = [preprocess(t, template) for t in originals]
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
    x = _weighted_rows(vectorizer, processed, sample)
    max_k = max(2, min(opts.k_max, len(vocab) - 1, len(sample) // 10, x.shape[0] - 1))
    if opts.n_themes is not None:
        k, curve, chosen_by = min(opts.n_themes, len(vocab) - 1), {}, "fixed"
    else:
        ks = candidate_ks(min(opts.k_min, max_k), max_k)
        report(0.05, f"checking stability of {ks[0]}-{ks[-1]} themes")
        curve = stability_curve(_frequent_columns(_weighted_rows(vectorizer, processed,
                                                                 sample[: opts.stability_sample])), ks,
                                opts.stability_runs, opts.seed, lambda f, m: report(0.05 + 0.45 * f, m))
        k, chosen_by = choose_k(curve), "stability"
    report(0.5, f"fitting {k} themes on {len(sample):,} texts")
    model = _nmf(k, opts.seed, "nndsvda")
    w_sample = model.fit_transform(x)
    sizes = (w_sample * np.sqrt(_counts(sample))[:, None]).sum(axis=0)
    order = np.argsort(-sizes, kind="stable")  # biggest theme first: stable ordering
    h = model.components_[order]

    new_weights = [term_weights(row, vocab) for row in h]
    catalogue = _catalogue(conn)
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
    else:  # the fit already solved the sampled texts' weights (rows scaled by sqrt(repeats)): solve the rest
        distinct, repeats = np.unique(sample, return_counts=True)
        w = np.zeros((len(originals), k))
        w[distinct] = (w_sample / np.sqrt(repeats)[:, None])[:, order]
        rest = np.setdiff1d(np.arange(len(originals)), distinct)
        if len(rest):
            w[rest] = _transform(vectorizer, h, [processed[i] for i in rest], report, 0.6, 0.3)
    rows, topics, shares = _assign(w, opts.min_weight, opts.max_themes_per_doc)
    requests = [request_of(t) for t in originals]

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
            label = label_from_terms(top_terms(h[i], vocab, min_ratio=0.4))
            examples = _examples(w[:, i], originals, counts)
            weights = new_weights[i] if i < k else old[key]
            cur.execute(
                "INSERT INTO themes (theme_key, auto_label, top_terms, term_weights, examples, first_fit_id, "
                "last_fit_id, match_similarity, active, created_at, updated_at) "
                "VALUES ($key, $label, $terms, $weights, $examples, $fit, $fit, $sim, true, $at, $at) "
                "ON CONFLICT (theme_key) DO UPDATE SET auto_label = excluded.auto_label, "
                "top_terms = excluded.top_terms, term_weights = excluded.term_weights, examples = excluded.examples, "
                "last_fit_id = excluded.last_fit_id, match_similarity = excluded.match_similarity, active = true, "
                "updated_at = excluded.updated_at",
                {"key": key, "label": label or f"theme {key}", "terms": json.dumps(terms),
                 "weights": json.dumps(weights), "examples": json.dumps(examples, ensure_ascii=False), "fit": fit_id,
                 "sim": None if math.isnan(similarity) else round(similarity, 4), "at": fitted_at})
        cur.execute("UPDATE themes SET active = false WHERE NOT list_contains(CAST($keys AS INTEGER[]), theme_key)",
                    {"keys": keys})
        _write_documents(cur, corpus, codes, rows, topics, shares, keys, requests, fit_id, replace=True)
        model_path = models / f"{settings.db_path.stem}-themes-{fit_id}.joblib"
        joblib.dump({"vectorizer": vectorizer, "h": h, "keys": keys, "options": opts, "fit_id": fit_id,
                     "template": template},
                    model_path, compress=3)
        seconds = time.perf_counter() - started
        cur.execute(
            "INSERT INTO theme_fits VALUES ($fit, $at, $actor, $docs, $distinct, $sample, $k, $by, $stability, "
            "$seed, $vocab, $path, $seconds)",
            {"fit": fit_id, "at": fitted_at, "actor": actor, "docs": n, "distinct": len(originals),
             "sample": len(sample), "k": len(keys), "by": chosen_by,
             "stability": json.dumps({str(kk): round(v, 4) for kk, v in curve.items()}), "seed": opts.seed,
             "vocab": len(vocab), "path": str(model_path), "seconds": seconds})
        bump_data_version(cur)
    for old_model in models.glob(f"{settings.db_path.stem}-themes-*.joblib"):
        if old_model != model_path:  # keep only the model the database's assignments came from
            old_model.unlink(missing_ok=True)
    report(1.0, f"{len(keys)} themes over {n:,} texts")
    return FitSummary(fit_id, n, len(originals), len(sample), len(keys), chosen_by, curve, seconds, model_path,
                      len(template), kept, new, pinned_kept)


def _write_documents(cur: Any, corpus: pd.DataFrame, codes: np.ndarray, rows: np.ndarray, topics: np.ndarray,
                     shares: np.ndarray, keys: Sequence[int], requests: Sequence[str | None], fit_id: int,
                     *, replace: bool) -> None:
    """One row per document x theme (rows/topics/shares index distinct texts), NULL theme for the rest."""
    per_text = pd.DataFrame({"code": rows, "theme_key": np.asarray(keys, dtype="int64")[topics],
                             "weight": shares.round(4)})
    docs = pd.DataFrame({"doc_kind": corpus["doc_kind"].to_numpy(), "source": corpus["source"].to_numpy(),
                         "doc_id": corpus["doc_id"].astype(str).to_numpy(), "code": codes,
                         "text_hash": corpus["text_hash"].to_numpy()})
    docs["request"] = np.asarray(requests, dtype=object)[codes]
    frame = docs.merge(per_text, on="code", how="left").drop(columns="code")
    frame["theme_key"] = frame["theme_key"].astype("Int64")
    frame["fit_id"] = fit_id
    cur.register("theme_doc_rows", frame)
    if replace:
        cur.execute("DELETE FROM theme_documents")
    else:  # texts that changed since they were read: their old themes go
        cur.execute("DELETE FROM theme_documents AS d USING theme_doc_rows AS n "
                    "WHERE d.doc_kind = n.doc_kind AND d.source = n.source AND d.doc_id = n.doc_id")
    cur.execute("INSERT INTO theme_documents (doc_kind, source, doc_id, theme_key, weight, is_request, request, "
                "text_hash, fit_id) SELECT doc_kind, source, doc_id, theme_key, weight, request IS NOT NULL, "
                "request, text_hash, fit_id FROM theme_doc_rows")
    cur.unregister("theme_doc_rows")


def latest_fit(conn: Connection) -> dict[str, Any] | None:
    frame = query(conn, "theme_fits_list")
    return None if frame.empty else {str(k): v for k, v in frame.iloc[0].to_dict().items()}


def unassigned_count(conn: Connection) -> int:
    """Documents with text the current model has not read (imported after the fit, or whose text changed)."""
    if latest_fit(conn) is None:
        return 0
    return len(query(conn, "theme_corpus", {"only_new": True}))


def assign_new(conn: Connection, settings: Settings, *, progress: Progress | None = None) -> int:
    """Assign themes to documents imported (or changed) since the fit, with the saved model (no refit).

    Returns their number."""
    import joblib  # type: ignore[import-untyped]

    fit_row = latest_fit(conn)
    if fit_row is None:
        raise ThemeError("No theme model yet: run `cx themes fit` (or Fit themes on the Themes page) first.")
    path = Path(str(fit_row["model_path"]))
    if not path.is_file():
        raise ThemeError(f"The saved theme model {path} is missing; fit the themes again.")
    saved = joblib.load(path)
    corpus = query(conn, "theme_corpus", {"only_new": True})
    if corpus.empty:
        return 0
    codes, uniques = pd.factorize(corpus["text"], sort=False)
    originals = [str(u) for u in uniques]
    processed = [preprocess(t, saved["template"]) for t in originals]
    opts: FitOptions = saved["options"]
    w = _transform(saved["vectorizer"], saved["h"], processed, progress, 0.0, 0.9)
    rows, topics, shares = _assign(w, opts.min_weight, opts.max_themes_per_doc)
    with transaction(conn) as cur:
        _write_documents(cur, corpus, codes, rows, topics, shares, saved["keys"],
                         [request_of(t) for t in originals], int(saved["fit_id"]), replace=False)
        bump_data_version(cur)
    return len(corpus)


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


def catalog(conn: Connection) -> pd.DataFrame:
    """Every theme with its documents in the current assignment.

    Columns: ``theme_key``, ``theme`` (the analyst's name, else the automatic label), ``auto_label``, ``name``,
    ``pinned``, ``merged_into``, ``active`` (in the latest fit), ``top_terms`` (list), ``examples`` (list of
    redacted verbatims), ``first_fit_id``, ``last_fit_id``, ``match_similarity`` (to its previous version),
    ``documents`` (documents counted under it, merges applied), ``own_documents`` (before merges),
    ``total_documents`` (documents read by the model), ``share`` (documents / total_documents).
    """
    frame = query(conn, "theme_catalog", {"kinds": ["ticket", "survey"]})
    for col in ("top_terms", "examples"):
        frame[col] = [json.loads(v) if isinstance(v, str) else [] for v in frame[col]]
    frame["examples"] = [[redact(e) for e in ex] for ex in frame["examples"]]
    total = frame["total_documents"].astype(float)
    frame["share"] = np.where(total > 0, frame["documents"] / total.where(total > 0, 1), np.nan)
    return frame
