//! An organization's billing details (issue #11, settlement): its legal name, address, EU VAT number and IBAN,
//! as its monthly credit statements print them. They are edited under Organization settings and checked here,
//! identically in the browser and on the server.
//!
//! - [`Iban`]: the account the organization's credit is paid out to. The ISO 13616 check digits and the
//!   country's length and layout (SWIFT's IBAN registry) are checked by the `iban_validate` crate.
//! - [`VatNumber`]: an EU VAT identification number, checked by its format only: the country prefix and that
//!   country's layout ([`VAT_FORMATS`]). Neither a country's own check digits nor whether the number is
//!   registered (a VIES lookup) are checked. Greece's prefix is `EL` (a typed `GR` is stored as `EL`);
//!   Northern Ireland's `XI` numbers are accepted for an address in GB.
//! - [`CountryCode`]: the country of the address, an ISO 3166-1 alpha-2 code.
//! - [`CustomerKind`]: a company (its statements carry VAT) or a private person (no VAT, no VAT number).
//! - [`BillingForm`]: what the form holds. [`BillingForm::parse`] turns it into [`BillingDetails`] or returns the
//!   error of every field at once ([`BillingError`]), so that the form shows each next to its field.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The most characters of a legal name.
pub const LEGAL_NAME_MAX_LEN: usize = 200;
/// The most characters of the address line (street and house number).
pub const ADDRESS_LINE_MAX_LEN: usize = 200;
/// The most characters of a postcode (the longest in use have about ten).
pub const POSTCODE_MAX_LEN: usize = 16;
/// The most characters of a city name.
pub const CITY_MAX_LEN: usize = 100;
/// The most characters of an IBAN (ISO 13616).
pub const IBAN_MAX_LEN: usize = 34;

/// An example IBAN, used in messages.
const IBAN_EXAMPLE: &str = "NL91 ABNA 0417 1643 00";

/// Names a character in a message so that invisible ones can be recognised too.
fn describe_char(c: char) -> String {
    match c {
        c if c.is_whitespace() => format!("the blank character U+{:04X}", c as u32),
        c if c.is_control() => format!("the invisible character U+{:04X}", c as u32),
        c => format!("\"{c}\""),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Country
// ---------------------------------------------------------------------------------------------------------------

/// The ISO 3166-1 alpha-2 codes officially assigned (249), and XK (Kosovo): user-assigned in ISO 3166, but the
/// code the EU and the IBAN registry use for Kosovo. Sorted.
const COUNTRY_CODES: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The 27 member states of the European Union, by their ISO 3166-1 code (Greece is GR here, EL in VAT numbers).
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A country, as its ISO 3166-1 alpha-2 code in upper case ("NL", "DE", "GB"); one of the assigned codes, or XK
/// for Kosovo.
///
/// Built only by [`CountryCode::parse`]. Serialized as its string; deserialization runs `parse` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct CountryCode(&'static str);

/// Why a country code was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CountryCodeError {
    /// Nothing was entered.
    #[error("Choose the country of the address.")]
    Empty,
    /// Not two letters.
    #[error("Enter the country as its two-letter code, e.g. NL, DE or BE.")]
    NotTwoLetters,
    /// Two letters that are no country's code.
    #[error(
        "There is no country with the code {code}: enter the country's two-letter code, e.g. NL, DE \
         or GB."
    )]
    Unassigned {
        /// The code entered, in upper case.
        code: String,
    },
}

impl CountryCode {
    /// Reads a country code: trimmed, any case ("nl" is NL), one of the assigned ISO 3166-1 alpha-2 codes.
    pub fn parse(input: &str) -> Result<CountryCode, CountryCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(CountryCodeError::Empty);
        }
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CountryCodeError::NotTwoLetters);
        }
        match COUNTRY_CODES.binary_search(&code.as_str()) {
            Ok(index) => Ok(CountryCode(COUNTRY_CODES[index])),
            Err(_) => Err(CountryCodeError::Unassigned { code }),
        }
    }

    /// The code: two upper-case letters.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Whether the country is a member state of the European Union ([`EU_MEMBER_STATES`]).
    pub fn is_eu_member(self) -> bool {
        EU_MEMBER_STATES.contains(&self.0)
    }
}

/// Shows the code.
impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> String {
        value.0.to_string()
    }
}

/// Runs `parse`.
impl TryFrom<String> for CountryCode {
    type Error = CountryCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

/// Runs `parse` (written out: the derived impl would only read `'static` input, for the `&'static str` inside).
impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// IBAN
// ---------------------------------------------------------------------------------------------------------------

/// An International Bank Account Number, stored compact and upper case ("NL91ABNA0417164300"); shown in groups
/// of four as statements print it ("NL91 ABNA 0417 1643 00").
///
/// Its check digits (ISO 13616, mod 97) and its country's length and layout (SWIFT's IBAN registry) are checked
/// by the `iban_validate` crate. Built only by [`Iban::parse`]. Serialized as its compact string;
/// deserialization runs `parse` again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Iban(String);

/// Why an IBAN was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IbanError {
    /// Nothing was entered.
    #[error("Enter the IBAN, e.g. {IBAN_EXAMPLE}.")]
    Empty,
    /// A character other than a letter, a digit or a space.
    #[error("An IBAN has only letters and digits: remove {}.", describe_char(*.found))]
    InvalidCharacter {
        /// The first offending character.
        found: char,
    },
    /// Does not start with two letters (the country) and two digits (the check digits).
    #[error(
        "An IBAN starts with the country's two-letter code and two check digits, e.g. {IBAN_EXAMPLE}."
    )]
    NoCountryAndCheckDigits,
    /// Longer than [`IBAN_MAX_LEN`].
    #[error("An IBAN has at most {max} characters; this one has {len}.")]
    TooLong {
        /// The number of letters and digits entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The first two letters are not a country that has IBANs.
    #[error(
        "There are no IBANs starting with {country}: check the first two letters, the country's code (e.g. NL \
         or DE)."
    )]
    UnknownCountry {
        /// The first two letters.
        country: String,
    },
    /// Not the length of the country's IBANs (or letters where the country's have digits, or the reverse).
    #[error(
        "An IBAN starting with {country} does not have {len} characters or this layout: check for a missing, \
         extra or mistyped character."
    )]
    WrongLengthForCountry {
        /// The first two letters.
        country: String,
        /// The number of letters and digits entered.
        len: usize,
    },
    /// The check digits (the third and fourth characters) do not match the rest: a typing error.
    #[error("The IBAN's check digits do not match: check for a typing error.")]
    CheckDigits,
}

impl Iban {
    /// Reads an IBAN as people type it: spaces anywhere and lower case are accepted. Refused, in this order: no
    /// input, a character other than letters and digits, no country code and check digits at the start, more
    /// than 34 characters, a country without IBANs, a length or layout that is not the country's, check digits
    /// that do not match.
    pub fn parse(input: &str) -> Result<Iban, IbanError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(IbanError::Empty);
        }
        if let Some(found) = compact.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(IbanError::InvalidCharacter { found });
        }
        // Only ASCII is left, so bytes are characters.
        let bytes = compact.as_bytes();
        if bytes.len() < 4
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
        {
            return Err(IbanError::NoCountryAndCheckDigits);
        }
        if compact.len() > IBAN_MAX_LEN {
            return Err(IbanError::TooLong {
                len: compact.len(),
                max: IBAN_MAX_LEN,
            });
        }
        match compact.parse::<iban::Iban>() {
            Ok(_) => Ok(Iban(compact)),
            Err(error) => Err(Self::diagnose(&compact, error)),
        }
    }

    /// The error to show for `compact`, which the crate refused with `error`.
    ///
    /// The crate compares the check digits before it looks at the country, so a missing character is reported
    /// as a check digit mismatch. Asking it again about the same IBAN with the check digits that would match
    /// tells whether the country or the length is the mistake to point at.
    fn diagnose(compact: &str, error: iban::ParseIbanError) -> IbanError {
        use iban::{ParseBaseIbanError, ParseIbanError};
        let country = compact[..2].to_string();
        let len = compact.len();
        match error {
            ParseIbanError::UnknownCountry(_) => IbanError::UnknownCountry { country },
            ParseIbanError::InvalidBban(_) => IbanError::WrongLengthForCountry { country, len },
            ParseIbanError::InvalidBaseIban {
                source: ParseBaseIbanError::InvalidFormat,
            } => IbanError::NoCountryAndCheckDigits,
            ParseIbanError::InvalidBaseIban {
                source: ParseBaseIbanError::InvalidChecksum,
            } => match with_matching_check_digits(compact).parse::<iban::Iban>() {
                Err(ParseIbanError::UnknownCountry(_)) => IbanError::UnknownCountry { country },
                Err(ParseIbanError::InvalidBban(_)) => {
                    IbanError::WrongLengthForCountry { country, len }
                }
                _ => IbanError::CheckDigits,
            },
        }
    }

    /// The IBAN, compact and upper case: "NL91ABNA0417164300".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country the account is in: the first two letters.
    pub fn country_code(&self) -> &str {
        &self.0[..2]
    }
}

/// `compact` (an upper-case IBAN of letters and digits) with the check digits that match the rest (ISO 7064
/// mod 97-10: the remainder of the rearranged number with check digits 00, subtracted from 98).
fn with_matching_check_digits(compact: &str) -> String {
    let (country, bban) = (&compact[..2], &compact[4..]);
    let remainder = bban
        .bytes()
        .chain(country.bytes())
        .chain(*b"00")
        .fold(0_u32, |acc, c| {
            if c.is_ascii_digit() {
                (acc * 10 + u32::from(c - b'0')) % 97
            } else {
                (acc * 100 + u32::from(c - b'A') + 10) % 97
            }
        });
    format!("{country}{:02}{bban}", 98 - remainder)
}

/// Groups of four, as printed on statements: "NL91 ABNA 0417 1643 00".
impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            // Only ASCII letters and digits: every group is a str.
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl From<Iban> for String {
    fn from(value: Iban) -> String {
        value.0
    }
}

/// Runs `parse`.
impl TryFrom<String> for Iban {
    type Error = IbanError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// VAT number
// ---------------------------------------------------------------------------------------------------------------

/// The format of the VAT numbers with one prefix, as the European Commission's VIES describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatFormat {
    /// The prefix: the country's ISO 3166-1 code, except EL for Greece and XI for Northern Ireland.
    pub prefix: &'static str,
    /// The country of an address with such a VAT number (ISO 3166-1): GR for EL, GB for XI.
    pub country: &'static str,
    /// The country's name in English, for messages: "the Netherlands".
    pub name: &'static str,
    /// What follows the prefix, in words: "9 digits, B and 2 digits".
    pub shape: &'static str,
    /// A made-up number of this format, prefix included: "NL123456789B01".
    pub example: &'static str,
    /// The layouts of what follows the prefix, one character each: `#` a digit, `@` a letter, `?` a letter or a
    /// digit, `%` a letter other than I and O or a digit, `~` a letter, a digit, `+` or `*`; any other character
    /// stands for itself.
    layouts: &'static [&'static str],
}

impl VatFormat {
    /// Whether `rest` (what follows the prefix, normalised) has one of the layouts.
    fn matches(&self, rest: &str) -> bool {
        self.layouts.iter().any(|layout| {
            layout.len() == rest.len()
                && layout.bytes().zip(rest.bytes()).all(|(l, c)| match l {
                    b'#' => c.is_ascii_digit(),
                    b'@' => c.is_ascii_uppercase(),
                    b'?' => c.is_ascii_uppercase() || c.is_ascii_digit(),
                    b'%' => {
                        (c.is_ascii_uppercase() || c.is_ascii_digit()) && c != b'I' && c != b'O'
                    }
                    b'~' => c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'+' || c == b'*',
                    literal => c == literal,
                })
        })
    }

    /// The format of the VAT numbers of `country`'s companies, for an EU member state.
    pub fn for_country(country: CountryCode) -> Option<&'static VatFormat> {
        if !country.is_eu_member() {
            return None;
        }
        VAT_FORMATS.iter().find(|f| f.country == country.as_str())
    }
}

/// `n` to `m` digits, as layouts.
const DIGITS_2_TO_10: &[&str] = &[
    "##",
    "###",
    "####",
    "#####",
    "######",
    "#######",
    "########",
    "#########",
    "##########",
];

/// The formats of the 27 member states' VAT numbers and of Northern Ireland's (XI), by prefix.
pub const VAT_FORMATS: &[VatFormat] = &[
    VatFormat {
        prefix: "AT",
        country: "AT",
        name: "Austria",
        shape: "U and 8 digits",
        example: "ATU12345678",
        layouts: &["U########"],
    },
    VatFormat {
        prefix: "BE",
        country: "BE",
        name: "Belgium",
        shape: "10 digits starting with 0 or 1",
        example: "BE0123456789",
        layouts: &["0#########", "1#########"],
    },
    VatFormat {
        prefix: "BG",
        country: "BG",
        name: "Bulgaria",
        shape: "9 or 10 digits",
        example: "BG123456789",
        layouts: &["#########", "##########"],
    },
    VatFormat {
        prefix: "CY",
        country: "CY",
        name: "Cyprus",
        shape: "8 digits and a letter",
        example: "CY12345678X",
        layouts: &["########@"],
    },
    VatFormat {
        prefix: "CZ",
        country: "CZ",
        name: "Czechia",
        shape: "8, 9 or 10 digits",
        example: "CZ12345678",
        layouts: &["########", "#########", "##########"],
    },
    VatFormat {
        prefix: "DE",
        country: "DE",
        name: "Germany",
        shape: "9 digits",
        example: "DE123456789",
        layouts: &["#########"],
    },
    VatFormat {
        prefix: "DK",
        country: "DK",
        name: "Denmark",
        shape: "8 digits",
        example: "DK12345678",
        layouts: &["########"],
    },
    VatFormat {
        prefix: "EE",
        country: "EE",
        name: "Estonia",
        shape: "9 digits",
        example: "EE123456789",
        layouts: &["#########"],
    },
    VatFormat {
        prefix: "EL",
        country: "GR",
        name: "Greece",
        shape: "9 digits",
        example: "EL123456789",
        layouts: &["#########"],
    },
    VatFormat {
        prefix: "ES",
        country: "ES",
        name: "Spain",
        shape: "a letter and 8 digits, 8 digits and a letter, or a letter, 7 digits and a letter",
        example: "ESB12345678",
        layouts: &["@########", "########@", "@#######@"],
    },
    VatFormat {
        prefix: "FI",
        country: "FI",
        name: "Finland",
        shape: "8 digits",
        example: "FI12345678",
        layouts: &["########"],
    },
    VatFormat {
        prefix: "FR",
        country: "FR",
        name: "France",
        shape: "2 letters or digits (not I or O) and 9 digits",
        example: "FR12345678901",
        layouts: &["%%#########"],
    },
    VatFormat {
        prefix: "HR",
        country: "HR",
        name: "Croatia",
        shape: "11 digits",
        example: "HR12345678901",
        layouts: &["###########"],
    },
    VatFormat {
        prefix: "HU",
        country: "HU",
        name: "Hungary",
        shape: "8 digits",
        example: "HU12345678",
        layouts: &["########"],
    },
    VatFormat {
        prefix: "IE",
        country: "IE",
        name: "Ireland",
        shape: "7 digits and 1 or 2 letters (older numbers: a digit, a letter, + or *, 5 digits and a letter)",
        example: "IE1234567T",
        layouts: &["#######@", "#######@@", "#~#####@"],
    },
    VatFormat {
        prefix: "IT",
        country: "IT",
        name: "Italy",
        shape: "11 digits",
        example: "IT12345678901",
        layouts: &["###########"],
    },
    VatFormat {
        prefix: "LT",
        country: "LT",
        name: "Lithuania",
        shape: "9 or 12 digits",
        example: "LT123456789",
        layouts: &["#########", "############"],
    },
    VatFormat {
        prefix: "LU",
        country: "LU",
        name: "Luxembourg",
        shape: "8 digits",
        example: "LU12345678",
        layouts: &["########"],
    },
    VatFormat {
        prefix: "LV",
        country: "LV",
        name: "Latvia",
        shape: "11 digits",
        example: "LV12345678901",
        layouts: &["###########"],
    },
    VatFormat {
        prefix: "MT",
        country: "MT",
        name: "Malta",
        shape: "8 digits",
        example: "MT12345678",
        layouts: &["########"],
    },
    VatFormat {
        prefix: "NL",
        country: "NL",
        name: "the Netherlands",
        shape: "9 digits, B and 2 digits",
        example: "NL123456789B01",
        layouts: &["#########B##"],
    },
    VatFormat {
        prefix: "PL",
        country: "PL",
        name: "Poland",
        shape: "10 digits",
        example: "PL1234567890",
        layouts: &["##########"],
    },
    VatFormat {
        prefix: "PT",
        country: "PT",
        name: "Portugal",
        shape: "9 digits",
        example: "PT123456789",
        layouts: &["#########"],
    },
    VatFormat {
        prefix: "RO",
        country: "RO",
        name: "Romania",
        shape: "2 to 10 digits",
        example: "RO1234567",
        layouts: DIGITS_2_TO_10,
    },
    VatFormat {
        prefix: "SE",
        country: "SE",
        name: "Sweden",
        shape: "12 digits",
        example: "SE123456789001",
        layouts: &["############"],
    },
    VatFormat {
        prefix: "SI",
        country: "SI",
        name: "Slovenia",
        shape: "8 digits",
        example: "SI12345678",
        layouts: &["########"],
    },
    VatFormat {
        prefix: "SK",
        country: "SK",
        name: "Slovakia",
        shape: "10 digits",
        example: "SK1234567890",
        layouts: &["##########"],
    },
    VatFormat {
        prefix: "XI",
        country: "GB",
        name: "Northern Ireland",
        shape: "9 or 12 digits, or GD or HA and 3 digits",
        example: "XI123456789",
        layouts: &["#########", "############", "GD###", "HA###"],
    },
];

/// An EU VAT identification number, stored compact and upper case with its prefix: "NL123456789B01".
///
/// Only its format is checked ([`VAT_FORMATS`]): neither the check digits some countries have nor whether it is
/// registered (the European Commission's VIES) are. Greece's prefix is EL; GR, its ISO code, is accepted as
/// typed and stored as EL. XI, Northern Ireland's prefix (its businesses trade goods with the EU under EU VAT
/// rules and are in VIES), is accepted and belongs to an address in GB; GB numbers are not EU VAT numbers.
///
/// Built only by [`VatNumber::parse`]. Serialized as its string; deserialization runs `parse` again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct VatNumber(String);

/// Why a VAT number was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VatNumberError {
    /// Nothing was entered.
    #[error("Enter the VAT number with its country prefix, e.g. NL123456789B01.")]
    Empty,
    /// A character that no VAT number has.
    #[error("A VAT number has only letters and digits: remove {}.", describe_char(*.found))]
    InvalidCharacter {
        /// The first offending character.
        found: char,
    },
    /// Does not start with two letters.
    #[error("Start the VAT number with its two-letter country prefix, e.g. NL123456789B01 or DE123456789.")]
    MissingPrefix,
    /// Two letters that are not an EU VAT number prefix.
    #[error(
        "{prefix} is not the prefix of an EU VAT number (Greece's is EL, Northern Ireland's XI). A company \
         outside the EU leaves the VAT number empty."
    )]
    UnknownPrefix {
        /// The first two letters.
        prefix: String,
    },
    /// Not the format of the prefix's country.
    #[error(
        "Enter a VAT number from {} as {} followed by {}, e.g. {}.",
        .format.name,
        .format.prefix,
        .format.shape,
        .format.example
    )]
    WrongFormat {
        /// The format it should have.
        format: &'static VatFormat,
    },
}

impl VatNumber {
    /// Reads a VAT number as people type it: spaces, dots and dashes are dropped, lower case is read as upper
    /// case, GR is read as EL. Then it must be a prefix of [`VAT_FORMATS`] followed by that country's format.
    pub fn parse(input: &str) -> Result<VatNumber, VatNumberError> {
        let compact: String = input
            .chars()
            .filter(|&c| !(c.is_whitespace() || c == '.' || c == '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(VatNumberError::Empty);
        }
        // `+` and `*` appear in old Irish numbers.
        if let Some(found) = compact
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '+' || c == '*'))
        {
            return Err(VatNumberError::InvalidCharacter { found });
        }
        // Only ASCII is left, so bytes are characters.
        if compact.len() < 2 || !compact.as_bytes()[..2].iter().all(u8::is_ascii_uppercase) {
            return Err(VatNumberError::MissingPrefix);
        }
        let (typed_prefix, rest) = compact.split_at(2);
        let prefix = if typed_prefix == "GR" {
            "EL"
        } else {
            typed_prefix
        };
        let Some(format) = VAT_FORMATS.iter().find(|f| f.prefix == prefix) else {
            return Err(VatNumberError::UnknownPrefix {
                prefix: prefix.to_string(),
            });
        };
        if !format.matches(rest) {
            return Err(VatNumberError::WrongFormat { format });
        }
        Ok(VatNumber(format!("{prefix}{rest}")))
    }

    /// The number, compact and upper case with its prefix: "NL123456789B01".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The format it has, which names its prefix and its country.
    pub fn format(&self) -> &'static VatFormat {
        VAT_FORMATS
            .iter()
            .find(|f| self.0.starts_with(f.prefix))
            .expect("a parsed VAT number starts with a known prefix")
    }

    /// The country of an address with this VAT number: the prefix's, GR for EL, GB for XI.
    pub fn country(&self) -> CountryCode {
        CountryCode::parse(self.format().country).expect("every VAT format's country is assigned")
    }
}

/// Shows the number as stored: "NL123456789B01".
impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<VatNumber> for String {
    fn from(value: VatNumber) -> String {
        value.0
    }
}

/// Runs `parse`.
impl TryFrom<String> for VatNumber {
    type Error = VatNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Customer kind
// ---------------------------------------------------------------------------------------------------------------

/// Whether an organization is billed as a company or as a private person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A company: its statements carry VAT; in the EU it has a VAT number.
    Company,
    /// A private person: no VAT on its statements, and no VAT number.
    PrivatePerson,
}

impl CustomerKind {
    /// Every kind, in the order the form offers them.
    pub const ALL: [CustomerKind; 2] = [CustomerKind::Company, CustomerKind::PrivatePerson];

    /// The stored name: "company" or "private_person" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::PrivatePerson => "private_person",
        }
    }

    /// The kind with the given stored name ([`CustomerKind::as_str`]), if any.
    pub fn parse(s: &str) -> Option<CustomerKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The name the form shows: "Company" or "Private person".
    pub fn label(self) -> &'static str {
        match self {
            Self::Company => "Company",
            Self::PrivatePerson => "Private person",
        }
    }

    /// Whether a statement for this customer carries VAT: a company's does, a private person's does not.
    pub fn vat_applies(self) -> bool {
        match self {
            Self::Company => true,
            Self::PrivatePerson => false,
        }
    }
}

/// Shows the label.
impl fmt::Display for CustomerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Billing details and their form
// ---------------------------------------------------------------------------------------------------------------

/// An organization's billing details, as its statements print them. Built by [`BillingForm::parse`]; the
/// newtypes run their `parse` again when deserialized, the free-text fields are taken as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDetails {
    /// A company or a private person.
    pub kind: CustomerKind,
    /// The company's registered name, or the person's full name: trimmed, 1–200 characters, one line.
    pub legal_name: String,
    /// Street and house number: trimmed, 1–200 characters, one line.
    pub address_line: String,
    /// Trimmed, 1–16 letters, digits, spaces and hyphens.
    pub postcode: String,
    /// Trimmed, 1–100 characters, one line.
    pub city: String,
    /// The country of the address.
    pub country: CountryCode,
    /// A company's EU VAT number: required for a company in the EU, never for a private person.
    pub vat_number: Option<VatNumber>,
    /// The account the organization's credit is paid out to. Optional: it is needed only to pay out.
    pub iban: Option<Iban>,
}

impl BillingDetails {
    /// Whether the organization's statements carry VAT ([`CustomerKind::vat_applies`]).
    pub fn vat_applies(&self) -> bool {
        self.kind.vat_applies()
    }

    /// The form's fields filled with these details, for editing them (the IBAN in groups of four).
    pub fn to_form(&self) -> BillingForm {
        BillingForm {
            kind: self.kind.as_str().to_string(),
            legal_name: self.legal_name.clone(),
            address_line: self.address_line.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            country: self.country.as_str().to_string(),
            vat_number: self
                .vat_number
                .as_ref()
                .map(|v| v.as_str().to_string())
                .unwrap_or_default(),
            iban: self
                .iban
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_default(),
        }
    }
}

/// The billing details form as typed: every field a string, an empty one meaning "not given". Each
/// [`BillingError::field`] is the name of one of these fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingForm {
    /// [`CustomerKind::as_str`]: "company" or "private_person".
    pub kind: String,
    /// The legal name.
    pub legal_name: String,
    /// Street and house number.
    pub address_line: String,
    /// The postcode.
    pub postcode: String,
    /// The city.
    pub city: String,
    /// The country's two-letter code.
    pub country: String,
    /// The VAT number, or empty.
    pub vat_number: String,
    /// The IBAN, or empty.
    pub iban: String,
}

/// Why a field of the billing details form was refused, for the field it names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct BillingError {
    /// The form field: the name of a [`BillingForm`] field.
    pub field: &'static str,
    /// What to do, in words.
    pub message: String,
}

impl BillingError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A required single-line text field: trimmed, 1 to `max` characters, no control characters. `what` names the
/// value in messages ("a postcode").
fn required_line(
    field: &'static str,
    input: &str,
    max: usize,
    empty: &str,
    what: &str,
    errors: &mut Vec<BillingError>,
) -> Option<String> {
    let text = input.trim();
    let error = if text.is_empty() {
        empty.to_string()
    } else if text.chars().any(char::is_control) {
        format!("Enter {what} on a single line, without tabs or invisible characters.")
    } else if text.chars().count() > max {
        format!(
            "Enter {what} of at most {max} characters; this one has {}.",
            text.chars().count()
        )
    } else {
        return Some(text.to_string());
    };
    errors.push(BillingError::new(field, error));
    None
}

impl BillingForm {
    /// Checks every field and returns the billing details, or the error of every field that is wrong, in the
    /// form's order (at most one per field):
    ///
    /// - the kind is "company" or "private_person";
    /// - the legal name, address line, postcode and city are given, on one line and not too long
    ///   ([`LEGAL_NAME_MAX_LEN`], [`ADDRESS_LINE_MAX_LEN`], [`POSTCODE_MAX_LEN`], [`CITY_MAX_LEN`]); a postcode
    ///   has only letters, digits, spaces and hyphens;
    /// - the country is an ISO 3166-1 alpha-2 code;
    /// - a company in an EU member state has a VAT number; a company's VAT number (if any) is from the country of
    ///   the address (EL for GR, XI for GB); a private person has none;
    /// - the IBAN is optional (it is needed only to pay out), and valid when given.
    pub fn parse(&self) -> Result<BillingDetails, Vec<BillingError>> {
        let mut errors = Vec::new();
        let kind = CustomerKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push(BillingError::new(
                "kind",
                "Choose whether the organization is billed as a company or as a private person.",
            ));
        }
        let legal_name = required_line(
            "legal_name",
            &self.legal_name,
            LEGAL_NAME_MAX_LEN,
            "Enter the legal name: the company's registered name, or the person's full name.",
            "the legal name",
            &mut errors,
        );
        let address_line = required_line(
            "address_line",
            &self.address_line,
            ADDRESS_LINE_MAX_LEN,
            "Enter the street and house number.",
            "the street and house number",
            &mut errors,
        );
        let postcode = required_line(
            "postcode",
            &self.postcode,
            POSTCODE_MAX_LEN,
            "Enter the postcode.",
            "the postcode",
            &mut errors,
        )
        .filter(|postcode| {
            let ok = postcode
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-');
            if !ok {
                errors.push(BillingError::new(
                    "postcode",
                    "A postcode has only letters, digits, spaces and hyphens, e.g. 1011 AB or 10115.",
                ));
            }
            ok
        });
        let city = required_line(
            "city",
            &self.city,
            CITY_MAX_LEN,
            "Enter the city.",
            "the city",
            &mut errors,
        );
        let country = CountryCode::parse(&self.country)
            .map_err(|e| errors.push(BillingError::new("country", e.to_string())))
            .ok();
        let vat_number = self.parse_vat_number(kind, country, &mut errors);
        let iban = match self.iban.trim() {
            "" => None,
            iban => Iban::parse(iban)
                .map_err(|e| errors.push(BillingError::new("iban", e.to_string())))
                .ok(),
        };
        match (
            kind,
            legal_name,
            address_line,
            postcode,
            city,
            country,
            vat_number,
        ) {
            (
                Some(kind),
                Some(legal_name),
                Some(address_line),
                Some(postcode),
                Some(city),
                Some(country),
                Some(vat_number),
            ) if errors.is_empty() => Ok(BillingDetails {
                kind,
                legal_name,
                address_line,
                postcode,
                city,
                country,
                vat_number,
                iban,
            }),
            _ => Err(errors),
        }
    }

    /// The VAT number field: `Some(None)` when rightly empty, `None` after pushing its error.
    fn parse_vat_number(
        &self,
        kind: Option<CustomerKind>,
        country: Option<CountryCode>,
        errors: &mut Vec<BillingError>,
    ) -> Option<Option<VatNumber>> {
        let input = self.vat_number.trim();
        let eu_format = country.and_then(VatFormat::for_country);
        let mut fail = |message: String| {
            errors.push(BillingError::new("vat_number", message));
            None
        };
        if input.is_empty() {
            return match (kind, eu_format) {
                (Some(CustomerKind::Company), Some(format)) => fail(format!(
                    "Enter the company's VAT number, e.g. {}: statements to companies in the EU carry it.",
                    format.example
                )),
                _ => Some(None),
            };
        }
        if kind == Some(CustomerKind::PrivatePerson) {
            return fail(
                "A private person has no VAT number: leave it empty, or choose Company if the organization is \
                 billed as one."
                    .to_string(),
            );
        }
        let vat_number = match (VatNumber::parse(input), eu_format) {
            (Ok(vat_number), _) => vat_number,
            (Err(VatNumberError::MissingPrefix), Some(format)) => {
                return fail(format!(
                    "Start the VAT number with its country prefix {}, e.g. {}.",
                    format.prefix, format.example
                ));
            }
            (Err(e), _) => return fail(e.to_string()),
        };
        match country {
            Some(country) if vat_number.country() != country => {
                let from = vat_number.format().name;
                fail(match eu_format {
                    Some(format) => format!(
                        "This VAT number is from {from}, but the address is in {}: enter the company's VAT \
                         number starting with {} (e.g. {}), or correct the country.",
                        format.name, format.prefix, format.example
                    ),
                    None => format!(
                        "This VAT number is from {from}, but the address is in {country}, outside the EU: leave \
                         the VAT number empty, or correct the country."
                    ),
                })
            }
            _ => Some(Some(vat_number)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- Country -----------------------------------------------------------------------------------------------

    #[test]
    fn country_codes() {
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]), "sorted");
        for (input, expected) in [("NL", "NL"), (" de ", "DE"), ("gb", "GB"), ("Xk", "XK")] {
            assert_eq!(CountryCode::parse(input).unwrap().as_str(), expected);
        }
        let cases = [
            ("", CountryCodeError::Empty),
            ("  ", CountryCodeError::Empty),
            ("N", CountryCodeError::NotTwoLetters),
            ("NLD", CountryCodeError::NotTwoLetters),
            ("N1", CountryCodeError::NotTwoLetters),
            ("ÑL", CountryCodeError::NotTwoLetters),
            ("UK", CountryCodeError::Unassigned { code: "UK".into() }),
            ("EL", CountryCodeError::Unassigned { code: "EL".into() }),
            ("EU", CountryCodeError::Unassigned { code: "EU".into() }),
            ("xx", CountryCodeError::Unassigned { code: "XX".into() }),
        ];
        for (input, expected) in cases {
            assert_eq!(CountryCode::parse(input), Err(expected), "{input:?}");
        }
        let eu: Vec<_> = COUNTRY_CODES
            .iter()
            .filter(|c| CountryCode::parse(c).unwrap().is_eu_member())
            .collect();
        assert_eq!(eu.len(), 27);
        for code in ["GB", "CH", "NO", "XK", "US"] {
            assert!(!CountryCode::parse(code).unwrap().is_eu_member(), "{code}");
        }
        let nl = CountryCode::parse("nl").unwrap();
        assert_eq!(serde_json::to_string(&nl).unwrap(), "\"NL\"");
        assert_eq!(serde_json::from_str::<CountryCode>("\"NL\"").unwrap(), nl);
        assert!(serde_json::from_str::<CountryCode>("\"UK\"").is_err());
    }

    // --- IBAN --------------------------------------------------------------------------------------------------

    #[test]
    fn accepts_ibans_as_typed() {
        let cases = [
            (
                "NL91ABNA0417164300",
                "NL91ABNA0417164300",
                "NL91 ABNA 0417 1643 00",
            ),
            (
                " nl91 abna 0417 1643 00 ",
                "NL91ABNA0417164300",
                "NL91 ABNA 0417 1643 00",
            ),
            (
                "DE89 3704 0044 0532 0130 00",
                "DE89370400440532013000",
                "DE89 3704 0044 0532 0130 00",
            ),
            (
                "be68539007547034",
                "BE68539007547034",
                "BE68 5390 0754 7034",
            ),
            (
                "FR14 2004 1010 0505 0001 3M02 606",
                "FR1420041010050500013M02606",
                "FR14 2004 1010 0505 0001 3M02 606",
            ),
            (
                "AT61 1904 3002 3457 3201",
                "AT611904300234573201",
                "AT61 1904 3002 3457 3201",
            ),
            (
                "GB82\tWEST 1234 5698 7654 32",
                "GB82WEST12345698765432",
                "GB82 WEST 1234 5698 7654 32",
            ),
            (
                "CH9300762011623852957",
                "CH9300762011623852957",
                "CH93 0076 2011 6238 5295 7",
            ),
        ];
        for (input, compact, shown) in cases {
            let iban = Iban::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(iban.as_str(), compact);
            assert_eq!(iban.to_string(), shown);
            assert_eq!(Iban::parse(&iban.to_string()).unwrap(), iban);
            assert_eq!(iban.country_code(), &compact[..2]);
        }
    }

    #[test]
    fn refuses_invalid_ibans() {
        let too_long = format!("NL91{}", "1".repeat(31));
        let cases = [
            ("", IbanError::Empty),
            ("   ", IbanError::Empty),
            (
                "NL91-ABNA-0417-1643-00",
                IbanError::InvalidCharacter { found: '-' },
            ),
            (
                "NL91 ABNA 0417 1643 0ß",
                IbanError::InvalidCharacter { found: 'ß' },
            ),
            ("0417164300", IbanError::NoCountryAndCheckDigits),
            ("NLAB ABNA 0417 1643 00", IbanError::NoCountryAndCheckDigits),
            ("NL9", IbanError::NoCountryAndCheckDigits),
            (&too_long, IbanError::TooLong { len: 35, max: 34 }),
            // A typing error in the account number or in the check digits.
            ("NL91 ABNA 0417 1643 01", IbanError::CheckDigits),
            ("NL19 ABNA 0417 1643 00", IbanError::CheckDigits),
            ("DE89 3704 0044 0532 0310 00", IbanError::CheckDigits),
            // Check digits 00 and 01 never match.
            ("NL00 ABNA 0417 1643 00", IbanError::CheckDigits),
            // A missing or an extra digit, with wrong check digits as they then are.
            (
                "NL91 ABNA 0417 1643 0",
                IbanError::WrongLengthForCountry {
                    country: "NL".into(),
                    len: 17,
                },
            ),
            (
                "DE89 3704 0044 0532 0130 001",
                IbanError::WrongLengthForCountry {
                    country: "DE".into(),
                    len: 23,
                },
            ),
            // Digits where Dutch IBANs have the bank's four letters.
            (
                "NL91 1234 0417 1643 00",
                IbanError::WrongLengthForCountry {
                    country: "NL".into(),
                    len: 18,
                },
            ),
            (
                "US12 3456 7890 1234 5678",
                IbanError::UnknownCountry {
                    country: "US".into(),
                },
            ),
            (
                "XX82 WEST 1234 5698 7654 32",
                IbanError::UnknownCountry {
                    country: "XX".into(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Iban::parse(input), Err(expected), "{input:?}");
        }
        assert_eq!(
            IbanError::CheckDigits.to_string(),
            "The IBAN's check digits do not match: check for a typing error."
        );
        assert_eq!(
            IbanError::InvalidCharacter { found: '-' }.to_string(),
            "An IBAN has only letters and digits: remove \"-\"."
        );
    }

    #[test]
    fn iban_check_digits_are_computed_as_iso_7064() {
        assert_eq!(
            with_matching_check_digits("NL00ABNA0417164300"),
            "NL91ABNA0417164300"
        );
        assert_eq!(
            with_matching_check_digits("GB00WEST12345698765432"),
            "GB82WEST12345698765432"
        );
    }

    #[test]
    fn ibans_serialize_compact_and_revalidate() {
        let iban = Iban::parse("nl91 abna 0417 1643 00").unwrap();
        let json = serde_json::to_string(&iban).unwrap();
        assert_eq!(json, "\"NL91ABNA0417164300\"");
        assert_eq!(serde_json::from_str::<Iban>(&json).unwrap(), iban);
        assert!(serde_json::from_str::<Iban>("\"NL91ABNA0417164301\"").is_err());
    }

    // --- VAT number --------------------------------------------------------------------------------------------

    /// Per prefix: more valid numbers than the example, and typical invalid ones (a digit too few or too many,
    /// a letter where a digit belongs).
    const VAT_VECTORS: &[(&str, &[&str], &[&str])] = &[
        (
            "AT",
            &["ATU99999999"],
            &["ATU1234567", "AT12345678", "ATU1234567X"],
        ),
        (
            "BE",
            &["BE1234567890"],
            &["BE2123456789", "BE123456789", "BE01234567890"],
        ),
        ("BG", &["BG1234567890"], &["BG12345678", "BG12345678901"]),
        (
            "CY",
            &["CY00000000L"],
            &["CY123456789", "CY1234567X", "CYX12345678"],
        ),
        (
            "CZ",
            &["CZ123456789", "CZ1234567890"],
            &["CZ1234567", "CZ12345678901"],
        ),
        (
            "DE",
            &["DE999999999"],
            &["DE12345678", "DE1234567890", "DE12345678X"],
        ),
        ("DK", &["DK99999999"], &["DK1234567", "DK123456789"]),
        ("EE", &["EE100000000"], &["EE12345678", "EE1234567890"]),
        ("EL", &["EL999999999"], &["EL12345678", "EL1234567890"]),
        (
            "ES",
            &["ES12345678Z", "ESX1234567L"],
            &["ES123456789", "ESAB1234567", "ES1234567"],
        ),
        ("FI", &["FI99999999"], &["FI1234567", "FI123456789"]),
        (
            "FR",
            &["FRAB123456789", "FR1A123456789", "FRZZ999999999"],
            &[
                "FR123456789",
                "FRIO123456789",
                "FR1O123456789",
                "FR12A45678901",
            ],
        ),
        (
            "HR",
            &["HR99999999999"],
            &["HR1234567890", "HR123456789012"],
        ),
        ("HU", &["HU99999999"], &["HU1234567", "HU123456789"]),
        (
            "IE",
            &["IE1234567WA", "IE1S23456T", "IE1+23456T", "IE1*23456T"],
            &["IE12345678", "IE1234567ABC", "IET1234567"],
        ),
        (
            "IT",
            &["IT99999999999"],
            &["IT1234567890", "IT123456789012"],
        ),
        ("LT", &["LT123456789012"], &["LT1234567890", "LT12345678"]),
        ("LU", &["LU99999999"], &["LU1234567", "LU123456789"]),
        (
            "LV",
            &["LV99999999999"],
            &["LV1234567890", "LV123456789012"],
        ),
        ("MT", &["MT99999999"], &["MT1234567", "MT123456789"]),
        (
            "NL",
            &["NL999999999B99"],
            &[
                "NL123456789",
                "NL123456789C01",
                "NL12345678B01",
                "NL123456789B1",
            ],
        ),
        ("PL", &["PL9999999999"], &["PL123456789", "PL12345678901"]),
        ("PT", &["PT999999999"], &["PT12345678", "PT1234567890"]),
        (
            "RO",
            &["RO12", "RO1234567890"],
            &["RO1", "RO12345678901", "RO12345X"],
        ),
        (
            "SE",
            &["SE999999999901"],
            &["SE12345678901", "SE1234567890123"],
        ),
        ("SI", &["SI99999999"], &["SI1234567", "SI123456789"]),
        ("SK", &["SK9999999999"], &["SK123456789", "SK12345678901"]),
        (
            "XI",
            &["XI123456789012", "XIGD123", "XIHA999"],
            &["XI12345678", "XIGD12", "XIAB123"],
        ),
    ];

    #[test]
    fn vat_formats_cover_the_member_states() {
        assert_eq!(VAT_FORMATS.len(), 28);
        for code in EU_MEMBER_STATES {
            let country = CountryCode::parse(code).unwrap();
            let format = VatFormat::for_country(country)
                .unwrap_or_else(|| panic!("{code} has a VAT format"));
            assert_eq!(format.country, code);
        }
        for format in VAT_FORMATS {
            assert!(
                CountryCode::parse(format.country).is_ok(),
                "{}",
                format.prefix
            );
            assert_eq!(
                VAT_FORMATS
                    .iter()
                    .filter(|f| f.prefix == format.prefix)
                    .count(),
                1
            );
            let parsed = VatNumber::parse(format.example)
                .unwrap_or_else(|e| panic!("{}: {e}", format.example));
            assert_eq!(parsed.as_str(), format.example);
            assert_eq!(parsed.format(), format);
            assert_eq!(parsed.country().as_str(), format.country);
        }
        assert_eq!(
            VatFormat::for_country(CountryCode::parse("GR").unwrap())
                .unwrap()
                .prefix,
            "EL"
        );
        assert_eq!(
            VatFormat::for_country(CountryCode::parse("GB").unwrap()),
            None
        );
        assert_eq!(
            VatFormat::for_country(CountryCode::parse("CH").unwrap()),
            None
        );
    }

    #[test]
    fn vat_numbers_of_every_prefix() {
        assert_eq!(VAT_VECTORS.len(), VAT_FORMATS.len());
        for (prefix, valid, invalid) in VAT_VECTORS {
            let format = VAT_FORMATS.iter().find(|f| f.prefix == *prefix).unwrap();
            for input in *valid {
                let parsed = VatNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
                assert_eq!(parsed.as_str(), *input);
            }
            for input in *invalid {
                assert_eq!(
                    VatNumber::parse(input),
                    Err(VatNumberError::WrongFormat { format }),
                    "{input}"
                );
            }
        }
    }

    #[test]
    fn vat_numbers_are_normalised() {
        let cases = [
            ("nl 1234.56.789-b01", "NL123456789B01"),
            ("  de 123 456 789 ", "DE123456789"),
            ("atu12345678", "ATU12345678"),
            ("GR123456789", "EL123456789"),
            ("gr-123.456.789", "EL123456789"),
            ("xi 123 4567 89", "XI123456789"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                VatNumber::parse(input).unwrap().as_str(),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(
            VatNumber::parse("GR123456789").unwrap().country().as_str(),
            "GR"
        );
        assert_eq!(
            VatNumber::parse("XI123456789").unwrap().country().as_str(),
            "GB"
        );
    }

    #[test]
    fn refuses_invalid_vat_numbers() {
        let cases = [
            ("", VatNumberError::Empty),
            (" . - ", VatNumberError::Empty),
            ("123456789B01", VatNumberError::MissingPrefix),
            ("N", VatNumberError::MissingPrefix),
            (
                "NL_123456789B01",
                VatNumberError::InvalidCharacter { found: '_' },
            ),
            (
                "DE 123/456/789",
                VatNumberError::InvalidCharacter { found: '/' },
            ),
            (
                "GB123456789",
                VatNumberError::UnknownPrefix {
                    prefix: "GB".into(),
                },
            ),
            (
                "CHE-123.456.789",
                VatNumberError::UnknownPrefix {
                    prefix: "CH".into(),
                },
            ),
            (
                "NO123456789MVA",
                VatNumberError::UnknownPrefix {
                    prefix: "NO".into(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(VatNumber::parse(input), Err(expected), "{input:?}");
        }
        let nl = VAT_FORMATS.iter().find(|f| f.prefix == "NL").unwrap();
        assert_eq!(
            VatNumberError::WrongFormat { format: nl }.to_string(),
            "Enter a VAT number from the Netherlands as NL followed by 9 digits, B and 2 digits, e.g. \
             NL123456789B01."
        );
    }

    #[test]
    fn vat_numbers_serialize_as_strings_and_revalidate() {
        let vat = VatNumber::parse("nl123456789b01").unwrap();
        let json = serde_json::to_string(&vat).unwrap();
        assert_eq!(json, "\"NL123456789B01\"");
        assert_eq!(serde_json::from_str::<VatNumber>(&json).unwrap(), vat);
        assert!(serde_json::from_str::<VatNumber>("\"NL123\"").is_err());
    }

    // --- Customer kind -----------------------------------------------------------------------------------------

    #[test]
    fn customer_kinds() {
        for kind in CustomerKind::ALL {
            assert_eq!(CustomerKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        assert_eq!(CustomerKind::parse("Company"), None);
        assert!(CustomerKind::Company.vat_applies());
        assert!(!CustomerKind::PrivatePerson.vat_applies());
        assert_eq!(CustomerKind::PrivatePerson.to_string(), "Private person");
    }

    // --- The form ----------------------------------------------------------------------------------------------

    fn company_form() -> BillingForm {
        BillingForm {
            kind: "company".into(),
            legal_name: " Laadpunt Beheer B.V. ".into(),
            address_line: "Keizersgracht 1".into(),
            postcode: "1015 CJ".into(),
            city: "Amsterdam".into(),
            country: "nl".into(),
            vat_number: "nl 1234.56.789.b01".into(),
            iban: "nl91abna0417164300".into(),
        }
    }

    fn private_form() -> BillingForm {
        BillingForm {
            kind: "private_person".into(),
            legal_name: "Erika Mustermann".into(),
            address_line: "Heidestraße 17".into(),
            postcode: "51147".into(),
            city: "Köln".into(),
            country: "DE".into(),
            vat_number: String::new(),
            iban: String::new(),
        }
    }

    /// The fields of the errors, in order.
    fn fields(form: &BillingForm) -> Vec<&'static str> {
        form.parse().unwrap_err().iter().map(|e| e.field).collect()
    }

    /// The one error's message.
    fn message(form: &BillingForm) -> String {
        let errors = form.parse().unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].message.clone()
    }

    #[test]
    fn a_company_form_parses_and_round_trips() {
        let details = company_form().parse().unwrap();
        assert_eq!(details.kind, CustomerKind::Company);
        assert_eq!(details.legal_name, "Laadpunt Beheer B.V.");
        assert_eq!(details.country.as_str(), "NL");
        assert_eq!(
            details.vat_number.as_ref().map(VatNumber::as_str),
            Some("NL123456789B01")
        );
        assert_eq!(
            details.iban.as_ref().map(Iban::as_str),
            Some("NL91ABNA0417164300")
        );
        assert!(details.vat_applies());
        let form = details.to_form();
        assert_eq!(form.kind, "company");
        assert_eq!(form.iban, "NL91 ABNA 0417 1643 00");
        assert_eq!(form.vat_number, "NL123456789B01");
        assert_eq!(form.parse().unwrap(), details);
        let json = serde_json::to_string(&details).unwrap();
        assert_eq!(
            serde_json::from_str::<BillingDetails>(&json).unwrap(),
            details
        );
        assert!(json.contains("\"kind\":\"company\""), "{json}");
    }

    #[test]
    fn a_private_person_has_no_vat() {
        let details = private_form().parse().unwrap();
        assert_eq!(details.kind, CustomerKind::PrivatePerson);
        assert!(!details.vat_applies());
        assert_eq!(details.vat_number, None);
        assert_eq!(details.iban, None);
        assert_eq!(details.to_form().parse().unwrap(), details);
        let with_vat = BillingForm {
            vat_number: "DE123456789".into(),
            ..private_form()
        };
        assert_eq!(fields(&with_vat), ["vat_number"]);
        assert!(message(&with_vat).starts_with("A private person has no VAT number"));
    }

    #[test]
    fn an_empty_form_names_every_required_field() {
        let errors = BillingForm::default().parse().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "kind",
                "legal_name",
                "address_line",
                "postcode",
                "city",
                "country"
            ]
        );
        for e in &errors {
            assert!(e.message.ends_with('.'), "{e}");
            assert!(e.message.chars().next().unwrap().is_uppercase(), "{e}");
        }
    }

    #[test]
    fn every_field_error_comes_at_once() {
        let form = BillingForm {
            kind: "business".into(),
            legal_name: "x".repeat(LEGAL_NAME_MAX_LEN + 1),
            address_line: "Keizersgracht\n1".into(),
            postcode: "1015/CJ".into(),
            city: "c".repeat(CITY_MAX_LEN + 1),
            country: "Netherlands".into(),
            vat_number: "NL123".into(),
            iban: "NL91 ABNA 0417 1643 01".into(),
        };
        assert_eq!(
            fields(&form),
            [
                "kind",
                "legal_name",
                "address_line",
                "postcode",
                "city",
                "country",
                "vat_number",
                "iban"
            ]
        );
        let errors = form.parse().unwrap_err();
        assert_eq!(
            errors[1].message,
            "Enter the legal name of at most 200 characters; this one has 201."
        );
        assert_eq!(errors[7].to_string(), IbanError::CheckDigits.to_string());
    }

    #[test]
    fn text_fields_are_trimmed_single_lines_within_their_limits() {
        let longest = BillingForm {
            legal_name: "é".repeat(LEGAL_NAME_MAX_LEN),
            address_line: "a".repeat(ADDRESS_LINE_MAX_LEN),
            postcode: "1".repeat(POSTCODE_MAX_LEN),
            city: "c".repeat(CITY_MAX_LEN),
            ..company_form()
        };
        assert!(longest.parse().is_ok());
        for postcode in ["SW1A 1AA", "00-950", "KY1-1001", "AD500", "1015 cj"] {
            let form = BillingForm {
                postcode: postcode.into(),
                ..company_form()
            };
            assert_eq!(form.parse().unwrap().postcode, postcode);
        }
        let cases = [
            (
                BillingForm {
                    legal_name: "Laadpunt\tBeheer".into(),
                    ..company_form()
                },
                "legal_name",
            ),
            (
                BillingForm {
                    city: "  ".into(),
                    ..company_form()
                },
                "city",
            ),
            (
                BillingForm {
                    postcode: "1".repeat(POSTCODE_MAX_LEN + 1),
                    ..company_form()
                },
                "postcode",
            ),
            (
                BillingForm {
                    address_line: "a".repeat(ADDRESS_LINE_MAX_LEN + 1),
                    ..company_form()
                },
                "address_line",
            ),
        ];
        for (form, field) in cases {
            assert_eq!(fields(&form), [field], "{form:?}");
        }
    }

    #[test]
    fn a_company_in_the_eu_has_a_vat_number_of_its_country() {
        let without = BillingForm {
            vat_number: " ".into(),
            ..company_form()
        };
        assert_eq!(fields(&without), ["vat_number"]);
        assert_eq!(
            message(&without),
            "Enter the company's VAT number, e.g. NL123456789B01: statements to companies in the EU carry it."
        );
        let other_country = BillingForm {
            vat_number: "DE123456789".into(),
            ..company_form()
        };
        assert_eq!(
            message(&other_country),
            "This VAT number is from Germany, but the address is in the Netherlands: enter the company's VAT \
             number starting with NL (e.g. NL123456789B01), or correct the country."
        );
        let no_prefix = BillingForm {
            vat_number: "123456789B01".into(),
            ..company_form()
        };
        assert_eq!(
            message(&no_prefix),
            "Start the VAT number with its country prefix NL, e.g. NL123456789B01."
        );
        // Greece: the address says GR, the VAT number EL (or GR as typed).
        for vat_number in ["EL123456789", "GR123456789"] {
            let greek = BillingForm {
                country: "GR".into(),
                vat_number: vat_number.into(),
                ..company_form()
            };
            let details = greek.parse().unwrap();
            assert_eq!(details.vat_number.unwrap().as_str(), "EL123456789");
        }
        let greek_without = BillingForm {
            country: "GR".into(),
            vat_number: String::new(),
            ..company_form()
        };
        assert!(message(&greek_without).contains("EL123456789"));
    }

    #[test]
    fn a_company_outside_the_eu_may_have_no_vat_number() {
        for country in ["CH", "NO", "GB", "US"] {
            let form = BillingForm {
                country: country.into(),
                vat_number: String::new(),
                ..company_form()
            };
            assert_eq!(form.parse().unwrap().vat_number, None, "{country}");
        }
        // Northern Ireland: an address in GB with an XI number.
        let northern_ireland = BillingForm {
            country: "GB".into(),
            vat_number: "XI 123 4567 89".into(),
            ..company_form()
        };
        assert_eq!(
            northern_ireland
                .parse()
                .unwrap()
                .vat_number
                .unwrap()
                .as_str(),
            "XI123456789"
        );
        let swiss_vat = BillingForm {
            country: "CH".into(),
            vat_number: "CHE-123.456.789 MWST".into(),
            ..company_form()
        };
        assert_eq!(fields(&swiss_vat), ["vat_number"]);
        let eu_vat_abroad = BillingForm {
            country: "CH".into(),
            ..company_form()
        };
        assert_eq!(
            message(&eu_vat_abroad),
            "This VAT number is from the Netherlands, but the address is in CH, outside the EU: leave the VAT \
             number empty, or correct the country."
        );
        let xi_in_ireland = BillingForm {
            country: "IE".into(),
            vat_number: "XI123456789".into(),
            ..company_form()
        };
        assert!(message(&xi_in_ireland).starts_with("This VAT number is from Northern Ireland"));
    }

    #[test]
    fn the_iban_is_optional_but_checked() {
        let without = BillingForm {
            iban: "  ".into(),
            ..company_form()
        };
        assert_eq!(without.parse().unwrap().iban, None);
        let foreign = BillingForm {
            iban: "DE89 3704 0044 0532 0130 00".into(),
            ..company_form()
        };
        assert_eq!(
            foreign.parse().unwrap().iban.unwrap().as_str(),
            "DE89370400440532013000"
        );
        let typo = BillingForm {
            iban: "NL91 ABNA 0417 1643 0".into(),
            ..company_form()
        };
        assert_eq!(fields(&typo), ["iban"]);
    }

    #[test]
    fn error_messages_are_sentences() {
        let nl = VAT_FORMATS.iter().find(|f| f.prefix == "NL").unwrap();
        let messages = [
            CountryCodeError::Empty.to_string(),
            CountryCodeError::NotTwoLetters.to_string(),
            CountryCodeError::Unassigned { code: "UK".into() }.to_string(),
            IbanError::Empty.to_string(),
            IbanError::InvalidCharacter { found: '\u{0}' }.to_string(),
            IbanError::NoCountryAndCheckDigits.to_string(),
            IbanError::TooLong { len: 35, max: 34 }.to_string(),
            IbanError::UnknownCountry {
                country: "US".into(),
            }
            .to_string(),
            IbanError::WrongLengthForCountry {
                country: "NL".into(),
                len: 17,
            }
            .to_string(),
            IbanError::CheckDigits.to_string(),
            VatNumberError::Empty.to_string(),
            VatNumberError::InvalidCharacter { found: '/' }.to_string(),
            VatNumberError::MissingPrefix.to_string(),
            VatNumberError::UnknownPrefix {
                prefix: "GB".into(),
            }
            .to_string(),
            VatNumberError::WrongFormat { format: nl }.to_string(),
        ];
        for m in messages {
            assert!(m.ends_with('.'), "{m}");
            assert!(m.chars().next().unwrap().is_uppercase(), "{m}");
        }
        for format in VAT_FORMATS {
            let m = VatNumberError::WrongFormat { format }.to_string();
            assert!(m.contains(format.example), "{m}");
        }
    }
}
