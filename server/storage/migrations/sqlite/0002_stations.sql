-- Charging stations, their OCPP message log, authorization decisions and transactions. Same rules as 0001:
-- BIGINT unix-millisecond timestamps, TEXT enums with CHECK constraints, nullable timestamps as flags, no
-- BOOLEAN/DATETIME/NUMERIC/REAL columns (sqlx's Any driver refuses those SQLite types).

-- The access mode an organization's stations get unless they override it; NULL = inherit from the parent
-- organization (shared::station::effective_access_mode; Whitelisting when nobody set one).
ALTER TABLE organizations ADD COLUMN default_access_mode TEXT NULL
    CHECK (default_access_mode IS NULL
           OR default_access_mode IN ('open', 'whitelisting', 'roaming', 'roaming_and_whitelisting'));

-- A charging station, registered in one organization. It connects to /ocpp/{charge_point_id}; the ID is
-- unique across all organizations regardless of case (match_key = the ID in ASCII upper case), because the URL
-- alone identifies the station. password_hash is an argon2id PHC string of its OCPP AuthorizationKey, NULL
-- when the station logs in without a password. access_mode NULL = the organization's default.
-- vendor .. last_boot_at come from the station's BootNotification. connected_at is set while an OCPP
-- connection is open (the "online" flag); connection_nonce identifies that connection, so that a replaced
-- connection's late disconnect does not mark the new one offline.
CREATE TABLE stations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    charge_point_id  TEXT    NOT NULL CHECK (length(charge_point_id) > 0),
    match_key        TEXT    NOT NULL CHECK (length(match_key) > 0),
    name             TEXT    NOT NULL CHECK (length(name) > 0),
    password_hash    TEXT,
    access_mode      TEXT
        CHECK (access_mode IS NULL
               OR access_mode IN ('open', 'whitelisting', 'roaming', 'roaming_and_whitelisting')),
    vendor           TEXT,
    model            TEXT,
    serial_number    TEXT,
    firmware_version TEXT,
    last_boot_at     BIGINT,
    connected_at     BIGINT,
    connection_nonce BIGINT,
    last_message_at  BIGINT,
    created_at       BIGINT  NOT NULL,
    created_by       INTEGER REFERENCES users (id)
);
CREATE UNIQUE INDEX stations_match_key ON stations (match_key);
CREATE INDEX stations_org ON stations (org_id);

-- The last status each connector reported (StatusNotification); connector 0 is the station as a whole.
-- status and error_code are OCPP 1.6 values as received (the OCPP layer validates them against the schema).
CREATE TABLE connectors (
    station_id   INTEGER NOT NULL REFERENCES stations (id),
    connector_id BIGINT  NOT NULL CHECK (connector_id >= 0),
    status       TEXT    NOT NULL,
    error_code   TEXT    NOT NULL,
    info         TEXT,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (station_id, connector_id)
);

-- Every OCPP frame in both directions. A CALLRESULT/CALLERROR carries the action of the CALL it answers
-- (call_id: that CALL's row; no foreign key, because pruning may remove the CALL first). id_tag is the idTag of
-- an Authorize/StartTransaction CALL as received; id_tag_hidden_key/id_tag_visible_key are its pass lookup
-- keys (shared::decision::id_tag_keys), to tell whether it is a known pass. Pruned after N days.
CREATE TABLE ocpp_messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id         INTEGER NOT NULL REFERENCES stations (id),
    at                 BIGINT  NOT NULL,
    direction          TEXT    NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    message_type       TEXT    NOT NULL CHECK (message_type IN ('call', 'call_result', 'call_error')),
    action             TEXT,
    unique_id          TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    call_id            BIGINT,
    id_tag             TEXT,
    id_tag_hidden_key  TEXT,
    id_tag_visible_key TEXT
);
CREATE INDEX ocpp_messages_station_at ON ocpp_messages (station_id, at);
CREATE INDEX ocpp_messages_station_action_at ON ocpp_messages (station_id, action, at);
CREATE INDEX ocpp_messages_station_unique_id ON ocpp_messages (station_id, unique_id);
-- For pruning by age across all stations.
CREATE INDEX ocpp_messages_at ON ocpp_messages (at);

-- Every authorization decision (OCPP Authorize and StartTransaction), with its reason in words.
-- access_mode is the station's effective mode at the time; pass_id/user_id the pass the decision used (also
-- for a refusal), NULL when no pass matched; billing is set exactly when status is 'Accepted'.
CREATE TABLE authorization_decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id   INTEGER NOT NULL REFERENCES stations (id),
    at           BIGINT  NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('Authorize', 'StartTransaction')),
    id_tag       TEXT    NOT NULL,
    hidden_key   TEXT,
    visible_key  TEXT,
    access_mode  TEXT    NOT NULL
        CHECK (access_mode IN ('open', 'whitelisting', 'roaming', 'roaming_and_whitelisting')),
    pass_id      INTEGER REFERENCES passes (id),
    user_id      INTEGER REFERENCES users (id),
    status       TEXT    NOT NULL CHECK (status IN ('Accepted', 'Blocked', 'Invalid')),
    billing      TEXT    CHECK (billing IS NULL OR billing IN ('free', 'settled')),
    reason       TEXT    NOT NULL,
    CHECK ((status = 'Accepted') = (billing IS NOT NULL))
);
CREATE INDEX authorization_decisions_station_at ON authorization_decisions (station_id, at);
CREATE INDEX authorization_decisions_pass_at ON authorization_decisions (pass_id, at);

-- A charging session; its id is the OCPP transactionId given to the station. Every StartTransaction gets one,
-- refused ones too (status/billing copy the decision). The unique index makes a repeated StartTransaction (the
-- station resending after a reconnect) return the same transaction instead of creating a second one.
-- energy_wh = meter_stop_wh - meter_start_wh once stopped; stop_reason 'Local' when the station sent none.
CREATE TABLE transactions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id     INTEGER NOT NULL REFERENCES stations (id),
    connector_id   BIGINT  NOT NULL,
    id_tag         TEXT    NOT NULL,
    decision_id    INTEGER NOT NULL REFERENCES authorization_decisions (id),
    pass_id        INTEGER REFERENCES passes (id),
    user_id        INTEGER REFERENCES users (id),
    status         TEXT    NOT NULL CHECK (status IN ('Accepted', 'Blocked', 'Invalid')),
    billing        TEXT    CHECK (billing IS NULL OR billing IN ('free', 'settled')),
    started_at     BIGINT  NOT NULL,
    meter_start_wh BIGINT  NOT NULL,
    stopped_at     BIGINT,
    meter_stop_wh  BIGINT,
    energy_wh      BIGINT,
    stop_id_tag    TEXT,
    stop_reason    TEXT,
    last_meter_wh  BIGINT,
    last_meter_at  BIGINT,
    created_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX transactions_start
    ON transactions (station_id, connector_id, id_tag, started_at, meter_start_wh);
CREATE INDEX transactions_station_started ON transactions (station_id, started_at);

-- Energy register readings (MeterValues, Energy.Active.Import.Register in Wh). transaction_id is set when the
-- reading names a transaction of the same station.
CREATE TABLE meter_values (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id     INTEGER NOT NULL REFERENCES stations (id),
    connector_id   BIGINT  NOT NULL,
    transaction_id INTEGER REFERENCES transactions (id),
    at             BIGINT  NOT NULL,
    energy_wh      BIGINT  NOT NULL
);
CREATE INDEX meter_values_transaction_at ON meter_values (transaction_id, at);
CREATE INDEX meter_values_station_at ON meter_values (station_id, at);
