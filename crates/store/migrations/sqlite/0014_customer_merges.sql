-- Customers found to be one person: the one merged away (its identities and contacts
-- moved to `merged_into`, its row deleted) and where it went, so that a read of the old
-- id can say so. Ids only: an erasure of either customer deletes the row.
CREATE TABLE customer_merges (
    org_id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    merged_into BLOB NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX customer_merges_into ON customer_merges (org_id, merged_into);
