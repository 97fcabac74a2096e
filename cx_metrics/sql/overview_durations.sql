-- grain: one row per metric ('first_response', 'resolution') x period ('current', 'previous') for tickets created
-- in the period, both metrics from one scan. After overview_duration_counts:
--   ci_bounds: the completed durations at the quantile positions $positions (quantile_disc: the order statistic at
--     0-based index round((n - 1) q)); the caller picks each group's two CI ranks from them;
--   above_pooled: completed durations above the metric's pooled median ($pooled_medians: metric -> hours), for
--     Mood's median test;
--   tickets still waiting (censored, never zero), solved or closed without a time, and ending before creation.
WITH base AS (
    SELECT
        CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
        t.created_at,
        t.first_response_at,
        t.solved_at,
        t.status IN ('solved', 'closed') AS finished
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $prev_start AND t.created_at < $cur_end
  -- @include customer_filters
      -- @include channel_filter
),
ends AS (
    SELECT m.metric, b.period, b.created_at, b.finished,
           CASE m.metric WHEN 'first_response' THEN b.first_response_at ELSE b.solved_at END AS done_at
    FROM base AS b CROSS JOIN (VALUES ('first_response'), ('resolution')) AS m (metric)
),
timed AS (
    SELECT *, CASE WHEN done_at >= created_at THEN date_diff('second', created_at, done_at) / 3600.0 END AS hours
    FROM ends
)
SELECT
    metric,
    period,
    quantile_disc(hours, CAST($positions AS DOUBLE[])) AS ci_bounds,
    count(*) FILTER (WHERE hours > CAST($pooled_medians AS MAP(VARCHAR, DOUBLE))[metric]) AS above_pooled,
    count(*) FILTER (WHERE done_at IS NULL AND NOT finished) AS still_waiting,
    count(*) FILTER (WHERE done_at IS NULL AND finished) AS end_unknown,
    count(*) FILTER (WHERE done_at < created_at) AS inconsistent
FROM timed
GROUP BY metric, period
ORDER BY metric, period
