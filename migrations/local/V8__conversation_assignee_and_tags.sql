-- Schema 8: who at the clinic handles a conversation and its labels
-- (docs/WHATSAPP.md, "Who answers", "Labels"). JSON of the document's
-- `assignee`, and a JSON array of its tags; no document written before
-- this schema has either, so nothing is projected again.
ALTER TABLE conversations ADD COLUMN assignee TEXT;
ALTER TABLE conversations ADD COLUMN tags TEXT;
