-- Fill tickets' missing solve/close times, reopens and stations from their status and assignment history
-- (ticket_events of the same source), as Zendesk Explore does from field history:
--   first_solved_at = first time the status became solved (or closed); solved_at = the last time it became
--   solved, when the latest status is solved or closed (a reopened ticket that is open again has none);
--   closed_at = first time it became closed; reopens = changes from solved to an open status
--   (new/open/pending/hold); group_stations / assignee_stations = distinct groups / assignees it had.
-- Only NULL columns are filled; event_filled records which, so derive_clear can undo exactly that.
WITH status AS (
    SELECT
        source, ticket_id, occurred_at,
        replace(lower(trim(value)), '-', '') AS v,
        lag(replace(lower(trim(value)), '-', '')) OVER (PARTITION BY source, ticket_id ORDER BY occurred_at) AS prev,
        row_number() OVER (PARTITION BY source, ticket_id ORDER BY occurred_at DESC) AS newest_first
    FROM ticket_events
    WHERE lower(field) = 'status' AND value IS NOT NULL
),
history AS (
    SELECT
        source, ticket_id,
        min(occurred_at) FILTER (WHERE v IN ('solved', 'closed')) AS first_solved,
        max(occurred_at) FILTER (WHERE v = 'solved' AND prev IS DISTINCT FROM 'solved') AS last_solved,
        min(occurred_at) FILTER (WHERE v = 'closed') AS first_closed,
        bool_or(v IN ('solved', 'closed') AND newest_first = 1) AS ends_solved,
        count(*) FILTER (WHERE prev = 'solved' AND v IN ('new', 'open', 'pending', 'hold', 'onhold')) AS reopened
    FROM status
    GROUP BY source, ticket_id
),
stations AS (
    SELECT
        source, ticket_id,
        count(DISTINCT value) FILTER (WHERE lower(field) IN ('group_id', 'group', 'group_name')) AS groups,
        count(DISTINCT value) FILTER (WHERE lower(field) IN ('assignee_id', 'assignee')) AS assignees
    FROM ticket_events
    WHERE value IS NOT NULL AND value <> ''
    GROUP BY source, ticket_id
),
derived AS (
    SELECT
        coalesce(h.source, s.source) AS source, coalesce(h.ticket_id, s.ticket_id) AS ticket_id,
        h.first_solved,
        CASE WHEN h.ends_solved THEN coalesce(h.last_solved, h.first_closed) END AS solved,
        h.first_closed AS closed,
        h.reopened,
        nullif(s.groups, 0) AS groups,
        nullif(s.assignees, 0) AS assignees
    FROM history AS h
    FULL JOIN stations AS s ON s.source = h.source AND s.ticket_id = h.ticket_id
)
UPDATE tickets AS t SET
    first_solved_at = coalesce(t.first_solved_at, d.first_solved),
    solved_at = coalesce(t.solved_at, d.solved),
    closed_at = coalesce(t.closed_at, d.closed),
    reopens = coalesce(t.reopens, d.reopened),
    group_stations = coalesce(t.group_stations, d.groups),
    assignee_stations = coalesce(t.assignee_stations, d.assignees),
    event_filled = nullif(list_filter([
        CASE WHEN t.first_solved_at IS NULL AND d.first_solved IS NOT NULL THEN 'first_solved_at' END,
        CASE WHEN t.solved_at IS NULL AND d.solved IS NOT NULL THEN 'solved_at' END,
        CASE WHEN t.closed_at IS NULL AND d.closed IS NOT NULL THEN 'closed_at' END,
        CASE WHEN t.reopens IS NULL AND d.reopened IS NOT NULL THEN 'reopens' END,
        CASE WHEN t.group_stations IS NULL AND d.groups IS NOT NULL THEN 'group_stations' END,
        CASE WHEN t.assignee_stations IS NULL AND d.assignees IS NOT NULL THEN 'assignee_stations' END
    ], lambda x: x IS NOT NULL), [])
FROM derived AS d
WHERE t.source = d.source AND t.ticket_id = d.ticket_id
