-- Several server instances on one database (issue #8). Each running instance holds a row here and renews its
-- lease (lease_until, unix ms) from a background task; a station's open connection records the instance that
-- holds it (stations.connected_instance), and the station counts as online only while that instance's lease is
-- in the future. An instance that dies (kill -9, a lost machine) stops renewing: its stations read as offline
-- once the lease has passed, and the next instance to clean up deletes its row and clears those stations. The
-- id is random, chosen by the instance. No foreign key from stations: a row that names an instance which is
-- gone simply reads as offline.
CREATE TABLE instances (
    id          INTEGER PRIMARY KEY,
    started_at  BIGINT  NOT NULL,
    renewed_at  BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL
);
CREATE INDEX instances_lease ON instances (lease_until);

-- Connections recorded before this migration have no instance: they read as offline and are cleared at the
-- next clean-up.
ALTER TABLE stations ADD COLUMN connected_instance INTEGER;
CREATE INDEX stations_connected_instance ON stations (connected_instance) WHERE connected_instance IS NOT NULL;
