-- Tickets without a primary-key index. The importer guarantees one row per (source, ticket_id): it ranks
-- repeated ids within a file and replaces stored versions explicitly (see cx_metrics/ingest/load.py). The
-- index cost about 0.5 s per million rows on every load (bench/RESULTS-import.md) and bought nothing
-- the importer does not already check; a test asserts the uniqueness after overlapping imports.

CREATE TABLE tickets_v3 (
    source VARCHAR NOT NULL,
    ticket_id VARCHAR NOT NULL,
    customer_id VARCHAR,
    created_at TIMESTAMP,
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
    updated_at TIMESTAMP
);

INSERT INTO tickets_v3 SELECT * FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_v3 RENAME TO tickets;
