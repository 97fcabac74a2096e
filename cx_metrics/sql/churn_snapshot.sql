-- grain: one row per cohort ($by) of the customer table as it stands (a snapshot: one row per customer, a churn flag,
-- no time frame), under the customer filters: its customers, those flagged churned (with or without a churn date)
-- and those flagged without a date. Snapshot churn share = churned / customers.
WITH c AS (
    SELECT c.plan, c.region, c.segment, c.acquisition_channel, c.birth_year, c.signup_at AS start_at, c.status,
           c.churned_at
    FROM customers AS c
    WHERE true
      -- @include customer_filters
)
SELECT
    -- @include churn_cohort
    AS cohort,
    count(*) AS customers,
    count(*) FILTER (WHERE c.status = 'churned') AS churned,
    count(*) FILTER (WHERE c.status = 'churned' AND c.churned_at IS NULL) AS undated
FROM c
GROUP BY ALL
ORDER BY 1
