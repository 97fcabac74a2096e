"""The metric catalog: every number and analysis the app shows, as data, under one id per concept.

One :class:`Metric` per concept says what the figure is called (``label``), in which ``unit``, which way is
good (``direction``), how it is defined (``definition``: the text shown beside it in the app, printed by
``cx metric --list`` and ``cx definitions``), what one observation is (``grain``), the SQL it reads (``sql``:
names of ``cx_metrics/sql/*.sql``, printable with ``cx sql show NAME``), the function that computes it
(``function``), the pages that show it (``pages``: files under ``views/``) and the ``cx metric`` commands that
print it (``commands``). The KPI tiles, the page captions and help texts, the *Metric definitions* page, the CLI
and the digests read this registry; nothing else holds a metric's label, unit or definition text.

From an id to everything about it: ``cx metric --list --format json`` (or this module), then the named SQL file,
function, page and command; its tests are ``grep -rn '"ID"' tests/``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: the units a figure may be in (``value`` columns are formatted by them; see :mod:`cx_metrics.columns`)
UNITS = ("count", "hours", "points", "%", "score", "per 1,000", "ratio", "z")
#: which way is good: a higher figure, a lower one, or neither (a description, not a score)
DIRECTIONS = ("higher", "lower", "neither")
#: the page areas, in the navigation's order
AREAS = ("complaints", "resolution", "surveys", "cohorts", "churn", "themes", "followups")


@dataclass(frozen=True)
class Metric:
    """One entry of the catalog (see the module docstring)."""

    id: str
    area: str
    label: str
    unit: str
    direction: str
    grain: str
    sql: tuple[str, ...]
    function: str
    pages: tuple[str, ...]
    commands: tuple[str, ...]
    definition: str

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data (lists, strings), with the files it names."""
        out = asdict(self)
        out["sql"] = list(self.sql)
        out["sql_files"] = [f"cx_metrics/sql/{name}.sql" for name in self.sql]
        out["pages"] = list(self.pages)
        out["page_files"] = [f"views/{name}.py" for name in self.pages]
        out["commands"] = list(self.commands)
        out["higher_is_better"] = self.higher_is_better
        return out


_ENTRIES = (
    Metric(
        'complaints', 'complaints', 'Complaints', 'count', 'lower',
        grain='complaint tickets created in the period',
        sql=('overview_complaints',), function='cx_metrics.metrics.overview.kpis',
        pages=('overview',), commands=('kpis',),
        definition=(
        'Tickets flagged as complaints (`is_complaint`) created in the period. In the demo data a complaint is a '
        'ticket of type incident or problem; imports set the flag from the ticket type, category, tags or a bad '
        'satisfaction rating. Change vs the previous period of equal length: exact Poisson rate test.'
        ),
    ),
    Metric(
        'complaint_trend', 'complaints', 'Complaints per week by category', 'count', 'lower',
        grain='complaint tickets per week (Monday start) x category',
        sql=('complaint_volume', 'complaint_rows'), function='cx_metrics.metrics.complaints.complaint_trend',
        pages=('overview', 'complaints'), commands=('complaint-trend', 'complaint-rows'),
        definition=(
        'Complaints created per week (Monday start) by ticket category. Weeks cut by the date range are drawn '
        'faded and marked partial, so a short week is not read as a drop.'
        ),
    ),
    Metric(
        'complaint_rate', 'complaints', 'Complaints per 1,000 active customers', 'per 1,000', 'lower',
        grain='complaints per bucket x breakdown value, over customers active in the bucket',
        sql=('complaint_volume', 'cohort_complaints'), function='cx_metrics.metrics.complaints.complaint_volume',
        pages=('complaints', 'cohorts'), commands=('complaint-volume',),
        definition=(
        'Complaints per 1,000 active customers: complaints created in the bucket ÷ customers active at some time '
        'in it (signed up before its end, not churned before its start) × 1,000. For plan, region, segment and '
        "generation the cohort's own customers are the denominator; for ticket dimensions (category, channel...) "
        'the whole filtered base. 95% interval: exact Poisson on the count. Growth in customers is not read as '
        'growth in complaints. Cohorts are compared with the exact conditional Poisson test (effect: rate ratio);'
        ' spread: customers with 0, 1, 2, 3+ complaints.'
        ),
    ),
    Metric(
        'top_movers', 'complaints', 'Top movers', 'per 1,000', 'lower',
        grain='breakdown value, period vs previous period',
        sql=('complaint_volume',), function='cx_metrics.metrics.complaints.top_movers',
        pages=('complaints',), commands=('top-movers',),
        definition=(
        "Change of each value's complaint rate against the previous period of equal length. Exposure is customer-"
        "days (the days each customer was active in the period; the cohort's own for plan, region, segment, "
        'generation), so a growing base is not read as more complaints; shown per 1,000 customers active on '
        'average. Exact conditional Poisson test; significant movers first, then by the size of the change.'
        ),
    ),
    Metric(
        'anomalies', 'complaints', 'Complaint anomalies', 'z', 'neither',
        grain='bucket x breakdown value',
        sql=('complaint_volume',), function='cx_metrics.metrics.complaints.anomalies',
        pages=('overview', 'complaints'), commands=('anomalies',),
        definition=(
        'Robust z = (count − median of the previous 28 days / 4 weeks / 6 months) ÷ (1.4826 × MAD), with the MAD '
        'floored at Poisson noise. Points above 3.5 are flagged; the shaded band is where z stays within ±3.5. '
        'Partial periods are never flagged. On series of only a few complaints per bucket chance flags are more '
        'frequent (a day of 10 against a median of 3 is 4 MADs): prefer weekly buckets there.'
        ),
    ),
    Metric(
        'repeat_complaints', 'complaints', 'Repeat complaints', '%', 'lower',
        grain='complaint tickets with 30 days observed',
        sql=('repeat_complaints',), function='cx_metrics.metrics.complaints.repeat_complaints',
        pages=('complaints',), commands=('repeat-complaints',),
        definition=(
        'Complaints followed by another complaint from the same customer in the same category within 30 days ÷ '
        'complaints, counting only complaints whose 30 days are fully in the data (the rest are listed as not yet'
        ' observable). 95% Wilson interval. High rates mean the issue is not fixed at the root.'
        ),
    ),
    Metric(
        'first_response', 'resolution', 'Median first response', 'hours', 'lower',
        grain='tickets created in the period',
        sql=('time_to_event', 'time_to_event_notes'), function='cx_metrics.metrics.resolution.summarise',
        pages=('overview', 'resolution'), commands=('kpis',),
        definition=(
        'Median hours from ticket creation to the first public agent reply over the tickets created in the period'
        ' (calendar hours): the Kaplan-Meier median, so tickets still awaiting a reply count as waiting up to the'
        " data's latest time (censored), never as zero and never left out. A pending or on-hold ticket has had a "
        'reply; without its time it is left out. Not shown when the export has no first-reply times. 95% CI from '
        'the Kaplan-Meier band (log-log Greenwood). Change: log-rank test of the two periods.'
        ),
    ),
    Metric(
        'resolution', 'resolution', 'Median resolution', 'hours', 'lower',
        grain='tickets created in the period',
        sql=('time_to_event', 'time_to_event_notes'), function='cx_metrics.metrics.resolution.summarise',
        pages=('overview', 'resolution', 'cohorts'), commands=('kpis', 'resolution-trend'),
        definition=(
        'Median hours from ticket creation to its last solve (full resolution) over the tickets created in the '
        'period (calendar hours): the Kaplan-Meier median, the one median on every page, with open tickets '
        "censored at the data's latest time (the median of the solved tickets alone leans short, most in recent "
        'periods). Not known while fewer than half are solved. 95% CI from the Kaplan-Meier band. Change: log-'
        'rank test of the two periods. Per cohort or group: log-rank test against the rest (effect: rate ratio, '
        "how much sooner one group's tickets are resolved)."
        ),
    ),
    Metric(
        'time_to_event', 'resolution', 'Time to first response, first and full resolution', 'hours', 'lower',
        grain='tickets created in the period x group',
        sql=('time_to_event', 'resolution_rows'), function='cx_metrics.metrics.resolution.time_to_event',
        pages=('resolution',),
        commands=('time-to-resolution', 'km-curves', 'logrank', 'resolution-rows'),
        definition=(
        'Hours from creation to the first public agent reply (first response), the first solve (first resolution)'
        ' or the last solve (full resolution), on the chosen clock: calendar hours, or business hours of the '
        '[business_hours] schedule (weekly opening hours, time zone, holidays) in cx.toml. Where the export has '
        "no solve time, it comes from the ticket's status history. The median and p90 are Kaplan-Meier figures: "
        "tickets still waiting count as censored at the data's latest time (the completed tickets alone would "
        'lean short), so a median is not known until half the tickets have reached the end point. Groups are '
        "compared with the log-rank test; its effect size is the ratio of the fastest and slowest groups' "
        'observed to expected events (a hazard-ratio estimate).'
        ),
    ),
    Metric(
        'sla', 'resolution', 'SLA breach rate (resolution)', '%', 'lower',
        grain='tickets with a target, by priority',
        sql=('sla_breaches',), function='cx_metrics.metrics.resolution.sla_counts',
        pages=('overview', 'resolution'), commands=('kpis', 'sla-breaches', 'breaches-over-time'),
        definition=(
        'Breach rate per target and priority = breached ÷ (achieved + breached). Open tickets already past their '
        'target count as breached; open tickets not yet past it are pending and in neither count. Targets in '
        'hours come from [sla.first_response_hours] / [sla.resolution_hours] in cx.toml and are counted on the '
        '[sla] clock (calendar or business hours). 95% Wilson interval. Over time: the breach rate of the tickets'
        ' created in each period; recent periods still have pending tickets. A pending or on-hold ticket has had '
        'its first reply; a target the export cannot measure (no first-reply or solve times) is not shown, and '
        'the page says why.'
        ),
    ),
    Metric(
        'backlog', 'resolution', 'Backlog by age', 'count', 'lower',
        grain="open tickets at the data's latest time",
        sql=('backlog_ageing',), function='cx_metrics.metrics.resolution.backlog',
        pages=('resolution',), commands=('backlog',),
        definition=(
        "Tickets not solved or closed at the data's latest time, by how long they have been open: <1 day, 1-3, "
        '3-7, 7-30, >30 days.'
        ),
    ),
    Metric(
        'backlog_history', 'resolution', 'Backlog over time', 'count', 'lower',
        grain='open tickets at the end of each day',
        sql=('backlog_history',), function='cx_metrics.metrics.resolution.backlog_history',
        pages=('resolution',), commands=('backlog-history',),
        definition=(
        'Tickets not solved or closed at the end of each day. Tickets with a status history (e.g. Zendesk field '
        'history) follow it, so a reopened ticket re-enters the backlog on the day it was reopened; others are '
        'open from creation to their solved or closed time. Solved or closed tickets with no time are left out.'
        ),
    ),
    Metric(
        'follow_through', 'resolution', 'Reopens, one-touch and handoffs', '%', 'neither',
        grain='solved tickets created in the period x group',
        sql=('follow_through',), function='cx_metrics.metrics.resolution.follow_through',
        pages=('resolution',), commands=('handoffs', 'follow-through'),
        definition=(
        'Of the solved tickets created in the period: reopen rate = reopened at least once ÷ solved; one-touch = '
        'solved with fewer than 2 agent replies ÷ solved with a reply count; handoffs = group stations − 1 (mean,'
        ' and the share handed off at least once). 95% Wilson intervals.'
        ),
    ),
    Metric(
        'vendor_agreement', 'resolution', "Agreement with the vendor's minutes", '%', 'higher',
        grain="tickets with the vendor's minutes, per metric and clock",
        sql=('vendor_agreement',), function='cx_metrics.metrics.resolution.vendor_agreement',
        pages=('resolution',), commands=('vendor-agreement',),
        definition=(
        "Our minutes from the stored times against the vendor's own (Zendesk's '... in minutes' columns), per "
        "metric and clock: medians, the median difference (ours − vendor's) and the share of tickets within one "
        'minute or 1% (95% Wilson interval). Business-hours disagreement usually means the [business_hours] '
        'schedule in cx.toml is not the one the vendor applied. Zendesk UI exports carry no first-reply '
        'timestamp: it is derived from their calendar minutes, so that row agrees by construction.'
        ),
    ),
    Metric(
        'experience_outcome', 'resolution', 'CSAT / NPS by handling', '%', 'higher',
        grain='responses linked to tickets created in the period x handling bucket',
        sql=('experience_outcome',), function='cx_metrics.metrics.resolution.experience_vs_outcome',
        pages=('resolution',), commands=('csat-by-handling', 'nps-by-handling'),
        definition=(
        'CSAT (top-2-box; 95% Wilson interval) or NPS (95% interval from the NPS variance formula) of the '
        'responses linked to tickets created in the period, by how the ticket was handled: resolution time, '
        'handoffs (group stations − 1), reopened or not.'
        ),
    ),
    Metric(
        'nps', 'surveys', 'NPS', 'points', 'higher',
        grain='NPS responses in the period',
        sql=('survey_scores',), function='cx_metrics.metrics.surveys.survey_summary',
        pages=('overview', 'surveys', 'cohorts'),
        commands=('kpis', 'survey-summary', 'score-distribution', 'verbatims', 'survey-inventory', 'survey-answers'),
        definition=(
        'NPS = 100 × (share of 9–10 − share of 0–6) on a 0–10 scale; a 1–10 scale keeps the cut-offs (9–10 '
        'promoters, 1–6 detractors) and is said so. 95% CI ±1.96 × 100 × √((p + d − (p − d)²) / n). Two NPS '
        '(periods, cohorts) are compared with a z-test, SE = √(SE₁² + SE₂²).'
        ),
    ),
    Metric(
        'csat', 'surveys', 'CSAT', '%', 'higher',
        grain='CSAT responses in the period',
        sql=('survey_scores',), function='cx_metrics.metrics.surveys.survey_summary',
        pages=('overview', 'surveys', 'cohorts'), commands=('kpis', 'survey-summary'),
        definition=(
        'CSAT = share of satisfied responses: top-2-box on 1–5 (4–5), the top two boxes of 1–4, 1–7 and 1–10 '
        'scales ([metrics] csat_top_boxes), good ÷ (good + bad) for good/bad ratings. Offered but unanswered '
        'surveys are not responses (they feed the response rate). 95% Wilson interval; two-proportion z-test.'
        ),
    ),
    Metric(
        'ces', 'surveys', 'CES (mean, 1-7)', 'score', 'higher',
        grain='CES responses in the period',
        sql=('survey_scores',), function='cx_metrics.metrics.surveys.survey_summary',
        pages=('surveys', 'cohorts'), commands=('survey-summary',),
        definition=(
        'CES on a 1–7 agreement scale (higher = easier): the mean with a Student t 95% interval, and % easy = '
        'share above the midpoint (5–7) with a Wilson interval. Legacy 1–5 effort scales (low = easy) are '
        "reversed and rescaled to 1–7 before pooling. Means compared with Welch's t-test (effect: Cohen's d)."
        ),
    ),
    Metric(
        'ces_easy', 'surveys', 'CES % easy', '%', 'higher',
        grain='CES responses in the period',
        sql=('survey_scores',), function='cx_metrics.metrics.surveys.survey_summary',
        pages=('surveys', 'cohorts'), commands=('survey-summary',),
        definition=(
        "CES % easy = share of CES responses above the scale's midpoint (5–7 on 1–7; legacy 1–5 effort scales, "
        'low = easy, are reversed first). 95% Wilson interval; two-proportion z-test.'
        ),
    ),
    Metric(
        'survey_trend', 'surveys', 'Score over time', 'points', 'higher',
        grain='responses per week or month',
        sql=('survey_scores',), function='cx_metrics.metrics.surveys.survey_trend',
        pages=('surveys',), commands=('survey-trend', 'score-groups'),
        definition=(
        'The score per week (Monday start) or month, with its 95% interval drawn as a band. Each bucket is tested'
        ' against the one before (NPS z-test, two-proportion z-test, Welch t-test); a change is flagged only when'
        ' p < α and both buckets have at least the minimum n. Buckets below the minimum n are greyed and '
        'labelled, never shown as a real number; buckets cut by the date range are marked partial.'
        ),
    ),
    Metric(
        'response_rate', 'surveys', 'Response rate', '%', 'higher',
        grain='tickets offered a survey (or solved) in the period',
        sql=('survey_response_rate',), function='cx_metrics.metrics.surveys.response_rate',
        pages=('surveys',), commands=('response-rate',),
        definition=(
        'Response rate = tickets with a survey response ÷ tickets offered a survey (when the export says which '
        "were offered: Zendesk 'Offered', ratings), otherwise tickets with a linked response ÷ tickets solved in "
        'the period. 95% Wilson interval. Relationship surveys have no send list in the data, so no rate.'
        ),
    ),
    Metric(
        'cohort_breakdown', 'cohorts', 'Cohort breakdown', '%', 'neither',
        grain='cohort cell (one or two dimensions)',
        sql=('survey_scores', 'cohort_rows_customers', 'cohort_rows_responses', 'cohort_rows_tickets'),
        function='cx_metrics.metrics.cohorts.breakdown',
        pages=('cohorts',),
        commands=('cohort-breakdown', 'cohort-compare', 'cohort-spread', 'cohort-rows', 'cohort-attributes'),
        definition=(
        'The metric per cohort cell (one or two dimensions), with its 95% interval and n. Cells below the minimum'
        ' n are suppressed (value hidden, n shown). Each cell is tested against all other customers of the table '
        "(same tests as the metric); 'significant' survives Holm's correction across the table's cells. Labels "
        "are taken when the customer is observed: at the response (surveys), the ticket's creation (resolution) "
        'or the period start (churn, complaint rate). Months since signup count calendar months.'
        ),
    ),
    Metric(
        'cohort_grid', 'cohorts', 'Signup cohort grid', '%', 'higher',
        grain='signup cohort x periods since signup',
        sql=('cohort_retention',), function='cx_metrics.metrics.cohorts.grid',
        pages=('cohorts',), commands=('cohort-grid',),
        definition=(
        'Signup cohorts (month or quarter of signup, else of the first activity) by periods since then. Retention = '
        'share of the cohort not churned (under the churn definition in force, as on the Churn page) by that many '
        'periods after its start period; cells churn cannot be observed in yet are blank. NPS/CSAT/CES '
        'cells are the responses given that many periods after signup; cells below the minimum n are suppressed.'
        ),
    ),
    Metric(
        'churn_definition', 'churn', 'Churn definition', 'count', 'neither',
        grain='the database',
        sql=('churn_as_of', 'activity_gaps'), function='cx_metrics.metrics.churn.definition',
        pages=('churn',), commands=('churn-definition',),
        definition=(
        'Contractual churn ([churn] mode = "contractual"): a customer is lost at their cancellation date '
        '(`churned_at`). Non-contractual (mode = "activity"): lost at their last activity (order, login, renewal)'
        ' when nothing followed for N days ([churn] inactivity_days; 0 = suggested from the data: the 95th '
        "percentile of the gaps between a customer's consecutive activities, rounded up to a week); such churn is"
        ' only observable up to N days before the latest data, and every churn analysis stops there.'
        ),
    ),
    Metric(
        'churn', 'churn', 'Churn rate', '%', 'lower',
        grain="customers there at the period's start",
        sql=('churn_rates', 'cohort_churn'), function='cx_metrics.metrics.churn.churn_counts',
        pages=('overview', 'churn', 'cohorts'), commands=('kpis', 'churn-rate', 'churn-cohorts'),
        definition=(
        'Churn rate = customers lost in the period (or month, quarter, week) ÷ customers there at its start '
        '(started before it, not churned before it), under the churn definition in force. 95% Wilson interval; a '
        'cohort is compared with all other customers by a two-proportion z-test. Periods cut by the date range or'
        ' running past the point where churn is observable are marked partial (their rate leans low). The channel'
        ' filter does not apply. Per cohort: each cohort against all other customers, two-proportion z-test '
        "(effect: Cohen's h)."
        ),
    ),
    Metric(
        'churn_snapshot', 'churn', 'Snapshot churn share', '%', 'lower',
        grain='customers in the customer table as it stands',
        sql=('churn_snapshot',), function='cx_metrics.metrics.churn.snapshot_churn',
        pages=('churn', 'cohorts'), commands=('churn-share',),
        definition=(
        'Snapshot churn share = customers flagged churned ÷ customers in the customer table as it stands (under '
        'the customer filters), with a 95% Wilson interval. For a snapshot (one row per customer, a churn flag, '
        'no dates), churn cannot be placed in time: this share is the state of the table, not a rate per period, '
        'and it is not comparable with a monthly churn rate. Customers flagged churned without a churn date count'
        ' here and in the risk model only.'
        ),
    ),
    Metric(
        'retention', 'churn', 'Retention (Kaplan-Meier)', '%', 'higher',
        grain='customers from their start',
        sql=('churn_survival',), function='cx_metrics.metrics.churn.retention_curves',
        pages=('churn',), commands=('retention',),
        definition=(
        'Kaplan-Meier retention: share of customers still there t days after they started (signup), per cohort, '
        'with 95% bands. Customers still there are censored at the end of observation, never counted as lost.'
        ),
    ),
    Metric(
        'complaint_lift', 'churn', 'Complaint-to-churn lift', 'ratio', 'lower',
        grain='customers there at the landmark',
        sql=('complaint_lift',), function='cx_metrics.metrics.churn.complaint_lift',
        pages=('churn',), commands=('complaint-lift',),
        definition=(
        'Landmark design: customers there at the landmark (the latest date whose churn outcome is fully observed '
        'over the horizon); exposure = their complaints in the 90 days before it; outcome = churned within the '
        'horizon after it. Lift = churn rate of a group ÷ churn rate of customers without a complaint, 95% Katz '
        'interval; p from a two-proportion z-test. Handled badly = a complaint still open at the landmark, solved'
        " after its priority's resolution SLA target, handed off or reopened (only what was known at the "
        'landmark).'
        ),
    ),
    Metric(
        'service_recovery', 'churn', 'Service recovery', '%', 'higher',
        grain='customers by their first ticket in the window',
        sql=('recovery_outcomes', 'recovery_survival'), function='cx_metrics.metrics.churn.service_recovery',
        pages=('churn',), commands=('service-recovery', 'recovery-verdict'),
        definition=(
        'Each customer with a ticket in the window is placed by their first one: no failure; failure resolved '
        "fast (within the priority's resolution SLA target); resolved slow; unresolved (not solved within 14 "
        'days). A failure is a complaint, a resolution SLA breach or a reopen. Retention is measured from a '
        'landmark 14 days after that ticket (when its handling is known): churned within the horizon among '
        'customers followed that long, 95% Wilson; customers gone before the landmark are counted apart. '
        'Satisfaction: top-box CSAT of that ticket (Wilson) and the first NPS answer within 180 days of the '
        "landmark. By the ticket's priority. A recovery paradox would be customers whose failure was fixed fast "
        'doing significantly better than customers with no failure (two-proportion z-test at the configured '
        'alpha).'
        ),
    ),
    Metric(
        'churn_model', 'churn', 'Churn risk', '%', 'lower',
        grain='customers at monthly snapshots',
        sql=('churn_features',), function='cx_metrics.models.churn_store.score',
        pages=('churn',), commands=(),
        definition=(
        'Calibrated churn risk = probability of churning within the horizon (default 90 days), from gradient '
        'boosting on features computed at monthly snapshots only from what happened before each snapshot, '
        'calibrated (Platt) on a later snapshot and tested on the latest one whose outcome is fully known. ROC-'
        'AUC and PR-AUC measure ranking, the Brier score calibration; top-decile lift = churn among the riskiest '
        '10% ÷ overall churn. Drivers: permutation importance (drop in ROC-AUC when a feature is shuffled). '
        "Reasons: the features whose typical value would lower this customer's risk most, in points of "
        'probability.'
        ),
    ),
    Metric(
        'themes', 'themes', 'Themes', 'count', 'neither',
        grain='ticket texts and survey comments',
        sql=('theme_corpus',), function='cx_metrics.models.theme_store.fit_all',
        pages=('themes',), commands=(),
        definition=(
        'Themes are found in ticket subjects/descriptions and, separately, in survey comments (one model each: '
        'they share words, not reasons) by TF-IDF + NMF (scikit-learn, fixed seed). The number of themes is the '
        'one whose themes agree best across seeded refits (stability), not a fixed number. A text carries each '
        'theme holding at least 25% of its topic weight (up to three), so theme counts do not add up to the '
        'total. E-mails, phone numbers, card numbers and IBANs are redacted before any text is modelled, shown or'
        " exported. Names, pins and merges survive refits: a refit's themes are matched to the previous ones by "
        "term similarity. A theme's label is the phrases most typical of its texts (frequent in them, rare "
        'elsewhere) that together cover most of them.'
        ),
    ),
    Metric(
        'theme_volume', 'themes', 'Theme volume', 'count', 'neither',
        grain='texts per bucket x theme',
        sql=('theme_volume',), function='cx_metrics.metrics.themes.theme_volume',
        pages=('themes',), commands=('theme-volume', 'theme-anomalies', 'theme-verbatims'),
        definition=(
        'Texts carrying the theme per bucket, and their share of the texts read in the bucket (tickets by '
        'creation, comments by response time). 95% Wilson interval on the share. Anomalies: robust z of the count'
        ' against the previous 28 days / 4 weeks / 6 months, flagged above 3.5, as for complaints.'
        ),
    ),
    Metric(
        'theme_mix', 'themes', 'Theme mix', '%', 'neither',
        grain='texts per value x theme',
        sql=('theme_mix',), function='cx_metrics.metrics.themes.theme_mix',
        pages=('themes',), commands=('theme-mix',),
        definition=(
        "Share of a channel's (plan's, generation's...) texts that carry the theme, with a 95% Wilson interval, "
        "against the theme's share over all texts (lift = ratio). Difference from the other values: two-"
        'proportion z-test.'
        ),
    ),
    Metric(
        'emerging_themes', 'themes', 'Emerging themes', 'count', 'neither',
        grain='texts per theme, period vs previous',
        sql=('theme_volume',), function='cx_metrics.metrics.themes.emerging_themes',
        pages=('themes',), commands=('emerging-themes',),
        definition=(
        'Texts carrying the theme this period vs the previous period of equal length, with the texts read in each'
        ' period as exposure (exact conditional Poisson rate test). New: none before and a significant count now;'
        ' growing / declining: significant change of the share.'
        ),
    ),
    Metric(
        'theme_impact', 'themes', 'Theme impact on NPS / CSAT', 'points', 'higher',
        grain='survey responses with a comment',
        sql=('theme_impact',), function='cx_metrics.metrics.themes.theme_impact',
        pages=('themes',), commands=('theme-impact',),
        definition=(
        'Impact of a survey-comment theme on NPS (or CSAT) = score of all responses in the period − score of the '
        "responses whose comment does not carry the theme: how much the score would change without that theme's "
        'comments. Negative: the theme drags the score down. 95% percentile bootstrap interval (2,000 seeded '
        'resamples of the responses); significant when it excludes 0.'
        ),
    ),
    Metric(
        'product_requests', 'themes', 'Product requests', 'count', 'neither',
        grain='texts that ask for something',
        sql=('theme_requests',), function='cx_metrics.metrics.themes.product_requests',
        pages=('themes',), commands=('product-requests',),
        definition=(
        'Tickets and comments that ask for something ("please add", "would love a", "feature request:", "it would'
        ' be great if", "il manque", "il faudrait", "ce serait bien de", "wäre schön", "bitte ... '
        'hinzufügen"...), grouped by the first three content words of what is asked. Mentions are texts; '
        'customers are distinct requesters.'
        ),
    ),
    Metric(
        'themes_behind', 'themes', 'Themes behind a mover', 'count', 'neither',
        grain='complaint tickets per theme',
        sql=('theme_behind',), function='cx_metrics.metrics.themes.themes_behind',
        pages=('complaints',), commands=('themes-behind',),
        definition=(
        'For a complaint mover (say Billing up): its complaint tickets per theme this period vs the previous one.'
        " Share of change = the theme's difference ÷ the mover's difference among complaints read by the theme "
        'model; exact Poisson test on the two counts.'
        ),
    ),
    Metric(
        'followup_coverage', 'followups', 'Follow-up coverage', '%', 'higher',
        grain='follow-ups due (a customer failed) x team x month of the due date',
        sql=('followup_coverage',), function='cx_metrics.followups.coverage',
        pages=('followups', 'overview'), commands=(),
        definition=(
        'Follow-up coverage = follow-ups closed on or before their due date ÷ follow-ups due (due in the period and '
        'by the latest data), by team and month of the due date; 95% Wilson interval. An item is a customer we '
        'failed: an NPS answer of 0-6, a complaint past its resolution target (calendar hours), a ticket reopened '
        'after a solve; due = the failure + the hours of [followups.due_hours] (48, 24, 24 by default). Days to '
        'follow-up: whole days from the failure to the contact (median, 90th percentile). `cx followups coverage`.'
        ),
    ),
    Metric(
        'followup_effect', 'followups', 'Churn after a follow-up', 'ratio', 'lower',
        grain='customers failed in the period x failure type x severity x quarter x followed up or not',
        sql=('followup_effect',), function='cx_metrics.followups.effect',
        pages=('followups', 'overview'), commands=(),
        definition=(
        'Did following up work? For customers failed in the period: churn within 90 days after a landmark '
        '([followups] landmark_days after the failure, 14 by default) of those reached by a follow-up by then '
        '(outcome reached, recovered or declined) against those who were not, stratified by failure type, severity '
        'and quarter and pooled with Mantel-Haenszel weights: risk ratio with its Greenland-Robins 95% interval; '
        'each arm\'s churn with a Wilson interval; the first NPS answer within 180 days after the landmark. '
        'Customers gone before the landmark are in neither arm. Observational: an association, not proof. '
        '`cx followups effect`.'
        ),
    ),
)

#: id -> entry, in the catalog's order (area by area)
METRICS: dict[str, Metric] = {m.id: m for m in _ENTRIES}


def get(metric_id: str) -> Metric:
    """The entry of ``metric_id``; a KeyError naming the known ids otherwise."""
    try:
        return METRICS[metric_id]
    except KeyError:
        raise KeyError(f"no metric {metric_id!r} in the catalog; known: {', '.join(METRICS)}") from None


def definition(metric_id: str) -> str:
    """The definition text of ``metric_id`` (what the app shows beside the figure)."""
    return get(metric_id).definition


def label(metric_id: str) -> str:
    return get(metric_id).label


def commands() -> dict[str, tuple[str, ...]]:
    """``cx metric`` command -> the ids of the catalog entries it prints (``kpis``: the Overview's tiles)."""
    out: dict[str, tuple[str, ...]] = {}
    for m in METRICS.values():
        for command in m.commands:
            out[command] = (*out.get(command, ()), m.id)
    return out


def as_json() -> list[dict[str, Any]]:
    """The whole catalog as JSON-ready records (``cx metric --list --format json``)."""
    return [m.as_dict() for m in METRICS.values()]
