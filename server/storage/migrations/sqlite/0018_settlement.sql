-- Settlement, part 2 (issue #11): the organization's time zone and reimbursement rates, its billing details, and
-- the monthly credit statements with their gapless numbers.

-- time_zone: an IANA name (shared::time::TimeZoneName); NULL inherits the parent's, Europe/Amsterdam at the
-- root. reimburse_ac / reimburse_dc: what a settled kWh at the organization's stations is credited, in
-- ten-thousandths of the currency unit (shared::tariff::Price), set by an administrator of an organization
-- above it; NULL inherits the parent's.
ALTER TABLE organizations ADD COLUMN time_zone TEXT;
ALTER TABLE organizations ADD COLUMN reimburse_ac BIGINT CHECK (reimburse_ac IS NULL OR reimburse_ac >= 0);
ALTER TABLE organizations ADD COLUMN reimburse_dc BIGINT CHECK (reimburse_dc IS NULL OR reimburse_dc >= 0);

-- Who a statement is for (or from): shared::billing::BillingDetails, one row per organization.
CREATE TABLE billing_details (
    org_id       INTEGER NOT NULL PRIMARY KEY REFERENCES organizations (id),
    kind         TEXT   NOT NULL CHECK (kind IN ('company', 'private_person')),
    legal_name   TEXT   NOT NULL CHECK (length(legal_name) > 0),
    address_line TEXT   NOT NULL,
    postcode     TEXT   NOT NULL,
    city         TEXT   NOT NULL,
    country      TEXT   NOT NULL CHECK (length(country) = 2),
    vat_number   TEXT,
    iban         TEXT,
    updated_at   BIGINT NOT NULL
);

-- The last statement number of each issuer: incremented in the transaction that issues the statement, so a
-- statement that is not issued (rolled back) leaves no gap.
CREATE TABLE statement_numbers (
    issuer_org_id INTEGER    NOT NULL PRIMARY KEY REFERENCES organizations (id),
    last_sequence BIGINT NOT NULL
);

-- An issued credit statement: never changed after it is written. document is the whole statement as shown and
-- rendered (shared::statement::Statement as JSON); the columns beside it are for lists and totals.
CREATE TABLE statements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer_org_id    INTEGER    NOT NULL REFERENCES organizations (id),
    recipient_org_id INTEGER    NOT NULL REFERENCES organizations (id),
    year             BIGINT NOT NULL,
    month            BIGINT NOT NULL CHECK (month BETWEEN 1 AND 12),
    sequence         BIGINT NOT NULL,
    number           TEXT   NOT NULL,
    issued_at        BIGINT NOT NULL,
    currency         TEXT   NOT NULL,
    sessions         BIGINT NOT NULL,
    energy_wh        BIGINT NOT NULL,
    net              BIGINT NOT NULL,
    vat              BIGINT NOT NULL,
    gross            BIGINT NOT NULL,
    document         TEXT   NOT NULL
);
CREATE UNIQUE INDEX statements_issuer_sequence ON statements (issuer_org_id, sequence);
-- One statement per organization and month, however many instances run the month-end at once.
CREATE UNIQUE INDEX statements_recipient_month ON statements (recipient_org_id, year, month);

-- The statement a settled session was credited on (NULL: not yet): a session is on at most one statement.
ALTER TABLE transactions ADD COLUMN statement_id INTEGER REFERENCES statements (id);
CREATE INDEX transactions_unsettled ON transactions (station_id, stopped_at) WHERE statement_id IS NULL AND billing = 'settled';
