-- grain: one row; the span of dated activity in the database
SELECT
    least(
        (SELECT min(created_at) FROM tickets),
        (SELECT min(responded_at) FROM survey_responses)
    ) AS first_at,
    greatest(
        (SELECT max(created_at) FROM tickets),
        (SELECT max(responded_at) FROM survey_responses)
    ) AS last_at
