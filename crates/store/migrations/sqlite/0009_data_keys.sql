-- Each organisation's data keys (encryption at rest): random 256-bit keys, stored only
-- wrapped (sealed) by the center's master key, which never enters the database. The
-- highest key_id is the one new writes use; older ones stay to read what they sealed
-- until the re-encryption has moved everything to the newest.
CREATE TABLE data_keys (
    org_id BLOB NOT NULL,
    key_id INTEGER NOT NULL,
    wrapped TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, key_id)
);
