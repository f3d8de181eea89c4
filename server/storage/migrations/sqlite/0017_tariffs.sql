-- Settlement, part 1 (issue #11): tariffs, whether a station is AC or DC, and what a settled session costs.
-- Amounts follow shared::tariff: money in the currency's minor unit (cents), unit prices in ten-thousandths of
-- its main unit (€0.0001).

-- AC or DC: the platform's price caps differ, and a tariff has a price per kWh for each.
ALTER TABLE stations ADD COLUMN current_kind TEXT NOT NULL DEFAULT 'ac' CHECK (current_kind IN ('ac', 'dc'));

-- The tariff of an organization (in force at its stations and at those of its sub-organizations that set none)
-- or of one station (overriding its organization's): exactly one of org_id and station_id.
CREATE TABLE tariffs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER REFERENCES organizations (id),
    station_id        INTEGER REFERENCES stations (id),
    currency          TEXT    NOT NULL CHECK (length(currency) = 3),
    start_fee         BIGINT  NOT NULL CHECK (start_fee >= 0),
    per_kwh_ac        BIGINT  NOT NULL CHECK (per_kwh_ac >= 0),
    per_kwh_dc        BIGINT  NOT NULL CHECK (per_kwh_dc >= 0),
    per_hour_charging BIGINT  NOT NULL CHECK (per_hour_charging >= 0),
    per_hour_idle     BIGINT  NOT NULL CHECK (per_hour_idle >= 0),
    idle_free_minutes BIGINT  NOT NULL CHECK (idle_free_minutes >= 0),
    max_per_session   BIGINT  CHECK (max_per_session IS NULL OR max_per_session > 0),
    vat_basis_points  BIGINT  NOT NULL CHECK (vat_basis_points BETWEEN 0 AND 3000),
    updated_at        BIGINT  NOT NULL,
    CHECK ((org_id IS NULL) <> (station_id IS NULL))
);
-- One tariff per organization and per station (rows with NULL there do not collide, on both databases).
CREATE UNIQUE INDEX tariffs_org ON tariffs (org_id);
CREATE UNIQUE INDEX tariffs_station ON tariffs (station_id);

-- A transaction's money, decided at StartTransaction and never changed by a later tariff edit:
-- tariff: the tariff in force then (shared::tariff::Tariff as JSON, for the station's kind), only for settled
-- sessions, NULL when no tariff was set anywhere above the station; energy_rose_at: when the meter last rose
-- (the end of charging: what follows until the stop is idle time); price_net / price_vat / price_gross: the price
-- computed at StopTransaction by shared::tariff::price; price_note: why a settled session has no price (no tariff,
-- meter missing or running backwards).
ALTER TABLE transactions ADD COLUMN tariff TEXT;
ALTER TABLE transactions ADD COLUMN energy_rose_at BIGINT;
ALTER TABLE transactions ADD COLUMN price_net BIGINT;
ALTER TABLE transactions ADD COLUMN price_vat BIGINT;
ALTER TABLE transactions ADD COLUMN price_gross BIGINT;
ALTER TABLE transactions ADD COLUMN price_note TEXT;
