-- memberships.member_id: the id the browser uses for a person as a member of one organization ("Users" rows,
-- the holder of "+ Add Pass", "Remove"), instead of the account's users.id. users.id is sequential, so showing it
-- told an organization whether an e-mail it added already had an account elsewhere (an older account has a
-- lower id) although adding such an e-mail is meant to look exactly like adding a new person (migration 0004).
-- A member id is random, positive and below 2^53 (exact in JavaScript numbers), unique across all
-- organizations, and is resolved only within the caller's organization (storage: OrgAdmin::member).
--
-- Every INSERT of a membership sets a fresh one (storage: org::fresh_member_id); re-adding a removed person gives
-- the revived row a fresh one too. NULL only ever existed between the two statements below (SQLite cannot add a
-- NOT NULL column without a default); the code reads it as non-NULL.
ALTER TABLE memberships ADD COLUMN member_id BIGINT NULL CHECK (member_id IS NULL OR member_id > 0);

-- Unique (NULLs are distinct, so existing rows are fine until the UPDATE fills them).
CREATE UNIQUE INDEX memberships_member_id ON memberships (member_id);

-- Existing rows: 1 ..= 2^53 - 1. Retry-safe: should two rows draw the same number (or random() draw
-- -2^63, whose abs() overflows), the statement fails, the whole migration is rolled back (sqlx runs it in one
-- transaction) and the next start draws again.
UPDATE memberships SET member_id = abs(random()) % 9007199254740991 + 1;
