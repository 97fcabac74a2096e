"""Executive overview: KPI tiles with honest deltas, the weekly complaint trend with its anomalies, and the weekly
median resolution and SLA breach rate."""

from __future__ import annotations

import streamlit as st

from cx_metrics import catalog, charts
from cx_metrics.export import to_safe_csv
from cx_ui import auth, complaint_state, overview_state, resolution_state, safe, state
from cx_ui import followup_state as fstate
from cx_ui import tiles as kpi_tiles

st.title("Executive overview")
user = auth.require("view")
state.require_data()

period, filters = state.current_view()
s = state.settings()
tiles = overview_state.kpis(period, filters)
compared = not tiles["comparison"].astype(bool).all()
st.caption(
    f"**{period.label()}** ({period.days} days) "
    + (f"compared with **{period.previous().label()}** · " if compared else
       f"· **no comparison**: the previous {period.days} days lie outside the data · ")
    + f"{filters.describe(safe.md)}" + (f" · deltas in grey are within noise at α = {s.alpha:g}" if compared else "")
)
kpi_tiles.tiles(tiles)
# the follow-up tile's place: it is computed last (it costs more than the seven tiles above, see
# bench/RESULTS-followups.md), so the downloads and the charts do not wait for it
followup_slot = st.empty()

auth.download_button(
    "Download these KPIs (CSV)",
    to_safe_csv(tiles.drop(columns=["definition"]).assign(period=period.label(), filters=filters.describe())),
    f"cx-kpis-{period.start}-{period.end}.csv", key="overview_kpis_download", icon=":material/download:",
)
# the digest of this period and these filters, as this reader's role may see it (drawn when clicked)
auth.download_button(
    "Download PDF", lambda: overview_state.digest_pdf(period, filters, user.role or "executive", fstate.revision()),
    overview_state.digest_file_name(period, filters), key="overview_pdf_download", mime="application/pdf",
    permission="view", icon=":material/picture_as_pdf:",
)

st.subheader("Complaints per week by category")
trend = complaint_state.complaint_trend(period, filters, "week")
safe.chart(charts.complaint_trend(trend, grain="week", colors=state.colors("category")),
           width="stretch")
st.caption(catalog.definition("complaint_trend"))
flags = complaint_state.anomalies(period, filters, "week", "category")
flagged = flags[flags["is_anomaly"]]
if flagged.empty:
    st.caption("No category's weekly complaints were anomalous in this period (robust z above 3.5).")
else:
    for rec in flagged.to_dict("records"):
        st.warning(f"**{safe.md(rec['dimension'])}**, week of {rec['period_start']:%d %b %Y}: "
                   f"{rec['complaints']:,} complaints, {rec['description']}. See *Complaint trends* for the tickets "
                   "behind it.")
auth.download_button(
    "Download the weekly counts (CSV)", to_safe_csv(trend), f"cx-complaints-weekly-{period.start}-{period.end}.csv",
    key="overview_trend_download", icon=":material/download:",
)

left, right = st.columns(2)
with left:
    st.subheader("Median resolution by week")
    res_trend = resolution_state.resolution_trend(period, filters, "week")
    safe.chart(charts.resolution_trend(res_trend), width="stretch", key="overview_resolution_trend")
    st.caption("Hours from creation to the last solve of the tickets created each week: the Kaplan-Meier median, "
               "tickets still open counted as censored (the same median as the tile above), with its 95% band. "
               "Hollow markers: fewer than the minimum n. Details on *Resolution*.")
with right:
    st.subheader("SLA breach rate by week")
    sla_trend = resolution_state.sla_breach_trend(period, filters, "week")
    safe.chart(charts.breach_trend(sla_trend), width="stretch", key="overview_sla_trend")
    st.caption(catalog.definition("sla"))

with followup_slot.container():
    kpi_tiles.followup_tile(fstate.summary(fstate.revision(), period, filters), s)
