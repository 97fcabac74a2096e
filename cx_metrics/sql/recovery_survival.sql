-- grain: one row per experience x whole days from the landmark to churn (event) or $obs_end (censored), for
-- customers still there at the landmark (see fragments/recovery_index.sql). Feeds Kaplan-Meier.
WITH
-- @include customer_life
,
-- @include recovery_index
SELECT
    experience AS grp,
    days,
    churned_at IS NOT NULL AS event,
    count(*) AS customers
FROM indexed
WHERE NOT left_before
GROUP BY ALL
ORDER BY 1, 2
