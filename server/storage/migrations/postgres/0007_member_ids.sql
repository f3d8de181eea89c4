-- memberships.member_id, the random id the browser uses for a person as a member of one organization: the
-- PostgreSQL dialect of sqlite/0007 (see its comments).
ALTER TABLE memberships ADD COLUMN member_id BIGINT NULL CHECK (member_id IS NULL OR member_id > 0);

CREATE UNIQUE INDEX memberships_member_id ON memberships (member_id);

-- Existing rows: 1 ..= 2^53 - 1 (random() is a double in [0, 1)). Retry-safe like SQLite's: should two rows draw
-- the same number, the statement fails, the migration's transaction is rolled back and the next start draws
-- again.
UPDATE memberships SET member_id = CAST(floor(random() * 9007199254740991) AS BIGINT) + 1;
