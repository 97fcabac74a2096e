-- grain: one row per data table: the rows one import brought (an undo removes them), the older versions of rows it
-- replaced (an undo restores them), and the span of its dated rows
SELECT 'tickets' AS table_name,
       (SELECT count(*) FROM tickets WHERE import_id = $import_id) AS rows_loaded,
       (SELECT count(*) FROM tickets_replaced WHERE replaced_by = $import_id) AS versions_replaced,
       (SELECT min(created_at) FROM tickets WHERE import_id = $import_id) AS first_at,
       (SELECT max(created_at) FROM tickets WHERE import_id = $import_id) AS last_at
UNION ALL
SELECT 'survey_responses',
       (SELECT count(*) FROM survey_responses WHERE import_id = $import_id),
       (SELECT count(*) FROM survey_responses_replaced WHERE replaced_by = $import_id),
       (SELECT min(responded_at) FROM survey_responses WHERE import_id = $import_id),
       (SELECT max(responded_at) FROM survey_responses WHERE import_id = $import_id)
UNION ALL
SELECT 'customers',
       (SELECT count(*) FROM customers WHERE import_id = $import_id),
       (SELECT count(*) FROM customers_replaced WHERE replaced_by = $import_id),
       NULL, NULL
UNION ALL
SELECT 'survey_answers', (SELECT count(*) FROM survey_answers WHERE import_id = $import_id), 0, NULL, NULL
UNION ALL
SELECT 'ticket_events', (SELECT count(*) FROM ticket_events WHERE import_id = $import_id), 0, NULL, NULL
UNION ALL
SELECT 'customer_activity', (SELECT count(*) FROM customer_activity WHERE import_id = $import_id), 0, NULL, NULL
