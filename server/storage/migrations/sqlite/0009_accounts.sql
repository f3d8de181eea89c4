-- Accounts people can use (issue #7): invitations and password resets by single-use links, memberships that
-- are "invited" until the person first logs in, and two-factor authentication (TOTP) with recovery codes.

-- Single-use links mailed to a person: an invitation (set a first password, issued when an organization adds
-- them) or a password reset ("Forgot your password?"). Only the SHA-256 (hex) of the token is stored; the
-- token itself exists only in the mail (whose body the outbox erases once delivered). A link is usable while
-- used_at and revoked_at are NULL and expires_at is in the future; using one invalidates the person's other
-- links of the same purpose.
CREATE TABLE account_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    -- The organization whose administrator invited them (invitations only).
    org_id     INTEGER REFERENCES organizations (id),
    created_at BIGINT  NOT NULL,
    -- Who issued it (NULL for "Forgot your password?", which the person asks for themself).
    created_by INTEGER REFERENCES users (id),
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    CHECK ((purpose = 'invitation') = (org_id IS NOT NULL))
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);
CREATE INDEX account_tokens_org ON account_tokens (org_id) WHERE org_id IS NOT NULL;
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

-- When the member first logged in (or set their password) after being added: "Users" shows "Active" from then
-- on, and "Invited" / "Invitation expired" before. Whether the account already existed elsewhere plays no part,
-- so the list never reveals it. Members from before invitations existed count as active when their account has
-- a password.
ALTER TABLE memberships ADD COLUMN accepted_at BIGINT NULL;
UPDATE memberships SET accepted_at = created_at
 WHERE user_id IN (SELECT id FROM users WHERE password_hash IS NOT NULL);

-- Two-factor authentication (RFC 6238 TOTP). totp_secret is the base32 secret while enrolment is pending
-- (totp_enabled_at NULL) or active; totp_last_step is the last accepted time step, so a code is never accepted
-- twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT NULL;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT NULL;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NULL;

-- One-time recovery codes for a lost authenticator, stored as SHA-256 (hex); used_at once spent.
CREATE TABLE recovery_codes (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    code_hash  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a log-in for an account with two-factor authentication: the password was right, the code
-- is still to come. Short-lived; only the SHA-256 of the token is stored; attempts counts wrong codes (the
-- challenge is void after a few).
CREATE TABLE login_challenges (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX login_challenges_expires ON login_challenges (expires_at);

-- An organization may require two-factor authentication of every administrator of itself and of every
-- organization below it (shared::access decides who is covered). Set when required, NULL otherwise.
ALTER TABLE organizations ADD COLUMN require_admin_2fa_at BIGINT NULL;
ALTER TABLE organizations ADD COLUMN require_admin_2fa_by INTEGER NULL REFERENCES users (id);
