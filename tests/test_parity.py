"""One implementation per number: every Overview tile equals the same figure on its area page.

For several filters and periods and both churn definitions, each tile of :func:`overview.kpis` is computed again
with the function its area page calls (Complaint trends, Resolution, Surveys, Churn) and must be equal: the
current value, its interval and n, and the previous period's value and n where the tile compares."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, churn, complaints, overview, resolution, surveys

FILTERS = {
    "all": Filters(),
    "plan": Filters.of(plans=["Pro"]),
    "channel": Filters.of(channels=["email"]),
    "region and segment": Filters.of(regions=["EMEA"], segments=["SMB"]),
}
MODES = ("contractual", "activity")


def _close(a: Any, b: Any) -> bool:
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


def _area_figures(conn: db.Connection, period: Period, filters: Filters, s: Settings) -> dict[str, dict[str, Any]]:
    """Each tile's figures as its area page computes them: {metric: {value, ci_low, ci_high, n, prev_value,
    prev_n}}."""
    out: dict[str, dict[str, Any]] = {}
    prev = period.previous()
    # Complaint trends: the movers table counts each category's complaints in both periods
    movers = complaints.top_movers(conn, period=period, by="category", filters=filters, settings=s)
    out["complaints"] = {"value": float(movers["complaints"].sum()), "n": int(movers["complaints"].sum()),
                         "prev_value": float(movers["prev_complaints"].sum())}
    # Resolution: the time-to-event table of all tickets, per end point, in each period
    for tile, end_point in (("first_response", "first_response"), ("resolution", "full_resolution")):
        now, before = (resolution.time_to_event(conn, period=p, metric=end_point, by="all", filters=filters,
                                                settings=s) for p in (period, prev))
        row = now.iloc[0] if len(now) else pd.Series({"median_hours": math.nan, "median_low": math.nan,
                                                      "median_high": math.nan, "tickets": 0})
        old = before.iloc[0] if len(before) else pd.Series({"median_hours": math.nan, "tickets": 0})
        out[tile] = {"value": row["median_hours"], "ci_low": row["median_low"], "ci_high": row["median_high"],
                     "n": int(row["tickets"]), "prev_value": old["median_hours"], "prev_n": int(old["tickets"])}
    # Surveys: the page's score tiles
    summary = surveys.survey_summary(conn, period=period, filters=filters, settings=s).set_index("metric")
    for tile in ("nps", "csat"):
        r = summary.loc[tile]
        out[tile] = {k: r[k] for k in ("value", "ci_low", "ci_high", "n", "prev_value", "prev_n", "p_value")}
    # Churn: the page's table over the whole period, all customers, under the definition in force
    d = churn.definition(conn, s)
    now, before = (churn.churn_by_cohort(conn, period=p, by="all", filters=filters, settings=s, definition_=d)
                   .iloc[0] for p in (period, prev))
    out["churn"] = {"value": 100 * now["churn_rate"], "ci_low": 100 * now["churn_low"],
                    "ci_high": 100 * now["churn_high"], "n": int(now["at_start"]),
                    "prev_value": 100 * before["churn_rate"], "prev_n": int(before["at_start"])}
    # Resolution page: SLA breaches of the resolution target, all priorities together
    for key, p in (("", period), ("prev_", prev)):
        sla = resolution.sla_breaches(conn, period=p, filters=filters, settings=s, targets=("resolution",))
        k, n = int(sla["breached"].sum()), int((sla["breached"] + sla["achieved"]).sum())
        out.setdefault("sla", {}).update({f"{key}value": 100 * k / n if n else math.nan, f"{key}n": n})
    return out


def _periods(conn: db.Connection) -> dict[str, Period]:
    default = base.default_period(conn)
    return {"default 13 weeks": default,
            "4 weeks": Period(default.end - dt.timedelta(days=27), default.end),
            "one month": Period(default.start, default.start + dt.timedelta(days=30))}


@pytest.mark.parametrize("mode", MODES)
def test_every_overview_tile_equals_its_area_page(demo_conn: db.Connection, mode: str) -> None:
    s = Settings(churn_mode=mode)
    checked = 0
    for period in _periods(demo_conn).values():
        for name, filters in FILTERS.items():
            tiles = {str(r["metric"]): r for r in overview.kpis(demo_conn, period=period, filters=filters,
                                                                settings=s).to_dict("records")}
            assert set(tiles) == {"complaints", "first_response", "resolution", "nps", "csat", "churn", "sla"}
            for metric, expected in _area_figures(demo_conn, period, filters, s).items():
                tile = tiles[metric]
                if tile["unavailable"]:
                    continue
                for key, value in expected.items():
                    if key.startswith("prev_") or key == "p_value":
                        if tile["comparison"]:
                            continue
                    assert _close(tile[key], value), (mode, period.label(), name, metric, key, tile[key], value)
                    checked += 1
    assert checked > 200  # the figures were there to compare, not skipped


def test_overview_churn_follows_the_activity_definition(demo_conn: db.Connection) -> None:
    """The drift issue 17 found: the Overview's churn tile ignored [churn] mode = "activity"."""
    period = base.default_period(demo_conn)
    rates = {mode: overview.kpis(demo_conn, period=period, settings=Settings(churn_mode=mode))
             .set_index("metric").loc["churn"] for mode in MODES}
    assert rates["contractual"]["value"] != rates["activity"]["value"]
    d = churn.definition(demo_conn, Settings(churn_mode="activity"))
    if pd.Timestamp(period.end_ts) > pd.Timestamp(d.obs_end):
        assert "leans low" in rates["activity"]["note"]


def test_activity_churn_without_activity_says_why(tiny_conn: db.Connection) -> None:
    from tests.conftest import TINY_PERIOD

    tile = overview.kpis(tiny_conn, period=TINY_PERIOD, settings=Settings(churn_mode="activity")) \
        .set_index("metric").loc["churn"]
    assert math.isnan(tile["value"]) and "no activity events" in tile["unavailable"]


@pytest.mark.parametrize("mode", MODES)
def test_cohort_churn_equals_the_churn_page(demo_conn: db.Connection, mode: str) -> None:
    """The Cohorts page's churn rate per plan is the Churn page's, under the same definition (it counted
    contractual dates whatever [churn] mode said); its drill-through lists exactly the customers counted."""
    from cx_metrics.metrics import cohorts

    s = Settings(churn_mode=mode, min_cell_n=1)
    for period in _periods(demo_conn).values():
        for filters in (Filters(), Filters.of(regions=["EMEA"])):
            page = churn.churn_by_cohort(demo_conn, period=period, by="plan", filters=filters, settings=s)
            cells = cohorts.breakdown(demo_conn, period=period, metric="churn_rate", dim1="plan", filters=filters,
                                      settings=s)
            ours = {str(r["dim1"]): (int(r["n"]), r["value"]) for r in cells.to_dict("records")}
            theirs = {str(r["cohort"]): (int(r["at_start"]), 100 * r["churn_rate"]) for r in page.to_dict("records")}
            assert set(ours) == set(theirs)
            for plan, (n, value) in theirs.items():
                assert ours[plan][0] == n and _close(ours[plan][1], value), (mode, plan)
            plan = next(iter(theirs))
            rows = cohorts.drill_rows(demo_conn, period=period, metric="churn_rate", dim1="plan", value1=plan,
                                      filters=filters, settings=s, limit=100_000)
            assert len(rows) == theirs[plan][0]
            assert int(rows["churned_in_period"].sum()) == int(
                page.set_index("cohort").loc[plan, "lost"])
