-- Schema 2: compacted documents for bootstrapping fresh workstations. A
-- snapshot is the saved document as of change `seq`; it is rebuilt when the
-- document has changed since. The change log stays the source of truth.
CREATE TABLE snapshots (
    org_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (org_id, doc_id)
) STRICT, WITHOUT ROWID;

-- A document's latest change, for snapshots and their freshness.
CREATE INDEX changes_doc ON changes (org_id, doc_id, seq);
