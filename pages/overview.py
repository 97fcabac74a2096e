"""Executive overview: KPI tiles with honest deltas, the weekly complaint trend with its anomalies, and the weekly
median resolution and SLA breach rate."""

from __future__ import annotations

import math

import streamlit as st

from cx_metrics import charts
from cx_metrics.definitions import DEFINITIONS
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics.overview import describe_delta, describe_test
from cx_ui import auth, state

st.title("Executive overview")
user = auth.require("view")
path, version = state.key()
state.require_data()

period, filters = state.current_view()
s = state.settings()
st.caption(
    f"**{period.label()}** ({period.days} days) compared with **{period.previous().label()}** · "
    f"{filters.describe()} · deltas in grey are within noise at α = {s.alpha:g}"
)

tiles = state.kpis(path, version, period, filters)
columns = st.columns(3)
for i, row in enumerate(tiles.to_dict("records")):
    with columns[i % 3], st.container(border=True):
        ci = (
            f"{int(s.confidence * 100)}% CI {state.fmt_value({**row, 'value': row['ci_low']})} – "
            f"{state.fmt_value({**row, 'value': row['ci_high']})}"
            if not math.isnan(row["ci_low"]) else "no interval"
        )
        if row["small_n"]:
            value = f"{state.fmt_value(row)} (n < {s.min_cell_n})"
            color = "off"
        else:
            value = state.fmt_value(row)
            color = "off" if not row["significant"] else ("normal" if row["higher_is_better"] else "inverse")
        st.metric(
            row["label"],
            value,
            delta=describe_delta(row, s.alpha),
            delta_color=color,
            help=f"{row['definition']}\n\nTest: {row['test']}.",
        )
        st.caption(
            f"{ci} · n = {int(row['n']):,} · previous {state.fmt_value({**row, 'value': row['prev_value']})} "
            f"(n = {int(row['prev_n']):,}) · {describe_test(row, s.alpha)}"
            + (f" · {row['note']}" if row["note"] else "")
        )

auth.download_button(
    "Download these KPIs (CSV)",
    to_safe_csv(tiles.drop(columns=["definition"]).assign(period=period.label(), filters=filters.describe())),
    f"cx-kpis-{period.start}-{period.end}.csv", key="overview_kpis_download", icon=":material/download:",
)
# the digest of this period and these filters, as this reader's role may see it (drawn when clicked)
auth.download_button(
    "Download PDF", lambda: state.digest_pdf(period, filters, user.role or "executive"),
    state.digest_file_name(period, filters), key="overview_pdf_download", mime="application/pdf",
    permission="view", icon=":material/picture_as_pdf:",
)

st.subheader("Complaints per week by category")
trend = state.complaint_trend(path, version, period, filters, "week")
st.plotly_chart(charts.complaint_trend(trend, grain="week"), width="stretch")
st.caption(DEFINITIONS["complaint_trend"])
flags = state.anomalies(path, version, period, filters, "week", "category")
flagged = flags[flags["is_anomaly"]]
if flagged.empty:
    st.caption("No category's weekly complaints were anomalous in this period (robust z above 3.5).")
else:
    for rec in flagged.to_dict("records"):
        st.warning(f"**{rec['dimension']}**, week of {rec['period_start']:%d %b %Y}: {rec['complaints']:,} complaints, "
                   f"{rec['description']}. See *Complaint trends* for the tickets behind it.")
auth.download_button(
    "Download the weekly counts (CSV)", to_safe_csv(trend), f"cx-complaints-weekly-{period.start}-{period.end}.csv",
    key="overview_trend_download", icon=":material/download:",
)

left, right = st.columns(2)
with left:
    st.subheader("Median resolution by week")
    res_trend = state.resolution_trend(path, version, period, filters, "week")
    st.plotly_chart(charts.resolution_trend(res_trend), width="stretch", key="overview_resolution_trend")
    st.caption("Hours from creation to the last solve of the tickets created each week; the line counts tickets "
               "still open as censored (Kaplan-Meier), the dotted one only solved tickets, which flatters recent "
               "weeks. Hollow markers: fewer than the minimum n. Details on *Resolution*.")
with right:
    st.subheader("SLA breach rate by week")
    sla_trend = state.sla_breach_trend(path, version, period, filters, "week")
    st.plotly_chart(charts.breach_trend(sla_trend), width="stretch", key="overview_sla_trend")
    st.caption(DEFINITIONS["sla"])
