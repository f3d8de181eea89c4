//! The pass fields of "+ Add Pass" — Public Card ID or Hidden ID, and nickname — checked as one form. The browser
//! form (on every keystroke), the server function behind it and every row of a bulk import (`crate::import`) call
//! [`PassFields::parse`], so that a card is accepted or refused the same way wherever it is entered.

use crate::names::Nickname;
use crate::pass_id::{check_pass_id, PassIdError, PassIdKind, PassIdWarning, PassIdentifier};

/// The form's field names, shared by the inputs, the live checks and the server's errors.
pub mod field {
    pub const PUBLIC_CARD_ID: &str = "public_card_id";
    pub const HIDDEN_ID: &str = "hidden_id";
    pub const NICKNAME: &str = "nickname";
}

/// A valid pass: its card and nickname, with what looked odd about the card.
#[derive(Debug, Clone, PartialEq)]
pub struct PassFields {
    pub id: PassIdentifier,
    pub nickname: Nickname,
    pub warnings: Vec<PassIdWarning>,
}

/// Every field's message. `needs_confirmation` is set while the only thing missing is the confirmation of a
/// warning (a check character that does not match).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PassFormCheck {
    pub errors: Vec<(&'static str, String)>,
    pub warnings: Vec<(&'static str, PassIdWarning)>,
    pub needs_confirmation: bool,
}

impl PassFields {
    /// Exactly one of `public_card_id` / `hidden_id`, checked by [`check_pass_id`], and a nickname.
    /// `confirmed` is the "save anyway" tick for an ID whose check character does not match.
    pub fn parse(
        public_card_id: &str,
        hidden_id: &str,
        nickname: &str,
        confirmed: bool,
    ) -> Result<PassFields, PassFormCheck> {
        let mut check = PassFormCheck::default();
        let (public, hidden) = (public_card_id.trim(), hidden_id.trim());
        let (kind, field, input) = match (public.is_empty(), hidden.is_empty()) {
            (false, false) => {
                check.errors.push((
                    field::HIDDEN_ID,
                    "Fill in either the Public Card ID or the Hidden ID, not both. Use the Hidden ID only when the card has no usable visible ID.".into(),
                ));
                (None, field::HIDDEN_ID, "")
            }
            (true, true) => {
                check.errors.push((
                    field::PUBLIC_CARD_ID,
                    "Enter the Public Card ID printed on the card, or the card's Hidden ID (UID)."
                        .into(),
                ));
                (None, field::PUBLIC_CARD_ID, "")
            }
            (false, true) => (Some(PassIdKind::Visible), field::PUBLIC_CARD_ID, public),
            (true, false) => (Some(PassIdKind::Hidden), field::HIDDEN_ID, hidden),
        };
        let id = kind.and_then(|kind| match check_pass_id(kind, input, confirmed) {
            Ok(checked) => {
                check
                    .warnings
                    .extend(checked.warnings.iter().cloned().map(|w| (field, w)));
                Some((checked.value, checked.warnings))
            }
            Err(PassIdError::NeedsConfirmation(warning)) => {
                check.needs_confirmation = true;
                check.errors.push((field, warning.to_string()));
                check.warnings.push((field, warning));
                None
            }
            Err(e) => {
                check.errors.push((field, e.to_string()));
                None
            }
        });
        let nickname = Nickname::parse(nickname)
            .map_err(|e| check.errors.push((field::NICKNAME, e.to_string())))
            .ok();
        match (id, nickname) {
            (Some((id, warnings)), Some(nickname)) if check.errors.is_empty() => Ok(PassFields {
                id,
                nickname,
                warnings,
            }),
            _ => Err(check),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_id_and_a_nickname() {
        let p = PassFields::parse("NL-TNM-012204-5", "", "Company car", false).unwrap();
        assert_eq!(p.id.kind(), PassIdKind::Visible);
        assert_eq!(p.nickname.as_str(), "Company car");
        let c = PassFields::parse("", "", "", false).unwrap_err();
        let fields: Vec<_> = c.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, [field::PUBLIC_CARD_ID, field::NICKNAME]);
        let both =
            PassFields::parse("NL-TNM-012204-5", "04AAAB11CD2345", "Tag", false).unwrap_err();
        assert_eq!(both.errors[0].0, field::HIDDEN_ID);
    }

    #[test]
    fn a_wrong_check_character_needs_confirmation() {
        let c = PassFields::parse("NL-TNM-B12345-6", "", "Card", false).unwrap_err();
        assert!(c.needs_confirmation);
        assert_eq!(c.errors.len(), 1);
        let p = PassFields::parse("NL-TNM-B12345-6", "", "Card", true).unwrap();
        assert!(p.warnings.iter().any(PassIdWarning::needs_confirmation));
    }
}
