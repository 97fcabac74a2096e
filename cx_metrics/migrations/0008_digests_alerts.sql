-- Digests, alerts and their delivery (issue 19): who gets which digest how often with which filters, the alert
-- rules and the state of each watched series, and an outbox that keeps every message until it is delivered.

CREATE SEQUENCE subscription_seq START 1;
-- grain: one row per subscription (a recipient getting one digest on one schedule with one set of filters)
CREATE TABLE subscriptions (
    subscription_id INTEGER PRIMARY KEY DEFAULT nextval('subscription_seq'),
    recipient VARCHAR NOT NULL,        -- an e-mail address, or slack:NAME / teams:NAME (a webhook named in the secrets)
    role VARCHAR NOT NULL,             -- the reader's role: what the digest may contain
    digest VARCHAR NOT NULL,           -- which digest ('executive')
    frequency VARCHAR NOT NULL,        -- daily / weekly / monthly: each covers the last whole day / week / month
    weekday INTEGER NOT NULL DEFAULT 0,  -- weekly: the day it is sent, 0 = Monday
    hour INTEGER NOT NULL DEFAULT 7,   -- the local hour it is sent at
    timezone VARCHAR NOT NULL DEFAULT 'UTC',
    filters JSON NOT NULL,             -- {"regions": ["EMEA"], ...} as cx_metrics.filters.Filters
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    CHECK (role IN ('executive', 'cx_lead', 'analyst', 'admin')),
    CHECK (frequency IN ('daily', 'weekly', 'monthly')),
    CHECK (weekday BETWEEN 0 AND 6),
    CHECK (hour BETWEEN 0 AND 23)
);

CREATE SEQUENCE alert_rule_seq START 1;
-- grain: one row per alert rule
CREATE TABLE alert_rules (
    rule_id INTEGER PRIMARY KEY DEFAULT nextval('alert_rule_seq'),
    name VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,           -- a metric id (cx_metrics.digest.figures.METRICS)
    kind VARCHAR NOT NULL,             -- anomaly (robust-z band) / change (vs the previous period) / threshold
    grain VARCHAR NOT NULL,            -- day / week / month: the period each evaluation reads
    breakdown VARCHAR NOT NULL DEFAULT 'all', -- the segment's breakdown (complaint dimensions); 'all' = the whole series
    value VARCHAR,                     -- one value of the breakdown; NULL = every value is a series of its own
    filters JSON NOT NULL,             -- plan / region / segment / channel, as the dashboard's sidebar
    direction VARCHAR NOT NULL DEFAULT 'worse',  -- change and threshold: worse / better / either, above / below
    threshold DOUBLE,                  -- threshold rules: the value in the metric's unit
    alpha DOUBLE NOT NULL DEFAULT 0.001,  -- change rules: the significance level of the exact test
    min_count INTEGER NOT NULL DEFAULT 30,  -- a period with fewer observations never fires
    recipients JSON NOT NULL,          -- ["cx-lead@company.com", "slack:cx-alerts", ...]
    snoozed_until TIMESTAMP,           -- no notification before this time (the state is still followed)
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    CHECK (kind IN ('anomaly', 'change', 'threshold')),
    CHECK (grain IN ('day', 'week', 'month')),
    CHECK (direction IN ('worse', 'better', 'either', 'above', 'below')),
    CHECK (min_count >= 1)
);

-- grain: one row per rule and series it watches (a series: one value of the rule's breakdown)
CREATE TABLE alert_state (
    rule_id INTEGER NOT NULL,
    series VARCHAR NOT NULL,
    firing BOOLEAN NOT NULL,
    since TIMESTAMP,                   -- the first period of the current episode (NULL when not firing)
    last_period TIMESTAMP NOT NULL,    -- the latest period evaluated
    last_value DOUBLE,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (rule_id, series)
);

CREATE SEQUENCE alert_event_seq START 1;
-- grain: one row per episode start (fired) or end (cleared) of a rule's series
CREATE TABLE alert_events (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('alert_event_seq'),
    rule_id INTEGER NOT NULL,
    series VARCHAR NOT NULL,
    event VARCHAR NOT NULL,            -- fired / cleared
    period_start TIMESTAMP NOT NULL,   -- the period that started or ended the episode
    value DOUBLE,
    message VARCHAR NOT NULL,
    link VARCHAR,                      -- the dashboard view that shows it
    snoozed BOOLEAN NOT NULL,          -- true: recorded, not notified
    occurred_at TIMESTAMP NOT NULL,
    UNIQUE (rule_id, series, event, period_start)
);

CREATE SEQUENCE outbox_seq START 1;
-- grain: one row per message to one recipient; kept after delivery (the record of what was sent)
CREATE TABLE outbox (
    message_id BIGINT PRIMARY KEY DEFAULT nextval('outbox_seq'),
    dedupe_key VARCHAR NOT NULL UNIQUE, -- one message per subscription and schedule slot, per alert event and recipient
    kind VARCHAR NOT NULL,             -- digest / alert
    channel VARCHAR NOT NULL,          -- email / slack / teams
    recipient VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    body JSON NOT NULL,                -- {"text", "html", "images": {cid: base64 PNG}} or {"webhook": payload}
    attachment BLOB,                   -- the digest's PDF
    attachment_name VARCHAR,
    status VARCHAR NOT NULL,           -- pending / sent / failed (gave up retrying: shown, and retried on request)
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    CHECK (status IN ('pending', 'sent', 'failed')),
    CHECK (channel IN ('email', 'slack', 'teams'))
);
