-- Recent events of one kind (today's agent states for adherence) without a scan of
-- the organisation's whole log.
CREATE INDEX events_org_kind ON events (org_id, kind, seq);
