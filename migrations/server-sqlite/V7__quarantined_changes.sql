-- Schema 7: changes an administrator took out of the change log (issue
-- "the server trusts no client": a change that broke its document before
-- pushes were judged). Kept whole for audit; never served again, and the
-- document's snapshot is rebuilt without them.
CREATE TABLE quarantined_changes (
    org_id         TEXT NOT NULL,
    doc_id         TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    class          TEXT NOT NULL,
    hash           BLOB NOT NULL,
    bytes          BLOB NOT NULL,
    device_id      TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    quarantined_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, doc_id, hash)
) STRICT, WITHOUT ROWID;
