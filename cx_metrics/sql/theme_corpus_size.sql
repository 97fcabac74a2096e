-- grain: one row per document kind ('ticket', 'survey') with the documents that have text for the theme models
WITH docs AS (
    -- @include theme_docs
)
SELECT doc_kind, count(*) AS documents
FROM docs
WHERE text IS NOT NULL
GROUP BY doc_kind
