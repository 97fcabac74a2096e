-- grain: one row per customer of the cell ($value1, $value2) behind churn ($kind = 'churn': active at $start),
-- the snapshot churn share ($kind = 'snapshot': every customer) or complaint rates ($kind = 'complaints': active
-- some time in [$start, $end)), with churn in the period and complaints opened in it (the configured complaint
-- rule). Labels are taken at $start ($end for the snapshot). Churn follows the definition in force (customer_life).
WITH
-- @include customer_life
, base AS (
    SELECT
        c.customer_id, CASE WHEN $kind = 'churn' THEN l.churned_at ELSE c.churned_at END AS churned_at, c.status, CASE WHEN $kind = 'snapshot' THEN $end ELSE $start END AS ref_at,
        CAST(NULL AS VARCHAR) AS interaction_channel, CAST(NULL AS VARCHAR) AS survey_name,
        CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM customers AS c
    LEFT JOIN customer_life AS l ON l.customer_id = c.customer_id
    WHERE CASE WHEN $kind = 'snapshot' THEN true
          WHEN $kind = 'churn'  -- as cohort_churn.sql: there at $start under the churn definition in force
            THEN l.start_at < $start AND (l.churned_at IS NULL OR l.churned_at >= $start)
            ELSE (c.signup_at IS NULL OR c.signup_at < $end) AND (c.churned_at IS NULL OR c.churned_at >= $start) END
      -- @include customer_filters
),
per_customer AS (
    SELECT t.customer_id, count(*) AS complaints
    FROM tickets AS t
    WHERE t.created_at >= $start AND t.created_at < $end AND t.customer_id IS NOT NULL
      AND
        -- @include complaint_rule
    GROUP BY t.customer_id
),
labelled AS (
    SELECT
        base.*, coalesce(p.complaints, 0) AS complaints_in_period,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
    LEFT JOIN per_customer AS p ON p.customer_id = base.customer_id
)
SELECT
    customer_id, dim1, dim2, signup_at, birth_year, plan, segment, region, country, acquisition_channel, status,
    churned_at, coalesce(churned_at >= $start AND churned_at < $end, false) AS churned_in_period, complaints_in_period,
    CAST(attributes AS VARCHAR) AS attributes
FROM labelled
WHERE dim1 = $value1 AND dim2 = $value2
ORDER BY complaints_in_period DESC, customer_id
LIMIT $limit
