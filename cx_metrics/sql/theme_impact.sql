-- grain: one row per theme (theme_key NULL: every response) with the $metric responses in [$start, $end) after
-- the shared filters whose comment carries it: responses, promoters (top 2 of the scale), detractors (scale_max - 4
-- and below), satisfied (top $top_boxes boxes of scales with >= 4 points, else the top box)
WITH resp AS (
    SELECT
        r.source, r.response_id,
        r.score >= r.scale_max - 1 AS promoter,
        r.score <= r.scale_max - 4 AS detractor,
        r.score > r.scale_max - CASE WHEN r.scale_max - r.scale_min + 1 >= 4 THEN $top_boxes ELSE 1 END AS satisfied
    FROM survey_responses AS r
    -- @include filter_customers_join(r.customer_id)
    WHERE r.metric = $metric
      AND r.responded_at >= $start AND r.responded_at < $end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), r.channel))
),
membership AS (
    SELECT DISTINCT d.source, d.doc_id, coalesce(th.merged_into, d.theme_key) AS theme_key
    FROM theme_documents AS d
    JOIN themes AS th ON th.theme_key = d.theme_key
    WHERE d.doc_kind = 'survey'
)
SELECT m.theme_key, count(*) AS responses, count(*) FILTER (WHERE promoter) AS promoters,
       count(*) FILTER (WHERE detractor) AS detractors, count(*) FILTER (WHERE satisfied) AS satisfied
FROM resp JOIN membership AS m ON m.source = resp.source AND m.doc_id = resp.response_id
GROUP BY m.theme_key
UNION ALL
SELECT NULL AS theme_key, count(*) AS responses, count(*) FILTER (WHERE promoter) AS promoters,
       count(*) FILTER (WHERE detractor) AS detractors, count(*) FILTER (WHERE satisfied) AS satisfied
FROM resp
