"""Closed-loop follow-up (issue 20): the worklist and its policy, claim / close / undo with the acting user and the
audit log, no lost update under two people closing one item at once, the role checks, the effect estimate and
coverage against hand-computed values, the CLI, and the demo's planted effect recovered within its interval."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import audit, cli, db, demo, demo_followups, followups
from cx_metrics.config import ConfigError, Settings, load_settings
from cx_metrics.filters import Period
from cx_metrics.metrics import churn
from cx_metrics.stats_groups import mantel_haenszel, newcomb_diff

# The hand-built history (the latest data: 30 Nov 2026 12:00, an activity row; churn is contractual):
# * stratum A, NPS 5 on 1 Feb 2026 10:00 (due 3 Feb 10:00; landmark 15 Feb 10:00): C01-C04 reached on 2 Feb (C01
#   churns 1 Mar), C16 not reachable on 2 Feb, C07 reached late on 20 Feb (after the landmark: "not followed"),
#   C05 and C06 churn 1 Mar, C08 nothing; C15 churns 5 Feb, before the landmark (in neither arm);
# * stratum B, NPS 5 on 1 May 2026: C09, C10 reached on 2 May; C11, C12 churn 1 Jun; C13, C14 nothing;
# * the worklist (30 days back): C19's ticket reopened twice (first solved 11 Nov 12:00), C17's NPS 3 on 20 Nov
#   10:00, C18's high-priority complaint of 28 Nov 09:00, unsolved (24 h target: failed 29 Nov 09:00).
CUSTOMERS = [f"C{i:02d}" for i in range(1, 20)]
CHURN = {"C01": "2026-03-01", "C05": "2026-03-01", "C06": "2026-03-01", "C15": "2026-02-05", "C11": "2026-06-01",
         "C12": "2026-06-01"}
A = ["C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "C15", "C16"]
B = ["C09", "C10", "C11", "C12", "C13", "C14"]
CLOSED = {"C01": ("2026-02-02", "reached"), "C02": ("2026-02-02", "recovered"), "C03": ("2026-02-02", "declined"),
          "C04": ("2026-02-02", "reached"), "C16": ("2026-02-02", "not_reachable"), "C07": ("2026-02-20", "reached"),
          "C09": ("2026-05-02", "reached"), "C10": ("2026-05-02", "reached")}


def _build(path: Path) -> Settings:
    s = Settings().with_db(path)
    conn = db.connect(s)
    cur = conn.cursor()
    for c in CUSTOMERS:
        churned = CHURN.get(c)
        cur.execute("INSERT INTO customers (customer_id, signup_at, plan, status, churned_at) "
                    "VALUES (?, ?, 'Pro', ?, ?)", [c, "2025-01-01", "churned" if churned else "active", churned])
    cur.execute("INSERT INTO customer_activity VALUES ('C08', '2026-11-30 12:00', 'login', NULL, NULL)")
    responses = [(c, "2026-02-01 10:00", 5) for c in A] + [(c, "2026-05-01 10:00", 5) for c in B]
    responses.append(("C17", "2026-11-20 10:00", 3))
    for i, (c, at, score) in enumerate(responses):
        cur.execute("INSERT INTO survey_responses (source, response_id, customer_id, responded_at, metric, score, "
                    "scale_min, scale_max, survey_name, comment) "
                    "VALUES ('s', ?, ?, ?, 'nps', ?, 0, 10, 'Quarterly', ?)",
                    [f"R{i:02d}", c, at, score, "=cmd|' /C calc'!A0" if c == "C17" else None])
    tickets = [  # (id, customer, created, first solved, solved, priority, group, reopens, complaint)
        ("T1", "C01", "2026-01-20 09:00", "2026-01-20 10:00", "2026-01-20 10:00", "low", "Billing", 0, False),
        ("T2", "C18", "2026-11-28 09:00", None, None, "high", "Technical", 0, True),
        ("T3", "C19", "2026-11-10 09:00", "2026-11-11 12:00", "2026-11-15 09:00", "normal", "Tier 1", 2, False),
    ]
    for t in tickets:
        cur.execute("INSERT INTO tickets (source, ticket_id, customer_id, created_at, first_solved_at, solved_at, "
                    "status, priority, group_name, assignee, reopens, is_complaint, subject) "
                    "VALUES ('s', ?, ?, ?, ?, ?, 'open', ?, ?, 'Ann Agent', ?, ?, 'Charged twice')", list(t))
    keys = {r[0]: r[1] for r in cur.execute("SELECT customer_id, response_id FROM survey_responses").fetchall()}
    for c, (day, outcome) in CLOSED.items():
        key = f"detractor:s:{keys[c]}"
        followups.claim(conn, key, "lead@example.com", settings=s, now=dt.datetime(2026, 2, 1, 12))
        followups.close(conn, key, "lead@example.com", outcome=outcome, contacted_on=dt.date.fromisoformat(day),
                        note=f"called {c}", version=1, settings=s, now=dt.datetime(2026, 12, 31))
    conn.close()
    return s


@pytest.fixture
def hand(tmp_path: Path) -> Iterator[tuple[db.Connection, Settings]]:
    s = _build(tmp_path / "followups.duckdb")
    conn = db.connect(s)
    yield conn, s
    conn.close()


# --- statistics against published and hand-computed values -----------------------------------------------------


def test_newcomb_interval_matches_newcomb_1998() -> None:
    # Newcomb (1998), Statistics in Medicine 17:873, method 10: 56/70 - 48/80 and 9/10 - 3/10
    ci = newcomb_diff(56, 70, 48, 80)
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.0524, 0.3339)
    ci = newcomb_diff(9, 10, 3, 10)
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.1705, 0.8090)
    assert math.isnan(newcomb_diff(1, 0, 1, 5).low)


def test_mantel_haenszel_by_hand() -> None:
    est = mantel_haenszel([(1, 4, 2, 5), (0, 2, 2, 4)])
    # R = 1*5/9 + 0 = 5/9, S = 2*4/9 + 2*2/6 = 14/9: RR = 5/14
    assert est.risk_ratio == pytest.approx(5 / 14)
    # Greenland-Robins: sum (n1 n0 (a+c) - a c N) / N^2 = 42/81 + 16/36; var = that / (R S)
    se = math.sqrt((42 / 81 + 16 / 36) / ((5 / 9) * (14 / 9)))
    z = 1.959963984540054
    assert est.rr_low == pytest.approx(5 / 14 * math.exp(-z * se))
    assert est.rr_high == pytest.approx(5 / 14 * math.exp(z * se))
    # risk difference with weights n1 n0 / N = 20/9 and 8/6
    assert est.risk_difference == pytest.approx((20 / 9 * (1 / 4 - 2 / 5) + 8 / 6 * (0 - 2 / 4)) / (20 / 9 + 8 / 6))
    assert (est.strata, est.units) == (2, 15)
    assert mantel_haenszel([(1, 4, 0, 0)]).strata == 0  # a stratum without both arms weighs nothing


# --- the worklist and its policy ----------------------------------------------------------------------------------


def test_worklist_by_hand(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    wl = followups.worklist(conn, s)
    assert wl["kind"].tolist() == ["reopened", "detractor", "sla_breach"]  # soonest due first
    assert wl["due_at"].tolist() == [pd.Timestamp("2026-11-12 12:00"), pd.Timestamp("2026-11-22 10:00"),
                                     pd.Timestamp("2026-11-30 09:00")]
    assert wl["severity"].tolist() == ["severe", "severe", "severe"]
    assert wl["team"].tolist() == ["Tier 1", "(no team)", "Technical"]
    assert wl["customer_id"].tolist() == ["C19", "C17", "C18"]
    assert wl.loc[2, "why"] == "Complaint T2 (high priority) past its 24 h resolution target, still unresolved"
    assert wl.loc[2, "contacts_90d"] == 1 and wl.loc[2, "complaints_90d"] == 1
    assert (wl["status"] == "open").all() and (wl["version"] == 0).all()
    # the policy: a detractor within 12 h instead, reopened tickets off
    custom = Settings(followup_due_hours={"detractor": 12.0, "sla_breach": 24.0, "reopened": 0.0})
    wl = followups.worklist(conn, custom)
    assert wl["kind"].tolist() == ["detractor", "sla_breach"]
    assert wl.loc[0, "due_at"] == pd.Timestamp("2026-11-20 22:00")
    text = followups.describe_policy(custom)
    assert "within 12 h of an NPS answer of 0-6, default 48 h" in text and "Reopened ticket: off (default 24 h)" in text


def test_policy_from_cx_toml(tmp_path: Path) -> None:
    toml = tmp_path / "cx.toml"
    toml.write_text("[followups]\nwindow_days = 14\n[followups.due_hours]\ndetractor = 72\n")
    s = load_settings({"CX_CONFIG": str(toml)})
    assert s.followup_due_hours == {"detractor": 72.0, "sla_breach": 24.0, "reopened": 24.0}
    assert s.followup_window_days == 14
    toml.write_text("[followups.due_hours]\npromoter = 5\n")
    with pytest.raises(ConfigError, match="detractor, sla_breach and reopened, not \\['promoter'\\]"):
        load_settings({"CX_CONFIG": str(toml)})


# --- the loop -------------------------------------------------------------------------------------------------------


def test_claim_close_leaves_the_list_with_user_history_and_audit(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    key = str(followups.worklist(conn, s).iloc[0]["item_key"])
    assert followups.claim(conn, key, "ann@example.com", settings=s) == 1
    row = followups.worklist(conn, s).set_index("item_key").loc[key]
    assert (row["status"], row["claimed_by"], row["version"]) == ("claimed", "ann@example.com", 1)
    with pytest.raises(followups.FollowupConflict, match=r"ann@example\.com claimed it"):
        followups.claim(conn, key, "bob@example.com", settings=s)
    with pytest.raises(followups.FollowupError, match="is in the future"):
        followups.close(conn, key, "ann@example.com", outcome="reached", contacted_on=dt.date(2099, 1, 1),
                        version=1, settings=s)
    with pytest.raises(followups.FollowupError, match="before the customer was failed"):
        followups.close(conn, key, "ann@example.com", outcome="reached", contacted_on=dt.date(2026, 1, 1),
                        version=1, settings=s)
    with pytest.raises(followups.FollowupError, match="not one of"):
        followups.close(conn, key, "ann@example.com", outcome="happy", contacted_on=dt.date(2026, 11, 25),
                        version=1, settings=s)
    assert followups.close(conn, key, "ann@example.com", outcome="recovered", contacted_on=dt.date(2026, 11, 25),
                           note="Refunded, happy again", version=1, settings=s) == 2
    assert key not in set(followups.worklist(conn, s)["item_key"])  # it left the list
    stored = followups.state(conn, key)
    assert stored is not None
    assert (stored["status"], stored["closed_by"], stored["outcome"], stored["note"]) == (
        "closed", "ann@example.com", "recovered", "Refunded, happy again")
    hist = followups.history(conn, key)
    assert hist["action"].tolist() == ["close", "claim"] and set(hist["actor"]) == {"ann@example.com"}
    log = audit.recent(conn)
    mine = log[log["detail"].str.contains(key, regex=False)]
    assert mine["action"].tolist() == ["followup_close", "followup_claim"]
    assert "Refunded" not in " ".join(mine["detail"])  # notes stay out of the audit log (admins read it)


def test_close_of_an_open_item_claims_it_in_the_same_transaction(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    key = str(followups.worklist(conn, s).iloc[1]["item_key"])
    assert followups.close(conn, key, "cli-user", outcome="not_reachable", contacted_on=dt.date(2026, 11, 21),
                           settings=s) == 2
    assert followups.history(conn, key)["action"].tolist() == ["close", "claim"]


def _closed_by_ann(conn: db.Connection, s: Settings) -> str:
    """The first item of the list, claimed and closed by Ann (version 2); its key."""
    key = str(followups.worklist(conn, s).iloc[0]["item_key"])
    followups.claim(conn, key, "ann@example.com", settings=s)
    followups.close(conn, key, "ann@example.com", outcome="reached", contacted_on=dt.date(2026, 11, 25), version=1,
                    settings=s)
    return key


def test_undo_is_for_admins_and_steps_back(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    key = _closed_by_ann(conn, s)
    for role in ("executive", "cx_lead", "analyst", None):
        with pytest.raises(followups.FollowupError, match="Only an admin"):
            followups.undo(conn, key, "someone", role)
    assert followups.undo(conn, key, "boss@example.com", "admin") == "close"
    row = followups.worklist(conn, s).set_index("item_key").loc[key]  # back on the list, still Ann's
    assert (row["status"], row["claimed_by"], row["version"]) == ("claimed", "ann@example.com", 3)
    assert followups.undo(conn, key, "boss@example.com", "admin") == "claim"
    assert followups.worklist(conn, s).set_index("item_key").loc[key, "status"] == "open"
    with pytest.raises(followups.FollowupError, match="no claim or close to undo"):
        followups.undo(conn, key, "boss@example.com", "admin")
    undo = followups.history(conn, key).iloc[0]
    assert undo["action"] == "undo" and undo["actor"] == "boss@example.com"
    assert audit.recent(conn)["action"].tolist()[:2] == ["followup_undo", "followup_undo"]


def test_two_people_closing_one_item_at_once_give_one_outcome(hand: tuple[db.Connection, Settings]) -> None:
    """Two connections (cursors, each its own transaction) close the same claimed item at the same moment with the
    version they both saw: one outcome is stored, the other person is told who closed it, nothing is lost."""
    conn, s = hand
    key = str(followups.worklist(conn, s).iloc[0]["item_key"])
    followups.claim(conn, key, "ann@example.com", settings=s)
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def close_as(who: str, outcome: str) -> None:
        start.wait()
        try:
            results[who] = followups.close(conn, key, who, outcome=outcome, contacted_on=dt.date(2026, 11, 25),
                                           note=f"by {who}", version=1, settings=s)
        except followups.FollowupError as exc:
            results[who] = exc

    threads = [threading.Thread(target=close_as, args=a) for a in (("ann@example.com", "recovered"),
                                                                   ("bob@example.com", "declined"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [w for w, r in results.items() if r == 2]
    lost = [w for w, r in results.items() if isinstance(r, followups.FollowupConflict)]
    assert len(won) == 1 and len(lost) == 1, results
    stored = followups.state(conn, key)
    assert stored is not None and stored["closed_by"] == won[0] and stored["note"] == f"by {won[0]}"
    message = str(results[lost[0]])
    assert f"{won[0]} closed it" in message and "Nothing was changed" in message
    assert followups.history(conn, key)["action"].tolist() == ["close", "claim"]  # one close recorded


def test_a_stale_version_is_refused_not_overwritten(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    key = _closed_by_ann(conn, s)
    followups.undo(conn, key, "boss@example.com", "admin")  # version 3, claimed again
    with pytest.raises(followups.FollowupConflict, match=r"ann@example\.com claimed it"):  # Bob's page still says 1
        followups.close(conn, key, "bob@example.com", outcome="declined", contacted_on=dt.date(2026, 11, 25),
                        version=1, settings=s)


def test_two_processes_closing_one_item(hand: tuple[db.Connection, Settings], tmp_path: Path) -> None:
    """Two `cx followups close` processes at once: DuckDB lets one process write at a time, so the second one
    either waits and finds the item closed, or is told the database is busy; never a second outcome."""
    conn, s = hand
    key = str(followups.worklist(conn, s).iloc[0]["item_key"])
    conn.close()
    cmd = [sys.executable, "-m", "cx_metrics.cli", "followups", "close", key, "--db", str(s.db_path), "--date",
           "2026-11-25"]
    procs = [subprocess.Popen([*cmd, "--outcome", o, "--by", who], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for o, who in (("recovered", "ann"), ("declined", "bob"))]
    outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    ok = [o for o in outs if o[0] == 0]
    assert len(ok) == 1, outs
    refused = next(o for o in outs if o[0] != 0)
    assert refused[0] == 2 and ("closed it" in refused[2] or "open in another process" in refused[2]), refused
    again = db.connect(s)
    try:
        assert followups.history(again, key)["action"].tolist() == ["close", "claim"]
    finally:
        again.close()


def test_roles() -> None:
    assert not audit.can("executive", "followup") and not followups.may_read_notes("executive")
    assert audit.can("cx_lead", "followup") and followups.may_read_notes("cx_lead")
    assert not audit.can("analyst", "followup") and followups.may_read_notes("analyst")  # reads, does not act
    assert audit.can("admin", "followup") and audit.can("admin", "admin")


# --- did it work, and coverage ---------------------------------------------------------------------------------


def test_effect_by_hand(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    est = followups.effect(conn, Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30)), settings=s)
    strata = est.strata.set_index(["period_start", "followed"])
    q1, q2 = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01")
    # A: followed C01-C04 (C01 churned); not followed C05-C08 and C16 (C05, C06 churned); C15 left before the landmark
    assert strata.loc[(q1, True), ["units", "churned"]].tolist() == [4, 1]
    assert strata.loc[(q1, False), ["units", "churned"]].tolist() == [5, 2]
    assert strata.loc[(q2, True), ["units", "churned"]].tolist() == [2, 0]
    assert strata.loc[(q2, False), ["units", "churned"]].tolist() == [4, 2]
    row = est.by_kind.set_index("kind").loc["detractor"]
    assert row["followed_churn"] == pytest.approx(1 / 6) and row["not_followed_churn"] == pytest.approx(4 / 9)
    assert row["risk_ratio"] == pytest.approx(5 / 14)
    assert row["crude_difference"] == pytest.approx(1 / 6 - 4 / 9)
    crude = newcomb_diff(1, 6, 4, 9)
    assert (row["crude_low"], row["crude_high"]) == pytest.approx((crude.low, crude.high))
    assert bool(row["small_n"])  # 6 and 9 customers: too few to act on, and the page says so
    assert any("too uncertain" in n for n in est.notes)
    assert "Stratified, not matched" in est.design and "14 days after the failure" in est.design
    table = followups.effect_table(est.by_kind)
    assert table.loc[0, "arm"] == "Followed up" and table.loc[0, "units"] == 6


def test_coverage_by_hand(hand: tuple[db.Connection, Settings]) -> None:
    conn, s = hand
    feb = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    cov = followups.coverage(conn, feb, by="all", settings=s)
    assert len(cov) == 1
    row = cov.iloc[0]
    # due 3 Feb: C01-C08, C15, C16; in time: C01-C04 and C16 (not reachable is a follow-up made); late: C07
    assert (row["due"], row["in_time"], row["late"], row["not_closed"]) == (10, 5, 1, 4)
    assert row["coverage"] == pytest.approx(0.5)
    assert row["median_days"] == 1 and row["p90_days"] == pytest.approx(10.0)  # days 1,1,1,1,1,19
    teams = followups.coverage(conn, feb, by="team", settings=s).set_index("team")
    assert teams.loc["Billing", ["due", "in_time"]].tolist() == [1, 1]  # C01's last ticket was Billing's
    assert teams.loc["(no team)", ["due", "in_time"]].tolist() == [9, 4]
    summary = followups.summary(conn, feb, settings=s)
    assert (summary["due"], summary["in_time"], summary["coverage"]) == (10, 5, 0.5)


def test_summary_reads_the_churn_definition_once(hand: tuple[db.Connection, Settings],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The Overview's tile shares one churn definition between its window and its effect, and skips the suggested
    N's pass over the activity gaps that it does not show (contractual churn needs no gaps at all)."""
    conn, s = hand
    feb = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    read: list[str] = []
    counted = churn.query

    def counting(conn_: db.Connection, name: str, *args: object, **kw: object) -> pd.DataFrame:
        read.append(name)
        return counted(conn_, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(churn, "query", counting)
    summary = followups.summary(conn, feb, settings=s)
    assert read.count("churn_as_of") == 1 and "activity_gaps" not in read, read
    monkeypatch.setattr(churn, "query", counted)
    assert summary["effect_period"] == feb
    alone = followups.effect(conn, feb, settings=s).by_kind.set_index("kind").loc["all"]
    assert summary["effect"]["risk_ratio"] == pytest.approx(alone["risk_ratio"])  # the same numbers, shared
    assert summary["effect"]["followed_n"] == alone["followed_n"] == 4  # C01-C04, reached by the landmark


def test_summary_in_activity_mode_without_activity_keeps_the_coverage(empty_db_path: Path) -> None:
    """Activity churn on data without activity cannot judge the effect: the tile keeps its coverage (no raise)."""
    s = Settings(churn_mode="activity").with_db(empty_db_path)
    conn = db.connect(s)
    try:
        jan = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
        assert followups.summary(conn, jan, settings=s)["effect"] is None
        window, why = followups.effect_period(conn, jan, settings=s)
        assert window is None and "activity events" in why
    finally:
        conn.close()


def test_a_database_without_failures_says_so(empty_db_path: Path) -> None:
    s = Settings().with_db(empty_db_path)
    conn = db.connect(s)
    try:
        assert followups.worklist(conn, s).empty
        summary = followups.summary(conn, Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31)), settings=s)
        assert (summary["due"], summary["effect"]) == (0, None)
        assert followups.describe_summary(summary, s) == (
            "—", "0 of 0 due closed in time · too early to tell whether following up changes churn")
        est = followups.effect(conn, Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31)), settings=s)
        assert est.by_kind.empty and "nothing to compare" in est.notes[0]
    finally:
        conn.close()


def test_done_lists_notes_of_the_period(hand: tuple[db.Connection, Settings]) -> None:
    conn, _ = hand
    done = followups.done(conn, Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28)))
    assert len(done) == 6 and set(done["note"]) == {f"called {c}" for c in ("C01", "C02", "C03", "C04", "C16", "C07")}
    assert "Not reachable" in set(done["outcome"])


# --- the command line ----------------------------------------------------------------------------------------------


def test_cli_list_csv_is_formula_guarded_and_close_reports_a_conflict(
        hand: tuple[db.Connection, Settings], capsys: pytest.CaptureFixture[str]) -> None:
    conn, s = hand
    conn.close()
    assert cli.main(["followups", "list", "--db", str(s.db_path), "--format", "csv", "--verbatims"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith("item_key,customer_id,kind") and len(lines) == 4
    assert "'=cmd|' /C calc'!A0" in out.out  # C17's comment, inert in a spreadsheet
    assert "NPS detractor: within 48 h" in out.err
    key = lines[1].split(",")[0]
    assert cli.main(["followups", "claim", key, "--db", str(s.db_path), "--by", "ann"]) == 0
    assert cli.main(["followups", "close", key, "--db", str(s.db_path), "--by", "ann", "--outcome", "reached",
                     "--date", "2026-11-25", "--note", "ok"]) == 0
    assert cli.main(["followups", "close", key, "--db", str(s.db_path), "--by", "bob", "--outcome", "declined",
                     "--date", "2026-11-25"]) == 2
    assert "ann closed it" in capsys.readouterr().err
    assert cli.main(["followups", "close", key, "--db", str(s.db_path)]) == 2
    assert "needs --outcome" in capsys.readouterr().err
    assert cli.main(["followups", "undo", key, "--db", str(s.db_path), "--by", "root"]) == 0
    assert cli.main(["followups", "history", key, "--db", str(s.db_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out.count(f",{key},") == 3  # claim, close, undo


# --- the demo's planted effect --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[db.Connection, Settings]]:
    """The demo at its default size and seed (what `make run` shows): about 10 s to build."""
    s = Settings().with_db(tmp_path_factory.mktemp("followups") / "demo.duckdb")
    conn = db.connect(s)
    demo.build(conn)
    yield conn, s
    conn.close()


def test_demo_effect_is_recovered_within_its_interval(full_demo: tuple[db.Connection, Settings]) -> None:
    conn, s = full_demo
    window, why = followups.effect_period(conn, Period(dt.date(2026, 8, 17), dt.date(2026, 11, 15)), settings=s)
    assert window is not None and "latest year" in why
    by_kind = followups.effect(conn, Period(dt.date(2024, 11, 18), dt.date(2026, 7, 1)), settings=s).by_kind
    rows = by_kind.set_index("kind")
    det = rows.loc["detractor"]
    assert det["rr_low"] <= demo_followups.PLANTED_RISK_RATIO <= det["rr_high"], det
    assert det["rr_high"] < 1  # and the effect is told from no effect
    assert det["followed_n"] > 500 and det["not_followed_n"] > 500
    for kind in ("sla_breach", "reopened"):  # nothing planted there: the interval holds 1
        assert rows.loc[kind, "rr_low"] <= 1 <= rows.loc[kind, "rr_high"], rows.loc[kind]


def test_demo_history_is_plausible(full_demo: tuple[db.Connection, Settings]) -> None:
    conn, s = full_demo
    stored = conn.execute("SELECT kind, count(*), count(DISTINCT claimed_by), min(contacted_on), max(contacted_on) "
                          "FROM followups GROUP BY 1 ORDER BY 1").fetchall()
    assert [r[0] for r in stored] == ["detractor", "reopened", "sla_breach"]
    assert all(r[2] == len(demo_followups.LEADS) for r in stored)
    wl = followups.worklist(conn, s)
    assert len(wl) > 100 and set(wl["kind"]) == set(followups.KINDS)  # the last days are left to work
    cov = followups.coverage(conn, Period(dt.date(2025, 1, 1), dt.date(2026, 10, 31)), by="team", settings=s)
    by_team = cov.groupby("team")[["in_time", "due"]].sum()
    share = by_team["in_time"] / by_team["due"]
    assert share["Retention"] > share["Product"] + 0.1  # teams differ, as planted
    first, last = cov[cov["period_start"] < "2025-04-01"], cov[cov["period_start"] >= "2026-07-01"]
    assert last["in_time"].sum() / last["due"].sum() > first["in_time"].sum() / first["due"].sum()  # it improved


def test_churn_risk_from_the_model_when_it_is_current(demo_db_path: Path, tmp_path: Path) -> None:
    from cx_metrics.models import churn_store

    path = tmp_path / "risk.duckdb"
    path.write_bytes(demo_db_path.read_bytes())
    s = Settings().with_db(path)
    conn = db.connect(s)
    try:
        risk, why = followups.churn_risk(conn, s)
        assert risk is None and "Train the churn-risk model on the Churn page" in why
        churn_store.train(conn, s)
        risk, why = followups.churn_risk(conn, s)
        assert risk is not None and why.startswith("Churn risk within 90 days")
        wl = followups.worklist(conn, s).merge(risk, on="customer_id", how="left")
        assert wl["risk"].between(0, 1).mean() > 0.9  # the customers still there have a risk
    finally:
        conn.close()
