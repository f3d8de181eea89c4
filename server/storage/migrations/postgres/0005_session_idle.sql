-- When each session was last used (unix ms), for the idle timeout: the PostgreSQL dialect of sqlite/0005.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
