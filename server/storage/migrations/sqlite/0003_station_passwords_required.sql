-- A station must log in with its password (OCPP security profile 1/2) unless someone chose, explicitly and
-- audited, to allow it to connect without one ("Allow unauthenticated connections — only on a closed network").
--
-- unauthenticated_allowed_at is that choice as a nullable timestamp flag (sqlx's Any driver refuses BOOLEAN
-- columns): NULL = the station must present its password; a station with neither a password nor the flag
-- cannot connect. unauthenticated_allowed_by is who chose it, by name at the time, like audit_log.actor_name
-- (a user's name, 'Command line', or 'Database migration' below). storage keeps the two exclusive: allowing
-- unauthenticated connections deletes the password, and requiring one again sets a new password.
ALTER TABLE stations ADD COLUMN unauthenticated_allowed_at BIGINT;
ALTER TABLE stations ADD COLUMN unauthenticated_allowed_by TEXT;

-- Stations registered without a password before passwords became required keep working: they are marked as
-- allowed to connect without one, visibly (a warning badge in "Assets", "allowed since … by Database migration"
-- in their settings), and the change is in their organization's audit log like any other settings change.
-- 'Database migration' is shared::station::ALLOWED_BY_MIGRATION; 'station_settings_changed' is
-- AuditAction::StationSettingsChanged.
UPDATE stations
SET unauthenticated_allowed_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
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
