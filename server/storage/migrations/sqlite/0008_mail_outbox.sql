-- Outgoing e-mail (invitations, password resets, notices). A message is written here in the same transaction
-- as the change it reports (an invitation and its link are one write), and a sender task delivers it over
-- SMTP afterwards, so a request never waits for, or fails because of, the mail server.
--
-- Sending: an instance claims due rows (claimed_by + claim_until, a lease) in one UPDATE, sends them and marks
-- each sent or failed; a failure is retried at next_attempt_at with a growing delay, and a claim whose instance
-- died expires so that another instance takes the message over. Without SMTP settings nothing is claimed: the
-- messages stay here for the operator (`server outbox`).
--
-- The bodies may hold a single-use link (its token is stored only hashed elsewhere): they are erased once the
-- message is delivered; recipient, subject and times stay for the record.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT    NOT NULL CHECK (length(recipient) > 0),
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    -- What the message is about, for the operator's listing (e.g. 'invitation', 'password_reset').
    kind            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    claimed_by      TEXT,
    claim_until     BIGINT,
    sent_at         BIGINT,
    last_error      TEXT,
    -- Set when the message is given up on (too many permanent failures); it is then never claimed again.
    failed_at       BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
