-- The imports whose protection changes have reached every open case
-- (CaseEngine::ApplyProtectionChanges, in the transaction that applied
-- them). While the newest import is here, a case's own `protected` is its
-- current protection and the worker reads it before each effect; for a
-- newer import it reads the register itself.
CREATE TABLE protection_checks (
  import_id      INTEGER PRIMARY KEY REFERENCES imports(id),
  cases_reached  INTEGER NOT NULL,
  checked_at     TEXT NOT NULL
);
