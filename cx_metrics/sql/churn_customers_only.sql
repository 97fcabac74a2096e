-- grain: one row per customer (shared filters applied), for data without any time frame (a CRM export with a
-- churn flag but no churn dates): the customer's own fields, and label = flagged churned (status).
SELECT
    c.customer_id,
    c.status = 'churned' AS label,
    c.plan, c.segment, c.region, c.acquisition_channel,
    -- @include generation
    AS generation,
    date_diff('day', c.signup_at, $as_of) AS tenure_days
FROM customers AS c
WHERE true
  -- @include customer_filters
ORDER BY c.customer_id
