"""Themes: the reasons behind the numbers, from ticket text and survey comments."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from cx_metrics import catalog as metrics_catalog
from cx_metrics.charts import themes as theme_charts
from cx_metrics.columns import choice_label
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics.themes import MIX_DIMENSIONS
from cx_metrics.models.theme_store import SOURCE_LABELS
from cx_metrics.models.themes import ThemeError
from cx_ui import auth, safe, state, tables, theme_state

#: each corpus has its own theme model: ticket text and survey comments share words, not reasons
SOURCES = {"tickets": ("tickets", ("ticket",)), "survey comments": ("comments", ("survey",))}
#: set by the Complaint trends page to open a theme here
FOCUS_KEY = "themes_focus"

st.title("Themes")
user = auth.require("view")
can_edit = user.can("rows")  # fitting and naming themes: analysts and admins
state.require_data()
period, filters = state.current_view()
st.caption(f"**{period.label()}** · {filters.describe(safe.md)} · personal data (e-mails, phone, card numbers, "
           "IBANs) is redacted in every text shown or exported, and a vendor's own masks (XXXX, {$21.00}) are "
           "redactions too, never theme words")


def _progress_fit(action: str) -> None:
    bar = st.progress(0.0, text="Starting...")
    try:
        if action == "fit":
            results = theme_state.fit_themes(lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            st.session_state["themes_notice"] = "Fitted " + "; ".join(
                f"{r.n_themes} themes over {r.documents:,} {SOURCE_LABELS[r.source]} in {r.seconds:.0f} s "
                f"({len(r.kept)} kept their names from the previous fit, {len(r.new)} new"
                + (f"; {r.split} holding unrelated kinds of text split into one theme per kind" if r.split else "")
                + ")" for r in results) + "."
        else:
            n = theme_state.assign_new_themes(lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            st.session_state["themes_notice"] = f"Assigned themes to {n:,} new texts with the saved model."
    except ThemeError as exc:
        st.session_state["themes_notice"] = None
        st.error(safe.md(str(exc)))
        return
    st.rerun()


fits, unassigned = theme_state.theme_fit_status()
if st.session_state.get("themes_notice"):
    st.success(st.session_state.pop("themes_notice"))
if not fits:
    st.info("No theme model yet. Fitting reads every ticket subject/description and survey comment (one model "
            "each), chooses the number of themes by a stability check and takes from seconds to a few minutes.")
    if can_edit and st.button("Fit themes", key="themes_fit", type="primary"):
        _progress_fit("fit")
    st.caption(metrics_catalog.definition("themes"))
    st.stop()

if st.session_state.get(FOCUS_KEY) is not None:  # a complaint mover's theme: a ticket theme
    st.session_state["themes_kinds"] = "tickets"
source_label = st.radio("Texts", list(SOURCES), horizontal=True, key="themes_kinds",
                        help="Ticket text and survey comments have separate theme models: a comment and a ticket "
                             "can share words without sharing a reason.")
source, kinds = SOURCES[source_label]
fit = fits.get(source) or next(iter(fits.values()))

left, mid, right = st.columns([3, 1, 1])
left.caption(
    f"Model #{fit['fit_id']} fitted {pd.Timestamp(fit['fitted_at']):%d %b %Y %H:%M} UTC on {fit['documents']:,} "
    f"{SOURCE_LABELS.get(str(fit['corpus']), 'texts')} ({fit['sample_size']:,} sampled): **{fit['n_themes']} "
    "themes**, " + ("number chosen by stability." if fit["chosen_by"] == "stability" else "number fixed."))
if source not in fits:
    st.warning(f"No theme model of the {SOURCE_LABELS[source]} yet (too few of them when the themes were "
               "fitted, or fitted before they had a model of their own): Refit.")
if can_edit and mid.button("Refit", key="themes_refit",
                           help="Refits both models. Names, pins and merges are kept: themes are matched to the "
                                "previous fit's by their terms."):
    _progress_fit("fit")
if can_edit and unassigned and right.button(f"Assign {unassigned:,} new texts", key="themes_assign"):
    _progress_fit("assign")
with st.expander("How the number of themes was chosen"):
    curve = json.loads(fit["stability"]) if isinstance(fit["stability"], str) else {}
    safe.chart(theme_charts.stability(curve, int(fit["n_themes"])), width="stretch", key="themes_stability")
    st.caption("For each candidate number, the model is refitted with different seeds on a sample; stability is "
               "the mean cosine similarity of the matched themes' terms. The largest number within 0.02 of the "
               "most stable is kept (pinned themes the refit did not find come on top).")

catalog = theme_state.theme_catalog(source)
shown = catalog[catalog["active"] | catalog["pinned"]].copy()
live = shown[shown["merged_into"].isna()]
label_of = dict(zip(catalog["theme_key"], catalog["theme"], strict=True))

st.subheader("Themes")
can_read = user.can("verbatims")  # example texts are verbatims: analysts and admins
table = live.assign(
    top_terms=live["top_terms"].map(lambda t: ", ".join(t[:6])),
    example=live["examples"].map(lambda e: e[0] if e else "") if can_read else "(needs the analyst role)",
    merged=[", ".join(label_of[k] for k in catalog.loc[catalog["merged_into"] == key, "theme_key"])
            for key in live["theme_key"]],
)[["theme_key", "theme", "pinned", "documents", "share", "top_terms", "example", "merged"]]
tables.show(table.assign(theme_key=table["theme_key"].astype(str)), key="themes_table",
            labels={"theme_key": "Number", "share": "Share of texts", "merged": "Merged in"})
st.caption(metrics_catalog.definition("themes") + " Counts here are over every text, whatever the date range.")

with st.expander("Rename, pin or merge a theme"):
    keys = shown["theme_key"].tolist()
    picked = st.selectbox("Theme", keys, format_func=lambda k: f"{k}: {label_of[k]}", key="themes_edit_key")
    row = catalog[catalog["theme_key"] == picked].iloc[0]
    c1, c2 = st.columns([3, 1])
    new_name = c1.text_input("Name (blank: the automatic label)", value=row["name"] or "", key="themes_edit_name",
                             placeholder=row["auto_label"])
    if can_edit and c2.button("Rename", key="themes_rename"):
        theme_state.edit_theme("rename", int(picked), new_name)
        st.rerun()
    c3, c4, c5 = st.columns(3)
    if can_edit and c3.button("Unpin" if row["pinned"] else "Pin", key="themes_pin",
                 help="A pinned theme is listed first and kept by every refit, even one that does not find it."):
        theme_state.edit_theme("unpin" if row["pinned"] else "pin", int(picked))
        st.rerun()
    targets = [k for k in live["theme_key"] if k != picked]
    if pd.notna(row["merged_into"]):
        c4.caption(f"Merged into {safe.md(label_of[int(row['merged_into'])])}")
        if can_edit and c5.button("Unmerge", key="themes_unmerge"):
            theme_state.edit_theme("unmerge", int(picked))
            st.rerun()
    elif targets:
        into = c4.selectbox("Merge into", targets, format_func=lambda k: label_of[k], key="themes_merge_into")
        if can_edit and c5.button("Merge", key="themes_merge",
                                  help="Counted as that theme everywhere; undo with Unmerge."):
            try:
                theme_state.edit_theme("merge", int(picked), int(into))
            except ThemeError as exc:
                st.error(safe.md(str(exc)))
            else:
                st.rerun()
    st.caption("Terms: " + safe.md(", ".join(row["top_terms"])))
    for example in row["examples"] if can_read else []:
        st.markdown(f"> {safe.md(example)}")

st.subheader("Volume and share over time")
g1, g2 = st.columns([1, 3])
grain = g1.selectbox("Bucket", ["week", "month", "day"], key="themes_grain")
volume = theme_state.theme_volume(period, filters, grain, kinds)
flags = theme_state.theme_anomalies(period, filters, grain, kinds)
order = volume.drop_duplicates("theme_key")  # themes come biggest first in every bucket
chosen = g2.multiselect("Themes", order["theme_key"].tolist(), default=order["theme_key"].head(5).tolist(),
                        format_func=lambda k: label_of.get(k, str(k)), key="themes_chart_keys")
safe.chart(theme_charts.share_over_time(volume, chosen, flags, grain=grain), width="stretch",
           key="themes_share_chart")
st.caption(metrics_catalog.definition("theme_volume") + " Buckets cut by the date range or by the data's start or end "
           "are dashed and labelled partial; red rings are anomalies.")
flagged = flags[flags["is_anomaly"]] if not flags.empty else flags
if flagged.empty:
    st.success("No theme anomaly in this period.")
else:
    tables.show(flagged[["period_start", "theme", "documents", "baseline", "z", "description"]], unit="count",
                labels={"period_start": f"{grain.capitalize()} starting", "description": "What it means"},
                key="themes_anomalies")

st.subheader("Emerging themes vs the previous period")
emerging = theme_state.emerging_themes(period, filters, kinds)
if emerging.empty:
    for note in emerging.attrs.get("notes", []) or ["Not enough texts in this and the previous period to compare."]:
        st.info(note)
else:
    tables.show(emerging.assign(change=[("new" if k0 == 0 else f"{v:+.0%}") for v, k0 in
                                        zip(emerging["change"], emerging["prev_documents"], strict=True)]),
                key="themes_emerging")
    st.caption(metrics_catalog.definition("emerging_themes"))

st.subheader("What moves the score")
st.caption("From the survey comments' themes, whichever texts are chosen above: a score moves with what its "
           "respondents wrote.")
metric = st.radio("Score", ["nps", "csat"], horizontal=True, key="themes_metric", format_func=str.upper)
impact = theme_state.theme_impact(period, filters, metric)
safe.chart(theme_charts.impact_bars(impact, metric=metric), width="stretch", key="themes_impact_chart")
if not impact.empty:
    worst, best = impact.iloc[0], impact.iloc[-1]
    st.markdown(f"Drags {metric.upper()} down most: **{safe.md(worst['theme'])}** ({worst['impact']:+.2f} points, "
                f"95% CI {worst['ci_low']:+.2f} to {worst['ci_high']:+.2f}); lifts it most: "
                f"**{safe.md(best['theme'])}** "
                f"({best['impact']:+.2f}, {best['ci_low']:+.2f} to {best['ci_high']:+.2f}). "
                f"{int(impact['all_responses'].iloc[0]):,} responses; faded bars have n < "
                f"{state.settings().min_cell_n}.")
    with st.expander("Impact table"):
        tables.show(impact, min_n=state.settings().min_cell_n, key="themes_impact")
st.caption(metrics_catalog.definition("theme_impact"))

st.subheader("Theme mix by channel and cohort")
by = st.selectbox("Compare across", MIX_DIMENSIONS, format_func=choice_label, key="themes_mix_by")
mix = theme_state.theme_mix(period, filters, by, kinds)
safe.chart(theme_charts.mix_heatmap(mix), width="stretch", key="themes_mix_chart")
st.caption(metrics_catalog.definition("theme_mix") + " Blue: over-represented (lift > 1); red: under-represented.")

st.subheader("Product requests")
requests = theme_state.product_requests(period, filters, kinds)
if requests.empty:
    st.info("No text asks for a feature in this period.")
else:
    if not user.can("verbatims"):
        st.info(":material/lock: The requests' own words need the analyst role.")
    else:
        tables.show(requests, key="themes_requests")
        auth.download_button(f"Download the {len(requests):,} requests (CSV)", to_safe_csv(requests),
                             f"product-requests-{period.start:%Y-%m-%d}.csv", key="themes_requests_download")
st.caption(metrics_catalog.definition("product_requests"))

st.subheader("The texts behind a theme")
choices = live["theme_key"].tolist()
focus = st.session_state.pop(FOCUS_KEY, None)
if focus in choices:
    st.session_state["themes_verbatim_key"] = focus
if choices and not user.can("verbatims"):
    st.info(":material/lock: The texts behind a theme need the analyst role.")
elif choices:
    theme_key = st.selectbox("Theme", choices, format_func=lambda k: label_of[k], key="themes_verbatim_key")
    rows = theme_state.theme_verbatims(period, filters, int(theme_key), kinds)
    tables.show(rows, key="themes_verbatims")
    auth.download_button(f"Download these {len(rows):,} texts (CSV, redacted)", to_safe_csv(rows),
                         f"theme-{theme_key}-{period.start:%Y-%m-%d}.csv", key="themes_verbatims_download")
