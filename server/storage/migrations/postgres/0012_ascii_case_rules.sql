-- Case rules are SQLite's on both databases (issue #8): `lower()` folds ASCII letters only and text sorts by its
-- bytes. Under the database's default collation (a locale such as en_US.UTF-8 or C.UTF-8) PostgreSQL's `lower()`
-- folds every letter ('Ü' to 'ü') and en_US.UTF-8 sorts by language rules, so "Überland" and "überland" were
-- one sub-organization name here and two on SQLite, and lists sorted by `lower(name)` came out in other orders.
-- Under the "C" collation `lower()` folds ASCII only and comparison is by bytes, which for UTF-8 text is
-- SQLite's BINARY order. So every text column that is compared case-insensitively (`lower(...)`, expression
-- indexes) or sorted gets COLLATE "C". Parameters compared with `lower(column)` are folded in Rust by
-- `fold_case` (src/db.rs), since a parameter has the default collation. sqlite/0012 changes nothing.
--
-- Changing the collation keeps the data and rebuilds the indexes on these columns (organizations_sibling_name,
-- organizations_partner_name, users_email) under the new collation. Their rule only gets finer (names that
-- differ only in a non-ASCII letter's case are now distinct), so no existing row can violate it. The previous
-- release keeps working: its SQL is unchanged; where it folds a parameter with `lower($N)` the unique index
-- still refuses a duplicate.
-- COALESCE(memberships.x, users.x) mixes both tables' name columns: they must share one collation.
ALTER TABLE organizations ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN email TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN first_name TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN last_name TYPE TEXT COLLATE "C";
ALTER TABLE memberships ALTER COLUMN first_name TYPE TEXT COLLATE "C";
ALTER TABLE memberships ALTER COLUMN last_name TYPE TEXT COLLATE "C";
ALTER TABLE stations ALTER COLUMN name TYPE TEXT COLLATE "C";
