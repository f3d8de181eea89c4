//! ChargeDesk's domain: the types and rules that the browser and the server must apply identically.
//!
//! Everything here is plain Rust (no leptos, sqlx or axum), compiled both into the wasm frontend and into the
//! server. Values that carry a rule are newtypes built only through `parse`, so holding one is proof that the
//! input passed validation; their errors are written for the partner or administrator who typed the input.
//!
//! - [`pass_id`]: the Public Card ID (visible contract ID: EMAID / DIN SPEC 91286) and Hidden ID (RFID UID) rules.
//! - [`pass_form`]: the pass fields of "+ Add Pass" (one of the two IDs, and a nickname), checked as one form.
//! - [`names`]: e-mail addresses, person names, nicknames, organization names, passwords.
//! - [`role`], [`mode`]: the user role and the per-organization pass mode ("Whitelist" or roaming).
//! - [`access`]: the organization-tree rules that decide who may see and change what.
//! - [`billing`]: an organization's billing details for its statements: legal name, address, EU VAT number, IBAN.
//! - [`station`]: charging stations: charge point ID, station name and password, access mode.
//! - [`command`]: commands to stations (OCPP central-system CALLs): what may be asked, its input rules, its states.
//! - [`decision`]: the authorization decision for a card presented at a station (OCPP Authorize/StartTransaction).
//! - [`local_list`]: the plan of a Local Authorization List update (Full or Differential, chunked, within the
//!   station's limits) from what a station holds to what it should hold.
//! - [`ids`], [`model`]: typed ids and the records the server sends to the browser.
//! - [`import`]: bulk import of passes (issue #12): the file's columns and what a spreadsheet may have done to a cell.
//! - [`paging`]: keyset page requests for long lists, the page size cap and the "1–50 of 1,234" label.
//! - [`time`], [`period`]: instants as stored, an organization's IANA time zone, and the calendar days and
//!   months read in it (a session belongs to the month in which it ended).
//! - [`statement`]: the monthly credit statement: its parties, session lines, corrections, totals and VAT,
//!   and its number.
//! - [`export`]: spreadsheet cells (CSV) safe from formula injection, and amounts as plain decimals.
//! - [`transactions`]: the "Transactions" filter (query string ⇄ typed), its totals, energy per day, download rows.

pub mod access;
pub mod billing;
pub mod command;
pub mod decision;
pub mod export;
pub mod ids;
pub mod import;
pub mod local_list;
pub mod mode;
pub mod model;
pub mod names;
pub mod paging;
pub mod pass_form;
pub mod pass_id;
pub mod period;
pub mod role;
pub mod statement;
pub mod station;
pub mod tariff;
pub mod time;
pub mod transactions;

pub use ids::{MemberId, OrgId, PassId, UserId};
pub use mode::PassMode;
pub use role::Role;
