-- grain: one row per period ('current', 'previous'); complaints created in the period
-- params: $prev_start <= created_at < $cur_end, split at $cur_start; shared filters
SELECT
    CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
    count(*) AS complaints
FROM tickets AS t
LEFT JOIN customers AS c ON c.customer_id = t.customer_id
WHERE (CASE WHEN $custom_rule THEN (
        list_contains(CAST($rule_types AS VARCHAR[]), lower(t.ticket_type))
        OR list_contains(CAST($rule_categories AS VARCHAR[]), lower(t.category))
        OR list_has_any(CAST($rule_tags AS VARCHAR[]), list_transform(coalesce(t.tags, []), lambda x: lower(x)))
        OR ($rule_low_csat AND ((t.satisfaction_scale = 'good_bad' AND t.satisfaction_score = 0)
                                OR (t.satisfaction_scale LIKE '1-%' AND t.satisfaction_score <= 2))))
    ELSE t.is_complaint END)
  AND t.created_at >= $prev_start AND t.created_at < $cur_end
  AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
  AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
  AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
  AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), t.channel))
GROUP BY 1
