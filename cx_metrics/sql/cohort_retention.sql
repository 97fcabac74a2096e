-- grain: one row per signup cohort ($grain month or quarter of signup_at) x periods after signup at which a
-- customer churned (NULL offset = not churned): how many customers. Retention at k periods = 1 - churned with
-- offset < k over the cohort size; cells after the data's last day are not observable (masked in Python).
SELECT
    date_trunc($grain, c.signup_at) AS cohort_start,
    CASE WHEN c.churned_at IS NULL THEN NULL
         WHEN $grain = 'quarter' THEN date_diff('quarter', date_trunc('quarter', c.signup_at), c.churned_at)
         ELSE date_diff('month', date_trunc('month', c.signup_at), c.churned_at) END AS churn_offset,
    count(*) AS customers
FROM customers AS c
WHERE c.signup_at IS NOT NULL AND c.signup_at >= $start AND c.signup_at < $end
  -- @include customer_filters
GROUP BY 1, 2
ORDER BY 1, 2
