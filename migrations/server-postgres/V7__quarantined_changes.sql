-- Schema 7: changes an administrator took out of the change log (issue
-- "the server trusts no client": a change that broke its document before
-- pushes were judged). Kept whole for audit; never served again, and the
-- document's snapshot is rebuilt without them.
CREATE TABLE quarantined_changes (
    org_id         uuid NOT NULL,
    doc_id         uuid NOT NULL,
    seq            bigint NOT NULL,
    class          text NOT NULL,
    hash           bytea NOT NULL,
    bytes          bytea NOT NULL,
    device_id      uuid NOT NULL,
    received_at    bigint NOT NULL,
    reason         text NOT NULL,
    quarantined_at bigint NOT NULL,
    PRIMARY KEY (org_id, doc_id, hash)
);

ALTER TABLE quarantined_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE quarantined_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY quarantined_changes_of_current_org ON quarantined_changes
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);
