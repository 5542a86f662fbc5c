-- Schema 7: WhatsApp media kept on the workstation, so a thread's photos
-- show when the server cannot be reached (docs/WHATSAPP.md, "Media on the
-- workstation").
-- What the conversations reference (a projection, rebuilt with them).
CREATE TABLE conversation_media (
    doc_id    TEXT NOT NULL,
    sha256    TEXT NOT NULL,    -- lowercase hex, the server's blob key
    mime_type TEXT,
    size      INTEGER,          -- bytes, when the message says
    at        INTEGER NOT NULL, -- when the message was sent (seconds)
    PRIMARY KEY (doc_id, sha256)
) STRICT;
CREATE INDEX conversation_media_at ON conversation_media (at);
-- The bytes fetched from the server, verified against their SHA-256, kept
-- within a size budget (least recently shown evicted first). Not a
-- projection: a reindex keeps it; losing read access to conversations
-- empties it.
CREATE TABLE media_cache (
    sha256    TEXT PRIMARY KEY,
    mime_type TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    size      INTEGER NOT NULL,
    used_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX media_cache_used ON media_cache (used_at);
-- Conversations stored before schema 7 are projected again when the
-- clinic opens (see projection::catch_up), listing their media.
DELETE FROM projection_heads WHERE class = 'conversation';
