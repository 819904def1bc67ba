-- Engine integrity: leased jobs, person requests applied once, incidents
-- that need not belong to a job.

-- A worker claims a job before it calls the system: lease_owner is the
-- worker, lease_until (Unix ms) when the claim lapses if the worker died.
-- The idempotency key is created with the job (a random UUID, see
-- CaseEngine) and never derived from ids or counters.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX jobs_invoke ON jobs(case_id, invoke_id);

-- A person's event, by the request it came in: the same request id (or,
-- without one, the same event and data as the case's last person event) is
-- not applied twice. fingerprint = SHA-256 of actor, event and data.
CREATE TABLE person_requests (
  id           INTEGER PRIMARY KEY,
  case_id      INTEGER NOT NULL REFERENCES cases(id),
  request_id   TEXT NOT NULL,
  given        INTEGER NOT NULL,   -- 1: the caller gave the request id
  fingerprint  TEXT NOT NULL,
  event        TEXT NOT NULL,
  actor        TEXT NOT NULL,
  applied_at   TEXT NOT NULL,
  UNIQUE (case_id, request_id)
);

-- Incidents may now come from a case (a stored instance that does not read,
-- a timer that cannot be applied), not only from a job.
CREATE TABLE incidents_new (
  id           INTEGER PRIMARY KEY,
  job_id       INTEGER REFERENCES jobs(id),   -- NULL: the case itself
  case_id      INTEGER NOT NULL REFERENCES cases(id),
  kind         TEXT NOT NULL DEFAULT 'job',   -- job | case | timer
  error        TEXT NOT NULL,
  status       TEXT NOT NULL,                 -- open | retried | skipped | cancelled
  resolution   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  resolved_at  TEXT NOT NULL
);
INSERT INTO incidents_new(id, job_id, case_id, kind, error, status, resolution, created_at, resolved_at)
  SELECT id, job_id, case_id, 'job', error, status, resolution, created_at, resolved_at FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE INDEX incidents_status ON incidents(status);
CREATE INDEX incidents_case ON incidents(case_id);
