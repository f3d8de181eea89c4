//! ChargeDesk's storage layer: the one place that holds SQL and the database, and where authorization
//! becomes a typed value.
//!
//! - [`Db`] connects to SQLite or PostgreSQL (one SQL text for both through sqlx's `Any` driver), runs that
//!   dialect's migrations, logs people in and turns a session cookie into a [`Caller`].
//! - [`Caller::admin_of`] applies [`shared::access::may_administer`] and, only when it allows, hands out an
//!   [`OrgAdmin`]: the proof that the caller administers one organization. All organization work (users,
//!   passes, sub-organizations, audit log) is a method of `OrgAdmin` and filters by that organization, so
//!   code that has not passed the check cannot even express the query.
//! - Every multi-step write is one transaction; every change is recorded in the organization's audit log.
//! - [`StorageError`] is the single error type; its messages are safe to show to users.
//!
//! SQL portability rules (see `migrations/README.md`): `$N` placeholders (sqlx-sqlite binds them by number),
//! `RETURNING`, `WITH RECURSIVE`, BIGINT unix-millisecond timestamps, TEXT enums, no booleans; rows are read
//! into private `FromRow` structs of `i64`/`String`/`Option` only.
//!
//! Concurrent writers: SQLite runs one write transaction at a time (`BEGIN IMMEDIATE`), PostgreSQL several
//! (READ COMMITTED). A read-then-write must therefore not rely on running alone: a unique index decides
//! (`INSERT … ON CONFLICT … DO NOTHING`, then a readable refusal), or the write repeats the condition it read
//! (`UPDATE … WHERE used_at IS NULL`, checking the rows it changed), or a write that changes nothing locks the
//! row first (`UPDATE t SET c = c WHERE …`; `SELECT … FOR UPDATE` is not SQLite).
//!
//! Charging stations (migration `0002_stations`):
//!
//! - `stations`: the "Assets" side: [`OrgAdmin::stations`] (this organization and its sub-organizations),
//!   registering a station, its settings, and access modes inherited from organization defaults.
//! - `ocpp`: the OCPP side: [`Db::station_login`] → [`StationLogin`] (password check) → [`ConnectedStation`],
//!   the proof that an OCPP session is a given station, through which all its writes go; the OCPP message
//!   log ([`Db::insert_ocpp_messages`], [`OrgAdmin::station_logs`], [`Db::prune_ocpp_messages`]).
//! - `decisions`: Authorize/StartTransaction decisions via [`shared::decision::decide`], all stored with their
//!   reason; [`OrgAdmin::pass_decisions`], [`OrgAdmin::unknown_taps`].
//! - `transactions`: sessions that survive a server restart and a repeated StartTransaction.
//!
//! Accounts and e-mail (migrations `0008_mail_outbox`, `0009_accounts`):
//!
//! - `mail`: [`Letter`] and the outbox, written in the transaction of the change a mail reports
//!   ([`Db::outbox`], and the claim/mark methods the server's sender task uses).
//! - `accounts`: invitation and reset links (random, stored as SHA-256, single use), member status, password
//!   change, "My account".
//! - `two_factor`: TOTP enrolment, recovery codes, the log-in's second step, and the organization setting that
//!   requires two-factor of its administrators (enforced in [`Caller::admin_of`]).
//!
//! Later features (exports, invoices) get a module of their own here and a migration `0003_…`;
//! organization-scoped ones become methods of [`OrgAdmin`].

#![warn(missing_docs)]

mod accounts;
mod audit;
mod auth;
mod bootstrap;
mod commands;
mod copy;
mod db;
mod decision_cache;
mod decisions;
mod error;
mod events;
mod health;
mod import;
mod instances;
#[cfg(feature = "test-support")]
pub mod list_seed;
pub mod load_test;
mod local_lists;
mod mail;
mod migrate;
mod multi_row;
mod ocpp;
mod org;
mod paging;
mod passes;
mod settlement;
mod stations;
mod tariffs;
#[cfg(feature = "test-support")]
pub mod test_support;
mod transactions;
mod two_factor;

pub use accounts::{
    LinkPasswordOutcome, PasswordChange, EXPIRED_LINK_RETENTION_DAYS, INVITATION_VALIDITY_MS,
    RESETS_PER_ACCOUNT_PER_HOUR, RESET_VALIDITY_MS,
};
pub use auth::{
    default_hash_concurrency, login_key, session_idle_limit, set_hash_concurrency,
    set_session_idle_limit, Caller, LoginOutcome, DEFAULT_SESSION_IDLE,
};
pub use bootstrap::{DemoLogin, DemoStation, DEMO_PASSWORD, DEMO_STATIONS};
pub use commands::{CommandEnd, OutgoingCommand, COMMAND_HISTORY, MAX_OPEN_COMMANDS};
pub use copy::{CopyError, CopySource, TableCopy, BATCH_ROWS};
pub use db::{
    now, postgres_max_connections, set_postgres_max_connections, Db,
    DEFAULT_POSTGRES_MAX_CONNECTIONS,
};
pub use decisions::NewDecision;
pub use error::StorageError;
pub use events::{
    EventGap, StationEvent, StationEvents, TapSubscription, CHANNEL as EVENT_CHANNEL, TAP_CHANNEL,
    WIRE_VERSION as EVENT_WIRE_VERSION,
};
pub use health::{
    open_failure_reason, sqlite_dir_problem, sqlite_url_problem, NotReady, READINESS_TIMEOUT,
};
pub use import::{ExportedPass, ImportCommit};
pub use instances::{CleanedUp, Instance, InstanceId, DEFAULT_INSTANCE_LEASE};
pub use local_lists::SYNC_NAME;
pub use mail::{Letter, MailStatus, OutboxMessage, DEFAULT_MAIL_RETENTION_DAYS};
pub use migrate::{MigrationInfo, MigrationRun};
pub use ocpp::{
    ConnectedStation, NewOcppMessage, StationLogin, StationTouch, DEFAULT_LOG_RETENTION_DAYS,
};
pub use org::{AddUserOutcome, OrgAdmin};
pub use settlement::{MonthEndReport, DEFAULT_STATEMENT_VAT};
pub use stations::generate_station_password;
pub use transactions::{ExportedTransaction, StopOutcome};
pub use two_factor::{
    SecondFactorOutcome, TurnOffOutcome, CHALLENGE_ATTEMPTS, CHALLENGE_LIFETIME_MS,
    EXPIRED_CHALLENGE_RETENTION_MS, RECOVERY_CODE_COUNT,
};
