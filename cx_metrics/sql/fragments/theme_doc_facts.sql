-- one row per document read by the theme model x theme it counts under (merges applied; NULL: no theme), with
-- the document's time (ticket created / survey responded), customer and channel; only the kinds in $kinds
SELECT DISTINCT
    d.doc_kind, d.source, d.doc_id,
    coalesce(th.merged_into, d.theme_key) AS theme_key,
    d.request,
    coalesce(t.created_at, r.responded_at) AS occurred_at,
    coalesce(t.customer_id, r.customer_id) AS customer_id,
    coalesce(t.channel, r.channel) AS channel
FROM theme_documents AS d
LEFT JOIN themes AS th ON th.theme_key = d.theme_key
LEFT JOIN tickets AS t ON d.doc_kind = 'ticket' AND t.source = d.source AND t.ticket_id = d.doc_id
LEFT JOIN (
    SELECT source, response_id, min(responded_at) AS responded_at, any_value(customer_id) AS customer_id,
           any_value(channel) AS channel
    FROM survey_responses
    GROUP BY source, response_id
) AS r ON d.doc_kind = 'survey' AND r.source = d.source AND r.response_id = d.doc_id
WHERE list_contains(CAST($kinds AS VARCHAR[]), d.doc_kind)
