-- Schema 4: the server as a peer of the clinics' documents (docs/WHATSAPP.md):
-- inbound messages written into conversation documents, patients' phones
-- indexed from the change log, outbound messages queued in documents sent
-- through the Graph API.
--
-- Row-level security: wa_patient_phones and wa_outbound are tenant data
-- behind `app.current_org`; wa_cursors (positions in the change log, no
-- content) is a platform table like wa_numbers.

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
ALTER TABLE wa_numbers ADD COLUMN needs_reauth_at bigint;
ALTER TABLE wa_numbers ADD COLUMN needs_reauth_reason text;

-- Inbound messages are written into their conversation document after
-- they are stored (an outbox): NULL until written. The lease keeps two
-- instances off the same row.
ALTER TABLE wa_messages ADD COLUMN doc_written_at bigint;
ALTER TABLE wa_messages ADD COLUMN doc_lease_until bigint;
CREATE INDEX wa_messages_unwritten ON wa_messages (org_id, received_at) WHERE doc_written_at IS NULL;

-- Statuses echo the biz_opaque_callback_data of the request (our message
-- id): proof that a message whose send was interrupted did go.
ALTER TABLE wa_statuses ADD COLUMN callback_data text;
CREATE INDEX wa_statuses_callback ON wa_statuses (callback_data) WHERE callback_data IS NOT NULL;

CREATE TABLE wa_cursors (
    org_id uuid NOT NULL,
    kind   text NOT NULL,
    seq    bigint NOT NULL,
    PRIMARY KEY (org_id, kind)
);

CREATE TABLE wa_patient_phones (
    org_id     uuid NOT NULL,
    phone      text NOT NULL,
    patient_id uuid NOT NULL,
    PRIMARY KEY (org_id, phone, patient_id)
);
CREATE INDEX wa_patient_phones_patient ON wa_patient_phones (org_id, patient_id);

CREATE TABLE wa_outbound (
    org_id          uuid NOT NULL,
    message_id      text NOT NULL,
    doc_id          uuid NOT NULL,
    phone_number_id text NOT NULL,
    recipient       text,
    kind            text NOT NULL,
    request         text,
    state           text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'needs_template', 'in_doubt')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    lease_until     bigint,
    wamid           text,
    error_code      text,
    error_title     text,
    queued_at       bigint NOT NULL,
    sent_at         bigint,
    updated_at      bigint NOT NULL,
    doc_version     bigint NOT NULL DEFAULT 0,
    doc_synced      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, message_id)
);
CREATE INDEX wa_outbound_due ON wa_outbound (org_id, next_attempt_at) WHERE state = 'queued';
CREATE INDEX wa_outbound_sending ON wa_outbound (org_id, lease_until) WHERE state = 'sending';
CREATE INDEX wa_outbound_unsynced ON wa_outbound (org_id) WHERE doc_version > doc_synced;
CREATE INDEX wa_outbound_wamid ON wa_outbound (wamid) WHERE wamid IS NOT NULL;

ALTER TABLE wa_patient_phones ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_patient_phones FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_patient_phones_of_current_org ON wa_patient_phones
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);

ALTER TABLE wa_outbound ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_outbound FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_outbound_of_current_org ON wa_outbound
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);
