-- The tables a Fivetran Zendesk connector writes, as the canonical tables (Spark SQL; [engine] mapping =
-- "fivetran_zendesk"). Each statement makes a view mapped_<canonical table>; the engine then projects it onto the
-- canonical columns and types (a column not named here is NULL). Reads the connector's tables by their own names:
-- ticket, ticket_field_history (required); ticket_comment, user, group, ticket_tag, satisfaction_rating (optional:
-- an absent one is an empty table). The same rules as `cx import` of these exports:
-- * deleted tickets are left out (the importer rejects them: deleted in the source);
-- * first_solved_at / solved_at / closed_at: the first and last change of the status to solved, the first to closed
--   (ticket_field_history); reopens: changes from solved back to an open status;
-- * first_response_at: the first public comment by an agent or admin (ticket_comment, user.role), else NULL;
-- * group_stations / assignee_stations: the distinct groups / assignees in the history (at least the current one);
-- * a complaint is a ticket of type incident or problem; CSAT: satisfaction_rating good = 1, bad = 0 (offered and
--   unoffered ratings are no responses).
CREATE OR REPLACE TEMPORARY VIEW mapped_ticket_events AS
SELECT 'zendesk' AS source, CAST(h.ticket_id AS STRING) AS ticket_id, CAST(h.updated AS TIMESTAMP) AS occurred_at,
       h.field_name AS field, h.value, CAST(h.user_id AS STRING) AS actor
FROM ticket_field_history AS h;

CREATE OR REPLACE TEMPORARY VIEW mapped_tickets AS
WITH status_history AS (
    SELECT ticket_id, updated, lower(value) AS status,
           lag(lower(value)) OVER (PARTITION BY ticket_id ORDER BY updated) AS before
    FROM ticket_field_history
    WHERE field_name = 'status'
),
times AS (
    SELECT ticket_id,
           min(CASE WHEN status = 'solved' THEN updated END) AS first_solved_at,
           max(CASE WHEN status = 'solved' THEN updated END) AS solved_at,
           min(CASE WHEN status = 'closed' THEN updated END) AS closed_at,
           count(CASE WHEN before IN ('solved', 'closed') AND status IN ('new', 'open', 'pending', 'hold')
                      THEN 1 END) AS reopens
    FROM status_history
    GROUP BY ticket_id
),
stations AS (
    SELECT ticket_id,
           count(DISTINCT CASE WHEN field_name = 'group_id' AND value IS NOT NULL AND value <> '' THEN value END)
               AS group_stations,
           count(DISTINCT CASE WHEN field_name = 'assignee_id' AND value IS NOT NULL AND value <> '' THEN value END)
               AS assignee_stations
    FROM ticket_field_history
    GROUP BY ticket_id
),
replies AS (
    SELECT c.ticket_id, min(c.created) AS first_response_at, count(*) AS replies
    FROM ticket_comment AS c
    JOIN `user` AS u ON u.id = c.user_id
    WHERE c.public AND u.role IN ('agent', 'admin')
    GROUP BY c.ticket_id
),
tags AS (
    SELECT ticket_id, collect_list(lower(tags)) AS tags FROM ticket_tag GROUP BY ticket_id
),
rating AS (
    SELECT ticket_id, max_by(score, updated_at) AS score FROM satisfaction_rating GROUP BY ticket_id
)
SELECT
    'zendesk' AS source,
    CAST(t.id AS STRING) AS ticket_id,
    CAST(t.requester_id AS STRING) AS customer_id,
    CAST(t.created_at AS TIMESTAMP) AS created_at,
    CAST(r.first_response_at AS TIMESTAMP) AS first_response_at,
    CAST(coalesce(x.first_solved_at, CASE WHEN lower(t.status) IN ('solved', 'closed') THEN x.closed_at END)
         AS TIMESTAMP) AS first_solved_at,
    CAST(coalesce(x.solved_at, CASE WHEN lower(t.status) IN ('solved', 'closed') THEN x.closed_at END)
         AS TIMESTAMP) AS solved_at,
    CAST(x.closed_at AS TIMESTAMP) AS closed_at,
    lower(t.status) AS status,
    t.status AS status_raw,
    lower(t.via_channel) AS channel,
    t.via_channel AS channel_raw,
    lower(nullif(t.type, '')) AS ticket_type,
    lower(nullif(t.priority, '')) AS priority,
    t.subject,
    t.description,
    tg.tags,
    g.name AS group_name,
    CAST(t.assignee_id AS STRING) AS assignee,
    coalesce(x.reopens, 0) AS reopens,
    coalesce(r.replies, 0) AS replies,
    greatest(coalesce(s.group_stations, 0), CASE WHEN t.group_id IS NULL THEN 0 ELSE 1 END) AS group_stations,
    greatest(coalesce(s.assignee_stations, 0), CASE WHEN t.assignee_id IS NULL THEN 0 ELSE 1 END)
        AS assignee_stations,
    CASE lower(ra.score) WHEN 'good' THEN 1.0 WHEN 'bad' THEN 0.0 END AS satisfaction_score,
    CASE WHEN lower(ra.score) IN ('good', 'bad') THEN 'good_bad' END AS satisfaction_scale,
    coalesce(lower(t.type) IN ('incident', 'problem'), false) AS is_complaint,
    CAST(t.updated_at AS TIMESTAMP) AS updated_at
FROM ticket AS t
LEFT JOIN times AS x ON x.ticket_id = t.id
LEFT JOIN stations AS s ON s.ticket_id = t.id
LEFT JOIN replies AS r ON r.ticket_id = t.id
LEFT JOIN tags AS tg ON tg.ticket_id = t.id
LEFT JOIN rating AS ra ON ra.ticket_id = t.id
LEFT JOIN `group` AS g ON g.id = t.group_id
WHERE lower(t.status) <> 'deleted';

CREATE OR REPLACE TEMPORARY VIEW mapped_customers AS
SELECT CAST(u.id AS STRING) AS customer_id, CAST(u.created_at AS TIMESTAMP) AS signup_at
FROM `user` AS u
WHERE u.role = 'end-user';

CREATE OR REPLACE TEMPORARY VIEW mapped_survey_responses AS
SELECT 'zendesk' AS source, CAST(s.id AS STRING) AS response_id, 'Zendesk CSAT' AS survey_name,
       CAST(s.requester_id AS STRING) AS customer_id, CAST(s.ticket_id AS STRING) AS ticket_id,
       CAST(s.created_at AS TIMESTAMP) AS responded_at, 'csat' AS metric,
       CASE lower(s.score) WHEN 'good' THEN 1.0 ELSE 0.0 END AS score, 0.0 AS scale_min, 1.0 AS scale_max,
       true AS higher_is_better, s.comment, 'ticket' AS touchpoint
FROM satisfaction_rating AS s
WHERE lower(s.score) IN ('good', 'bad');
