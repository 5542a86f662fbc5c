-- Schema 4: the server as a peer of the clinics' documents (docs/WHATSAPP.md):
-- inbound messages written into conversation documents, patients' phones
-- indexed from the change log, outbound messages queued in documents sent
-- through the Graph API.

-- The server's own identity in the change log: a platform user that can
-- never log in (its e-mail has no dotted domain, so neither the admin CLI
-- nor the members API can give it a password or a membership, and '!' is
-- no password hash) and the device its changes are stored under.
INSERT INTO users (id, email, password_hash, created_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'whatsapp@arcada', '!', 0);
INSERT INTO devices (id, user_id, name, created_at)
VALUES ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000a1', 'arcada-server (WhatsApp)', 0);

-- A number whose token Meta refused (code 190): nothing is sent through it
-- until it is updated (wa-update-number) or added again.
ALTER TABLE wa_numbers ADD COLUMN needs_reauth_at INTEGER;
ALTER TABLE wa_numbers ADD COLUMN needs_reauth_reason TEXT;

-- Inbound messages are written into their conversation document after
-- they are stored (an outbox): NULL until written. The lease keeps two
-- writers off the same row.
ALTER TABLE wa_messages ADD COLUMN doc_written_at INTEGER;
ALTER TABLE wa_messages ADD COLUMN doc_lease_until INTEGER;
CREATE INDEX wa_messages_unwritten ON wa_messages (org_id, received_at) WHERE doc_written_at IS NULL;

-- Statuses echo the biz_opaque_callback_data of the request (our message
-- id): proof that a message whose send was interrupted did go.
ALTER TABLE wa_statuses ADD COLUMN callback_data TEXT;
CREATE INDEX wa_statuses_callback ON wa_statuses (callback_data) WHERE callback_data IS NOT NULL;

-- How far the server has followed each organisation's change log, per
-- purpose (`patients`: the phone index; `outbound`: queued messages).
CREATE TABLE wa_cursors (
    org_id TEXT NOT NULL,
    kind   TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind)
) STRICT, WITHOUT ROWID;

-- Patients' phones (E.164) as the patient documents say, to link a
-- conversation to its patient.
CREATE TABLE wa_patient_phones (
    org_id     TEXT NOT NULL,
    phone      TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (org_id, phone, patient_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX wa_patient_phones_patient ON wa_patient_phones (org_id, patient_id);

-- Outbound messages found queued in conversation documents. The primary
-- key makes finding one twice harmless; `state` moves queued → sending
-- (committed before the request) → sent | failed | needs_template |
-- in_doubt, and back to queued only for a retry after an answer that
-- proves nothing was sent. `doc_version` grows whenever the document has
-- something new to show (the outcome, a status webhook); `doc_synced` is
-- the version written into it.
CREATE TABLE wa_outbound (
    org_id          TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    doc_id          TEXT NOT NULL,
    phone_number_id TEXT NOT NULL,
    recipient       TEXT,
    kind            TEXT NOT NULL,
    request         TEXT,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'needs_template', 'in_doubt')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    wamid           TEXT,
    error_code      TEXT,
    error_title     TEXT,
    queued_at       INTEGER NOT NULL,
    sent_at         INTEGER,
    updated_at      INTEGER NOT NULL,
    doc_version     INTEGER NOT NULL DEFAULT 0,
    doc_synced      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, message_id)
) STRICT;
CREATE INDEX wa_outbound_due ON wa_outbound (org_id, next_attempt_at) WHERE state = 'queued';
CREATE INDEX wa_outbound_sending ON wa_outbound (org_id, lease_until) WHERE state = 'sending';
CREATE INDEX wa_outbound_unsynced ON wa_outbound (org_id) WHERE doc_version > doc_synced;
CREATE INDEX wa_outbound_wamid ON wa_outbound (wamid) WHERE wamid IS NOT NULL;
