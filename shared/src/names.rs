//! Free-text fields: e-mail addresses, person names, pass nicknames, organization names and new passwords.
//!
//! Each is a newtype whose only constructor is `parse`; its error's Display text is shown next to the form field.
//! The non-secret types serialize as plain strings and run `parse` again when deserialized, so a value can never
//! bypass the rules. [`Password`] does not serialize at all and never prints its value.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The most characters an e-mail address may have.
pub const EMAIL_MAX_LEN: usize = 254;
/// The most characters the part before the `@` may have.
pub const EMAIL_LOCAL_MAX_LEN: usize = 64;
/// The most characters of a first or last name.
pub const PERSON_NAME_MAX_LEN: usize = 100;
/// The most characters of a pass nickname.
pub const NICKNAME_MAX_LEN: usize = 50;
/// The fewest characters of an organization name.
pub const ORG_NAME_MIN_LEN: usize = 2;
/// The most characters of an organization name.
pub const ORG_NAME_MAX_LEN: usize = 100;
/// The fewest characters of a new password.
pub const PASSWORD_MIN_LEN: usize = 10;
/// The most characters of a new password.
pub const PASSWORD_MAX_LEN: usize = 128;

/// `as_str`, `into_inner`, `AsRef<str>` and `TryFrom<String>` (running `parse`) for a string newtype.
macro_rules! string_newtype {
    ($name:ident, $error:ty) => {
        impl $name {
            /// The validated, normalised value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The validated, normalised value as an owned string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Runs `parse`.
        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
    };
}

/// Additionally `Display` and `From<Self> for String`, for the values that are not secret.
macro_rules! public_string_newtype {
    ($name:ident, $error:ty) => {
        string_newtype!($name, $error);

        /// Shows the value.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// Control characters that are not ordinary whitespace (tabs and line breaks are handled by trimming or
/// collapsing where the field allows them).
fn has_control_char(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !c.is_whitespace())
}

// ---------------------------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------------------------

/// An e-mail address, trimmed and lower-cased: `name@example.com`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Email(String);

/// Why an e-mail address was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailError {
    /// Nothing was entered.
    #[error("Enter an e-mail address like name@example.com.")]
    Empty,
    /// Whitespace inside the address.
    #[error("An e-mail address cannot contain spaces. Enter it like name@example.com.")]
    ContainsSpace,
    /// No `@`.
    #[error("Enter an e-mail address like name@example.com; this one has no @.")]
    MissingAt,
    /// More than one `@`, e.g. two addresses.
    #[error("Enter a single e-mail address like name@example.com; this one has more than one @.")]
    MultipleAt,
    /// Nothing before the `@`.
    #[error("Enter the part before the @ too, like name@example.com.")]
    EmptyLocalPart,
    /// The part before the `@` is longer than [`EMAIL_LOCAL_MAX_LEN`].
    #[error("The part before the @ can have at most {max} characters; this one has {len}.")]
    LocalPartTooLong {
        /// The number of characters before the `@`.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A character that e-mail addresses do not use before the `@`.
    #[error(
        "The character \"{found}\" cannot be used in an e-mail address. Enter it like name@example.com."
    )]
    InvalidCharacter {
        /// The first offending character.
        found: char,
    },
    /// A dot at the start or end of the part before the `@`, or two dots in a row.
    #[error(
        "The part before the @ cannot start or end with a dot or contain two dots in a row. Enter the address \
         like name@example.com."
    )]
    MisplacedDot,
    /// The part after the `@` is not a domain name.
    #[error("After the @ comes a domain like example.com. Check the part after the @.")]
    InvalidDomain,
    /// Longer than [`EMAIL_MAX_LEN`].
    #[error("An e-mail address has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

impl Email {
    /// Validates an e-mail address: trimmed and lower-cased; exactly one `@`; a non-empty part before it of at
    /// most 64 characters (letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, dots not at either end nor doubled); a
    /// domain after it of at least two dot-separated labels of letters, digits and hyphens; no spaces; at most 254
    /// characters.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        let email = trimmed.to_lowercase();
        if email.chars().any(char::is_whitespace) {
            return Err(EmailError::ContainsSpace);
        }
        let len = char_count(&email);
        if len > EMAIL_MAX_LEN {
            return Err(EmailError::TooLong {
                len,
                max: EMAIL_MAX_LEN,
            });
        }
        let (local, domain) = match email.split_once('@') {
            None => return Err(EmailError::MissingAt),
            Some((_, domain)) if domain.contains('@') => return Err(EmailError::MultipleAt),
            Some(parts) => parts,
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocalPart);
        }
        let local_len = char_count(local);
        if local_len > EMAIL_LOCAL_MAX_LEN {
            return Err(EmailError::LocalPartTooLong {
                len: local_len,
                max: EMAIL_LOCAL_MAX_LEN,
            });
        }
        if let Some(found) = local
            .chars()
            .find(|&c| !(c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c)))
        {
            return Err(EmailError::InvalidCharacter { found });
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::MisplacedDot);
        }
        if !is_domain(domain) {
            return Err(EmailError::InvalidDomain);
        }
        Ok(Email(email))
    }
}

public_string_newtype!(Email, EmailError);

/// At least two labels of 1-63 letters, digits or hyphens (not at either end); the last one not all digits.
fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&char_count(label))
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && !labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------------------------------
// Person name
// ---------------------------------------------------------------------------------------------------------------

/// A first or last name: trimmed, inner whitespace collapsed to single spaces, 1-100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct PersonName(String);

/// Why a person's name was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameError {
    /// Nothing was entered.
    #[error("Enter a name.")]
    Empty,
    /// Longer than [`PERSON_NAME_MAX_LEN`].
    #[error("A name has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of characters after collapsing whitespace.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// An invisible control character, usually pasted along.
    #[error(
        "The name contains an invisible control character. Type the name instead of pasting it."
    )]
    ControlCharacter,
}

impl PersonName {
    /// Validates a first or last name: surrounding whitespace is removed and inner runs of whitespace become a
    /// single space; 1 to 100 characters; no control characters.
    pub fn parse(input: &str) -> Result<PersonName, NameError> {
        if has_control_char(input) {
            return Err(NameError::ControlCharacter);
        }
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        let len = char_count(&name);
        if len > PERSON_NAME_MAX_LEN {
            return Err(NameError::TooLong {
                len,
                max: PERSON_NAME_MAX_LEN,
            });
        }
        Ok(PersonName(name))
    }
}

public_string_newtype!(PersonName, NameError);

// ---------------------------------------------------------------------------------------------------------------
// Nickname
// ---------------------------------------------------------------------------------------------------------------

/// A pass's nickname, e.g. "Company car": trimmed, 1-50 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Nickname(String);

/// Why a nickname was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NicknameError {
    /// Nothing was entered; the nickname is required.
    #[error("Give the pass a nickname, e.g. \"Company car\" or \"Tag Jan\".")]
    Empty,
    /// Longer than [`NICKNAME_MAX_LEN`].
    #[error("A nickname has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A line break, tab or other control character inside the nickname.
    #[error("A nickname is a single line without tabs or invisible characters.")]
    ControlCharacter,
}

impl Nickname {
    /// Validates a pass nickname: trimmed, 1 to 50 characters, a single line without control characters.
    pub fn parse(input: &str) -> Result<Nickname, NicknameError> {
        let nickname = input.trim();
        if nickname.is_empty() {
            return Err(NicknameError::Empty);
        }
        if nickname.chars().any(char::is_control) {
            return Err(NicknameError::ControlCharacter);
        }
        let len = char_count(nickname);
        if len > NICKNAME_MAX_LEN {
            return Err(NicknameError::TooLong {
                len,
                max: NICKNAME_MAX_LEN,
            });
        }
        Ok(Nickname(nickname.to_string()))
    }
}

public_string_newtype!(Nickname, NicknameError);

// ---------------------------------------------------------------------------------------------------------------
// Organization name
// ---------------------------------------------------------------------------------------------------------------

/// An organization's name: trimmed, 2-100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct OrgName(String);

/// Why an organization name was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgNameError {
    /// Nothing was entered.
    #[error("Enter the organization's name.")]
    Empty,
    /// Shorter than [`ORG_NAME_MIN_LEN`].
    #[error("An organization name has at least {min} characters; this one has {len}.")]
    TooShort {
        /// The number of characters entered.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Longer than [`ORG_NAME_MAX_LEN`].
    #[error("An organization name has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A line break, tab or other control character inside the name.
    #[error("An organization name is a single line without tabs or invisible characters.")]
    ControlCharacter,
}

impl OrgName {
    /// Validates an organization name: trimmed, 2 to 100 characters, a single line without control characters.
    pub fn parse(input: &str) -> Result<OrgName, OrgNameError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(OrgNameError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(OrgNameError::ControlCharacter);
        }
        let len = char_count(name);
        if len < ORG_NAME_MIN_LEN {
            return Err(OrgNameError::TooShort {
                len,
                min: ORG_NAME_MIN_LEN,
            });
        }
        if len > ORG_NAME_MAX_LEN {
            return Err(OrgNameError::TooLong {
                len,
                max: ORG_NAME_MAX_LEN,
            });
        }
        Ok(OrgName(name.to_string()))
    }
}

public_string_newtype!(OrgName, OrgNameError);

// ---------------------------------------------------------------------------------------------------------------
// Password
// ---------------------------------------------------------------------------------------------------------------

/// A new password: 10-128 characters, not only whitespace, kept exactly as typed (not trimmed).
///
/// Deliberately not `Serialize`; `Debug` and `Display` print `[redacted]`. Use [`Password::as_str`] to hash it.
/// Deserializing runs [`Password::parse`], so only use it for new passwords, not for log-in.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

/// Why a new password was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordError {
    /// Shorter than [`PASSWORD_MIN_LEN`].
    #[error(
        "Choose a password of at least {min} characters; this one has {len}. A few unrelated words make a \
         strong password that is easy to remember."
    )]
    TooShort {
        /// The number of characters entered.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Longer than [`PASSWORD_MAX_LEN`].
    #[error("A password has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// Only spaces or other whitespace.
    #[error("A password cannot consist of spaces only. Choose one of at least 10 characters.")]
    OnlyWhitespace,
}

impl Password {
    /// Validates a new password: 10 to 128 characters and not only whitespace. Not trimmed: every character
    /// typed is part of the password.
    pub fn parse(input: &str) -> Result<Password, PasswordError> {
        if !input.is_empty() && input.chars().all(char::is_whitespace) {
            return Err(PasswordError::OnlyWhitespace);
        }
        let len = char_count(input);
        if len < PASSWORD_MIN_LEN {
            return Err(PasswordError::TooShort {
                len,
                min: PASSWORD_MIN_LEN,
            });
        }
        if len > PASSWORD_MAX_LEN {
            return Err(PasswordError::TooLong {
                len,
                max: PASSWORD_MAX_LEN,
            });
        }
        Ok(Password(input.to_string()))
    }
}

string_newtype!(Password, PasswordError);

/// Never shows the password.
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Never shows the password; prints `[redacted]`.
impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_emails() {
        let cases = [
            ("name@example.com", "name@example.com"),
            ("  Jan.de.Vries@Example.NL ", "jan.de.vries@example.nl"),
            ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
            ("o'brien@my-company.ie", "o'brien@my-company.ie"),
            ("jürgen@müller.de", "jürgen@müller.de"),
        ];
        for (input, expected) in cases {
            let email = Email::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(email.as_str(), expected);
            assert_eq!(email.to_string(), expected);
            assert_eq!(email.clone().into_inner(), expected);
        }
    }

    #[test]
    fn refuses_invalid_emails() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        let cases = [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("name example.com", EmailError::ContainsSpace),
            ("name @example.com", EmailError::ContainsSpace),
            ("name.example.com", EmailError::MissingAt),
            ("a@b@example.com", EmailError::MultipleAt),
            ("@example.com", EmailError::EmptyLocalPart),
            (
                &long_local,
                EmailError::LocalPartTooLong { len: 65, max: 64 },
            ),
            (
                "na,me@example.com",
                EmailError::InvalidCharacter { found: ',' },
            ),
            (
                "<name>@example.com",
                EmailError::InvalidCharacter { found: '<' },
            ),
            (".name@example.com", EmailError::MisplacedDot),
            ("name.@example.com", EmailError::MisplacedDot),
            ("na..me@example.com", EmailError::MisplacedDot),
            ("name@", EmailError::InvalidDomain),
            ("name@example", EmailError::InvalidDomain),
            ("name@example.", EmailError::InvalidDomain),
            ("name@.example.com", EmailError::InvalidDomain),
            ("name@exa_mple.com", EmailError::InvalidDomain),
            ("name@-example.com", EmailError::InvalidDomain),
            ("name@example-.com", EmailError::InvalidDomain),
            ("name@10.0.0.1", EmailError::InvalidDomain),
            (
                &long_total,
                EmailError::TooLong {
                    len: char_count(&long_total),
                    max: 254,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Email::parse(input), Err(expected), "{input:?}");
        }
        assert_eq!(
            EmailError::Empty.to_string(),
            "Enter an e-mail address like name@example.com."
        );
    }

    #[test]
    fn person_names_are_trimmed_and_collapsed() {
        let cases = [
            ("Jan", "Jan"),
            ("  Jan  ", "Jan"),
            ("van  der\tBerg", "van der Berg"),
            ("Zoë\n O'Neill-Ćorić", "Zoë O'Neill-Ćorić"),
        ];
        for (input, expected) in cases {
            assert_eq!(PersonName::parse(input).unwrap().as_str(), expected);
        }
        let max = "é".repeat(100);
        assert_eq!(PersonName::parse(&max).unwrap().as_str(), max);
    }

    #[test]
    fn refuses_invalid_person_names() {
        let long = "a".repeat(101);
        let cases = [
            ("", NameError::Empty),
            (" \t\n", NameError::Empty),
            (&long, NameError::TooLong { len: 101, max: 100 }),
            ("Jan\u{0}", NameError::ControlCharacter),
            ("Jan\u{1b}[31m", NameError::ControlCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(PersonName::parse(input), Err(expected), "{input:?}");
        }
        assert_eq!(NameError::Empty.to_string(), "Enter a name.");
    }

    #[test]
    fn nicknames() {
        assert_eq!(
            Nickname::parse("  Company car ").unwrap().as_str(),
            "Company car"
        );
        assert_eq!(Nickname::parse("X").unwrap().as_str(), "X");
        assert!(Nickname::parse(&"ß".repeat(50)).is_ok());
        let cases = [
            ("", NicknameError::Empty),
            ("   ", NicknameError::Empty),
            (
                &*"a".repeat(51),
                NicknameError::TooLong { len: 51, max: 50 },
            ),
            ("Tag\nJan", NicknameError::ControlCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(Nickname::parse(input), Err(expected), "{input:?}");
        }
        assert_eq!(
            NicknameError::Empty.to_string(),
            "Give the pass a nickname, e.g. \"Company car\" or \"Tag Jan\"."
        );
    }

    #[test]
    fn org_names() {
        assert_eq!(
            OrgName::parse(" VvE De Linde ").unwrap().as_str(),
            "VvE De Linde"
        );
        assert!(OrgName::parse("AB").is_ok());
        assert!(OrgName::parse(&"x".repeat(100)).is_ok());
        let cases = [
            ("", OrgNameError::Empty),
            ("  ", OrgNameError::Empty),
            (" A ", OrgNameError::TooShort { len: 1, min: 2 }),
            (
                &*"x".repeat(101),
                OrgNameError::TooLong { len: 101, max: 100 },
            ),
            ("Acme\tB.V.", OrgNameError::ControlCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(OrgName::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn passwords() {
        let ok = [
            "correcthorse",
            " leading and trailing spaces count ",
            "ünïcödé pässwörd",
        ];
        for input in ok {
            assert_eq!(Password::parse(input).unwrap().as_str(), input);
        }
        assert!(Password::parse(&"p".repeat(128)).is_ok());
        let cases = [
            ("", PasswordError::TooShort { len: 0, min: 10 }),
            ("short", PasswordError::TooShort { len: 5, min: 10 }),
            // 9 characters, 18 bytes: characters count, not bytes.
            ("ééééééééé", PasswordError::TooShort { len: 9, min: 10 }),
            (
                &*"p".repeat(129),
                PasswordError::TooLong { len: 129, max: 128 },
            ),
            ("            ", PasswordError::OnlyWhitespace),
            ("  ", PasswordError::OnlyWhitespace),
        ];
        for (input, expected) in cases {
            assert_eq!(Password::parse(input), Err(expected), "{input:?}");
        }
        assert!(PasswordError::TooShort { len: 5, min: 10 }
            .to_string()
            .contains("at least 10 characters"));
    }

    #[test]
    fn password_never_prints_its_value() {
        let pw = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{pw:?}").contains("hunter2"));
        assert!(!format!("{pw}").contains("hunter2"));
        assert!(!format!("{:?}", Some(pw.clone())).contains("hunter2"));
        assert_eq!(pw.into_inner(), "hunter2hunter2");
        // Deserializing validates.
        assert!(serde_json::from_str::<Password>("\"hunter2hunter2\"").is_ok());
        assert!(serde_json::from_str::<Password>("\"short\"").is_err());
    }

    #[test]
    fn serde_uses_plain_strings_and_revalidates() {
        let email = Email::parse("Name@Example.com").unwrap();
        assert_eq!(
            serde_json::to_string(&email).unwrap(),
            "\"name@example.com\""
        );
        assert_eq!(
            serde_json::from_str::<Email>("\"name@example.com\"").unwrap(),
            email
        );
        assert!(serde_json::from_str::<Email>("\"not an email\"").is_err());
        assert!(serde_json::from_str::<Nickname>("\"\"").is_err());
        assert!(serde_json::from_str::<OrgName>("\"A\"").is_err());
        let name = PersonName::parse("Jan  Jansen").unwrap();
        let json = serde_json::to_string(&name).unwrap();
        assert_eq!(json, "\"Jan Jansen\"");
        assert_eq!(serde_json::from_str::<PersonName>(&json).unwrap(), name);
    }

    #[test]
    fn error_messages_are_sentences() {
        let messages = [
            EmailError::Empty.to_string(),
            EmailError::ContainsSpace.to_string(),
            EmailError::MissingAt.to_string(),
            EmailError::MultipleAt.to_string(),
            EmailError::EmptyLocalPart.to_string(),
            EmailError::LocalPartTooLong { len: 65, max: 64 }.to_string(),
            EmailError::InvalidCharacter { found: ',' }.to_string(),
            EmailError::MisplacedDot.to_string(),
            EmailError::InvalidDomain.to_string(),
            EmailError::TooLong { len: 300, max: 254 }.to_string(),
            NameError::Empty.to_string(),
            NameError::TooLong { len: 101, max: 100 }.to_string(),
            NameError::ControlCharacter.to_string(),
            NicknameError::Empty.to_string(),
            NicknameError::TooLong { len: 51, max: 50 }.to_string(),
            NicknameError::ControlCharacter.to_string(),
            OrgNameError::Empty.to_string(),
            OrgNameError::TooShort { len: 1, min: 2 }.to_string(),
            OrgNameError::TooLong { len: 101, max: 100 }.to_string(),
            OrgNameError::ControlCharacter.to_string(),
            PasswordError::TooShort { len: 5, min: 10 }.to_string(),
            PasswordError::TooLong { len: 129, max: 128 }.to_string(),
            PasswordError::OnlyWhitespace.to_string(),
        ];
        for m in messages {
            assert!(m.ends_with('.'), "{m}");
            assert!(m.chars().next().unwrap().is_uppercase(), "{m}");
        }
    }
}
