-- Schema 5: appointment reminders over WhatsApp and the patients' answers
-- (docs/WHATSAPP.md, "Reminders and confirmations"). Both tables are tenant
-- data behind row-level security (`app.current_org`).

-- One row per appointment, ever: the scheduler writes it in the same
-- transaction that queues the reminder's message in wa_outbound (or records
-- why none went: `skipped` with a reason), so a restart never sends two and
-- never skips one. `answered_at` is set by the answer that settled it
-- (confirmed, cancelled, asked to reschedule); after that, plain text from
-- the patient is no longer taken as its answer.
CREATE TABLE wa_reminders (
    org_id         uuid NOT NULL,
    appointment_id text NOT NULL,
    agenda_id      uuid NOT NULL,
    patient_id     text NOT NULL,
    state          text NOT NULL CHECK (state IN ('queued', 'skipped')),
    reason         text,
    doc_id         uuid,
    message_id     text,
    created_at     bigint NOT NULL,
    answered_at    bigint,
    answer         text,
    PRIMARY KEY (org_id, appointment_id)
);
CREATE INDEX wa_reminders_conversation ON wa_reminders (org_id, doc_id, created_at) WHERE state = 'queued';
CREATE INDEX wa_reminders_message ON wa_reminders (org_id, message_id) WHERE message_id IS NOT NULL;

-- Inbound messages taken as answers to reminders, once each (keyed by the
-- inbound wamid): what was decided, written with the reply it queued.
CREATE TABLE wa_reminder_answers (
    org_id         uuid NOT NULL,
    wamid          text NOT NULL,
    appointment_id text NOT NULL,
    answer         text NOT NULL CHECK (answer IN ('confirm', 'cancel', 'reschedule', 'unclear')),
    status         text,
    attention      text,
    reply_id       text,
    created_at     bigint NOT NULL,
    PRIMARY KEY (org_id, wamid)
);

ALTER TABLE wa_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_reminders_of_current_org ON wa_reminders
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);

ALTER TABLE wa_reminder_answers ENABLE ROW LEVEL SECURITY;
ALTER TABLE wa_reminder_answers FORCE ROW LEVEL SECURITY;
CREATE POLICY wa_reminder_answers_of_current_org ON wa_reminder_answers
    USING (org_id = nullif(current_setting('app.current_org', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.current_org', true), '')::uuid);
