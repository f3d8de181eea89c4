-- ChargeDesk schema, SQLite dialect. Written so that the queries in src/ run unchanged on PostgreSQL:
-- timestamps are BIGINT unix milliseconds, enums are TEXT with CHECK constraints, flags are nullable
-- timestamps, and no column is BOOLEAN/DATETIME/NUMERIC (sqlx's Any driver refuses those SQLite types).
-- `INTEGER PRIMARY KEY AUTOINCREMENT` is the SQLite spelling of an identity column that never reuses ids.

-- The organization tree: a partner (parent_id NULL), its customers, their sub-organizations, at any depth.
CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id  INTEGER REFERENCES organizations (id),
    name       TEXT    NOT NULL CHECK (length(name) > 0),
    created_at BIGINT  NOT NULL
);
CREATE INDEX organizations_parent ON organizations (parent_id);
-- Sibling names are unique regardless of case (the storage layer checks first, with a readable message).
CREATE UNIQUE INDEX organizations_sibling_name ON organizations (parent_id, lower(name));

-- One account per person across all organizations; e-mail addresses are unique regardless of case.
-- password_hash is an argon2id PHC string, NULL until a password is set.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    password_hash TEXT,
    created_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Who belongs to which organization, in which role. Authorization rules live in shared::access.
CREATE TABLE memberships (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    role       TEXT    NOT NULL CHECK (role IN ('administrator', 'cardholder')),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id);

-- Log-in sessions. Only the SHA-256 (hex) of the token handed to the browser is stored.
CREATE TABLE sessions (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Consecutive failed log-ins per (normalised) e-mail, known or not. Deleted on success.
CREATE TABLE login_failures (
    email          TEXT   NOT NULL PRIMARY KEY,
    failures       BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failed_at);

-- Charging passes (RFID cards and tags), registered per organization for one of its members.
-- match_key is the compact form used to detect the same card typed differently; deleted passes are kept
-- (deleted_at/deleted_by) for the audit trail, and a card may be registered again once deleted.
CREATE TABLE passes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    user_id       INTEGER NOT NULL REFERENCES users (id),
    id_kind       TEXT    NOT NULL CHECK (id_kind IN ('visible', 'hidden')),
    id_value      TEXT    NOT NULL,
    match_key     TEXT    NOT NULL,
    contract_kind TEXT,
    nickname      TEXT    NOT NULL,
    mode          TEXT    NOT NULL CHECK (mode IN ('whitelist', 'roaming')),
    created_at    BIGINT  NOT NULL,
    created_by    INTEGER NOT NULL REFERENCES users (id),
    deleted_at    BIGINT,
    deleted_by    INTEGER REFERENCES users (id),
    -- The holder must be a member of the pass's organization.
    FOREIGN KEY (user_id, org_id) REFERENCES memberships (user_id, org_id)
);
CREATE UNIQUE INDEX passes_live_card ON passes (org_id, id_kind, match_key) WHERE deleted_at IS NULL;
CREATE INDEX passes_org_created ON passes (org_id, created_at);
CREATE INDEX passes_user ON passes (user_id);

-- What happened in an organization, by whom, as a readable sentence. actor_user_id is NULL for actions taken
-- from the command line; actor_name is the actor's name at the time. `action` holds
-- shared::model::AuditAction::as_str(); it has no CHECK on purpose, because every later feature (stations,
-- ...) adds actions and SQLite cannot alter a CHECK without rebuilding this ever-growing table.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    actor_user_id INTEGER REFERENCES users (id),
    actor_name    TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    at            BIGINT  NOT NULL
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at);

-- Later migrations (0002_…) add charging stations, OCPP message logs and transactions.
