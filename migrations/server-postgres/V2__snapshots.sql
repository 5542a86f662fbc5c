-- Schema 2: compacted documents for bootstrapping fresh workstations. A
-- snapshot is the saved document as of change `seq`; it is rebuilt when the
-- document has changed since. The change log stays the source of truth.
CREATE TABLE snapshots (
    org_id uuid NOT NULL,
    doc_id uuid NOT NULL,
    seq    bigint NOT NULL,
    bytes  bytea NOT NULL,
    PRIMARY KEY (org_id, doc_id)
);

-- A document's latest change, for snapshots and their freshness.
CREATE INDEX changes_doc ON changes (org_id, doc_id, seq);

ALTER TABLE snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE snapshots FORCE ROW LEVEL SECURITY;
CREATE POLICY snapshots_of_current_org ON snapshots
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);
