-- grain: one row per priority x target ($metric: first_response / resolution) for tickets created in
-- [$start, $end). A ticket achieved the target when it reached the end point within the priority's target
-- hours ($targets: a map priority -> hours); it breached when it reached it later, or is still waiting at $as_of
-- past the target; it is pending when still waiting and not yet past it (in neither count).
WITH base AS (
    SELECT
        coalesce(t.priority, '(no priority)') AS priority,
        t.created_at,
        CASE WHEN $metric = 'first_response' THEN t.first_response_at ELSE t.solved_at END AS done_at,
        CAST($targets AS MAP(VARCHAR, DOUBLE))[coalesce(t.priority, '(no priority)')] AS target_hours,
        t.status IN ('solved', 'closed') AS finished
    FROM tickets AS t
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
)
SELECT
    priority,
    any_value(target_hours) AS target_hours,
    count(*) FILTER (WHERE done_at IS NOT NULL AND done_at <= created_at + to_seconds(CAST(target_hours * 3600 AS BIGINT)))
        AS achieved,
    count(*) FILTER (WHERE (done_at IS NOT NULL AND done_at > created_at + to_seconds(CAST(target_hours * 3600 AS BIGINT)))
        OR (done_at IS NULL AND $as_of > created_at + to_seconds(CAST(target_hours * 3600 AS BIGINT)))) AS breached,
    count(*) FILTER (WHERE done_at IS NULL AND $as_of <= created_at + to_seconds(CAST(target_hours * 3600 AS BIGINT)))
        AS pending,
    count(*) FILTER (WHERE done_at IS NULL AND $as_of > created_at + to_seconds(CAST(target_hours * 3600 AS BIGINT)))
        AS open_breached
FROM base
WHERE target_hours IS NOT NULL
  AND NOT (done_at IS NULL AND finished)  -- solved/closed with no time recorded: neither achieved nor breached
GROUP BY priority
ORDER BY priority
