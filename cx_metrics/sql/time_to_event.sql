-- grain: one row per group ($by) x duration (minutes on the $clock, rounded) x event flag, for tickets created in
-- [$start, $end): how many tickets reached the end point ($metric: first_response / first_resolution /
-- full_resolution) after that many minutes (event), or were still waiting at $as_of after that many minutes
-- (censored). Tickets that reached the end point without its time (solved or closed; for the first response also
-- pending or on hold, which means an agent replied) are left out: when it happened is unknown, and they are not
-- still waiting. $by = 'period' splits the tickets at $split into 'previous' and 'current' (the overview's tiles).
-- Aggregated so Kaplan-Meier and the log-rank test run on thousands of rows, not millions; unordered (each consumer
-- sorts its group's durations).
WITH bh AS MATERIALIZED (
    -- @include business_hour_table
),
base AS (
    SELECT
        CASE WHEN $by = 'period' THEN CASE WHEN t.created_at >= $split THEN 'current' ELSE 'previous' END ELSE
            -- @include ticket_group
        END AS grp,
        t.created_at,
        CASE $metric
            WHEN 'first_response' THEN t.first_response_at
            WHEN 'first_resolution' THEN coalesce(t.first_solved_at, t.solved_at)
            ELSE t.solved_at END AS done_at,
        -- @include reached_end($metric)
        AS finished
    FROM tickets AS t
    -- @include group_customers_join(t.customer_id)
    WHERE t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
),
ended AS (
    SELECT grp, created_at, coalesce(done_at, CAST($as_of AS TIMESTAMP)) AS end_at, done_at IS NOT NULL AS event
    FROM base
    WHERE coalesce(done_at, $as_of) >= created_at
      AND NOT (done_at IS NULL AND finished)  -- reached without a recorded time: when is unknown
)
SELECT
    grp,
    round(
        -- @include elapsed_minutes(created_at, end_at)
    ) AS minutes,
    event,
    count(*) AS tickets
FROM ended
-- @include business_join(created_at, end_at)
GROUP BY ALL
