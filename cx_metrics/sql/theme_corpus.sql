-- grain: one row per document with text: a ticket (subject, then description) or a survey response (its
-- comment; a response scored on several questions is one document). $only_new: only documents the theme model
-- has not read yet, or whose text changed since (a newer export). Only the kinds in $kinds ('ticket', 'survey':
-- each corpus has its own model). Ordered, so a seeded sample is the same on
-- every run.
WITH docs AS (
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
)
SELECT docs.doc_kind, docs.source, docs.doc_id, docs.text, md5(docs.text) AS text_hash
FROM docs
WHERE docs.text IS NOT NULL
  AND list_contains(CAST($kinds AS VARCHAR[]), docs.doc_kind)
  AND (NOT $only_new OR NOT EXISTS (
      SELECT 1 FROM theme_documents AS d
      WHERE d.doc_kind = docs.doc_kind AND d.source = docs.source AND d.doc_id = docs.doc_id
        AND d.text_hash = md5(docs.text)))
ORDER BY docs.doc_kind, docs.source, docs.doc_id
