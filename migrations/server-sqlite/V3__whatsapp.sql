-- Schema 3: the WhatsApp Cloud API channel (docs/WHATSAPP.md).

-- Each organisation's numbers. The access token is sealed with AES-256-GCM
-- (key from the server's configuration, nonce per token, the
-- phone_number_id as associated data); never stored or listed in clear.
CREATE TABLE wa_numbers (
    phone_number_id      TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id),
    display_phone_number TEXT NOT NULL,
    waba_id              TEXT NOT NULL,
    token_nonce          BLOB NOT NULL,
    token_ciphertext     BLOB NOT NULL,
    created_at           INTEGER NOT NULL
);
CREATE INDEX wa_numbers_org ON wa_numbers (org_id);

-- The inbox: every signed webhook body exactly as received, stored before
-- the 200 answer, processed afterwards (and again after a crash: a lease
-- that runs out makes a delivery claimable again).
CREATE TABLE wa_deliveries (
    id              TEXT PRIMARY KEY,   -- UUIDv7: time order
    received_at     INTEGER NOT NULL,
    body            BLOB NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    processed_at    INTEGER
);
CREATE INDEX wa_deliveries_due ON wa_deliveries (next_attempt_at, id) WHERE state = 'pending';

-- Inbound messages, once each however often Meta delivers them. org_id is
-- NULL when no organisation has the phone_number_id (stored and reported).
CREATE TABLE wa_messages (
    wamid           TEXT PRIMARY KEY,
    org_id          TEXT,
    phone_number_id TEXT NOT NULL,
    waba_id         TEXT,
    from_wa_id      TEXT,
    from_user_id    TEXT,
    contact_name    TEXT,
    kind            TEXT NOT NULL,
    sent_at         INTEGER,
    body            TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    CHECK (from_wa_id IS NOT NULL OR from_user_id IS NOT NULL)
);
CREATE INDEX wa_messages_org ON wa_messages (org_id, received_at);
CREATE INDEX wa_messages_number ON wa_messages (phone_number_id);

-- The latest status of each outbound message; it only moves forward
-- (rank: sent 1 < delivered 2 < read 3 < played 4 < failed 5, final).
CREATE TABLE wa_statuses (
    wamid             TEXT PRIMARY KEY,
    org_id            TEXT,
    phone_number_id   TEXT NOT NULL,
    recipient_id      TEXT,
    recipient_user_id TEXT,
    status            TEXT NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'played', 'failed')),
    rank              INTEGER NOT NULL,
    status_at         INTEGER,
    errors            TEXT,
    delivery_id       TEXT NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX wa_statuses_org ON wa_statuses (org_id, updated_at);
CREATE INDEX wa_statuses_number ON wa_statuses (phone_number_id);

-- Items that could not be taken (and errors Meta reports in a value): one
-- bad item never drops the rest of its delivery.
CREATE TABLE wa_item_errors (
    delivery_id     TEXT NOT NULL,
    path            TEXT NOT NULL,
    code            TEXT NOT NULL,
    phone_number_id TEXT,
    message         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, path, code)
);
