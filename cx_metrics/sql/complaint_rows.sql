-- grain: one row per complaint ticket created in [$start, $end) whose $by dimension equals $value (every
-- complaint when $value is NULL), newest first, at most $limit rows: the rows behind a bar or a point.
SELECT
    t.source, t.ticket_id, t.created_at, t.status, t.channel, t.category, t.priority, t.ticket_type,
    t.group_name, t.subject, t.customer_id, c.plan, c.region, t.first_response_at, t.solved_at, t.reopens,
    t.group_stations
FROM tickets AS t
LEFT JOIN customers AS c ON c.customer_id = t.customer_id
WHERE
    -- @include complaint_rule
  AND t.created_at >= $start AND t.created_at < $end
  AND ($value IS NULL OR $value =
      -- @include complaint_dimension
  )
  -- @include customer_filters
  -- @include channel_filter
ORDER BY t.created_at DESC
LIMIT $limit
