-- grain: one row per data table x origin: 'demo' counts the rows of imports of kind 'demo' (the seeded demo
-- dataset), 'own' every other row (the user's imports, or rows written without an import); with the span of each
-- origin's dated rows (ticket creation, survey response)
WITH per_import AS (
    SELECT 'tickets' AS table_name, import_id, count(*) AS row_count, min(created_at) AS first_at,
           max(created_at) AS last_at
    FROM tickets GROUP BY import_id
    UNION ALL
    SELECT 'survey_responses', import_id, count(*), min(responded_at), max(responded_at)
    FROM survey_responses GROUP BY import_id
    UNION ALL
    SELECT 'customers', import_id, count(*), NULL, NULL FROM customers GROUP BY import_id
    UNION ALL
    SELECT 'customer_activity', import_id, count(*), NULL, NULL FROM customer_activity GROUP BY import_id
    UNION ALL
    SELECT 'ticket_events', import_id, count(*), NULL, NULL FROM ticket_events GROUP BY import_id
    UNION ALL
    SELECT 'survey_answers', import_id, count(*), NULL, NULL FROM survey_answers GROUP BY import_id
)
SELECT p.table_name,
       CASE WHEN i.kind = 'demo' THEN 'demo' ELSE 'own' END AS origin,
       sum(p.row_count) AS row_count,
       min(p.first_at) AS first_at,
       max(p.last_at) AS last_at
FROM per_import AS p
LEFT JOIN imports AS i ON i.import_id = p.import_id
GROUP BY p.table_name, CASE WHEN i.kind = 'demo' THEN 'demo' ELSE 'own' END
ORDER BY p.table_name, origin
