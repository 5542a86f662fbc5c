-- Schema 3: the workstation as a sync client.

-- Users who have logged in on this workstation. Offline unlock checks a
-- password against the local Argon2id verifier, so the front desk keeps
-- working, attributed to the right person, while the internet is down.
CREATE TABLE local_users (
    user_id    TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,          -- lower-cased
    role       TEXT NOT NULL,
    verifier   TEXT NOT NULL,                 -- Argon2id PHC string
    last_login INTEGER NOT NULL               -- ms since epoch
) STRICT;
