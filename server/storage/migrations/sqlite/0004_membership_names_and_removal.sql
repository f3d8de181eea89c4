-- Memberships carry how their organization knows the person, and can be ended without losing history.
-- Same rules as 0001: BIGINT unix-millisecond timestamps, nullable timestamps as flags.

-- first_name/last_name: the name the organization entered in "+ Add User". An account is shared by every
-- organization that adds its e-mail address, but its stored name (users.first_name/last_name) belongs to whoever
-- created it: an organization outside that tree must neither see it nor learn that the account exists. So
-- "+ Add User" from outside stores the name it was given here, and every listing of an organization's people
-- shows COALESCE(memberships.first_name, users.first_name) (likewise last_name). NULL (rows before this
-- migration, the account's creating membership, partners created from the command line) = the account's own
-- name. Both are set or both are NULL.
ALTER TABLE memberships ADD COLUMN first_name TEXT NULL CHECK (first_name IS NULL OR length(first_name) > 0);
ALTER TABLE memberships ADD COLUMN last_name TEXT NULL CHECK (last_name IS NULL OR length(last_name) > 0);

-- removed_at/removed_by: set when an administrator removes the person from the organization ("Users" → Remove).
-- The row stays, because the organization's passes (live and deleted, with their audit trail) reference
-- (user_id, org_id); a removed membership counts nowhere: it grants no access, is not listed, and cannot hold
-- passes (the person's passes there are soft-deleted in the same transaction). Adding the person again revives
-- the row (removed_at back to NULL, new role, name and created_at).
ALTER TABLE memberships ADD COLUMN removed_at BIGINT NULL;
ALTER TABLE memberships ADD COLUMN removed_by INTEGER NULL REFERENCES users (id);

-- Memberships are read per user oldest first (the first administrator membership is the home organization,
-- shared::access::home_org), so adding someone elsewhere later never changes it.
CREATE INDEX memberships_user_created ON memberships (user_id, created_at, org_id);
