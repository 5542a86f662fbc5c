-- Schema 4: the desktop's patient list before anything is typed, in name
-- order, reads this index instead of sorting every patient.
CREATE INDEX patients_name ON patients (name, id);
