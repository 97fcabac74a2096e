"""Digests and alerts (admins and CX leads): who delivers (this dashboard's heartbeat, or what to do), who gets which
digest how often, the alert rules with their backtest, what fired, and the outbox of messages sent, waiting and
failed."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cx_metrics import audit
from cx_metrics.alerts import evaluate, rules
from cx_metrics.delivery import outbox
from cx_metrics.digest import figures as figs
from cx_metrics.digest import subscriptions as subs
from cx_metrics.filters import Filters
from cx_metrics.metrics.complaints import DIMENSIONS
from cx_metrics.text.escape import md
from cx_ui import auth, digest_state, state

st.title("Digests and alerts")
user = auth.require("subscriptions")
options = state.filter_options()


@st.fragment(run_every=dt.timedelta(seconds=30))
def delivery_panel() -> None:
    """Who sends the due digests and runs the alert rules: this dashboard (its heartbeat), or nobody while it runs."""
    status = digest_state.delivery_status()
    if status.healthy:
        st.success(status.summary, icon=":material/schedule_send:")
    else:
        st.warning(status.summary, icon=":material/warning:")
    beat = status.beat
    if beat is None:
        return
    last_run = (f"{beat.last_run:%Y-%m-%d %H:%M:%S} UTC" if beat.last_run else "none yet: nothing has been due since "
                "it started")
    facts = [f"Last check: {beat.beat_at:%Y-%m-%d %H:%M:%S} UTC", f"Last delivery run: {last_run}"]
    if status.next_check is not None:
        facts.append(f"Next check: about {status.next_check:%Y-%m-%d %H:%M:%S} UTC")
    st.caption(" · ".join(facts))
    if beat.last_error:
        st.error(f"The last attempt failed: {md(beat.last_error)}", icon=":material/error:")
    if beat.last_lines:
        with st.expander("What the last run sent and evaluated"):
            st.code("\n".join(beat.last_lines), language=None)


delivery_panel()
st.caption("Each delivery is in the audit log and the Outbox tab. Mail and webhook credentials live in the secrets "
           "file, never here: a recipient is an e-mail address, or slack:NAME / teams:NAME for a webhook named there.")
tab_subs, tab_rules, tab_events, tab_outbox = st.tabs(["Subscriptions", "Alert rules", "Alert history", "Outbox"])


def filter_inputs(prefix: str) -> Filters:
    cols = st.columns(4)
    return Filters.of(**{name: cols[i].multiselect(name.capitalize(), options.get(name, []), key=f"{prefix}_{name}",
                                                  placeholder="All")
                         for i, name in enumerate(("plans", "regions", "segments", "channels"))})


with tab_subs:
    sub_table = digest_state.subscriptions_table()
    if sub_table.empty:
        st.info("No subscriptions yet. Add one below: a region's VP gets their region with the Regions filter.")
    else:
        st.dataframe(sub_table, hide_index=True, width="stretch", key="dig_subs_table")
    with st.form("dig_sub_form", clear_on_submit=False):
        st.markdown("**Add a subscription**")
        c1, c2, c3 = st.columns([2, 1, 1])
        recipient = c1.text_input("Recipient", key="dig_recipient", placeholder="vp.emea@company.com or slack:cx-leads")
        role = c2.selectbox("Reader's role", list(audit.ROLES), key="dig_role",
                            help="Executives and CX leads get aggregates only; analysts and admins also example "
                                 "comments and ticket rows. Channels always get the executive edition.")
        digest = c3.selectbox("Digest", list(subs.DIGESTS), key="dig_digest", help=subs.DIGESTS["executive"])
        c4, c5, c6, c7 = st.columns(4)
        frequency = c4.selectbox("How often", subs.FREQUENCIES, index=1, key="dig_frequency")
        weekday = c5.selectbox("Weekday (weekly)", range(7), format_func=subs.WEEKDAYS.__getitem__, key="dig_weekday")
        hour = c6.number_input("Hour", 0, 23, 7, key="dig_hour")
        timezone = c7.text_input("Time zone", "UTC", key="dig_timezone")
        sub_filters = filter_inputs("dig_sub")
        if st.form_submit_button("Add subscription", type="primary"):
            try:
                with state.writing() as conn:
                    new = subs.add(conn, recipient=recipient, role=role, digest=digest, frequency=frequency,
                                   weekday=int(weekday), hour=int(hour), timezone=timezone.strip(),
                                   filters=sub_filters, by=user.label)
                    schedule = subs.get(conn, new).describe_schedule()
            except ValueError as exc:
                st.error(md(str(exc)))
            else:
                st.success(f"Subscription #{new} added: {md(schedule)}, "
                           f"{sub_filters.describe(md)}. The change is in the audit log.")
                st.rerun()
    if not sub_table.empty:
        c1, c2, c3 = st.columns([1, 1, 2])
        chosen = c1.selectbox("Subscription", sub_table["id"].tolist(), key="dig_sub_pick",
                              format_func=lambda i: f"#{i} {sub_table.set_index('id').loc[i, 'recipient']}")
        action = c2.selectbox("Change", ["pause", "resume", "remove"], key="dig_sub_action")
        if c3.button("Apply", key="dig_sub_apply"):
            with state.writing() as conn:
                subs.change(conn, int(chosen), action, by=user.label)
            st.rerun()

with tab_rules:
    rule_table = digest_state.alert_rules_table()
    if rule_table.empty:
        st.info("No alert rules yet. The default set watches complaints by category (anomaly and significant rise), "
                "median resolution and CSAT, week by week; over the demo's two years it fires on the planted "
                "double-charge spike and on nothing else (backtest below).")
        if st.button("Install the default rules", key="dig_rules_defaults", type="primary"):
            with state.writing() as conn:
                rules.install_defaults(conn, by=user.label)
            st.rerun()
    else:
        st.dataframe(rule_table, hide_index=True, width="stretch", key="dig_rules_table")
        c1, c2, c3 = st.columns([1, 1, 2])
        chosen = c1.selectbox("Rule", rule_table["id"].tolist(), key="dig_rule_pick",
                              format_func=lambda i: f"#{i} {rule_table.set_index('id').loc[i, 'name']}")
        action = c2.selectbox("Change", ["snooze 24 h", "snooze 7 days", "unsnooze", "pause", "resume", "remove"],
                              key="dig_rule_action")
        if c3.button("Apply", key="dig_rule_apply"):
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            until = now + (dt.timedelta(hours=24) if action == "snooze 24 h" else dt.timedelta(days=7))
            with state.writing() as conn:
                rules.change(conn, int(chosen), "snooze" if action.startswith("snooze") else action,
                             by=user.label, until=until)
            st.rerun()
    with st.expander("Add a rule"), st.form("dig_rule_form"):
        c1, c2, c3, c4 = st.columns(4)
        metric = c1.selectbox("Metric", list(figs.METRICS), format_func=lambda m: figs.METRICS[m].label,
                              key="dig_rule_metric")
        kind = c2.selectbox("Test", rules.KINDS, key="dig_rule_kind",
                            help="anomaly: complaints above the robust-z band; change: significant change vs the "
                                 "previous period (the dashboard's exact tests); threshold: above/below a value")
        grain = c3.selectbox("Every", rules.GRAINS, index=1, key="dig_rule_grain")
        by = c4.selectbox("Breakdown (complaints)", DIMENSIONS, index=len(DIMENSIONS) - 1, key="dig_rule_by")
        c5, c6, c7, c8 = st.columns(4)
        direction = c5.selectbox("Direction", ["worse", "better", "either", "above", "below"], key="dig_rule_dir")
        threshold = c6.number_input("Threshold", value=0.0, key="dig_rule_threshold")
        alpha = c7.number_input("Significance (change)", 0.0001, 0.2, 0.001, format="%.4f", key="dig_rule_alpha")
        min_count = c8.number_input("Minimum count", 1, 100_000, 30, key="dig_rule_min")
        c9, c10 = st.columns([1, 2])
        name = c9.text_input("Name", key="dig_rule_name")
        recipients = c10.text_input("Recipients (comma-separated)", key="dig_rule_recipients",
                                    placeholder="cx-lead@company.com, slack:cx-alerts")
        rule_filters = filter_inputs("dig_rule")
        if st.form_submit_button("Add rule", type="primary"):
            try:
                with state.writing() as conn:
                    new = rules.add(conn, rules.Rule(
                        name=name, metric=metric, kind=kind, grain=grain, by=by, filters=rule_filters,
                        direction=direction, threshold=threshold if kind == "threshold" else None, alpha=alpha,
                        min_count=int(min_count),
                        recipients=tuple(r.strip() for r in recipients.split(",") if r.strip())),
                        by=user.label)
                    described = rules.get(conn, new).describe()
            except ValueError as exc:
                st.error(md(str(exc)))
            else:
                st.success(f"Rule #{new} added: {md(described)}")
                st.rerun()
    st.subheader("Backtest")
    which = st.radio("Rules", ["the rules above", "the default set"], horizontal=True, key="dig_backtest_which")
    if state.settings().engine.kind == "spark":
        st.caption("On the Spark engine a backtest is a few Spark jobs per rule and period (an anomaly rule: one for "
                   "all its periods), so two years of weeks take minutes: about ten for the default set on a small "
                   "local Spark (README: Mixed mode). The result is then kept for ten minutes.")
    if st.button("Run the backtest over the whole history", key="dig_backtest_run"):
        frame = digest_state.alert_backtest(rule_table.to_json(), which == "the default set")
        st.dataframe(frame, hide_index=True, width="stretch", key="dig_backtest_rule_table")
        st.caption("How many episodes each rule would have fired, period by period over all the data (an episode "
                   "fires once and ends when the series is back inside its band). Periods whose baseline or "
                   "previous period reaches before the data are not evaluated.")

with tab_events:
    with state.reading() as conn:
        firing = evaluate.firing_now(conn)
        history = evaluate.events(conn)
    if firing.empty:
        st.success("No alert is firing.")
    else:
        st.warning(f"{len(firing)} series firing now.")
        st.dataframe(firing, hide_index=True, width="stretch", key="dig_firing")
    st.dataframe(history, hide_index=True, width="stretch", key="dig_events",
                 column_config={"link": st.column_config.LinkColumn("dashboard view")})

with tab_outbox:
    with state.reading() as conn:
        box = outbox.messages(conn)
    failed = box[box["status"] == "failed"] if not box.empty else box
    if not failed.empty:
        st.error(f"{len(failed)} message(s) gave up after {outbox.MAX_ATTEMPTS} attempts; they are kept. Fix the "
                 "cause (the last error says it) and retry.")
        if st.button("Retry the failed messages", key="dig_outbox_retry"):
            with state.writing() as conn:
                outbox.retry(conn, actor=user.label)
            st.rerun()
    st.dataframe(box, hide_index=True, width="stretch", key="dig_outbox")
    st.caption("Every digest and alert message is written here before it is sent and stays after; failed attempts "
               f"are retried with growing waits (1, 2, 4 ... minutes, at most 6 h apart) up to {outbox.MAX_ATTEMPTS} "
               "times.")
