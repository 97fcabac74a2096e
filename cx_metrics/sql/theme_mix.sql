-- grain: one row per value of the $by dimension x theme (theme_key NULL: every document read in that value)
-- with the distinct documents in [$start, $end) after the shared filters
WITH f AS (
    SELECT f.*, CASE $by
        WHEN 'channel' THEN coalesce(f.channel, '(no channel)')
        WHEN 'plan' THEN coalesce(c.plan, '(unknown)')
        WHEN 'region' THEN coalesce(c.region, '(unknown)')
        WHEN 'segment' THEN coalesce(c.segment, '(unknown)')
        WHEN 'generation' THEN
            -- @include generation
        ELSE 'All' END AS dimension
    FROM (
        -- @include theme_doc_facts
    ) AS f
    LEFT JOIN customers AS c ON c.customer_id = f.customer_id
    WHERE f.occurred_at >= $start AND f.occurred_at < $end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), f.channel))
)
SELECT dimension, theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
FROM f WHERE theme_key IS NOT NULL
GROUP BY dimension, theme_key
UNION ALL
SELECT dimension, NULL AS theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
FROM f
GROUP BY dimension
