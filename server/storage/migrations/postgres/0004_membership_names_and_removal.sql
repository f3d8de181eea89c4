-- Memberships carry how their organization knows the person, and can be ended without losing history: the
-- PostgreSQL dialect of sqlite/0004 (see its comments).
ALTER TABLE memberships ADD COLUMN first_name TEXT NULL CHECK (first_name IS NULL OR length(first_name) > 0);
ALTER TABLE memberships ADD COLUMN last_name TEXT NULL CHECK (last_name IS NULL OR length(last_name) > 0);

ALTER TABLE memberships ADD COLUMN removed_at BIGINT NULL;
ALTER TABLE memberships ADD COLUMN removed_by BIGINT NULL REFERENCES users (id);

CREATE INDEX memberships_user_created ON memberships (user_id, created_at, org_id);
