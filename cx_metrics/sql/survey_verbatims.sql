-- grain: one row per kept response with a comment (fragments/survey_base.sql), newest first: its score and score
-- group, date, cohort label, linked ticket (subject, channel) when there is one. $group filters the score group
-- ('' = all), $search the comment text (case-insensitive substring, '' = all), $value1 the dim1 label (NULL = all).
WITH
-- @include survey_base
, grouped AS (
    SELECT *,
        CASE metric
            WHEN 'nps' THEN CASE WHEN o >= scale_max - 1 THEN 'promoter' WHEN o <= scale_max - 4 THEN 'detractor'
                                 ELSE 'passive' END
            WHEN 'csat' THEN CASE
                WHEN o > scale_max - CASE WHEN scale_max - scale_min + 1 >= 4 THEN $top_boxes ELSE 1 END THEN 'satisfied'
                ELSE 'not satisfied' END
            ELSE CASE WHEN o > (scale_min + scale_max) / 2.0 THEN 'easy'
                      WHEN o < (scale_min + scale_max) / 2.0 THEN 'difficult' ELSE 'neutral' END
        END AS score_group
    FROM kept
    WHERE comment IS NOT NULL AND trim(comment) <> ''
)
SELECT
    g.responded_at, g.score, CAST(g.scale_min AS INTEGER) || '-' || CAST(g.scale_max AS INTEGER) AS scale,
    g.score_group, g.comment, g.dim1 AS cohort, g.survey_name, g.customer_id, g.ticket_id, t.subject AS ticket_subject,
    t.channel AS ticket_channel, t.status AS ticket_status, g.source, g.response_id
FROM grouped AS g
LEFT JOIN tickets AS t ON t.ticket_id = g.ticket_id AND g.ticket_id IS NOT NULL
WHERE ($group = '' OR g.score_group = $group)
  AND ($search = '' OR contains(lower(g.comment), lower($search)))
  AND ($value1 IS NULL OR g.dim1 = $value1)
ORDER BY g.responded_at DESC, g.response_id
LIMIT $limit
