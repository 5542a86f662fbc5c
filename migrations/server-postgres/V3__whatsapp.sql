-- Schema 3: the WhatsApp Cloud API channel (docs/WHATSAPP.md).
--
-- Row-level security: wa_messages and wa_statuses are tenant data, behind
-- the same `app.current_org` wall as the change log. A webhook is routed to
-- its organisation only after it is stored, so the routing table
-- (wa_numbers, like memberships), the raw inbox (wa_deliveries) and the
-- item errors are platform tables without RLS; the server reads them only
-- in the webhook path and the admin commands. Rows of an unknown
-- phone_number_id have org_id NULL and are visible only where no
-- organisation is set (the platform's own context).

CREATE TABLE wa_numbers (
    phone_number_id      text PRIMARY KEY,
    org_id               uuid NOT NULL REFERENCES organizations (id),
    display_phone_number text NOT NULL,
    waba_id              text NOT NULL,
    token_nonce          bytea NOT NULL,
    token_ciphertext     bytea NOT NULL,
    created_at           bigint NOT NULL
);
CREATE INDEX wa_numbers_org ON wa_numbers (org_id);

CREATE TABLE wa_deliveries (
    id              uuid PRIMARY KEY,
    received_at     bigint NOT NULL,
    body            bytea NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL,
    lease_until     bigint,
    last_error      text,
    processed_at    bigint
);
CREATE INDEX wa_deliveries_due ON wa_deliveries (next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE wa_messages (
    wamid           text PRIMARY KEY,
    org_id          uuid,
    phone_number_id text NOT NULL,
    waba_id         text,
    from_wa_id      text,
    from_user_id    text,
    contact_name    text,
    kind            text NOT NULL,
    sent_at         bigint,
    body            text NOT NULL,
    delivery_id     uuid NOT NULL,
    received_at     bigint NOT NULL,
    CHECK (from_wa_id IS NOT NULL OR from_user_id IS NOT NULL)
);
CREATE INDEX wa_messages_org ON wa_messages (org_id, received_at);
CREATE INDEX wa_messages_number ON wa_messages (phone_number_id);

CREATE TABLE wa_statuses (
    wamid             text PRIMARY KEY,
    org_id            uuid,
    phone_number_id   text NOT NULL,
    recipient_id      text,
    recipient_user_id text,
    status            text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'played', 'failed')),
    rank              integer NOT NULL,
    status_at         bigint,
    errors            text,
    delivery_id       uuid NOT NULL,
    updated_at        bigint NOT NULL
);
CREATE INDEX wa_statuses_org ON wa_statuses (org_id, updated_at);
CREATE INDEX wa_statuses_number ON wa_statuses (phone_number_id);

CREATE TABLE wa_item_errors (
    delivery_id     uuid NOT NULL,
    path            text NOT NULL,
    code            text NOT NULL,
    phone_number_id text,
    message         text NOT NULL,
    created_at      bigint NOT NULL,
    PRIMARY KEY (delivery_id, path, code)
);

ALTER TABLE wa_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_messages_of_current_org ON wa_messages
    USING (org_id IS NOT DISTINCT FROM nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id IS NOT DISTINCT FROM nullif(current_setting('app.current_org', true), '')::uuid);

ALTER TABLE wa_statuses ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_statuses FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_statuses_of_current_org ON wa_statuses
    USING (org_id IS NOT DISTINCT FROM nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id IS NOT DISTINCT FROM nullif(current_setting('app.current_org', true), '')::uuid);
