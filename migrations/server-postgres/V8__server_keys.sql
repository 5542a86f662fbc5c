-- Schema 8: the server's own keys. 'attestation' is the Ed25519 key pair
-- (PKCS#8) with which the server attests members' note-signing keys in
-- their organisation's directory (docs/CHART.md, "Signatures"). Made once
-- by the first server process that needs it; every instance sharing the
-- database uses the same one, and workstations pin its public half.
CREATE TABLE server_keys (
    name       text PRIMARY KEY,
    pkcs8      bytea NOT NULL,
    created_at bigint NOT NULL
);
