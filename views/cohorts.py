"""Cohorts (analysts): any metric by one or two cohort dimensions, with n, intervals, spread and the rows behind it.

Every selection lives in the URL query string, so the address bar is a link to exactly this view.
"""

from __future__ import annotations

import html

import streamlit as st

from cx_metrics import catalog
from cx_metrics.charts import surveys as charts_surveys
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics import cohorts, surveys
from cx_ui import auth, safe, state, survey_state, tables, url_state

SEP = " · "

st.title("Cohorts")
user = auth.require("rows")
state.require_data()
url_state.apply_filters_from_url()  # once per session: also when the page runs without the router (AppTest)
period, filters = state.current_view()
s = state.settings()
options = survey_state.dimension_options()
problems = list(st.session_state.get("cx.url_problems", []))
problems += url_state.apply_page_params({
    "metric": ("coh_metric", list(cohorts.METRICS)),
    "by": ("coh_by", options),
    "by2": ("coh_by2", options),
    "level": ("coh_level", list(surveys.LEVELS)),
    "a": ("coh_a", lambda v: True),
    "b": ("coh_b", lambda v: True),
    "cell": ("coh_cell", lambda v: True),
    "grid": ("coh_grid", list(cohorts.GRID_METRICS)),
    "grid_grain": ("coh_grid_grain", list(cohorts.GRID_GRAINS)),
}, "cx.coh_url_applied")


def label(dim: str) -> str:
    return cohorts.parse_dimension(dim).label


c1, c2, c3, c4 = st.columns(4)
metric = c1.selectbox("Metric", list(cohorts.METRICS), key="coh_metric", format_func=cohorts.METRICS.__getitem__)
st.session_state.setdefault("coh_by", "generation" if "generation" in options else options[0])
by = c2.selectbox("Break down by", options, key="coh_by", format_func=label)
by2 = c3.selectbox("and by", options, key="coh_by2", format_func=lambda d: "nothing" if d == "all"
                   else label(d))
is_survey = metric in surveys.METRICS
level = c4.radio("Count", surveys.LEVELS, key="coh_level", disabled=not is_survey,
                 format_func={"response": "every response", "customer": "latest per customer"}.__getitem__)
st.caption(f"**{period.label()}** · {filters.describe(safe.md)}"
           + (f" · {surveys.LEVEL_TEXT[level]}" if is_survey else "")
           + f" · cells with n < {s.min_cell_n} are suppressed · α = {s.alpha:g}, Holm-corrected across cells")

try:
    table = survey_state.breakdown(period, filters, metric, by, by2, level)
except cohorts.NotSupported as exc:
    st.info(str(exc), icon=":material/info:")
    url_state.write_url({"metric": metric, "by": by, "by2": by2, "level": level if is_survey else None})
    st.stop()
    raise  # unreachable
except ValueError as exc:
    st.error(f"{safe.md(exc)}. Pick another dimension.")
    url_state.write_url({"metric": metric, "by": by, "by2": by2, "level": level if is_survey else None})
    st.stop()
    raise  # unreachable

unit, title = cohorts.UNITS[metric], cohorts.METRICS[metric]
better = cohorts.HIGHER_IS_BETTER[metric]
if table.empty:
    st.info("No data for this metric in the period and selection.")
elif by2 == "all":
    event = safe.chart(charts_surveys.cohort_bars(table, unit=unit, title=title, min_n=s.min_cell_n),
                            width="stretch", key="coh_bars", on_select="rerun", selection_mode="points")
    picked = event.selection.points if event and event.selection else []
    clicked = html.unescape(str(picked[0].get("x"))) if picked else None  # chart labels are escaped (safe.chart)
    if clicked in set(table["dim1"]):
        st.session_state["coh_cell"] = clicked  # a click on a bar opens its rows below
else:
    rows = cohorts.sort_labels(by, table["dim1"].unique())
    cols = cohorts.sort_labels(by2, table["dim2"].unique())
    safe.chart(charts_surveys.heatmap(table, unit=unit, title=title, min_n=s.min_cell_n, higher_is_better=better,
                                           rows=rows, cols=cols), width="stretch", key="coh_heatmap")
    st.caption("\\* significantly different from the rest of the table (Holm-corrected). Blank cells: too few "
               "observations to show.")
flagged = table[table["significant"]] if not table.empty else table
for rec in flagged.to_dict("records"):
    cell = rec["dim1"] if by2 == "all" else f"{rec['dim1']}{SEP}{rec['dim2']}"
    rest = charts_surveys.format_score(rec["rest_value"], unit)
    text = (f"**{safe.md(cell)}**: {title} {charts_surveys.format_score(rec['value'], unit)} (n = {rec['n']:,})"
            + (f" vs {rest} for everyone else" if rest != "–" else "")
            + f" — significantly {rec['direction']} ({rec['test']}, p = {rec['p_value']:.2g}"
            + (f", {rec['effect_name']} = {rec['effect_size']:.2f}" if rec["effect_name"] else "") + ").")
    (st.success if rec["direction"] == "better" else st.warning)(text)
shown = table.drop(columns=["dim2"]) if by2 == "all" else table
tables.show(shown, unit=unit, labels={"dim1": label(by), "dim2": label(by2)}, min_n=s.min_cell_n,
            key="coh_table")
st.caption(catalog.definition("cohort_breakdown") + " " + catalog.definition(cohorts.CATALOG_IDS[metric]))
auth.download_button("Download this table (CSV)", to_safe_csv(table.assign(
    metric=metric, period=period.label(), filters=filters.describe())), f"cx-cohorts-{metric}-{by}.csv",
    key="coh_table_download", icon=":material/download:")

# cell label -> (dim1 value, dim2 value), so a value containing the separator cannot be split wrongly
cell_values = {(r["dim1"] if by2 == "all" else f"{r['dim1']}{SEP}{r['dim2']}"): (str(r["dim1"]), str(r["dim2"]))
               for r in table.to_dict("records")}
cells = list(cell_values)
from_url = st.session_state.get("cx.coh_url_applied.keys", set())
for key in ("coh_a", "coh_b", "coh_cell"):
    if key in st.session_state and st.session_state[key] not in cells:
        if key in from_url:  # a stale choice after a change of dimension is simply reset; a link's is explained
            problems.append(f"The link's {key.removeprefix('coh_')} is not a cohort of this table and was ignored; "
                            "pick one below.")
        del st.session_state[key]
    from_url.discard(key)
for problem in problems:
    st.warning(safe.md(problem))


def split(cell: str) -> tuple[str, str]:
    return cell_values[cell]


st.subheader("Compare two cohorts")
a = b = None
if len(cells) >= 2:
    k1, k2 = st.columns(2)
    st.session_state.setdefault("coh_a", cells[0])
    st.session_state.setdefault("coh_b", cells[1] if cells[1] != st.session_state["coh_a"] else cells[0])
    a = k1.selectbox("Cohort A", cells, key="coh_a")
    b = k2.selectbox("Cohort B", cells, key="coh_b")
    (a1, a2), (b1, b2) = split(a), split(b)
    side = survey_state.compare(period, filters, metric, by, a1, b1, by2, a2, b2, level)
    verdict = str(side.iloc[0]["verdict"])
    diff = float(side.iloc[0]["difference"])
    by_how_much = ("" if diff != diff else  # NaN: a cohort is too small to show
                   f" differs by {diff:+.2f}{' pts' if unit in ('%', 'points') else (' h' if unit == 'hours' else '')}")
    (st.success if bool(side.iloc[0]["significant"]) else st.info)(
        f"{safe.md(a)} vs {safe.md(b)}: {title}{by_how_much} — {verdict}")
    tables.show(side, unit=unit, min_n=s.min_cell_n, key="coh_compare")
else:
    st.caption("Needs at least two cohorts in the table.")

st.subheader("Spread inside each cohort")
st.caption("Not just the mean: box = middle half (p25–p75), line = median, whiskers = p10–p90. A cohort is many "
           "different people.")
spread = survey_state.spread(period, filters, metric, by, by2, level)
safe.chart(charts_surveys.spread_boxes(spread, title=str(spread["what"].iloc[0]) if len(spread) else title,
                                      min_n=s.min_cell_n), width="stretch", key="coh_spread")
if is_survey and by2 == "all":
    dist = survey_state.score_distribution(period, filters, surveys.SOURCE_METRIC[metric], by,
                                           level, ())
    safe.chart(charts_surveys.distribution_bars(dist), width="stretch", key="coh_dist")

st.subheader("Signup cohorts over time")
g1, g2 = st.columns(2)
grid_metric = g1.selectbox("Grid", cohorts.GRID_METRICS, key="coh_grid",
                           format_func=lambda m: "Retention %" if m == "retention" else cohorts.METRICS[m])
st.session_state.setdefault("coh_grid_grain", "quarter")
grid_grain = g2.selectbox("Signup cohorts by", cohorts.GRID_GRAINS, key="coh_grid_grain")
grid = survey_state.grid(filters, grid_metric, grid_grain)
safe.chart(charts_surveys.grid_heatmap(
    grid, unit="%" if grid_metric == "retention" else cohorts.UNITS[grid_metric],
    title="retained %" if grid_metric == "retention" else cohorts.METRICS[grid_metric], min_n=s.min_cell_n,
    period_word="months" if grid_grain == "month" else "quarters"), width="stretch", key="coh_grid_chart")
st.caption(catalog.definition("cohort_grid") + " The grid covers every signup in the data (the date range does not "
           "apply); the plan, region and segment filters do.")

st.subheader("The rows behind a cell")
if by2 == "all":
    st.caption("Pick a cell, or click a bar above.")
cell = None
if cells:
    st.session_state.setdefault("coh_cell", a if a in cells else cells[0])
    cell = st.selectbox("Cell", cells, key="coh_cell")
    v1, v2 = split(cell)
    rows_behind = survey_state.drill_rows(period, filters, metric, by, v1, by2, v2, level)
    what = "responses" if is_survey else ("tickets" if metric == "resolution_hours" else "customers")
    st.caption(f"{len(rows_behind):,} {what} (at most 5,000)")
    # a cohort that is a column of the rows already (plan, region...) is not repeated
    repeated = [c for c, d in (("dim1", by), ("dim2", by2)) if d in rows_behind.columns or d == "all"]
    tables.show(rows_behind.drop(columns=repeated), labels={"dim1": label(by), "dim2": label(by2)}, key="coh_rows")
    auth.download_button(f"Download these {len(rows_behind):,} {what} (CSV)", to_safe_csv(rows_behind),
                       f"cx-cohort-{metric}-{v1}-{v2}.csv", key="coh_rows_download",
                       icon=":material/download:")

url_state.write_url({"metric": metric, "by": by, "by2": by2, "level": level if is_survey else None, "a": a, "b": b,
                     "cell": cell, "grid": grid_metric, "grid_grain": grid_grain})
