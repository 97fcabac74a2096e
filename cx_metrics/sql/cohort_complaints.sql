-- grain: one row per dim1 x dim2: customers active at some time in [$start, $end) (signed up before its end, not
-- churned before its start) under the customer filters, and the complaints they opened in it (the configured
-- complaint rule); how many had 0, 1, 2, 3+ complaints gives the spread. Labels are taken at $start.
WITH base AS (
    SELECT
        c.customer_id, $start AS ref_at, CAST(NULL AS VARCHAR) AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM customers AS c
    WHERE (c.signup_at IS NULL OR c.signup_at < $end) AND (c.churned_at IS NULL OR c.churned_at >= $start)
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
        coalesce(p.complaints, 0) AS complaints,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
    LEFT JOIN per_customer AS p ON p.customer_id = base.customer_id
)
SELECT
    dim1, dim2, count(*) AS n, sum(complaints) AS events,
    count(*) FILTER (WHERE complaints = 0) AS with_0,
    count(*) FILTER (WHERE complaints = 1) AS with_1,
    count(*) FILTER (WHERE complaints = 2) AS with_2,
    count(*) FILTER (WHERE complaints >= 3) AS with_3_plus
FROM labelled
GROUP BY dim1, dim2
ORDER BY dim1, dim2
