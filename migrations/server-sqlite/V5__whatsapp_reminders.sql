-- Schema 5: appointment reminders over WhatsApp and the patients' answers
-- (docs/WHATSAPP.md, "Reminders and confirmations").

-- One row per appointment, ever: the scheduler writes it in the same
-- transaction that queues the reminder's message in wa_outbound (or records
-- why none went: `skipped` with a reason), so a restart never sends two and
-- never skips one. `answered_at` is set by the answer that settled it
-- (confirmed, cancelled, asked to reschedule); after that, plain text from
-- the patient is no longer taken as its answer.
CREATE TABLE wa_reminders (
    org_id         TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    agenda_id      TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('queued', 'skipped')),
    reason         TEXT,
    doc_id         TEXT,
    message_id     TEXT,
    created_at     INTEGER NOT NULL,
    answered_at    INTEGER,
    answer         TEXT,
    PRIMARY KEY (org_id, appointment_id)
) STRICT;
CREATE INDEX wa_reminders_conversation ON wa_reminders (org_id, doc_id, created_at) WHERE state = 'queued';
CREATE INDEX wa_reminders_message ON wa_reminders (org_id, message_id) WHERE message_id IS NOT NULL;

-- Inbound messages taken as answers to reminders, once each (keyed by the
-- inbound wamid): what was decided, written with the reply it queued.
CREATE TABLE wa_reminder_answers (
    org_id         TEXT NOT NULL,
    wamid          TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    answer         TEXT NOT NULL CHECK (answer IN ('confirm', 'cancel', 'reschedule', 'unclear')),
    status         TEXT,
    attention      TEXT,
    reply_id       TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (org_id, wamid)
) STRICT;
