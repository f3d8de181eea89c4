-- Several server instances on one database: the PostgreSQL dialect of sqlite/0010 (whose comments explain the
-- table). Every integer column is BIGINT.
CREATE TABLE instances (
    id          BIGINT  PRIMARY KEY,
    started_at  BIGINT  NOT NULL,
    renewed_at  BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL
);
CREATE INDEX instances_lease ON instances (lease_until);

ALTER TABLE stations ADD COLUMN connected_instance BIGINT;
CREATE INDEX stations_connected_instance ON stations (connected_instance) WHERE connected_instance IS NOT NULL;
