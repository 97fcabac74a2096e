-- grain: one row per period (date_trunc($grain)) x category with at least one complaint created in
-- [$start, $end). Weeks start on Monday.
SELECT
    date_trunc($grain, t.created_at) AS period_start,
    coalesce(t.category, '(no category)') AS category,
    count(*) AS complaints
FROM tickets AS t
LEFT JOIN customers AS c ON c.customer_id = t.customer_id
WHERE t.is_complaint
  AND t.created_at >= $start AND t.created_at < $end
  AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
  AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
  AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
  AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), t.channel))
GROUP BY 1, 2
ORDER BY 1, 2
