-- the business-hours table bound as parameters: one row per UTC hour h (hours since the epoch) with c = business
-- seconds before that hour and m = its open minutes (bit k = minute k). Empty when $clock is 'calendar'.
-- Needs: $clock, $bh_first_hour, $bh_cum, $bh_mask (resolution.clock_params binds them).
SELECT
    $bh_first_hour + generate_subscripts(CAST($bh_cum AS BIGINT[]), 1) - 1 AS h,
    unnest(CAST($bh_cum AS BIGINT[])) AS c,
    unnest(CAST($bh_mask AS BIGINT[])) AS m
