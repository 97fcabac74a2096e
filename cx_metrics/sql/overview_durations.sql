-- grain: one row per metric ('first_response': created -> first agent reply, 'resolution': created -> last solved)
-- x period ('current', 'previous') for tickets created in the period, both metrics from one scan.
-- Completed tickets give the median (with a distribution-free order-statistic CI, normal approximation
-- of the binomial ranks, $z) and p90; tickets still waiting are counted as censored, never as zero.
-- above_pooled feeds Mood's median test between the two periods.
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
    SELECT period, created_at, finished, m.metric,
           CASE m.metric WHEN 'first_response' THEN first_response_at ELSE solved_at END AS done_at
    FROM base CROSS JOIN (VALUES ('first_response'), ('resolution')) AS m (metric)
),
done AS (
    SELECT metric, period, date_diff('second', created_at, done_at) / 3600.0 AS hours
    FROM ends
    WHERE done_at IS NOT NULL AND done_at >= created_at
),
pooled AS (
    SELECT metric, median(hours) AS median_hours FROM done GROUP BY metric
),
sorted AS (
    -- one sort per metric and period; the median, p90 and the median's CI bounds are all read from it
    SELECT d.metric, d.period, count(*) AS completed, list_sort(list(d.hours)) AS sorted,
           count(*) FILTER (WHERE d.hours > p.median_hours) AS above_pooled
    FROM done AS d JOIN pooled AS p USING (metric)
    GROUP BY d.metric, d.period
),
ranked AS (
    -- percentile_cont's linear interpolation: position 1 + q (n - 1) between its two neighbouring values;
    -- the median CI bounds are the order statistics at ranks floor(n/2 - z sqrt(n)/2) and ceil(1 + n/2 + z sqrt(n)/2)
    SELECT *,
        1 + 0.5 * (completed - 1) AS pos50,
        1 + 0.9 * (completed - 1) AS pos90,
        CAST(greatest(1, floor(completed / 2.0 - $z * sqrt(completed) / 2.0)) AS BIGINT) AS rank_low,
        CAST(least(completed, ceil(1 + completed / 2.0 + $z * sqrt(completed) / 2.0)) AS BIGINT) AS rank_high
    FROM sorted
),
summary AS (
    SELECT metric, period, completed, above_pooled,
        sorted[CAST(floor(pos50) AS BIGINT)]
            + (pos50 - floor(pos50)) * (sorted[CAST(ceil(pos50) AS BIGINT)] - sorted[CAST(floor(pos50) AS BIGINT)])
            AS median_hours,
        sorted[CAST(floor(pos90) AS BIGINT)]
            + (pos90 - floor(pos90)) * (sorted[CAST(ceil(pos90) AS BIGINT)] - sorted[CAST(floor(pos90) AS BIGINT)])
            AS p90_hours,
        sorted[rank_low] AS median_ci_low,
        sorted[rank_high] AS median_ci_high
    FROM ranked
),
waiting AS (
    SELECT
        metric, period,
        count(*) FILTER (WHERE done_at IS NULL AND NOT finished) AS still_waiting,
        count(*) FILTER (WHERE done_at IS NULL AND finished) AS end_unknown,
        count(*) FILTER (WHERE done_at < created_at) AS inconsistent
    FROM ends
    GROUP BY metric, period
)
SELECT
    k.metric,
    k.period,
    coalesce(s.completed, 0) AS completed,
    s.median_hours,
    s.p90_hours,
    s.median_ci_low,
    s.median_ci_high,
    coalesce(s.above_pooled, 0) AS above_pooled,
    coalesce(w.still_waiting, 0) AS still_waiting,
    coalesce(w.end_unknown, 0) AS end_unknown,
    coalesce(w.inconsistent, 0) AS inconsistent
FROM (VALUES ('first_response', 'current'), ('first_response', 'previous'), ('resolution', 'current'),
             ('resolution', 'previous')) AS k (metric, period)
LEFT JOIN summary AS s ON s.metric = k.metric AND s.period = k.period
LEFT JOIN waiting AS w ON w.metric = k.metric AND w.period = k.period
ORDER BY k.metric, k.period
