-- grain: one row per creation period ($grain: day / week / month, or 'all' for a single NULL period) x priority for
-- one target ($metric: first_response / resolution) for tickets created in
-- [$start, $end). A ticket achieved the target when it reached the end point within the priority's target
-- hours ($targets: a map priority -> hours, counted on the $clock); it breached when it reached it later, or is
-- still waiting at $as_of past the target; it is pending when still waiting and not yet past it (in neither count).
WITH bh AS MATERIALIZED (
    -- @include business_hour_table
),
base AS (
    SELECT
        coalesce(t.priority, '(no priority)') AS priority,
        t.created_at,
        CASE WHEN $metric = 'first_response' THEN t.first_response_at ELSE t.solved_at END AS done_at,
        CAST($targets AS MAP(VARCHAR, DOUBLE))[coalesce(t.priority, '(no priority)')] AS target_hours,
        -- @include reached_end($metric)
        AS finished
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
),
timed AS (
    SELECT
        CASE $grain WHEN 'day' THEN date_trunc('day', created_at) WHEN 'week' THEN date_trunc('week', created_at)
            WHEN 'month' THEN date_trunc('month', created_at) END AS period_start,
        priority, target_hours, done_at IS NOT NULL AS done,
        -- @include elapsed_minutes(created_at, end_at)
        AS minutes
    FROM (SELECT *, coalesce(done_at, CAST($as_of AS TIMESTAMP)) AS end_at FROM base
          WHERE target_hours IS NOT NULL
            AND NOT (done_at IS NULL AND finished)) AS b  -- reached, time unknown: in neither count
    -- @include business_join(created_at, end_at)
)
SELECT
    period_start,
    priority,
    any_value(target_hours) AS target_hours,
    count(*) FILTER (WHERE done AND minutes <= target_hours * 60) AS achieved,
    count(*) FILTER (WHERE minutes > target_hours * 60) AS breached,
    count(*) FILTER (WHERE NOT done AND minutes <= target_hours * 60) AS pending,
    count(*) FILTER (WHERE NOT done AND minutes > target_hours * 60) AS open_breached
FROM timed
GROUP BY period_start, priority
ORDER BY period_start, priority
