-- grain: one row per day in [$start, $end): the backlog (tickets not solved or closed) at the end of the day,
-- tickets that became open that day (created, or reopened) and that left the backlog (solved, closed).
-- Tickets with a status history (ticket_events) follow it, so reopens and later solves count when they
-- happened; others are open from creation to their solved (or closed) time. Solved/closed tickets with no time
-- recorded are left out: when they left the backlog is unknown.
WITH status AS (
    SELECT
        e.source, e.ticket_id, e.occurred_at AS changed_at,
        replace(lower(trim(e.value)), '-', '') NOT IN ('solved', 'closed', 'deleted') AS is_open
    FROM ticket_events AS e
    LEFT JOIN tickets AS t ON t.source = e.source AND t.ticket_id = e.ticket_id
    -- @include filter_customers_join(t.customer_id)
    WHERE lower(e.field) = 'status' AND e.value IS NOT NULL
  -- @include customer_filters
  -- @include channel_filter
),
status_changes AS (
    SELECT changed_at, CAST(is_open AS INTEGER)
               - CAST(coalesce(lag(is_open) OVER (PARTITION BY source, ticket_id ORDER BY changed_at), false) AS INTEGER)
               AS delta
    FROM status
),
plain AS (
    SELECT t.created_at, coalesce(t.solved_at, t.closed_at) AS ended_at, t.status IN ('solved', 'closed') AS finished
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM status AS s WHERE s.source = t.source AND s.ticket_id = t.ticket_id)
  -- @include customer_filters
  -- @include channel_filter
),
changes AS (
    SELECT changed_at, delta FROM status_changes WHERE delta <> 0
    UNION ALL
    SELECT created_at, 1 FROM plain WHERE (ended_at IS NULL AND NOT finished) OR ended_at >= created_at
    UNION ALL
    SELECT ended_at, -1 FROM plain WHERE ended_at IS NOT NULL AND ended_at >= created_at
),
daily AS (
    SELECT CAST(changed_at AS DATE) AS day, sum(delta) AS delta,
           count(*) FILTER (WHERE delta > 0) AS opened, count(*) FILTER (WHERE delta < 0) AS left_backlog
    FROM changes
    WHERE changed_at < $end
    GROUP BY 1
),
days AS (
    SELECT CAST(range AS DATE) AS day
    FROM range(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP), INTERVAL 1 DAY)
)
SELECT
    d.day,
    (SELECT coalesce(sum(delta), 0) FROM daily WHERE day < CAST($start AS DATE))
        + sum(coalesce(x.delta, 0)) OVER (ORDER BY d.day) AS backlog,
    coalesce(x.opened, 0) AS opened,
    coalesce(x.left_backlog, 0) AS left_backlog
FROM days AS d
LEFT JOIN daily AS x ON x.day = d.day
ORDER BY d.day
