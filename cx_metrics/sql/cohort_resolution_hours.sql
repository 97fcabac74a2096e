-- grain: one row per solved ticket created in [$start, $end) under the shared filters whose cohort labels are
-- ($value1, $value2): hours to full resolution (feeds the Mann-Whitney comparison of two cohorts).
WITH base AS (
    SELECT
        t.created_at, t.solved_at, t.created_at AS ref_at, t.channel AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM tickets AS t
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end AND t.solved_at >= t.created_at
      -- @include customer_filters
      -- @include channel_filter
),
labelled AS (
    SELECT
        date_diff('second', created_at, solved_at) / 3600.0 AS hours,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
)
SELECT hours FROM labelled WHERE dim1 = $value1 AND dim2 = $value2
