"""Themes: tokenisation, the model (seeded stability, identity across refits, pins, merges, saved model), the
metrics on hand-built fixtures, and the planted themes of the demo and the Kaggle sample."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cx_metrics import db, demo, demo_text
from cx_metrics.cli import main
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.metrics import themes as tm
from cx_metrics.models import theme_store, themes
from cx_metrics.models.themes import ThemeModel
from cx_metrics.text.requests import request_of
from cx_metrics.text.tokens import (
    analyze,
    boilerplate,
    fold,
    phrases,
    preprocess,
    stop_words,
    tokens,
    without_boilerplate,
)
from tests.conftest import REALDATA

TOPICS = {
    "billing": ["invoice", "refund", "charged", "twice", "payment", "card", "amount", "billing"],
    "login": ["password", "login", "account", "locked", "reset", "email", "signin", "credentials"],
    "delivery": ["parcel", "delivery", "package", "courier", "late", "tracking", "shipment", "arrived"],
    "crash": ["app", "crashes", "upload", "mobile", "freezes", "photo", "screen", "restart"],
}
GENERIC = ["today", "again", "issue", "problem", "urgent", "week", "help", "since"]
FRENCH = ["J'ai été débité deux fois, merci de rembourser la facture",
          "Le remboursement de la facture n'est pas arrivé", "Facture erronée, je demande un remboursement rapide"]
START = dt.datetime(2026, 1, 5)


def _texts(rng: np.random.Generator, topic: str) -> str:
    """A text on a topic: five of its eight words and one generic word, in two sentences."""
    words = [*rng.choice(TOPICS[topic], size=5, replace=False), str(rng.choice(GENERIC))]
    return " ".join(words[:3]).capitalize() + ". " + " ".join(words[3:]).capitalize() + "."


def _build(conn: db.Connection, n_per_topic: int = 40, seed: int = 1, id_offset: int = 0) -> pd.DataFrame:
    """Tickets on four clear topics plus French billing tickets, over four weeks; returns what was inserted."""
    rng = np.random.default_rng(seed)
    rows = []
    i = id_offset
    for topic in TOPICS:
        for _ in range(n_per_topic):
            i += 1
            rows.append((f"T{i}", f"C{i % 17}", START + dt.timedelta(hours=int(rng.integers(0, 24 * 28))),
                         topic, _texts(rng, topic), "email" if i % 2 else "chat"))
    for j in range(12):
        i += 1
        rows.append((f"T{i}", f"C{i % 17}", START + dt.timedelta(hours=5 * j), "billing_fr", FRENCH[j % 3], "email"))
    frame = pd.DataFrame(rows, columns=["ticket_id", "customer_id", "created_at", "topic", "description", "channel"])
    cur = conn.cursor()
    cur.execute("INSERT INTO customers (customer_id, plan) SELECT DISTINCT customer_id, 'Pro' FROM frame "
                "ON CONFLICT DO NOTHING")
    cur.execute("INSERT INTO tickets (source, ticket_id, customer_id, created_at, status, channel, subject, "
                "description, is_complaint) SELECT 't', ticket_id, customer_id, created_at, 'solved', channel, NULL, "
                "description, true FROM frame")
    return frame


@pytest.fixture
def topic_db(tmp_path: Path) -> Iterator[tuple[db.Connection, Settings, pd.DataFrame]]:
    settings = Settings().with_db(tmp_path / "topics.duckdb")
    conn = db.connect(settings)
    frame = _build(conn)
    yield conn, settings, frame
    conn.close()


def _theme_of_topic(conn: db.Connection, frame: pd.DataFrame, topic: str) -> tuple[int, float]:
    """The theme most of a topic's tickets carry, and the share of them that carry it."""
    docs = conn.cursor().execute("SELECT doc_id, theme_key FROM theme_documents").df()
    ids = set(frame.loc[frame["topic"] == topic, "ticket_id"])
    mine = docs[docs["doc_id"].isin(ids)]
    top = mine["theme_key"].value_counts()
    return int(top.index[0]), float(top.iloc[0]) / len(ids)


# ------------------------------------------------------------------------------------------------ tokenising


def test_folding_stop_words_and_phrases_stay_inside_sentences() -> None:
    assert fold("Résolu, Größe, ÇA") == "resolu, grosse, ca"
    stops = stop_words()
    assert {"the", "tres", "etre", "uber", "fur", "merci", "please"} <= stops  # folded French/German/support words
    terms = analyze(preprocess("Le problème n'est pas résolu. Remboursement attendu!"))
    assert "probleme" in terms and "resolu" in terms and "remboursement attendu" in terms
    assert "resolu remboursement" not in terms  # no phrase across the sentence end
    assert not any("@" in t or t.isdigit() for t in analyze(preprocess("mail me: a.b@example.com, +44 20 7946 0958")))


def test_template_sentences_are_found_and_dropped_but_never_the_first() -> None:
    subjects = [f"Problem number {w}" for w in "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu "
                                                "xi omicron pi rho sigma tau upsilon phi".split()]
    texts = [f"{s}. Sent from my iPhone." for s in subjects] + ["Sent from my iPhone.", "Refund please. Thanks."]
    template = boilerplate(texts)
    assert template == frozenset({"sent from my iphone"})
    assert without_boilerplate("Refund now. Sent from my iPhone.", template) == "Refund now."
    assert without_boilerplate("Sent from my iPhone. Refund now.", template) == "Sent from my iPhone.\nRefund now."


@pytest.mark.parametrize(("text", "asked"), [
    ("Please add dark mode.", "dark mode"),
    ("Would love a mobile app widget. Thanks", "mobile app widget"),
    ("Feature request: bulk edit", "bulk edit"),
    ("Could you support SSO with our provider?", "sso provider"),
    ("It would be great if you could integrate with Slack", "integrate slack"),
    ("Ce serait bien d'avoir un mode sombre", "mode sombre"),
    ("Il manque l'export PDF", "export pdf"),
    # French and German wishes (cx_metrics.text.requests.CUES)
    ("Il faudrait un export Excel des factures.", "export excel factures"),
    ("Il faudrait pouvoir filtrer par date", "filtrer date"),
    ("Ce serait bien de pouvoir exporter en PDF", "exporter pdf"),
    ("Ça serait top qu’on puisse changer la langue", "changer langue"),
    ("Es wäre schön, wenn ihr einen Dunkelmodus anbieten würdet.", "dunkelmodus"),
    ("Wäre toll, wenn es eine Exportfunktion gäbe", "exportfunktion"),
    ("Bitte Dunkelmodus hinzufügen!", "dunkelmodus"),
    ("Bitte fügt einen CSV-Export hinzu", "csv export"),
    ("Könntet ihr bitte eine Kalenderansicht einbauen?", "kalenderansicht"),
    ("Wir wünschen uns eine Schnittstelle zu SAP.", "schnittstelle sap"),
    ("Bitte um Rückruf, die Rechnung ist falsch.", None),
    ("Le problème n'est toujours pas résolu.", None),
    ("The app crashes when I upload a file", None),
    ("Please refund me", None),
])
def test_product_requests_are_recognised_and_normalised(text: str, asked: str | None) -> None:
    assert request_of(text) == asked


def test_labels_matching_and_k_choice() -> None:
    assert themes.label_from_terms(["charged twice", "charged", "twice", "subscription", "refund"]) == \
        "charged twice · subscription · refund"
    assert themes.label_from_terms(["log", "account", "log account", "password"]) == "log · account · password"
    old = {1: {"refund": 0.8, "invoice": 0.6}, 2: {"login": 0.9, "password": 0.4}}
    new = [{"password": 0.7, "login": 0.7}, {"parcel": 1.0}, {"refund": 0.5, "invoice": 0.5, "charge": 0.5}]
    matched = themes.match_topics(new, old, threshold=0.35)
    assert {i: k for i, (k, _) in matched.items()} == {0: 2, 2: 1}  # the parcel topic is new
    assert matched[0][1] == pytest.approx((0.9 * 0.7 + 0.4 * 0.7) / (math.hypot(0.9, 0.4) * math.hypot(0.7, 0.7)))
    assert themes.choose_k({4: 0.80, 5: 0.91, 6: 0.90, 7: 0.85}) == 6  # the largest within 0.02 of the best
    a = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    assert themes.topic_agreement(a, a[::-1]) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------ the model


def test_fit_recovers_planted_topics_in_two_languages(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, frame = topic_db
    result = theme_store.fit(conn, settings)
    assert result.chosen_by == "stability" and result.stability
    assert result.n_themes == themes.choose_k(result.stability)
    catalog = theme_store.catalog(conn).set_index("theme_key")
    words = {topic: set(vocab) for topic, vocab in TOPICS.items()}
    keys = set()
    for topic, expected in words.items():
        key, share = _theme_of_topic(conn, frame, topic)
        assert share >= 0.9, (topic, share)
        label_words = set(tokens(catalog.loc[key, "theme"]))
        assert label_words & expected, (topic, catalog.loc[key, "theme"])
        keys.add(key)
    assert len(keys) == 4  # four different themes
    # French billing tickets are themed too, on folded terms
    _, fr_share = _theme_of_topic(conn, frame, "billing_fr")
    assert fr_share == 1.0
    import joblib  # type: ignore[import-untyped]

    vocabulary = set(joblib.load(result.model_path)["vectorizer"].get_feature_names_out())
    assert {"facture", "remboursement", "debite"} <= vocabulary
    # the model lives in the database's folder, not the working directory
    assert result.model_path.parent == settings.db_path.parent / "models" and result.model_path.is_file()


def test_same_seed_same_themes(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        settings = Settings().with_db(tmp_path / name / "x.duckdb")
        conn = db.connect(settings)
        _build(conn)
        result = theme_store.fit(conn, settings, ThemeModel(random_state=11))
        docs = conn.cursor().execute("SELECT doc_id, theme_key, weight FROM theme_documents "
                                     "ORDER BY doc_id, theme_key").df()
        labels = theme_store.catalog(conn)[["theme_key", "auto_label"]]
        runs.append((result.stability, result.n_themes, docs, labels))
        conn.close()
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    pd.testing.assert_frame_equal(runs[0][2], runs[1][2])
    pd.testing.assert_frame_equal(runs[0][3], runs[1][3])


def test_names_pins_and_merges_survive_a_refit(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, frame = topic_db
    theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    billing, _ = _theme_of_topic(conn, frame, "billing")
    login, _ = _theme_of_topic(conn, frame, "login")
    delivery, _ = _theme_of_topic(conn, frame, "delivery")
    crash, _ = _theme_of_topic(conn, frame, "crash")
    theme_store.rename(conn, billing, "Double charges & refunds")
    theme_store.merge(conn, crash, delivery)
    theme_store.pin(conn, login)
    before = theme_store.catalog(conn).set_index("theme_key")
    assert before.loc[delivery, "documents"] == before.loc[delivery, "own_documents"] + before.loc[crash,
                                                                                                   "own_documents"]
    # more tickets arrive, and the refit uses another seed: the themes are found again and keep their keys
    _build(conn, n_per_topic=20, seed=2, id_offset=10_000)
    result = theme_store.fit(conn, settings, ThemeModel(n_themes=5, random_state=3))
    assert {billing, login, delivery, crash} <= set(result.kept)
    after = theme_store.catalog(conn).set_index("theme_key")
    assert after.loc[billing, "theme"] == "Double charges & refunds"
    assert after.loc[crash, "merged_into"] == delivery and bool(after.loc[login, "pinned"])
    assert _theme_of_topic(conn, frame, "billing")[0] == billing
    # a rename back to blank returns to the automatic label; the edits are logged
    theme_store.rename(conn, billing, "  ")
    assert theme_store.catalog(conn).set_index("theme_key").loc[billing, "theme"] == after.loc[billing, "auto_label"]
    edits = conn.cursor().execute("SELECT action FROM theme_edits ORDER BY edited_at").fetchall()
    assert [e[0] for e in edits] == ["rename", "merge", "pin", "rename"]
    with pytest.raises(theme_store.ThemeError, match="into itself"):
        theme_store.merge(conn, login, login)
    with pytest.raises(theme_store.ThemeError, match="no theme 999"):
        theme_store.rename(conn, 999, "x")


def test_a_pinned_theme_is_kept_by_a_refit_that_does_not_find_it(
    topic_db: tuple[db.Connection, Settings, pd.DataFrame],
) -> None:
    conn, settings, frame = topic_db
    theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    delivery, _ = _theme_of_topic(conn, frame, "delivery")
    theme_store.pin(conn, delivery)
    result = theme_store.fit(conn, settings, ThemeModel(n_themes=2))  # too few themes to find it
    catalog = theme_store.catalog(conn).set_index("theme_key")
    assert catalog.loc[delivery, "active"] and catalog.loc[delivery, "documents"] > 0
    assert delivery in result.kept + result.pinned_kept
    assert _theme_of_topic(conn, frame, "delivery") == (delivery, pytest.approx(1.0, abs=0.1))


def test_new_texts_are_assigned_with_the_saved_model(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, frame = topic_db
    result = theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    login, _ = _theme_of_topic(conn, frame, "login")
    assert theme_store.unassigned_count(conn) == 0
    more = _build(conn, n_per_topic=5, seed=9, id_offset=50_000)
    assert theme_store.unassigned_count(conn) == len(more)
    assert theme_store.assign_new(conn, settings) == len(more)
    assert theme_store.unassigned_count(conn) == 0
    assert _theme_of_topic(conn, more, "login")[0] == login
    # a newer export changes a ticket's text: it is read again and carries its new theme only
    delivery, _ = _theme_of_topic(conn, frame, "delivery")
    changed = frame.loc[frame["topic"] == "login", "ticket_id"].iloc[0]
    conn.cursor().execute("UPDATE tickets SET description = 'parcel delivery late. package courier tracking.' "
                          "WHERE ticket_id = ?", [changed])
    assert theme_store.unassigned_count(conn) == 1
    assert theme_store.assign_new(conn, settings) == 1
    keys = conn.cursor().execute("SELECT theme_key FROM theme_documents WHERE doc_id = ?", [changed]).fetchall()
    assert [k[0] for k in keys] == [delivery]
    result.model_path.unlink()
    _build(conn, n_per_topic=1, seed=10, id_offset=60_000)
    with pytest.raises(theme_store.ThemeError, match="missing"):
        theme_store.assign_new(conn, settings)


def _fit_and_name(topic_db: tuple[db.Connection, Settings, pd.DataFrame], topic: str, name: str) -> int:
    """Fit five themes on the topic fixture and give the theme of ``topic`` a name; its key."""
    conn, settings, frame = topic_db
    theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    key, _ = _theme_of_topic(conn, frame, topic)
    theme_store.rename(conn, key, name)
    return key


def test_a_demo_rebuild_drops_assignments_but_keeps_names(
    topic_db: tuple[db.Connection, Settings, pd.DataFrame],
) -> None:
    conn, _, _ = topic_db
    _fit_and_name(topic_db, "login", "Sign-in")
    demo.build(conn, seed=3, size=demo.DemoSize(customers=300, tickets=600))
    assert conn.cursor().execute("SELECT count(*) FROM theme_documents").fetchall()[0][0] == 0
    assert theme_store.unassigned_count(conn) > 0
    assert "Sign-in" in set(theme_store.catalog(conn)["theme"])


def test_too_little_text_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings().with_db(tmp_path / "t.duckdb")
    conn = db.connect(settings)
    with pytest.raises(theme_store.ThemeError, match="at least 50"):
        theme_store.fit(conn, settings)
    with pytest.raises(theme_store.ThemeError, match="No theme model yet"):
        theme_store.assign_new(conn, settings)
    with pytest.raises(theme_store.ThemeError, match="between 2 and 60"):
        theme_store.fit(conn, settings, ThemeModel(n_themes=1))


# ------------------------------------------------------------------------------------------------ metrics


def test_impact_by_hand() -> None:
    # NPS: 10 responses, 5 promoters, 3 detractors -> +20. The theme's 4 responses hold 3 detractors, 0 promoters;
    # without them: 5 promoters, 0 detractors of 6 -> +83.33. Impact = 20 - 83.33 = -63.33 points.
    res = tm.impact_of("nps", (4, 0, 3), (10, 5, 3), samples=4000, seed=3)
    assert res["score"] == pytest.approx(20.0) and res["score_without"] == pytest.approx(500 / 6)
    assert res["impact"] == pytest.approx(20 - 500 / 6)
    assert res["theme_score"] == pytest.approx(-75.0)
    assert res["ci_low"] < res["impact"] < res["ci_high"] < 0
    assert tm.impact_of("nps", (4, 0, 3), (10, 5, 3), samples=4000, seed=3) == res  # seeded
    # CSAT: 20 responses, 15 satisfied (75%); the theme's 5 hold 1 satisfied; without: 14/15 = 93.33%
    csat = tm.impact_of("csat", (5, 1, 0), (20, 15, 0))
    assert csat["impact"] == pytest.approx(75 - 100 * 14 / 15)
    # a theme on every response cannot be removed: no score without it
    assert math.isnan(tm.impact_of("nps", (3, 1, 1), (3, 1, 1))["score_without"])
    with pytest.raises(ValueError, match="inconsistent"):
        tm.impact_of("nps", (4, 3, 3), (10, 5, 3))


def test_theme_impact_on_a_hand_built_survey(tmp_path: Path) -> None:
    settings = Settings().with_db(tmp_path / "s.duckdb")
    conn = db.connect(settings)
    rng = np.random.default_rng(5)
    late = ["late", "delivery", "slow", "courier", "parcel", "shipping", "package", "tracking"]
    kind = ["friendly", "helpful", "agent", "kind", "polite", "quick", "patient", "knowledgeable"]
    rows = []
    for i in range(40):  # 40 detractors complaining about delivery, 30 promoters praising the agent, 10 silent
        rows.append((f"d{i}", 2.0, " ".join(rng.choice(late, size=4, replace=False))))
    for i in range(30):
        rows.append((f"p{i}", 10.0, " ".join(rng.choice(kind, size=4, replace=False))))
    for i in range(10):
        rows.append((f"s{i}", 8.0, None))
    frame = pd.DataFrame(rows, columns=["response_id", "score", "comment"])
    frame["responded_at"] = [START + dt.timedelta(hours=int(h)) for h in rng.integers(0, 24 * 6, len(frame))]
    conn.cursor().execute("INSERT INTO survey_responses (source, response_id, responded_at, metric, score, "
                          "scale_min, scale_max, comment) SELECT 's', response_id, responded_at, 'nps', score, 0, 10, "
                          "comment FROM frame")
    theme_store.fit(conn, settings, ThemeModel(n_themes=2), source="comments")
    impact = tm.theme_impact(conn, period=Period(START.date(), START.date() + dt.timedelta(days=6)),
                             settings=settings)
    # NPS of all 80: 100 x (30 - 40) / 80 = -12.5. Without the delivery theme: 30 promoters of 40 -> +75;
    # without the agent theme: 40 detractors of 50 -> -80.
    assert len(impact) == 2 and (impact["score"] == -12.5).all() and (impact["all_responses"] == 80).all()
    worst, best = impact.iloc[0], impact.iloc[1]
    assert worst["responses"] == 40 and worst["score_without"] == pytest.approx(75.0)
    assert worst["impact"] == pytest.approx(-87.5) and worst["significant"]
    assert best["responses"] == 30 and best["impact"] == pytest.approx(-12.5 + 80.0) and best["significant"]
    assert set(late) >= set(worst["theme"].replace("·", " ").split())
    conn.close()


def test_metrics_on_the_topic_fixture(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, frame = topic_db
    theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    period = Period(dt.date(2026, 1, 5), dt.date(2026, 2, 1))
    volume = tm.theme_volume(conn, period=period, grain="week", settings=settings)
    assert (volume.groupby("period_start")["total_documents"].first().sum()) == len(frame)
    login, _ = _theme_of_topic(conn, frame, "login")
    docs = conn.cursor().execute("SELECT count(DISTINCT doc_id) FROM theme_documents WHERE theme_key = ?",
                                 [login]).fetchall()[0][0]
    assert volume.loc[volume["theme_key"] == login, "documents"].sum() == docs
    totals = volume.groupby("theme_key")["documents"].sum()
    first_bucket = volume[volume["period_start"] == volume["period_start"].min()]["theme_key"]
    assert list(totals[first_bucket].to_numpy()) == sorted(totals.to_numpy(), reverse=True)  # biggest first
    row = volume.iloc[0]
    assert row["share"] == pytest.approx(row["documents"] / row["total_documents"])
    assert row["share_low"] <= row["share"] <= row["share_high"]
    mix = tm.theme_mix(conn, period=period, by="channel", settings=settings)
    assert set(mix["dimension"]) == {"chat", "email"}
    email_docs = int((frame["channel"] == "email").sum())
    assert (mix.loc[mix["dimension"] == "email", "dimension_documents"] == email_docs).all()
    verbatims = tm.theme_verbatims(conn, theme_key=login, period=period)
    assert len(verbatims) == docs and verbatims["occurred_at"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="kinds"):
        tm.theme_volume(conn, period=period, kinds=("emails",))


def test_removed_tickets_leave_the_counts(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, frame = topic_db
    theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    login, _ = _theme_of_topic(conn, frame, "login")
    before = theme_store.catalog(conn).set_index("theme_key")
    logins = frame.loc[frame["topic"] == "login", ["ticket_id"]]
    conn.cursor().execute("DELETE FROM tickets WHERE ticket_id IN (SELECT ticket_id FROM logins)")  # an undo
    after = theme_store.catalog(conn).set_index("theme_key")
    assert after["total_documents"].iloc[0] == before["total_documents"].iloc[0] - len(logins)
    assert after.loc[login, "documents"] == before.loc[login, "documents"] - len(logins)


def test_verbatims_and_examples_are_redacted(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, _ = topic_db
    conn.cursor().execute(
        "INSERT INTO tickets (source, ticket_id, created_at, status, description, is_complaint) "
        "SELECT 't', 'pii' || i, TIMESTAMP '2026-01-06' + INTERVAL (i) HOUR, 'open', "
        "'password reset fails, mail me at jo' || i || '@example.com or call +44 20 7946 0958', true "
        "FROM range(30) AS r(i)")
    theme_store.fit(conn, settings, ThemeModel(n_themes=5))
    key = int(conn.cursor().execute("SELECT theme_key FROM theme_documents WHERE doc_id = 'pii1'").fetchall()[0][0])
    rows = tm.theme_verbatims(conn, theme_key=key, period=Period(dt.date(2026, 1, 5), dt.date(2026, 1, 11)))
    pii = rows[rows["doc_id"].str.startswith("pii")]
    assert len(pii) == 30 and pii["text"].str.contains(r"\[email\] or call \[phone\]").all()
    assert not rows["text"].str.contains("@example.com").any()
    stored = json.dumps(conn.cursor().execute("SELECT list(examples), list(term_weights) FROM themes").fetchall())
    assert "example.com" not in stored and "7946" not in stored


# ------------------------------------------------------------------------------------------------ the demo


def test_demo_themes_have_sensible_labels(themed_demo_path: Path) -> None:
    conn = db.connect(Settings().with_db(themed_demo_path))
    fit = theme_store.latest_fit(conn)
    assert fit is not None and fit["chosen_by"] == "stability" and 6 <= fit["n_themes"] <= 50
    docs = conn.cursor().execute(
        "SELECT t.subject, d.theme_key, th.auto_label FROM tickets t JOIN theme_documents d "
        "ON d.doc_kind = 'ticket' AND d.doc_id = t.ticket_id "
        "LEFT JOIN themes th ON th.theme_key = d.theme_key").df()
    good = 0
    for subject, group in docs.groupby("subject"):
        tickets = conn.cursor().execute("SELECT count(*) FROM tickets WHERE subject = ?", [subject]).fetchall()[0][0]
        top = group["auto_label"].value_counts()
        words = set(tokens(str(subject)))
        label = set(tokens(str(top.index[0])))
        if top.iloc[0] / tickets >= 0.9 and words & label:
            good += 1
    # most ticket subjects land, nearly all of their tickets, in a theme named by their own words
    assert good >= 12, good
    conn.close()


def test_demo_double_charge_incident_is_recovered(themed_demo_path: Path) -> None:
    conn = db.connect(Settings().with_db(themed_demo_path))
    spike = conn.cursor().execute(
        "SELECT d.theme_key, count(DISTINCT t.ticket_id) AS n FROM tickets t JOIN theme_documents d "
        "ON d.doc_kind = 'ticket' AND d.doc_id = t.ticket_id WHERE list_contains(t.tags, 'double_charge') "
        "GROUP BY 1 ORDER BY n DESC").df()
    total = conn.cursor().execute("SELECT count(*) FROM tickets WHERE list_contains(tags, 'double_charge')"
                                  ).fetchall()[0][0]
    key = int(spike.iloc[0]["theme_key"])
    assert spike.iloc[0]["n"] / total >= 0.9
    catalog = theme_store.catalog(conn).set_index("theme_key")
    assert {"charged twice", "charged", "twice"} & set(catalog.loc[key, "top_terms"])
    weeks = Period(demo.SPIKE_START.date() - dt.timedelta(weeks=6), demo.SPIKE_START.date() + dt.timedelta(days=27))
    flags = tm.theme_anomalies(conn, period=weeks, grain="week")
    flagged = flags[(flags["theme_key"] == key) & flags["is_anomaly"]]
    assert pd.Timestamp(demo.SPIKE_START) in set(flagged["period_start"])
    spike_period = Period(demo.SPIKE_START.date(), demo.SPIKE_START.date() + dt.timedelta(days=13))
    behind = tm.themes_behind(conn, period=spike_period, by="category", value="Billing")
    assert int(behind.iloc[0]["theme_key"]) == key and behind.iloc[0]["significant"]
    emerging = tm.emerging_themes(conn, period=spike_period).set_index("theme_key")
    assert emerging.loc[key, "status"] == "new"  # a theme of its own, that did not exist the period before
    requests = tm.product_requests(conn, period=Period(demo.DEMO_START.date(), dt.date(2026, 11, 15)))
    assert {"dark mode", "bulk edit", "mobile app widget", "sso provider"} <= set(requests["request"].head(6))
    top = requests.set_index("request").loc["dark mode"]
    assert top["mentions"] == conn.cursor().execute(
        "SELECT count(*) FROM tickets WHERE subject = 'Please add dark mode'").fetchall()[0][0]
    conn.close()


def test_demo_french_comments_are_read_with_folded_terms(themed_demo_path: Path) -> None:
    import joblib  # type: ignore[import-untyped]

    conn = db.connect(Settings().with_db(themed_demo_path))
    fr = conn.cursor().execute(
        "SELECT count(DISTINCT r.response_id), count(DISTINCT d.doc_id) FROM survey_responses r "
        "LEFT JOIN theme_documents d ON d.doc_kind = 'survey' AND d.doc_id = r.response_id "
        "WHERE r.comment LIKE '%résolu%' OR r.comment LIKE '%rappelé%' OR r.comment LIKE '%rapide%'").fetchall()[0]
    assert fr[0] > 0 and fr[1] == fr[0]  # every French comment was read
    fit = theme_store.latest_fit(conn)
    assert fit is not None
    vocabulary = set(joblib.load(fit["model_path"])["vectorizer"].get_feature_names_out())
    assert {"resolu", "rappele"} & vocabulary and not {"résolu", "rappelé"} & vocabulary
    conn.close()


# ------------------------------------------------------------------------------------------------ real data and CLI


@pytest.mark.realdata
def test_kaggle_ticket_themes_are_readable(tmp_path: Path) -> None:
    csv = REALDATA / "kaggle_customer_support_tickets_isodates_rewritten_text.csv"
    if not csv.is_file():
        pytest.skip("../shared/realdata is not available")
    from cx_metrics.ingest import load as ingest

    settings = Settings().with_db(tmp_path / "k.duckdb")
    conn = db.connect(settings)
    ingest.load(conn, ingest.preview(csv))
    results = theme_store.fit_all(conn, settings)
    assert [r.source for r in results] == ["tickets"]  # no survey comments in this export
    assert results[0].template_sentences > 0  # the "Critical." / "Asap." suffixes are templates
    catalog = theme_store.catalog(conn)
    labels = " ".join(catalog["theme"]).lower()
    for word in ("refund", "cancel", "billing", "technical", "product"):
        assert word in labels, labels
    assert catalog["theme"].is_unique, labels
    # every subject's tickets land mostly in a theme named by the subject's own words
    subjects = conn.cursor().execute(
        "SELECT t.subject, th.auto_label, count(*) AS n FROM tickets t JOIN theme_documents d "
        "ON d.doc_kind = 'ticket' AND d.doc_id = t.ticket_id JOIN themes th ON th.theme_key = d.theme_key "
        "GROUP BY ALL ORDER BY n DESC").df()
    for subject, group in subjects.groupby("subject"):
        top = str(group.iloc[0]["auto_label"])
        assert set(tokens(str(subject))) & set(tokens(top)), (subject, top)
    tickets = conn.cursor().execute(
        "SELECT t.subject, th.auto_label FROM tickets t JOIN theme_documents d ON d.doc_id = t.ticket_id "
        "JOIN themes th ON th.theme_key = d.theme_key").df()
    refund = tickets[tickets["subject"] == "Refund Needed"]["auto_label"].value_counts()
    assert "refund" in refund.index[0].lower() and refund.iloc[0] / refund.sum() >= 0.8
    # one theme holds one subject (measured on real text): at least 90% of each theme's tickets share a subject
    purity = tickets.groupby("auto_label")["subject"].agg(lambda s: s.value_counts(normalize=True).iloc[0])
    assert purity.min() >= 0.9, purity.to_dict()
    conn.close()


def test_cli_fit_show_rename_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.duckdb"
    conn = db.connect(Settings().with_db(path))
    frame = _build(conn)
    conn.close()
    assert main(["themes", "fit", "--themes", "5", "--db", str(path)]) == 0
    out = capsys.readouterr()
    assert "5 themes over" in out.out and "model saved to" in out.out and "[100%]" in out.err
    assert main(["themes", "show", "--db", str(path), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    key = shown[0]["theme_key"]
    assert main(["themes", "rename", str(key), "Top", "theme", "--db", str(path)]) == 0
    assert "Top theme" in capsys.readouterr().out
    assert main(["themes", "merge", str(shown[1]["theme_key"]), str(key), "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["themes", "rename", "abc", "--db", str(path)]) == 2
    assert "needs a theme key" in capsys.readouterr().err
    assert main(["metric", "theme-volume", "--db", str(path), "--start", "2026-01-05", "--end", "2026-02-01",
                 "--format", "json"]) == 0
    volume = json.loads(capsys.readouterr().out)["rows"]
    assert sum(r["documents"] for r in volume if r["theme_key"] == key) >= int((frame["topic"] != "").sum() * 0.2)
    assert main(["metric", "theme-verbatims", "--db", str(path)]) == 2
    assert "--theme" in capsys.readouterr().err
    assert main(["metric", "--list"]) == 0
    assert "theme-impact" in capsys.readouterr().out
    # survey comments get a model of their own; `show --source` lists one corpus, shares of its own texts
    conn = db.connect(Settings().with_db(path))
    _comments(conn)
    conn.close()
    assert main(["themes", "fit", "--source", "comments", "--themes", "2", "--db", str(path)]) == 0
    assert "(comments): 2 themes over 60 texts" in capsys.readouterr().out
    assert main(["themes", "show", "--source", "comments", "--db", str(path), "--format", "json"]) == 0
    comments = json.loads(capsys.readouterr().out)
    assert {c["corpus"] for c in comments} == {"comments"} and sum(c["share"] for c in comments) == pytest.approx(1)
    assert main(["themes", "show", "--db", str(path), "--format", "json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert {c["corpus"] for c in both} == {"tickets", "comments"}
    assert main(["themes", "fit", "--themes", "3", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(tickets): 3 themes" in out and "(comments): 3 themes" in out
    assert main(["themes", "assign", "--source", "comments", "--db", str(path)]) == 0
    assert "0 new texts" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ labels


def test_phrases_are_runs_of_content_words_within_a_sentence() -> None:
    assert phrases(preprocess("Charged twice for my subscription. Refund please")) == [
        "charged", "charged twice", "charged twice subscription", "refund", "subscription", "twice",
        "twice subscription"]


def test_a_label_names_what_sets_a_theme_apart_and_every_kind_of_text_in_it() -> None:
    from scipy import sparse

    candidates = np.array(["twice", "notifications sent twice", "charged twice subscription", "sent", "issue",
                           "alerts"])
    # 60 texts "notifications sent twice" (half of them say "alerts"), 40 "charged twice subscription"; "issue" is
    # everywhere
    members = sparse.csc_matrix(np.array([[1, 1, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], dtype=float))
    weights = np.array([60.0, 40.0])
    coverage = np.array([1.0, 0.6, 0.4, 0.6, 1.0, 0.6])
    lift = np.array([5.0, 30.0, 30.0, 20.0, 1.0, 10.0])
    label = ["notifications sent twice", "charged twice subscription"]
    assert themes.choose_label(coverage, lift, members, weights, candidates) == label
    # the same label as a bigger theme: the next best phrase tells them apart
    assert themes.choose_label(coverage, lift, members, weights, candidates, taken={" · ".join(label)}) == [
        *label, "alerts"]
    # one kind of text: one phrase, the longest that covers it, never a word shared with every theme
    one = sparse.csc_matrix(np.array([[1, 1, 0, 1, 1, 0]], dtype=float))
    assert themes.choose_label(np.array([1.0, 1.0, 0, 1.0, 1.0, 0]), lift, one, np.array([10.0]),
                               candidates) == ["notifications sent twice"]
    assert themes.choose_label(coverage, np.ones(6), members, weights, candidates) == []  # nothing distinctive


def test_topics_carrying_the_same_documents_collapse() -> None:
    w = np.array([[1.0, 0.5, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    h = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    w2, h2 = themes.collapse_duplicates(w, h)
    assert w2.shape == (3, 2) and h2.shape == (2, 2)
    np.testing.assert_allclose(w2[:, 0], [1.5, 3.0, 0.0])
    n0, n1 = np.linalg.norm(w[:, 0]), np.linalg.norm(w[:, 1])
    np.testing.assert_allclose(h2[0], [n0 / (n0 + n1), n1 / (n0 + n1)])
    same_w, same_h = themes.collapse_duplicates(np.eye(3), h)
    assert same_w.shape == (3, 3) and same_h is h


def _template_key_terms(templates: list[str]) -> dict[str, set[str]]:
    """The words and two-word phrases of each template that no other template has: what its theme's label must say
    ("Great support, they followed up" -> "great support" and "support followed", not "great" nor "followed")."""
    words = {t: {p for p in phrases(preprocess(t)) if p.count(" ") <= 1} for t in templates}
    return {t: w - set().union(*(v for u, v in words.items() if u != t)) for t, w in words.items()}


def _says(label: str, key_terms: set[str]) -> bool:
    """Whether one of the label's phrases holds one of the key words or phrases (as the model reads them: a label is
    written as the texts write it, "Great support, they followed up")."""
    return any(k in set(analyze(preprocess(part))) for part in label.split(" · ") for k in key_terms)


def test_every_planted_demo_theme_is_recovered_under_its_own_words(themed_demo_path: Path) -> None:
    conn = db.connect(Settings().with_db(themed_demo_path))
    corpora = {
        "ticket": ("SELECT t.subject AS template, d.theme_key, th.auto_label, th.corpus FROM tickets t "
                   "JOIN theme_documents d ON d.doc_kind = 'ticket' AND d.doc_id = t.ticket_id "
                   "LEFT JOIN themes th ON th.theme_key = d.theme_key",
                   [s for subjects in demo_text.SUBJECTS.values() for s in subjects] + [demo_text.SPIKE_SUBJECT]),
        "survey": ("SELECT r.comment AS template, d.theme_key, th.auto_label, th.corpus FROM "
                   "(SELECT DISTINCT source, response_id, comment FROM survey_responses WHERE comment IS NOT NULL) r "
                   "JOIN theme_documents d ON d.doc_kind = 'survey' AND d.doc_id = r.response_id "
                   "LEFT JOIN themes th ON th.theme_key = d.theme_key",
                   demo_text.COMMENTS_NEG + demo_text.COMMENTS_NEUTRAL + demo_text.COMMENTS_POS
                   + demo_text.NPS_NEG + demo_text.NPS_PASSIVE + demo_text.NPS_POS),
    }
    missed = []
    for kind, (sql, templates) in corpora.items():
        docs = conn.cursor().execute(sql).df()
        assert set(docs["corpus"].dropna()) == {"tickets" if kind == "ticket" else "comments"}  # separate models
        own = _template_key_terms(templates)
        for template, key_terms in own.items():
            assert key_terms, template  # every template has words of its own
            mine = docs[docs["template"] == template]
            total = int(conn.cursor().execute(
                "SELECT count(*) FROM tickets WHERE subject = ?" if kind == "ticket" else
                "SELECT count(DISTINCT response_id) FROM survey_responses WHERE comment = ?", [template]
            ).fetchall()[0][0])
            assert total > 0 and len(mine) > 0, template
            # the themes carrying at least half of the template's texts; one of them must be named by its words
            counts = mine.groupby("auto_label").size()
            labels = [str(label) for label, c in counts.items() if c >= 0.5 * total]
            if not any(_says(label, key_terms) for label in labels):
                missed.append((template, sorted(key_terms), labels))
    assert not missed, missed
    # the double-charge incident in particular
    spike = conn.cursor().execute(
        "SELECT th.auto_label, count(*) AS n FROM tickets t JOIN theme_documents d ON d.doc_kind = 'ticket' "
        "AND d.doc_id = t.ticket_id JOIN themes th ON th.theme_key = d.theme_key "
        "WHERE list_contains(t.tags, 'double_charge') GROUP BY 1 ORDER BY n DESC").df()
    assert any("charged twice" in str(label).lower() for label in spike["auto_label"]), spike
    # no two themes of a corpus share a label
    catalog = theme_store.catalog(conn)
    for _, group in catalog[catalog["active"]].groupby("corpus"):
        assert group["auto_label"].is_unique, group["auto_label"].tolist()
    conn.close()


# ------------------------------------------------------------------------------------------------ two corpora


def _comments(conn: db.Connection, n: int = 60) -> None:
    rng = np.random.default_rng(4)
    wait = ["waited", "hold", "queue", "hours", "callback", "slow", "forever", "response"]
    kind = ["friendly", "helpful", "agent", "kind", "polite", "patient", "knowledgeable", "courteous"]
    rows = [(f"r{i}", 2.0 if i % 2 else 10.0, " ".join(rng.choice(wait if i % 2 else kind, size=4, replace=False)))
            for i in range(n)]
    frame = pd.DataFrame(rows, columns=["response_id", "score", "comment"])
    frame["responded_at"] = [START + dt.timedelta(hours=3 * i) for i in range(n)]
    conn.cursor().execute("INSERT INTO survey_responses (source, response_id, responded_at, metric, score, "
                          "scale_min, scale_max, comment) SELECT 's', response_id, responded_at, 'nps', score, 0, "
                          "10, comment FROM frame")


def test_tickets_and_comments_have_separate_models(topic_db: tuple[db.Connection, Settings, pd.DataFrame]) -> None:
    conn, settings, _ = topic_db
    # too few comments: fitting both fits the tickets only; asking for the comments by name says what to do
    assert [r.source for r in theme_store.fit_all(conn, settings, ThemeModel(n_themes=5))] == ["tickets"]
    with pytest.raises(theme_store.ThemeError, match=r"survey responses have a comment.*--source tickets"):
        theme_store.fit(conn, settings, source="comments")
    with pytest.raises(theme_store.ThemeError, match="source must be"):
        theme_store.fit_all(conn, settings, source="emails")
    _comments(conn)
    assert theme_store.unassigned_count(conn) == 0  # no comment model yet: nothing it should have read
    results = theme_store.fit_all(conn, settings, ThemeModel(n_themes=2), source="comments")
    assert [r.source for r in results] == ["comments"] and results[0].documents == 60
    fits = theme_store.latest_fits(conn)
    assert set(fits) == {"tickets", "comments"} and Path(fits["tickets"]["model_path"]).is_file()
    docs = conn.cursor().execute("SELECT d.doc_kind, th.corpus FROM theme_documents d JOIN themes th "
                                 "USING (theme_key)").df()
    assert set(map(tuple, docs.drop_duplicates().to_numpy())) == {("ticket", "tickets"), ("survey", "comments")}
    comment_themes = theme_store.catalog(conn, "comments")
    assert len(comment_themes) == 2 and (comment_themes["corpus"] == "comments").all()
    assert (comment_themes["documents"] == 30).all() and (comment_themes["share"] == 0.5).all()
    assert (theme_store.catalog(conn, "tickets")["corpus"] == "tickets").all()
    # a refit of the tickets leaves the comment model, its names and its assignments alone
    waiting = int(comment_themes[comment_themes["theme"].str.contains("waited|hold|queue|slow|hours", case=False)]
                  ["theme_key"].iloc[0])
    theme_store.rename(conn, waiting, "Waiting")
    before = conn.cursor().execute("SELECT * FROM theme_documents WHERE doc_kind = 'survey' ORDER BY doc_id").df()
    theme_store.fit(conn, settings, ThemeModel(n_themes=4, random_state=5), source="tickets")
    after = conn.cursor().execute("SELECT * FROM theme_documents WHERE doc_kind = 'survey' ORDER BY doc_id").df()
    pd.testing.assert_frame_equal(before, after)
    # ... and the name survives a refit of the comments
    result = theme_store.fit(conn, settings, ThemeModel(n_themes=2, random_state=9), source="comments")
    assert waiting in result.kept
    assert theme_store.catalog(conn, "comments").set_index("theme_key").loc[waiting, "theme"] == "Waiting"
    # NPS impact is read from the comment themes
    impact = tm.theme_impact(conn, period=Period(START.date(), START.date() + dt.timedelta(days=13)),
                             settings=settings)
    assert set(impact["theme_key"]) == set(theme_store.catalog(conn, "comments")["theme_key"])
    assert impact.set_index("theme_key").loc[waiting, "impact"] < 0
    # themes of different texts cannot be merged
    ticket_key = int(theme_store.catalog(conn, "tickets")["theme_key"].iloc[0])
    with pytest.raises(theme_store.ThemeError, match="different texts"):
        theme_store.merge(conn, waiting, ticket_key)
    # new comments are assigned with the comment model only
    conn.cursor().execute("INSERT INTO survey_responses (source, response_id, responded_at, metric, score, "
                          "scale_min, scale_max, comment) VALUES ('s', 'new', $at, 'nps', 1, 0, 10, "
                          "'waited on hold forever in the queue')", {"at": START})
    assert theme_store.unassigned_count(conn, "comments") == 1 and theme_store.unassigned_count(conn, "tickets") == 0
    assert theme_store.assign_new(conn, settings) == 1
    key = conn.cursor().execute("SELECT theme_key FROM theme_documents WHERE doc_id = 'new'").fetchall()
    assert [k[0] for k in key] == [waiting]


def test_themes_fitted_before_the_corpora_were_separate_keep_their_names(
    topic_db: tuple[db.Connection, Settings, pd.DataFrame],
) -> None:
    conn, settings, _ = topic_db
    billing = _fit_and_name(topic_db, "billing", "Billing")
    # what migration 0007 leaves of a fit made by one model over both kinds of text
    conn.cursor().execute("UPDATE themes SET corpus = 'all'")
    conn.cursor().execute("UPDATE theme_fits SET corpus = 'all'")
    assert theme_store.latest_fit(conn, "tickets") is not None  # still the model of both until refitted
    result = theme_store.fit(conn, settings, ThemeModel(n_themes=5, random_state=3), source="tickets")
    assert billing in result.kept
    catalog = theme_store.catalog(conn, "tickets").set_index("theme_key")
    assert catalog.loc[billing, "theme"] == "Billing" and catalog.loc[billing, "corpus"] == "tickets"


# ------------------------------------------------------------------------------------------------ readable themes


def test_vendor_masks_never_become_theme_words(tmp_path: Path) -> None:
    """A CFPB-style export masks dates, names and amounts (XXXX, XX/XX/XXXX, {$21.00}): masked in every text, the
    masks would be the most common "words" and name a theme ("xx xx xxxx")."""
    settings = Settings().with_db(tmp_path / "cfpb.duckdb")
    conn = db.connect(settings)
    rng = np.random.default_rng(3)
    kinds = ["I was charged a late fee of {$35.00} on XX/XX/XXXX although I paid XXXX days early",
             "XXXX reported a debt to the credit bureau on XX/XX/XXXX that is not mine",
             "My mortgage servicer XXXX lost my payment of {$1,200.00} sent on XX/XX/XXXX",
             "The collection agency XXXX calls me every day about a debt of {$500.00}"]
    rows = [(f"C{i}", START + dt.timedelta(hours=i), kinds[i % 4] + rng.choice([".", "!", ". Please help."]))
            for i in range(160)]
    conn.register("narratives", pd.DataFrame(rows, columns=["ticket_id", "created_at", "description"]))
    conn.execute("INSERT INTO tickets (source, ticket_id, created_at, status, description) "
                 "SELECT 'cfpb', ticket_id, created_at, 'open', description FROM narratives")
    theme_store.fit(conn, settings)
    catalog = theme_store.catalog(conn)
    shown = " ".join([*catalog["theme"], *(t for terms in catalog["top_terms"] for t in terms)]).lower()
    assert "xx" not in shown and "xxxx" not in shown and "amount" not in shown, shown
    conn.close()


def test_labels_read_as_the_texts_write_them(themed_demo_path: Path) -> None:
    """A label is a phrase a manager reads ("Asked for a year ago", "Not fixed, and nobody followed up"), written
    as the theme's own texts write it; never the bare content words ("asked year ago", "slow getting handed")."""
    conn = db.connect(Settings().with_db(themed_demo_path), read_only=True)
    texts = conn.cursor().execute(
        "SELECT d.theme_key, coalesce(t.subject, r.comment) AS text FROM theme_documents d "
        "LEFT JOIN tickets t ON d.doc_kind = 'ticket' AND t.ticket_id = d.doc_id "
        "LEFT JOIN (SELECT DISTINCT response_id, comment FROM survey_responses) r "
        "ON d.doc_kind = 'survey' AND r.response_id = d.doc_id WHERE d.theme_key IS NOT NULL").df()
    catalog = theme_store.catalog(conn)
    conn.close()
    labels = catalog.loc[catalog["active"], ["theme_key", "auto_label"]]
    assert {"Asked for a year ago", "Not fixed, and nobody followed up", "Slow and I keep getting handed off",
            "Cannot log in to my account"} <= set(labels["auto_label"])
    for key, label in labels.itertuples(index=False):
        own = " ".join(texts.loc[texts["theme_key"] == key, "text"].drop_duplicates().astype(str)).casefold()
        for part in str(label).split(" · "):
            assert part.rstrip("…").casefold() in own, (label, part)  # written by the texts, word for word


def _purity(docs: pd.DataFrame) -> pd.Series:
    """Per theme: the share of its texts that come from its most common kind of text (1 = one kind only)."""
    return docs.groupby("theme_key")["kind"].agg(lambda s: s.value_counts(normalize=True).iloc[0])


def test_no_theme_merges_unrelated_kinds_of_text(themed_demo_path: Path) -> None:
    """Measured on the demo, whose texts come from known templates: every theme holds one kind of text ("Cannot log
    in to my account" and "Close my account" share "account", not a subject: two themes)."""
    conn = db.connect(Settings().with_db(themed_demo_path), read_only=True)
    tickets = conn.cursor().execute(
        "SELECT d.theme_key, t.subject AS kind FROM theme_documents d JOIN tickets t ON d.doc_kind = 'ticket' "
        "AND t.ticket_id = d.doc_id WHERE d.theme_key IS NOT NULL").df()
    comments = conn.cursor().execute(
        "SELECT d.theme_key, r.comment AS kind FROM theme_documents d JOIN (SELECT DISTINCT response_id, comment "
        "FROM survey_responses) r ON d.doc_kind = 'survey' AND r.response_id = d.doc_id "
        "WHERE d.theme_key IS NOT NULL").df()
    fit = theme_store.latest_fits(conn)
    conn.close()
    for docs in (tickets, comments):
        purity = _purity(docs)
        assert purity.min() >= 0.9, purity.sort_values().head().to_dict()
    assert sum(int(f.get("n_themes", 0)) for f in fit.values()) > 0


def test_a_theme_of_two_unrelated_kinds_is_split_and_synonyms_are_not() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["log account", "close account", "refund money", "money back order", "refund order"]
    vectorizer = TfidfVectorizer(analyzer=analyze).fit(texts)
    counts = np.ones(len(texts))
    h = np.ones((1, len(vectorizer.get_feature_names_out())))
    two = themes.TopicPhrases(["log account", "close account"], np.array([0, 1]), np.ones(2),
                              [np.array([True, False]), np.array([False, True])])
    split, n = themes.split_mixed_topics(vectorizer, h, [two], texts, counts)
    assert n == 1 and split.shape[0] == 2
    vocab = list(vectorizer.get_feature_names_out())
    assert split[:, vocab.index("account")].max() == 0  # the shared word belongs to neither kind
    # "refund" and "money back" cover different texts but share their subject (order): one theme
    same = themes.TopicPhrases(["refund", "money back"], np.array([2, 3, 4]), np.ones(3),
                               [np.array([True, False, True]), np.array([False, True, False])])
    kept, n = themes.split_mixed_topics(vectorizer, h, [same], texts, counts)
    assert n == 0 and kept is h
