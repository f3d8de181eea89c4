//! The charge-point simulator: the library behind the `chargepoint-sim` binary (`src/bin/chargepoint-sim.rs`),
//! for tests and load tools too.
//!
//! - [`client`]: [`client::ChargePoint`], one simulated station on one WebSocket: `connect`, `boot`, `authorize`,
//!   `start_transaction`, `stop_transaction`, `meter_values`, `status`, `heartbeat`, the typed `call` and
//!   `call_raw`, `serve_until` (answering the central system's commands), `authorize_offline`, `reconnect`;
//!   every exchange and every command received reported as a [`client::Event`].
//! - [`station`]: [`station::Station`], what a station keeps and how it answers commands — configuration
//!   keys, the Local Authorization List, the authorization cache, connectors — as
//!   [`station::CommandBehaviour`] says (accept, reject, not supported, silent).
//! - [`script`]: the command line and the scripted run (`--tap`, `--tap-offline`, `--charge`, `--raw`,
//!   `--serve-secs`, `--hold-secs`; `--commands`, `--answer-delay-ms`, `--local-list`).
//! - [`load`]: `chargepoint-sim load`, many stations in one process (heartbeats, open-loop Authorize, the
//!   reconnect storm) with latency percentiles per action.
//! - [`meter`]: the meter ramp of a charging session and its samples.
//! - [`endpoint`]: the endpoint URL (percent-encoded ID) and the HTTP Basic header.
//! - [`describe`]: one-line summaries of the typed payloads for the log.
//!
//! All OCPP JSON is built and read by the `ocpp` crate.

pub mod client;
pub mod describe;
pub mod endpoint;
pub mod load;
pub mod meter;
pub mod script;
pub mod station;
