-- The Local Authorization List of each station as ChargeDesk keeps it in sync (storage::local_lists): one row per
-- station, made when the station first connects.
--
-- support follows shared::local_list::Support. config_read_at is when its limits (max_entries =
-- LocalAuthListMaxLength, per_message = SendLocalListMaxLength; NULL: not said) were read, config_firmware the
-- firmware it ran then: a station that boots with another firmware is asked again. station_version is the
-- version the station reported on its current connection (NULL: to be asked). mirror_version and mirror are
-- what ChargeDesk's last accepted update left on the list (mirror: shared::local_list::LocalList as JSON); for a
-- station without a list, mirror is what was last acceptable there (to know when a card left it and the
-- authorization cache must be cleared). failures counts failed list commands in a row, clear_cache (0/1) says a
-- card left the list and the cache is still to be cleared.
CREATE TABLE station_local_lists (
    station_id      BIGINT NOT NULL PRIMARY KEY REFERENCES stations (id),
    support         TEXT    NOT NULL DEFAULT 'unknown' CHECK (support IN ('unknown', 'supported', 'not_supported')),
    config_read_at  BIGINT,
    config_firmware TEXT,
    max_entries     BIGINT,
    per_message     BIGINT,
    station_version BIGINT,
    mirror_version  BIGINT,
    mirror          TEXT,
    failures        BIGINT  NOT NULL DEFAULT 0,
    clear_cache     BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_error_at   BIGINT,
    synced_at       BIGINT
);
