-- Schema 10: note signatures (docs/CHART.md, "Signatures").
--
-- Each professional's Ed25519 key pair made on this workstation (PKCS#8).
-- The private half never leaves it; the public half is published in the
-- organisation's directory by the server, which attests it. `attested`
-- is set once the server has done so.
CREATE TABLE signing_keys (
    key_id     TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    pkcs8      BLOB NOT NULL,
    public_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,              -- ms since epoch
    attested   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX signing_keys_of_user ON signing_keys (user_id, created_at);

-- The server's attestation key, pinned the first time this workstation
-- saw it: a directory key is trusted only if this key attested it.
CREATE TABLE server_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key BLOB NOT NULL,
    pinned_at  INTEGER NOT NULL
) STRICT;
