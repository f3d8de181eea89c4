-- Indexes for the paged lists (storage: OrgAdmin::passes_page, OrgAdmin::transactions_page), so that a page of
-- "Passes" or "Transactions" reads the rows it shows (and a bounded count), at any depth, never the whole table.
-- Only additions: the previous release keeps working with them.

-- "Passes": an organization's live passes, newest first, from a (created_at, id) cursor.
CREATE INDEX passes_org_live_created ON passes (org_id, created_at, id) WHERE deleted_at IS NULL;
-- "Passes" filtered by mode ("Whitelist" or roaming).
CREATE INDEX passes_org_live_mode_created ON passes (org_id, mode, created_at, id) WHERE deleted_at IS NULL;
-- "Transactions": each station's transactions, newest start first, from a (started_at, id) cursor. (SQLite's
-- transactions_station_started already ends in the rowid; this one names the id for PostgreSQL's sake and keeps
-- the schema the same in both dialects.)
CREATE INDEX transactions_station_started_id ON transactions (station_id, started_at, id);
