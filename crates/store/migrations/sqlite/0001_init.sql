-- Homeshore schema, SQLite. Ids are UUIDs stored as 16-byte BLOBs (time-ordered v7),
-- times as text (UTC), JSON as text. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE orgs (
    id BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mfa_required INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_enabled INTEGER NOT NULL,
    recovery_codes TEXT NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until TEXT,
    disabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT users_org_email UNIQUE (org_id, email)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (org_id, user_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked INTEGER NOT NULL
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);

CREATE TABLE objects (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT objects_org_kind_name UNIQUE (org_id, kind, name)
);
CREATE INDEX objects_list ON objects (org_id, kind, id);

CREATE TABLE customers (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX customers_org ON customers (org_id, id);

CREATE TABLE identities (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT identities_org_kind_value UNIQUE (org_id, kind, value)
);
CREATE INDEX identities_customer ON identities (org_id, customer_id);

CREATE TABLE contacts (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    queue_id BLOB,
    status TEXT NOT NULL,
    customer_id BLOB,
    agent_id BLOB,
    topic TEXT,
    enqueued_at TEXT NOT NULL,
    accepted_at TEXT,
    ended_at TEXT,
    closed_at TEXT,
    wrapup_code TEXT,
    wrapup_notes TEXT,
    last_seq INTEGER NOT NULL,
    customer_read_seq INTEGER NOT NULL,
    agent_read_seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contacts_org ON contacts (org_id, id);
CREATE INDEX contacts_status ON contacts (status, id);
CREATE INDEX contacts_customer ON contacts (org_id, customer_id);

CREATE TABLE messages (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    sender TEXT NOT NULL,
    author_id BLOB,
    author_name TEXT,
    text TEXT,
    attachment TEXT,
    internal INTEGER NOT NULL,
    client_id TEXT,
    at TEXT NOT NULL,
    CONSTRAINT messages_contact_seq UNIQUE (contact_id, seq),
    CONSTRAINT messages_contact_client_id UNIQUE (contact_id, client_id)
);

CREATE TABLE attachments (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    org_id BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- The append-only log. AUTOINCREMENT: a seq is never reused, even after a rollback.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BLOB NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_org ON events (org_id, seq);
