-- Closed-loop follow-up (cx_metrics.followups): the items of the follow-up worklist that someone has acted on, and
-- every action on them. An item is a failed customer (an NPS detractor, a complaint past its SLA, a reopened ticket);
-- the worklist itself is computed from the data (followup_candidates.sql), so only claimed and closed items are
-- stored. What the item was when it was claimed (kind, severity, due date, team) is kept, so coverage and the
-- effect estimate do not move when the policy in cx.toml changes later.
-- grain: one row per item acted on
CREATE TABLE IF NOT EXISTS followups (
    item_key VARCHAR PRIMARY KEY,          -- kind:source:id (a ticket or a survey response)
    kind VARCHAR NOT NULL,                 -- detractor / sla_breach / reopened
    severity VARCHAR NOT NULL,             -- severe / moderate (what severe means depends on the kind)
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,            -- the ticket_id or response_id behind the item
    customer_id VARCHAR,
    triggered_at TIMESTAMP NOT NULL,       -- when the customer was failed (UTC)
    due_at TIMESTAMP NOT NULL,             -- triggered_at + the policy's hours for the kind
    team VARCHAR,                          -- the suggested owner's group when claimed
    status VARCHAR NOT NULL,               -- claimed / closed
    claimed_by VARCHAR NOT NULL,
    claimed_at TIMESTAMP NOT NULL,
    closed_by VARCHAR,
    closed_at TIMESTAMP,                   -- when the outcome was recorded
    contacted_on DATE,                     -- the date of the follow-up, as the person who made it says
    outcome VARCHAR,                       -- reached / recovered / not_reachable / declined
    note VARCHAR,
    version INTEGER NOT NULL,              -- bumped by every change: a write names the version it saw
    import_id INTEGER,                     -- the demo build that planted this history (NULL: a person's work)
    CHECK (kind IN ('detractor', 'sla_breach', 'reopened')),
    CHECK (status IN ('claimed', 'closed')),
    CHECK (outcome IS NULL OR outcome IN ('reached', 'recovered', 'not_reachable', 'declined')),
    CHECK ((status = 'closed') = (outcome IS NOT NULL AND contacted_on IS NOT NULL AND closed_by IS NOT NULL))
);

CREATE SEQUENCE IF NOT EXISTS followup_event_seq START 1;
-- grain: one row per claim / close / undo, append-only (the history an undo is read from)
CREATE TABLE IF NOT EXISTS followup_events (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('followup_event_seq'),
    item_key VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,               -- claim / close / undo
    version INTEGER NOT NULL,              -- the item's version after the action (0: back on the worklist)
    detail JSON
);
