-- Partner organizations (parent_id NULL) have names that are unique regardless of case. The sibling-name index
-- of 0001 does not cover them: NULLs are distinct in a unique index, so two partners of one name could be
-- created by two `server create-partner` runs at once on PostgreSQL, where writers do not queue as on SQLite.
-- create-partner inserts with ON CONFLICT on this index and refuses with a readable message.
CREATE UNIQUE INDEX organizations_partner_name ON organizations (lower(name)) WHERE parent_id IS NULL;
