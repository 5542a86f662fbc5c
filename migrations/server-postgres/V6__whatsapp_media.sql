-- Schema 6: media of inbound WhatsApp messages, fetched from the Graph API
-- and kept in the server's blob storage (docs/WHATSAPP.md, "Media"). Both
-- tables are tenant data behind row-level security (`app.current_org`).

-- The bytes, once per organisation and content (a picture sent twice is
-- stored once). Served by GET /api/v1/orgs/{org}/media/{sha256}.
CREATE TABLE wa_blobs (
    org_id     uuid NOT NULL,
    sha256     text NOT NULL,
    mime_type  text NOT NULL,
    size       bigint NOT NULL,
    bytes      bytea NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (org_id, sha256)
);

-- One row per inbound message with media, recorded by the conversation
-- writer before it marks the message written (so none is missed): the
-- fetcher's work. `pending` (claimed by moving next_attempt_at past the
-- request's lease: a crash mid-download just retries) → `stored` (the
-- blob's sha256 and size), `too_large` or `failed` (`error`).
-- `doc_synced_at` is NULL until the document shows the outcome.
CREATE TABLE wa_media (
    org_id          uuid NOT NULL,
    wamid           text NOT NULL,
    doc_id          uuid NOT NULL,
    phone_number_id text NOT NULL,
    media_id        text NOT NULL,
    mime_type       text,
    meta_sha256     text,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'too_large', 'failed')),
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    blob_sha256     text,
    size            bigint,
    error           text,
    doc_synced_at   bigint,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (org_id, wamid)
);
CREATE INDEX wa_media_due ON wa_media (org_id, next_attempt_at) WHERE state = 'pending';
CREATE INDEX wa_media_unsynced ON wa_media (org_id, updated_at) WHERE state <> 'pending' AND doc_synced_at IS NULL;

ALTER TABLE wa_blobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_blobs FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_blobs_of_current_org ON wa_blobs
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);

ALTER TABLE wa_media ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_media FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_media_of_current_org ON wa_media
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);
