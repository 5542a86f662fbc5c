-- arcada-server on PostgreSQL, schema 1: tenancy, tokens, the change log.
-- Tenant data (documents, changes) also sits behind row-level security keyed
-- on `app.current_org`, set per transaction: a second wall behind the
-- server's own tenant checks. FORCE makes it bind the owning role too; the
-- server must not connect as a superuser (superusers bypass it).

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at bigint NOT NULL
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    bigint NOT NULL
);

CREATE TABLE memberships (
    org_id  uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL REFERENCES users (id),
    role    text NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE devices (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    name       text NOT NULL,
    created_at bigint NOT NULL,
    revoked_at bigint
);

CREATE TABLE tokens (
    hash       bytea PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('access', 'refresh')),
    device_id  uuid NOT NULL REFERENCES devices (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    family     text NOT NULL,
    expires_at bigint NOT NULL,
    used_at    bigint,
    revoked_at bigint
);
CREATE INDEX tokens_family ON tokens (family);
CREATE INDEX tokens_device ON tokens (device_id);

CREATE TABLE documents (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    id         uuid NOT NULL,
    class      text NOT NULL,
    first_seen bigint NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE changes (
    seq         bigserial PRIMARY KEY,
    org_id      uuid NOT NULL,
    doc_id      uuid NOT NULL,
    class       text NOT NULL,
    hash        bytea NOT NULL,
    bytes       bytea NOT NULL,
    device_id   uuid NOT NULL,
    received_at bigint NOT NULL,
    UNIQUE (org_id, doc_id, hash)
);
CREATE INDEX changes_pull ON changes (org_id, seq);

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_of_current_org ON documents
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);

ALTER TABLE changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE changes FORCE ROW LEVEL SECURITY;
CREATE POLICY changes_of_current_org ON changes
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);
