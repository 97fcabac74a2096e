-- grain: one row per period (date_trunc($grain), weeks start Monday) x dimension value ($by: category, channel,
-- priority, group, ticket_type, plan, region, segment, generation, or anything else = all complaints) with at
-- least one complaint created in [$start, $end). "Complaint" follows the configured rule (see complaint_rule).
SELECT
    date_trunc($grain, t.created_at) AS period_start,
    -- @include complaint_dimension
    AS dimension,
    count(*) AS complaints
FROM tickets AS t
LEFT JOIN customers AS c ON c.customer_id = t.customer_id
WHERE
    -- @include complaint_rule
  AND t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
GROUP BY 1, 2
ORDER BY 1, 2
