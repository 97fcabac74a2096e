-- grain: one row per handling bucket ($by: resolution_time, handoffs, reopened) for $metric (csat / nps)
-- responses linked to tickets created in [$start, $end): responses, satisfied ones (top $top_boxes boxes; good on
-- good/bad), promoters (>= scale_max - 1) and detractors (<= scale_max - 4).
WITH linked AS (
    SELECT
        r.score, r.scale_min, r.scale_max,
        CASE $by
            WHEN 'resolution_time' THEN CASE
                WHEN t.solved_at IS NULL THEN 'not solved'
                WHEN t.solved_at - t.created_at < INTERVAL 4 HOUR THEN 'a: < 4 h'
                WHEN t.solved_at - t.created_at < INTERVAL 24 HOUR THEN 'b: 4-24 h'
                WHEN t.solved_at - t.created_at < INTERVAL 72 HOUR THEN 'c: 1-3 days'
                WHEN t.solved_at - t.created_at < INTERVAL 7 DAY THEN 'd: 3-7 days'
                ELSE 'e: > 7 days' END
            WHEN 'handoffs' THEN CASE WHEN t.group_stations IS NULL THEN '(unknown)'
                WHEN t.group_stations <= 1 THEN '0 handoffs' WHEN t.group_stations = 2 THEN '1 handoff'
                ELSE '2+ handoffs' END
            ELSE CASE WHEN coalesce(t.reopens, 0) > 0 THEN 'reopened' ELSE 'not reopened' END
        END AS bucket
    FROM survey_responses AS r
    JOIN tickets AS t ON t.ticket_id = r.ticket_id
    -- @include filter_customers_join(t.customer_id)
    WHERE r.metric = $metric AND t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
)
SELECT
    bucket,
    count(*) AS responses,
    count(*) FILTER (
        WHERE score > scale_max - CASE WHEN scale_max - scale_min + 1 >= 4 THEN $top_boxes ELSE 1 END
    ) AS satisfied,
    count(*) FILTER (WHERE score >= scale_max - 1) AS promoters,
    count(*) FILTER (WHERE score <= scale_max - 4) AS detractors
FROM linked
GROUP BY bucket
ORDER BY bucket
