"""Follow-ups: the customers we failed, worked as a list (claim, close with outcome and note), and whether following
up works (churn and later NPS of followed-up customers against comparable ones), with coverage by team."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import streamlit as st

from cx_metrics import catalog, followups, stats
from cx_metrics.charts import followups as followup_charts
from cx_metrics.export import to_safe_csv
from cx_ui import auth, safe, state, tables
from cx_ui import followup_state as fstate

st.title("Follow-ups")
user = auth.require("view")
state.require_data()
period, filters = state.current_view()
s = state.settings()
rev = fstate.revision()
FLASH = "followups.flash"

st.caption(f"**Policy.** {safe.md(followups.describe_policy(s))}")

cov = fstate.coverage(rev, period, filters, "all")
due, in_time = int(cov["due"].sum()), int(cov["in_time"].sum())
closed = in_time + int(cov["late"].sum())
left, mid, right = st.columns(3)
with left, st.container(border=True):
    ci = stats.wilson_ci(in_time, due, s.confidence)
    st.metric("Coverage", f"{in_time / due:.0%}" if due else "—",
              help="Share of the follow-ups due in the period (and by the latest data) closed on or before their "
                   "due date.")
    st.caption(f"{in_time:,} of {due:,} due closed in time" +
               (f" · {int(s.confidence * 100)}% CI {ci.low:.0%} – {ci.high:.0%}" if due else "") +
               (f" · n < {s.min_cell_n}: too few to judge" if 0 < due < s.min_cell_n else ""))
with mid, st.container(border=True):
    st.metric("Closed late", f"{closed - in_time:,}", help="Followed up after the due date.")
    st.caption(f"{due - closed:,} due in the period not closed")
with right, st.container(border=True):
    med = cov["median_days"].dropna()
    st.metric("Days to follow-up", f"{float(med.median()):.0f}" if len(med) else "—",
              help="Median whole days from the failure to the follow-up, of the month medians in the period.")
    st.caption(period.label())

# --- the worklist (CX leads and admins) ------------------------------------------------------------------------
st.subheader("Worklist")
if not user.can("followup"):
    st.info("The worklist (who to get back to, and what they told us) is for CX leads and admins; this role sees "
            "coverage and whether following up works.")
else:
    wl = fstate.worklist(rev, filters)
    risk, risk_note = fstate.churn_risk()
    wl = wl.merge(risk, on="customer_id", how="left") if risk is not None else wl.assign(risk=math.nan)
    as_of = wl.attrs.get("as_of")
    when = f" ({pd.Timestamp(as_of):%d %b %Y %H:%M} UTC)" if as_of is not None else ""
    st.caption(f"{len(wl):,} customers waiting as of the latest data{when}, "
               f"{int(wl['overdue'].sum()):,} overdue, {int((wl['status'] == 'claimed').sum()):,} claimed. Soonest due "
               "first. The suggested owner is the team and assignee of the ticket behind the item.")
    f1, f2, f3 = st.columns([2, 2, 1])
    kinds = f1.multiselect("Failure", list(followups.KINDS), format_func=followups.KINDS.__getitem__,
                           key="followups_kinds", placeholder="All")
    teams = f2.multiselect("Team", sorted(wl["team"].dropna().unique()), key="followups_teams", placeholder="All")
    mine = f3.toggle("Claimed by me", key="followups_mine")
    view = wl
    if kinds:
        view = view[view["kind"].isin(kinds)]
    if teams:
        view = view[view["team"].isin(teams)]
    if mine:
        view = view[view["claimed_by"] == user.label]
    verbatims = user.can("verbatims")
    shown = ["item_key", "kind_label", "severity", "why", "customer_id", "due_at", "overdue", "team", "assignee",
             "status", "claimed_by", "plan", "tenure_days", "risk", "contacts_90d", "complaints_90d",
             *(["verbatim"] if verbatims else [])]
    tables.show(view[shown], key="followups_table", height=320)
    st.caption(safe.md(risk_note) + ("" if verbatims else " What the customers wrote is shown to roles that may "
                                                              "read verbatim comments (analyst, admin)."))
    auth.download_button("Download the list for the dialer (CSV)",
                         lambda: to_safe_csv(followups.dialer_frame(view, verbatims=verbatims)),
                         f"followups-{dt.date.today()}.csv", key="followups_download", permission="followup",
                         icon=":material/download:")

    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    if view.empty:
        st.info("Nobody in this selection is waiting for a follow-up.")
    else:
        items = {str(r["item_key"]): r for r in view.to_dict("records")}
        key = st.selectbox(
            "Item to work", list(items), key="followups_item",
            format_func=lambda k: f"{k} · {items[k]['kind_label']} · customer {items[k]['customer_id']} · due "
                                  f"{pd.Timestamp(items[k]['due_at']):%d %b %Y %H:%M}")
        rec = items[str(key)]
        with st.container(border=True):
            st.markdown(f"**{safe.md(rec['kind_label'])}** ({safe.md(rec['severity'])}) · item {safe.md(key)}: "
                        f"{safe.md(rec['why'])}")
            tenure = "" if pd.isna(rec["tenure_days"]) else f", {int(rec['tenure_days']):,} days a customer"
            tenure += "" if pd.isna(rec["risk"]) else f", churn risk {rec['risk']:.0%}"
            st.markdown(
                f"**At stake:** customer {safe.md(rec['customer_id'])}, plan {safe.md(rec['plan'] or 'unknown')}"
                f"{tenure}; {int(rec['contacts_90d'])} tickets ({int(rec['complaints_90d'])} complaints) in the 90 "
                "days before.  \n"
                f"**Suggested owner:** {safe.md(rec['team'])}"
                + (f" ({safe.md(rec['assignee'])})" if rec["assignee"] else "")
                + f" · **due** {pd.Timestamp(rec['due_at']):%d %b %Y %H:%M} UTC"
                + (" (overdue)" if rec["overdue"] else ""))
            if verbatims and isinstance(rec["verbatim"], str) and rec["verbatim"]:
                st.markdown(f"> {safe.md(rec['verbatim'])}")
            if rec["status"] == "open":
                if st.button("Claim", key="followups_claim", type="primary", icon=":material/pan_tool:"):
                    try:
                        fstate.claim(str(key), user.label)
                    except followups.FollowupError as exc:
                        st.error(safe.md(str(exc)))
                    else:
                        st.session_state[FLASH] = f"You claimed {safe.md(key)}."
                        st.rerun()
            else:
                who = "you" if rec["claimed_by"] == user.label else safe.md(rec["claimed_by"])
                st.caption(f"Claimed by {who} at {pd.Timestamp(rec['claimed_at']):%d %b %Y %H:%M} UTC.")
                with st.form("followups_close_form", clear_on_submit=True):
                    outcome = st.radio("Outcome", list(followups.OUTCOMES), format_func=followups.OUTCOMES.__getitem__,
                                       horizontal=True, key="followups_outcome")
                    note = st.text_area("Note", max_chars=followups.NOTE_MAX, key="followups_note",
                                        placeholder="What the customer said, what was agreed")
                    day = st.date_input("Contacted on", value=dt.date.today(), key="followups_date",
                                        max_value=dt.date.today())
                    if st.form_submit_button("Close", type="primary", icon=":material/task_alt:"):
                        try:
                            fstate.close(str(key), user.label, outcome=str(outcome), contacted_on=day, note=note,
                                         version=int(rec["version"]))
                        except followups.FollowupError as exc:
                            st.error(safe.md(str(exc)))
                        else:
                            st.session_state[FLASH] = (f"Closed {safe.md(key)}: {followups.OUTCOMES[str(outcome)]}. "
                                                       "It has left the list.")
                            st.rerun()

# --- did it work? ------------------------------------------------------------------------------------------------
st.subheader("Did it work?")
window, why = fstate.effect_period(period)
if window is None:
    st.info(why, icon=":material/info:")
else:
    if why:
        st.caption(safe.md(why))
    est = fstate.effect(rev, window, filters)
    for note in est.notes:
        st.info(note, icon=":material/info:")
    if not est.by_kind.empty:
        safe.chart(followup_charts.effect_forest(est.by_kind[est.by_kind["kind"] != "all"]), width="stretch",
                   key="followups_forest")
        for rec in est.by_kind.to_dict("records"):
            if math.isnan(rec["risk_ratio"]):
                continue
            st.markdown(
                f"**{safe.md(rec['kind_label'])}**: {rec['followed_churn']:.1%} of the customers followed up churned "
                f"within 90 days, against {rec['not_followed_churn']:.1%} of comparable customers who were not "
                f"(stratified risk ratio {rec['risk_ratio']:.2f}, {int(s.confidence * 100)}% CI {rec['rr_low']:.2f} – "
                f"{rec['rr_high']:.2f}; n = {int(rec['followed_n']):,} and {int(rec['not_followed_n']):,}).")
        tables.show(followups.effect_table(est.by_kind), key="followups_effect", min_n=s.min_cell_n)
    st.caption(f"**How this is compared.** {est.design} {catalog.definition('followup_effect')}")  # our own words
    st.warning(followups.CAUTION, icon=":material/warning:")

# --- coverage by team ----------------------------------------------------------------------------------------------
st.subheader("Coverage and time to follow-up by team")
by_team = fstate.coverage(rev, period, filters, "team")
safe.chart(followup_charts.coverage_trend(by_team, colors=state.colors("group")), width="stretch",
           key="followups_coverage_chart")
tables.show(by_team, key="followups_coverage", min_n=s.min_cell_n)
st.caption(catalog.definition("followup_coverage") + " Hollow points: fewer than the minimum n items.")

# --- closed follow-ups, with notes (roles that may read them) -------------------------------------------------------
if followups.may_read_notes(user.role):
    st.subheader("Closed in this period")
    closed_rows = fstate.done(period)
    tables.show(closed_rows.drop(columns=["kind"]), key="followups_done", height=260)
    if user.can("admin") and not closed_rows.empty:
        with st.expander("Undo a follow-up (admins)"):
            undo_key = st.selectbox("Item", closed_rows["item_key"].tolist(), key="followups_undo_item")
            if st.button("Undo its last action", key="followups_undo"):
                try:
                    what = fstate.undo(str(undo_key), user.label, user.role)
                except followups.FollowupError as exc:
                    st.error(safe.md(str(exc)))
                else:
                    st.session_state[FLASH] = f"Undid the {what} of {safe.md(undo_key)}; the audit log has it."
                    st.rerun()
