-- arcada-server on SQLite, schema 1: tenancy, tokens, the change log.

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,          -- lower-cased
    password_hash TEXT NOT NULL,                 -- Argon2id PHC string
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    org_id  TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE devices (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

-- Access and refresh tokens, stored only as SHA-256 hashes. A refresh
-- token is spent when used; its successor shares its family, and reusing a
-- spent one revokes the family.
CREATE TABLE tokens (
    hash       BLOB PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    device_id  TEXT NOT NULL REFERENCES devices (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    family     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX tokens_family ON tokens (family);
CREATE INDEX tokens_device ON tokens (device_id);

-- Each document's class, recorded the first time the server sees it.
CREATE TABLE documents (
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    id         TEXT NOT NULL,
    class      TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) STRICT, WITHOUT ROWID;

-- The append-only change log. `seq` only grows; a change is stored once
-- however often it is pushed.
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY,
    org_id      TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    class       TEXT NOT NULL,
    hash        BLOB NOT NULL,
    bytes       BLOB NOT NULL,
    device_id   TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (org_id, doc_id, hash)
) STRICT;
CREATE INDEX changes_pull ON changes (org_id, seq);
