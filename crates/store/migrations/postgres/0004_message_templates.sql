-- A message sent as a provider's approved template (WhatsApp outside its 24-hour
-- window): the template's name, language and parameters, as JSON. The message's text is
-- the template as the customer reads it.
ALTER TABLE messages ADD COLUMN template JSONB;
