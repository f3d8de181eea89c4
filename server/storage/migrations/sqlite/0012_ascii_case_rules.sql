-- Case rules are SQLite's on both databases (issue #8): `lower()` folds ASCII letters only and text sorts by its
-- bytes (the BINARY collation). SQLite already behaves so; postgres/0012 gives PostgreSQL's name and e-mail
-- columns the "C" collation, under which its `lower()` and `ORDER BY` do the same. Parameters compared with
-- `lower(column)` are folded in Rust by `fold_case` (src/db.rs) the same way. Nothing to change here.
SELECT 1;
