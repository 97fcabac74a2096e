"""The demo's history of follow-ups (planted truth 7 of :mod:`cx_metrics.demo`).

Teams followed up some of the customers they failed (NPS detractors, complaints past their SLA, reopened tickets,
under the default policy of :mod:`cx_metrics.followups`), more often as the two years went on and more in some teams
than others (detractors alike in every team), usually within a couple of days. The planted effect: a detractor
reached by a follow-up is half as likely to churn in the 90 days after the landmark (:data:`RESCUE` of those who
would have churned then stay). Whether a failure is followed up is drawn independently of the customer's churn risk
within a failure type, severity and quarter, so the stratified estimate of ``followups.effect`` should find a risk
ratio of 1 - RESCUE = 0.5 for detractors and about 1 for the other failures (where nothing was planted). The last
:data:`OPEN_DAYS` days are left for the worklist.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cx_metrics.config import Settings

#: share of would-be churners (within the 90 days after the landmark) a reached detractor's follow-up keeps
RESCUE = 0.5
#: the planted risk ratio of churn for followed-up detractors
PLANTED_RISK_RATIO = 1.0 - RESCUE
#: the most recent days of failures nobody has followed up yet (they make the worklist)
OPEN_DAYS = 10
#: chance a failure is followed up, by team, at the start of the two years (it doubles, to the cap, by the end)
TEAM_P = {"Billing": 0.45, "Tier 1": 0.35, "Technical": 0.25, "Logistics": 0.30, "Product": 0.20,
          "Retention": 0.55, "(no team)": 0.35}
DETRACTOR_P = 0.4
OUTCOME_P = {"reached": 0.55, "recovered": 0.20, "declined": 0.10, "not_reachable": 0.15}
LEADS = ["maria.lopez@example.com", "sam.okafor@example.com", "jo.chen@example.com"]


def _failures(tickets: pd.DataFrame, surveys: pd.DataFrame, start: dt.datetime) -> pd.DataFrame:
    """The failures of the default policy, as followup_items.sql finds them (kind, key, customer, trigger, team)."""
    s = Settings()
    targets = tickets["priority"].map(s.sla_resolution_hours)
    breach_at = tickets["created_at"] + pd.to_timedelta(targets, unit="h")
    late = tickets["solved_at"].isna() | (tickets["solved_at"] > breach_at)
    breached = tickets["is_complaint"] & targets.notna() & late
    b = tickets[breached]
    r = tickets[tickets["reopens"] >= 1]
    d = surveys[(surveys["metric"] == "nps") & (surveys["score"] <= 6)]
    frames = [
        pd.DataFrame({"kind": "sla_breach", "source_id": b["ticket_id"], "customer_id": b["customer_id"],
                      "triggered_at": breach_at[breached], "severity": np.where(b["priority"].isin(["urgent", "high"]),
                                                                                "severe", "moderate"),
                      "team": b["group_name"]}),
        pd.DataFrame({"kind": "reopened", "source_id": r["ticket_id"], "customer_id": r["customer_id"],
                      "triggered_at": r["first_solved_at"].fillna(r["created_at"]),
                      "severity": np.where(r["reopens"] >= 2, "severe", "moderate"), "team": r["group_name"]}),
    ]
    # a detractor's team: the group of their latest ticket before the answer
    last = pd.merge_asof(
        d[["response_id", "customer_id", "responded_at", "score"]].sort_values("responded_at"),
        tickets[["customer_id", "created_at", "group_name"]].sort_values("created_at"),
        left_on="responded_at", right_on="created_at", by="customer_id", direction="backward")
    frames.append(pd.DataFrame({"kind": "detractor", "source_id": last["response_id"],
                                "customer_id": last["customer_id"], "triggered_at": last["responded_at"],
                                "severity": np.where(last["score"] <= 3, "severe", "moderate"),
                                "team": last["group_name"].fillna("(no team)")}))
    out = pd.concat(frames, ignore_index=True)
    out["due_at"] = out["triggered_at"] + pd.to_timedelta(out["kind"].map(s.followup_due_hours), unit="h")
    out["t"] = (out["triggered_at"] - pd.Timestamp(start)) / pd.Timedelta(days=1)
    return out


def plant(rng: np.random.Generator, tickets: pd.DataFrame, surveys: pd.DataFrame, customer_ids: np.ndarray,
          t_final: np.ndarray, start: dt.datetime, horizon: float) -> tuple[pd.DataFrame, np.ndarray]:
    """The follow-up rows (the ``followups`` table's columns) and the churn times after the planted effect."""
    s = Settings()
    f = _failures(tickets, surveys, start)
    index = pd.Series(np.arange(len(customer_ids)), index=customer_ids)
    cust = index[f["customer_id"].to_numpy()].to_numpy()
    f = f[(f["t"] < horizon - OPEN_DAYS) & (t_final[cust] > f["t"].to_numpy())].reset_index(drop=True)
    cust = index[f["customer_id"].to_numpy()].to_numpy()
    n = len(f)
    # teams differ in how often they follow up complaints and reopens; detractors are called from one list, whoever
    # served them last (a team's share would follow its tickets' slowness, which planted truth 2 ties to churn)
    team_p = np.where(f["kind"] == "detractor", DETRACTOR_P, f["team"].map(TEAM_P).fillna(0.3).to_numpy())
    p = team_p * (1.0 + np.clip(f["t"].to_numpy() / horizon, 0, 1))
    delay = np.where(rng.random(n) < 0.85, rng.exponential(1.2, n), rng.uniform(3.0, 10.0, n))
    contact_t = f["t"].to_numpy() + delay
    chosen = (rng.random(n) < np.minimum(p, 0.9)) & (contact_t < t_final[cust]) & (contact_t < horizon)
    outcome = rng.choice(list(OUTCOME_P), n, p=list(OUTCOME_P.values()))
    lead = rng.choice(LEADS, n)
    f, cust, contact_t, outcome, lead = f[chosen], cust[chosen], contact_t[chosen], outcome[chosen], lead[chosen]

    # planted truth 7: a reached detractor who would have churned within the 90 days after the landmark stays
    landmark = f["t"].to_numpy() + s.followup_landmark_days
    would = (t_final[cust] >= landmark) & (t_final[cust] < landmark + 90.0)
    reached = np.isin(outcome, ["reached", "recovered", "declined"]) & (f["kind"].to_numpy() == "detractor")
    saved = reached & would & (rng.random(len(f)) < RESCUE)
    t_final = t_final.copy()
    t_final[cust[saved]] = np.inf

    contacted = pd.Series(pd.Timestamp(start) + pd.to_timedelta(contact_t, unit="D"), index=f.index).dt.floor("s")
    rows = pd.DataFrame({
        "item_key": f["kind"] + ":demo:" + f["source_id"].astype(str),
        "kind": f["kind"], "severity": f["severity"], "source": "demo", "source_id": f["source_id"].astype(str),
        "customer_id": f["customer_id"], "triggered_at": f["triggered_at"], "due_at": f["due_at"],
        "team": f["team"], "status": "closed", "claimed_by": lead,
        "claimed_at": f["triggered_at"] + (contacted - f["triggered_at"]) / 2,
        "closed_by": lead, "closed_at": contacted, "contacted_on": contacted.dt.date,
        "outcome": outcome, "note": None, "version": 2,
    })
    return rows.drop_duplicates("item_key").reset_index(drop=True), t_final
