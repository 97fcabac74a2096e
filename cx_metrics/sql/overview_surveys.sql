-- grain: one row per period ('current', 'previous') x metric ('nps', 'csat') with responses in the period.
-- NPS: promoters score >= scale_max - 1 (9-10), detractors <= scale_max - 4 (0-6 on 0-10, 1-6 on 1-10).
-- CSAT: satisfied = top $top_boxes boxes of scales with >= 4 points, the top box of shorter scales
-- (good/bad stored as 0-1 counts "good").
SELECT
    CASE WHEN r.responded_at >= $cur_start THEN 'current' ELSE 'previous' END AS period,
    r.metric,
    count(*) AS responses,
    count(*) FILTER (WHERE r.score >= r.scale_max - 1) AS promoters,
    count(*) FILTER (WHERE r.score <= r.scale_max - 4) AS detractors,
    count(*) FILTER (
        WHERE r.score > r.scale_max - CASE WHEN r.scale_max - r.scale_min + 1 >= 4 THEN $top_boxes ELSE 1 END
    ) AS satisfied,
    bool_or(r.scale_min = 1 AND r.scale_max = 10) AS has_one_to_ten
FROM survey_responses AS r
-- @include filter_customers_join(r.customer_id)
WHERE r.metric IN ('nps', 'csat')
  AND r.responded_at >= $prev_start AND r.responded_at < $cur_end
  -- @include customer_filters
  AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), r.channel))
GROUP BY 1, 2
