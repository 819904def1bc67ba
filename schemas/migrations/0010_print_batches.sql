-- The print batches of letters digital post could not deliver
-- (`letters print-batch --undelivered`): recorded with their cases and
-- letter versions before the file is written, so that a batch is printed
-- whole and once. A batch is 'open' from its recording until its cases are
-- marked printed, all in one transaction with its status 'done'; a run that
-- finds an open batch (a crash in between) writes that same batch again,
-- and any batch can be written again by its id.
CREATE TABLE print_batches (
  id           INTEGER PRIMARY KEY,
  school       TEXT NOT NULL,
  file         TEXT NOT NULL,            -- where it is written
  status       TEXT NOT NULL CHECK (status IN ('open', 'done')),
  sha256       TEXT NOT NULL DEFAULT '', -- of the file, once written
  created_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL DEFAULT ''
);
-- At most one open batch per school.
CREATE UNIQUE INDEX print_batches_open ON print_batches(school) WHERE status = 'open';

CREATE TABLE print_batch_cases (
  batch_id        INTEGER NOT NULL REFERENCES print_batches(id),
  case_id         INTEGER NOT NULL REFERENCES cases(id),
  letter_version  INTEGER NOT NULL,
  copies          TEXT NOT NULL,         -- JSON array of the copies to print
  PRIMARY KEY (batch_id, case_id)
);
