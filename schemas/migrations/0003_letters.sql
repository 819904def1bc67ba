-- Rendered letters. Every rendering is a new version; older ones are kept
-- (status 'superseded'). One row per copy: guardians at different addresses
-- each get their own.

CREATE TABLE letters (
  id                INTEGER PRIMARY KEY,
  case_id           INTEGER NOT NULL REFERENCES cases(id),
  version           INTEGER NOT NULL,      -- 1, 2, ... per case
  copy              INTEGER NOT NULL,      -- 1, 2, ... per version
  copies            INTEGER NOT NULL,
  job_key           TEXT NOT NULL,         -- the invoke's idempotency key
  template          TEXT NOT NULL,         -- e.g. grade1.nb
  template_version  TEXT NOT NULL,         -- SHA-256 of the template text
  data              TEXT NOT NULL,         -- the letter data (JSON) it was rendered from
  pdf               BLOB NOT NULL,
  pdf_sha256        TEXT NOT NULL,
  pdfa              BLOB NOT NULL,         -- the PDF/A-1b archive copy
  pdfa_sha256       TEXT NOT NULL,
  status            TEXT NOT NULL,         -- current | superseded
  created_at        TEXT NOT NULL,
  UNIQUE (case_id, version, copy),
  UNIQUE (job_key, copy)
);
CREATE INDEX letters_case ON letters(case_id, status);
