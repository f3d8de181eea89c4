-- Commands to stations (the central system's OCPP CALLs: Reset, Unlock connector, Remote start, …), stored
-- before they are sent and kept with their outcome as the station's command history.
--
-- request is shared::command::CommandRequest as JSON (what was asked, resolved: the idTag of a remote start),
-- action its OCPP action name, summary what was asked in words. requested_by is the person (NULL: ChargeDesk
-- itself, e.g. the Local Authorization List sync), requested_by_name their name at the time.
-- state follows shared::command::CommandState: queued → sent → answered | failed | timed_out; queued →
-- expired when expires_at passes first; refused when the station was offline and the command does not wait.
-- message_id is the CALL's OCPP message id once sent; outcome the answer in a word or two ("Accepted",
-- "NotSupported", "no answer in 30 s"), detail a CALLERROR's description, result what an answer carries beyond
-- its status (shared::command::CommandResult as JSON: a GetConfiguration's keys, a local list version).
CREATE TABLE station_commands (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id        INTEGER NOT NULL REFERENCES stations (id),
    action            TEXT    NOT NULL,
    request           TEXT    NOT NULL,
    summary           TEXT    NOT NULL,
    requested_by      INTEGER REFERENCES users (id),
    requested_by_name TEXT    NOT NULL,
    requested_at      BIGINT  NOT NULL,
    expires_at        BIGINT  NOT NULL,
    state             TEXT    NOT NULL
        CHECK (state IN ('queued', 'sent', 'answered', 'failed', 'timed_out', 'expired', 'refused')),
    message_id        TEXT,
    sent_at           BIGINT,
    finished_at       BIGINT,
    outcome           TEXT,
    detail            TEXT,
    result            TEXT
);
-- A station's history, newest first.
CREATE INDEX station_commands_station ON station_commands (station_id, id);
-- What is still to be sent or answered.
CREATE INDEX station_commands_open ON station_commands (station_id, id) WHERE state IN ('queued', 'sent');
