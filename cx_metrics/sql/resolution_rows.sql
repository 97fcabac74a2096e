-- grain: one row per ticket created in [$start, $end) whose $by group equals $value (every ticket when $value is
-- NULL), longest wait first, at most $limit rows: the tickets behind a resolution figure, with the minutes to
-- $metric on the $clock (to $as_of for tickets still waiting) and their resolution SLA outcome.
WITH bh AS MATERIALIZED (
    -- @include business_hour_table
),
base AS (
    SELECT
        t.source, t.ticket_id, t.created_at, t.status, t.channel, t.priority, t.group_name, t.category,
        t.subject, t.customer_id, c.plan, c.region, t.first_response_at, t.solved_at, t.reopens,
        t.group_stations,
        CASE $metric
            WHEN 'first_response' THEN t.first_response_at
            WHEN 'first_resolution' THEN coalesce(t.first_solved_at, t.solved_at)
            ELSE t.solved_at END AS done_at,
        CAST($targets AS MAP(VARCHAR, DOUBLE))[coalesce(t.priority, '(no priority)')] AS target_hours,
        -- @include reached_end($metric)
        AS finished,
        -- @include ticket_group
        AS grp
    FROM tickets AS t
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
),
picked AS (
    SELECT *, coalesce(done_at, CAST($as_of AS TIMESTAMP)) AS end_at
    FROM base
    WHERE ($value IS NULL OR grp = $value)
)
SELECT
    source, ticket_id, created_at, status, channel, priority, group_name, category, subject, customer_id, plan,
    region, first_response_at, solved_at, reopens, group_stations,
    CASE WHEN done_at IS NULL AND finished THEN NULL ELSE round((
        -- @include elapsed_minutes(created_at, end_at)
    ) / 60.0, 2) END AS hours,
    CASE WHEN done_at IS NOT NULL THEN 'done' WHEN finished THEN 'done, time unknown' ELSE 'still waiting' END
        AS state,
    target_hours
FROM picked
-- @include business_join(created_at, end_at)
ORDER BY hours DESC NULLS LAST, created_at
LIMIT $limit
