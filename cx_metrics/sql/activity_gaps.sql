-- grain: one row: quantiles of the gaps in days between a customer's consecutive activity events (orders, logins,
-- renewals), the basis of the suggested inactivity window for non-contractual churn.
WITH gaps AS (
    SELECT
        date_diff('second', lag(occurred_at) OVER (PARTITION BY customer_id ORDER BY occurred_at), occurred_at)
            / 86400.0 AS gap_days
    FROM customer_activity
)
SELECT
    count(gap_days) AS gaps,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY gap_days) AS p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY gap_days) AS p90,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY gap_days) AS p95,
    percentile_cont(0.99) WITHIN GROUP (ORDER BY gap_days) AS p99
FROM gaps
WHERE gap_days > 0
