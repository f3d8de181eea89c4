//! Declarative payload schemas — the official OCPP 1.6 JSON schemas, written in Rust — and their validation.
//!
//! Every payload is checked against its message's [`ObjectSchema`] *before* typed deserialisation, so that a
//! violation is answered with the right CALLERROR code and a description naming the field path, which serde's
//! errors cannot give. Like the official schemas, every object has `additionalProperties: false`.
//!
//! # How violations map to error codes
//!
//! OCPP-J 1.6 §4.2.3 defines the codes by what is wrong with the payload. We read them as four questions:
//!
//! - **Is each field there the right number of times?** → [`ErrorCode::OccurenceConstraintViolation`]
//!   ("at least one of the fields violates occurence constraints"): a required field missing, an array with
//!   fewer items than `minItems`, and **a field the schema does not define**. The schemas come from the
//!   XSD/SOAP definitions, where each field has an allowed number of occurrences; a field not in the message
//!   may occur zero times, so its presence violates an occurrence constraint. It is *not* a
//!   `PropertyConstraintViolation` ("a field contains an invalid value"): nothing is wrong with its value, only
//!   with its being there. (Nor a `FormationViolation`: this crate keeps that for the frame itself, where the
//!   JSON or the array envelope is broken, and keeps every schema-level finding in the three constraint codes.)
//! - **Is each value of the right JSON type?** → [`ErrorCode::TypeConstraintViolation`]: a string where an
//!   integer is expected, a string or number where a boolean is expected (`"readonly": "true"`), a float for an integer, `null` anywhere (no 1.6 schema allows `null`; an absent
//!   optional field must be omitted), an array where an object is expected.
//! - **Is each value allowed?** → [`ErrorCode::PropertyConstraintViolation`]: a string over its `maxLength`
//!   (CiStringN), a value outside its enumeration, an integer below its minimum or beyond 64 bits, a string
//!   that is not an RFC 3339 date-time.
//!
//! A missing required field is an occurrence violation rather than a `ProtocolError` ("payload incomplete",
//! which is what the Python `ocpp` library sends): the specific constraint code tells the peer more, and
//! `ProtocolError` stays available for protocol-state problems.
//!
//! The first violation found is reported: the schema's fields in order (each checked completely, depth first),
//! then fields the schema does not define.

use crate::datetime::DateTime;
use crate::error::{ErrorCode, PayloadError};
use serde_json::Value;
use std::fmt;

/// A JSON object with a fixed set of fields and `additionalProperties: false`.
#[derive(Debug)]
pub struct ObjectSchema {
    /// The name used in descriptions, e.g. `AuthorizeRequest` or `SampledValue`.
    pub name: &'static str,
    /// The fields the object may have.
    pub fields: &'static [Field],
}

/// One field of an [`ObjectSchema`].
#[derive(Debug)]
pub struct Field {
    /// The field name on the wire (camelCase).
    pub name: &'static str,
    /// Whether the field must be present.
    pub required: bool,
    /// What its value must be.
    pub kind: Kind,
}

impl Field {
    /// A field that must be present.
    pub const fn required(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            required: true,
            kind,
        }
    }

    /// A field that may be omitted.
    pub const fn optional(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            required: false,
            kind,
        }
    }
}

/// What a field's value must be.
#[derive(Debug)]
pub enum Kind {
    /// A JSON string; with `Some(n)`, at most `n` characters (OCPP's CiStringN).
    String {
        /// `maxLength`, in characters.
        max_len: Option<usize>,
    },
    /// A JSON string, one of these values (case-sensitive).
    Enum(&'static [&'static str]),
    /// A JSON string in RFC 3339 `date-time` format.
    DateTime,
    /// A JSON boolean (`true` or `false`; not `"true"`, `1` or `null`).
    Boolean,
    /// A JSON integer (no fraction or exponent) that fits in an `i64`; with `Some(m)`, at least `m`.
    Integer {
        /// `minimum`, inclusive.
        min: Option<i64>,
    },
    /// A JSON object.
    Object(&'static ObjectSchema),
    /// A JSON array.
    Array {
        /// The schema of every item.
        items: &'static Kind,
        /// `minItems`.
        min_items: usize,
    },
}

impl Kind {
    /// A string of any length (OCPP "text").
    pub const TEXT: Kind = Kind::String { max_len: None };
    /// Any integer.
    pub const INTEGER: Kind = Kind::Integer { min: None };

    /// A string of at most `max_len` characters.
    pub const fn ci_string(max_len: usize) -> Kind {
        Kind::String {
            max_len: Some(max_len),
        }
    }

    /// An integer of at least `min`.
    pub const fn integer_min(min: i64) -> Kind {
        Kind::Integer { min: Some(min) }
    }
}

/// Checks `value` against `schema`; the error names the first violation and its field path.
pub fn validate(schema: &ObjectSchema, value: &Value) -> Result<(), PayloadError> {
    check_object(schema, value, Path::Root)
}

/// Where in the payload a value is, written `meterValue[0].sampledValue[2].unit`.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("payload"),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

fn error(code: ErrorCode, path: &Path<'_>, what: impl fmt::Display) -> PayloadError {
    PayloadError::new(code, format!("{path}: {what}"))
}

fn type_error(path: &Path<'_>, expected: &str, got: &Value) -> PayloadError {
    error(
        ErrorCode::TypeConstraintViolation,
        path,
        format_args!("expected {expected}, got {}", json_kind(got)),
    )
}

fn check_object(schema: &ObjectSchema, value: &Value, path: Path<'_>) -> Result<(), PayloadError> {
    let Value::Object(map) = value else {
        return Err(type_error(&path, "an object", value));
    };
    for field in schema.fields {
        let field_path = Path::Field(&path, field.name);
        match map.get(field.name) {
            Some(value) => check_kind(&field.kind, value, field_path)?,
            None if field.required => {
                return Err(error(
                    ErrorCode::OccurenceConstraintViolation,
                    &field_path,
                    "required field is missing",
                ))
            }
            None => {}
        }
    }
    if let Some(extra) = map
        .keys()
        .find(|key| !schema.fields.iter().any(|field| field.name == key.as_str()))
    {
        let name = truncate(extra, 50);
        return Err(error(
            ErrorCode::OccurenceConstraintViolation,
            &Path::Field(&path, &name),
            format_args!(
                "not a field of {} (additional fields are not allowed)",
                schema.name
            ),
        ));
    }
    Ok(())
}

fn check_kind(kind: &Kind, value: &Value, path: Path<'_>) -> Result<(), PayloadError> {
    match kind {
        Kind::String { max_len } => {
            let Value::String(text) = value else {
                return Err(type_error(&path, "a string", value));
            };
            if let Some(max_len) = *max_len {
                let len = text.chars().count();
                if len > max_len {
                    return Err(error(
                        ErrorCode::PropertyConstraintViolation,
                        &path,
                        format_args!("at most {max_len} characters (got {len})"),
                    ));
                }
            }
        }
        Kind::Enum(values) => {
            let Value::String(text) = value else {
                return Err(type_error(&path, "a string", value));
            };
            if !values.contains(&text.as_str()) {
                return Err(error(
                    ErrorCode::PropertyConstraintViolation,
                    &path,
                    format_args!(
                        "{} is not one of {}",
                        quote_truncated(text, 40),
                        values.join(", ")
                    ),
                ));
            }
        }
        Kind::DateTime => {
            let Value::String(text) = value else {
                return Err(type_error(&path, "a string (date-time)", value));
            };
            if let Err(reason) = DateTime::parse(text) {
                return Err(error(
                    ErrorCode::PropertyConstraintViolation,
                    &path,
                    format_args!("{} is {reason}", quote_truncated(text, 40)),
                ));
            }
        }
        Kind::Boolean => {
            if !value.is_boolean() {
                return Err(type_error(&path, "a boolean", value));
            }
        }
        Kind::Integer { min } => {
            let Value::Number(number) = value else {
                return Err(type_error(&path, "an integer", value));
            };
            let Some(integer) = number.as_i64() else {
                return Err(if number.is_u64() {
                    error(
                        ErrorCode::PropertyConstraintViolation,
                        &path,
                        format_args!("{number} is out of range"),
                    )
                } else {
                    error(
                        ErrorCode::TypeConstraintViolation,
                        &path,
                        format_args!("expected an integer, got {number}"),
                    )
                });
            };
            if let Some(min) = *min {
                if integer < min {
                    return Err(error(
                        ErrorCode::PropertyConstraintViolation,
                        &path,
                        format_args!("must be at least {min} (got {integer})"),
                    ));
                }
            }
        }
        Kind::Object(schema) => check_object(schema, value, path)?,
        Kind::Array { items, min_items } => {
            let Value::Array(elements) = value else {
                return Err(type_error(&path, "an array", value));
            };
            if elements.len() < *min_items {
                return Err(error(
                    ErrorCode::OccurenceConstraintViolation,
                    &path,
                    format_args!(
                        "at least {min_items} item(s) required (got {})",
                        elements.len()
                    ),
                ));
            }
            for (index, element) in elements.iter().enumerate() {
                check_kind(items, element, Path::Index(&path, index))?;
            }
        }
    }
    Ok(())
}

/// `null`, `a boolean`, `a number`, `a string`, `an array` or `an object`.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// At most `max` characters of received text, with `…` when cut: descriptions never echo unbounded input.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// [`truncate`]d and JSON-quoted.
pub(crate) fn quote_truncated(text: &str, max: usize) -> String {
    Value::String(truncate(text, max)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static FLAGS: ObjectSchema = ObjectSchema {
        name: "Flags",
        fields: &[
            Field::required("readonly", Kind::Boolean),
            Field::optional(
                "more",
                Kind::Array {
                    items: &Kind::Boolean,
                    min_items: 0,
                },
            ),
        ],
    };

    #[test]
    fn a_boolean_is_true_or_false() {
        assert_eq!(validate(&FLAGS, &json!({"readonly": true})), Ok(()));
        assert_eq!(
            validate(&FLAGS, &json!({"readonly": false, "more": [true, false]})),
            Ok(())
        );
    }

    #[test]
    fn anything_else_where_a_boolean_belongs_is_a_type_violation() {
        for (value, got) in [
            (json!("true"), "a string"),
            (json!(1), "a number"),
            (json!(0), "a number"),
            (json!(null), "null"),
            (json!([true]), "an array"),
            (json!({}), "an object"),
        ] {
            let error = validate(&FLAGS, &json!({ "readonly": value })).unwrap_err();
            assert_eq!(
                (error.code, error.description),
                (
                    ErrorCode::TypeConstraintViolation,
                    format!("readonly: expected a boolean, got {got}")
                ),
                "{value}"
            );
        }
        let error = validate(&FLAGS, &json!({"readonly": true, "more": [true, "no"]})).unwrap_err();
        assert_eq!(
            (error.code, error.description.as_str()),
            (
                ErrorCode::TypeConstraintViolation,
                "more[1]: expected a boolean, got a string"
            )
        );
    }

    #[test]
    fn a_missing_boolean_is_an_occurrence_violation() {
        let error = validate(&FLAGS, &json!({})).unwrap_err();
        assert_eq!(
            (error.code, error.description.as_str()),
            (
                ErrorCode::OccurenceConstraintViolation,
                "readonly: required field is missing"
            )
        );
    }
}
