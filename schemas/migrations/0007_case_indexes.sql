-- One index on cases that holds the state. Every transition moves a case's
-- entry in each index that holds its state, and the worker commits every
-- few outcomes, so each such index cost a dirty page per case per commit.
-- cases_school_status (school, status, state, grade, protected) answers what
-- these two did: a school's cases from its prefix, and counts by status and
-- state from a scan of the index alone.
DROP INDEX IF EXISTS cases_school;
DROP INDEX IF EXISTS cases_status;
