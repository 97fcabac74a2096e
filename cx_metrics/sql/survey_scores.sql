-- grain: one row per metric x bucket x dim1 x dim2 (metric: each of $metrics with responses) with the counts behind
-- NPS, CSAT and CES of the kept responses (see fragments/survey_base.sql). On the oriented score o:
-- NPS promoters o >= scale_max - 1 (9-10), detractors o <= scale_max - 4 (0-6; 1-6 on a 1-10 scale);
-- CSAT satisfied = top $top_boxes boxes of scales with >= 4 points, the top box of shorter ones (good/bad 0-1);
-- CES: o rescaled to 1-7 (sum and sum of squares for the mean and its t interval), easy = above the midpoint
-- (5-7 on 1-7, 4-5 of a reversed legacy 1-5 after flipping), difficult = below it.
WITH
-- @include survey_base
SELECT
    metric,
    bucket,
    dim1,
    dim2,
    count(*) AS n,
    -- distinct respondents only where the caller reads them ($respondents false: NULL, and no distinct count)
    CASE WHEN $respondents THEN count(DISTINCT CASE WHEN $respondents THEN who END) END AS respondents,
    count(*) FILTER (WHERE o >= scale_max - 1) AS promoters,
    count(*) FILTER (WHERE o <= scale_max - 4) AS detractors,
    count(*) FILTER (
        WHERE o > scale_max - CASE WHEN scale_max - scale_min + 1 >= 4 THEN $top_boxes ELSE 1 END
    ) AS satisfied,
    count(*) FILTER (WHERE o > (scale_min + scale_max) / 2.0) AS easy,
    count(*) FILTER (WHERE o < (scale_min + scale_max) / 2.0) AS difficult,
    sum(1 + (o - scale_min) * 6.0 / (scale_max - scale_min)) AS sum7,
    sum((1 + (o - scale_min) * 6.0 / (scale_max - scale_min)) ^ 2) AS sumsq7,
    bool_or(scale_min = 1 AND scale_max = 10) AS has_one_to_ten,
    bool_or(NOT higher_is_better) AS has_reversed,
    count(DISTINCT scale_max - scale_min) AS scales
FROM kept
GROUP BY metric, bucket, dim1, dim2
ORDER BY metric, bucket, dim1, dim2
