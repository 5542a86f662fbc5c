-- Schema 9: a webhook body is stored once however often it arrives (a
-- replay of a signed body, or Meta retrying one we already answered):
-- later copies only count in `replays`. Rows from before have no hash.
ALTER TABLE wa_deliveries ADD COLUMN body_sha256 bytea;
ALTER TABLE wa_deliveries ADD COLUMN replays integer NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX wa_deliveries_body ON wa_deliveries (body_sha256);
