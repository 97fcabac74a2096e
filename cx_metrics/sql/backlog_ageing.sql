-- grain: one row per age bucket: tickets not solved or closed at $as_of (created before it), by how long
-- they have been open. Tickets without any time are counted apart (their age is unknown).
SELECT
    CASE
        WHEN t.created_at IS NULL THEN 'unknown age'
        WHEN $as_of - t.created_at < INTERVAL 1 DAY THEN '< 1 day'
        WHEN $as_of - t.created_at < INTERVAL 3 DAY THEN '1-3 days'
        WHEN $as_of - t.created_at < INTERVAL 7 DAY THEN '3-7 days'
        WHEN $as_of - t.created_at < INTERVAL 30 DAY THEN '7-30 days'
        ELSE '> 30 days' END AS age,
    count(*) AS tickets
FROM tickets AS t
-- @include filter_customers_join(t.customer_id)
WHERE (t.solved_at IS NULL OR t.solved_at > $as_of) AND (t.closed_at IS NULL OR t.closed_at > $as_of)
  AND (t.created_at IS NULL OR t.created_at <= $as_of)
  AND t.status NOT IN ('solved', 'closed')
  -- @include customer_filters
  -- @include channel_filter
GROUP BY 1
