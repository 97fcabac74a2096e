-- grain: one row per period ('current' [$cur_start, $cur_end), 'previous' [$prev_start, $cur_start)) x dimension
-- value: customer-days of exposure, the days each customer was active inside the period (signed up, not churned),
-- summed. For ticket dimensions the dimension is NULL (the whole filtered base).
SELECT
    p.period,
    CASE WHEN $by IN ('plan', 'region', 'segment', 'generation') THEN CASE $by
        WHEN 'category' THEN coalesce(NULL, '(no category)')
        WHEN 'channel' THEN coalesce(NULL, '(no channel)')
        WHEN 'priority' THEN coalesce(NULL, '(no priority)')
        WHEN 'group' THEN coalesce(NULL, '(no group)')
        WHEN 'ticket_type' THEN coalesce(NULL, '(no type)')
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
        ELSE 'All complaints' END ELSE NULL END
        AS dimension,
    sum(greatest(0, date_diff('second',
        greatest(p.start_at, coalesce(c.signup_at, p.start_at)),
        least(p.end_at, coalesce(c.churned_at, p.end_at))) / 86400.0)) AS customer_days
FROM customers AS c
CROSS JOIN (
    VALUES ('current', $cur_start, $cur_end), ('previous', $prev_start, $cur_start)
) AS p (period, start_at, end_at)
WHERE true
  AND ($all_plans OR list_contains(CAST($plans AS VARCHAR[]), c.plan))
  AND ($all_regions OR list_contains(CAST($regions AS VARCHAR[]), c.region))
  AND ($all_segments OR list_contains(CAST($segments AS VARCHAR[]), c.segment))
GROUP BY 1, 2
