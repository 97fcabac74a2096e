-- grain: one row per period ('current', 'previous') for tickets created in the period.
-- $metric = 'first_response' (created -> first agent reply) or 'resolution' (created -> last solved).
-- Completed tickets give the median (with a distribution-free order-statistic CI, normal approximation
-- of the binomial ranks, $z) and p90; tickets still waiting are counted as censored, never as zero.
-- above_pooled feeds Mood's median test between the two periods.
WITH base AS (
    SELECT
        CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
        t.created_at,
        CASE WHEN $metric = 'first_response' THEN t.first_response_at ELSE t.solved_at END AS done_at,
        t.status IN ('solved', 'closed') AS finished
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $prev_start AND t.created_at < $cur_end
  -- @include customer_filters
      -- @include channel_filter
),
done AS (
    SELECT period, date_diff('second', created_at, done_at) / 3600.0 AS hours
    FROM base
    WHERE done_at IS NOT NULL AND done_at >= created_at
),
pooled AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median_hours FROM done
),
summary AS (
    -- the median's CI bounds are order statistics: the values at ranks floor(n/2 - z sqrt(n)/2) and
    -- ceil(1 + n/2 + z sqrt(n)/2), read from each period's sorted durations (one sort, no window)
    SELECT
        period,
        count(*) AS completed,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median_hours,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90_hours,
        list_sort(list(hours)) AS sorted,
        count(*) FILTER (WHERE hours > (SELECT median_hours FROM pooled)) AS above_pooled
    FROM done
    GROUP BY period
),
waiting AS (
    SELECT
        period,
        count(*) FILTER (WHERE done_at IS NULL AND NOT finished) AS still_waiting,
        count(*) FILTER (WHERE done_at IS NULL AND finished) AS end_unknown,
        count(*) FILTER (WHERE done_at < created_at) AS inconsistent
    FROM base
    GROUP BY period
)
SELECT
    p.period,
    coalesce(s.completed, 0) AS completed,
    s.median_hours,
    s.p90_hours,
    s.sorted[CAST(greatest(1, floor(s.completed / 2.0 - $z * sqrt(s.completed) / 2.0)) AS BIGINT)] AS median_ci_low,
    s.sorted[CAST(least(s.completed, ceil(1 + s.completed / 2.0 + $z * sqrt(s.completed) / 2.0)) AS BIGINT)]
        AS median_ci_high,
    coalesce(s.above_pooled, 0) AS above_pooled,
    coalesce(w.still_waiting, 0) AS still_waiting,
    coalesce(w.end_unknown, 0) AS end_unknown,
    coalesce(w.inconsistent, 0) AS inconsistent
FROM (VALUES ('current'), ('previous')) AS p (period)
LEFT JOIN summary AS s ON s.period = p.period
LEFT JOIN waiting AS w ON w.period = p.period
