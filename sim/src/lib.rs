//! The charge-point simulator: the library behind the `chargepoint-sim` binary (`src/bin/chargepoint-sim.rs`),
//! for tests and load tools too.
//!
//! - [`client`]: [`client::ChargePoint`], one simulated station on one WebSocket: `connect`, `boot`, `authorize`,
//!   `start_transaction`, `stop_transaction`, `meter_values`, `status`, `heartbeat`, the typed `call` and
//!   `call_raw`; every exchange reported as a [`client::Event`].
//! - [`script`]: the command line and the scripted run (`--tap`, `--charge`, `--raw`, `--hold-secs`).
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
