-- A session signed in through the organisation's identity provider, which reported a
-- second factor, counts as two-factor authenticated.
ALTER TABLE sessions ADD COLUMN idp_mfa INTEGER NOT NULL DEFAULT 0;
