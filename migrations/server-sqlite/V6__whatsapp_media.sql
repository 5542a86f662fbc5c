-- Schema 6: media of inbound WhatsApp messages, fetched from the Graph API
-- and kept in the server's blob storage (docs/WHATSAPP.md, "Media").

-- The bytes, once per organisation and content (a picture sent twice is
-- stored once). Served by GET /api/v1/orgs/{org}/media/{sha256}.
CREATE TABLE wa_blobs (
    org_id     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, sha256)
) STRICT;

-- One row per inbound message with media, recorded by the conversation
-- writer before it marks the message written (so none is missed): the
-- fetcher's work. `pending` (claimed by moving next_attempt_at past the
-- request's lease: a crash mid-download just retries) → `stored` (the
-- blob's sha256 and size), `too_large` or `failed` (`error`).
-- `doc_synced_at` is NULL until the document shows the outcome.
CREATE TABLE wa_media (
    org_id          TEXT NOT NULL,
    wamid           TEXT NOT NULL,
    doc_id          TEXT NOT NULL,
    phone_number_id TEXT NOT NULL,
    media_id        TEXT NOT NULL,
    mime_type       TEXT,
    meta_sha256     TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'too_large', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    blob_sha256     TEXT,
    size            INTEGER,
    error           TEXT,
    doc_synced_at   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (org_id, wamid)
) STRICT;
CREATE INDEX wa_media_due ON wa_media (org_id, next_attempt_at) WHERE state = 'pending';
CREATE INDEX wa_media_unsynced ON wa_media (org_id, updated_at) WHERE state <> 'pending' AND doc_synced_at IS NULL;
