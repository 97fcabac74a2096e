"""Themes on a database: the corpora read from DuckDB, each fit's themes, assignments and saved model stored, new
documents assigned with the saved model, and the analyst's names, pins and merges (the estimator itself, which
needs no database, is :class:`cx_metrics.models.themes.ThemeModel`).

* **Two corpora, two models**: ticket text (``tickets``) and survey comments (``comments``) are fitted
  separately (:data:`SOURCES`), one code path parameterised by the corpus. A comment ("the agent was polite but
  slow") and a ticket ("pages are slow to load") share words, not reasons: one model would put them in one theme
  and blur the NPS/CSAT impact (read from the comment themes) with the ticket volume (read from the ticket themes).
  Each theme belongs to one corpus; names, pins and merges stay within it.
* **Identity across refits**: a refit is given the corpus's catalogue (table ``themes``): a topic matched to a
  theme keeps its ``theme_key`` and so the analyst's name, pin and merge; a pinned theme the refit does not find
  is kept as a fixed topic. New themes get a key from ``theme_key_seq``.
* The fitted vectoriser and topic matrix are saved under the database's folder (``models/``) as plain data (no
  class of this program is pickled) and reused by :func:`assign_new` for documents imported later.
* Product requests ("please add dark mode", "il faudrait...", "bitte ... hinzufügen") are found by the
  multilingual cue list of :mod:`cx_metrics.text.requests` and grouped by what is asked.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
from sklearn.base import clone

from cx_metrics.config import Settings
from cx_metrics.db import Connection, bump_data_version, query, transaction
from cx_metrics.models.themes import Progress, ThemeError, ThemeModel
from cx_metrics.text.redact import redact
from cx_metrics.text.requests import request_of

#: fewer documents than this cannot give stable themes
MIN_DOCUMENTS = 50


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


def _models_dir(settings: Settings) -> Path:
    return settings.db_path.parent / "models"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _catalogue(conn: Connection, source: str) -> pd.DataFrame:
    """The corpus's themes (and those of fits made before the corpora were separate), to match a refit to."""
    return conn.cursor().execute(
        "SELECT theme_key, auto_label, name, pinned, merged_into, active, term_weights FROM themes "
        "WHERE corpus = $corpus OR corpus = 'all' ORDER BY theme_key", {"corpus": source}).df()


def documents_with_text(conn: Connection) -> dict[str, int]:
    """Documents with text to read, per corpus (``{"tickets": n, "comments": m}``)."""
    sizes = query(conn, "theme_corpus_size").set_index("doc_kind")["documents"]
    return {source: int(sizes.get(kind, 0)) for source, kind in SOURCES.items()}


def fit_all(conn: Connection, settings: Settings, options: ThemeModel | None = None, *, source: str | None = "all",
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



def fit(conn: Connection, settings: Settings, options: ThemeModel | None = None, *, source: str = "tickets",
        actor: str = "cli", progress: Progress | None = None) -> FitSummary:
    """Fit the theme model of one corpus (``tickets`` or ``comments``) on every document of it (a clone of
    ``options``, the estimator with its parameters; None: the defaults), matched to the corpus's catalogue; store
    the themes, the assignments and the model."""
    if source not in SOURCES:
        raise ThemeError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    kind = SOURCES[source]
    model: ThemeModel = clone(options) if options is not None else ThemeModel()
    model.check()
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
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()}
                                     for r in _catalogue(conn, source).to_dict("records")]
    known: dict[int, dict[str, float]] = {int(r["theme_key"]): json.loads(r["term_weights"]) if r["term_weights"]
                                          else {} for r in records}
    model.fit(corpus["text"], known=known, pinned={int(r["theme_key"]) for r in records if bool(r["pinned"])},
              progress=report)
    k = len(model.components_) - len(model.pinned_keys_)

    fitted_at = _now()
    report(0.92, "saving")
    models = _models_dir(settings)
    models.mkdir(parents=True, exist_ok=True)
    with transaction(conn) as cur:
        fit_id = int(cur.execute("SELECT nextval('theme_fit_seq')").fetchall()[0][0])
        keys: list[int] = []
        kept, new, pinned_kept = [], [], []
        for i in range(len(model.components_)):
            if i < k and i in model.matches_:
                key, similarity = model.matches_[i]
                kept.append(key)
            elif i < k:
                key, similarity = int(cur.execute("SELECT nextval('theme_key_seq')").fetchall()[0][0]), math.nan
                new.append(key)
            else:
                key, similarity = model.pinned_keys_[i - k], math.nan
                pinned_kept.append(key)
            keys.append(key)
            cur.execute(
                "INSERT INTO themes (theme_key, auto_label, top_terms, term_weights, examples, first_fit_id, "
                "last_fit_id, match_similarity, active, created_at, updated_at, corpus) "
                "VALUES ($key, $label, $terms, $weights, $examples, $fit, $fit, $sim, true, $at, $at, $corpus) "
                "ON CONFLICT (theme_key) DO UPDATE SET auto_label = excluded.auto_label, corpus = excluded.corpus, "
                "top_terms = excluded.top_terms, term_weights = excluded.term_weights, examples = excluded.examples, "
                "last_fit_id = excluded.last_fit_id, match_similarity = excluded.match_similarity, active = true, "
                "updated_at = excluded.updated_at",
                {"key": key, "label": model.labels_[i] or f"theme {key}", "terms": json.dumps(model.top_terms_[i]),
                 "weights": json.dumps(model.term_weights_[i]),
                 "examples": json.dumps(model.examples_[i], ensure_ascii=False), "fit": fit_id,
                 "sim": None if math.isnan(similarity) else round(similarity, 4), "at": fitted_at,
                 "corpus": source})
        cur.execute("UPDATE themes SET active = false WHERE (corpus = $corpus OR corpus = 'all') "
                    "AND NOT list_contains(CAST($keys AS INTEGER[]), theme_key)", {"keys": keys, "corpus": source})
        rows, topics, shares = model.assignment_
        _write_documents(cur, corpus, model.document_codes_, rows, topics, shares, keys, _requests(corpus["text"]),
                         fit_id, kind=kind, replace=True)
        model_path = models / f"{settings.db_path.stem}-themes-{source}-{fit_id}.joblib"
        save_model(model, keys, fit_id, model_path)
        seconds = time.perf_counter() - started
        cur.execute(
            "INSERT INTO theme_fits (fit_id, fitted_at, actor, documents, distinct_texts, sample_size, n_themes, "
            "chosen_by, stability, seed, vocabulary, model_path, seconds, corpus) VALUES ($fit, $at, $actor, $docs, "
            "$distinct, $sample, $k, $by, $stability, $seed, $vocab, $path, $seconds, $corpus)",
            {"fit": fit_id, "at": fitted_at, "actor": actor, "docs": model.n_documents_,
             "distinct": model.n_distinct_texts_, "sample": model.sample_size_, "k": len(keys),
             "by": model.chosen_by_,
             "stability": json.dumps({str(kk): round(v, 4) for kk, v in model.stability_.items()}),
             "seed": model.random_state, "vocab": model.n_vocabulary_, "path": str(model_path), "seconds": seconds,
             "corpus": source})
        bump_data_version(cur)
        in_use = {str(p) for (p,) in cur.execute(
            "SELECT DISTINCT f.model_path FROM theme_fits AS f SEMI JOIN theme_documents AS d USING (fit_id)"
        ).fetchall()}
    for old_model in models.glob(f"{settings.db_path.stem}-themes-*.joblib"):
        if str(old_model) not in in_use:  # keep only the models the database's assignments came from
            old_model.unlink(missing_ok=True)
    report(1.0, f"{len(keys)} themes over {model.n_documents_:,} texts")
    return FitSummary(fit_id, source, model.n_documents_, model.n_distinct_texts_, model.sample_size_, len(keys),
                      model.chosen_by_, model.stability_, seconds, model_path, len(model.template_), kept, new,
                      pinned_kept, model.n_split_)


def _requests(texts: pd.Series) -> np.ndarray:
    """Each document's product request (None when it asks for nothing), read once per distinct text."""
    codes, uniques = pd.factorize(texts, sort=False)
    return np.asarray([request_of(str(t)) for t in uniques], dtype=object)[codes]


# --------------------------------------------------------------------------------------------------- saved models


def save_model(model: ThemeModel, keys: list[int], fit_id: int, path: Path) -> None:
    """What :func:`assign_new` needs, as plain data: the vectoriser, the topic matrix, the template sentences, the
    estimator's parameters, and the theme key of each topic."""
    joblib.dump({"vectorizer": model.vectorizer_, "h": model.components_, "keys": keys,
                 "options": model.get_params(), "fit_id": fit_id, "template": model.template_}, path, compress=3)


def load_model(path: Path, source: str) -> tuple[ThemeModel, list[int], int]:
    """The saved model of a fit, its topics' theme keys and its fit id."""
    try:
        saved = joblib.load(path)
        model = ThemeModel.from_parts(saved["options"], saved["vectorizer"], saved["h"], saved["template"])
    except (ImportError, AttributeError, KeyError, TypeError, pickle.UnpicklingError) as exc:
        raise ThemeError(f"The saved theme model {path} was made by an earlier version of this program; fit the "
                         f"themes again (`cx themes fit --source {source}`).") from exc
    return model, [int(k) for k in saved["keys"]], int(saved["fit_id"])


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
        model, keys, fit_id = load_model(path, name)
        codes, uniques = pd.factorize(corpus["text"], sort=False)
        rows, topics, shares = model.assign([str(u) for u in uniques], progress=progress, start=i / len(chosen),
                                            span=0.9 / len(chosen))
        with transaction(conn) as cur:
            _write_documents(cur, corpus, codes, rows, topics, shares, keys, _requests(corpus["text"]), fit_id,
                             kind=SOURCES[name], replace=False)
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

