-- grain: one row per dim1 x dim2, under the customer filters. Timed churn ($snapshot false): customers there at
-- $start and those of them lost in [$start, $end), under the churn definition in force (customer_life: $mode,
-- $obs_end), as on the Churn page (churn_rates.sql); labels taken at $start. The snapshot churn share ($snapshot
-- true): every customer of the table as it stands and those flagged churned, with or without a churn date; labels
-- taken at $end.
WITH
-- @include customer_life
, base AS (
    SELECT
        c.customer_id, l.churned_at, c.status, CASE WHEN $snapshot THEN $end ELSE $start END AS ref_at,
        CAST(NULL AS VARCHAR) AS interaction_channel, CAST(NULL AS VARCHAR) AS survey_name,
        CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM customers AS c
    LEFT JOIN customer_life AS l ON l.customer_id = c.customer_id
    WHERE ($snapshot OR (l.start_at < $start AND (l.churned_at IS NULL OR l.churned_at >= $start)))
      -- @include customer_filters
),
labelled AS (
    SELECT
        churned_at, status,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
)
SELECT dim1, dim2, count(*) AS n,
       count(*) FILTER (WHERE CASE WHEN $snapshot THEN status = 'churned' ELSE churned_at < $end END) AS events
FROM labelled
GROUP BY dim1, dim2
ORDER BY dim1, dim2
