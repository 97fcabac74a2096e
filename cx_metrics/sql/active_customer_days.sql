-- grain: one row per period ('current' [$cur_start, $cur_end), 'previous' [$prev_start, $cur_start)) x dimension
-- value: customer-days of exposure, the days each customer was active inside the period (signed up, not churned),
-- summed. For ticket dimensions the dimension is NULL (the whole filtered base).
SELECT
    p.period,
    -- @include cohort_dimension
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
