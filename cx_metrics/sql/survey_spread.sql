-- grain: one row per dim1 x dim2: the spread of the oriented score rescaled to 1-7 for CES (native score
-- otherwise) inside each cohort: quantiles, mean and standard deviation.
WITH
-- @include survey_base
, valued AS (
    SELECT dim1, dim2,
        CASE WHEN metric = 'ces' THEN 1 + (o - scale_min) * 6.0 / (scale_max - scale_min) ELSE o END AS v
    FROM kept
)
SELECT
    dim1, dim2, count(*) AS n,
    quantile_cont(v, 0.1) AS p10, quantile_cont(v, 0.25) AS p25, quantile_cont(v, 0.5) AS p50,
    quantile_cont(v, 0.75) AS p75, quantile_cont(v, 0.9) AS p90, min(v) AS min_value, max(v) AS max_value,
    avg(v) AS mean, stddev_samp(v) AS sd
FROM valued
GROUP BY dim1, dim2
ORDER BY dim1, dim2
