-- grain: one row per product request (normalised phrase) among documents in [$start, $end) after the shared
-- filters: distinct documents and customers asking, tickets vs comments, the theme most of them carry, an example
WITH f AS (
    SELECT f.*
    FROM (
        -- @include theme_doc_facts
    ) AS f
    -- @include filter_customers_join(f.customer_id)
    WHERE f.request IS NOT NULL
      AND f.occurred_at >= $start AND f.occurred_at < $end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), f.channel))
)
SELECT
    f.request,
    count(DISTINCT (f.doc_kind, f.source, f.doc_id)) AS mentions,
    count(DISTINCT f.customer_id) AS customers,
    count(DISTINCT (f.doc_kind, f.source, f.doc_id)) FILTER (WHERE f.doc_kind = 'ticket') AS tickets,
    count(DISTINCT (f.doc_kind, f.source, f.doc_id)) FILTER (WHERE f.doc_kind = 'survey') AS comments,
    mode(f.theme_key) AS theme_key,
    min(f.occurred_at) AS first_seen,
    max(f.occurred_at) AS last_seen,
    arg_max(coalesce(t.subject, s.comment), f.occurred_at) AS example
FROM f
LEFT JOIN tickets AS t ON f.doc_kind = 'ticket' AND t.source = f.source AND t.ticket_id = f.doc_id
LEFT JOIN (SELECT source, response_id, min(comment) AS comment FROM survey_responses GROUP BY source, response_id)
    AS s ON f.doc_kind = 'survey' AND s.source = f.source AND s.response_id = f.doc_id
GROUP BY f.request
ORDER BY mentions DESC, f.request
