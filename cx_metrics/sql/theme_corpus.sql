-- grain: one row per document with text: a ticket (subject, then description) or a survey response (its
-- comment; a response scored on several questions is one document). $only_new: only documents the theme model
-- has not read yet, or whose text changed since (a newer export). Only the kinds in $kinds ('ticket', 'survey':
-- each corpus has its own model). Ordered, so a seeded sample is the same on
-- every run.
WITH docs AS (
    -- @include theme_docs
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
