-- When each session was last used (unix ms), for the idle timeout: a session unused for longer than the idle
-- limit is no longer accepted. Written at most once a minute per session. Existing sessions count as used
-- when they were created.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
