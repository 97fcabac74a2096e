-- grain: one row per end point ($metrics: first_response / first_resolution / full_resolution) for the tickets
-- created in [$start, $end) under the shared filters: what a time-to-event figure leaves out or censors, for its
-- note. still_waiting: not reached yet (censored at the data's latest time); end_unknown: reached without a
-- recorded time (see fragments/reached_end); inconsistent: the end recorded before the creation time.
WITH base AS (
    SELECT
        m.metric,
        t.created_at,
        CASE m.metric
            WHEN 'first_response' THEN t.first_response_at
            WHEN 'first_resolution' THEN coalesce(t.first_solved_at, t.solved_at)
            ELSE t.solved_at END AS done_at,
        -- @include reached_end(m.metric)
        AS finished
    FROM tickets AS t
    CROSS JOIN (SELECT unnest(CAST($metrics AS VARCHAR[])) AS metric) AS m
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $start AND t.created_at < $end
      -- @include customer_filters
      -- @include channel_filter
)
SELECT
    metric,
    count(*) FILTER (WHERE done_at IS NULL AND NOT finished) AS still_waiting,
    count(*) FILTER (WHERE done_at IS NULL AND finished) AS end_unknown,
    count(*) FILTER (WHERE done_at < created_at) AS inconsistent
FROM base
GROUP BY metric
