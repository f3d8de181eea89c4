//! From JSON payloads to typed messages and back, for both directions.
//!
//! | | central system | charge point (simulator) |
//! |---|---|---|
//! | receives a CALL | [`parse_charge_point_call`] / [`parse_request`] | [`parse_command`] |
//! | answers it | [`response_frame`], [`checked_response_frame`] | [`CommandResponse::to_frame`], [`checked_response_frame`] |
//! | sends a CALL | [`call_frame`] / [`Command::to_frame`] | [`call_frame`] |
//! | reads the CALLRESULT | [`parse_command_response`] | [`parse_response`] |
//!
//! [`parse_command`]: crate::commands::parse_command
//! [`parse_command_response`]: crate::commands::parse_command_response
//! [`Command::to_frame`]: crate::commands::Command::to_frame
//! [`CommandResponse::to_frame`]: crate::commands::CommandResponse::to_frame

use crate::error::{ErrorCode, PayloadError};
use crate::frame::Frame;
use crate::messages::{Payload, Request, RequestPayload};
use crate::schema::{self, quote_truncated};
use crate::Action;
use serde::Serialize;
use serde_json::Value;

/// Validates `payload` against `T`'s schema, then deserialises it.
pub(crate) fn decode<T: Payload>(payload: &Value) -> Result<T, PayloadError> {
    schema::validate(T::SCHEMA, payload)?;
    // The schema admits exactly what the type reads; if they ever disagree, that is our bug, not the peer's.
    let message = T::deserialize(payload).map_err(|error| {
        PayloadError::new(
            ErrorCode::InternalError,
            format!(
                "the payload satisfies the {} schema but could not be read: {error}",
                T::SCHEMA.name
            ),
        )
    })?;
    message.check_rules()?;
    Ok(message)
}

/// The `idTag` a CALL's payload carries (Authorize, StartTransaction, StopTransaction), exactly as sent and
/// before any validation, so that even a refused request can be logged with the card it named.
pub fn raw_id_tag(payload: &Value) -> Option<&str> {
    payload.get("idTag").and_then(Value::as_str)
}

/// The central system's reading of a CALL from a charge point, from the action name as received.
///
/// - an action name OCPP 1.6 does not define → `NotImplemented`;
/// - an action the central system initiates (`Reset`, `RemoteStartTransaction`, …) → `NotSupported`;
/// - otherwise [`parse_request`].
pub fn parse_charge_point_call(action: &str, payload: &Value) -> Result<Request, PayloadError> {
    let Some(known) = Action::parse(action) else {
        return Err(PayloadError::new(
            ErrorCode::NotImplemented,
            format!("unknown action {}", quote_truncated(action, 64)),
        ));
    };
    parse_request(known, payload)
}

/// Validates and reads the payload of a CALL with `action` sent by a charge point.
///
/// A central-system-initiated `action` → `NotSupported`. Otherwise the payload is checked against the
/// request's schema (see [`crate::schema`]; violations → `OccurenceConstraintViolation`,
/// `TypeConstraintViolation` or `PropertyConstraintViolation`, the description naming the field path) and
/// then deserialised.
pub fn parse_request(action: Action, payload: &Value) -> Result<Request, PayloadError> {
    Request::parse(action, payload).unwrap_or_else(|| {
        Err(PayloadError::new(
            ErrorCode::NotSupported,
            format!("{action} is initiated by the central system; a charge point may not send it"),
        ))
    })
}

/// Validates and reads a payload as `T`: the charge point's reading of a CALLRESULT (e.g.
/// `parse_response::<BootNotificationResponse>(&payload)`), checked against the same schemas as requests.
pub fn parse_response<T: Payload>(payload: &Value) -> Result<T, PayloadError> {
    decode(payload)
}

/// Serialises a typed payload and checks it against its own schema (string lengths, date-times) and
/// [`Payload::check_rules`], so this side never sends what it would refuse to receive.
pub fn encode<T: Payload>(message: &T) -> Result<Value, PayloadError> {
    let value = serde_json::to_value(message).map_err(|error| {
        PayloadError::new(
            ErrorCode::InternalError,
            format!("could not serialise {}: {error}", T::SCHEMA.name),
        )
    })?;
    schema::validate(T::SCHEMA, &value)?;
    message.check_rules()?;
    Ok(value)
}

/// The CALL sending `request` with message id `id` (at most [`crate::MAX_MESSAGE_ID_LEN`] characters, unique
/// per connection); an error when the request violates its schema.
pub fn call_frame<T: RequestPayload>(id: &str, request: &T) -> Result<Frame, PayloadError> {
    Ok(Frame::Call {
        id: id.to_owned(),
        action: T::ACTION.as_str().to_owned(),
        payload: encode(request)?,
    })
}

/// The CALLRESULT answering the CALL with message id `id`: `payload` serialised as is (camelCase, `None` fields
/// omitted for the types of [`crate::messages`]).
///
/// Should `payload` fail to serialise or not serialise to a JSON object, the answer is a CALLERROR
/// `InternalError` instead (a CALLRESULT payload must be an object), so this never panics. For the typed
/// confirmations, [`checked_response_frame`] also checks the schema.
pub fn response_frame(id: &str, payload: &impl Serialize) -> Frame {
    match serde_json::to_value(payload) {
        Ok(payload @ Value::Object(_)) => Frame::CallResult {
            id: id.to_owned(),
            payload,
        },
        Ok(_) => Frame::call_error(
            id,
            ErrorCode::InternalError,
            "the confirmation is not a JSON object",
        ),
        Err(_) => Frame::call_error(
            id,
            ErrorCode::InternalError,
            "the confirmation could not be serialised",
        ),
    }
}

/// The CALLRESULT answering `id` with a typed confirmation that satisfies its schema; a CALLERROR
/// `InternalError` naming the violation when it does not (e.g. a `parentIdTag` over 20 characters).
pub fn checked_response_frame<T: Payload>(id: &str, confirmation: &T) -> Frame {
    encoded_response_frame(id, encode(confirmation))
}

/// The CALLRESULT with a confirmation encoded (and checked) already, or the CALLERROR `InternalError` naming
/// why it could not be.
pub(crate) fn encoded_response_frame(id: &str, encoded: Result<Value, PayloadError>) -> Frame {
    match encoded {
        Ok(payload) => Frame::CallResult {
            id: id.to_owned(),
            payload,
        },
        Err(error) => Frame::call_error(
            id,
            ErrorCode::InternalError,
            &format!("invalid confirmation: {}", error.description),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_id_tag_reads_the_card_even_from_an_invalid_payload() {
        let too_long = serde_json::json!({"idTag": "04AAAB11CD2345FF001122", "extra": 1});
        assert_eq!(raw_id_tag(&too_long), Some("04AAAB11CD2345FF001122"));
        assert_eq!(raw_id_tag(&serde_json::json!({"idTag": 7})), None);
        assert_eq!(raw_id_tag(&serde_json::json!({})), None);
    }
}
