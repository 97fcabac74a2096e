-- grain: one row per bucket x dim1 x scale (min-max) x score of the kept responses (fragments/survey_base.sql):
-- how many gave each score, so the distribution is shown and not only the average.
WITH
-- @include survey_base
SELECT
    bucket,
    dim1,
    CAST(scale_min AS INTEGER) || '-' || CAST(scale_max AS INTEGER) AS scale,
    bool_and(higher_is_better) AS higher_is_better,
    score,
    count(*) AS responses
FROM kept
GROUP BY bucket, dim1, scale, score
ORDER BY bucket, dim1, scale, score
