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
        WHEN 'generation' THEN
            -- @include generation
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
  -- @include customer_filters
GROUP BY 1, 2
