-- grain: one row per period ('current' = [$cur_start, $cur_end), 'previous' = [$prev_start, $cur_start)) x theme
-- (theme_key NULL: every document read) with distinct documents after the shared filters
WITH f AS (
    SELECT f.*, CASE WHEN f.occurred_at >= $cur_start THEN 'current' ELSE 'previous' END AS period
    FROM (
        -- @include theme_doc_facts
    ) AS f
    -- @include filter_customers_join(f.customer_id)
    WHERE f.occurred_at >= $prev_start AND f.occurred_at < $cur_end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), f.channel))
)
SELECT period, theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
FROM f WHERE theme_key IS NOT NULL
GROUP BY period, theme_key
UNION ALL
SELECT period, NULL AS theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
FROM f
GROUP BY period
