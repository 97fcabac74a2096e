-- Canonical schema (see DESIGN.md "Canonical data model"). Timestamps are UTC without a zone.
-- Every loaded row carries the import_id that brought it, so an import can be undone exactly.

CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE import_id_seq START 1;

-- grain: one row per import (file load, demo build)
CREATE TABLE imports (
    import_id INTEGER PRIMARY KEY DEFAULT nextval('import_id_seq'),
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR,
    kind VARCHAR NOT NULL,            -- tickets / ticket_events / surveys / customers / activity / demo
    vendor VARCHAR,
    confidence DOUBLE,
    mapping JSON,
    options JSON,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    warnings JSON,
    actor VARCHAR,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- loaded / undone
    undone_at TIMESTAMP,
    undone_by VARCHAR
);

-- grain: one row per rejected input line
CREATE TABLE import_rejects (
    import_id INTEGER NOT NULL,
    line_number BIGINT,
    field VARCHAR,
    reason VARCHAR NOT NULL,
    raw_text VARCHAR
);

-- grain: one row per customer
CREATE TABLE customers (
    customer_id VARCHAR PRIMARY KEY,
    signup_at TIMESTAMP,
    birth_year INTEGER,
    plan VARCHAR,
    segment VARCHAR,
    region VARCHAR,
    country VARCHAR,
    acquisition_channel VARCHAR,
    status VARCHAR,                   -- active / churned (raw kept in attributes)
    churned_at TIMESTAMP,
    email_hash VARCHAR,
    attributes JSON,
    import_id INTEGER
);

-- grain: one row per order / login / renewal
CREATE TABLE customer_activity (
    customer_id VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    amount DOUBLE,
    import_id INTEGER
);

-- grain: one row per ticket; ticket_id is unique per source
CREATE TABLE tickets (
    source VARCHAR NOT NULL,
    ticket_id VARCHAR NOT NULL,
    customer_id VARCHAR,
    created_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    first_solved_at TIMESTAMP,
    solved_at TIMESTAMP,
    closed_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- new / open / pending / hold / solved / closed
    status_raw VARCHAR,
    channel VARCHAR,                  -- email / chat / phone / social / web / messaging / other
    channel_raw VARCHAR,
    category VARCHAR,
    ticket_type VARCHAR,
    priority VARCHAR,                 -- low / normal / high / urgent
    subject VARCHAR,
    description VARCHAR,
    tags VARCHAR[],
    group_name VARCHAR,
    assignee VARCHAR,
    reopens INTEGER,
    replies INTEGER,
    group_stations INTEGER,
    assignee_stations INTEGER,
    satisfaction_score DOUBLE,
    satisfaction_scale VARCHAR,
    is_complaint BOOLEAN NOT NULL DEFAULT false,
    vendor_first_reply_minutes DOUBLE,
    vendor_first_reply_minutes_business DOUBLE,
    vendor_full_resolution_minutes DOUBLE,
    vendor_full_resolution_minutes_business DOUBLE,
    attributes JSON,
    import_id INTEGER,
    PRIMARY KEY (source, ticket_id)
);

-- grain: one row per status / assignment / field change of a ticket
CREATE TABLE ticket_events (
    source VARCHAR NOT NULL,
    ticket_id VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    field VARCHAR NOT NULL,
    value VARCHAR,
    actor VARCHAR,
    import_id INTEGER
);

-- grain: one row per survey response x scored question
CREATE TABLE survey_responses (
    source VARCHAR NOT NULL,
    response_id VARCHAR NOT NULL,
    survey_name VARCHAR,
    question VARCHAR,
    customer_id VARCHAR,
    ticket_id VARCHAR,
    responded_at TIMESTAMP NOT NULL,
    metric VARCHAR NOT NULL,          -- nps / csat / ces
    score DOUBLE NOT NULL,
    scale_min DOUBLE NOT NULL,
    scale_max DOUBLE NOT NULL,
    higher_is_better BOOLEAN NOT NULL DEFAULT true,
    comment VARCHAR,
    touchpoint VARCHAR,               -- relationship / ticket / onboarding ...
    channel VARCHAR,                  -- channel of the surveyed interaction, when known
    attributes JSON,
    import_id INTEGER,
    CHECK (metric IN ('nps', 'csat', 'ces')),
    CHECK (score >= scale_min AND score <= scale_max)
);
