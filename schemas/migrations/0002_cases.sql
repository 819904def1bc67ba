-- Durable cases: each case is one running statechart. An event is applied in
-- one transaction with its audit rows, timers and connector jobs (outbox).

CREATE TABLE workflow_versions (
  hash       TEXT PRIMARY KEY,  -- SHA-256 of the SCXML source
  name       TEXT NOT NULL,
  source     TEXT NOT NULL,
  loaded_at  TEXT NOT NULL
);

CREATE TABLE cases (
  id           INTEGER PRIMARY KEY,
  case_key     TEXT NOT NULL UNIQUE,     -- "<school year>/<grade>/P<person>": one case per child, year, grade
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  school_year  INTEGER NOT NULL,
  grade        INTEGER NOT NULL,
  school       TEXT NOT NULL,            -- current placement ('' when none)
  workflow     TEXT NOT NULL REFERENCES workflow_versions(hash),
  state        TEXT NOT NULL,            -- active atomic states, space-separated
  status       TEXT NOT NULL,            -- active | completed | closed (the final state reached)
  instance     TEXT NOT NULL,            -- the statechart instance (JSON)
  seen_import  INTEGER NOT NULL,         -- register changes up to this import are applied
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX cases_school ON cases(school, grade);
CREATE INDEX cases_status ON cases(status, state);

-- Every event applied, by its id: delivering the same id again does nothing.
CREATE TABLE case_events (
  event_id    TEXT PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases(id),
  name        TEXT NOT NULL,
  applied_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Delayed <send>s to a case; fired when due, also after a restart.
CREATE TABLE timers (
  case_id  INTEGER NOT NULL REFERENCES cases(id),
  send_id  TEXT NOT NULL,
  event    TEXT NOT NULL,
  data     TEXT NOT NULL,
  due_ms   INTEGER NOT NULL,  -- Unix time in milliseconds
  PRIMARY KEY (case_id, send_id)
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers(due_ms);

-- The outbox: work for connectors, started by <invoke>. The idempotency key
-- does not change between attempts, so a connector applies the effect once.
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  case_id          INTEGER NOT NULL REFERENCES cases(id),
  invoke_id        TEXT NOT NULL,
  type             TEXT NOT NULL,
  params           TEXT NOT NULL,
  idempotency_key  TEXT NOT NULL UNIQUE,
  status           TEXT NOT NULL,  -- queued | done | incident | cancelled
  attempts         INTEGER NOT NULL,
  next_ms          INTEGER NOT NULL,
  last_error       TEXT NOT NULL,
  result           TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, next_ms);
CREATE INDEX jobs_case ON jobs(case_id);

CREATE TABLE incidents (
  id           INTEGER PRIMARY KEY,
  job_id       INTEGER NOT NULL REFERENCES jobs(id),
  case_id      INTEGER NOT NULL REFERENCES cases(id),
  error        TEXT NOT NULL,
  status       TEXT NOT NULL,  -- open | retried | skipped | cancelled
  resolution   TEXT NOT NULL,  -- who and why, when resolved
  created_at   TEXT NOT NULL,
  resolved_at  TEXT NOT NULL
);
CREATE INDEX incidents_status ON incidents(status);

-- Append-only, hash-chained: hash = SHA-256(prev_hash | seq | at | case | actor | kind | detail).
CREATE TABLE audit (
  seq        INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  case_id    INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  kind       TEXT NOT NULL,   -- event | transition | effect | action | migrate
  detail     TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Deferred school start: the child joins the grade 1 intake of to_year.
CREATE TABLE deferrals (
  person_id  INTEGER NOT NULL REFERENCES persons(id),
  to_year    INTEGER NOT NULL,
  case_id    INTEGER NOT NULL REFERENCES cases(id),
  PRIMARY KEY (person_id, to_year)
) WITHOUT ROWID;
