-- grain: one row per theme in the catalogue (every theme ever found), with its documents in the latest fit
-- (merged themes' documents counted under the theme they were merged into, once per document).
WITH mapped AS (
    SELECT DISTINCT coalesce(th.merged_into, d.theme_key) AS theme_key, d.doc_kind, d.source, d.doc_id
    FROM theme_documents AS d
    JOIN themes AS th ON th.theme_key = d.theme_key
),
counts AS (
    SELECT theme_key, count(*) AS documents FROM mapped GROUP BY theme_key
),
own AS (
    SELECT theme_key, count(DISTINCT (doc_kind, source, doc_id)) AS own_documents
    FROM theme_documents WHERE theme_key IS NOT NULL GROUP BY theme_key
)
SELECT
    th.theme_key, coalesce(th.name, th.auto_label) AS theme, th.auto_label, th.name, th.pinned, th.merged_into,
    th.active, th.top_terms, th.examples, th.first_fit_id, th.last_fit_id, th.match_similarity,
    coalesce(c.documents, 0) AS documents, coalesce(o.own_documents, 0) AS own_documents,
    (SELECT count(*) FROM (SELECT DISTINCT doc_kind, source, doc_id FROM theme_documents)) AS total_documents
FROM themes AS th
LEFT JOIN counts AS c ON c.theme_key = th.theme_key
LEFT JOIN own AS o ON o.theme_key = th.theme_key
ORDER BY th.pinned DESC, coalesce(c.documents, 0) DESC, th.theme_key
