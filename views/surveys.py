"""Surveys: NPS, CSAT and CES with honest intervals, trends, distributions, response rates and verbatims."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from cx_metrics import catalog
from cx_metrics.charts import surveys as charts_surveys
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics import cohorts, surveys
from cx_ui import auth, safe, state, survey_state, tables, url_state

st.title("Surveys")
user = auth.require("view")
state.require_data()
url_state.apply_filters_from_url()  # once per session: also when the page runs without the router (AppTest)
period, filters = state.current_view()
s = state.settings()
for problem in st.session_state.get("cx.url_problems", []):
    st.warning(safe.md(problem))

inventory = survey_state.survey_inventory()
scored_names = sorted(inventory.loc[inventory["scored_metrics"].notna(), "survey_name"].astype(str).unique())
left, right = st.columns([2, 3])
level = left.radio("Count", surveys.LEVELS, key="srv_level", horizontal=True,
                   format_func={"response": "every response", "customer": "latest per customer"}.__getitem__)
names = tuple(right.multiselect("Surveys", scored_names, key="srv_surveys", placeholder="All surveys"))
st.caption(f"**{period.label()}** vs {period.previous().label()} · {filters.describe(safe.md)} · "
           f"**{surveys.LEVEL_TEXT[level]}** Cells with fewer than {s.min_cell_n} responses are greyed and "
           f"labelled, not shown as real numbers; α = {s.alpha:g}.")

summary = survey_state.survey_summary(period, filters, level, names)
rate = survey_state.response_rate(period, filters).iloc[0]
columns = st.columns(5)
for col, row in zip(columns, summary.to_dict("records"), strict=False):
    with col, st.container(border=True):
        unit = row["unit"]
        if row["unavailable"]:
            st.metric(row["label"], "—", help=row["definition"])
            st.caption(f"**Not shown: {row['unavailable']}.**")
            continue
        if row["n"] == 0:
            value = "no responses"
        elif row["small_n"]:
            value = f"n < {s.min_cell_n}"
        else:
            value = charts_surveys.format_score(row["value"], unit)
        if math.isnan(row["delta"]):
            delta = None
        else:
            verdict = "real change" if row["significant"] else "within noise"
            delta = (f"{row['delta']:+.1f}" + (" pts" if unit in ("%", "points") else "") + f" · {verdict}")
        st.metric(row["label"], value, delta=delta,
                  delta_color="normal" if row["significant"] else "off", help=row["definition"])
        low, high = (charts_surveys.format_score(row[k], unit) for k in ("ci_low", "ci_high"))
        ci = (f"95% CI {low} – {high}"
              if not row["small_n"] and not math.isnan(row["ci_low"]) else "no interval")
        previous = (row["comparison"] if row["comparison"] else
                    f"previous {charts_surveys.format_score(row['prev_value'], unit)} (n = {int(row['prev_n']):,})")
        st.caption(f"{ci} · n = {int(row['n']):,} ({int(row['respondents']):,} respondents) · {previous}"
                   + (f" · {row['test']}, p = {row['p_value']:.2g}" if not math.isnan(row["p_value"]) else "")
                   + (f" · {row['note']}" if row["note"] else ""))
with columns[4], st.container(border=True):
    st.metric("Response rate", "no tickets" if math.isnan(rate["rate"]) else f"{100 * rate['rate']:.1f}%",
              help=catalog.definition("response_rate"))
    st.caption(f"95% CI {100 * rate['ci_low']:.1f}% – {100 * rate['ci_high']:.1f}% · {int(rate['responded']):,} of "
               f"{int(rate['offered'] or rate['solved']):,} · {rate['basis']}" if not math.isnan(rate["rate"])
               else "No solved tickets in the period.")
auth.download_button("Download these figures (CSV)", to_safe_csv(summary.drop(columns=["definition"]).assign(
    period=period.label(), filters=filters.describe(), level=level)), f"cx-surveys-{period.start}-{period.end}.csv",
    key="srv_summary_download", icon=":material/download:")

st.subheader("Trend")
c1, c2 = st.columns(2)
metric = c1.selectbox("Score", surveys.METRICS, key="srv_metric", format_func=catalog.label)
grain = c2.selectbox("Bucket", surveys.GRAINS, index=1, key="srv_grain")
trend = survey_state.survey_trend(period, filters, metric, grain, level, names)
safe.chart(charts_surveys.trend_band(trend, unit=catalog.get(metric).unit, title=catalog.label(metric),
                                     min_n=s.min_cell_n, grain=grain), width="stretch", key="srv_trend_chart")
moved = trend[trend["significant"]]
if moved.empty:
    st.caption("No bucket differs significantly from the one before it.")
else:
    for rec in moved.to_dict("records"):
        st.info(f"{rec['period_start']:%d %b %Y}: {catalog.label(metric)} "
                f"{charts_surveys.format_score(rec['value'], catalog.get(metric).unit)}, {rec['change']:+.1f} vs the "
                f"previous "
                f"{grain} ({rec['test']}, p = {rec['p_value']:.2g}) — a real change.")
st.caption(catalog.definition("survey_trend") + " " + catalog.definition(metric))
shown = trend.assign(value=trend["value"].where(~trend["small_n"]), ci_low=trend["ci_low"].where(~trend["small_n"]),
                     ci_high=trend["ci_high"].where(~trend["small_n"]),
                     reliability=trend["small_n"].map({True: f"n < {s.min_cell_n}: not shown", False: ""}))
with st.expander("Trend table"):
    tables.show(shown[["period_start", "n", "respondents", "value", "ci_low", "ci_high", "reliability", "partial",
                       "change", "p_value", "significant"]].rename(columns={"change": "difference"}),
                unit=catalog.get(metric).unit, labels={"period_start": f"{grain.capitalize()} starting",
                                                    "difference": f"Change vs the {grain} before"},
                key="srv_trend_table")
    auth.download_button("Download the trend (CSV)", to_safe_csv(shown), f"cx-{metric}-{grain}.csv",
                       key="srv_trend_download")

left, right = st.columns(2)
with left:
    st.subheader("Score groups over time")
    split = surveys.group_split(trend, metric)
    safe.chart(charts_surveys.group_split_bars(split), width="stretch", key="srv_split_chart")
    st.caption("Faded bars have fewer than the minimum n.")
with right:
    st.subheader("Distribution of scores")
    options = survey_state.dimension_options()
    by = st.selectbox("Split by", options, key="srv_dist_by",
                      format_func=lambda d: cohorts.parse_dimension(d).label)
    dist = survey_state.score_distribution(period, filters, surveys.SOURCE_METRIC[metric], by,
                                           level, names)
    safe.chart(charts_surveys.distribution_bars(dist), width="stretch", key="srv_dist_chart")

st.subheader("Verbatims")
stored = surveys.SOURCE_METRIC[metric]
v1, v2, v3, v4 = st.columns(4)
group = v1.selectbox("Score group", ["", *surveys.SCORE_GROUPS[stored]], key="srv_vb_group",
                     format_func=lambda g: g or "all")
v_by = v2.selectbox("Cohort", options, key="srv_vb_by", format_func=lambda d: cohorts.parse_dimension(d).label)
values = sorted(dist["dimension"].unique().tolist()) if by == v_by and not dist.empty else []
if v_by != "all" and not values:
    values = cohorts.sort_labels(v_by, survey_state.score_distribution(
        period, filters, stored, v_by, level, names)["dimension"].unique())
v_value = v3.selectbox("Cohort value", ["(all)", *values], key="srv_vb_value") if v_by != "all" else "(all)"
buckets = ["(whole range)", *[f"{b:%Y-%m-%d}" for b in trend["period_start"]]]
v_bucket = v4.selectbox(f"Period ({grain})", buckets, key="srv_vb_bucket")
# a search runs on comment text: only for roles that may read it (a count alone would answer "did X write in?")
search = (st.text_input("Comment contains", key="srv_vb_search", placeholder="e.g. refund, waiting, app")
          if user.can("verbatims") else "")
v_period = period
if v_bucket != "(whole range)":
    b_start = pd.Timestamp(v_bucket)
    b_end = b_start + (pd.Timedelta(days=6) if grain == "week" else pd.offsets.MonthEnd(0))
    v_period = type(period)(max(b_start.date(), period.start), min(b_end.date(), period.end))
if not user.can("verbatims"):
    st.info(":material/lock: Verbatim comments, and searching them, need the analyst role; the counts above "
            "include them.")
else:
    comments = survey_state.verbatims(v_period, filters, stored, group, search, v_by,
                                      None if v_value == "(all)" else v_value, names)
    st.caption(f"{len(comments):,} comments (newest first, at most 500) · {v_period.label()}"
               + (" · the ticket columns show the linked ticket when there is one" if len(comments) else ""))
    tables.show(comments, widths={"comment": "large"}, labels={"cohort": cohorts.parse_dimension(v_by).label},
                key="srv_verbatims")
    auth.download_button(f"Download these {len(comments):,} comments (CSV)", to_safe_csv(comments),
                         f"cx-verbatims-{stored}.csv", key="srv_vb_download")

st.subheader("Surveys in the database")
st.caption("Every imported survey, scored or not. Questions that are not NPS, CSAT or CES are kept and shown "
           "here as answer counts.")
tables.show(inventory, labels={"first_response_at": "First answer", "last_response_at": "Last answer"},
            key="srv_inventory")
if not inventory.empty:
    labels = [f"{r['survey_name']} ({r['source']})" for r in inventory.to_dict("records")]
    pick = st.selectbox("Answers of survey", range(len(labels)), key="srv_answers_survey",
                        format_func=labels.__getitem__)
    chosen = inventory.iloc[int(pick)]
    # the aggregate view shows only answers many respondents gave: no free text, name or phone number
    answers = survey_state.answer_distribution(str(chosen["source"]), str(chosen["survey_name"]),
                                               None if user.can("verbatims") else s.min_cell_n)
    if not user.can("verbatims"):
        st.caption(f":material/lock: Answers fewer than {s.min_cell_n} respondents gave (free text among them) "
                   "are counted together; reading them needs the analyst role.")
    if answers.empty:
        st.caption("This survey has no answers to unscored questions.")
    else:
        tables.show(answers, unit="share", key="srv_answers")
        auth.download_button("Download these answers (CSV)", to_safe_csv(answers),
                           f"cx-survey-answers-{chosen['source']}.csv", key="srv_answers_download")
