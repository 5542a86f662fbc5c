-- Arcada workstation store, schema 1.
-- Documents are the source of truth; every other table is a projection that
-- `arcada reindex` rebuilds from them.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per Automerge document: a compacted save plus, in `changes`, the
-- changes made since it. Loading = snapshot + changes.
CREATE TABLE documents (
    id             TEXT PRIMARY KEY,          -- UUID
    class          TEXT NOT NULL,
    snapshot       BLOB NOT NULL,
    snapshot_heads TEXT NOT NULL,             -- heads the snapshot covers
    heads          TEXT NOT NULL,             -- heads of snapshot + changes
    change_count   INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,          -- ms since epoch
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_class ON documents (class, id);

CREATE TABLE changes (
    doc_id TEXT NOT NULL REFERENCES documents (id),
    hash   BLOB NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, hash)
) STRICT, WITHOUT ROWID;

-- Changes made here that the sync server has not acknowledged yet. The bytes
-- are taken from the document when pushing, so compaction never loses them.
CREATE TABLE outbox (
    doc_id    TEXT NOT NULL REFERENCES documents (id),
    hash      BLOB NOT NULL,
    queued_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, hash)
) STRICT, WITHOUT ROWID;

-- The document heads each projection reflects.
CREATE TABLE projection_heads (
    doc_id TEXT PRIMARY KEY,
    class  TEXT NOT NULL,
    heads  TEXT NOT NULL
) STRICT;

CREATE TABLE patients (
    key         INTEGER PRIMARY KEY,          -- row key shared with patients_fts
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    social_name TEXT,
    birth_date  TEXT,
    cpf_index   BLOB,                         -- keyed HMAC of the CPF digits
    cpf_masked  TEXT,
    phones      TEXT NOT NULL,                -- JSON array of E.164 numbers
    email       TEXT
) STRICT;
CREATE INDEX patients_cpf ON patients (cpf_index) WHERE cpf_index IS NOT NULL;
-- Covers the patient-name join of agenda listings.
CREATE INDEX patients_name_by_id ON patients (id, name);

CREATE TABLE patient_phones (
    patient_id TEXT NOT NULL,
    e164       TEXT NOT NULL,
    reversed   TEXT NOT NULL,                 -- digits reversed: suffix search is a prefix scan
    PRIMARY KEY (patient_id, e164)
) STRICT, WITHOUT ROWID;
CREATE INDEX patient_phones_reversed ON patient_phones (reversed);

-- Accent- and case-insensitive name search; rowid = patients.key. Prefix
-- indexes for 2 and 3 characters keep search-as-you-type fast.
CREATE VIRTUAL TABLE patients_fts USING fts5 (
    names,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Clustered by day: a week's agenda is one contiguous range of the table.
CREATE TABLE appointments (
    id              TEXT NOT NULL UNIQUE,
    agenda_id       TEXT NOT NULL,
    site_id         TEXT NOT NULL,
    patient_id      TEXT NOT NULL,
    professional_id TEXT NOT NULL,
    chair_id        TEXT NOT NULL,
    starts_at       TEXT NOT NULL,            -- wall clock, 2026-11-23T09:00
    ends_at         TEXT NOT NULL,
    day             TEXT NOT NULL,            -- 2026-11-23
    duration_min    INTEGER NOT NULL,
    status          TEXT NOT NULL,
    procedures      TEXT NOT NULL,            -- JSON array
    notes           TEXT NOT NULL,
    PRIMARY KEY (day, starts_at, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX appointments_professional ON appointments (professional_id, starts_at);
CREATE INDEX appointments_chair ON appointments (chair_id, starts_at);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_agenda ON appointments (agenda_id);

CREATE TABLE blocks (
    id              TEXT NOT NULL,
    agenda_id       TEXT NOT NULL,
    site_id         TEXT NOT NULL,
    professional_id TEXT,
    chair_id        TEXT,
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    PRIMARY KEY (id, agenda_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX blocks_time ON blocks (site_id, starts_at);
