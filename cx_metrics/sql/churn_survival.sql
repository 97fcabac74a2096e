-- grain: one row per cohort ($by) x whole days from start to churn (event) or to $obs_end (censored).
-- Kaplan-Meier runs on these counts, never on one row per customer.
WITH
-- @include customer_life
SELECT
    -- @include churn_cohort
    AS grp,
    date_diff('day', c.start_at, coalesce(c.churned_at, $obs_end)) AS days,
    c.churned_at IS NOT NULL AS event,
    count(*) AS customers
FROM customer_life AS c
WHERE c.start_at IS NOT NULL AND c.start_at < $obs_end
GROUP BY ALL
ORDER BY 1, 2
