"""Resolution and follow-through: how long customers wait, who breaches, what is piling up, what it costs."""

from __future__ import annotations

from functools import partial

import streamlit as st

from cx_metrics import catalog, charts
from cx_metrics.columns import choice_label
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics.resolution import CLOCKS, GROUPS, METRICS, OUTCOME_BUCKETS, logrank_sentence
from cx_ui import auth, overview_state, resolution_state, safe, state, tables
from cx_ui import tiles as kpi_tiles

LABELS = partial(choice_label, everything="All tickets")

st.title("Resolution and follow-through")
user = auth.require("view")
state.require_data()
period, filters = state.current_view()
s = state.settings()
st.caption(f"Tickets created **{period.label()}** · {filters.describe(safe.md)}")
# the answer first: how long customers wait, and how often a promise is broken (the Overview's own tiles)
kpi_tiles.tiles(overview_state.kpis(period, filters), ["first_response", "resolution", "sla"])

left, middle, right = st.columns(3)
metric = left.selectbox("Time to", METRICS, index=2, format_func=LABELS, key="res_metric")
by = middle.selectbox("Compare by", GROUPS, index=1, format_func=LABELS, key="res_by")
clock = right.radio("Clock", CLOCKS, format_func=LABELS, horizontal=True, key="res_clock",
                    help="Business hours: " + s.business_hours.describe())
if clock == "business":
    st.caption(f"Business hours: {s.business_hours.describe()}. Set [business_hours] in cx.toml.")

summary = resolution_state.time_to_event(period, filters, metric, by, clock)
hours_unit = "business h" if clock == "business" else "h"
tables.show(summary, labels={"group": LABELS(by)}, min_n=s.min_cell_n, hours_unit=hours_unit, key="res_summary")
curves = resolution_state.km_curves(period, filters, metric, by, clock)
horizon = float(summary["p90_hours"].max()) * 1.5 if summary["p90_hours"].notna().any() else None
safe.chart(charts.km_curves(curves, max_hours=horizon, colors=state.colors(by), clock=clock),
           width="stretch", key="res_km")
test = resolution_state.logrank(period, filters, metric, by, clock)
if by != "all" and not test.empty and test.iloc[0]["groups"] >= 2:
    row = {str(k): v for k, v in test.iloc[0].to_dict().items()}
    named = {k: safe.md(row[k]) for k in ("fastest", "slowest") if isinstance(row.get(k), str)}  # groups are data
    st.markdown(logrank_sentence({**row, **named}, s.alpha, summary.assign(group=summary["group"].map(safe.md))))
st.caption(catalog.definition("time_to_event"))
auth.download_button("Download these figures (CSV)", lambda: to_safe_csv(summary), f"time-to-{metric}-by-{by}.csv",
                     key="res_summary_download")

with st.expander("The tickets behind these figures"):
    groups = summary["group"].tolist()
    value = st.selectbox(LABELS(by), groups, key="res_rows_group") if by != "all" and groups else None
    if not user.can("rows"):
        st.caption(":material/lock: The ticket rows need the analyst role.")
    else:
        rows = resolution_state.resolution_rows(period, filters, metric, by, value, clock)
        st.caption(f"Longest wait first, hours to {LABELS(metric).lower()} on the {LABELS(clock).lower()} clock "
                   "(to the data's latest time for tickets still waiting); at most 5,000 rows.")
        tables.show(rows, hours_unit=hours_unit, key="res_rows")
        auth.download_button(f"Download these {len(rows):,} tickets (CSV)", to_safe_csv(rows),
                             f"resolution-{metric}-{value or 'all'}.csv", key="res_rows_download")

agreement = resolution_state.vendor_agreement(period, filters)
if int(agreement["tickets"].sum()) > 0:
    st.subheader("Our figures against the vendor's own minutes")
    tables.show(agreement.assign(metric=agreement["metric"].map(LABELS), clock=agreement["clock"].map(LABELS)),
                labels={"metric": "Time to"}, key="res_agreement")
    st.caption(catalog.definition("vendor_agreement"))

st.subheader("Follow-through: reopens, one-touch, handoffs")
follow = resolution_state.follow_through(period, filters, by)
tables.show(follow, labels={"group": LABELS(by)}, min_n=s.min_cell_n, key="res_follow")
handoffs = resolution_state.handoff_distribution(period, filters)
known = handoffs.dropna(subset=["share"])
if not known.empty:
    safe.chart(charts.rate_bars(known.assign(share=100 * known["share"], ci_low=100 * known["ci_low"],
                                                  ci_high=100 * known["ci_high"]),
                                     x="handoffs", y="share", low="ci_low", high="ci_high",
                                     title="% of solved tickets"), width="stretch", key="res_handoffs")
st.caption(catalog.definition("follow_through") + " Distribution: "
           + ", ".join(f"{h} {n:,}" for h, n in zip(handoffs["handoffs"], handoffs["solved"], strict=True)))

st.subheader("SLA breach rate")
sla = resolution_state.sla_breaches(period, filters)
tables.show(sla.assign(target=sla["target"].map({"first_response": "first response", "resolution": "resolution"})),
            unit="share", min_n=s.min_cell_n, key="res_sla",
            hours_unit="business h" if s.sla_clock == "business" else "h")
auth.download_button("Download SLA breach rates (CSV)", lambda: to_safe_csv(sla), "sla-breaches.csv",
                     key="res_sla_download")
trend_grain = st.radio("Breaches over time by", ["week", "month", "day"], horizontal=True, key="res_sla_grain")
trend = resolution_state.sla_breach_trend(period, filters, trend_grain)
safe.chart(charts.breach_trend(trend, grain=trend_grain), width="stretch", key="res_sla_trend")
st.caption(catalog.definition("sla") + f" Counted on the {s.sla_clock} clock. Hollow markers: fewer than "
           f"{s.min_cell_n} decided tickets.")

st.subheader("Backlog over time")
history = resolution_state.backlog_history(period, filters)
safe.chart(charts.backlog_history(history), width="stretch", key="res_backlog_history")
st.caption(catalog.definition("backlog_history"))

left, right = st.columns(2)
with left:
    st.subheader("Backlog now")
    ageing = resolution_state.backlog(filters)
    tables.show(ageing, key="res_backlog")
    st.caption(catalog.definition("backlog"))
with right:
    st.subheader("What handling costs in satisfaction")
    c1, c2 = st.columns(2)
    bucket = c1.selectbox("By", OUTCOME_BUCKETS, format_func=LABELS, key="res_outcome")
    score = c2.radio("Score", ["csat", "nps"], format_func=str.upper, horizontal=True, key="res_outcome_score")
    outcome = resolution_state.experience_vs_outcome(period, filters, bucket, score)
    if outcome.empty and score == "nps":
        st.info("No NPS responses are linked to tickets in this period (a ticket id on the response links them).")
    safe.chart(charts.rate_bars(outcome, x="bucket", y="value", low="ci_low", high="ci_high",
                                     title="CSAT %" if score == "csat" else "NPS"),
                    width="stretch", key="res_outcome_chart")
    st.caption(catalog.definition("experience_outcome") + " n per bar: "
               + ", ".join(f"{b} {n:,}" for b, n in zip(outcome["bucket"], outcome["responses"], strict=True)))
