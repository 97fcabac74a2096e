-- Who may see what, and what happened: the email-to-role table admins edit in the app (used when the identity
-- provider sends no role claim), and an append-only audit log of logins, imports, undos, exports and role changes.
CREATE TABLE user_roles (
    email VARCHAR PRIMARY KEY,         -- lower-case
    role VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    CHECK (role IN ('executive', 'cx_lead', 'analyst', 'admin'))
);

CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    occurred_at TIMESTAMP NOT NULL,    -- UTC
    actor VARCHAR NOT NULL,            -- an email, 'local' (no login configured) or 'cli'
    action VARCHAR NOT NULL,           -- login / login_refused / import / undo / export / role_change
    detail JSON
);
