"""Behaviour pins for the churn and theme estimators: the same seeded demo database gives the same churn risk
scores, reasons and model card, and the same themes (labels, terms, stability curve, per-document assignment),
whatever shape the code that fits them has. The digests were taken before the estimators moved into
``cx_metrics.models``; a change that moves any score or theme fails here, and must say so in its commit."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.models import churn_store as M

#: sha256 of "customer_id:risk(10 decimals):rank:reasons" for every customer still there, riskiest first
CHURN_SCORES = "f4873b649b9eeb677f6a1255d4e3ab5fb3d897361e76d7ca462ccb28358f3049"
#: sha256 of the card's metrics (6 decimals), split sizes, iterations and importance order
CHURN_CARD = "ddacc70a05f300faacb79e0a9a44ec135caafa9ced0428476c39cbad71a8064e"
#: sha256 of every theme's corpus, key, label, top terms, and of the stability curve of each fit
THEMES = "e55f60a98551372e504823a5d92e7e33d47e3f0e53ca29ce5230ab897800f190"
#: sha256 of every document's (kind, source, id, theme, weight) assignment
THEME_DOCUMENTS = "0320c840f551eb37e765f7e18e184c1e704e8ff61a4b8093abcbca54d95d382d"


def _sha(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.fixture(scope="module")
def churn_db(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pinned") / "demo.duckdb"
    shutil.copyfile(demo_db_path, path)
    return path


def test_churn_scores_and_card_are_unchanged(churn_db: Path) -> None:
    settings = Settings().with_db(churn_db)
    conn = db.connect(settings)
    try:
        model = M.train(conn, settings, save=False)
        scores = M.score(conn, settings, model=model, reasons_for=200)
    finally:
        conn.close()
    card = model.card
    assert len(scores) > 1000
    got_scores = _sha([f"{c}:{r:.10f}:{k}:{why}" for c, r, k, why in
                       zip(scores["customer_id"], scores["risk"], scores["rank"], scores["reasons"], strict=True)])
    m = card["metrics"]
    got_card = _sha([*(f"{k}={m[k]:.6f}" for k in sorted(m)), repr(sorted(card["split"].items())),
                     str(card["estimator"]), repr([f["name"] for f in card["features"]]),
                     repr([r["feature"] for r in card["importance"]]), repr(card["snapshots"])])
    assert (got_scores, got_card) == (CHURN_SCORES, CHURN_CARD)


def test_themes_are_unchanged(themed_demo_path: Path) -> None:
    conn = db.connect(Settings().with_db(themed_demo_path), read_only=True)
    try:
        themes = conn.execute("SELECT corpus, theme_key, auto_label, top_terms, term_weights, examples, active "
                              "FROM themes ORDER BY theme_key").fetchall()
        fits = conn.execute("SELECT corpus, documents, distinct_texts, sample_size, n_themes, chosen_by, stability, "
                            "vocabulary FROM theme_fits ORDER BY fit_id").fetchall()
        docs = conn.execute("SELECT doc_kind, source, doc_id, theme_key, weight, request FROM theme_documents "
                            "ORDER BY doc_kind, source, doc_id, theme_key").fetchall()
    finally:
        conn.close()
    assert len(themes) >= 8 and len(fits) == 2 and len(docs) > 1000
    got_themes = _sha([repr(r) for r in [*themes, *fits]])
    got_docs = _sha([repr(r) for r in docs])
    assert (got_themes, got_docs) == (THEMES, THEME_DOCUMENTS)
