-- A station must log in with its password unless someone chose to allow it to connect without one: the
-- PostgreSQL dialect of sqlite/0003 (see its comments). The timestamp is the current unix time in whole
-- seconds, in milliseconds, as SQLite's CAST(strftime('%s', 'now') AS INTEGER) * 1000.
ALTER TABLE stations ADD COLUMN unauthenticated_allowed_at BIGINT;
ALTER TABLE stations ADD COLUMN unauthenticated_allowed_by TEXT;

UPDATE stations
SET unauthenticated_allowed_at = CAST(floor(extract(epoch FROM now())) AS BIGINT) * 1000,
    unauthenticated_allowed_by = 'Database migration'
WHERE password_hash IS NULL;

INSERT INTO audit_log (org_id, actor_user_id, actor_name, action, summary, at)
SELECT org_id, NULL, 'Database migration', 'station_settings_changed',
       'Allowed unauthenticated connections for station "' || name || '" (' || charge_point_id ||
       '): it had no password when passwords became required. Generate a password in its Settings to ' ||
       'require one.',
       unauthenticated_allowed_at
FROM stations
WHERE unauthenticated_allowed_at IS NOT NULL
ORDER BY id;
