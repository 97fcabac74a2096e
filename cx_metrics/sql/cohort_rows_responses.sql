-- grain: one row per kept response (fragments/survey_base.sql) in the cell ($value1, $value2), newest first:
-- the responses behind a cohort cell, with the customer's cohort labels.
WITH
-- @include survey_base
SELECT
    responded_at, dim1, dim2, score, CAST(scale_min AS INTEGER) || '-' || CAST(scale_max AS INTEGER) AS scale,
    higher_is_better, survey_name, question, comment, customer_id, ticket_id, interaction_channel AS channel,
    plan, segment, region, birth_year, signup_at, source, response_id
FROM kept
WHERE dim1 = $value1 AND dim2 = $value2
ORDER BY responded_at DESC, response_id
LIMIT $limit
