//! The OCPP-J envelope (OCPP-J 1.6 §4): every WebSocket text frame is a JSON array
//!
//! - CALL `[2, "<id>", "<Action>", {payload}]`
//! - CALLRESULT `[3, "<id>", {payload}]`
//! - CALLERROR `[4, "<id>", "<errorCode>", "<errorDescription>", {errorDetails}]`
//!
//! The message id is a string of at most 36 characters chosen by the caller; the answer repeats it.

use crate::error::{ErrorCode, FrameError};
use crate::schema::{json_kind, quote_truncated};
use serde_json::{Map, Value};

/// The most characters a message id may have (OCPP-J 1.6 §4.1.3).
pub const MAX_MESSAGE_ID_LEN: usize = 36;

/// The message type number, the first element of every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `2`: a request.
    Call,
    /// `3`: the successful answer to a CALL.
    CallResult,
    /// `4`: the error answer to a CALL.
    CallError,
}

impl MessageType {
    /// The number on the wire.
    pub const fn number(self) -> u64 {
        match self {
            Self::Call => 2,
            Self::CallResult => 3,
            Self::CallError => 4,
        }
    }

    /// The message type with this number, if OCPP-J 1.6 defines one.
    pub const fn from_number(number: u64) -> Option<Self> {
        match number {
            2 => Some(Self::Call),
            3 => Some(Self::CallResult),
            4 => Some(Self::CallError),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Call => "CALL",
            Self::CallResult => "CALLRESULT",
            Self::CallError => "CALLERROR",
        }
    }

    fn shape(self) -> &'static str {
        match self {
            Self::Call => "[2, messageId, action, payload]",
            Self::CallResult => "[3, messageId, payload]",
            Self::CallError => "[4, messageId, errorCode, errorDescription, errorDetails]",
        }
    }

    fn len(self) -> usize {
        match self {
            Self::Call => 4,
            Self::CallResult => 3,
            Self::CallError => 5,
        }
    }
}

/// One OCPP-J message. The payload of a CALL or CALLRESULT is not interpreted here: see
/// [`crate::parse_charge_point_call`], [`crate::parse_request`] and [`crate::parse_response`].
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A request.
    Call {
        /// The message id, repeated by the answer.
        id: String,
        /// The action name as received (not necessarily a known [`crate::Action`]).
        action: String,
        /// The request payload, always a JSON object.
        payload: Value,
    },
    /// The successful answer to the CALL with the same id.
    CallResult {
        /// The id of the CALL being answered.
        id: String,
        /// The confirmation payload, always a JSON object.
        payload: Value,
    },
    /// The error answer to the CALL with the same id.
    CallError {
        /// The id of the CALL being answered.
        id: String,
        /// The error code as received; [`ErrorCode::parse`] reads the ten codes of 1.6.
        code: String,
        /// A human-readable description, possibly empty.
        description: String,
        /// Free-form details, always a JSON object (`{}` when there are none).
        details: Value,
    },
}

impl Frame {
    /// A CALLERROR with the given code and description and no details.
    pub fn call_error(id: &str, code: ErrorCode, description: &str) -> Frame {
        Frame::CallError {
            id: id.to_owned(),
            code: code.as_str().to_owned(),
            description: description.to_owned(),
            details: Value::Object(Map::new()),
        }
    }

    /// The message type of this frame.
    pub fn message_type(&self) -> MessageType {
        match self {
            Frame::Call { .. } => MessageType::Call,
            Frame::CallResult { .. } => MessageType::CallResult,
            Frame::CallError { .. } => MessageType::CallError,
        }
    }

    /// The message id.
    pub fn id(&self) -> &str {
        match self {
            Frame::Call { id, .. } | Frame::CallResult { id, .. } | Frame::CallError { id, .. } => {
                id
            }
        }
    }

    /// The JSON text to send as one WebSocket text frame.
    pub fn to_text(&self) -> String {
        let number = Value::from(self.message_type().number());
        let array = match self {
            Frame::Call {
                id,
                action,
                payload,
            } => vec![
                number,
                Value::from(id.as_str()),
                Value::from(action.as_str()),
                payload.clone(),
            ],
            Frame::CallResult { id, payload } => {
                vec![number, Value::from(id.as_str()), payload.clone()]
            }
            Frame::CallError {
                id,
                code,
                description,
                details,
            } => vec![
                number,
                Value::from(id.as_str()),
                Value::from(code.as_str()),
                Value::from(description.as_str()),
                details.clone(),
            ],
        };
        Value::Array(array).to_string()
    }
}

/// Parses one received text frame.
///
/// - `Ok(Some(frame))`: a well-formed CALL, CALLRESULT or CALLERROR.
/// - `Ok(None)`: the message type number is an integer other than 2, 3 or 4. OCPP-J says to ignore such a
///   message (it may come from a later protocol version); the caller may log it.
/// - `Err(error)`: always [`ErrorCode::FormationViolation`]; `error.id` holds the message id when it could be
///   read. See [`FrameError`] for what to do with it.
///
/// The checks, in order: valid JSON; a non-empty array; the first element an integer (the message type
/// number); the second element a string of at most [`MAX_MESSAGE_ID_LEN`] characters; exactly as many elements
/// as the message type has; each element of the right JSON type (action, error code and description strings,
/// payload and details objects).
///
/// An over-long message id is a `FormationViolation`, not a `ProtocolError`: the id is part of the frame
/// structure that OCPP-J defines ("not conform the PDU structure"), while `ProtocolError` means an incomplete
/// *payload*. The error still carries the over-long id so the peer can correlate the CALLERROR.
pub fn parse_frame(text: &str) -> Result<Option<Frame>, FrameError> {
    let formation =
        |id: Option<&str>, message_type: Option<MessageType>, description: String| FrameError {
            id: id.map(str::to_owned),
            message_type,
            code: ErrorCode::FormationViolation,
            description,
        };

    let value: Value = serde_json::from_str(text)
        .map_err(|error| formation(None, None, format!("not valid JSON: {error}")))?;
    let Value::Array(elements) = value else {
        return Err(formation(
            None,
            None,
            format!("a frame must be a JSON array, got {}", json_kind(&value)),
        ));
    };
    // Read (but do not yet require) the id, so every later error can carry it.
    let id = elements.get(1).and_then(Value::as_str);

    let message_type = match elements.first() {
        None => {
            return Err(formation(
                None,
                None,
                "a frame must not be an empty array".to_owned(),
            ))
        }
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            match number.as_u64().and_then(MessageType::from_number) {
                Some(message_type) => message_type,
                // An unknown message type number: to be ignored.
                None => return Ok(None),
            }
        }
        Some(other) => {
            return Err(formation(
                id,
                None,
                format!(
                    "the first element must be the message type number (2, 3 or 4), got {}",
                    describe(other)
                ),
            ))
        }
    };
    let fail = |description: String| Err(formation(id, Some(message_type), description));

    let id = match elements.get(1) {
        Some(Value::String(id)) => id.as_str(),
        Some(other) => {
            return fail(format!(
                "the message id must be a string, got {}",
                describe(other)
            ))
        }
        None => return fail(structure(message_type, elements.len())),
    };
    let id_len = id.chars().count();
    if id_len > MAX_MESSAGE_ID_LEN {
        return fail(format!(
            "the message id must be at most {MAX_MESSAGE_ID_LEN} characters (got {id_len})"
        ));
    }
    if elements.len() != message_type.len() {
        return fail(structure(message_type, elements.len()));
    }

    let string = |index: usize, what: &str| match &elements[index] {
        Value::String(text) => Ok(text.clone()),
        other => Err(formation(
            Some(id),
            Some(message_type),
            format!(
                "the {what} of a {} must be a string, got {}",
                message_type.name(),
                describe(other)
            ),
        )),
    };
    let object = |index: usize, what: &str| match &elements[index] {
        object @ Value::Object(_) => Ok(object.clone()),
        other => Err(formation(
            Some(id),
            Some(message_type),
            format!(
                "the {what} of a {} must be a JSON object, got {}",
                message_type.name(),
                describe(other)
            ),
        )),
    };

    let frame = match message_type {
        MessageType::Call => Frame::Call {
            id: id.to_owned(),
            action: string(2, "action")?,
            payload: object(3, "payload")?,
        },
        MessageType::CallResult => Frame::CallResult {
            id: id.to_owned(),
            payload: object(2, "payload")?,
        },
        MessageType::CallError => Frame::CallError {
            id: id.to_owned(),
            code: string(2, "error code")?,
            description: string(3, "error description")?,
            details: object(4, "error details")?,
        },
    };
    Ok(Some(frame))
}

fn structure(message_type: MessageType, got: usize) -> String {
    format!(
        "the frame does not have the structure of a {}: expected {} elements {}, got {got}",
        message_type.name(),
        message_type.len(),
        message_type.shape()
    )
}

/// `a number (3.5)`, `a string ("abc")`: the kind and a short excerpt of a received value.
fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("a string ({})", quote_truncated(text, 40)),
        Value::Number(number) => format!("a number ({number})"),
        other => json_kind(other).to_owned(),
    }
}
