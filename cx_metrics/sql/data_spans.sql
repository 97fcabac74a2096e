-- grain: one row per source ('tickets', each survey metric, 'responses' for all survey responses, 'customers' for
-- signups): the first and last time it holds. What lies outside a source's span was not observed: no comparison
-- with it, no zero-filled baseline from it.
SELECT 'tickets' AS source, min(created_at) AS first_at, max(created_at) AS last_at FROM tickets
UNION ALL
SELECT metric, min(responded_at), max(responded_at) FROM survey_responses GROUP BY metric
UNION ALL
SELECT 'responses', min(responded_at), max(responded_at) FROM survey_responses
UNION ALL
SELECT 'customers', min(signup_at), max(signup_at) FROM customers
