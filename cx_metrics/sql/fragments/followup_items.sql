-- CTE items: one row per customer we failed, under the follow-up policy (cx_metrics.followups.Policy):
--   detractor  - an NPS answer of 0-6 (severe: 0-3); triggered when answered; the team of the customer's latest
--                ticket before it suggested as owner;
--   sla_breach - a complaint (the complaint rule) not resolved within its priority's resolution target, in calendar
--                hours (severe: urgent/high); triggered when the target passed, solved or not;
--   reopened   - a ticket reopened after a solve (severe: twice or more); triggered at its first solve.
-- due_at = triggered_at + $due_hours[kind]; a kind whose hours are 0 is switched off.
-- Binds $due_hours (kind -> hours), $targets (priority -> resolution hours), $as_of (the latest data: failures
-- after it are not known yet; an unsolved complaint is judged at it) and the complaint rule's $custom_rule,
-- $rule_types, $rule_categories, $rule_tags, $rule_low_csat (cx_metrics.followups._params binds them all).
items AS (
    WITH failures AS (
        SELECT 'detractor' AS kind, r.source, r.response_id AS source_id, r.customer_id,
               r.responded_at AS triggered_at,
               CASE WHEN r.score <= 3 THEN 'severe' ELSE 'moderate' END AS severity,
               r.ticket_id, 'NPS ' || CAST(CAST(r.score AS INTEGER) AS VARCHAR) || ' (' || coalesce(r.survey_name, 'survey')
                   || ')' AS why,
               r.comment AS verbatim
        FROM survey_responses AS r
        WHERE r.metric = 'nps' AND r.score <= 6 AND r.customer_id IS NOT NULL
        UNION ALL
        SELECT 'sla_breach', t.source, t.ticket_id, t.customer_id,
               t.created_at + to_seconds(3600 * CAST($targets AS MAP(VARCHAR, DOUBLE))[t.priority]),
               CASE WHEN t.priority IN ('urgent', 'high') THEN 'severe' ELSE 'moderate' END,
               t.ticket_id,
               'Complaint ' || t.ticket_id || ' (' || coalesce(t.priority, 'no') || ' priority) past its '
                   || CAST(CAST($targets AS MAP(VARCHAR, DOUBLE))[t.priority] AS INTEGER) || ' h resolution target'
                   || CASE WHEN t.solved_at IS NULL THEN ', still unresolved' ELSE '' END,
               t.subject
        FROM tickets AS t
        WHERE t.customer_id IS NOT NULL
          AND CAST($targets AS MAP(VARCHAR, DOUBLE))[t.priority] IS NOT NULL
          AND coalesce(t.solved_at, CAST($as_of AS TIMESTAMP))
              > t.created_at + to_seconds(3600 * CAST($targets AS MAP(VARCHAR, DOUBLE))[t.priority])
          AND
          -- @include complaint_rule
        UNION ALL
        SELECT 'reopened', t.source, t.ticket_id, t.customer_id, coalesce(t.first_solved_at, t.created_at),
               CASE WHEN t.reopens >= 2 THEN 'severe' ELSE 'moderate' END,
               t.ticket_id,
               'Ticket ' || t.ticket_id || ' reopened ' || t.reopens || CASE WHEN t.reopens = 1 THEN ' time' ELSE ' times' END,
               t.subject
        FROM tickets AS t
        WHERE t.customer_id IS NOT NULL AND t.reopens >= 1
    )
    SELECT f.kind || ':' || f.source || ':' || f.source_id AS item_key, f.*,
           f.triggered_at + to_seconds(3600 * CAST($due_hours AS MAP(VARCHAR, DOUBLE))[f.kind]) AS due_at,
           coalesce(own.group_name, last.group_name, '(no team)') AS team,
           coalesce(own.assignee, last.assignee) AS assignee
    FROM failures AS f
    LEFT JOIN tickets AS own ON own.source = f.source AND own.ticket_id = f.ticket_id
    -- a failure without a ticket of its own (a survey answer): the customer's latest ticket before it, found by one
    -- as-of join of those failures alone (a lateral "latest before" subquery joined every ticket of every customer)
    LEFT JOIN (
        SELECT o.customer_id, o.triggered_at, t2.group_name, t2.assignee
        FROM (SELECT DISTINCT customer_id, triggered_at FROM failures WHERE ticket_id IS NULL) AS o
        ASOF JOIN (SELECT customer_id, created_at, group_name, assignee FROM tickets) AS t2
          ON t2.customer_id = o.customer_id AND o.triggered_at >= t2.created_at
    ) AS last ON f.ticket_id IS NULL AND last.customer_id = f.customer_id AND last.triggered_at = f.triggered_at
    WHERE coalesce(CAST($due_hours AS MAP(VARCHAR, DOUBLE))[f.kind], 0) > 0
      AND f.triggered_at < CAST($as_of AS TIMESTAMP)
)
