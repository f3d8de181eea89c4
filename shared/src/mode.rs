//! Whether a pass charges free at an organization's stations ("Whitelist") or is charged and settled ("Roaming").

use crate::pass_id::PassIdentifier;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How an organization's charging stations treat a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassMode {
    /// Charges free at this organization's stations; the sessions are never settled.
    Whitelist,
    /// Charges like at any public station: sessions are charged and settled with the card's provider.
    Roaming,
}

impl PassMode {
    /// Every mode, in the order the UI offers them.
    pub const ALL: [PassMode; 2] = [PassMode::Whitelist, PassMode::Roaming];

    /// The stored name: "whitelist" or "roaming" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Whitelist => "whitelist",
            Self::Roaming => "roaming",
        }
    }

    /// The mode with the given stored name ([`PassMode::as_str`]), if any.
    pub fn parse(s: &str) -> Option<PassMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The name the UI shows: "Whitelist" or "Roaming".
    pub fn label(self) -> &'static str {
        match self {
            Self::Whitelist => "Whitelist",
            Self::Roaming => "Roaming",
        }
    }

    /// One sentence explaining the mode, shown next to the choice.
    pub fn description(self) -> &'static str {
        match self {
            Self::Whitelist => {
                "Charges free of charge at this organization's charging stations; the sessions are never settled \
                 or invoiced."
            }
            Self::Roaming => {
                "Charging sessions are charged and settled with the card's provider, as at any public charging \
                 station."
            }
        }
    }
}

/// Shows the label.
impl fmt::Display for PassMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The mode a newly added pass starts in, with the sentence that tells the user why.
///
/// A Public Card ID recognised as an EMAID or DIN SPEC 91286 contract ID belongs to a public charging pass,
/// whose sessions must be settled unless someone deliberately whitelists it: it starts as [`PassMode::Roaming`].
/// A Hidden ID or an unrecognised Public Card ID (tags, non-paying cards) starts as [`PassMode::Whitelist`].
pub fn initial_for(id: &PassIdentifier) -> (PassMode, &'static str) {
    match id {
        PassIdentifier::Visible(v) if v.contract_kind().is_some() => (
            PassMode::Roaming,
            "Public charging passes are settled unless whitelisted: this pass starts as Roaming. Set it to \
             Whitelist under Organization settings → Passes to let it charge free of charge.",
        ),
        PassIdentifier::Visible(_) => (
            PassMode::Whitelist,
            "This Public Card ID is not a public contract ID, so the pass starts as Whitelist: it charges free \
             of charge at this organization's charging stations.",
        ),
        PassIdentifier::Hidden(_) => (
            PassMode::Whitelist,
            "Passes added by their Hidden ID start as Whitelist: this pass charges free of charge at this \
             organization's charging stations.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pass_id::{check_pass_id, PassIdKind};

    #[test]
    fn modes_round_trip_through_their_stored_names() {
        for mode in PassMode::ALL {
            assert_eq!(PassMode::parse(mode.as_str()), Some(mode));
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
            assert_eq!(serde_json::from_str::<PassMode>(&json).unwrap(), mode);
            assert_eq!(mode.to_string(), mode.label());
            assert!(mode.description().ends_with('.'));
        }
        assert_eq!(PassMode::parse("Whitelist"), None);
        assert_eq!(PassMode::Whitelist.label(), "Whitelist");
        assert_eq!(PassMode::Roaming.label(), "Roaming");
    }

    #[test]
    fn initial_mode_depends_on_the_kind_of_id() {
        let table = [
            // kind, input, expected mode
            (PassIdKind::Visible, "NL-TNM-000122045-U", PassMode::Roaming),
            (PassIdKind::Visible, "NL-TNM-012204-5", PassMode::Roaming),
            (PassIdKind::Visible, "NL-TNM-000122045", PassMode::Roaming),
            (PassIdKind::Visible, "TAG-0042", PassMode::Whitelist),
            (PassIdKind::Hidden, "04AAAB11CD2345", PassMode::Whitelist),
        ];
        for (kind, input, expected) in table {
            let id = check_pass_id(kind, input, false).unwrap().value;
            let (mode, why) = initial_for(&id);
            assert_eq!(mode, expected, "{input}");
            assert!(why.contains(mode.label()), "{why}");
            assert!(why.ends_with('.'), "{why}");
        }
    }
}
