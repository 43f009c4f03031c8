-- Customers' identities (an email, a phone number, a provider's user id) are looked up by
-- a keyed hash of their value under the organisation's data key, so `value` no longer holds
-- the value itself for rows written since; `sealed` holds it encrypted, for display and
-- for replying on its channel. NULL for rows from before (read as they are until
-- `homeshore keys reencrypt` moves them).
ALTER TABLE identities ADD COLUMN sealed TEXT;
-- The rows still in clear, found at once when a server starts (it seals them before it
-- serves, so that its lookups, which use the blind index, find them).
CREATE INDEX identities_unsealed ON identities (org_id) WHERE sealed IS NULL;
