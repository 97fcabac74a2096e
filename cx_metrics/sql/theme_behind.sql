-- grain: one row per period ('current' / 'previous') x theme (theme_key NULL: every complaint read by the model)
-- with the complaint tickets whose $by dimension equals $value (all complaints when $value is NULL)
WITH f AS (
    SELECT
        CASE WHEN t.created_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
        coalesce(th.merged_into, d.theme_key) AS theme_key,
        t.source, t.ticket_id
    FROM tickets AS t
    JOIN theme_documents AS d ON d.doc_kind = 'ticket' AND d.source = t.source AND d.doc_id = t.ticket_id
    LEFT JOIN themes AS th ON th.theme_key = d.theme_key
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE
        -- @include complaint_rule
      AND t.created_at >= $prev_start AND t.created_at < $cur_end
      AND ($value IS NULL OR $value =
          -- @include complaint_dimension
      )
      -- @include customer_filters
      -- @include channel_filter
)
SELECT period, theme_key, count(DISTINCT (source, ticket_id)) AS complaints
FROM f WHERE theme_key IS NOT NULL
GROUP BY period, theme_key
UNION ALL
SELECT period, NULL AS theme_key, count(DISTINCT (source, ticket_id)) AS complaints
FROM f
GROUP BY period
