-- grain: one row per canonical table
SELECT 'customers' AS table_name, count(*) AS row_count FROM customers
UNION ALL SELECT 'customer_activity', count(*) FROM customer_activity
UNION ALL SELECT 'tickets', count(*) FROM tickets
UNION ALL SELECT 'ticket_events', count(*) FROM ticket_events
UNION ALL SELECT 'survey_responses', count(*) FROM survey_responses
UNION ALL SELECT 'survey_answers', count(*) FROM survey_answers
UNION ALL SELECT 'imports', count(*) FROM imports
UNION ALL SELECT 'import_rejects', count(*) FROM import_rejects
