"""Plain-language definitions shown next to every number (the app, the CLI, the docs)."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "complaints": (
        "Tickets flagged as complaints (`is_complaint`) created in the period. In the demo data a complaint is "
        "a ticket of type incident or problem; imports set the flag from the ticket type, category, tags or a "
        "bad satisfaction rating. Change vs the previous period of equal length: exact Poisson rate test."
    ),
    "first_response": (
        "Median hours from ticket creation to the first public agent reply, over tickets created in the "
        "period that have had a reply (calendar hours). Tickets still waiting are censored, never counted as "
        "zero; their number is shown. 95% CI: distribution-free order-statistic interval. Change: Mood's "
        "median test."
    ),
    "resolution": (
        "Median hours from ticket creation to its last solve (full resolution), over tickets created in the "
        "period that are solved (calendar hours). Open tickets are censored and counted separately: a recent "
        "period has more open tickets, so its median leans short. 95% CI: order-statistic interval. "
        "Change: Mood's median test."
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
        "resolution) or the last solve (full resolution), calendar hours, rounded to the minute. The median and "
        "p90 of completed tickets lean short when many are still open; the Kaplan-Meier median counts open "
        "tickets as censored at the data's latest time and is the honest figure. Groups are compared with the "
        "log-rank test."
    ),
    "sla": (
        "Breach rate per target and priority = breached ÷ (achieved + breached). Open tickets already past their "
        "target count as breached; open tickets not yet past it are pending and in neither count. Targets in "
        "hours come from [sla.first_response_hours] / [sla.resolution_hours] in cx.toml. 95% Wilson interval."
    ),
    "follow_through": (
        "Of the solved tickets created in the period: reopen rate = reopened at least once ÷ solved; one-touch "
        "= solved with fewer than 2 agent replies ÷ solved with a reply count; handoffs = group stations − 1 "
        "(mean, and the share handed off at least once). 95% Wilson intervals."
    ),
    "backlog": (
        "Tickets not solved or closed at the data's latest time, by how long they have been open: <1 day, "
        "1-3, 3-7, 7-30, >30 days."
    ),
    "experience_outcome": (
        "CSAT (top-2-box) of the responses linked to tickets created in the period, by how the ticket was "
        "handled: resolution time, handoffs (group stations − 1), reopened or not. 95% Wilson interval."
    ),
    "complaint_trend": (
        "Complaints created per week (Monday start) by ticket category. Weeks cut by the date range are "
        "drawn faded and marked partial, so a short week is not read as a drop."
    ),
    "themes": (
        "Themes are found in ticket subjects/descriptions and survey comments by TF-IDF + NMF (scikit-learn, fixed "
        "seed). The number of themes is the one whose themes agree best across seeded refits (stability), not a "
        "fixed number. A text carries each theme holding at least 25% of its topic weight (up to three), so theme "
        "counts do not add up to the total. E-mails, phone numbers, card numbers and IBANs are redacted before "
        "any text is modelled, shown or exported. Names, pins and merges survive refits: a refit's themes are "
        "matched to the previous ones by term similarity."
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
        "Impact of a theme on NPS (or CSAT) = score of all responses in the period − score of the responses "
        "whose comment does not carry the theme: how much the score would change without that theme's "
        "comments. Negative: the theme drags the score down. 95% percentile bootstrap interval (2,000 seeded "
        "resamples of the responses); significant when it excludes 0."
    ),
    "product_requests": (
        "Tickets and comments that ask for something (\"please add\", \"would love a\", \"feature request:\", "
        "\"it would be great if\", \"il manque\", \"wäre schön\"...), grouped by the first three content words "
        "of what is asked. Mentions are texts; customers are distinct requesters."
    ),
    "themes_behind": (
        "For a complaint mover (say Billing up): its complaint tickets per theme this period vs the previous one. "
        "Share of change = the theme's difference ÷ the mover's difference among complaints read by the theme "
        "model; exact Poisson test on the two counts."
    ),
}
