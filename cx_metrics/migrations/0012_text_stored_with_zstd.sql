-- Free text and attribute JSON stored with ZSTD instead of DuckDB's default string compression (FSST, chosen
-- per segment). Measured on 1M rows of the Kaggle support-ticket layout (267 MB of descriptions): writing the
-- description column took 2.3 CPU s with the default and 0.8 with ZSTD, and 128 MB on disk against 41 MB; the
-- whole import went from 6.8-7.8 s to 6.0-6.3 s and its database from 215 MB to 106 MB. Telco customers (JSON
-- attributes): 4.2 s -> 3.85 s, 153 MB -> 85 MB. The cost is on reading these columns: a text search over 1M
-- descriptions 163 -> 193 ms, the newest 100 rows with their text 27 -> 43 ms, grouping by an attribute +8%
-- (bench/NOTES.md, Import). Short labels keep the default: ZSTD made our generator's Zendesk file larger.
-- DuckDB sets a column's compression only when the table is created, so the four tables are rebuilt in place
-- with the same columns in the same order (the *_replaced tables mirror their table's columns, then replaced_by).

CREATE TABLE tickets_v12 (
    source VARCHAR NOT NULL,
    ticket_id VARCHAR NOT NULL,
    customer_id VARCHAR,
    created_at TIMESTAMP,
    first_response_at TIMESTAMP,
    first_solved_at TIMESTAMP,
    solved_at TIMESTAMP,
    closed_at TIMESTAMP,
    status VARCHAR NOT NULL,
    status_raw VARCHAR,
    channel VARCHAR,
    channel_raw VARCHAR,
    category VARCHAR,
    ticket_type VARCHAR,
    priority VARCHAR,
    subject VARCHAR,
    description VARCHAR USING COMPRESSION zstd,
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
    attributes JSON USING COMPRESSION zstd,
    import_id INTEGER,
    updated_at TIMESTAMP,
    event_filled VARCHAR[]
);
INSERT INTO tickets_v12 SELECT * FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_v12 RENAME TO tickets;

CREATE TABLE tickets_replaced_v12 (
    source VARCHAR,
    ticket_id VARCHAR,
    customer_id VARCHAR,
    created_at TIMESTAMP,
    first_response_at TIMESTAMP,
    first_solved_at TIMESTAMP,
    solved_at TIMESTAMP,
    closed_at TIMESTAMP,
    status VARCHAR,
    status_raw VARCHAR,
    channel VARCHAR,
    channel_raw VARCHAR,
    category VARCHAR,
    ticket_type VARCHAR,
    priority VARCHAR,
    subject VARCHAR,
    description VARCHAR USING COMPRESSION zstd,
    tags VARCHAR[],
    group_name VARCHAR,
    assignee VARCHAR,
    reopens INTEGER,
    replies INTEGER,
    group_stations INTEGER,
    assignee_stations INTEGER,
    satisfaction_score DOUBLE,
    satisfaction_scale VARCHAR,
    is_complaint BOOLEAN,
    vendor_first_reply_minutes DOUBLE,
    vendor_first_reply_minutes_business DOUBLE,
    vendor_full_resolution_minutes DOUBLE,
    vendor_full_resolution_minutes_business DOUBLE,
    attributes JSON USING COMPRESSION zstd,
    import_id INTEGER,
    updated_at TIMESTAMP,
    event_filled VARCHAR[],
    replaced_by INTEGER
);
INSERT INTO tickets_replaced_v12 SELECT * FROM tickets_replaced;
DROP TABLE tickets_replaced;
ALTER TABLE tickets_replaced_v12 RENAME TO tickets_replaced;

CREATE TABLE customers_v12 (
    customer_id VARCHAR PRIMARY KEY,
    signup_at TIMESTAMP,
    birth_year INTEGER,
    plan VARCHAR,
    segment VARCHAR,
    region VARCHAR,
    country VARCHAR,
    acquisition_channel VARCHAR,
    status VARCHAR,
    churned_at TIMESTAMP,
    email_hash VARCHAR,
    attributes JSON USING COMPRESSION zstd,
    import_id INTEGER
);
INSERT INTO customers_v12 SELECT * FROM customers;
DROP TABLE customers;
ALTER TABLE customers_v12 RENAME TO customers;

CREATE TABLE customers_replaced_v12 (
    customer_id VARCHAR,
    signup_at TIMESTAMP,
    birth_year INTEGER,
    plan VARCHAR,
    segment VARCHAR,
    region VARCHAR,
    country VARCHAR,
    acquisition_channel VARCHAR,
    status VARCHAR,
    churned_at TIMESTAMP,
    email_hash VARCHAR,
    attributes JSON USING COMPRESSION zstd,
    import_id INTEGER,
    replaced_by INTEGER
);
INSERT INTO customers_replaced_v12 SELECT * FROM customers_replaced;
DROP TABLE customers_replaced;
ALTER TABLE customers_replaced_v12 RENAME TO customers_replaced;
