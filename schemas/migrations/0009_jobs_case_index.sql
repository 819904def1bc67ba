-- jobs_invoke (case_id, invoke_id) answers every lookup of a case's jobs
-- (and the foreign key's) by its prefix: jobs_case was one more index to
-- write for every job made.
DROP INDEX IF EXISTS jobs_case;
