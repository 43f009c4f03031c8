-- Personal data masked out of a customer's message: for each, its kind, the mask shown
-- in the text and (card numbers excepted, which are never kept) the value sealed with
-- the center's key. As JSON; NULL when the message held none.
ALTER TABLE messages ADD COLUMN pii JSONB;
