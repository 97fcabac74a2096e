-- grain: one row per customer in $ids: their latest contact before $as_of (a ticket or a survey answer), what it was,
-- and how many of their tickets are still open.
WITH contacts AS (
    SELECT t.customer_id, t.created_at AS contact_at,
           concat_ws(' · ', 'ticket', t.channel, t.category, t.status) AS what
    FROM tickets AS t
    WHERE list_contains(CAST($ids AS VARCHAR[]), t.customer_id) AND t.created_at < $as_of
    UNION ALL
    SELECT r.customer_id, r.responded_at AS contact_at, concat_ws(' · ', 'survey', upper(r.metric), CAST(r.score AS VARCHAR))
    FROM survey_responses AS r
    WHERE list_contains(CAST($ids AS VARCHAR[]), r.customer_id) AND r.responded_at < $as_of
)
SELECT customer_id, max(contact_at) AS last_contact_at, arg_max(what, contact_at) AS last_contact
FROM contacts
GROUP BY customer_id
