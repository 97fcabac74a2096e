"""Seeded demo data: a mid-size subscription company with two years of support history.

Everything is drawn from one ``numpy.random.Generator(seed)``, so the same seed gives the same database.
By default: ~20k customers, ~100k tickets over the 104 weeks before :data:`DEMO_END`, ~30k survey responses
(CSAT and CES after tickets, a quarterly NPS relationship survey), monthly renewals, and churn.

Planted truths (what the analytics must find; tests check each one):

1. **Billing spike**: in the two weeks starting :data:`SPIKE_START` (Mon 14 Sep 2026) a double-charge
   incident adds about twice the usual Billing complaints (tag ``double_charge``), and the billing team,
   overloaded, takes twice as long to resolve Billing tickets in those weeks.
2. **Bad support drives churn**: after a customer's first complaint that was slow (> 72 h to resolve),
   handed off (more than one group) or unresolved for 14 days, their churn hazard is multiplied by
   ``1 + 1.2 slow + 0.8 handed-off + 2.0 unresolved`` (so 1.8x to 5x).
3. **Millennials prefer chat and rate phone lower**: Millennials open ~50% of their tickets by chat, and
   their CSAT/CES after phone contacts is about one point lower than other generations'.
4. **Weekly seasonality**: weekend volume is about 40-45% of a weekday's; business-hours peak.
5. **Handoffs and reopens hurt satisfaction**: each extra group station lowers CSAT/CES; a reopen too.
6. **NPS follows experience**: a customer's NPS drops ~1.6 points after their first bad experience.
   Plans differ: Enterprise churns least (0.6%/month base hazard), Free most (3%/month).
7. **Following up works**: teams followed up part of the customers they failed (more as time went on, more in
   Retention and Billing than in Product); a detractor reached by a follow-up churns half as often in the 90 days
   after the landmark (risk ratio 0.5; nothing planted for the other failures). See :mod:`cx_metrics.demo_followups`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import audit, demo_followups, pii
from cx_metrics import demo_text as txt
from cx_metrics.db import Connection, bump_data_version, transaction
from cx_metrics.ingest.load import remove_demo

DEMO_END = dt.datetime(2026, 11, 16)  # exclusive; a Monday, so the last week is complete
DEMO_WEEKS = 104
DEMO_START = DEMO_END - dt.timedelta(weeks=DEMO_WEEKS)
SPIKE_START = dt.datetime(2026, 9, 14)
SPIKE_DAYS = 14
SPIKE_CATEGORY = "Billing"

GENERATIONS = ["Silent", "Boomers", "Gen X", "Millennials", "Gen Z"]
GEN_SHARE = [0.03, 0.20, 0.27, 0.33, 0.17]
GEN_YEARS = [(1930, 1945), (1946, 1964), (1965, 1980), (1981, 1996), (1997, 2006)]
MILLENNIALS = 3

CHANNELS = ["email", "chat", "phone", "web", "social", "messaging"]
PHONE = 2
# channel preference by generation (rows follow GENERATIONS)
CHANNEL_P = np.array([
    [0.38, 0.07, 0.45, 0.09, 0.00, 0.01],
    [0.38, 0.10, 0.40, 0.10, 0.01, 0.01],
    [0.40, 0.20, 0.25, 0.10, 0.03, 0.02],
    [0.25, 0.50, 0.10, 0.08, 0.04, 0.03],
    [0.15, 0.40, 0.03, 0.07, 0.15, 0.20],
])
FRT_MEDIAN_MIN = np.array([240.0, 2.0, 1.0, 300.0, 90.0, 15.0])

PLANS = ["Free", "Basic", "Pro", "Enterprise"]
PLAN_SHARE = [0.28, 0.37, 0.25, 0.10]
PLAN_MONTHLY_HAZARD = np.array([0.030, 0.018, 0.011, 0.006])
PLAN_TICKET_RATE = np.array([0.6, 1.0, 1.4, 2.5])
PLAN_PRICE = np.array([0.0, 29.0, 99.0, 499.0])
PLAN_NPS_SHIFT = np.array([-0.3, 0.0, 0.3, 0.6])

REGIONS = list(txt.COUNTRIES)
REGION_SHARE = [0.40, 0.32, 0.18, 0.10]
ACQUISITION = ["organic", "paid search", "referral", "partner", "social"]
ACQUISITION_SHARE = [0.35, 0.25, 0.18, 0.12, 0.10]

CATEGORY_SHARE = [0.17, 0.14, 0.16, 0.12, 0.20, 0.08, 0.07, 0.06]
TYPES = ["question", "incident", "problem", "task"]
# ticket type by category (rows follow txt.CATEGORIES)
TYPE_P = np.array([
    [0.40, 0.55, 0.05, 0.00],
    [0.30, 0.65, 0.05, 0.00],
    [0.05, 0.60, 0.35, 0.00],
    [0.30, 0.65, 0.05, 0.00],
    [0.90, 0.05, 0.00, 0.05],
    [0.30, 0.00, 0.00, 0.70],
    [0.05, 0.60, 0.35, 0.00],
    [0.20, 0.30, 0.00, 0.50],
])
RESOLUTION_MEDIAN_H = np.array([20.0, 6.0, 60.0, 30.0, 4.0, 100.0, 48.0, 12.0])
HANDOFF_P = np.array([0.20, 0.12, 0.30, 0.18, 0.08, 0.15, 0.28, 0.12])
GROUP_OF_CATEGORY = ["Billing", "Tier 1", "Technical", "Logistics", "Tier 1", "Product", "Technical", "Retention"]
PRIORITIES = ["low", "normal", "high", "urgent"]
PRIORITY_P = np.array([[0.22, 0.58, 0.15, 0.05], [0.08, 0.47, 0.30, 0.15]])  # other / Bug+Performance
PRIORITY_SPEED = np.array([1.4, 1.0, 0.6, 0.3])
WEEKDAY_WEIGHT = np.array([1.0, 0.97, 0.95, 0.93, 0.85, 0.45, 0.40])


@dataclass(frozen=True)
class DemoSize:
    customers: int = 20_000
    tickets: int = 100_000


@dataclass
class DemoData:
    customers: pd.DataFrame
    tickets: pd.DataFrame
    survey_responses: pd.DataFrame
    customer_activity: pd.DataFrame
    #: the planted history of follow-ups (rows of the ``followups`` table)
    followups: pd.DataFrame = field(default_factory=pd.DataFrame)


def _days(t: np.ndarray) -> np.ndarray:
    """Float days since DEMO_START -> datetime64[s]."""
    start = np.datetime64(DEMO_START, "s")
    out: np.ndarray = start + np.round(np.asarray(t) * 86400.0).astype("int64").astype("timedelta64[s]")
    return out


def _pick(rng: np.random.Generator, cum: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sample a category index per element from row-wise cumulative probabilities."""
    u = rng.random(len(rows))
    picked: np.ndarray = np.minimum((u[:, None] > cum[rows]).sum(axis=1), cum.shape[1] - 1)
    return picked


def _choice_text(rng: np.random.Generator, options: list[str], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _weekday_thin(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Keep each time with the weight of its weekday (DEMO_START is a Monday)."""
    dow = np.floor(t).astype(int) % 7
    keep: np.ndarray = rng.random(len(t)) < WEEKDAY_WEIGHT[dow]
    return keep


def _hours_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    business = np.clip(rng.normal(13.5, 3.0, n), 0, 23.99)
    anytime = rng.uniform(0, 24, n)
    return np.where(rng.random(n) < 0.85, business, anytime) / 24.0


def _customers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    gen = rng.choice(len(GENERATIONS), n, p=GEN_SHARE)
    lo = np.array([y[0] for y in GEN_YEARS])[gen]
    hi = np.array([y[1] for y in GEN_YEARS])[gen]
    birth_year = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(int)
    horizon = DEMO_WEEKS * 7.0
    signup = horizon - (7 + (5 * 365.0 - 7) * rng.beta(1.0, 1.6, n))
    plan = rng.choice(len(PLANS), n, p=PLAN_SHARE)
    hazard_per_day = PLAN_MONTHLY_HAZARD[plan] / 30.44
    t0 = signup + rng.exponential(1.0 / hazard_per_day)
    return {"gen": gen, "birth_year": birth_year, "signup": signup, "plan": plan, "t0": t0}


def _tickets(
    rng: np.random.Generator, c: dict[str, np.ndarray], target: int
) -> dict[str, np.ndarray]:
    horizon = DEMO_WEEKS * 7.0
    a = np.maximum(c["signup"], 0.0)
    b = np.minimum(c["t0"], horizon)
    exposure = np.clip(b - a, 0.0, None)
    rate = rng.gamma(1.3, 1.0, len(a)) * PLAN_TICKET_RATE[c["plan"]]
    lam = rate * exposure
    # oversample for weekday thinning and the churn truncation that follows
    lam *= target * 1.12 / WEEKDAY_WEIGHT.mean() / lam.sum()
    counts = rng.poisson(lam)
    cust = np.repeat(np.arange(len(a)), counts)
    t = a[cust] + rng.random(len(cust)) * exposure[cust]
    keep = _weekday_thin(rng, t)
    cust, t = cust[keep], t[keep]
    spike = np.zeros(len(t), dtype=bool)
    # planted truth 1: the double-charge spike
    s0 = (SPIKE_START - DEMO_START).days
    s1 = s0 + SPIKE_DAYS
    active = np.flatnonzero((a <= s0) & (b > s1))
    expected_billing = (
        CATEGORY_SHARE[0] * TYPE_P[0, 1:3].sum() * ((t >= s0) & (t < s1)).sum()
    )
    n_extra = round(2.0 * expected_billing / WEEKDAY_WEIGHT.mean())
    extra_cust = rng.choice(active, n_extra)
    extra_t = s0 + rng.random(n_extra) * SPIKE_DAYS
    keep = _weekday_thin(rng, extra_t)
    cust = np.concatenate([cust, extra_cust[keep]])
    t = np.concatenate([t, extra_t[keep]])
    spike = np.concatenate([spike, np.ones(int(keep.sum()), dtype=bool)])
    t = np.floor(t) + _hours_of_day(rng, len(t))
    t = np.clip(t, a[cust] + 1 / 1440, b[cust] - 1 / 1440)  # the hour of day must not leave the exposure
    m = len(t)

    gen = c["gen"][cust]
    plan = c["plan"][cust]
    channel = _pick(rng, np.cumsum(CHANNEL_P, axis=1), gen)
    category = rng.choice(len(txt.CATEGORIES), m, p=CATEGORY_SHARE)
    category[spike] = 0
    ttype = _pick(rng, np.cumsum(TYPE_P, axis=1), category)
    ttype[spike] = 1
    tech = np.isin(category, [2, 6]).astype(int)
    priority = _pick(rng, np.cumsum(PRIORITY_P, axis=1), tech)
    bump = (plan == 3) & (rng.random(m) < 0.25)
    priority = np.minimum(priority + bump, 3)
    handed = rng.random(m) < HANDOFF_P[category] + 0.05 * (plan == 3)
    group_stations = 1 + handed * rng.geometric(0.65, m)
    assignee_stations = group_stations + rng.poisson(0.35, m)

    weekend = (np.floor(t).astype(int) % 7) >= 5
    frt_min = FRT_MEDIAN_MIN[channel] * rng.lognormal(0.0, 1.0, m) * PRIORITY_SPEED[priority]
    frt_min *= np.where(weekend, 2.5, 1.0)
    res_h = RESOLUTION_MEDIAN_H[category] * rng.lognormal(0.0, 1.1, m) * PRIORITY_SPEED[priority]
    res_h *= 1 + 0.7 * (group_stations - 1)
    res_h *= np.where(rng.random(m) < 0.04, rng.uniform(5, 20, m), 1.0)  # stuck tickets: the long tail
    in_spike = (t >= s0) & (t < s1) & (category == 0)
    res_h *= np.where(in_spike, 2.0, 1.0)
    res_h = np.maximum(res_h, frt_min / 60.0 + 0.05)
    reopened = rng.random(m) < 0.05 + 0.07 * (group_stations > 1) + 0.03 * (category == 2)
    reopens = reopened * (1 + (rng.random(m) < 0.2))
    first_solve_h = np.where(reopened, res_h * rng.uniform(0.25, 0.6, m), res_h)
    return {
        "cust": cust, "t": t, "spike": spike, "channel": channel, "category": category, "type": ttype,
        "priority": priority, "group_stations": group_stations, "assignee_stations": assignee_stations,
        "frt_min": frt_min, "res_h": res_h, "first_solve_h": first_solve_h, "reopens": reopens,
    }


def _apply_churn(c: dict[str, np.ndarray], k: dict[str, np.ndarray]) -> np.ndarray:
    """Planted truth 2: bad support multiplies the churn hazard from the moment it is felt.

    Returns the final churn time per customer (days since DEMO_START; may lie beyond the horizon).
    By memorylessness, scaling the remaining exponential lifetime by 1/multiplier is exactly a hazard
    multiplied by ``multiplier`` from then on.
    """
    horizon = DEMO_WEEKS * 7.0
    complaint = np.isin(k["type"], [1, 2])
    slow = k["res_h"] > 72
    handed = k["group_stations"] > 1
    unresolved = k["res_h"] > 14 * 24
    felt = k["t"] + np.minimum(k["res_h"] / 24.0, 14.0)
    bad = complaint & (slow | handed | unresolved) & (felt < horizon)
    frame = pd.DataFrame({
        "cust": k["cust"][bad],
        "felt": felt[bad],
        "mult": (1 + 1.2 * slow + 0.8 * handed + 2.0 * unresolved)[bad],
    }).sort_values(["cust", "felt"], kind="stable").drop_duplicates("cust")
    t_final = c["t0"].copy()
    first_bad = np.full(len(t_final), np.inf)
    idx = frame["cust"].to_numpy()
    felt_at = frame["felt"].to_numpy()
    mult = frame["mult"].to_numpy()
    first_bad[idx] = felt_at
    later = t_final[idx] > felt_at
    t_final[idx[later]] = felt_at[later] + (t_final[idx[later]] - felt_at[later]) / mult[later]
    c["first_bad"] = first_bad
    return t_final


def _comments(rng: np.random.Generator, sentiment: np.ndarray, share: float, nps: bool) -> np.ndarray:
    neg, mid, pos = (
        (txt.NPS_NEG, txt.NPS_PASSIVE, txt.NPS_POS) if nps
        else (txt.COMMENTS_NEG, txt.COMMENTS_NEUTRAL, txt.COMMENTS_POS)
    )
    n = len(sentiment)
    out = np.full(n, None, dtype=object)
    for code, pool in ((0, neg), (1, mid), (2, pos)):
        rows = sentiment == code
        out[rows] = _choice_text(rng, pool, int(rows.sum()))
    out[rng.random(n) >= share] = None
    return out


def generate(seed: int = 7, size: DemoSize | None = None) -> DemoData:
    """Build the demo frames (not yet stored)."""
    size = size or DemoSize()
    rng = np.random.default_rng(seed)
    horizon = DEMO_WEEKS * 7.0
    n = size.customers
    c = _customers(rng, n)
    k = _tickets(rng, c, size.tickets)
    t_final = _apply_churn(c, k)
    alive = k["t"] < t_final[k["cust"]]
    k = {key: value[alive] for key, value in k.items()}
    order = np.argsort(k["t"], kind="stable")
    k = {key: value[order] for key, value in k.items()}
    m = len(k["t"])

    # --- customers ------------------------------------------------------------------------------------
    region = rng.choice(len(REGIONS), n, p=REGION_SHARE)
    country = np.empty(n, dtype=object)
    for r, name in enumerate(REGIONS):
        rows = region == r
        names, probs = txt.COUNTRIES[name]
        country[rows] = rng.choice(names, int(rows.sum()), p=probs)
    plan = c["plan"]
    segment = np.where(
        plan == 0, "Consumer",
        np.where(plan == 1, np.where(rng.random(n) < 0.5, "Consumer", "SMB"),
                 np.where(plan == 2, np.where(rng.random(n) < 0.45, "SMB", "Mid-market"), "Enterprise")),
    )
    churned = t_final < horizon
    customer_ids = np.array([f"C{100001 + i}" for i in range(n)], dtype=object)
    industries = rng.choice(txt.INDUSTRIES, n)
    seats = np.where(plan == 3, rng.integers(50, 2000, n), rng.integers(1, 50, n))
    opt_in = rng.random(n) < 0.6
    attributes = [
        json.dumps({"industry": str(i), "seats": int(s), "marketing_opt_in": bool(o)})
        for i, s, o in zip(industries, seats, opt_in, strict=True)
    ]
    customers = pd.DataFrame({
        "customer_id": customer_ids,
        "signup_at": _days(c["signup"]),
        "birth_year": c["birth_year"].astype("int32"),
        "plan": np.asarray(PLANS, dtype=object)[plan],
        "segment": segment.astype(object),
        "region": np.asarray(REGIONS, dtype=object)[region],
        "country": country,
        "acquisition_channel": rng.choice(ACQUISITION, n, p=ACQUISITION_SHARE).astype(object),
        "status": np.where(churned, "churned", "active").astype(object),
        "churned_at": pd.Series(_days(t_final)).where(churned),
        "email_hash": [hashlib.sha256(f"{cid.lower()}@example.com".encode()).hexdigest() for cid in customer_ids],
        "attributes": attributes,
    })

    # --- tickets --------------------------------------------------------------------------------------
    t = k["t"]
    frt_days = k["frt_min"] / 1440.0
    solve_days = k["res_h"] / 24.0
    first_solve_days = k["first_solve_h"] / 24.0
    responded = t + frt_days < horizon
    solved = t + solve_days < horizon
    first_solved = t + first_solve_days < horizon
    closed = t + solve_days + 4.0 < horizon
    open_status = rng.choice(["open", "pending", "hold"], m, p=[0.55, 0.30, 0.15])
    new_status = ~responded
    status = np.where(closed, "closed", np.where(solved, "solved", np.where(new_status, "new", open_status)))
    replies = np.where(
        solved | first_solved,
        1 + rng.poisson(1.2 + 1.0 * (k["group_stations"] - 1) + 1.5 * k["reopens"]),
        np.where(responded, 1, 0),
    )
    cat_names = np.asarray(txt.CATEGORIES, dtype=object)[k["category"]]
    subject = np.empty(m, dtype=object)
    for ci, name in enumerate(txt.CATEGORIES):
        rows = k["category"] == ci
        subject[rows] = _choice_text(rng, txt.SUBJECTS[name], int(rows.sum()))
    subject[k["spike"]] = txt.SPIKE_SUBJECT
    description = subject + " " + _choice_text(rng, txt.DETAILS, m)
    group = np.asarray(GROUP_OF_CATEGORY, dtype=object)[k["category"]]
    groups = sorted(set(GROUP_OF_CATEGORY))
    agent_pool = {g: txt.AGENTS[i * 4:(i + 1) * 4] for i, g in enumerate(groups)}
    assignee = np.empty(m, dtype=object)
    for g in groups:
        rows = group == g
        assignee[rows] = _choice_text(rng, agent_pool[g], int(rows.sum()))
    assignee[~responded] = None
    cust_plan = plan[k["cust"]]
    slug = np.char.replace(np.char.lower(cat_names.astype(str)), " & ", "_")
    slug = np.char.replace(np.char.replace(slug, " ", "_"), "-", "_")
    tags = [
        [str(s)] + (["vip"] if p == 3 else []) + (["double_charge"] if sp else [])
        for s, p, sp in zip(slug, cust_plan, k["spike"], strict=True)
    ]
    created = _days(t)
    channel_names = np.asarray(CHANNELS, dtype=object)[k["channel"]]
    tickets = pd.DataFrame({
        "source": "demo",
        "ticket_id": [str(i + 1) for i in range(m)],
        "customer_id": customer_ids[k["cust"]],
        "created_at": created,
        "first_response_at": pd.Series(_days(t + frt_days)).where(responded),
        "first_solved_at": pd.Series(_days(t + first_solve_days)).where(first_solved),
        "solved_at": pd.Series(_days(t + solve_days)).where(solved),
        "closed_at": pd.Series(_days(t + solve_days + 4.0)).where(closed),
        "status": status.astype(object),
        "status_raw": status.astype(object),
        "channel": channel_names,
        "channel_raw": channel_names,
        "category": cat_names,
        "ticket_type": np.asarray(TYPES, dtype=object)[k["type"]],
        "priority": np.asarray(PRIORITIES, dtype=object)[k["priority"]],
        "subject": subject,
        "description": description,
        "tags": tags,
        "group_name": group,
        "assignee": assignee,
        "reopens": np.where(first_solved, k["reopens"], 0).astype("int32"),
        "replies": replies.astype("int32"),
        "group_stations": k["group_stations"].astype("int32"),
        "assignee_stations": k["assignee_stations"].astype("int32"),
        "is_complaint": np.isin(k["type"], [1, 2]),
    })

    # --- surveys --------------------------------------------------------------------------------------
    surveys = _surveys(rng, c, k, t_final, customer_ids, solved, tickets["ticket_id"].to_numpy())

    # --- follow-ups (planted truth 7; a generator of its own, so the rows above do not move) ---------------
    followed, t_final = demo_followups.plant(np.random.default_rng([seed, 7]), tickets, surveys, customer_ids,
                                             t_final, DEMO_START, horizon)
    churned = t_final < horizon
    customers["status"] = np.where(churned, "churned", "active").astype(object)
    customers["churned_at"] = pd.Series(_days(np.where(churned, t_final, 0.0))).where(churned)

    # --- activity: monthly renewals (paid plans) or monthly active logins (Free) -------------------------
    months = np.ceil((np.minimum(t_final, horizon) - c["signup"]) / 30.44).clip(0).astype(int)
    first_k = np.ceil((-365.0 - c["signup"]) / 30.44).clip(1).astype(int)  # keep the last 3 years
    counts = np.clip(months - first_k + 1, 0, None)
    cidx = np.repeat(np.arange(n), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + first_k[cidx]
    when = c["signup"][cidx] + step * 30.44
    ok = when < np.minimum(t_final[cidx], horizon)
    cidx, when = cidx[ok], when[ok]
    paid = plan[cidx] > 0
    activity = pd.DataFrame({
        "customer_id": customer_ids[cidx],
        "occurred_at": _days(when),
        "kind": np.where(paid, "renewal", "login").astype(object),
        "amount": np.where(paid, PLAN_PRICE[plan[cidx]], np.nan),
    })
    return DemoData(customers, tickets, surveys, activity, followed)


def _surveys(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    k: dict[str, np.ndarray],
    t_final: np.ndarray,
    customer_ids: np.ndarray,
    solved: np.ndarray,
    ticket_ids: np.ndarray,
) -> pd.DataFrame:
    horizon = DEMO_WEEKS * 7.0
    m = len(k["t"])
    gen = c["gen"][k["cust"]]
    solve_t = k["t"] + k["res_h"] / 24.0
    millennial_phone = (gen == MILLENNIALS) & (k["channel"] == PHONE)  # planted truth 3
    handoffs = k["group_stations"] - 1
    slowness = np.log1p(k["res_h"] / 8.0)
    spike = k["spike"].astype(float)
    pick = rng.random(m)
    frames = []

    def ticket_survey(mask: np.ndarray, metric: str, score: np.ndarray, lo: int, hi: int) -> None:
        at = solve_t + rng.exponential(0.8, m)
        mask = mask & solved & (at < horizon) & (at < t_final[k["cust"]])
        score_i = np.clip(np.round(score), lo, hi)[mask]
        sentiment = np.where(score_i <= lo + (hi - lo) * 0.4, 0, np.where(score_i >= hi - (hi - lo) * 0.25, 2, 1))
        frames.append(pd.DataFrame({
            "ticket_id": ticket_ids[mask],
            "customer_id": customer_ids[k["cust"][mask]],
            "responded_at": _days(at[mask]),
            "metric": metric,
            "score": score_i.astype(float),
            "scale_min": float(lo),
            "scale_max": float(hi),
            "comment": _comments(rng, sentiment, 0.35, nps=False),
            "touchpoint": "ticket",
            "channel": np.asarray(CHANNELS, dtype=object)[k["channel"][mask]],
            "survey_name": "Post-ticket CSAT" if metric == "csat" else "Post-ticket effort (CES)",
        }))

    csat = (4.75 - 0.35 * slowness - 0.45 * handoffs - 0.6 * (k["reopens"] > 0) - 0.9 * millennial_phone
            - 0.3 * spike + rng.normal(0, 0.85, m))
    ticket_survey(pick < 0.18, "csat", csat, 1, 5)
    ces = (5.9 - 0.45 * slowness - 0.7 * handoffs - 0.6 * (k["reopens"] > 0) - 0.8 * millennial_phone
           + rng.normal(0, 1.1, m))
    ticket_survey((pick >= 0.18) & (pick < 0.26), "ces", ces, 1, 7)

    # quarterly relationship NPS among customers active at the time they answer
    n = len(c["t0"])
    for q in range(DEMO_WEEKS * 7 // 91):
        chosen = np.flatnonzero(rng.random(n) < 0.08)
        at = q * 91 + rng.random(len(chosen)) * 91
        live = (at >= c["signup"][chosen]) & (at < t_final[chosen]) & (at < horizon)
        chosen, at = chosen[live], at[live]
        after_bad = c["first_bad"][chosen] < at  # planted truth 6
        latent = 8.0 + PLAN_NPS_SHIFT[c["plan"][chosen]] - 1.6 * after_bad + rng.normal(0, 1.9, len(chosen))
        score = np.clip(np.round(latent), 0, 10)
        sentiment = np.where(score <= 6, 0, np.where(score >= 9, 2, 1))
        frames.append(pd.DataFrame({
            "ticket_id": None,
            "customer_id": customer_ids[chosen],
            "responded_at": _days(at),
            "metric": "nps",
            "score": score.astype(float),
            "scale_min": 0.0,
            "scale_max": 10.0,
            "comment": _comments(rng, sentiment, 0.45, nps=True),
            "touchpoint": "relationship",
            "channel": None,
            "survey_name": "Quarterly NPS",
        }))
    out = pd.concat(frames, ignore_index=True).sort_values("responded_at", kind="stable", ignore_index=True)
    out.insert(0, "response_id", [f"R{i + 1:07d}" for i in range(len(out))])
    out.insert(0, "source", "demo")
    out["higher_is_better"] = True
    return out


_DATA_TABLES = ("survey_responses", "ticket_events", "tickets", "customer_activity", "customers", "followups",
                "followup_events")
_IMPORT_SIDE_TABLES = ("survey_answers", "tickets_replaced", "customers_replaced", "survey_responses_replaced",
                       "import_rejects", "theme_documents")


def has_data(conn: Connection) -> bool:
    row = conn.cursor().execute(
        "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM customers) "
        "+ (SELECT count(*) FROM survey_responses)"
    ).fetchone()
    return bool(row and row[0])


def non_demo_imports(conn: Connection) -> int:
    row = conn.cursor().execute(
        "SELECT count(*) FROM imports WHERE kind <> 'demo' AND status = 'loaded'"
    ).fetchone()
    return int(row[0]) if row else 0


def remove(conn: Connection, *, actor: str = "cli") -> dict[str, int]:
    """Remove the demo dataset and keep the user's own imports: one transaction, audited as ``remove_demo``.
    Returns rows removed per table (empty when the database holds no demo)."""
    with transaction(conn) as cur:
        removed = remove_demo(cur, actor)
        if removed:
            bump_data_version(cur)
    return removed


def load(conn: Connection, data: DemoData, *, seed: int, actor: str = "cx demo") -> dict[str, Any]:
    """Replace every data table's content with ``data`` in one transaction; return row counts."""
    counts = {
        "customers": len(data.customers),
        "tickets": len(data.tickets),
        "survey_responses": len(data.survey_responses),
        "customer_activity": len(data.customer_activity),
    }
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with transaction(conn) as cur:
        existing = {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        removed_imports = cur.execute(
            "SELECT import_id, file_name, kind, rows_loaded, actor FROM imports ORDER BY import_id").fetchall()
        removed = {}
        # every table an import writes to, the versions it replaced and its rejected lines: nothing is left behind
        # (answers of surveys whose responses are gone would keep what respondents wrote). The texts the themes were
        # assigned to go too; the theme catalogue (names, pins, merges) stays for a refit.
        for table in (*_DATA_TABLES, *_IMPORT_SIDE_TABLES):
            if table in existing:
                removed[table] = int(cur.execute(f"DELETE FROM {table}").fetchall()[0][0])  # noqa: S608 - fixed names
        cur.execute("DELETE FROM imports")
        if "audit_log" in existing:  # (a database at an older schema version has no audit log yet)
            audit.record(cur, actor, "data_reset", {
                "why": f"demo dataset rebuilt (seed {seed})", "rows_removed": {k: v for k, v in removed.items() if v},
                "imports_removed": [{"import_id": i, "file": f, "kind": k, "rows": n, "by": a}
                                    for i, f, k, n, a in removed_imports]})
        row = cur.execute(
            "INSERT INTO imports (file_name, kind, vendor, confidence, options, rows_read, rows_loaded, "
            "rows_rejected, actor, started_at, finished_at, status) "
            "VALUES (?, 'demo', 'demo', 1.0, ?, ?, ?, 0, ?, ?, ?, 'loaded') RETURNING import_id",
            [f"demo (seed {seed})", json.dumps({"seed": seed}), sum(counts.values()), sum(counts.values()),
             actor, now, now],
        ).fetchone()
        assert row is not None
        import_id = int(row[0])
        # e-mail hashes are stored keyed, like an import's (cx_metrics.pii)
        secret = pii.key(cur, create=True)
        keyed = data.customers["email_hash"].map(lambda h: pii.keyed_hex(secret, str(h)[:20]), na_action="ignore")
        customers = data.customers.assign(email_hash=keyed)
        for table, frame in (
            ("customers", customers),
            ("customer_activity", data.customer_activity),
            ("tickets", data.tickets),
            ("survey_responses", data.survey_responses),
            *((("followups", data.followups),) if "followups" in existing and len(data.followups) else ()),
        ):
            cur.register("incoming", frame.assign(import_id=import_id))
            cols = ", ".join([*list(frame.columns), "import_id"])
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")  # noqa: S608
            cur.unregister("incoming")
        bump_data_version(cur)
    return {"import_id": import_id, **counts}


def build(conn: Connection, *, seed: int = 7, size: DemoSize | None = None) -> dict[str, Any]:
    """Generate and store the demo dataset, replacing what the database holds."""
    return load(conn, generate(seed, size), seed=seed)
