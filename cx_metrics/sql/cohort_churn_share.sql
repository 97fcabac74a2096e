-- grain: one row per dim1 x dim2: every customer of the customer table as it stands (a snapshot: no time frame)
-- under the customer filters, and those flagged churned (with or without a churn date). Labels are taken at $end
-- (the table as it stands at the end of the period).
WITH base AS (
    SELECT
        c.customer_id, c.status, $end AS ref_at, CAST(NULL AS VARCHAR) AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM customers AS c
    WHERE true
      -- @include customer_filters
),
labelled AS (
    SELECT
        status,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
)
SELECT dim1, dim2, count(*) AS n, count(*) FILTER (WHERE status = 'churned') AS events
FROM labelled
GROUP BY dim1, dim2
ORDER BY dim1, dim2
