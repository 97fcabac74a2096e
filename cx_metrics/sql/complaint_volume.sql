-- grain: one row per period (date_trunc($grain), weeks start Monday) x dimension value ($by: category, channel,
-- priority, group, ticket_type, plan, region, segment, generation, or anything else = all complaints) with at
-- least one complaint created in [$start, $end). "Complaint" follows the configured rule (see complaint_rule).
SELECT
    date_trunc($grain, t.created_at) AS period_start,
    CASE $by
        WHEN 'category' THEN coalesce(t.category, '(no category)')
        WHEN 'channel' THEN coalesce(t.channel, '(no channel)')
        WHEN 'priority' THEN coalesce(t.priority, '(no priority)')
        WHEN 'group' THEN coalesce(t.group_name, '(no group)')
        WHEN 'ticket_type' THEN coalesce(t.ticket_type, '(no type)')
        WHEN 'plan' THEN coalesce(c.plan, '(unknown)')
        WHEN 'region' THEN coalesce(c.region, '(unknown)')
        WHEN 'segment' THEN coalesce(c.segment, '(unknown)')
        WHEN 'generation' THEN CASE
            WHEN c.birth_year IS NULL THEN '(unknown)'
            WHEN c.birth_year <= 1945 THEN 'Silent'
            WHEN c.birth_year <= 1964 THEN 'Boomers'
            WHEN c.birth_year <= 1980 THEN 'Gen X'
            WHEN c.birth_year <= 1996 THEN 'Millennials'
            WHEN c.birth_year <= 2012 THEN 'Gen Z'
            ELSE 'Gen Alpha' END
        ELSE 'All complaints' END AS dimension,
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
  AND t.created_at >= $start AND t.created_at < $end
  AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
  AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
  AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
  AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), t.channel))
GROUP BY 1, 2
ORDER BY 1, 2
