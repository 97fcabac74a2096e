-- grain: one row per document carrying theme $theme_key (merges applied) in [$start, $end) after the shared
-- filters, newest first, at most $limit: the verbatims behind a theme (redacted before they are shown)
WITH f AS (
    SELECT f.*
    FROM (
        -- @include theme_doc_facts
    ) AS f
    -- @include filter_customers_join(f.customer_id)
    WHERE f.theme_key = $theme_key
      AND f.occurred_at >= $start AND f.occurred_at < $end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), f.channel))
)
SELECT
    f.occurred_at, CASE f.doc_kind WHEN 'ticket' THEN 'ticket' ELSE 'survey comment' END AS kind, f.source,
    f.doc_id, f.channel, f.customer_id,
    coalesce(t.subject, s.survey_name) AS subject,
    coalesce(t.description, s.comment) AS text,
    s.metric, s.score
FROM f
LEFT JOIN tickets AS t ON f.doc_kind = 'ticket' AND t.source = f.source AND t.ticket_id = f.doc_id
LEFT JOIN (
    SELECT source, response_id, any_value(survey_name) AS survey_name, min(comment) AS comment,
           string_agg(metric, ', ' ORDER BY metric) AS metric, min(score) AS score
    FROM survey_responses GROUP BY source, response_id
) AS s ON f.doc_kind = 'survey' AND s.source = f.source AND s.response_id = f.doc_id
ORDER BY f.occurred_at DESC, f.doc_id
LIMIT $limit
