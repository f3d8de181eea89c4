-- Partner names unique regardless of case: the PostgreSQL dialect of sqlite/0011 (see its comments).
CREATE UNIQUE INDEX organizations_partner_name ON organizations (lower(name)) WHERE parent_id IS NULL;
