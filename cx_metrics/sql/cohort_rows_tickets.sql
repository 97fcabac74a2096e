-- grain: one row per ticket created in [$start, $end) under the shared filters in the cell ($value1, $value2),
-- with its hours to full resolution (NULL while open).
WITH base AS (
    SELECT
        t.source, t.ticket_id, t.customer_id, t.created_at, t.solved_at, t.status, t.subject, t.category,
        t.priority, t.group_name, t.created_at AS ref_at, t.channel AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM tickets AS t
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end
      -- @include customer_filters
      -- @include channel_filter
),
labelled AS (
    SELECT
        *,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
)
SELECT
    ticket_id, dim1, dim2, created_at, solved_at, status,
    CASE WHEN solved_at >= created_at THEN round(date_diff('second', created_at, solved_at) / 3600.0, 2) END
        AS resolution_hours,
    interaction_channel AS channel, category, priority, group_name, subject, customer_id, plan, segment, region,
    birth_year, source
FROM labelled
WHERE dim1 = $value1 AND dim2 = $value2
ORDER BY created_at DESC, ticket_id
LIMIT $limit
