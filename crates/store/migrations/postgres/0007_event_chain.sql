-- Each event's link in its organisation's hash chain (see the store's `chain` module):
-- a row changed by hand in the database is found by `homeshore audit verify`. NULL for
-- events from before the chain.
ALTER TABLE events ADD COLUMN hash TEXT;
