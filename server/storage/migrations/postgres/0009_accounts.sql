-- Accounts people can use (issue #7): invitation and reset links, accepted memberships, two-factor
-- authentication: the PostgreSQL dialect of sqlite/0009 (see its comments).
CREATE TABLE account_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    org_id     BIGINT  REFERENCES organizations (id),
    created_at BIGINT  NOT NULL,
    created_by BIGINT  REFERENCES users (id),
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    CHECK ((purpose = 'invitation') = (org_id IS NOT NULL))
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);
CREATE INDEX account_tokens_org ON account_tokens (org_id) WHERE org_id IS NOT NULL;
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

ALTER TABLE memberships ADD COLUMN accepted_at BIGINT NULL;
UPDATE memberships SET accepted_at = created_at
 WHERE user_id IN (SELECT id FROM users WHERE password_hash IS NOT NULL);

ALTER TABLE users ADD COLUMN totp_secret TEXT NULL;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT NULL;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NULL;

CREATE TABLE recovery_codes (
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    code_hash  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE login_challenges (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX login_challenges_expires ON login_challenges (expires_at);

ALTER TABLE organizations ADD COLUMN require_admin_2fa_at BIGINT NULL;
ALTER TABLE organizations ADD COLUMN require_admin_2fa_by BIGINT NULL REFERENCES users (id);
