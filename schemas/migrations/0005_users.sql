-- The web app's local users. A password is kept only as an Argon2id hash
-- (libsodium's crypto_pwhash_str: algorithm, parameters and salt inside).
-- role: admin (the education office), secretary (of the schools listed),
-- auditor (reads the audit log and receipts). A disabled user cannot sign
-- in; a user is never deleted, so the audit log's actors stay known.
CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  role           TEXT NOT NULL,
  schools        TEXT NOT NULL,            -- JSON array of school ids
  password_hash  TEXT NOT NULL,
  disabled       INTEGER NOT NULL DEFAULT 0,
  failed_logins  INTEGER NOT NULL DEFAULT 0,
  locked_until   INTEGER NOT NULL DEFAULT 0,  -- Unix ms
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
