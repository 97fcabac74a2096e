-- grain: one row per dim1 x dim2: customers active at $start (signed up before it, not churned before it) under
-- the customer filters, and those whose churned_at falls in [$start, $end). Cohort labels are taken at $start.
WITH base AS (
    SELECT
        c.customer_id, c.churned_at, $start AS ref_at, CAST(NULL AS VARCHAR) AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM customers AS c
    WHERE (c.signup_at IS NULL OR c.signup_at < $start) AND (c.churned_at IS NULL OR c.churned_at >= $start)
      AND (c.status = 'active' OR c.churned_at IS NOT NULL)  -- churned with no date: not placeable in time
      -- @include customer_filters
),
labelled AS (
    SELECT
        churned_at,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
)
SELECT dim1, dim2, count(*) AS n, count(*) FILTER (WHERE churned_at < $end) AS events
FROM labelled
GROUP BY dim1, dim2
ORDER BY dim1, dim2
