-- The outbox: one row per outbound message, written in the message's own commit and
-- moved along by the channel's transport (attempts, backoff) and the provider's receipts.
CREATE TABLE deliveries (
    message_id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    -- How far along `status` is (queued 0, sent 1, failed 2, delivered 3, read 4): a
    -- write never moves a delivery back, whoever races whom.
    status_rank INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms INTEGER,
    provider_message_id TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The transports' work list: what is due, soonest first.
CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;
-- A conversation's receipts.
CREATE INDEX deliveries_contact ON deliveries (org_id, contact_id, seq);
-- Receipts from a provider name its own message id.
CREATE INDEX deliveries_provider ON deliveries (org_id, channel, provider_message_id);
