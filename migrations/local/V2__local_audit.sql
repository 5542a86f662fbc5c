-- Schema 2: a local audit trail. Every change made on this workstation is
-- recorded with who, on which device, when and what, beside the attribution
-- the change itself carries in its document history.
CREATE TABLE audit (
    at        INTEGER NOT NULL,               -- ms since epoch
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    action    TEXT NOT NULL,                  -- e.g. patient.add
    doc_id    TEXT,
    detail    TEXT
) STRICT;
CREATE INDEX audit_doc ON audit (doc_id, at);
CREATE INDEX audit_at ON audit (at);
