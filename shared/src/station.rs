//! Charging stations as the OCPP 1.6J endpoint sees them: the charge point ID in the station's URL, its display
//! name, the password it logs in with, and the access mode that decides which cards may charge.
//!
//! A station connects to `wss://…/ocpp/{chargePointId}`; with OCPP security profile 1 or 2 it also sends HTTP
//! Basic credentials (user = charge point ID, password = its AuthorizationKey). [`ChargePointId`] and
//! [`StationPassword`] hold the rules that make both work exactly as the installer typed them into the station.
//! [`AccessMode`] and [`effective_access_mode`] decide how [`crate::decision::decide`] treats a presented card.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The most characters a charge point ID may have (the OCPP 2.0.1 limit for a station's identity; OCPP 1.6 sets
/// none, and servers that share IDs with 2.0.1 stations keep to it).
pub const CHARGE_POINT_ID_MAX_LEN: usize = 48;
/// The characters besides ASCII letters and digits that a charge point ID may contain.
pub const CHARGE_POINT_ID_SYMBOLS: &str = "-_.:*+@";
/// The most characters a station name may have.
pub const STATION_NAME_MAX_LEN: usize = 80;
/// The fewest characters of a station password (OCPP AuthorizationKey).
pub const STATION_PASSWORD_MIN_LEN: usize = 16;
/// The most characters of a station password (OCPP AuthorizationKey: 20 bytes as 40 hex characters).
pub const STATION_PASSWORD_MAX_LEN: usize = 40;

/// An example charge point ID, used in messages.
const CHARGE_POINT_ID_EXAMPLE: &str = "KRN-CP-001";

/// Names a character in a message so that invisible ones can be recognised too.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_whitespace() => format!("the blank character U+{:04X}", c as u32),
        c if c.is_control() => format!("the invisible character U+{:04X}", c as u32),
        c => format!("\"{c}\""),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Charge point ID
// ---------------------------------------------------------------------------------------------------------------

/// The charge point ID: the last segment of the station's OCPP URL (`/ocpp/{chargePointId}`), and its HTTP Basic
/// user name. 1 to 48 characters: ASCII letters, digits and `- _ . : * + @`.
///
/// The allowed characters are exactly those that appear in a URL path segment as themselves, so the ID the
/// station sends is byte for byte the ID stored here: no percent-encoding, no `/`, no spaces, no non-ASCII.
/// `.` and `..` alone are refused as well, because URL handling removes such segments.
///
/// The case is preserved, because it is how the station identifies itself, and `==` compares exactly. OCPP
/// identifiers are case-insensitive, though: decide whether two stations clash (uniqueness) and look up an
/// incoming connection by [`ChargePointId::match_key`].
///
/// Built only by [`ChargePointId::parse`]. Serialized as its string; deserialization runs `parse` again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ChargePointId(String);

/// Why a charge point ID was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargePointIdError {
    /// Nothing was entered.
    #[error(
        "Enter the charge point ID exactly as it is configured in the charging station, e.g. \
         {CHARGE_POINT_ID_EXAMPLE}: it is the last part of the OCPP server URL the station connects to."
    )]
    Empty,
    /// Longer than [`CHARGE_POINT_ID_MAX_LEN`].
    #[error(
        "A charge point ID has at most {max} characters; this one has {len}. Check the ID in the charging \
         station's OCPP settings."
    )]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A character that would not reach the server as typed in the station's URL.
    #[error("{}", invalid_charge_point_char_message(*.found))]
    InvalidCharacter {
        /// The first offending character, as entered.
        found: char,
    },
    /// `.` or `..`, which URL handling removes instead of sending.
    #[error(
        "A charge point ID cannot be just \".\" or \"..\": in the station's OCPP URL such a part is removed \
         instead of sent. Use letters or digits, e.g. {CHARGE_POINT_ID_EXAMPLE}."
    )]
    DotsOnly,
}

/// The message for a character not allowed in a charge point ID: which one, and why.
fn invalid_charge_point_char_message(found: char) -> String {
    let why = match found {
        '/' => "a \"/\" would split the station's OCPP URL (/ocpp/<charge point ID>) into two parts".to_string(),
        '%' => "a \"%\" starts an encoded character in a URL, so the server would not receive the ID as typed"
            .to_string(),
        c if !c.is_ascii() => format!(
            "{} is not a plain ASCII character: the station would have to encode it in its OCPP URL \
             (/ocpp/<charge point ID>), so it would not arrive as typed",
            describe_char(c)
        ),
        c => format!(
            "{} cannot be sent in the station's OCPP URL (/ocpp/<charge point ID>) as typed",
            describe_char(c)
        ),
    };
    format!(
        "A charge point ID contains only letters A-Z, digits and {}; {why}. Enter the ID exactly as it is \
         configured in the charging station, e.g. {CHARGE_POINT_ID_EXAMPLE}.",
        symbols_for_message()
    )
}

/// `- _ . : * + @`, the allowed symbols separated by spaces.
fn symbols_for_message() -> String {
    let symbols: Vec<String> = CHARGE_POINT_ID_SYMBOLS
        .chars()
        .map(|c| c.to_string())
        .collect();
    symbols.join(" ")
}

/// Whether a character may appear in a charge point ID.
fn is_charge_point_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || CHARGE_POINT_ID_SYMBOLS.contains(c)
}

impl ChargePointId {
    /// Validates a charge point ID: surrounding whitespace is removed; 1 to 48 characters; only ASCII letters,
    /// digits and `- _ . : * + @`; not `.` or `..`. The case is kept as entered.
    pub fn parse(input: &str) -> Result<ChargePointId, ChargePointIdError> {
        let id = input.trim();
        if id.is_empty() {
            return Err(ChargePointIdError::Empty);
        }
        if let Some(found) = id.chars().find(|&c| !is_charge_point_id_char(c)) {
            return Err(ChargePointIdError::InvalidCharacter { found });
        }
        // Only ASCII is left, so bytes are characters.
        if id.len() > CHARGE_POINT_ID_MAX_LEN {
            return Err(ChargePointIdError::TooLong {
                len: id.len(),
                max: CHARGE_POINT_ID_MAX_LEN,
            });
        }
        if id == "." || id == ".." {
            return Err(ChargePointIdError::DotsOnly);
        }
        Ok(ChargePointId(id.to_string()))
    }

    /// The ID as entered (trimmed), in its original case: what the station sends.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The key for deciding whether two charge point IDs name the same station: the ID in ASCII upper case,
    /// because OCPP identifiers are case-insensitive (`krn-cp-001` and `KRN-CP-001` clash).
    pub fn match_key(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

/// Shows the ID as entered.
impl fmt::Display for ChargePointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ChargePointId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<ChargePointId> for String {
    fn from(id: ChargePointId) -> String {
        id.0
    }
}

/// Runs [`ChargePointId::parse`].
impl TryFrom<String> for ChargePointId {
    type Error = ChargePointIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ChargePointId::parse(&s)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Station name
// ---------------------------------------------------------------------------------------------------------------

/// A charging station's display name, e.g. "Car park level -1, left": trimmed, 1 to 80 characters, a single line.
///
/// Built only by [`StationName::parse`]. Serialized as its string; deserialization runs `parse` again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct StationName(String);

/// Why a station name was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationNameError {
    /// Nothing was entered.
    #[error("Give the charging station a name, e.g. \"Car park level -1, left\".")]
    Empty,
    /// Longer than [`STATION_NAME_MAX_LEN`].
    #[error("A station name has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A line break, tab or other control character inside the name.
    #[error("A station name is a single line without tabs or invisible characters.")]
    ControlCharacter,
}

impl StationName {
    /// Validates a station name: trimmed, 1 to 80 characters, a single line without control characters.
    pub fn parse(input: &str) -> Result<StationName, StationNameError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(StationNameError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(StationNameError::ControlCharacter);
        }
        let len = name.chars().count();
        if len > STATION_NAME_MAX_LEN {
            return Err(StationNameError::TooLong {
                len,
                max: STATION_NAME_MAX_LEN,
            });
        }
        Ok(StationName(name.to_string()))
    }

    /// The validated, trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Shows the name.
impl fmt::Display for StationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StationName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<StationName> for String {
    fn from(name: StationName) -> String {
        name.0
    }
}

/// Runs [`StationName::parse`].
impl TryFrom<String> for StationName {
    type Error = StationNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StationName::parse(&s)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Station password
// ---------------------------------------------------------------------------------------------------------------

/// The password a station logs in with under OCPP security profile 1 or 2: its AuthorizationKey, sent as the HTTP
/// Basic password next to the charge point ID. 16 to 40 printable ASCII characters, no `:`, no space at either
/// end; kept exactly as typed.
///
/// Deliberately not `Serialize`; `Debug` and `Display` print `[redacted]`, and its errors name positions, never
/// characters. Use [`StationPassword::as_str`] to hash or configure it. Deserializing runs
/// [`StationPassword::parse`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct StationPassword(String);

/// Why a station password was refused. The Display text is shown next to the field; it never repeats the
/// password or any of its characters.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationPasswordError {
    /// Shorter than [`STATION_PASSWORD_MIN_LEN`].
    #[error(
        "A station password (OCPP AuthorizationKey) has at least {min} characters; this one has {len}. Use a \
         long random value and enter the same one in the charging station."
    )]
    TooShort {
        /// The number of characters entered.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Longer than [`STATION_PASSWORD_MAX_LEN`].
    #[error(
        "A station password (OCPP AuthorizationKey) has at most {max} characters; this one has {len}. Many \
         charging stations cannot store a longer one."
    )]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A character outside printable ASCII: accented letters, symbols outside a US keyboard, tabs, line breaks.
    #[error(
        "Character {position} of the station password is not a plain keyboard character. Use only letters A-Z, \
         digits and the punctuation of a US keyboard: charging stations send the password in HTTP Basic \
         authentication, which only carries these reliably."
    )]
    NotPrintableAscii {
        /// The 1-based position of the first offending character.
        position: usize,
    },
    /// A colon.
    #[error(
        "Character {position} of the station password is a colon (:), which a station password cannot contain: \
         HTTP Basic authentication joins the charge point ID and the password with a colon, and some charging \
         stations and servers split them at the wrong one."
    )]
    Colon {
        /// The 1-based position of the first colon.
        position: usize,
    },
    /// A space as first or last character.
    #[error(
        "The station password starts or ends with a space. Remove it: station configuration tools often drop \
         such spaces, and the station could then no longer log in."
    )]
    SurroundingSpace,
}

impl StationPassword {
    /// Validates a station password: 16 to 40 printable ASCII characters (space to `~`), no colon, no space at
    /// either end. Not trimmed: every character typed is part of the password.
    pub fn parse(input: &str) -> Result<StationPassword, StationPasswordError> {
        for (index, c) in input.chars().enumerate() {
            let position = index + 1;
            if !(c == ' ' || c.is_ascii_graphic()) {
                return Err(StationPasswordError::NotPrintableAscii { position });
            }
            if c == ':' {
                return Err(StationPasswordError::Colon { position });
            }
        }
        // Only ASCII is left, so bytes are characters.
        let len = input.len();
        if len < STATION_PASSWORD_MIN_LEN {
            return Err(StationPasswordError::TooShort {
                len,
                min: STATION_PASSWORD_MIN_LEN,
            });
        }
        if len > STATION_PASSWORD_MAX_LEN {
            return Err(StationPasswordError::TooLong {
                len,
                max: STATION_PASSWORD_MAX_LEN,
            });
        }
        if input.starts_with(' ') || input.ends_with(' ') {
            return Err(StationPasswordError::SurroundingSpace);
        }
        Ok(StationPassword(input.to_string()))
    }

    /// The password, to hash it or show it once to the installer who configures the station.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The password as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Never shows the password.
impl fmt::Debug for StationPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StationPassword([redacted])")
    }
}

/// Never shows the password; prints `[redacted]`.
impl fmt::Display for StationPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Runs [`StationPassword::parse`].
impl TryFrom<String> for StationPassword {
    type Error = StationPasswordError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StationPassword::parse(&s)
    }
}

/// The characters of a generated station password: letters and digits without those that are easily mistaken
/// for one another when read off a screen and typed into a station's configuration tool (`0 O o 1 l I i`), and
/// nothing that needs quoting in a shell, a URL or a configuration file (in particular no `:`).
pub const GENERATED_PASSWORD_ALPHABET: &str =
    "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
/// The length of a generated station password: 24 characters of [`GENERATED_PASSWORD_ALPHABET`] are about 138
/// bits, and fit every station's AuthorizationKey field ([`STATION_PASSWORD_MAX_LEN`]).
pub const GENERATED_PASSWORD_LEN: usize = 24;

impl StationPassword {
    /// A station password made of [`GENERATED_PASSWORD_LEN`] characters picked by `pick`, which is given the
    /// alphabet's size `n` and must return a uniformly random index below `n` (the server passes its
    /// cryptographic random number generator; this crate has none, because it also runs in the browser).
    pub fn generate(mut pick: impl FnMut(usize) -> usize) -> StationPassword {
        let alphabet = GENERATED_PASSWORD_ALPHABET.as_bytes();
        let password: String = (0..GENERATED_PASSWORD_LEN)
            .map(|_| char::from(alphabet[pick(alphabet.len()) % alphabet.len()]))
            .collect();
        // Letters and digits only, 24 of them: always a valid station password.
        StationPassword(password)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Unauthenticated connections
// ---------------------------------------------------------------------------------------------------------------

/// Who recorded that a station may connect without a password, for stations that already had none when passwords
/// became required (the database migration that introduced the choice records it under this name).
pub const ALLOWED_BY_MIGRATION: &str = "Database migration";

/// The explicit choice that a station may connect without a password (OCPP security profile 0): only sensible on
/// a closed network, because anyone who can reach the OCPP URL can then connect as the station. Without it a
/// station must log in with its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnauthenticatedAllowed {
    /// When the choice was made.
    pub since: crate::time::Timestamp,
    /// Who made it: a user's name at the time, "Command line", or [`ALLOWED_BY_MIGRATION`].
    pub by: String,
}

impl UnauthenticatedAllowed {
    /// Whether the choice was recorded by the migration for a station that had no password before passwords
    /// became required (rather than made by someone).
    pub fn by_migration(&self) -> bool {
        self.by == ALLOWED_BY_MIGRATION
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Access mode
// ---------------------------------------------------------------------------------------------------------------

/// Which cards a charging station lets charge, and whether their sessions are settled.
///
/// Set per station, or as a default per organization that its sub-organizations' stations inherit; see
/// [`effective_access_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    /// Any card charges, without an authorization check; the sessions are never settled.
    Open,
    /// Only passes set to Whitelist charge, free of charge; every other card is refused.
    Whitelisting,
    /// Public charging: passes known as roaming are accepted and settled; the whitelist is ignored.
    Roaming,
    /// Whitelisted passes charge free of charge; roaming passes are accepted and settled.
    RoamingAndWhitelisting,
}

impl AccessMode {
    /// Every mode, in the order the UI offers them.
    pub const ALL: [AccessMode; 4] = [
        AccessMode::Open,
        AccessMode::Whitelisting,
        AccessMode::Roaming,
        AccessMode::RoamingAndWhitelisting,
    ];

    /// The stored name: "open", "whitelisting", "roaming" or "roaming_and_whitelisting" (the same as the serde
    /// representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Whitelisting => "whitelisting",
            Self::Roaming => "roaming",
            Self::RoamingAndWhitelisting => "roaming_and_whitelisting",
        }
    }

    /// The mode with the given stored name ([`AccessMode::as_str`]), if any.
    pub fn parse(s: &str) -> Option<AccessMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The name the UI shows: "Open", "Whitelisting", "Roaming" or "Roaming + whitelisting".
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Whitelisting => "Whitelisting",
            Self::Roaming => "Roaming",
            Self::RoamingAndWhitelisting => "Roaming + whitelisting",
        }
    }

    /// One or two sentences explaining the mode, shown next to the choice.
    pub fn description(self) -> &'static str {
        match self {
            Self::Open => {
                "Any card charges: there is no authorization check, and the sessions are never settled."
            }
            Self::Whitelisting => {
                "Only passes set to Whitelist are accepted, and they charge free of charge. Every other card is \
                 refused."
            }
            Self::Roaming => {
                "Public charging: passes known as roaming are accepted and their sessions are settled. The \
                 whitelist is ignored."
            }
            Self::RoamingAndWhitelisting => {
                "Whitelisted passes charge free of charge; roaming passes are accepted and their sessions are \
                 settled."
            }
        }
    }
}

/// Shows the label.
impl fmt::Display for AccessMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The access mode a station actually uses.
///
/// `org_defaults` holds the access-mode defaults of the station's organization followed by its ancestors up to
/// the root (nearest first, the same order as an ancestry in [`crate::access`]); `None` where an organization set
/// none. The station's own override wins, else the nearest organization default, else
/// [`AccessMode::Whitelisting`].
///
/// Whitelisting is the fallback because it is the safe default for a whitelist platform: nothing is settled by
/// surprise (Roaming would charge cardholders who expect to charge free) and unknown cards are refused (Open would
/// let anyone charge on the station owner's electricity).
pub fn effective_access_mode(
    station_override: Option<AccessMode>,
    org_defaults: &[Option<AccessMode>],
) -> AccessMode {
    station_override
        .or_else(|| org_defaults.iter().flatten().next().copied())
        .unwrap_or(AccessMode::Whitelisting)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_charge_point_ids() {
        // (input, stored, match key)
        let cases = [
            ("KRN-CP-001", "KRN-CP-001", "KRN-CP-001"),
            ("  krn-cp-001\t", "krn-cp-001", "KRN-CP-001"),
            ("Alfen_123.4", "Alfen_123.4", "ALFEN_123.4"),
            (
                "EVB-P2045*01+a@site:2",
                "EVB-P2045*01+a@site:2",
                "EVB-P2045*01+A@SITE:2",
            ),
            ("X", "X", "X"),
            ("...", "...", "..."),
            (".hidden", ".hidden", ".HIDDEN"),
        ];
        for (input, stored, key) in cases {
            let id = ChargePointId::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(id.as_str(), stored, "{input:?}");
            assert_eq!(id.to_string(), stored, "{input:?}");
            assert_eq!(id.match_key(), key, "{input:?}");
            assert_eq!(id.clone().into_inner(), stored, "{input:?}");
        }
        let max = "a".repeat(48);
        assert_eq!(ChargePointId::parse(&max).unwrap().as_str(), max);
    }

    #[test]
    fn charge_point_id_case_is_kept_but_does_not_make_a_different_station() {
        let lower = ChargePointId::parse("krn-cp-001").unwrap();
        let upper = ChargePointId::parse("KRN-CP-001").unwrap();
        assert_ne!(lower, upper);
        assert_eq!(lower.match_key(), upper.match_key());
    }

    #[test]
    fn refuses_invalid_charge_point_ids() {
        let long = "A".repeat(49);
        let cases: &[(&str, ChargePointIdError)] = &[
            ("", ChargePointIdError::Empty),
            ("  \n", ChargePointIdError::Empty),
            (&long, ChargePointIdError::TooLong { len: 49, max: 48 }),
            (
                "KRN CP 001",
                ChargePointIdError::InvalidCharacter { found: ' ' },
            ),
            (
                "KRN\tCP",
                ChargePointIdError::InvalidCharacter { found: '\t' },
            ),
            (
                "ocpp/KRN-CP-001",
                ChargePointIdError::InvalidCharacter { found: '/' },
            ),
            (
                "KRN%20CP",
                ChargePointIdError::InvalidCharacter { found: '%' },
            ),
            (
                "Garage-Müller",
                ChargePointIdError::InvalidCharacter { found: 'ü' },
            ),
            ("CP#1", ChargePointIdError::InvalidCharacter { found: '#' }),
            (
                "CP?id=1",
                ChargePointIdError::InvalidCharacter { found: '?' },
            ),
            (
                "CP\\1",
                ChargePointIdError::InvalidCharacter { found: '\\' },
            ),
            (
                "CP\u{0}",
                ChargePointIdError::InvalidCharacter { found: '\u{0}' },
            ),
            (".", ChargePointIdError::DotsOnly),
            (" .. ", ChargePointIdError::DotsOnly),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ChargePointId::parse(input),
                Err(expected.clone()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn charge_point_id_messages_say_which_character_and_why() {
        // (offending character, what the message must contain)
        let cases: &[(char, &[&str])] = &[
            (' ', &["a space", "OCPP URL"]),
            ('/', &["\"/\"", "split the station's OCPP URL"]),
            (
                '%',
                &["\"%\"", "encoded character", "not receive the ID as typed"],
            ),
            ('ü', &["\"ü\"", "not a plain ASCII character"]),
            ('#', &["\"#\"", "OCPP URL"]),
            ('\u{7}', &["U+0007"]),
        ];
        for &(found, parts) in cases {
            let message = ChargePointIdError::InvalidCharacter { found }.to_string();
            for part in parts {
                assert!(message.contains(part), "{found:?}: {message}");
            }
            assert!(message.starts_with(
                "A charge point ID contains only letters A-Z, digits and - _ . : * + @;"
            ));
            assert!(
                message.contains("exactly as it is configured in the charging station"),
                "{message}"
            );
        }
    }

    #[test]
    fn charge_point_id_serde_uses_the_string_and_revalidates() {
        let id = ChargePointId::parse(" KRN-cp-001 ").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"KRN-cp-001\"");
        assert_eq!(serde_json::from_str::<ChargePointId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ChargePointId>("\"KRN/CP\"").is_err());
        assert!(serde_json::from_str::<ChargePointId>("\"\"").is_err());
    }

    #[test]
    fn station_names() {
        let ok = [
            ("Car park level -1, left", "Car park level -1, left"),
            ("  Laadpaal Zuid ", "Laadpaal Zuid"),
            ("Ä", "Ä"),
        ];
        for (input, expected) in ok {
            let name = StationName::parse(input).unwrap();
            assert_eq!(name.as_str(), expected);
            assert_eq!(name.to_string(), expected);
        }
        assert!(StationName::parse(&"é".repeat(80)).is_ok());
        let long = "x".repeat(81);
        let cases: &[(&str, StationNameError)] = &[
            ("", StationNameError::Empty),
            (" \t ", StationNameError::Empty),
            (&long, StationNameError::TooLong { len: 81, max: 80 }),
            ("Left\nRight", StationNameError::ControlCharacter),
            ("Left\tRight", StationNameError::ControlCharacter),
            ("Zuid\u{1b}[31m", StationNameError::ControlCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(
                StationName::parse(input),
                Err(expected.clone()),
                "{input:?}"
            );
        }
        let name = StationName::parse("Laadpaal Zuid").unwrap();
        let json = serde_json::to_string(&name).unwrap();
        assert_eq!(json, "\"Laadpaal Zuid\"");
        assert_eq!(serde_json::from_str::<StationName>(&json).unwrap(), name);
        assert!(serde_json::from_str::<StationName>("\" \"").is_err());
    }

    #[test]
    fn station_passwords() {
        let ok = [
            "0123456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF01234567",
            "correct horse battery staple",
            "!#$%&'()*+,-./;<=>?@[\\]^_`{|}~",
        ];
        for input in ok {
            let pw = StationPassword::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(pw.as_str(), input);
        }
        let cases: &[(&str, StationPasswordError)] = &[
            ("", StationPasswordError::TooShort { len: 0, min: 16 }),
            (
                "0123456789abcde",
                StationPasswordError::TooShort { len: 15, min: 16 },
            ),
            (
                "0123456789ABCDEF0123456789ABCDEF012345678",
                StationPasswordError::TooLong { len: 41, max: 40 },
            ),
            (
                "0123456789:abcdef",
                StationPasswordError::Colon { position: 11 },
            ),
            (
                "wachtwoord-één-twee",
                StationPasswordError::NotPrintableAscii { position: 12 },
            ),
            (
                "0123456789abcdef\n",
                StationPasswordError::NotPrintableAscii { position: 17 },
            ),
            (
                "0123\t456789abcdef",
                StationPasswordError::NotPrintableAscii { position: 5 },
            ),
            (" 0123456789abcdef", StationPasswordError::SurroundingSpace),
            ("0123456789abcdef ", StationPasswordError::SurroundingSpace),
        ];
        for (input, expected) in cases {
            assert_eq!(
                StationPassword::parse(input),
                Err(expected.clone()),
                "{input:?}"
            );
        }
        let colon = StationPasswordError::Colon { position: 11 }.to_string();
        assert!(colon.contains("HTTP Basic"), "{colon}");
        assert!(
            colon.contains("character 11") || colon.contains("Character 11"),
            "{colon}"
        );
    }

    #[test]
    fn station_password_never_prints_its_value() {
        let secret = "s3cret-Station-Key-42";
        let pw = StationPassword::parse(secret).unwrap();
        assert!(!format!("{pw:?}").contains("s3cret"));
        assert!(!format!("{pw}").contains("s3cret"));
        assert!(!format!("{:?}", Some(pw.clone())).contains("s3cret"));
        assert_eq!(pw.clone().into_inner(), secret);
        // Deserializing validates; errors name positions, never the characters.
        let json = format!("\"{secret}\"");
        assert_eq!(serde_json::from_str::<StationPassword>(&json).unwrap(), pw);
        assert!(serde_json::from_str::<StationPassword>("\"short\"").is_err());
        let err = StationPassword::parse("abcdefgh:ijklmnopq").unwrap_err();
        assert!(!format!("{err:?} {err}").contains("abcdefgh"));
        let err = StationPassword::parse("abcdefghijklmnopqé").unwrap_err();
        assert!(!format!("{err:?} {err}").contains('é'));
    }

    #[test]
    fn generated_station_passwords_are_valid_unambiguous_and_use_the_random_picks() {
        for c in "0Oo1lIi:".chars() {
            assert!(!GENERATED_PASSWORD_ALPHABET.contains(c), "{c:?}");
        }
        assert!(GENERATED_PASSWORD_ALPHABET
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
        let n = GENERATED_PASSWORD_ALPHABET.len();
        // Every index of the alphabet appears, in the order picked.
        let mut next = 0;
        let pw = StationPassword::generate(|len| {
            assert_eq!(len, n);
            next += 1;
            (next - 1) * 7 % len
        });
        assert_eq!(pw.as_str().len(), GENERATED_PASSWORD_LEN);
        assert_eq!(StationPassword::parse(pw.as_str()), Ok(pw.clone()));
        let expected: String = (0..GENERATED_PASSWORD_LEN)
            .map(|i| GENERATED_PASSWORD_ALPHABET.as_bytes()[i * 7 % n] as char)
            .collect();
        assert_eq!(pw.as_str(), expected);
        // An out-of-range pick cannot produce an invalid character.
        let pw = StationPassword::generate(|len| len + 3);
        assert!(StationPassword::parse(pw.as_str()).is_ok());
        assert!(
            (STATION_PASSWORD_MIN_LEN..=STATION_PASSWORD_MAX_LEN).contains(&GENERATED_PASSWORD_LEN)
        );
    }

    #[test]
    fn unauthenticated_allowed_says_whether_the_migration_recorded_it() {
        let by_user = UnauthenticatedAllowed {
            since: crate::time::Timestamp(1),
            by: "Eva Visser".into(),
        };
        assert!(!by_user.by_migration());
        let migrated = UnauthenticatedAllowed {
            since: crate::time::Timestamp(1),
            by: ALLOWED_BY_MIGRATION.into(),
        };
        assert!(migrated.by_migration());
    }

    #[test]
    fn error_messages_are_sentences() {
        let messages = [
            ChargePointIdError::Empty.to_string(),
            ChargePointIdError::TooLong { len: 49, max: 48 }.to_string(),
            ChargePointIdError::InvalidCharacter { found: '/' }.to_string(),
            ChargePointIdError::InvalidCharacter { found: 'é' }.to_string(),
            ChargePointIdError::DotsOnly.to_string(),
            StationNameError::Empty.to_string(),
            StationNameError::TooLong { len: 81, max: 80 }.to_string(),
            StationNameError::ControlCharacter.to_string(),
            StationPasswordError::TooShort { len: 3, min: 16 }.to_string(),
            StationPasswordError::TooLong { len: 41, max: 40 }.to_string(),
            StationPasswordError::NotPrintableAscii { position: 2 }.to_string(),
            StationPasswordError::Colon { position: 2 }.to_string(),
            StationPasswordError::SurroundingSpace.to_string(),
        ];
        for m in messages {
            assert!(m.ends_with('.'), "{m}");
            assert!(m.chars().next().unwrap().is_uppercase(), "{m}");
        }
    }

    #[test]
    fn access_modes_round_trip_through_their_stored_names() {
        // (mode, stored name, label)
        let table = [
            (AccessMode::Open, "open", "Open"),
            (AccessMode::Whitelisting, "whitelisting", "Whitelisting"),
            (AccessMode::Roaming, "roaming", "Roaming"),
            (
                AccessMode::RoamingAndWhitelisting,
                "roaming_and_whitelisting",
                "Roaming + whitelisting",
            ),
        ];
        assert_eq!(AccessMode::ALL.len(), table.len());
        for (i, (mode, name, label)) in table.into_iter().enumerate() {
            assert_eq!(AccessMode::ALL[i], mode);
            assert_eq!(mode.as_str(), name);
            assert_eq!(AccessMode::parse(name), Some(mode));
            assert_eq!(mode.label(), label);
            assert_eq!(mode.to_string(), label);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<AccessMode>(&json).unwrap(), mode);
            assert!(mode.description().ends_with('.'), "{mode:?}");
        }
        assert_eq!(AccessMode::parse("Open"), None);
        assert_eq!(AccessMode::parse("whitelist"), None);
    }

    #[test]
    fn access_mode_descriptions() {
        // (mode, what the description must say)
        let table: [(AccessMode, &[&str]); 4] = [
            (
                AccessMode::Open,
                &[
                    "Any card charges",
                    "no authorization check",
                    "never settled",
                ],
            ),
            (
                AccessMode::Whitelisting,
                &[
                    "Only passes set to Whitelist",
                    "free",
                    "Every other card is refused",
                ],
            ),
            (
                AccessMode::Roaming,
                &[
                    "Public charging",
                    "roaming are accepted",
                    "settled",
                    "whitelist is ignored",
                ],
            ),
            (
                AccessMode::RoamingAndWhitelisting,
                &[
                    "Whitelisted passes charge free",
                    "roaming passes are accepted",
                    "settled",
                ],
            ),
        ];
        for (mode, parts) in table {
            for part in parts {
                assert!(mode.description().contains(part), "{mode:?}: {part}");
            }
        }
    }

    #[test]
    fn effective_access_mode_takes_the_nearest_setting() {
        use AccessMode::*;
        // (station override, organization defaults nearest first, expected)
        type Row = (
            Option<AccessMode>,
            &'static [Option<AccessMode>],
            AccessMode,
        );
        let table: &[Row] = &[
            // Nothing set anywhere: the safe default.
            (None, &[], Whitelisting),
            (None, &[None, None, None], Whitelisting),
            // The station's own setting wins over every organization.
            (
                Some(Open),
                &[Some(Roaming), Some(RoamingAndWhitelisting)],
                Open,
            ),
            (Some(Roaming), &[], Roaming),
            // Otherwise the station's own organization ...
            (None, &[Some(Roaming), Some(Open)], Roaming),
            // ... else the nearest ancestor that set one.
            (
                None,
                &[None, Some(RoamingAndWhitelisting), Some(Open)],
                RoamingAndWhitelisting,
            ),
            (None, &[None, None, Some(Open)], Open),
        ];
        for &(station, orgs, expected) in table {
            assert_eq!(
                effective_access_mode(station, orgs),
                expected,
                "{station:?} {orgs:?}"
            );
        }
    }
}
