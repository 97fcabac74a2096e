-- grain: one row per $grain bucket x theme (theme_key NULL: every document read, the denominator) with the
-- distinct documents in [$start, $end) that carry it, after the shared filters
WITH f AS (
    SELECT f.*, date_trunc($grain, f.occurred_at) AS period_start
    FROM (
        -- @include theme_doc_facts
    ) AS f
    -- @include filter_customers_join(f.customer_id)
    WHERE f.occurred_at >= $start AND f.occurred_at < $end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), f.channel))
)
SELECT period_start, theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
FROM f WHERE theme_key IS NOT NULL
GROUP BY period_start, theme_key
UNION ALL
SELECT period_start, NULL AS theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
FROM f
GROUP BY period_start
