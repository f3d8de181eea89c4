//! OCPP 1.6J (OCPP 1.6 over JSON/WebSocket): the only place in ChargeDesk that knows OCPP JSON.
//!
//! Both ends of the connection use this crate: the central system (the axum WebSocket endpoint) and the
//! charge-point simulator. It is pure Rust (serde, serde_json, thiserror) and does no I/O.
//!
//! - [`frame`]: the OCPP-J envelope — [`Frame`] (CALL, CALLRESULT, CALLERROR), [`parse_frame`], [`FrameError`].
//! - [`ErrorCode`]: the ten OCPP-J 1.6 error codes with their exact spellings.
//! - [`Action`]: every OCPP 1.6 action name and who may initiate it.
//! - [`messages`]: typed payloads of the ten charge-point-initiated requests and their confirmations.
//! - [`commands`]: the central system's CALLs to a charge point — typed payloads of the core, local-list and
//!   remote-trigger commands (RemoteStartTransaction, Reset, SendLocalList, …) and their confirmations,
//!   [`commands::Command`] and [`commands::CommandResponse`], [`commands::parse_command`] (the charge point's
//!   reading of a CALL) and [`commands::parse_command_response`] (the central system's reading of the answer).
//! - [`schema`]: the declarative per-message schemas (the official 1.6 JSON schemas, written in Rust) that every
//!   payload is validated against *before* typed deserialisation, and how violations map to error codes.
//! - [`datetime`]: RFC 3339 `date-time` validation, parsing and formatting (no chrono).
//!
//! # Error codes
//!
//! Each problem maps to exactly one code, by the definitions of OCPP-J 1.6 §4.2.3:
//!
//! - `FormationViolation` ("syntactically incorrect or not conform the PDU structure"): not JSON, not an
//!   array, wrong element count or element types, message id not a string or over 36 characters.
//! - `NotImplemented`: an unknown action name.
//! - `NotSupported`: a known action the receiver does not handle (e.g. a central-system-initiated action sent
//!   by a charge point).
//! - `OccurenceConstraintViolation`: a required field missing, a field the schema does not define, an array
//!   with too few items.
//! - `TypeConstraintViolation`: a value of the wrong JSON type (`"connectorId": "1"`, `null` for a string).
//! - `PropertyConstraintViolation`: a string too long, a value outside its enumeration, an integer below its
//!   minimum, a malformed date-time.
//!
//! See [`schema`] for why an unexpected field is an *occurrence* violation.
//!
//! # The central system's receive loop
//!
//! ```
//! use ocpp::messages::{HeartbeatResponse, Request};
//! use ocpp::{parse_charge_point_call, parse_frame, response_frame, Frame};
//!
//! fn on_text(text: &str) -> Option<String> {
//!     match parse_frame(text) {
//!         // An unknown message type number: ignored, as OCPP-J requires.
//!         Ok(None) => None,
//!         // A broken frame: answer it when it can be correlated; log it either way.
//!         Err(error) => error.to_call_error().map(|frame| frame.to_text()),
//!         Ok(Some(Frame::Call { id, action, payload })) => {
//!             match parse_charge_point_call(&action, &payload) {
//!                 Ok(Request::Heartbeat(_)) => Some(
//!                     response_frame(
//!                         &id,
//!                         &HeartbeatResponse { current_time: "2026-01-01T00:00:00.000Z".into() },
//!                     )
//!                     .to_text(),
//!                 ),
//!                 Ok(_other) => None, // … the other nine requests
//!                 Err(error) => Some(error.to_call_error(&id).to_text()),
//!             }
//!         }
//!         // Answers to our own CALLs: correlate by id with the one outstanding call, then read the payload
//!         // with `commands::parse_command_response`.
//!         Ok(Some(Frame::CallResult { .. } | Frame::CallError { .. })) => None,
//!     }
//! }
//!
//! assert_eq!(
//!     on_text(r#"[2,"19223201","Heartbeat",{}]"#).unwrap(),
//!     r#"[3,"19223201",{"currentTime":"2026-01-01T00:00:00.000Z"}]"#
//! );
//! assert_eq!(
//!     on_text(r#"[2,"19223202","Reset",{"type":"Hard"}]"#).unwrap(),
//!     r#"[4,"19223202","NotSupported","Reset is initiated by the central system; a charge point may not send it",{}]"#
//! );
//! ```

#![warn(missing_docs)]

#[macro_use]
mod wire_enum;

pub mod action;
pub mod codec;
pub mod commands;
pub mod datetime;
pub mod error;
pub mod frame;
pub mod messages;
pub mod meter;
pub mod schema;

pub use action::Action;
pub use codec::{
    call_frame, checked_response_frame, encode, parse_charge_point_call, parse_request,
    parse_response, raw_id_tag, response_frame,
};
pub use commands::{parse_command, parse_command_response, Command, CommandResponse};
pub use datetime::DateTime;
pub use error::{ErrorCode, FrameError, PayloadError};
pub use frame::{parse_frame, Frame, MessageType, MAX_MESSAGE_ID_LEN};
pub use messages::{Payload, Request, RequestPayload};
pub use meter::energy_wh;

/// The WebSocket subprotocol of OCPP 1.6J, offered and selected in `Sec-WebSocket-Protocol`.
pub const SUBPROTOCOL: &str = "ocpp1.6";
