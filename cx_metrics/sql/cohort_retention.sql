-- grain: one row per start cohort ($grain month or quarter of customer_life.start_at: the signup, else the first
-- activity) x periods after that start at which a customer churned under the churn definition in force
-- (customer_life: $mode, $obs_end, as on the Churn page; NULL offset = not churned by $obs_end): how many customers.
-- Retention at k periods = 1 - churned with offset < k over the cohort size; cells after the month of $obs_end are
-- not observable (masked in Python). Needs $grain, $start, $end, $mode, $obs_end and the customer filters
-- (cohorts.grid binds them).
WITH
-- @include customer_life
SELECT
    date_trunc($grain, c.start_at) AS cohort_start,
    CASE WHEN c.churned_at IS NULL THEN NULL
         WHEN $grain = 'quarter' THEN date_diff('quarter', date_trunc('quarter', c.start_at), c.churned_at)
         ELSE date_diff('month', date_trunc('month', c.start_at), c.churned_at) END AS churn_offset,
    count(*) AS customers
FROM customer_life AS c
WHERE c.start_at IS NOT NULL AND c.start_at >= $start AND c.start_at < $end
GROUP BY 1, 2
ORDER BY 1, 2
