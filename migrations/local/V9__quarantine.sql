-- Schema 9: changes this workstation set aside instead of letting them
-- stop its sync (docs/SYNC.md, "Quarantine"). `direction` says where each
-- came from: 'push', refused by the server (it left the outbox); 'pull',
-- sent by the server but not applicable or not valid here. Kept with their
-- bytes for audit; nothing is ever applied from here.
CREATE TABLE quarantine (
    id        INTEGER PRIMARY KEY,
    doc_id    TEXT NOT NULL,
    hash      BLOB,
    bytes     BLOB NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('push', 'pull')),
    code      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX quarantine_change ON quarantine (doc_id, hash, direction);
