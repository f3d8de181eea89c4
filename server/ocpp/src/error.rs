//! The OCPP-J 1.6 error codes and the two errors of this crate: a broken frame ([`FrameError`]) and a payload
//! that violates its message's schema ([`PayloadError`]).

use crate::frame::{Frame, MessageType};
use crate::Action;
use thiserror::Error;

wire_enum! {
    /// The `errorCode` of a CALLERROR, OCPP-J 1.6 §4.2.3. Spelled as in 1.6 — `OccurenceConstraintViolation`
    /// with one "r", `FormationViolation` (not 2.0.1's `FormatViolation`).
    pub enum ErrorCode {
        /// Requested action is not known by the receiver.
        NotImplemented = "NotImplemented",
        /// Requested action is recognised but not supported by the receiver.
        NotSupported = "NotSupported",
        /// An internal error occurred and the receiver was not able to process the requested action.
        InternalError = "InternalError",
        /// Payload for the action is incomplete.
        ProtocolError = "ProtocolError",
        /// A security issue prevented the receiver from completing the action.
        SecurityError = "SecurityError",
        /// The payload is syntactically incorrect or does not conform to the PDU structure of the action.
        FormationViolation = "FormationViolation",
        /// The payload is syntactically correct but at least one field contains an invalid value.
        PropertyConstraintViolation = "PropertyConstraintViolation",
        /// The payload is syntactically correct but at least one field violates occurrence constraints.
        OccurenceConstraintViolation = "OccurenceConstraintViolation",
        /// The payload is syntactically correct but at least one field violates data type constraints.
        TypeConstraintViolation = "TypeConstraintViolation",
        /// Any other error.
        GenericError = "GenericError",
    }
}

/// A received text frame that is not a well-formed OCPP-J message (see [`crate::parse_frame`]).
///
/// What to do with it: log it, then send [`FrameError::to_call_error`] when that is `Some`. When it is `None`
/// the frame cannot be correlated with anything the peer is waiting for (no readable message id, or the frame
/// was itself an answer), and OCPP-J only ever answers CALLs: send nothing and keep the connection open — the
/// peer's own timeout handles its side. Closing the connection for one bad frame would only make a confused
/// station reconnect and repeat it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code}: {description}")]
pub struct FrameError {
    /// The message id, when the second element of the array was a string (even an over-long one, so the peer
    /// can correlate the answer).
    pub id: Option<String>,
    /// Which kind of message the frame claimed to be, when its message type number could be read.
    pub message_type: Option<MessageType>,
    /// Always [`ErrorCode::FormationViolation`]: every frame-level problem is a formation problem.
    pub code: ErrorCode,
    /// What is wrong, for the log and the peer.
    pub description: String,
}

impl FrameError {
    /// The CALLERROR to send back, when the broken frame can be answered: its message id was readable and it
    /// was (or may have been) a CALL.
    ///
    /// `None` when no id could be read, and for a broken CALLRESULT or CALLERROR: OCPP-J 1.6 answers only CALLs,
    /// and answering an answer could make two peers bounce errors at each other forever. The central system
    /// logs those (for a broken answer to its own outstanding CALL, it treats that CALL as failed).
    pub fn to_call_error(&self) -> Option<Frame> {
        match (&self.id, self.message_type) {
            (Some(id), None | Some(MessageType::Call)) => {
                Some(Frame::call_error(id, self.code, &self.description))
            }
            _ => None,
        }
    }
}

/// A payload that does not satisfy its message's schema, or an action this side does not handle.
///
/// The description names the field path, e.g. `idTag: at most 20 characters (got 21)` or
/// `meterValue[0].sampledValue[1].unit: "kwh" is not one of …`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code}: {description}")]
pub struct PayloadError {
    /// The CALLERROR code that describes the problem.
    pub code: ErrorCode,
    /// What is wrong, with the field path.
    pub description: String,
}

impl PayloadError {
    /// A payload error with this code and description.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    /// The refusal of a CALL whose action this side does not handle: `NotImplemented` when `action` is not an
    /// OCPP 1.6 action name at all, `NotSupported` when it is one.
    ///
    /// For a receiver that handles no CALL at all; the charge-point side reads the central system's CALLs with
    /// [`crate::commands::parse_command`], which refines this.
    pub fn unhandled_action(action: &str) -> Self {
        match Action::parse(action) {
            None => Self::new(
                ErrorCode::NotImplemented,
                format!(
                    "unknown action {}",
                    crate::schema::quote_truncated(action, 64)
                ),
            ),
            Some(action) => Self::new(
                ErrorCode::NotSupported,
                format!("{action} is not supported"),
            ),
        }
    }

    /// The CALLERROR answering the CALL with message id `id`.
    pub fn to_call_error(&self, id: &str) -> Frame {
        Frame::call_error(id, self.code, &self.description)
    }
}
