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
    "complaint_trend": (
        "Complaints created per week (Monday start) by ticket category. Weeks cut by the date range are "
        "drawn faded and marked partial, so a short week is not read as a drop."
    ),
}
