-- grain: one row per period ('current', 'previous').
-- Contractual churn: customers at period start = signed up before it and not churned before it;
-- lost = those whose churned_at falls inside the period. Churn rate = lost / at_start.
SELECT
    p.period,
    count(*) FILTER (
        WHERE c.signup_at < p.start_at AND (c.churned_at IS NULL OR c.churned_at >= p.start_at)
    ) AS at_start,
    count(*) FILTER (
        WHERE c.signup_at < p.start_at AND c.churned_at >= p.start_at AND c.churned_at < p.end_at
    ) AS lost
FROM customers AS c
CROSS JOIN (
    VALUES ('current', $cur_start, $cur_end), ('previous', $prev_start, $cur_start)
) AS p (period, start_at, end_at)
WHERE true
  -- @include customer_filters
GROUP BY p.period
