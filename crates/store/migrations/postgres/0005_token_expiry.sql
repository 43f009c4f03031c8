-- A token may expire, and a token minted by an admin for someone else (impersonation)
-- names who minted it.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN created_by UUID;
