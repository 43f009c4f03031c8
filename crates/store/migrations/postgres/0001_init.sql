-- Homeshore schema, PostgreSQL. Ids are UUIDs (time-ordered v7), times TIMESTAMPTZ, JSON as
-- JSONB. Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE orgs (
    id UUID PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mfa_required BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_enabled BOOLEAN NOT NULL,
    recovery_codes JSONB NOT NULL,
    failed_logins INT NOT NULL,
    locked_until TIMESTAMPTZ,
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_org_email UNIQUE (org_id, email)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    user_id UUID NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (org_id, user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    user_id UUID NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked BOOLEAN NOT NULL
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);

CREATE TABLE objects (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT objects_org_kind_name UNIQUE (org_id, kind, name)
);
CREATE INDEX objects_list ON objects (org_id, kind, id);

CREATE TABLE customers (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customers_org ON customers (org_id, id);

CREATE TABLE identities (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT identities_org_kind_value UNIQUE (org_id, kind, value)
);
CREATE INDEX identities_customer ON identities (org_id, customer_id);

CREATE TABLE contacts (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    channel TEXT NOT NULL,
    queue_id UUID,
    status TEXT NOT NULL,
    customer_id UUID,
    agent_id UUID,
    topic TEXT,
    enqueued_at TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    wrapup_code TEXT,
    wrapup_notes TEXT,
    last_seq BIGINT NOT NULL,
    customer_read_seq BIGINT NOT NULL,
    agent_read_seq BIGINT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_org ON contacts (org_id, id);
CREATE INDEX contacts_status ON contacts (status, id);
CREATE INDEX contacts_customer ON contacts (org_id, customer_id);

CREATE TABLE messages (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    contact_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    sender TEXT NOT NULL,
    author_id UUID,
    author_name TEXT,
    text TEXT,
    attachment JSONB,
    internal BOOLEAN NOT NULL,
    client_id TEXT,
    at TIMESTAMPTZ NOT NULL,
    CONSTRAINT messages_contact_seq UNIQUE (contact_id, seq),
    CONSTRAINT messages_contact_client_id UNIQUE (contact_id, client_id)
);

CREATE TABLE attachments (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL,
    contact_id UUID NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE idempotency_keys (
    org_id UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INT NOT NULL,
    body JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- The append-only log. A sequence never hands out a number twice.
CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    org_id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    data JSONB NOT NULL
);
CREATE INDEX events_org ON events (org_id, seq);
