-- grain: one row per period ('current', 'previous'); complaints created in the period
-- params: $prev_start <= created_at < $cur_end, split at $cur_start; shared filters
SELECT
    CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
    count(*) AS complaints
FROM tickets AS t
-- @include filter_customers_join(t.customer_id)
WHERE
    -- @include complaint_rule
  AND t.created_at >= $prev_start AND t.created_at < $cur_end
  -- @include customer_filters
  -- @include channel_filter
GROUP BY 1
