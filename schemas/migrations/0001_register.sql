-- Register import: persons as last imported, every import with its files,
-- what changed per person, and the records a --skip-invalid import left out.

CREATE TABLE imports (
  id           INTEGER PRIMARY KEY,
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL,
  records      INTEGER NOT NULL,  -- valid records read
  new_persons  INTEGER NOT NULL,
  changed      INTEGER NOT NULL,
  unchanged    INTEGER NOT NULL,
  skipped      INTEGER NOT NULL   -- invalid records left out (--skip-invalid)
);

CREATE TABLE import_files (
  import_id  INTEGER NOT NULL REFERENCES imports(id),
  path       TEXT NOT NULL,
  sha256     TEXT NOT NULL UNIQUE,  -- the same file is imported once
  format     TEXT NOT NULL,         -- json | ndjson | xml
  records    INTEGER NOT NULL,
  bytes      INTEGER NOT NULL
);

-- One row per national id. `record` is the normalised person (JSON, see
-- engine/store/person_codec.cc); the raw register document is not kept.
CREATE TABLE persons (
  id           INTEGER PRIMARY KEY,   -- internal reference, shown as P<id>
  nin          TEXT NOT NULL UNIQUE,  -- foedselsEllerDNummer
  birth_year   INTEGER NOT NULL,
  record       TEXT NOT NULL,
  first_import INTEGER NOT NULL REFERENCES imports(id),
  last_import  INTEGER NOT NULL REFERENCES imports(id)
);
CREATE INDEX persons_birth_year ON persons(birth_year);

CREATE TABLE person_changes (
  import_id  INTEGER NOT NULL REFERENCES imports(id),
  person_id  INTEGER NOT NULL REFERENCES persons(id),
  -- moved | left_municipality | died | protection_changed | guardians_changed |
  -- status_changed | other_changed. "new" is not stored: persons.first_import.
  kind       TEXT NOT NULL,
  PRIMARY KEY (import_id, person_id, kind)
) WITHOUT ROWID;
CREATE INDEX person_changes_person ON person_changes(person_id);

CREATE TABLE import_issues (
  import_id  INTEGER NOT NULL REFERENCES imports(id),
  path       TEXT NOT NULL,
  record     INTEGER NOT NULL,
  line       INTEGER NOT NULL,
  field      TEXT NOT NULL,
  message    TEXT NOT NULL
);
