-- Schema 6: the WhatsApp inbox. One row per conversation document on this
-- workstation, with what the list shows (docs/WHATSAPP.md).
CREATE TABLE conversations (
    doc_id          TEXT PRIMARY KEY,
    phone_number_id TEXT NOT NULL,
    display_number  TEXT NOT NULL,
    contact_name    TEXT,
    phone           TEXT,             -- E.164, when the contact has a number
    patient_id      TEXT,
    lead            INTEGER NOT NULL, -- 1: an unknown number not yet a patient
    unread          INTEGER NOT NULL,
    waiting_since   INTEGER,          -- seconds; the contact waits for a reply
    last_at         INTEGER,
    last_text       TEXT,
    last_inbound_at INTEGER,
    attention       TEXT              -- JSON of the document's `attention`
) STRICT;
CREATE INDEX conversations_patient ON conversations (patient_id);
CREATE INDEX conversations_phone ON conversations (phone);
