-- grain: one row per (question, answer) of the unscored questions of survey $survey_name from $source: how many
-- respondents gave each answer, and how many answered the question at all.
SELECT
    question_id,
    any_value(question) AS question,
    answer,
    count(*) AS responses,
    sum(count(*)) OVER (PARTITION BY question_id) AS answered
FROM survey_answers
WHERE source = $source AND coalesce(survey_name, '(unnamed survey)') = $survey_name
GROUP BY question_id, answer
ORDER BY question_id, responses DESC, answer
