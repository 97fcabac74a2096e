"""Churn: who we are losing, whether support is why, and who is at risk now."""

from __future__ import annotations

from functools import partial

import streamlit as st

from cx_metrics import catalog
from cx_metrics.charts import churn as churn_charts
from cx_metrics.columns import choice_label
from cx_metrics.export import to_safe_csv
from cx_metrics.metrics.churn import COHORTS, EXPERIENCES, EXPOSURE_DAYS, GRAINS, lift_landmark, recovery_period
from cx_metrics.models.churn_store import card_markdown
from cx_ui import auth, churn_state, overview_state, safe, state, tables
from cx_ui import tiles as kpi_tiles

COHORT_LABELS = partial(choice_label, everything="All customers")

st.title("Churn")
user = auth.require("view")
state.require_data()
period, filters = state.current_view()
s = state.settings()
definition = churn_state.churn_definition()
st.caption(f"**{period.label()}** · {filters.describe(safe.md)} (the channel filter does not apply to churn)")
# the answer first: how many customers the period lost, against the period before (the Overview's own tile)
kpi_tiles.tiles(overview_state.kpis(period, filters), ["churn"])
st.info(definition.describe(), icon=":material/rule:")
with st.expander("How churn is defined and set"):
    st.markdown(catalog.definition("churn_definition"))
    st.markdown(f"In force: mode **{definition.mode}**"
                + (f", N = **{definition.inactivity_days} days**" if definition.mode == "activity" else "")
                + f"; horizon **{definition.horizon_days} days** for the lift, recovery and risk model. "
                "Change them in `cx.toml` under `[churn]` (`mode`, `inactivity_days`, `horizon_days`).")

found = state.contents()
if not (found.own_rows.get("customers") or found.demo_rows.get("customers")):
    st.info("This data holds no customers (a tickets-only export, say), so there is no churn to show: churn is "
            "read from a customer export (one row per customer, with a churn date or flag). Load one on *Upload "
            "exports*.", icon=":material/person_off:")
    st.stop()
if definition.undated_churned or not definition.timed:
    st.subheader("Churn share of the customer snapshot")
    snap_by = st.selectbox("Compare", [c for c in COHORTS if c != "signup_year"], format_func=COHORT_LABELS,
                           key="churn_snapshot_by")
    snapshot_all = churn_state.snapshot_churn(filters, "all")
    if snapshot_all.empty:
        st.info("No customer matches these filters, so there is no snapshot share to show.")
    else:
        whole = snapshot_all.iloc[0]
        left, right = st.columns([1, 2])
        left.metric("Churned (snapshot share)", f"{whole['churn_share']:.1%}" if whole["customers"] else "no customers",
                    help=catalog.definition("churn_snapshot"))
        right.markdown(f"**{int(whole['churned']):,}** of **{int(whole['customers']):,}** customers are flagged "
                       f"churned (95% CI {whole['churn_low']:.1%}–{whole['churn_high']:.1%}). This is the state of "
                       "the customer table, not a rate per period: the data does not say when they left.")
        if snap_by != "all":
            snapshot = churn_state.snapshot_churn(filters, snap_by)
            tables.show(snapshot, labels={"cohort": COHORT_LABELS(snap_by)}, min_n=s.min_cell_n, key="churn_snapshot")
    st.caption(catalog.definition("churn_snapshot"))

if not definition.timed:
    st.warning("This data has no churn dates (or no start dates), so churn rates, retention curves, the complaint "
               "lift and the recovery view cannot be placed in time. The snapshot share above and the risk model "
               "below still work (the model in customers-only mode).")
else:
    st.subheader("Churn rate")
    left, right = st.columns(2)
    grain = left.selectbox("Per", GRAINS, key="churn_grain")
    by = right.selectbox("Compare", COHORTS, format_func=COHORT_LABELS, key="churn_by")
    rates = churn_state.churn_rates(period, filters, grain, by)
    safe.chart(churn_charts.churn_trend(rates, grain=grain, colors=state.colors(by)),
               width="stretch", key="churn_trend")
    cohort_by = by if by != "all" else "plan"
    cohorts = churn_state.churn_by_cohort(period, filters, cohort_by)
    st.markdown(f"Over the whole period, by **{COHORT_LABELS(cohort_by).lower()}**:")
    tables.show(cohorts, labels={"cohort": COHORT_LABELS(cohort_by)}, min_n=s.min_cell_n, key="churn_cohorts")
    st.caption(catalog.definition("churn") + " In the chart they are dashed and labelled partial.")
    auth.download_button("Download churn by cohort (CSV)", lambda: to_safe_csv(cohorts), f"churn-by-{cohort_by}.csv",
                         key="churn_cohorts_download")

    st.subheader("Retention curves")
    km_by = st.selectbox("Cohorts", [c for c in COHORTS if c != "all"], index=4, format_func=COHORT_LABELS,
                         key="churn_km_by")
    curves = churn_state.retention_curves(filters, km_by)
    safe.chart(churn_charts.retention(curves, min_n=s.min_cell_n, colors=state.colors(km_by)),
               width="stretch", key="churn_km")
    st.caption(catalog.definition("retention") + f" Cohorts of fewer than {s.min_cell_n} customers are dotted.")

    st.subheader("Do complaints cost customers?")
    lift = churn_state.complaint_lift(filters)
    rows = lift.set_index("group")
    if {"handled badly", "no complaint"} <= set(rows.index):
        by_group = rows.to_dict("index")
        bad, base = by_group["handled badly"], by_group["no complaint"]
        verdict = "significantly more often" if bad["significant"] and bad["lift"] > 1 else (
            "not distinguishably more often" if not bad["significant"] else "less often")
        st.markdown(
            f"Customers whose complaint was **handled badly** churned **{bad['lift']:.2f}x** as often as customers "
            f"without a complaint (95% CI {bad['lift_low']:.2f}–{bad['lift_high']:.2f}; {bad['churn_rate']:.1%} of "
            f"{int(bad['customers']):,} vs {base['churn_rate']:.1%} of {int(base['customers']):,}): "
            f"**{verdict}**.")
    safe.chart(churn_charts.lift(lift), width="stretch", key="churn_lift")
    tables.show(lift, min_n=s.min_cell_n, key="churn_lift_table")
    landmark = lift_landmark(definition)
    st.caption(f"Landmark **{landmark:%d %b %Y}**: complaints from {EXPOSURE_DAYS} days before it, churn in the "
               f"{definition.horizon_days} days after it. " + catalog.definition("complaint_lift"))

    st.subheader("Service recovery")
    window, moved = recovery_period(definition, period)
    st.caption(f"First tickets created **{window.label()}**" + (" (the period above)." if not moved else "."))
    if moved:
        st.info(moved, icon=":material/date_range:")
    recovery = churn_state.service_recovery(window, filters)
    verdict_rows = churn_state.recovery_verdict(window, filters)
    overall = verdict_rows[verdict_rows["priority"] == "All priorities"]
    if overall.empty:
        st.info("Not enough customers with and without a failure in the window to compare.")
    for row in overall.to_dict("records"):
        (st.success if row["paradox"] else st.warning)(safe.md(row["text"]))
    if not verdict_rows.empty and not verdict_rows["paradox"].any():
        st.markdown("**The data shows no recovery paradox**: in no priority does a failure fixed fast leave "
                    "customers better off than no failure at all. Preventing failures beats recovering from them.")
    measure = st.radio("Show", ["churn", "CSAT"], horizontal=True, key="churn_recovery_measure")
    safe.chart(churn_charts.recovery(recovery, measure="churn" if measure == "churn" else "csat"),
                    width="stretch", key="churn_recovery")
    tables.show(recovery, min_n=s.min_cell_n, key="churn_recovery_table")
    with st.expander("Per priority"):
        tables.show(verdict_rows[["priority", "measure", "text"]], labels={"text": "Verdict"}, key="churn_verdicts")
    safe.chart(churn_charts.retention(churn_state.experience_curves(window, filters),
                                           x_title="days since the landmark (first ticket + 14 days)",
                                           order=list(EXPERIENCES), min_n=s.min_cell_n),
                    width="stretch", key="churn_recovery_km")
    st.caption(f"Index tickets created {window.label()}. " + catalog.definition("service_recovery"))

st.subheader("Churn risk model")
status, why = churn_state.churn_model_status()
card = churn_state.churn_model_card() if status != "missing" else None
if status == "current":
    st.caption(f":material/check_circle: {why}")
else:
    st.warning(why + (" The figures below are from the previous model until you retrain." if card else ""))
if not user.can("rows"):
    st.caption(":material/lock: Training the model and the at-risk list need the analyst role.")
elif st.button("Train the model now" if status == "missing" else "Retrain the model", key="churn_train",
               type="primary" if status != "current" else "secondary"):
    bar = st.progress(0.0, text="Starting")
    try:
        card = churn_state.train_churn_model(
            lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text))
        status = "current"
        st.success(f"Trained on {card['split']['train']:,} rows; ROC-AUC {card['metrics']['roc_auc']:.3f} on the "
                   "held-out split.")
    except ValueError as exc:
        st.error(safe.md(str(exc)))
if card:
    m = card["metrics"]
    cols = st.columns(4)
    cols[0].metric("ROC-AUC (held out)", f"{m['roc_auc']:.3f}", help=catalog.definition("churn_model"))
    cols[1].metric("PR-AUC", f"{m['pr_auc']:.3f}",
                   help=f"Base rate {m['base_rate']:.1%}: what a random ranking scores.")
    cols[2].metric("Brier score", f"{m['brier']:.4f}", help=f"Before calibration {m['brier_uncalibrated']:.4f}.")
    cols[3].metric("Top-decile lift", f"{m['top_decile_lift']:.2f}x",
                   help=f"{m['top_decile_rate']:.1%} churned among the riskiest 10% vs {m['base_rate']:.1%} overall.")
    st.caption(f"Mode: **{card['mode']}** · label: {card['label']} · test split: {card['split']['test']:,} customers, "
               f"{card['split']['test_positives']:,} churned · {catalog.definition('churn_model')}")
    left, right = st.columns(2)
    with left:
        st.markdown("**Global drivers** (support experience in red)")
        safe.chart(churn_charts.importance(card["importance"]), width="stretch", key="churn_importance")
    with right:
        st.markdown("**Calibration on the held-out split**")
        safe.chart(churn_charts.reliability(card["reliability"]), width="stretch", key="churn_reliability")
    with st.expander("Model card"):
        st.markdown(card_markdown(card))

    st.subheader("At risk now")
    top = st.select_slider("Customers", [25, 50, 100, 250, 500, 1000], value=100, key="churn_top")
    if not user.can("rows"):
        st.caption(":material/lock: The customers at risk, with their reasons, need the analyst role.")
    elif status == "current":
        at_risk = churn_state.churn_scores(str(card["trained_at"]), filters, int(top))
        tables.show(at_risk, labels={"risk": f"Churn risk within {card['horizon_days']} days"},
                    widths={"reasons": "large"}, key="churn_at_risk")
        auth.download_button(f"Download these {len(at_risk):,} customers (CSV)", to_safe_csv(at_risk),
                             "churn-at-risk.csv", key="churn_download")
        st.caption("Risk is the calibrated probability of churning within the horizon. Reasons: the features whose "
                   "typical value would lower this customer's risk most. Last contact: the latest ticket or survey "
                   "answer.")
    else:
        st.info("Retrain the model to list the customers at risk on the current data.")
