-- grain: one row per theme in the catalogue (every theme ever found), with the documents that carry it in the
-- current assignment (merged themes' documents counted under the theme they were merged into, once per document;
-- documents whose ticket or response has since been removed, e.g. by an undone import, are not counted); only the
-- themes of corpus $corpus and documents of the kinds in $kinds (every theme when $corpus is NULL)
WITH facts AS (
    SELECT f.*
    FROM (
        -- @include theme_doc_facts
    ) AS f
    WHERE f.occurred_at IS NOT NULL
),
counts AS (
    SELECT theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS documents
    FROM facts WHERE theme_key IS NOT NULL GROUP BY theme_key
),
totals AS (
    SELECT doc_kind, count(DISTINCT (doc_kind, source, doc_id)) AS documents FROM facts GROUP BY doc_kind
),
own AS (
    SELECT d.theme_key, count(DISTINCT (d.doc_kind, d.source, d.doc_id)) AS own_documents
    FROM theme_documents AS d
    SEMI JOIN facts AS f ON f.doc_kind = d.doc_kind AND f.source = d.source AND f.doc_id = d.doc_id
    WHERE d.theme_key IS NOT NULL
    GROUP BY d.theme_key
)
SELECT
    th.theme_key, coalesce(th.name, th.auto_label) AS theme, th.auto_label, th.name, th.pinned, th.merged_into,
    th.active, th.corpus, th.top_terms, th.examples, th.first_fit_id, th.last_fit_id, th.match_similarity,
    coalesce(c.documents, 0) AS documents, coalesce(o.own_documents, 0) AS own_documents,
    -- the documents the theme's model read: its corpus's (both kinds for a theme of a fit from before corpora)
    coalesce((SELECT sum(tt.documents) FROM totals AS tt
              WHERE th.corpus NOT IN ('tickets', 'comments')
                 OR tt.doc_kind = CASE th.corpus WHEN 'tickets' THEN 'ticket' ELSE 'survey' END), 0)
        AS total_documents
FROM themes AS th
LEFT JOIN counts AS c ON c.theme_key = th.theme_key
LEFT JOIN own AS o ON o.theme_key = th.theme_key
WHERE $corpus IS NULL OR th.corpus = $corpus OR th.corpus = 'all'
ORDER BY th.pinned DESC, coalesce(c.documents, 0) DESC, th.theme_key
