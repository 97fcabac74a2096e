-- grain: one row per (source, survey): responses, what was scored, how many other questions were answered, the
-- date span (NULL when the export had no response date), from survey_responses and survey_answers together.
WITH scored AS (
    SELECT source, coalesce(survey_name, '(unnamed survey)') AS survey_name, response_id, responded_at,
           metric, NULL AS question_id
    FROM survey_responses
    UNION ALL
    SELECT source, coalesce(survey_name, '(unnamed survey)'), response_id, responded_at, NULL, question_id
    FROM survey_answers
)
SELECT
    source,
    survey_name,
    count(DISTINCT response_id) AS responses,
    string_agg(DISTINCT metric, ', ' ORDER BY metric) AS scored_metrics,
    count(DISTINCT question_id) AS other_questions,
    min(responded_at) AS first_response_at,
    max(responded_at) AS last_response_at
FROM scored
GROUP BY source, survey_name
ORDER BY responses DESC, source, survey_name
