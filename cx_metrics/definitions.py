"""Plain-language definitions shown next to every number (the app, the CLI, the docs)."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "complaints": (
        "Tickets flagged as complaints (`is_complaint`) created in the period. In the demo data a complaint is "
        "a ticket of type incident or problem; imports set the flag from the ticket type, category, tags or a "
        "bad satisfaction rating. Change vs the previous period of equal length: exact Poisson rate test."
    ),
    "first_response": (
        "Median hours from ticket creation to the first public agent reply over the tickets created in the "
        "period (calendar hours): the Kaplan-Meier median, so tickets still awaiting a reply count as waiting up "
        "to the data's latest time (censored), never as zero and never left out. A pending or on-hold ticket has "
        "had a reply; without its time it is left out. Not shown when the export has no first-reply times. 95% CI "
        "from the Kaplan-Meier band (log-log Greenwood). Change: log-rank test of the two periods."
    ),
    "resolution": (
        "Median hours from ticket creation to its last solve (full resolution) over the tickets created in the "
        "period (calendar hours): the Kaplan-Meier median, the one median on every page, with open tickets "
        "censored at the data's latest time (the median of the solved tickets alone leans short, most in recent "
        "periods). Not known while fewer than half are solved. 95% CI from the Kaplan-Meier band. Change: "
        "log-rank test of the two periods."
    ),
    "nps": (
        "NPS = 100 × (share of 9–10 − share of 0–6) over NPS responses in the period (a 1–10 scale is "
        "accepted with the same cut-offs, and said so). 95% CI ±1.96 × 100 × √((p + d − (p − d)²) / n). "
        "Change: z-test with SE = √(SE₁² + SE₂²)."
    ),
    "csat": (
        "CSAT = share of satisfied responses: top-2-box on 1–5 (4–5; top two boxes of 1–4, 1–7 and 1–10 "
        "scales, configurable), good / (good + bad) for good/bad ratings. Offered but unanswered surveys are "
        "not responses. 95% Wilson interval. Change: two-proportion z-test."
    ),
    "churn": (
        "Contractual churn rate = customers whose `churned_at` falls in the period ÷ customers active at the "
        "period's start (signed up before it, not churned before it). 95% Wilson interval. Change: "
        "two-proportion z-test (approximate: most customers are in both periods). The channel filter does "
        "not apply."
    ),
    "complaint_rate": (
        "Complaints per 1,000 active customers: complaints created in the bucket ÷ customers active at some time "
        "in it (signed up before its end, not churned before its start) × 1,000. For plan, region, segment and "
        "generation the cohort's own customers are the denominator; for ticket dimensions (category, channel...) "
        "the whole filtered base. 95% interval: exact Poisson on the count. Growth in customers is not read as "
        "growth in complaints."
    ),
    "top_movers": (
        "Change of each value's complaint rate against the previous period of equal length. Exposure is "
        "customer-days (the days each customer was active in the period; the cohort's own for plan, region, "
        "segment, generation), so a growing base is not read as more complaints; shown per 1,000 customers "
        "active on average. Exact conditional Poisson test; significant movers first, then by the size of the "
        "change."
    ),
    "anomalies": (
        "Robust z = (count − median of the previous 28 days / 4 weeks / 6 months) ÷ (1.4826 × MAD), with the MAD "
        "floored at Poisson noise. Points above 3.5 are flagged; the shaded band is where z stays within ±3.5. "
        "Partial periods are never flagged. On series of only a few complaints per bucket chance flags are more "
        "frequent (a day of 10 against a median of 3 is 4 MADs): prefer weekly buckets there."
    ),
    "repeat_complaints": (
        "Complaints followed by another complaint from the same customer in the same category within 30 days ÷ "
        "complaints, counting only complaints whose 30 days are fully in the data (the rest are listed as not yet "
        "observable). 95% Wilson interval. High rates mean the issue is not fixed at the root."
    ),
    "time_to_event": (
        "Hours from creation to the first public agent reply (first response), the first solve (first "
        "resolution) or the last solve (full resolution), on the chosen clock: calendar hours, or business hours "
        "of the [business_hours] schedule (weekly opening hours, time zone, holidays) in cx.toml. Where the "
        "export has no solve time, it comes from the ticket's status history. The median and p90 are "
        "Kaplan-Meier figures: tickets still waiting count as censored at the data's latest time (the completed "
        "tickets alone would lean short), so a median is not known until half the tickets have reached the end "
        "point. Groups are compared with the log-rank test; its effect size is the ratio of the fastest and "
        "slowest groups' observed to expected events (a hazard-ratio estimate)."
    ),
    "sla": (
        "Breach rate per target and priority = breached ÷ (achieved + breached). Open tickets already past their "
        "target count as breached; open tickets not yet past it are pending and in neither count. Targets in "
        "hours come from [sla.first_response_hours] / [sla.resolution_hours] in cx.toml and are counted on the "
        "[sla] clock (calendar or business hours). 95% Wilson interval. Over time: the breach rate of the "
        "tickets created in each period; recent periods still have pending tickets. A pending or on-hold ticket "
        "has had its first reply; a target the export cannot measure (no first-reply or solve times) is not "
        "shown, and the page says why."
    ),
    "backlog_history": (
        "Tickets not solved or closed at the end of each day. Tickets with a status history (e.g. Zendesk field "
        "history) follow it, so a reopened ticket re-enters the backlog on the day it was reopened; others are "
        "open from creation to their solved or closed time. Solved or closed tickets with no time are left out."
    ),
    "vendor_agreement": (
        "Our minutes from the stored times against the vendor's own (Zendesk's '... in minutes' columns), per "
        "metric and clock: medians, the median difference (ours − vendor's) and the share of tickets within one "
        "minute or 1% (95% Wilson interval). Business-hours disagreement usually means the [business_hours] "
        "schedule in cx.toml is not the one the vendor applied. Zendesk UI exports carry no first-reply timestamp: "
        "it is derived from their calendar minutes, so that row agrees by construction."
    ),
    "follow_through": (
        "Of the solved tickets created in the period: reopen rate = reopened at least once ÷ solved; one-touch "
        "= solved with fewer than 2 agent replies ÷ solved with a reply count; handoffs = group stations − 1 "
        "(mean, and the share handed off at least once). 95% Wilson intervals."
    ),
    "followup_coverage": (
        "Follow-up coverage = follow-ups closed on or before their due date ÷ follow-ups due (due in the period and "
        "by the latest data), by team and month of the due date; 95% Wilson interval. An item is a customer we "
        "failed: an NPS answer of 0-6, a complaint past its resolution target (calendar hours), a ticket reopened "
        "after a solve; due = the failure + the hours of [followups.due_hours] (48, 24, 24 by default). Days to "
        "follow-up: whole days from the failure to the contact (median, 90th percentile)."
    ),
    "followup_effect": (
        "Did following up work? For customers failed in the period: churn within 90 days after a landmark "
        "([followups] landmark_days after the failure, 14 by default) of those reached by a follow-up by then "
        "(outcome reached, recovered or declined) against those who were not, stratified by failure type, severity "
        "and quarter and pooled with Mantel-Haenszel weights: risk ratio with its Greenland-Robins 95% interval; "
        "each arm's churn with a Wilson interval; the first NPS answer within 180 days after the landmark. "
        "Customers gone before the landmark are in neither arm. Observational: an association, not proof."
    ),
    "backlog": (
        "Tickets not solved or closed at the data's latest time, by how long they have been open: <1 day, "
        "1-3, 3-7, 7-30, >30 days."
    ),
    "experience_outcome": (
        "CSAT (top-2-box; 95% Wilson interval) or NPS (95% interval from the NPS variance formula) of the "
        "responses linked to tickets created in the period, by how the ticket was handled: resolution time, "
        "handoffs (group stations − 1), reopened or not."
    ),
    "complaint_trend": (
        "Complaints created per week (Monday start) by ticket category. Weeks cut by the date range are "
        "drawn faded and marked partial, so a short week is not read as a drop."
    ),
    # --- survey analytics and cohorts (issue 5) -------------------------------------------------------
    "survey_nps": (
        "NPS = 100 × (share of 9–10 − share of 0–6) on a 0–10 scale; a 1–10 scale keeps the cut-offs (9–10 "
        "promoters, 1–6 detractors) and is said so. 95% CI ±1.96 × 100 × √((p + d − (p − d)²) / n). Two NPS "
        "(periods, cohorts) are compared with a z-test, SE = √(SE₁² + SE₂²)."
    ),
    "survey_csat": (
        "CSAT = share of satisfied responses: top-2-box on 1–5 (4–5), the top two boxes of 1–4, 1–7 and 1–10 "
        "scales ([metrics] csat_top_boxes), good ÷ (good + bad) for good/bad ratings. Offered but unanswered "
        "surveys are not responses (they feed the response rate). 95% Wilson interval; two-proportion z-test."
    ),
    "survey_ces": (
        "CES on a 1–7 agreement scale (higher = easier): the mean with a Student t 95% interval, and % easy = "
        "share above the midpoint (5–7) with a Wilson interval. Legacy 1–5 effort scales (low = easy) are "
        "reversed and rescaled to 1–7 before pooling. Means compared with Welch's t-test (effect: Cohen's d)."
    ),
    "survey_trend": (
        "The score per week (Monday start) or month, with its 95% interval drawn as a band. Each bucket is tested "
        "against the one before (NPS z-test, two-proportion z-test, Welch t-test); a change is flagged only when "
        "p < α and both buckets have at least the minimum n. Buckets below the minimum n are greyed and labelled, "
        "never shown as a real number; buckets cut by the date range are marked partial."
    ),
    "response_rate": (
        "Response rate = tickets with a survey response ÷ tickets offered a survey (when the export says which "
        "were offered: Zendesk 'Offered', ratings), otherwise tickets with a linked response ÷ tickets solved in "
        "the period. 95% Wilson interval. Relationship surveys have no send list in the data, so no rate."
    ),
    "cohort_breakdown": (
        "The metric per cohort cell (one or two dimensions), with its 95% interval and n. Cells below the minimum "
        "n are suppressed (value hidden, n shown). Each cell is tested against all other customers of the table "
        "(same tests as the metric); 'significant' survives Holm's correction across the table's cells. Labels "
        "are taken when the customer is observed: at the response (surveys), the ticket's creation (resolution) "
        "or the period start (churn, complaint rate). Months since signup count calendar months."
    ),
    "cohort_complaint_rate": (
        "Complaints per 1,000 customers active at some time in the period (signed up before its end, not churned "
        "before its start), per cohort; exact Poisson interval; cohorts compared with the exact conditional "
        "Poisson test (effect: rate ratio). Spread: customers with 0, 1, 2, 3+ complaints."
    ),
    "cohort_resolution": (
        "Median hours from creation to last solve of the tickets created in the period: the Kaplan-Meier median "
        "(tickets still open censored at the data's latest time, as on every page) with its 95% interval; not "
        "known while fewer than half are solved. Cell vs rest and two cohorts: log-rank test (effect: rate ratio, "
        "how much sooner one group's tickets are resolved)."
    ),
    "cohort_churn": (
        "Churned in the period ÷ customers active at its start, per cohort; 95% Wilson interval; two-proportion "
        "z-test (effect: Cohen's h)."
    ),
    "cohort_grid": (
        "Signup cohorts (month or quarter of signup) by periods since signup. Retention = share of the cohort not "
        "churned by that many periods after its signup period; cells not yet observable are blank. NPS/CSAT/CES "
        "cells are the responses given that many periods after signup; cells below the minimum n are suppressed."
    ),
    "churn_definition": (
        "Contractual churn ([churn] mode = \"contractual\"): a customer is lost at their cancellation date "
        "(`churned_at`). Non-contractual (mode = \"activity\"): lost at their last activity (order, login, renewal) "
        "when nothing followed for N days ([churn] inactivity_days; 0 = suggested from the data: the 95th percentile "
        "of the gaps between a customer's consecutive activities, rounded up to a week); such churn is only "
        "observable up to N days before the latest data, and every churn analysis stops there."
    ),
    "churn_rate": (
        "Churn rate = customers lost in the period (or month, quarter, week) ÷ customers there at its start "
        "(started before it, not churned before it), under the churn definition in force. 95% Wilson interval; a "
        "cohort is compared with all other customers by a two-proportion z-test. Periods cut by the date range or "
        "running past the point where churn is observable are marked partial (their rate leans low)."
    ),
    "churn_snapshot": (
        "Snapshot churn share = customers flagged churned ÷ customers in the customer table as it stands (under "
        "the customer filters), with a 95% Wilson interval. For a snapshot (one row per customer, a churn flag, no "
        "dates), churn cannot be placed in time: this share is the state of the table, not a rate per period, and "
        "it is not comparable with a monthly churn rate. Customers flagged churned without a churn date count here "
        "and in the risk model only."
    ),
    "retention": (
        "Kaplan-Meier retention: share of customers still there t days after they started (signup), per cohort, "
        "with 95% bands. Customers still there are censored at the end of observation, never counted as lost."
    ),
    "complaint_lift": (
        "Landmark design: customers there at the landmark (the latest date whose churn outcome is fully observed "
        "over the horizon); exposure = their complaints in the 90 days before it; outcome = churned within the "
        "horizon after it. Lift = churn rate of a group ÷ churn rate of customers without a complaint, 95% Katz "
        "interval; p from a two-proportion z-test. Handled badly = a complaint still open at the landmark, solved "
        "after its priority's resolution SLA target, handed off or reopened (only what was known at the landmark)."
    ),
    "service_recovery": (
        "Each customer with a ticket in the window is placed by their first one: no failure; failure resolved "
        "fast (within the priority's resolution SLA target); resolved slow; unresolved (not solved within 14 days). "
        "A failure is a complaint, a resolution SLA breach or a reopen. Retention is measured from a landmark 14 "
        "days after that ticket (when its handling is known): churned within the horizon among customers followed "
        "that long, 95% Wilson; customers gone before the landmark are counted apart. Satisfaction: top-box CSAT "
        "of that ticket (Wilson) and the first NPS answer within 180 days of the landmark. By the ticket's "
        "priority. A recovery paradox would be customers whose failure was fixed fast doing significantly better "
        "than customers with no failure (two-proportion z-test at the configured alpha)."
    ),
    "churn_model": (
        "Calibrated churn risk = probability of churning within the horizon (default 90 days), from gradient "
        "boosting on features computed at monthly snapshots only from what happened before each snapshot, "
        "calibrated (Platt) on a later snapshot and tested on the latest one whose outcome is fully known. "
        "ROC-AUC and PR-AUC measure ranking, the Brier score calibration; top-decile lift = churn among the riskiest "
        "10% ÷ overall churn. Drivers: permutation importance (drop in ROC-AUC when a feature is shuffled). Reasons: "
        "the features whose typical value would lower this customer's risk most, in points of probability."
    ),
    "themes": (
        "Themes are found in ticket subjects/descriptions and, separately, in survey comments (one model each: "
        "they share words, not reasons) by TF-IDF + NMF (scikit-learn, fixed seed). The number of themes is the "
        "one whose themes agree best across seeded refits (stability), not a fixed number. A text carries each "
        "theme holding at least 25% of its topic weight (up to three), so theme "
        "counts do not add up to the total. E-mails, phone numbers, card numbers and IBANs are redacted before "
        "any text is modelled, shown or exported. Names, pins and merges survive refits: a refit's themes are "
        "matched to the previous ones by term similarity. A theme's label is the phrases most typical of its "
        "texts (frequent in them, rare elsewhere) that together cover most of them."
    ),
    "theme_volume": (
        "Texts carrying the theme per bucket, and their share of the texts read in the bucket (tickets by "
        "creation, comments by response time). 95% Wilson interval on the share. Anomalies: robust z of the "
        "count against the previous 28 days / 4 weeks / 6 months, flagged above 3.5, as for complaints."
    ),
    "theme_mix": (
        "Share of a channel's (plan's, generation's...) texts that carry the theme, with a 95% Wilson interval, "
        "against the theme's share over all texts (lift = ratio). Difference from the other values: "
        "two-proportion z-test."
    ),
    "emerging_themes": (
        "Texts carrying the theme this period vs the previous period of equal length, with the texts read in "
        "each period as exposure (exact conditional Poisson rate test). New: none before and a significant "
        "count now; growing / declining: significant change of the share."
    ),
    "theme_impact": (
        "Impact of a survey-comment theme on NPS (or CSAT) = score of all responses in the period − score of the "
        "responses "
        "whose comment does not carry the theme: how much the score would change without that theme's "
        "comments. Negative: the theme drags the score down. 95% percentile bootstrap interval (2,000 seeded "
        "resamples of the responses); significant when it excludes 0."
    ),
    "product_requests": (
        "Tickets and comments that ask for something (\"please add\", \"would love a\", \"feature request:\", "
        "\"it would be great if\", \"il manque\", \"il faudrait\", \"ce serait bien de\", \"wäre schön\", "
        "\"bitte ... hinzufügen\"...), grouped by the first three content words "
        "of what is asked. Mentions are texts; customers are distinct requesters."
    ),
    "themes_behind": (
        "For a complaint mover (say Billing up): its complaint tickets per theme this period vs the previous one. "
        "Share of change = the theme's difference ÷ the mover's difference among complaints read by the theme "
        "model; exact Poisson test on the two counts."
    ),
}
