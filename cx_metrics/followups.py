"""Closed-loop follow-up: the customers we failed, who gets back to them by when, and whether it worked.

* The **worklist** is computed from the data (``followup_worklist.sql``): NPS detractors, complaints past their SLA
  and reopened tickets of the last ``[followups] window_days``, each with why, what is at stake, a suggested owner
  (the ticket's group and assignee) and a due date from the policy (``[followups.due_hours]`` in cx.toml).
* **The loop**: :func:`claim` and :func:`close` store the item (``followups``) with the acting user, append to its
  history (``followup_events``) and to the audit log in one transaction. Every write names the version of the item
  it saw and is a conditional statement (``... WHERE status = 'claimed' AND version = $version``), so of two people
  acting on one item at once the second changes nothing and is told who got there first (:class:`FollowupConflict`):
  no lost update. An admin can :func:`undo` the last action.
* **Did it work?** :func:`effect` compares customers followed up with comparable ones who were not (stratified by
  failure type, severity and quarter; Mantel-Haenszel), on 90-day churn and later NPS. :func:`coverage` is the share
  of due items closed in time, and the days to follow-up, by team and month.

Functions take a connection; the caller decides the section it runs in (the dashboard's write section, or the
CLI's own connection).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cx_metrics import audit, stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query, sql_params, sql_text, transaction
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import churn
from cx_metrics.metrics.complaints import complaint_rule_params
from cx_metrics.models import churn_store
from cx_metrics.stats_groups import mantel_haenszel, newcomb_diff

KINDS: dict[str, str] = {"detractor": "NPS detractor", "sla_breach": "Complaint past its SLA",
                         "reopened": "Reopened ticket"}
#: what a follow-up came to; the first three mean the customer was reached (the "followed up" arm of the effect)
OUTCOMES: dict[str, str] = {"reached": "Reached", "recovered": "Recovered", "declined": "Reached, declined help",
                            "not_reachable": "Not reachable"}
REACHED = ("reached", "recovered", "declined")
#: days after the landmark over which churn is counted ("90-day retention")
HORIZON_DAYS = 90
NOTE_MAX = 2_000
CAUTION = ("This is observational: nobody chose at random whom to follow up. Customers are compared only with others "
           "failed the same way (type and severity) in the same quarter, but teams may pick whom to call for reasons "
           "that also predict churn (a customer who answers the phone is a customer still engaged), so read the "
           "difference as an association, not a proven effect.")


class FollowupError(ValueError):
    """A follow-up action that cannot be done as asked; the message says why and what to do."""


class FollowupConflict(FollowupError):
    """Someone else acted on the item first; nothing was changed."""


def policy(s: Settings) -> list[dict[str, Any]]:
    """The follow-up rules in force, with the defaults beside them (the page and `cx followups list` state them)."""
    default = Settings().followup_due_hours
    triggers = {"detractor": "an NPS answer of 0-6", "sla_breach": "a complaint passing its resolution target",
                "reopened": "the first solve of a ticket that was reopened"}
    return [{"kind": k, "label": KINDS[k], "trigger": triggers[k], "due_hours": s.followup_due_hours.get(k, 0.0),
             "default_hours": default[k], "on": s.followup_due_hours.get(k, 0.0) > 0} for k in KINDS]


def describe_policy(s: Settings) -> str:
    parts = []
    for rule in policy(s):
        if rule["on"]:
            changed = "" if rule["due_hours"] == rule["default_hours"] else f", default {rule['default_hours']:g} h"
            parts.append(f"{rule['label']}: within {rule['due_hours']:g} h of {rule['trigger']}{changed}")
        else:
            parts.append(f"{rule['label']}: off (default {rule['default_hours']:g} h)")
    return ("; ".join(parts) + f". The list reaches {s.followup_window_days} days back from the latest data. "
            "Set [followups.due_hours] (0 turns a kind off) and [followups] window_days in cx.toml.")


def _params(conn: Connection, s: Settings, filters: Filters | None, as_of: dt.datetime | None) -> dict[str, Any]:
    if as_of is None:
        found = query(conn, "churn_as_of").iloc[0]["as_of"]
        as_of = dt.datetime(1970, 1, 1) if pd.isna(found) else pd.Timestamp(found).to_pydatetime()
    return {**(filters or Filters()).params(), **complaint_rule_params(s), "as_of": as_of,
            "due_hours": {k: float(v) for k, v in s.followup_due_hours.items()},
            "targets": {str(k): float(v) for k, v in s.sla_resolution_hours.items()}}


def revision(conn: Connection) -> int:
    """A counter bumped by every claim, close and undo: the dashboard keys the worklist's cache on it."""
    row = conn.cursor().execute("SELECT coalesce(max(event_id), 0) FROM followup_events").fetchone()
    return int(row[0]) if row else 0


def worklist(conn: Connection, settings: Settings | None = None, *, filters: Filters | None = None,
             as_of: dt.datetime | None = None) -> pd.DataFrame:
    """Open and claimed items failed in the last ``window_days`` before the latest data, soonest due first."""
    s = settings or Settings()
    params = _params(conn, s, filters, as_of)
    params.update(key="", since=params["as_of"] - dt.timedelta(days=s.followup_window_days))
    frame = query(conn, "followup_worklist", params)
    frame.insert(2, "kind_label", frame["kind"].map(KINDS))
    frame["overdue"] = frame["due_at"] < params["as_of"]
    frame.attrs["as_of"] = params["as_of"]
    return frame


def item(conn: Connection, key: str, settings: Settings | None = None) -> dict[str, Any]:
    """One item of the worklist by its key, whatever its state; :class:`FollowupError` when no such failure."""
    s = settings or Settings()
    params = _params(conn, s, None, None)
    params.update(key=key, since=params["as_of"])
    rows = query(conn, "followup_worklist", params).to_dict("records")
    if not rows:
        raise FollowupError(f"No follow-up item {key!r}: keys look like detractor:<source>:<response id>, "
                            "sla_breach:<source>:<ticket id> or reopened:<source>:<ticket id>; `cx followups list` "
                            "shows them.")
    return {str(k): v for k, v in rows[0].items()}


def state(conn: Connection, key: str) -> dict[str, Any] | None:
    rows = query(conn, "followup_state", {"key": key}).to_dict("records")
    return {str(k): v for k, v in rows[0].items()} if rows else None


def _returning(cur: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    wanted = sql_params(name)
    return cur.execute(sql_text(name), {k: v for k, v in params.items() if k in wanted}).fetchall()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _record(cur: duckdb.DuckDBPyConnection, key: str, actor: str, action: str, version: int,
            detail: dict[str, Any], now: dt.datetime) -> None:
    _returning(cur, "followup_event", {"key": key, "now": now, "actor": actor, "action": action, "version": version,
                                       "detail": json.dumps(detail, default=str)})
    audit.record(cur, actor, f"followup_{action}", {"item": key, "version": version,
                                                    **{k: v for k, v in detail.items() if k != "note"}})


def _who(found: dict[str, Any] | None) -> str:
    """What happened to an item, for the person who lost the race."""
    if found is None:
        return "it is back on the worklist, unclaimed (an admin undid the claim)"
    if found["status"] == "closed":
        return (f"{found['closed_by']} closed it at {pd.Timestamp(found['closed_at']):%d %b %Y %H:%M} UTC "
                f"({OUTCOMES.get(str(found['outcome']), found['outcome'])}, contacted "
                f"{pd.Timestamp(found['contacted_on']):%d %b %Y})")
    return f"{found['claimed_by']} claimed it at {pd.Timestamp(found['claimed_at']):%d %b %Y %H:%M} UTC"


def _conflict(conn: Connection, key: str, what: str, seen: int | None) -> FollowupConflict:
    """The sentence for the person who lost the race. When DuckDB refused the write because another transaction is
    writing the same item at this moment, that one may not have committed yet: wait a little for it, so the message
    names what it did rather than the state both started from."""
    found = state(conn, key)
    deadline = time.monotonic() + RACE_WAIT
    while seen is not None and (found["version"] if found else 0) == seen and time.monotonic() < deadline:
        time.sleep(0.05)
        found = state(conn, key)
    if seen is not None and (found["version"] if found else 0) == seen:
        return FollowupConflict(f"Follow-up {key} was not {what}: someone else is changing it at this moment. "
                                "Nothing was changed; reload the worklist in a moment to see what they did.")
    return FollowupConflict(f"Follow-up {key} was not {what}: {_who(found)}. Nothing was changed; reload the "
                            "worklist to see it as it is now.")


#: seconds a refused write waits for the other writer's commit before saying who won
RACE_WAIT = 3.0
#: what DuckDB raises when two transactions write the same row: the later one loses
_RACE = (duckdb.TransactionException, duckdb.ConstraintException)


def _claim_in(cur: duckdb.DuckDBPyConnection, found: dict[str, Any], actor: str, now: dt.datetime) -> list[Any]:
    return _returning(cur, "followup_claim", {**found, "key": found["item_key"], "actor": actor, "now": now})


def claim(conn: Connection, key: str, actor: str, *, settings: Settings | None = None,
          now: dt.datetime | None = None) -> int:
    """Claim item ``key`` for ``actor``; returns the item's new version. :class:`FollowupConflict` when someone
    holds it already (claimed or closed)."""
    found = item(conn, key, settings)
    now = now or _now()
    try:
        with transaction(conn) as cur:
            rows = _claim_in(cur, found, actor, now)
            if not rows:
                raise _Lost
            _record(cur, key, actor, "claim", int(rows[0][0]), {"team": found["team"], "due_at": found["due_at"]},
                    now)
    except (_Lost, *_RACE) as exc:
        raise _conflict(conn, key, "claimed", 0 if isinstance(exc, _RACE) else None) from exc
    return int(rows[0][0])


class _Lost(Exception):
    """The conditional write changed nothing: someone else acted first (turned into FollowupConflict)."""


def close(conn: Connection, key: str, actor: str, *, outcome: str, contacted_on: dt.date, note: str = "",
          version: int | None = None, settings: Settings | None = None, now: dt.datetime | None = None) -> int:
    """Record the follow-up of item ``key``: outcome, the day of the contact, a short note. ``version`` is the
    version the closer saw (the worklist's); None takes the current one (the CLI), claiming an open item in the
    same transaction. Returns the new version; :class:`FollowupConflict` when someone else closed or changed it
    since, :class:`FollowupError` for a bad outcome, date or note."""
    if outcome not in OUTCOMES:
        raise FollowupError(f"Outcome {outcome!r} is not one of {', '.join(OUTCOMES)}.")
    if len(note) > NOTE_MAX:
        raise FollowupError(f"The note is {len(note):,} characters long; keep it under {NOTE_MAX:,} (a short note, "
                            "not the conversation).")
    now = now or _now()
    found = item(conn, key, settings)
    if contacted_on > now.date():
        raise FollowupError(f"The contact date {contacted_on:%d %b %Y} is in the future; give the day the customer "
                            "was contacted.")
    if contacted_on < pd.Timestamp(found["triggered_at"]).date():
        raise FollowupError(f"The contact date {contacted_on:%d %b %Y} is before the customer was failed "
                            f"({pd.Timestamp(found['triggered_at']):%d %b %Y}); give the day of the follow-up.")
    current = version
    try:
        with transaction(conn) as cur:
            if current is None:
                rows = _returning(cur, "followup_state", {"key": key})
                current = int(rows[0][-1]) if rows else 0
            if current == 0:  # open: claimed and closed at once
                claimed = _claim_in(cur, found, actor, now)
                if not claimed:
                    raise _Lost
                current = int(claimed[0][0])
                _record(cur, key, actor, "claim", current, {"team": found["team"], "due_at": found["due_at"]}, now)
            rows = _returning(cur, "followup_close", {"key": key, "version": current, "actor": actor, "now": now,
                                                      "contacted_on": contacted_on, "outcome": outcome,
                                                      "note": note.strip() or None})
            if not rows:
                raise _Lost
            _record(cur, key, actor, "close", int(rows[0][0]),
                    {"outcome": outcome, "contacted_on": contacted_on, "note": note.strip()}, now)
    except (_Lost, *_RACE) as exc:
        raise _conflict(conn, key, "closed", current if isinstance(exc, _RACE) else None) from exc
    return int(rows[0][0])


def undo(conn: Connection, key: str, actor: str, role: str | None, *, now: dt.datetime | None = None) -> str:
    """Undo the last action on ``key`` (admins only): a close goes back to claimed, a claim back to the worklist.
    Returns what was undone."""
    if not audit.can(role, "admin"):
        raise FollowupError("Only an admin may undo a follow-up; ask one (Admin page lists them).")
    found = state(conn, key)
    if found is None:
        raise FollowupError(f"Follow-up {key} has no claim or close to undo.")
    now = now or _now()
    name, what = ("followup_reopen", "close") if found["status"] == "closed" else ("followup_release", "claim")
    try:
        with transaction(conn) as cur:
            rows = _returning(cur, name, {"key": key, "version": int(found["version"])})
            if not rows:
                raise _Lost
            after = int(found["version"]) + 1 if what == "close" else 0
            _record(cur, key, actor, "undo", after,
                    {"undid": what, "outcome": found["outcome"], "contacted_on": found["contacted_on"],
                     "by": found["closed_by"] if what == "close" else found["claimed_by"], "note": found["note"]}, now)
    except (_Lost, *_RACE) as exc:
        raise _conflict(conn, key, "undone", int(found["version"]) if isinstance(exc, _RACE) else None) from exc
    return what


def history(conn: Connection, key: str = "", limit: int = 200) -> pd.DataFrame:
    return query(conn, "followup_history", {"key": key, "limit": limit})


def done(conn: Connection, period: Period, limit: int = 500) -> pd.DataFrame:
    """Follow-ups dated in ``period``, newest first, with outcome and note (for roles that may read notes)."""
    frame = query(conn, "followup_done", {"start": period.start_ts, "end": period.end_ts, "limit": limit})
    frame["outcome"] = frame["outcome"].map(OUTCOMES).fillna(frame["outcome"])
    frame.insert(2, "kind_label", frame["kind"].map(KINDS))
    return frame


def churn_risk(conn: Connection, settings: Settings | None = None) -> tuple[pd.DataFrame | None, str]:
    """Each customer's churn risk from the Churn page's model (customer_id, risk), when a model is current for this
    data; else None and why (the worklist then shows no risk rather than a stale one)."""
    s = settings or Settings()
    status, why = churn_store.model_status(conn, s)
    if status != "current":
        return None, f"{why} Train the churn-risk model on the Churn page to see each customer's risk here."
    scores = churn_store.score(conn, s, reasons_for=0)
    return scores[["customer_id", "risk"]], f"Churn risk within {s.churn_horizon_days} days from the churn model. {why}"


def may_read_notes(role: str | None) -> bool:
    """Notes say what a customer told us: for those who follow up and those who may read verbatims."""
    return audit.can(role, "followup") or audit.can(role, "verbatims")


def dialer_frame(frame: pd.DataFrame, *, verbatims: bool) -> pd.DataFrame:
    """The worklist as a dialer reads it (the CSV export): one row per item, raw column names."""
    cols = ["item_key", "customer_id", "kind", "severity", "why", "due_at", "overdue", "team", "assignee", "status",
            "claimed_by", "plan", "tenure_days", "contacts_90d", *(["verbatim"] if verbatims else [])]
    return frame[cols].reset_index(drop=True)


# -- did it work? -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """Followed-up vs not-followed customers: per stratum counts, per kind and overall estimates."""

    strata: pd.DataFrame
    by_kind: pd.DataFrame
    design: str
    notes: tuple[str, ...]


def _arm_rows(frame: pd.DataFrame, s: Settings) -> dict[str, Any]:
    """Churn and NPS of each arm and the stratified comparison, for one kind (or all)."""
    out: dict[str, Any] = {}
    for arm, flag in (("followed", True), ("not_followed", False)):
        part = frame[frame["followed"] == flag]
        n, k = int(part["units"].sum()), int(part["churned"].sum())
        ci = stats.wilson_ci(k, n, s.confidence)
        pro, det, resp = int(part["promoters"].sum()), int(part["detractors"].sum()), int(part["nps_responses"].sum())
        nps = stats.nps_ci(pro, det, resp, s.confidence) if resp else stats.Interval(math.nan, math.nan)
        out.update({f"{arm}_n": n, f"{arm}_churned": k, f"{arm}_churn": k / n if n else math.nan,
                    f"{arm}_low": ci.low, f"{arm}_high": ci.high, f"{arm}_nps_n": resp,
                    f"{arm}_nps": stats.nps_value(pro, det, resp), f"{arm}_nps_low": nps.low,
                    f"{arm}_nps_high": nps.high})
    crude = newcomb_diff(out["followed_churned"], out["followed_n"], out["not_followed_churned"],
                         out["not_followed_n"], s.confidence)
    cells = []
    for _, g in frame.groupby(["kind", "severity", "period_start"], sort=True):
        f, u = g[g["followed"]], g[~g["followed"].astype(bool)]
        cells.append((int(f["churned"].sum()), int(f["units"].sum()), int(u["churned"].sum()), int(u["units"].sum())))
    mh = mantel_haenszel(cells, s.confidence)
    out.update({"crude_difference": out["followed_churn"] - out["not_followed_churn"], "crude_low": crude.low,
                "crude_high": crude.high, "risk_ratio": mh.risk_ratio, "rr_low": mh.rr_low, "rr_high": mh.rr_high,
                "risk_difference": mh.risk_difference, "rd_low": mh.rd_low, "rd_high": mh.rd_high,
                "strata_compared": mh.strata, "units_compared": mh.units,
                "nps_difference": out["followed_nps"] - out["not_followed_nps"],
                "small_n": min(out["followed_n"], out["not_followed_n"]) < s.min_cell_n})
    return out


def effect(conn: Connection, period: Period, *, settings: Settings | None = None,
           filters: Filters | None = None, definition: churn.ChurnDefinition | None = None) -> Effect:
    """Did following up work? For customers failed in ``period``: churn within 90 days after the landmark and the
    first later NPS, followed-up vs not, stratified by kind, severity and quarter (Mantel-Haenszel).

    ``definition``: the churn definition in force when the caller has it already (:func:`summary`); by default it is
    read here, with the N the data suggests, which the design sentence states."""
    s = settings or Settings()
    d = definition or churn.definition(conn, s)
    params = {**_params(conn, s, filters, d.as_of), **d.params(), "start": period.start_ts, "end": period.end_ts,
              "landmark_days": s.followup_landmark_days, "horizon_days": HORIZON_DAYS}
    strata = query(conn, "followup_effect", params)
    strata["followed"] = strata["followed"].astype(bool)
    rows = [{"kind": k, "kind_label": KINDS[k], **_arm_rows(strata[strata["kind"] == k], s)}
            for k in KINDS if (strata["kind"] == k).any()]
    if not strata.empty:
        rows.append({"kind": "all", "kind_label": "All failures", **_arm_rows(strata, s)})
    by_kind = pd.DataFrame(rows)
    design = (f"Stratified, not matched: each customer failed is compared with customers failed the same way (type "
              f"and severity) in the same quarter, and the strata are pooled with Mantel-Haenszel weights. The arm is "
              f"fixed {s.followup_landmark_days} days after the failure (followed up = reached by then: outcome "
              f"reached, recovered or declined); customers who left before that day are left out, and churn is counted "
              f"over the {HORIZON_DAYS} days after it, for failures observed that long. {d.describe()}")
    notes: list[str] = []
    if by_kind.empty:
        notes.append(f"No failure in {period.label()} has been observed for {s.followup_landmark_days + HORIZON_DAYS} "
                     "days yet, so there is nothing to compare: choose an earlier period.")
    elif bool(by_kind.iloc[-1]["small_n"]):
        notes.append(f"Fewer than {s.min_cell_n} customers in one arm: the estimate is too uncertain to act on.")
    by_kind.attrs["notes"] = notes
    return Effect(strata, by_kind, design, tuple(notes))


def effect_table(by_kind: pd.DataFrame) -> pd.DataFrame:
    """The effect per kind as a person reads it: one row per kind and arm (90-day churn with its interval, later
    NPS), the stratified risk ratio on the followed-up row."""
    rows = []
    for rec in by_kind.to_dict("records"):
        for arm, label in (("followed", "Followed up"), ("not_followed", "Not followed up")):
            rows.append({"kind_label": rec["kind_label"], "arm": label, "units": rec[f"{arm}_n"],
                         "churned_90d": rec[f"{arm}_churned"], "churn_90d": rec[f"{arm}_churn"],
                         "churn_90d_low": rec[f"{arm}_low"], "churn_90d_high": rec[f"{arm}_high"],
                         "later_nps": rec[f"{arm}_nps"], "later_nps_n": rec[f"{arm}_nps_n"],
                         "risk_ratio": rec["risk_ratio"] if arm == "followed" else math.nan,
                         "rr_low": rec["rr_low"] if arm == "followed" else math.nan,
                         "rr_high": rec["rr_high"] if arm == "followed" else math.nan})
    return pd.DataFrame(rows, columns=["kind_label", "arm", "units", "churned_90d", "churn_90d", "churn_90d_low",
                                       "churn_90d_high", "later_nps", "later_nps_n", "risk_ratio", "rr_low",
                                       "rr_high"])


def effect_period(conn: Connection, period: Period, *, settings: Settings | None = None,
                  definition: churn.ChurnDefinition | None = None) -> tuple[Period | None, str]:
    """The failures "Did it work?" can judge: ``period`` when some of it has been observed for the landmark and the
    90 days after it; else the latest year that has (with a sentence saying so); None when no failure has, or when
    churn cannot be read (activity mode without activity data: the reason instead).

    ``definition``: the churn definition in force when the caller has it already; only its end of observation is
    read, so by default it is read without the suggested N (whose activity gaps cost a pass over the activity)."""
    s = settings or Settings()
    try:
        d = definition or churn.definition(conn, s, suggest=False)
    except ValueError as exc:  # activity mode without activity data
        return None, str(exc)
    if d.obs_end is None:
        return None, "The data has no churn dates or activity, so retention after a follow-up cannot be measured."
    last = (d.obs_end - dt.timedelta(days=HORIZON_DAYS + s.followup_landmark_days)).date() - dt.timedelta(days=1)
    if period.start <= last:
        return period, ""
    window = Period(last - dt.timedelta(days=364), last)
    return window, (f"Customers failed in {period.label()} have not been observed for the {s.followup_landmark_days} "
                    f"+ {HORIZON_DAYS} days the comparison needs, so this shows those failed in {window.label()}, the "
                    "latest year that has.")


def coverage(conn: Connection, period: Period, *, by: str = "team", settings: Settings | None = None,
             filters: Filters | None = None) -> pd.DataFrame:
    """Share of items due in ``period`` (and by the latest data) closed in time, per team (``by`` = 'team') or for
    everyone ('all'), by month of the due date; with its Wilson interval and the days to follow-up."""
    s = settings or Settings()
    params = {**_params(conn, s, filters, None), "by": by, "start": period.start_ts, "end": period.end_ts}
    frame = query(conn, "followup_coverage", params)
    cis = [stats.wilson_ci(int(k), int(n), s.confidence) for k, n in zip(frame["in_time"], frame["due"], strict=True)]
    frame["coverage"] = frame["in_time"] / frame["due"].where(frame["due"] > 0)
    frame["coverage_low"] = [c.low for c in cis]
    frame["coverage_high"] = [c.high for c in cis]
    frame["small_n"] = frame["due"] < s.min_cell_n
    return frame


def summary(conn: Connection, period: Period, *, settings: Settings | None = None,
            filters: Filters | None = None) -> dict[str, Any]:
    """The Overview tile: coverage of ``period`` and the effect on churn of the latest period that can show it.

    The churn definition is read once, without the suggested N the tile does not show (the Overview's churn tile
    reads it the same way), and shared by the window, the effect and the latest time in the data."""
    s = settings or Settings()
    try:
        d: churn.ChurnDefinition | None = churn.definition(conn, s, suggest=False)
    except ValueError:  # activity mode without activity data: coverage, and no effect (effect_period says why)
        d = None
    params = {**_params(conn, s, filters, d.as_of if d else None), "by": "all", "start": period.start_ts,
              "end": period.end_ts}
    cov = query(conn, "followup_coverage", params)
    due, in_time = int(cov["due"].sum()), int(cov["in_time"].sum())
    ci = stats.wilson_ci(in_time, due, s.confidence)
    closed = int(cov["in_time"].sum() + cov["late"].sum())
    out: dict[str, Any] = {"due": due, "in_time": in_time, "closed": closed,
                           "coverage": in_time / due if due else math.nan, "coverage_low": ci.low,
                           "coverage_high": ci.high}
    window = None if d is None else effect_period(conn, period, settings=s, definition=d)[0]
    if d is None or window is None:
        return {**out, "effect": None, "effect_period": None}
    est = effect(conn, window, settings=s, filters=filters, definition=d).by_kind
    row = [] if est.empty else est[est["kind"] == "all"].to_dict("records")
    return {**out, "effect": row[0] if row else None, "effect_period": window}


def describe_summary(summary: dict[str, Any], s: Settings) -> tuple[str, str]:
    """(value, detail) of the follow-up tile, the Overview's and the digest's: coverage, its interval and the effect
    on churn, in words. No customer, note or comment."""
    due, in_time = int(summary["due"]), int(summary["in_time"])
    value = f"{summary['coverage']:.0%}" if due else "—"
    value += f" (n < {s.min_cell_n})" if 0 < due < s.min_cell_n else ""
    parts = [f"{in_time:,} of {due:,} due closed in time"]
    if due:
        parts.append(f"{int(s.confidence * 100)}% CI {summary['coverage_low']:.0%} – {summary['coverage_high']:.0%}")
    eff = summary.get("effect")
    if eff and not math.isnan(eff["risk_ratio"]):
        window = summary["effect_period"]
        parts.append(f"customers followed up churned {eff['followed_churn']:.1%} within 90 days vs "
                     f"{eff['not_followed_churn']:.1%} of comparable ones not followed up (risk ratio "
                     f"{eff['risk_ratio']:.2f}, CI {eff['rr_low']:.2f} – {eff['rr_high']:.2f}; failed "
                     f"{window.start:%b %Y} – {window.end:%b %Y}; observational, not proof)")
    else:
        parts.append("too early to tell whether following up changes churn")
    return value, " · ".join(parts)
