-- grain: one row per metric ('first_response': created -> first agent reply, 'resolution': created -> last solved)
-- x period ('current', 'previous', and 'both' for the two together) over the completed tickets created in the
-- period (end at or after the creation time): how many, and their median. The median's CI bounds are order
-- statistics whose ranks depend on these counts; overview_durations reads them at the positions derived here, and
-- splits each period at the pooled ('both') median for Mood's median test.
WITH base AS (
    SELECT
        CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
        t.created_at,
        t.first_response_at,
        t.solved_at
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $prev_start AND t.created_at < $cur_end
  -- @include customer_filters
      -- @include channel_filter
),
timed AS (
    SELECT m.metric, b.period,
           CASE WHEN m.metric = 'first_response' AND b.first_response_at >= b.created_at
                    THEN date_diff('second', b.created_at, b.first_response_at) / 3600.0
                WHEN m.metric = 'resolution' AND b.solved_at >= b.created_at
                    THEN date_diff('second', b.created_at, b.solved_at) / 3600.0 END AS hours
    FROM base AS b CROSS JOIN (VALUES ('first_response'), ('resolution')) AS m (metric)
)
SELECT metric, coalesce(period, 'both') AS period, count(*) AS completed, median(hours) AS median_hours
FROM timed
WHERE hours IS NOT NULL
GROUP BY GROUPING SETS ((metric, period), (metric))
ORDER BY metric, period
