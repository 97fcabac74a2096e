-- Import support: answers to unscored survey questions, versions replaced by an upsert (so an undo can
-- restore them exactly), saved column mappings per source, and the source's own update time of a ticket.

ALTER TABLE tickets ADD COLUMN updated_at TIMESTAMP;
-- some exports hold tickets with no time at all (open, never answered): kept, but in no time-based metric
ALTER TABLE tickets ALTER COLUMN created_at DROP NOT NULL;

-- grain: one row per survey response x unscored question (scored ones go to survey_responses)
CREATE TABLE survey_answers (
    source VARCHAR NOT NULL,
    response_id VARCHAR NOT NULL,
    survey_name VARCHAR,
    question_id VARCHAR NOT NULL,
    question VARCHAR,
    answer VARCHAR,
    customer_id VARCHAR,
    responded_at TIMESTAMP,
    import_id INTEGER
);

-- grain: one row per row version replaced by a later import (restored when that import is undone)
CREATE TABLE tickets_replaced AS SELECT *, CAST(NULL AS INTEGER) AS replaced_by FROM tickets LIMIT 0;
CREATE TABLE customers_replaced AS SELECT *, CAST(NULL AS INTEGER) AS replaced_by FROM customers LIMIT 0;
CREATE TABLE survey_responses_replaced AS
    SELECT *, CAST(NULL AS INTEGER) AS replaced_by FROM survey_responses LIMIT 0;

-- grain: one row per (source, kind): the mapping a user confirmed, reused for that source's next file
CREATE TABLE import_mappings (
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    vendor VARCHAR,
    mapping JSON NOT NULL,
    options JSON,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, kind)
);
