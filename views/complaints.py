"""Complaint trends: what is rising, against what baseline, where it repeats, and the rows behind it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import pandas as pd
import streamlit as st

from cx_metrics import catalog, charts
from cx_metrics.columns import choice_label
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics.complaints import DIMENSIONS, describe_complaint_rule
from cx_ui import auth, complaint_state, safe, state, tables, theme_state, url_state

LABELS = partial(choice_label, everything="All complaints")

st.title("Complaint trends")
user = auth.require("view")
state.require_data()
url_state.apply_filters_from_url()  # once per session: also when the page runs without the router (AppTest)
period, filters = state.current_view()
s = state.settings()
st.caption(f"**{period.label()}** · {filters.describe(safe.md)} · a complaint is {describe_complaint_rule(s)}")

# an alert's link names the breakdown, bucket and series that fired (cx_metrics.alerts.evaluate.link)
link_params: dict[str, tuple[str, Sequence[str] | Callable[[str], bool]]] = {
    "by": ("cmp_by", DIMENSIONS), "grain": ("cmp_grain", ("week", "day", "month")),
               "series": ("cmp_series", lambda v: bool(v))}
for problem in url_state.apply_page_params(link_params, "cx.cmp_url_applied"):
    st.warning(problem)
left, mid, right = st.columns(3)
by = left.selectbox("Break down by", DIMENSIONS, format_func=LABELS, key="cmp_by")
grain = mid.selectbox("Bucket", ["week", "day", "month"], key="cmp_grain")
measure = right.radio("Show", ["per 1,000 active customers", "count"], key="cmp_measure", horizontal=True)

volume = complaint_state.complaint_volume(period, filters, grain, by)
if measure.startswith("per") and not volume.empty and int(volume["active_customers"].sum()) == 0:
    st.info("No customers to divide by in this data (no customer file, or none active in the period): complaints "
            "are shown as counts, not per 1,000 customers.", icon=":material/info:")
    measure = "count"
figure = charts.complaint_rates(volume, measure="per_1000" if measure.startswith("per") else "complaints",
                                grain=grain, colors=state.colors(by))
event = safe.chart(figure, width="stretch", on_select="rerun", selection_mode="points", key="cmp_chart")
st.caption(catalog.definition("complaint_rate") + " Periods cut by the date range or by the data's start or end are "
           "dashed and labelled partial. Click a point to see its tickets below.")

st.subheader("Top movers vs the previous period")
movers = complaint_state.top_movers(period, filters, by)
if movers.empty:
    for note in movers.attrs.get("notes", []) or ["Not enough data in this and the previous period to compare."]:
        st.info(note)
else:
    shown = movers.assign(
        change=[("new" if d == "new" else f"{v:+.0%}") for v, d in zip(movers["change"], movers["direction"],
                                                                       strict=True)],
        verdict=movers["significant"].map({True: "real change", False: "within noise"}),
    )
    tables.show(shown.drop(columns=["significant"]), labels={"dimension": LABELS(by)}, key="cmp_movers")
    st.caption(catalog.definition("top_movers"))
    auth.download_button("Download the movers (CSV)", lambda: to_safe_csv(movers), f"top-movers-{by}.csv",
                         key="cmp_movers_download")
    # the reasons behind a mover: its complaints' themes (Themes page), this period vs the previous one
    t1, t2 = st.columns([1, 2])
    mover = t1.selectbox("Themes behind", movers["dimension"].tolist(), key="cmp_theme_mover")
    behind = theme_state.themes_behind(period, filters, by, None if by == "all" else str(mover))
    if behind.empty:
        t2.caption(" ".join(behind.attrs.get("notes", [])) or
                   "No themes yet: fit them on the Themes page to see the reasons behind a mover.")
    else:
        tables.show(behind.head(5)[["theme", "complaints", "prev_complaints", "difference", "share_of_change"]],
                    key="cmp_themes_behind", unit="count", container=t2)
        if t2.button(f"Open “{safe.md(behind.iloc[0]['theme'])}” on the Themes page", key="cmp_open_theme"):
            st.session_state["themes_focus"] = int(behind.iloc[0]["theme_key"])
            st.switch_page("views/themes.py")
        t2.caption(catalog.definition("themes_behind"))

st.subheader("Anomalies")
series_options = ["all", *sorted(volume["dimension"].unique().tolist())] if by != "all" else ["all"]
series = st.selectbox("Series", series_options, key="cmp_series",
                      format_func=lambda v: "All complaints" if v == "all" else v)
flags = complaint_state.anomalies(period, filters, grain, "all" if series == "all" else by)
series_name = "All complaints" if series == "all" else series
safe.chart(charts.anomaly_band(flags, dimension=series_name, grain=grain), width="stretch", key="cmp_anomaly_chart")
flagged = flags[flags["is_anomaly"] & (flags["dimension"] == series_name)]
if flagged.empty:
    st.success("No anomaly in this series and period.")
else:
    tables.show(flagged[["period_start", "complaints", "baseline", "z", "description"]], unit="count",
                labels={"period_start": f"{grain.capitalize()} starting", "description": "What it means"},
                key="cmp_anomalies")
st.caption(catalog.definition("anomalies"))

st.subheader("Repeat complaints by category")
repeats = complaint_state.repeat_complaints(period, filters)
if repeats.empty:
    st.info("No complaints with a full 30-day follow-up in this period.")
else:
    tables.show(repeats, unit="share", min_n=s.min_cell_n, key="cmp_repeats")
    st.caption(catalog.definition("repeat_complaints"))
    auth.download_button("Download repeat complaints (CSV)", lambda: to_safe_csv(repeats), "repeat-complaints.csv",
                         key="cmp_repeats_download")

st.subheader("The tickets behind a point")
buckets = sorted(volume["period_start"].unique()) if not volume.empty else []
values = sorted(volume["dimension"].unique().tolist()) if not volume.empty else []
points = event.selection.points if event and event.selection else []
if points and buckets:
    picked = points[0]
    st.session_state["cmp_bucket"] = pd.Timestamp(picked["x"])
    order = charts.series_order(volume)
    if 0 <= picked.get("curve_number", -1) < len(order):
        st.session_state["cmp_value"] = order[picked["curve_number"]]
if buckets:
    c1, c2 = st.columns(2)
    bucket = c1.selectbox("Period", buckets, key="cmp_bucket", format_func=lambda b: f"{pd.Timestamp(b):%d %b %Y}")
    value = c2.selectbox(LABELS(by), values, key="cmp_value")
    start = pd.Timestamp(bucket)
    step: dict[str, pd.Timedelta | pd.offsets.BaseOffset] = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7),
                                                     "month": pd.offsets.MonthBegin(1)}
    end = start + step[grain]
    if not user.can("rows"):
        st.caption(":material/lock: The ticket rows behind a point need the analyst role.")
    else:
        rows = complaint_state.complaint_rows(max(start, pd.Timestamp(period.start_ts)),
                                    min(end, pd.Timestamp(period.end_ts)), by, None if by == "all" else value,
                                    filters)
        tables.show(rows, key="cmp_rows")
        auth.download_button(f"Download these {len(rows):,} tickets (CSV)", to_safe_csv(rows),
                             f"complaints-{value}-{start:%Y-%m-%d}.csv", key="cmp_rows_download")
