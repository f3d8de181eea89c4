-- Indexes for the paged lists: the PostgreSQL dialect of sqlite/0013 (see its comments).
CREATE INDEX passes_org_live_created ON passes (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX passes_org_live_mode_created ON passes (org_id, mode, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX transactions_station_started_id ON transactions (station_id, started_at, id);
