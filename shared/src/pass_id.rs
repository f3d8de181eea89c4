//! The two ways to identify a charging pass in the "+ Add Pass" form.
//!
//! - The **Public Card ID** (visible ID) is printed on the front of the card: letters, digits and hyphens, usually a
//!   contract ID in the ISO 15118 / eMI3 EMAID format (`NL-TNM-000122045-U`) or the older DIN SPEC 91286 format
//!   (`NL-TNM-012204-5`). See [`VisibleId`].
//! - The **Hidden ID** is the RFID UID that a charging station reports as `idTag`: 8, 14 or 20 hex characters without
//!   hyphens (`04AAAB11CD2345`). See [`HiddenId`].
//!
//! People regularly enter one in the other's field, so each parser recognises the other kind and says so. Problems
//! that do not prove the input wrong (an unusual UID length, a check character that does not match) are returned as
//! [`PassIdWarning`]s next to the value; [`check_pass_id`] turns the ones that need an explicit "save anyway" into
//! an error until the user confirms.
//!
//! The check characters are computed with the published algorithms, implemented here from their descriptions:
//! [`emaid_check_char`] ("Check Digit Calculation for Contract-IDs", Chen, Niemenmaa, Vinck, 2013) and
//! [`din_check_digit`] (DIN SPEC 91286, weighted sum modulo 11).

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The most characters a Hidden ID may have: OCPP 1.6 sends it as `idTag`, a `CiString20`.
pub const HIDDEN_ID_MAX_LEN: usize = 20;

/// The lengths of the usual NFC UIDs in hex characters: 4-, 7- and 10-byte UIDs.
pub const TYPICAL_UID_LENGTHS: [usize; 3] = [8, 14, 20];

/// The fewest letters and digits (hyphens not counted) a Public Card ID may have.
pub const VISIBLE_ID_MIN_LEN: usize = 4;

/// The most characters (hyphens included) a Public Card ID may have.
pub const VISIBLE_ID_MAX_LEN: usize = 36;

/// An example Public Card ID with a correct check character, used in messages.
const VISIBLE_EXAMPLE: &str = "NL-TNM-000122045-U";

// ---------------------------------------------------------------------------------------------------------------
// Kinds
// ---------------------------------------------------------------------------------------------------------------

/// Which of the two ID fields of the "+ Add Pass" form an ID belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassIdKind {
    /// The Public Card ID printed on the card.
    Visible,
    /// The Hidden ID (UID) the card's chip reports to the charging station.
    Hidden,
}

impl PassIdKind {
    /// Both kinds, in the order the form shows them.
    pub const ALL: [PassIdKind; 2] = [PassIdKind::Visible, PassIdKind::Hidden];

    /// The field label the UI shows: "Public Card ID" or "Hidden ID".
    pub fn label(self) -> &'static str {
        match self {
            Self::Visible => "Public Card ID",
            Self::Hidden => "Hidden ID",
        }
    }

    /// The stored name: "visible" or "hidden" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visible => "visible",
            Self::Hidden => "hidden",
        }
    }

    /// The kind with the given stored name ([`PassIdKind::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Shows the field label.
impl fmt::Display for PassIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The contract-ID standard a Public Card ID was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractIdKind {
    /// ISO 15118 / eMI3 e-mobility account identifier: `CC-PPP-IIIIIIIII-K` (check character optional).
    Emaid,
    /// DIN SPEC 91286 contract ID: `CC-PPP-IIIIII-K` (check digit required).
    Din,
}

impl ContractIdKind {
    /// Both standards.
    pub const ALL: [ContractIdKind; 2] = [ContractIdKind::Emaid, ContractIdKind::Din];

    /// The human-readable name of the standard.
    pub fn label(self) -> &'static str {
        match self {
            Self::Emaid => "EMAID (ISO 15118 / eMI3)",
            Self::Din => "DIN SPEC 91286",
        }
    }

    /// The stored name: "emaid" or "din" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emaid => "emaid",
            Self::Din => "din",
        }
    }

    /// The standard with the given stored name ([`ContractIdKind::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Shows the name of the standard.
impl fmt::Display for ContractIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Warnings
// ---------------------------------------------------------------------------------------------------------------

/// A value that passed validation, with what looked odd about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked<T> {
    /// The validated, normalised value.
    pub value: T,
    /// Things the user should look at; see [`PassIdWarning::needs_confirmation`].
    pub warnings: Vec<PassIdWarning>,
}

impl<T> Checked<T> {
    /// Whether any of the warnings must be confirmed before the value may be saved.
    pub fn needs_confirmation(&self) -> bool {
        self.warnings.iter().any(PassIdWarning::needs_confirmation)
    }

    /// Converts the value, keeping the warnings.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Checked<U> {
        Checked {
            value: f(self.value),
            warnings: self.warnings,
        }
    }
}

/// Something unusual about an accepted pass ID. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassIdWarning {
    /// A Hidden ID whose length is not that of a 4-, 7- or 10-byte UID.
    #[error(
        "Hidden IDs are usually 8, 14 or 20 hex characters (4-, 7- or 10-byte UIDs); this one has {len}. \
         Check that you copied all of it."
    )]
    UnusualUidLength {
        /// The number of hex characters entered.
        len: usize,
    },
    /// A 4-byte UID starting with `08`: such cards report a new random UID on every tap.
    #[error(
        "This Hidden ID starts with 08, which marks a random UID: the card reports a different Hidden ID every \
         time it is held against a charging station, so it cannot be recognised again. Add the card by its \
         Public Card ID instead if it has one."
    )]
    RandomUid,
    /// A recognised contract ID whose check character does not match the rest of the ID.
    #[error(
        "The check character of {id} should be {expected}, but {found} was entered. Check the card for a typo; \
         if the card really shows this ID, confirm to save it anyway."
    )]
    CheckCharacterMismatch {
        /// The canonical ID without its check character, e.g. `NL-TNM-B12345`.
        id: String,
        /// The check character computed from `id`.
        expected: char,
        /// The check character that was entered.
        found: char,
    },
}

impl PassIdWarning {
    /// Whether the user must explicitly confirm before a pass with this warning is saved. Only a check-character
    /// mismatch does: it most likely means a typo, which would silently make the pass useless.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self, Self::CheckCharacterMismatch { .. })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Hidden ID
// ---------------------------------------------------------------------------------------------------------------

/// A Hidden ID (RFID UID, the `idTag` a station reports): 1 to 20 upper-case hex characters.
///
/// Built only by [`HiddenId::parse`]. Serialized as its string; deserialization runs `parse` again (warnings are
/// dropped), so a value can never bypass the rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct HiddenId(String);

/// Why a Hidden ID was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenIdError {
    /// Nothing was entered.
    #[error(
        "Enter the Hidden ID: the idTag value from the charging station's Authorize message, e.g. 04AAAB11CD2345."
    )]
    Empty,
    /// The input contains a hyphen, which UIDs never do.
    #[error(
        "The Hidden ID does not contain hyphens. If the ID you have contains hyphens, you are probably looking at \
         the visible ID printed on the card: enter it under Public Card ID instead."
    )]
    ContainsHyphen,
    /// The input is a recognised contract ID, i.e. the visible ID.
    #[error(
        "This looks like a Public Card ID (the ID printed on the card), not a Hidden ID. Enter it under Public \
         Card ID instead."
    )]
    LooksLikeVisibleId,
    /// A character other than a hex digit (spaces and colons are removed first).
    #[error(
        "A Hidden ID contains only the digits 0-9 and the letters A-F; {} is not allowed. Copy the idTag value \
         from the charging station's Authorize message.",
        describe_char(*.found)
    )]
    NotHex {
        /// The first offending character, as entered.
        found: char,
    },
    /// More than [`HIDDEN_ID_MAX_LEN`] hex characters.
    #[error(
        "A Hidden ID has at most 20 characters; this one has {len}. Check that you copied only the idTag value."
    )]
    TooLong {
        /// The number of hex characters entered.
        len: usize,
    },
}

impl HiddenId {
    /// Validates and normalises a Hidden ID as typed or pasted: surrounding whitespace, inner spaces and colons
    /// are removed (`04:aa:ab:11:cd:23:45` becomes `04AAAB11CD2345`), letters are upper-cased.
    ///
    /// Lengths other than 8, 14 or 20 are accepted with [`PassIdWarning::UnusualUidLength`]; a random 4-byte UID
    /// (starting `08`) with [`PassIdWarning::RandomUid`]. Neither needs confirmation.
    pub fn parse(input: &str) -> Result<Checked<HiddenId>, HiddenIdError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(HiddenIdError::Empty);
        }
        if trimmed.contains('-') {
            return Err(HiddenIdError::ContainsHyphen);
        }
        let kept: String = trimmed.chars().filter(|&c| !is_uid_separator(c)).collect();
        if kept.is_empty() {
            return Err(HiddenIdError::Empty);
        }
        if let Some(found) = kept.chars().find(|c| !c.is_ascii_hexdigit()) {
            let is_contract_id = VisibleId::parse(&kept)
                .map(|checked| checked.value.contract.is_some())
                .unwrap_or(false);
            return Err(if is_contract_id {
                HiddenIdError::LooksLikeVisibleId
            } else {
                HiddenIdError::NotHex { found }
            });
        }
        let hex = kept.to_ascii_uppercase();
        let len = hex.len();
        if len > HIDDEN_ID_MAX_LEN {
            return Err(HiddenIdError::TooLong { len });
        }
        let mut warnings = Vec::new();
        if !TYPICAL_UID_LENGTHS.contains(&len) {
            warnings.push(PassIdWarning::UnusualUidLength { len });
        }
        if len == 8 && hex.starts_with("08") {
            warnings.push(PassIdWarning::RandomUid);
        }
        Ok(Checked {
            value: HiddenId(hex),
            warnings,
        })
    }

    /// The normalised UID: upper-case hex, no separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised UID as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Shows the normalised UID.
impl fmt::Display for HiddenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for HiddenId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<HiddenId> for String {
    fn from(id: HiddenId) -> String {
        id.0
    }
}

/// Runs [`HiddenId::parse`], dropping the warnings.
impl TryFrom<String> for HiddenId {
    type Error = HiddenIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        HiddenId::parse(&s).map(|checked| checked.value)
    }
}

/// Characters people paste between UID bytes: whitespace and colons.
fn is_uid_separator(c: char) -> bool {
    c.is_whitespace() || c == ':'
}

/// Whether a value (separators already removed) has the shape of a UID: hex only, and a typical UID length.
fn looks_like_uid(s: &str) -> bool {
    TYPICAL_UID_LENGTHS.contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------------------------------------------
// Visible ID
// ---------------------------------------------------------------------------------------------------------------

/// A Public Card ID: the ID printed on the card, upper-case letters, digits and hyphens.
///
/// If it is a recognised EMAID or DIN SPEC 91286 contract ID, [`VisibleId::as_str`] has the hyphens at the
/// standard positions and [`VisibleId::contract_kind`] names the standard. Built only by [`VisibleId::parse`].
/// Serialized as its canonical string; deserialization runs `parse` again (warnings are dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct VisibleId {
    canonical: String,
    compact: String,
    /// What identifies the card: `compact`, except that an EMAID's optional check character is left out.
    key: String,
    contract: Option<ContractIdKind>,
}

/// Why a Public Card ID was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisibleIdError {
    /// Nothing was entered.
    #[error("Enter the Public Card ID printed on the front of the card, e.g. NL-TNM-000122045-U.")]
    Empty,
    /// A character other than a letter, digit, hyphen or `*`.
    #[error("{}", invalid_visible_char_message(*.found))]
    InvalidCharacter {
        /// The first offending character, as entered.
        found: char,
    },
    /// Longer than [`VISIBLE_ID_MAX_LEN`] characters.
    #[error(
        "A Public Card ID has at most {max} characters; this one has {len}. Check that you entered only the ID \
         printed on the card."
    )]
    TooLong {
        /// The number of characters entered (hyphens included).
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// Fewer than [`VISIBLE_ID_MIN_LEN`] letters and digits.
    #[error(
        "A Public Card ID has at least {min} letters or digits; this one has {len}. Enter the full ID printed on \
         the card."
    )]
    TooShort {
        /// The number of letters and digits entered (hyphens not counted).
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Hex digits only, no hyphens and the length of a UID: most likely a Hidden ID in the wrong field.
    #[error(
        "This looks like a Hidden ID (UID): only the digits 0-9 and letters A-F, without hyphens. Enter it under \
         Hidden ID instead. If this really is the ID printed on the card, type it with its hyphens, e.g. \
         DE-8AA-001234567."
    )]
    LooksLikeHiddenId,
}

impl VisibleId {
    /// Validates and normalises a Public Card ID: surrounding whitespace is removed, letters are upper-cased and
    /// `*` separators (DIN SPEC 91286 allows them) become hyphens.
    ///
    /// An EMAID (`CC-PPP-IIIIIIIII[-K]`) or DIN SPEC 91286 ID (`CC-PPP-IIIIII-K`) is recognised with or without
    /// hyphens, as long as any hyphens sit at the standard positions; its canonical form has all of them
    /// (`nltnm0122045` becomes `NL-TNM-012204-5`). Anything else made of letters, digits and hyphens is accepted
    /// as entered (upper-cased), without a contract kind. A check character that does not match gives
    /// [`PassIdWarning::CheckCharacterMismatch`], which needs confirmation, never an error.
    pub fn parse(input: &str) -> Result<Checked<VisibleId>, VisibleIdError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(VisibleIdError::Empty);
        }
        // A Hidden ID pasted here, possibly still with its byte separators (`04:AA:...`, `04 AA ...`).
        if !trimmed.contains(['-', '*']) {
            let stripped: String = trimmed.chars().filter(|&c| !is_uid_separator(c)).collect();
            if looks_like_uid(&stripped) {
                return Err(VisibleIdError::LooksLikeHiddenId);
            }
        }
        if let Some(found) = trimmed
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '*'))
        {
            return Err(VisibleIdError::InvalidCharacter { found });
        }
        let normalised: String = trimmed
            .chars()
            .map(|c| {
                if c == '*' {
                    '-'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        // Only ASCII is left, so bytes are characters.
        if normalised.len() > VISIBLE_ID_MAX_LEN {
            return Err(VisibleIdError::TooLong {
                len: normalised.len(),
                max: VISIBLE_ID_MAX_LEN,
            });
        }
        let compact: String = normalised.chars().filter(|&c| c != '-').collect();
        if compact.len() < VISIBLE_ID_MIN_LEN {
            return Err(VisibleIdError::TooShort {
                len: compact.len(),
                min: VISIBLE_ID_MIN_LEN,
            });
        }

        let Some(contract) = ContractId::recognise(&normalised) else {
            return Ok(Checked {
                value: VisibleId {
                    canonical: normalised,
                    key: compact.clone(),
                    compact,
                    contract: None,
                },
                warnings: Vec::new(),
            });
        };
        let mut warnings = Vec::new();
        if let Some(found) = contract.check() {
            let expected = match contract.kind {
                ContractIdKind::Emaid => emaid_check_char(contract.base_compact()),
                ContractIdKind::Din => din_check_digit(contract.base_compact()),
            };
            if let Some(expected) = expected {
                if expected != found {
                    warnings.push(PassIdWarning::CheckCharacterMismatch {
                        id: contract.base_canonical(),
                        expected,
                        found,
                    });
                }
            }
        }
        Ok(Checked {
            value: VisibleId {
                canonical: contract.canonical(),
                // The EMAID check character is optional, so `NL-TNM-000122045` and `NL-TNM-000122045-U` are the
                // same contract; DIN SPEC 91286 IDs always carry theirs.
                key: match contract.kind {
                    ContractIdKind::Emaid => contract.base_compact().to_owned(),
                    ContractIdKind::Din => compact.clone(),
                },
                compact,
                contract: Some(contract.kind),
            },
            warnings,
        })
    }

    /// The canonical form: for a recognised contract ID with hyphens at the standard positions, otherwise the
    /// normalised input.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The ID without hyphens: the key for deciding whether two entries are the same ID.
    pub fn compact(&self) -> &str {
        &self.compact
    }

    /// The standard the ID was recognised as, if any.
    pub fn contract_kind(&self) -> Option<ContractIdKind> {
        self.contract
    }

    /// The key for deciding whether two entries are the same card: the compact form, without the optional
    /// check character of an EMAID.
    pub fn match_key(&self) -> &str {
        &self.key
    }

    /// The canonical form as an owned string.
    pub fn into_inner(self) -> String {
        self.canonical
    }
}

/// Shows the canonical form.
impl fmt::Display for VisibleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl AsRef<str> for VisibleId {
    fn as_ref(&self) -> &str {
        &self.canonical
    }
}

impl From<VisibleId> for String {
    fn from(id: VisibleId) -> String {
        id.canonical
    }
}

/// Runs [`VisibleId::parse`], dropping the warnings.
impl TryFrom<String> for VisibleId {
    type Error = VisibleIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        VisibleId::parse(&s).map(|checked| checked.value)
    }
}

/// A recognised contract ID: its compact form (upper-case, no hyphens) and where its parts end.
struct ContractId {
    kind: ContractIdKind,
    compact: String,
    /// The index in `compact` where the instance ends and the check character (if any) starts.
    instance_end: usize,
}

impl ContractId {
    /// Recognises an EMAID or DIN SPEC 91286 ID in a normalised (upper-case ASCII, `-` separated) string.
    fn recognise(normalised: &str) -> Option<Self> {
        // The letters and digits, and where the hyphens are (counted in letters and digits before them).
        let mut compact = String::with_capacity(normalised.len());
        let mut hyphens_at = Vec::new();
        for c in normalised.chars() {
            if c == '-' {
                hyphens_at.push(compact.len());
            } else {
                compact.push(c);
            }
        }
        let (kind, instance_end) = match compact.len() {
            14 | 15 => (ContractIdKind::Emaid, 14),
            12 => (ContractIdKind::Din, 11),
            _ => return None,
        };
        let has_check = compact.len() > instance_end;
        // Hyphens are optional, but each one must sit at a standard position, at most once.
        let allowed = [2, 5, instance_end];
        let hyphens_ok = hyphens_at.windows(2).all(|w| w[0] < w[1])
            && hyphens_at
                .iter()
                .all(|p| allowed.contains(p) && (*p != instance_end || has_check));
        if !hyphens_ok || !compact[..2].chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let contract = ContractId {
            kind,
            compact,
            instance_end,
        };
        if kind == ContractIdKind::Din && !matches!(contract.check(), Some('0'..='9' | 'X')) {
            return None;
        }
        Some(contract)
    }

    /// The check character, if one was entered.
    fn check(&self) -> Option<char> {
        self.compact[self.instance_end..].chars().next()
    }

    /// Country, provider and instance without separators: the input of the check-character algorithms.
    fn base_compact(&self) -> &str {
        &self.compact[..self.instance_end]
    }

    /// Country, provider and instance separated by hyphens.
    fn base_canonical(&self) -> String {
        let c = &self.compact;
        format!("{}-{}-{}", &c[..2], &c[2..5], &c[5..self.instance_end])
    }

    /// The full ID with hyphens at the standard positions.
    fn canonical(&self) -> String {
        match self.check() {
            Some(check) => format!("{}-{check}", self.base_canonical()),
            None => self.base_canonical(),
        }
    }
}

/// The message for a character not allowed in a Public Card ID.
fn invalid_visible_char_message(found: char) -> String {
    if found.is_whitespace() {
        format!(
            "A Public Card ID cannot contain spaces. Type the parts joined by hyphens, as printed on the card, \
             e.g. {VISIBLE_EXAMPLE}."
        )
    } else {
        format!(
            "A Public Card ID contains only letters, digits and hyphens; {} is not allowed. Type the ID as \
             printed on the front of the card, e.g. {VISIBLE_EXAMPLE}.",
            describe_char(found)
        )
    }
}

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
// Either ID, and the form check
// ---------------------------------------------------------------------------------------------------------------

/// A validated pass ID of either kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassIdentifier {
    /// A Public Card ID.
    Visible(VisibleId),
    /// A Hidden ID (UID).
    Hidden(HiddenId),
}

impl PassIdentifier {
    /// Which field the ID belongs to.
    pub fn kind(&self) -> PassIdKind {
        match self {
            Self::Visible(_) => PassIdKind::Visible,
            Self::Hidden(_) => PassIdKind::Hidden,
        }
    }

    /// The ID to store and show: the canonical Public Card ID or the upper-case hex UID.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Visible(id) => id.as_str(),
            Self::Hidden(id) => id.as_str(),
        }
    }

    /// The key for "is this the same ID" comparisons: the Public Card ID without hyphens (and without an
    /// EMAID's optional check character), or the hex UID. Compare it together with [`PassIdentifier::kind`].
    pub fn match_key(&self) -> &str {
        match self {
            Self::Visible(id) => id.match_key(),
            Self::Hidden(id) => id.as_str(),
        }
    }

    /// The contract-ID standard of a recognised Public Card ID; `None` for other IDs.
    pub fn contract_kind(&self) -> Option<ContractIdKind> {
        match self {
            Self::Visible(id) => id.contract_kind(),
            Self::Hidden(_) => None,
        }
    }
}

/// Shows [`PassIdentifier::as_str`].
impl fmt::Display for PassIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`check_pass_id`] did not accept an ID. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassIdError {
    /// The Hidden ID was refused.
    #[error(transparent)]
    Hidden(HiddenIdError),
    /// The Public Card ID was refused.
    #[error(transparent)]
    Visible(VisibleIdError),
    /// The ID is acceptable, but only after the user confirms this warning.
    #[error("{0}")]
    NeedsConfirmation(PassIdWarning),
}

impl From<HiddenIdError> for PassIdError {
    fn from(e: HiddenIdError) -> Self {
        Self::Hidden(e)
    }
}

impl From<VisibleIdError> for PassIdError {
    fn from(e: VisibleIdError) -> Self {
        Self::Visible(e)
    }
}

/// The whole "+ Add Pass" ID-field check; the browser form and the server function both call this.
///
/// Parses `input` as the given kind. If a warning needs confirmation ([`PassIdWarning::needs_confirmation`])
/// and `confirmed` is false, returns [`PassIdError::NeedsConfirmation`] with that warning; with `confirmed`
/// true the ID is returned with the warning still in `warnings`. Other warnings never block.
pub fn check_pass_id(
    kind: PassIdKind,
    input: &str,
    confirmed: bool,
) -> Result<Checked<PassIdentifier>, PassIdError> {
    let checked = match kind {
        PassIdKind::Visible => VisibleId::parse(input)?.map(PassIdentifier::Visible),
        PassIdKind::Hidden => HiddenId::parse(input)?.map(PassIdentifier::Hidden),
    };
    if !confirmed {
        if let Some(warning) = checked.warnings.iter().find(|w| w.needs_confirmation()) {
            return Err(PassIdError::NeedsConfirmation(warning.clone()));
        }
    }
    Ok(checked)
}

// ---------------------------------------------------------------------------------------------------------------
// Check characters
// ---------------------------------------------------------------------------------------------------------------

/// The 36 symbols of contract IDs, in value order: `0`-`9` are 0-9, `A`-`Z` are 10-35.
const SYMBOLS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The value 0-35 of a contract-ID symbol (either case), if it is one.
fn symbol_value(c: char) -> Option<u32> {
    c.to_digit(36)
}

/// A 2x2 matrix over the integers modulo a small number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Mat2 {
    m: [[u32; 2]; 2],
    modulus: u32,
}

impl Mat2 {
    fn new(m: [[u32; 2]; 2], modulus: u32) -> Self {
        Mat2 { m, modulus }
    }

    fn mul(self, other: Mat2) -> Mat2 {
        let (a, b, n) = (self.m, other.m, self.modulus);
        let cell = |i: usize, j: usize| (a[i][0] * b[0][j] + a[i][1] * b[1][j]) % n;
        Mat2::new([[cell(0, 0), cell(0, 1)], [cell(1, 0), cell(1, 1)]], n)
    }

    /// The row vector `v` times this matrix.
    fn apply(self, v: [u32; 2]) -> [u32; 2] {
        let (a, n) = (self.m, self.modulus);
        [
            (v[0] * a[0][0] + v[1] * a[1][0]) % n,
            (v[0] * a[0][1] + v[1] * a[1][1]) % n,
        ]
    }
}

/// The check character of an EMAID (ISO 15118 / eMI3 contract ID).
///
/// `base` is the 14-character compact ID without check character (country, provider, instance), letters in
/// either case. Returns `None` if it is not 14 letters and digits.
///
/// The algorithm of "Check Digit Calculation for Contract-IDs" (Chen, Niemenmaa, Vinck, 2013; also in the eMI3 /
/// IDRR documents): each symbol's value `v` (0-35) stands for a pair of row vectors, `q` over Z2 (the base-2
/// digits of `v / 9`) and `r` over Z3 (the base-3 digits of `v % 9`). The check symbol at position 15 is the one
/// for which `sum(q_i * P1^i)` = 0 (mod 2) and `sum(r_i * P2^i)` = 0 (mod 3) over positions 1-15, with
/// `P1 = [[0,1],[1,1]]` and `P2 = [[0,1],[1,2]]`. This detects single errors, adjacent and jump transpositions,
/// and twin and jump-twin errors.
pub fn emaid_check_char(base: &str) -> Option<char> {
    if base.len() != 14 {
        return None;
    }
    let values = base
        .chars()
        .map(symbol_value)
        .collect::<Option<Vec<u32>>>()?;

    let p1 = Mat2::new([[0, 1], [1, 1]], 2);
    let p2 = Mat2::new([[0, 1], [1, 2]], 3);
    let (mut p1_pow, mut p2_pow) = (p1, p2);
    let (mut q_sum, mut r_sum) = ([0u32; 2], [0u32; 2]);
    for v in values {
        let q = [(v / 9) / 2, (v / 9) % 2];
        let r = [(v % 9) / 3, (v % 9) % 3];
        let (qp, rp) = (p1_pow.apply(q), p2_pow.apply(r));
        q_sum = [(q_sum[0] + qp[0]) % 2, (q_sum[1] + qp[1]) % 2];
        r_sum = [(r_sum[0] + rp[0]) % 3, (r_sum[1] + rp[1]) % 3];
        p1_pow = p1_pow.mul(p1);
        p2_pow = p2_pow.mul(p2);
    }
    // p1_pow and p2_pow are now P1^15 and P2^15. Both are invertible, so exactly one symbol completes each sum
    // to zero; with 4 and 9 candidates, trying them is simplest.
    let q15 = (0..4u32).map(|a| [a / 2, a % 2]).find(|&q| {
        let t = p1_pow.apply(q);
        (q_sum[0] + t[0]) % 2 == 0 && (q_sum[1] + t[1]) % 2 == 0
    })?;
    let r15 = (0..9u32).map(|a| [a / 3, a % 3]).find(|&r| {
        let t = p2_pow.apply(r);
        (r_sum[0] + t[0]) % 3 == 0 && (r_sum[1] + t[1]) % 3 == 0
    })?;
    let value = 9 * (2 * q15[0] + q15[1]) + 3 * r15[0] + r15[1];
    Some(char::from(SYMBOLS[value as usize]))
}

/// The check digit (`0`-`9` or `X`) of a DIN SPEC 91286 contract ID.
///
/// `base` is the 11-character compact ID without check digit (country, provider, 6-character instance), letters
/// in either case. Returns `None` if it is not 11 letters and digits.
///
/// Each symbol is written as its decimal value (`0`-`9` as one digit, `A`-`Z` as the two digits of 10-35); the
/// resulting digit string is weighted with 1, 2, 4, 8, ... (powers of two, left to right), and the sum modulo 11
/// is the check digit, 10 being written `X`.
pub fn din_check_digit(base: &str) -> Option<char> {
    if base.len() != 11 {
        return None;
    }
    let values = base
        .chars()
        .map(symbol_value)
        .collect::<Option<Vec<u32>>>()?;
    let (mut sum, mut weight) = (0u32, 1u32);
    let mut add_digit = |d: u32| {
        sum = (sum + d * weight) % 11;
        weight = weight * 2 % 11;
    };
    for v in values {
        if v >= 10 {
            add_digit(v / 10);
        }
        add_digit(v % 10);
    }
    Some(match sum {
        10 => 'X',
        d => char::from_digit(d, 10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible(input: &str) -> Checked<VisibleId> {
        VisibleId::parse(input).unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
    }

    fn hidden(input: &str) -> Checked<HiddenId> {
        HiddenId::parse(input).unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
    }

    // Vectors from the public implementations: ShellRechargeSolutionsEU/mobilityid (CheckDigitSpec, EmaIdSpec),
    // the eMI3 example DE-8AA-CA2B3C4D5-L and the example of "Check Digit Calculation for Contract-IDs".
    const EMAID_VECTORS: &[(&str, char)] = &[
        ("NLTNM000122045", 'U'),
        ("NLTNMC00122045", 'K'),
        ("DE83DUIEN83QGZ", 'D'),
        ("FRXYZ123456789", '2'),
        ("ITA1B2C3E4F5G6", '4'),
        ("PT73902837ABCZ", 'Z'),
        ("DE8AA001234567", '0'),
        ("NN123ABCDEFGHI", 'T'),
        ("ESZU8WOX834H1D", 'R'),
        ("DE83DUIEN83ZGQ", 'M'),
        ("NLTNM000722345", 'X'),
        ("DE8AACA2B3C4D5", 'L'),
    ];

    // Vectors from mobilityid / go-mobilityid, plus the help article's example NL-TNM-B12345.
    const DIN_VECTORS: &[(&str, char)] = &[
        ("NLTNM012204", '5'),
        ("INTNM000110", 'X'),
        ("INTNM000071", '9'),
        ("NLTNM122045", '0'),
        ("INTNM000124", '0'),
        ("INTNM000114", '6'),
        ("INTNM000191", '5'),
        ("NLTNMB12345", '7'),
    ];

    #[test]
    fn emaid_check_characters_match_published_vectors() {
        for &(base, expected) in EMAID_VECTORS {
            assert_eq!(emaid_check_char(base), Some(expected), "{base}");
            assert_eq!(
                emaid_check_char(&base.to_ascii_lowercase()),
                Some(expected),
                "{base} lower-case"
            );
        }
    }

    #[test]
    fn din_check_digits_match_published_vectors() {
        for &(base, expected) in DIN_VECTORS {
            assert_eq!(din_check_digit(base), Some(expected), "{base}");
        }
    }

    #[test]
    fn check_functions_refuse_wrong_length_or_charset() {
        for bad in [
            "",
            "NLTNM00012204",
            "NLTNM0001220455",
            "NL-TNM-0001220",
            "NLTNM00012204Ä",
        ] {
            assert_eq!(emaid_check_char(bad), None, "{bad:?}");
        }
        for bad in [
            "",
            "NLTNM01220",
            "NLTNM0122045",
            "NL-TNM-0122",
            "NLTNM01220*",
        ] {
            assert_eq!(din_check_digit(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn emaid_check_detects_single_errors_and_adjacent_transpositions() {
        let base = "NLTNM000122045";
        let good = emaid_check_char(base).unwrap();
        let chars: Vec<char> = base.chars().collect();
        for i in 0..chars.len() {
            for &s in SYMBOLS.iter() {
                let s = char::from(s);
                if s == chars[i] {
                    continue;
                }
                let mut changed = chars.clone();
                changed[i] = s;
                let changed: String = changed.into_iter().collect();
                assert_ne!(emaid_check_char(&changed), Some(good), "{changed}");
            }
            if i + 1 < chars.len() && chars[i] != chars[i + 1] {
                let mut swapped = chars.clone();
                swapped.swap(i, i + 1);
                let swapped: String = swapped.into_iter().collect();
                assert_ne!(emaid_check_char(&swapped), Some(good), "{swapped}");
            }
        }
    }

    #[test]
    fn recognises_emaids_with_and_without_hyphens() {
        let cases: &[(&str, &str, &str)] = &[
            // input, canonical, compact
            (
                "NL-TNM-000122045-U",
                "NL-TNM-000122045-U",
                "NLTNM000122045U",
            ),
            (
                "nl-tnm-000122045-u",
                "NL-TNM-000122045-U",
                "NLTNM000122045U",
            ),
            ("NLTNM000122045U", "NL-TNM-000122045-U", "NLTNM000122045U"),
            (
                "  NLTNM000122045U\t",
                "NL-TNM-000122045-U",
                "NLTNM000122045U",
            ),
            ("NL-TNM000122045U", "NL-TNM-000122045-U", "NLTNM000122045U"),
            ("NLTNM-000122045-U", "NL-TNM-000122045-U", "NLTNM000122045U"),
            // Hyphens may be left out individually.
            ("NL-TNM-000122045U", "NL-TNM-000122045-U", "NLTNM000122045U"),
            ("NL-TNM-000122045", "NL-TNM-000122045", "NLTNM000122045"),
            (
                "NL*TNM*000122045*U",
                "NL-TNM-000122045-U",
                "NLTNM000122045U",
            ),
            ("DE-8AA-001234567", "DE-8AA-001234567", "DE8AA001234567"),
            (
                "DE-8AA-CA2B3C4D5-L",
                "DE-8AA-CA2B3C4D5-L",
                "DE8AACA2B3C4D5L",
            ),
            (
                "NL-TNM-C00122045-K",
                "NL-TNM-C00122045-K",
                "NLTNMC00122045K",
            ),
        ];
        for &(input, canonical, compact) in cases {
            let checked = visible(input);
            assert_eq!(checked.value.as_str(), canonical, "{input:?}");
            assert_eq!(checked.value.compact(), compact, "{input:?}");
            assert_eq!(
                checked.value.contract_kind(),
                Some(ContractIdKind::Emaid),
                "{input:?}"
            );
            assert_eq!(checked.warnings, vec![], "{input:?}");
        }
    }

    #[test]
    fn recognises_din_ids_with_and_without_separators() {
        let cases: &[(&str, &str)] = &[
            ("NL-TNM-012204-5", "NL-TNM-012204-5"),
            ("nltnm0122045", "NL-TNM-012204-5"),
            ("NL*TNM*012204*5", "NL-TNM-012204-5"),
            ("NL-TNM-012204*5", "NL-TNM-012204-5"),
            ("in-tnm-000110-x", "IN-TNM-000110-X"),
            ("NLTNM-122045-0", "NL-TNM-122045-0"),
            ("NL-TNM-B12345-7", "NL-TNM-B12345-7"),
        ];
        for &(input, canonical) in cases {
            let checked = visible(input);
            assert_eq!(checked.value.as_str(), canonical, "{input:?}");
            assert_eq!(checked.value.compact(), canonical.replace('-', ""));
            assert_eq!(
                checked.value.contract_kind(),
                Some(ContractIdKind::Din),
                "{input:?}"
            );
            assert_eq!(checked.warnings, vec![], "{input:?}");
        }
    }

    #[test]
    fn the_help_article_example_has_a_wrong_check_digit() {
        let checked = visible("NL-TNM-B12345-6");
        assert_eq!(checked.value.as_str(), "NL-TNM-B12345-6");
        assert_eq!(checked.value.contract_kind(), Some(ContractIdKind::Din));
        let warning = PassIdWarning::CheckCharacterMismatch {
            id: "NL-TNM-B12345".to_string(),
            expected: '7',
            found: '6',
        };
        assert_eq!(checked.warnings, vec![warning.clone()]);
        assert!(checked.needs_confirmation());
        assert_eq!(
            warning.to_string(),
            "The check character of NL-TNM-B12345 should be 7, but 6 was entered. Check the card for a typo; if \
             the card really shows this ID, confirm to save it anyway."
        );
    }

    #[test]
    fn wrong_emaid_check_character_is_a_warning() {
        let checked = visible("nltnm000122045x");
        assert_eq!(checked.value.as_str(), "NL-TNM-000122045-X");
        assert_eq!(checked.value.contract_kind(), Some(ContractIdKind::Emaid));
        assert_eq!(
            checked.warnings,
            vec![PassIdWarning::CheckCharacterMismatch {
                id: "NL-TNM-000122045".to_string(),
                expected: 'U',
                found: 'X',
            }]
        );
    }

    #[test]
    fn unrecognised_visible_ids_are_kept_as_entered() {
        let cases: &[(&str, &str)] = &[
            // Hyphens away from the standard positions: not a contract ID, but a valid card ID.
            ("NL-TN-M000122045-U", "NL-TN-M000122045-U"),
            ("NLT-NM-000122045-U", "NLT-NM-000122045-U"),
            ("NL-TNM-0001220-45-U", "NL-TNM-0001220-45-U"),
            ("NL--TNM-000122045-U", "NL--TNM-000122045-U"),
            // Country code must be letters.
            ("N1-TNM-000122045-U", "N1-TNM-000122045-U"),
            // DIN needs a check digit 0-9 or X.
            ("NL-TNM-012204-A", "NL-TNM-012204-A"),
            // Other lengths.
            ("abc-12345", "ABC-12345"),
            ("CARD*0042", "CARD-0042"),
            ("XYZ9", "XYZ9"),
            ("GHIJKLMN", "GHIJKLMN"),
        ];
        for &(input, canonical) in cases {
            let checked = visible(input);
            assert_eq!(checked.value.as_str(), canonical, "{input:?}");
            assert_eq!(checked.value.compact(), canonical.replace('-', ""));
            assert_eq!(checked.value.contract_kind(), None, "{input:?}");
            assert!(checked.warnings.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn refuses_invalid_visible_ids() {
        let long = "A".repeat(37);
        let max_ok = "A".repeat(36);
        assert!(VisibleId::parse(&max_ok).is_ok());
        let cases: &[(&str, VisibleIdError)] = &[
            ("", VisibleIdError::Empty),
            ("   ", VisibleIdError::Empty),
            (
                "NL TNM 000122045 U",
                VisibleIdError::InvalidCharacter { found: ' ' },
            ),
            (
                "NL_TNM_000122045",
                VisibleIdError::InvalidCharacter { found: '_' },
            ),
            (
                "NL-TNM-0001220ä5",
                VisibleIdError::InvalidCharacter { found: 'ä' },
            ),
            ("NL/TNM/1", VisibleIdError::InvalidCharacter { found: '/' }),
            (&long, VisibleIdError::TooLong { len: 37, max: 36 }),
            ("AB1", VisibleIdError::TooShort { len: 3, min: 4 }),
            ("A-B-C", VisibleIdError::TooShort { len: 3, min: 4 }),
        ];
        for (input, expected) in cases {
            assert_eq!(VisibleId::parse(input), Err(expected.clone()), "{input:?}");
        }
    }

    #[test]
    fn hidden_id_pasted_as_public_card_id_is_refused() {
        for input in [
            "04AAAB11CD2345",
            "04aaab11cd2345",
            "04:AA:AB:11:CD:23:45",
            "04 aa ab 11 cd 23 45",
            "DEADBEEF",
            "0102030405060708090A",
            // Hex and a valid EMAID base at the same time: must be typed with hyphens.
            "DE8AA001234567",
        ] {
            assert_eq!(
                VisibleId::parse(input),
                Err(VisibleIdError::LooksLikeHiddenId),
                "{input:?}"
            );
        }
        // With hyphens it is a Public Card ID.
        assert_eq!(
            visible("DE-8AA-001234567").value.contract_kind(),
            Some(ContractIdKind::Emaid)
        );
        // Hex but not a UID length: accepted (here: an EMAID with check character).
        assert_eq!(
            visible("DE8AA0012345670").value.as_str(),
            "DE-8AA-001234567-0"
        );
        let message = VisibleIdError::LooksLikeHiddenId.to_string();
        assert!(message.contains("Hidden ID"), "{message}");
        assert!(message.contains("with its hyphens"), "{message}");
    }

    #[test]
    fn normalises_hidden_ids() {
        let cases: &[(&str, &str)] = &[
            ("04:aa:ab:11:cd:23:45", "04AAAB11CD2345"),
            ("04AAAB11CD2345", "04AAAB11CD2345"),
            ("  04aaab11cd2345 ", "04AAAB11CD2345"),
            ("04 AA AB 11 CD 23 45", "04AAAB11CD2345"),
            ("deadbeef", "DEADBEEF"),
            ("0102030405060708090a", "0102030405060708090A"),
        ];
        for &(input, expected) in cases {
            let checked = hidden(input);
            assert_eq!(checked.value.as_str(), expected, "{input:?}");
            assert!(checked.warnings.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn hidden_id_warnings() {
        let cases: &[(&str, &[PassIdWarning])] = &[
            (
                "04AAAB11CD23",
                &[PassIdWarning::UnusualUidLength { len: 12 }],
            ),
            ("1", &[PassIdWarning::UnusualUidLength { len: 1 }]),
            ("08A1B2C3", &[PassIdWarning::RandomUid]),
            // Only 4-byte UIDs starting 08 are random.
            ("08A1B2C3D4E5F6", &[]),
            ("18A1B2C3", &[]),
        ];
        for &(input, expected) in cases {
            let checked = hidden(input);
            assert_eq!(checked.warnings, expected, "{input:?}");
            assert!(!checked.needs_confirmation(), "{input:?}");
        }
        assert_eq!(
            PassIdWarning::UnusualUidLength { len: 12 }.to_string(),
            "Hidden IDs are usually 8, 14 or 20 hex characters (4-, 7- or 10-byte UIDs); this one has 12. \
             Check that you copied all of it."
        );
    }

    #[test]
    fn refuses_invalid_hidden_ids() {
        let cases: &[(&str, HiddenIdError)] = &[
            ("", HiddenIdError::Empty),
            (" \t", HiddenIdError::Empty),
            (" : : ", HiddenIdError::Empty),
            ("NL-TNM-B12345-6", HiddenIdError::ContainsHyphen),
            ("04-AA-AB-11", HiddenIdError::ContainsHyphen),
            ("NLTNM000122045U", HiddenIdError::LooksLikeVisibleId),
            ("NLTNM000122045", HiddenIdError::LooksLikeVisibleId),
            ("nltnm0122045", HiddenIdError::LooksLikeVisibleId),
            ("NL*TNM*012204*5", HiddenIdError::LooksLikeVisibleId),
            ("04AAAB11CD234G", HiddenIdError::NotHex { found: 'G' }),
            ("04aaab11cd234g", HiddenIdError::NotHex { found: 'g' }),
            ("0x04AAAB11", HiddenIdError::NotHex { found: 'x' }),
            ("CARD-1", HiddenIdError::ContainsHyphen),
            ("04AAAB11CD2345AABBCCD", HiddenIdError::TooLong { len: 21 }),
        ];
        for (input, expected) in cases {
            assert_eq!(HiddenId::parse(input), Err(expected.clone()), "{input:?}");
        }
        let message = HiddenIdError::ContainsHyphen.to_string();
        assert!(message.contains("does not contain hyphens"), "{message}");
        assert!(message.contains("Public Card ID"), "{message}");
        assert!(HiddenIdError::LooksLikeVisibleId
            .to_string()
            .contains("under Public Card ID"));
        assert!(HiddenIdError::NotHex { found: 'G' }
            .to_string()
            .contains("\"G\" is not allowed"));
    }

    #[test]
    fn error_messages_are_sentences() {
        let messages = [
            HiddenIdError::Empty.to_string(),
            HiddenIdError::ContainsHyphen.to_string(),
            HiddenIdError::LooksLikeVisibleId.to_string(),
            HiddenIdError::NotHex { found: ' ' }.to_string(),
            HiddenIdError::TooLong { len: 21 }.to_string(),
            VisibleIdError::Empty.to_string(),
            VisibleIdError::InvalidCharacter { found: ' ' }.to_string(),
            VisibleIdError::InvalidCharacter { found: '\u{7}' }.to_string(),
            VisibleIdError::TooLong { len: 37, max: 36 }.to_string(),
            VisibleIdError::TooShort { len: 3, min: 4 }.to_string(),
            VisibleIdError::LooksLikeHiddenId.to_string(),
            PassIdWarning::RandomUid.to_string(),
        ];
        for m in messages {
            assert!(m.ends_with('.'), "{m}");
            assert!(m.chars().next().unwrap().is_uppercase(), "{m}");
        }
        assert!(VisibleIdError::InvalidCharacter { found: ' ' }
            .to_string()
            .contains("cannot contain spaces"));
        assert!(VisibleIdError::InvalidCharacter { found: '\u{7}' }
            .to_string()
            .contains("U+0007"));
    }

    #[test]
    fn check_pass_id_asks_for_confirmation_of_check_character_mismatches() {
        let err = check_pass_id(PassIdKind::Visible, "NL-TNM-B12345-6", false).unwrap_err();
        let warning = PassIdWarning::CheckCharacterMismatch {
            id: "NL-TNM-B12345".to_string(),
            expected: '7',
            found: '6',
        };
        assert_eq!(err, PassIdError::NeedsConfirmation(warning.clone()));
        assert_eq!(err.to_string(), warning.to_string());

        let ok = check_pass_id(PassIdKind::Visible, "NL-TNM-B12345-6", true).unwrap();
        assert_eq!(ok.value.as_str(), "NL-TNM-B12345-6");
        assert_eq!(ok.value.kind(), PassIdKind::Visible);
        assert_eq!(ok.warnings, vec![warning]);
    }

    #[test]
    fn check_pass_id_does_not_block_on_other_warnings() {
        for confirmed in [false, true] {
            let ok = check_pass_id(PassIdKind::Hidden, "04aaab11cd23", confirmed).unwrap();
            assert_eq!(
                ok.value,
                PassIdentifier::Hidden(hidden("04AAAB11CD23").value)
            );
            assert_eq!(
                ok.warnings,
                vec![PassIdWarning::UnusualUidLength { len: 12 }]
            );
        }
    }

    #[test]
    fn check_pass_id_routes_to_the_right_parser() {
        let v = check_pass_id(PassIdKind::Visible, "nltnm0122045", false).unwrap();
        assert_eq!(v.value.kind(), PassIdKind::Visible);
        assert_eq!(v.value.as_str(), "NL-TNM-012204-5");
        assert_eq!(v.value.match_key(), "NLTNM0122045");
        assert_eq!(v.value.contract_kind(), Some(ContractIdKind::Din));
        assert_eq!(v.value.to_string(), "NL-TNM-012204-5");

        let h = check_pass_id(PassIdKind::Hidden, "04:aa:ab:11:cd:23:45", false).unwrap();
        assert_eq!(h.value.kind(), PassIdKind::Hidden);
        assert_eq!(h.value.as_str(), "04AAAB11CD2345");
        assert_eq!(h.value.match_key(), "04AAAB11CD2345");
        assert_eq!(h.value.contract_kind(), None);

        assert_eq!(
            check_pass_id(PassIdKind::Hidden, "NL-TNM-B12345-6", true),
            Err(PassIdError::Hidden(HiddenIdError::ContainsHyphen))
        );
        assert_eq!(
            check_pass_id(PassIdKind::Visible, "04AAAB11CD2345", true),
            Err(PassIdError::Visible(VisibleIdError::LooksLikeHiddenId))
        );
        assert_eq!(
            check_pass_id(PassIdKind::Visible, "04AAAB11CD2345", true)
                .unwrap_err()
                .to_string(),
            VisibleIdError::LooksLikeHiddenId.to_string()
        );
    }

    #[test]
    fn same_card_with_different_separators_has_the_same_match_key() {
        let a = check_pass_id(PassIdKind::Visible, "NL-TNM-000122045-U", false).unwrap();
        let b = check_pass_id(PassIdKind::Visible, "nltnm000122045u", false).unwrap();
        let c = check_pass_id(PassIdKind::Visible, "NL*TNM*000122045*U", false).unwrap();
        assert_eq!(a.value.match_key(), b.value.match_key());
        assert_eq!(a.value.match_key(), c.value.match_key());
        assert_eq!(a.value, b.value);
    }

    #[test]
    fn an_emaid_with_and_without_its_optional_check_character_is_the_same_card() {
        let with = check_pass_id(PassIdKind::Visible, "NL-TNM-000122045-U", false).unwrap();
        let without = check_pass_id(PassIdKind::Visible, "NL-TNM-000122045", false).unwrap();
        assert_eq!(with.value.match_key(), "NLTNM000122045");
        assert_eq!(with.value.match_key(), without.value.match_key());
        // A DIN SPEC 91286 ID always has its check digit, which stays part of the key.
        let din = check_pass_id(PassIdKind::Visible, "NL-TNM-012204-5", false).unwrap();
        assert_eq!(din.value.match_key(), "NLTNM0122045");
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in PassIdKind::ALL {
            assert_eq!(PassIdKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        for k in ContractIdKind::ALL {
            assert_eq!(ContractIdKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(PassIdKind::parse("Visible"), None);
        assert_eq!(PassIdKind::Visible.label(), "Public Card ID");
        assert_eq!(PassIdKind::Hidden.label(), "Hidden ID");
        assert_eq!(ContractIdKind::Emaid.label(), "EMAID (ISO 15118 / eMI3)");
        assert_eq!(ContractIdKind::Din.label(), "DIN SPEC 91286");
    }

    #[test]
    fn serde_uses_plain_strings_and_revalidates() {
        let v = visible("nltnm0122045").value;
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "\"NL-TNM-012204-5\"");
        assert_eq!(serde_json::from_str::<VisibleId>(&json).unwrap(), v);
        assert!(serde_json::from_str::<VisibleId>("\"04AAAB11CD2345\"").is_err());

        let h = hidden("04:aa:ab:11:cd:23:45").value;
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, "\"04AAAB11CD2345\"");
        assert_eq!(serde_json::from_str::<HiddenId>(&json).unwrap(), h);
        assert!(serde_json::from_str::<HiddenId>("\"NL-TNM\"").is_err());

        let id = PassIdentifier::Hidden(h);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#"{"hidden":"04AAAB11CD2345"}"#);
        assert_eq!(serde_json::from_str::<PassIdentifier>(&json).unwrap(), id);

        let checked = check_pass_id(PassIdKind::Visible, "NL-TNM-B12345-6", true).unwrap();
        let json = serde_json::to_string(&checked).unwrap();
        assert_eq!(
            serde_json::from_str::<Checked<PassIdentifier>>(&json).unwrap(),
            checked
        );

        let err = PassIdError::Visible(VisibleIdError::TooShort { len: 3, min: 4 });
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<PassIdError>(&json).unwrap(), err);
    }
}
