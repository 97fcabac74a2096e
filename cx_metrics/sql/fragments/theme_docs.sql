-- one row per ticket and per commented survey response (text NULL: nothing to read) for the theme models: a ticket (subject, then
-- description) or a survey response (its comment; a response scored on several questions is one document)
SELECT
    'ticket' AS doc_kind, t.source, t.ticket_id AS doc_id,
    CASE
        WHEN nullif(trim(t.description), '') IS NULL THEN nullif(trim(t.subject), '')
        WHEN nullif(trim(t.subject), '') IS NULL THEN trim(t.description)
        WHEN trim(t.description) = trim(t.subject) THEN trim(t.subject)
        -- descriptions that repeat the subject: keep the subject as its own sentence
        WHEN starts_with(trim(t.description), trim(t.subject))
            THEN trim(t.subject) || CASE WHEN regexp_matches(trim(t.subject), '[.!?:;]$') THEN ' ' ELSE '. ' END
                 || trim(substr(trim(t.description), length(trim(t.subject)) + 1))
        ELSE trim(t.subject) || CASE WHEN regexp_matches(trim(t.subject), '[.!?:;]$') THEN ' ' ELSE '. ' END
             || trim(t.description) END AS text
FROM tickets AS t
UNION ALL
SELECT 'survey' AS doc_kind, r.source, r.response_id AS doc_id, min(trim(r.comment)) AS text
FROM survey_responses AS r
WHERE nullif(trim(r.comment), '') IS NOT NULL
GROUP BY r.source, r.response_id
