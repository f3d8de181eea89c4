//! Where and as whom a charge point connects: the endpoint URL with its percent-encoded charge point ID, and
//! the HTTP Basic `Authorization` header of OCPP security profile 1.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The WebSocket URL of charge point `id` at the central system's OCPP endpoint `base`: `base` + `/` + the
/// percent-encoded ID (OCPP-J 1.6 §3.1.1). A trailing `/` on `base` is not doubled.
///
/// An error (for the user) when `base` is not a `ws://` or `wss://` URL or the ID is empty.
pub fn endpoint_url(base: &str, id: &str) -> Result<String, String> {
    let scheme_ok = ["ws://", "wss://"].iter().any(|scheme| {
        base.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    if !scheme_ok {
        return Err(format!(
            "the OCPP endpoint must be a ws:// or wss:// URL such as ws://127.0.0.1:3000/ocpp (got {base:?})"
        ));
    }
    if id.is_empty() {
        return Err("the charge point ID must not be empty".to_owned());
    }
    Ok(format!(
        "{}/{}",
        base.trim_end_matches('/'),
        percent_encode(id)
    ))
}

/// Percent-encodes everything but the RFC 3986 unreserved characters (`A–Z a–z 0–9 - . _ ~`), byte by byte
/// of the UTF-8 encoding, with upper-case hex: `CP 1/ä` → `CP%201%2F%C3%A4`.
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The `Authorization` header value of HTTP Basic authentication (RFC 7617) as OCPP security profile 1 uses
/// it: user = the charge point ID (not percent-encoded), password = the AuthorizationKey.
///
/// An error when the ID contains `:`, which Basic authentication cannot carry in the user name.
pub fn basic_auth(id: &str, password: &str) -> Result<String, String> {
    if id.contains(':') {
        return Err(format!(
            "the charge point ID {id:?} contains ':', which HTTP Basic authentication cannot carry"
        ));
    }
    Ok(format!(
        "Basic {}",
        STANDARD.encode(format!("{id}:{password}"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_the_encoded_id() {
        assert_eq!(
            endpoint_url("ws://127.0.0.1:3000/ocpp", "CP-1").unwrap(),
            "ws://127.0.0.1:3000/ocpp/CP-1"
        );
        assert_eq!(
            endpoint_url("ws://127.0.0.1:3000/ocpp/", "CP 1/x").unwrap(),
            "ws://127.0.0.1:3000/ocpp/CP%201%2Fx"
        );
        assert_eq!(
            endpoint_url("WSS://example.com/ocpp", "a").unwrap(),
            "WSS://example.com/ocpp/a"
        );
    }

    #[test]
    fn refuses_other_schemes_and_empty_ids() {
        assert!(endpoint_url("http://127.0.0.1:3000/ocpp", "CP-1").is_err());
        assert!(endpoint_url("127.0.0.1:3000", "CP-1").is_err());
        assert!(endpoint_url("ws://127.0.0.1:3000/ocpp", "").is_err());
    }

    #[test]
    fn percent_encodes_all_but_unreserved() {
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
        assert_eq!(percent_encode("CP 1/ä"), "CP%201%2F%C3%A4");
        assert_eq!(percent_encode("a%b?c#d"), "a%25b%3Fc%23d");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn basic_auth_is_base64_of_id_colon_password() {
        // RFC 7617's example.
        assert_eq!(
            basic_auth("Aladdin", "open sesame").unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(
            basic_auth("CP-1", "").unwrap(),
            format!("Basic {}", STANDARD.encode("CP-1:"))
        );
        assert!(basic_auth("CP:1", "secret").is_err());
    }
}
