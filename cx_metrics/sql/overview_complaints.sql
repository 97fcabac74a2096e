-- grain: one row per period ('current', 'previous'); complaints created in the period
-- params: $prev_start <= created_at < $cur_end, split at $cur_start; shared filters
SELECT
    CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
    count(*) AS complaints
FROM tickets AS t
LEFT JOIN customers AS c ON c.customer_id = t.customer_id
WHERE t.is_complaint
  AND t.created_at >= $prev_start AND t.created_at < $cur_end
  AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
  AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
  AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
  AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), t.channel))
GROUP BY 1
