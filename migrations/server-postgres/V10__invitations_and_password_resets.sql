-- Schema 10: accounts that already exist join another clinic only by
-- accepting its invitation, and passwords can be changed and reset.
CREATE TABLE invitations (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL,
    invited_by uuid NOT NULL REFERENCES users (id),
    created_at bigint NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX invitations_of_user ON invitations (user_id);

-- One-time reset codes an administrator hands to a member; only their
-- SHA-256 is kept.
CREATE TABLE password_resets (
    hash       bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    created_by uuid NOT NULL REFERENCES users (id),
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at    bigint
);
