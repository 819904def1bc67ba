-- The web app's case lists: whether a case is of a protected address
-- (the instance's data.protected, kept by the store on every write) so that
-- lists leave such cases out without reading instances, and an index that
-- answers a school's counts by phase and grade alone.
ALTER TABLE cases ADD COLUMN protected INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET protected = 1 WHERE json_extract(instance, '$.data.protected') = 1;
CREATE INDEX cases_school_status ON cases(school, status, state, grade, protected);

-- Time signed-in people spent in the web app (gaps between their requests,
-- each counted up to 5 minutes), per user and day: the "minutes used"
-- beside the manual routine's minutes per enrolment.
CREATE TABLE web_usage (
  user_name  TEXT NOT NULL,
  role       TEXT NOT NULL,
  day        TEXT NOT NULL,     -- YYYY-MM-DD
  active_ms  INTEGER NOT NULL,
  PRIMARY KEY (user_name, day)
);
