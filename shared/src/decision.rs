//! The authorization decision: may the card a station reports (the OCPP `idTag`) charge there, and is the session
//! free or settled?
//!
//! The OCPP Authorize and StartTransaction handlers do three steps:
//!
//! 1. [`id_tag_keys`] turns the `idTag` into the keys to look passes up by: a Hidden ID key and, for a contract
//!    ID, a Public Card ID key.
//! 2. Storage loads the passes with those keys in the station's organization and its sub-organizations, nearest
//!    organization first: the [`CandidatePass`]es.
//! 3. [`decide`] applies the station's [`AccessMode`] (see [`crate::station::effective_access_mode`]) and returns
//!    a [`Decision`]: the OCPP status, whether the session is free or settled, the pass, and a reason for the UI.
//!
//! The sub-organization rule is the employer model: a company's station sits in the company's organization, and
//! a department (a sub-organization) whitelists its employees' cards; those cards charge free at the company's
//! station. Passes of the parent organization or of sibling organizations never count: a customer's whitelist
//! must not open another customer's stations.

use crate::ids::{OrgId, PassId, UserId};
use crate::mode::PassMode;
use crate::pass_id::{HiddenId, VisibleId, VisibleIdError};
use crate::station::AccessMode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most characters of a received `idTag` repeated in a reason; a longer one is cut off with "…". (A valid
/// `idTag` has at most 20.)
const SHOWN_ID_TAG_MAX_LEN: usize = 40;

/// A pass that matched the presented idTag, in the station's organization or one of its sub-organizations.
///
/// [`decide`] expects the candidates nearest first: the passes of the station's own organization, then those of
/// its direct sub-organizations, then deeper ones (ties broken by the caller in a fixed order, e.g. by pass id,
/// so that the same card always gives the same decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidatePass {
    /// The pass.
    pub pass: PassId,
    /// The organization the pass is registered in.
    pub org: OrgId,
    /// That organization's name, for the reason.
    pub org_name: String,
    /// The pass's nickname, for the reason.
    pub nickname: String,
    /// The cardholder, if the pass belongs to a user.
    pub user: Option<UserId>,
    /// Whether the pass is whitelisted or roaming in its organization.
    pub mode: PassMode,
}

/// The OCPP 1.6 `idTagInfo.status` the server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthorizationStatus {
    /// The card may charge.
    Accepted,
    /// Reserved: the card is known but blocked. Not produced yet; it will be once a pass can be blocked (suspended
    /// by an administrator, or reported blocked by its provider when roaming authorization with other platforms
    /// exists). Until then every refusal is [`AuthorizationStatus::Invalid`].
    Blocked,
    /// The card may not charge at this station: unknown, or not allowed by the station's access mode.
    Invalid,
}

impl AuthorizationStatus {
    /// Every status.
    pub const ALL: [AuthorizationStatus; 3] = [
        AuthorizationStatus::Accepted,
        AuthorizationStatus::Blocked,
        AuthorizationStatus::Invalid,
    ];

    /// The OCPP spelling: "Accepted", "Blocked" or "Invalid" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "Accepted",
            Self::Blocked => "Blocked",
            Self::Invalid => "Invalid",
        }
    }

    /// The status with the given OCPP spelling ([`AuthorizationStatus::as_str`]), if any.
    pub fn parse(s: &str) -> Option<AuthorizationStatus> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Shows the OCPP spelling.
impl fmt::Display for AuthorizationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an accepted session's costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Whitelisted or Open-mode session: free of charge, never settled or invoiced.
    Free,
    /// Roaming session: charged and settled with the card's provider.
    Settled,
}

impl Billing {
    /// Both kinds.
    pub const ALL: [Billing; 2] = [Billing::Free, Billing::Settled];

    /// The stored name: "free" or "settled" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Settled => "settled",
        }
    }

    /// The kind with the given stored name ([`Billing::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Billing> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The name the UI shows: "Free" or "Settled".
    pub fn label(self) -> &'static str {
        match self {
            Self::Free => "Free",
            Self::Settled => "Settled",
        }
    }
}

/// Shows the label.
impl fmt::Display for Billing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What to answer the station.
    pub status: AuthorizationStatus,
    /// `Some` exactly when `status` is [`AuthorizationStatus::Accepted`].
    pub billing: Option<Billing>,
    /// The pass the decision is about: the candidate that was used, also for a refusal (so the UI can link to it).
    /// `None` when no pass matched. Whether the card may charge is `status`, never whether this is set.
    pub pass: Option<PassId>,
    /// That pass's cardholder, if any.
    pub user: Option<UserId>,
    /// Why, in words an administrator or installer understands; shown in the UI and the station's log.
    pub reason: String,
}

impl Decision {
    /// Whether the card may charge.
    pub fn is_accepted(&self) -> bool {
        self.status == AuthorizationStatus::Accepted
    }

    fn accepted(candidate: Option<&CandidatePass>, billing: Billing, reason: String) -> Decision {
        Decision {
            status: AuthorizationStatus::Accepted,
            billing: Some(billing),
            pass: candidate.map(|c| c.pass),
            user: candidate.and_then(|c| c.user),
            reason,
        }
    }

    fn invalid(candidate: Option<&CandidatePass>, reason: String) -> Decision {
        Decision {
            status: AuthorizationStatus::Invalid,
            billing: None,
            pass: candidate.map(|c| c.pass),
            user: candidate.and_then(|c| c.user),
            reason,
        }
    }
}

/// Decides whether a card may charge at a station, and whether the session is free or settled.
///
/// `id_tag` is the idTag as received (only used in the reason text), `mode` the station's effective access mode,
/// `station_org_name` the name of the station's organization (for messages), and `candidates` the passes with
/// this ID in the station's organization subtree: the station's organization and its sub-organizations, any
/// depth. The caller's SQL must never include parent or sibling organizations; the engine cannot tell and trusts
/// the list. Candidates come nearest organization first (see [`CandidatePass`]): where several passes qualify,
/// the first one is used.
///
/// | mode | whitelisted pass | roaming pass only | no pass |
/// |---|---|---|---|
/// | Open | Accepted, free | Accepted, free | Accepted, free |
/// | Whitelisting | Accepted, free | Invalid | Invalid |
/// | Roaming | Accepted, settled (whitelist ignored) | Accepted, settled | Invalid |
/// | Roaming + whitelisting | Accepted, free | Accepted, settled | Invalid |
///
/// A whitelisted pass anywhere in the subtree wins over a roaming one in Whitelisting and Roaming + whitelisting
/// mode; in Roaming mode a roaming pass is preferred, as it is the one meant to be settled. Unknown cards are
/// refused outside Open mode because roaming authorization with other platforms is not available yet.
/// [`AuthorizationStatus::Blocked`] is not produced yet.
pub fn decide(
    id_tag: &str,
    mode: AccessMode,
    station_org_name: &str,
    candidates: &[CandidatePass],
) -> Decision {
    let nearest = candidates.first();
    let nearest_whitelisted = candidates.iter().find(|c| c.mode == PassMode::Whitelist);
    let nearest_roaming = candidates.iter().find(|c| c.mode == PassMode::Roaming);
    let shown = shown_id_tag(id_tag);
    let label = mode.label();
    match mode {
        AccessMode::Open => {
            let reason = match nearest {
                Some(c) => format!(
                    "{}; station access mode is Open: any card charges free",
                    pass_in_org(c)
                ),
                None => format!(
                    "unknown card ({shown}); station access mode is Open: any card charges free"
                ),
            };
            Decision::accepted(nearest, Billing::Free, reason)
        }
        AccessMode::Whitelisting => match (nearest_whitelisted, nearest) {
            (Some(c), _) => Decision::accepted(
                Some(c),
                Billing::Free,
                format!("{}; station access mode is {label}", is_whitelisted(c)),
            ),
            (None, Some(c)) => Decision::invalid(
                Some(c),
                format!("{}; station access mode is {label}", is_roaming(c)),
            ),
            (None, None) => Decision::invalid(
                None,
                format!(
                    "no pass with this ID ({shown}) in {station_org_name} or its sub-organizations; station \
                     access mode is {label}"
                ),
            ),
        },
        AccessMode::Roaming => match (nearest_roaming, nearest) {
            (Some(c), _) => Decision::accepted(
                Some(c),
                Billing::Settled,
                format!(
                    "{}; station access mode is {label}: the session is settled",
                    is_roaming(c)
                ),
            ),
            (None, Some(c)) => Decision::accepted(
                Some(c),
                Billing::Settled,
                format!(
                    "{}, but station access mode is {label}: the whitelist is ignored and the session is \
                     settled",
                    is_whitelisted(c)
                ),
            ),
            (None, None) => Decision::invalid(None, roaming_unavailable(&shown, mode)),
        },
        AccessMode::RoamingAndWhitelisting => match (nearest_whitelisted, nearest) {
            (Some(c), _) => Decision::accepted(
                Some(c),
                Billing::Free,
                format!(
                    "{}; station access mode is {label}: the session is free",
                    is_whitelisted(c)
                ),
            ),
            (None, Some(c)) => Decision::accepted(
                Some(c),
                Billing::Settled,
                format!(
                    "{}; station access mode is {label}: the session is settled",
                    is_roaming(c)
                ),
            ),
            (None, None) => Decision::invalid(None, roaming_unavailable(&shown, mode)),
        },
    }
}

/// `pass "Tag Jan" in organization De Kroon Logistics`
fn pass_in_org(c: &CandidatePass) -> String {
    format!("pass \"{}\" in organization {}", c.nickname, c.org_name)
}

/// `pass "Tag Jan" is whitelisted in organization De Kroon Logistics`
fn is_whitelisted(c: &CandidatePass) -> String {
    format!(
        "pass \"{}\" is whitelisted in organization {}",
        c.nickname, c.org_name
    )
}

/// `pass "Tag Jan" is set to roaming in organization De Kroon Logistics`
fn is_roaming(c: &CandidatePass) -> String {
    format!(
        "pass \"{}\" is set to roaming in organization {}",
        c.nickname, c.org_name
    )
}

/// The refusal of an unknown card in the roaming modes.
fn roaming_unavailable(shown: &str, mode: AccessMode) -> String {
    format!(
        "unknown card: roaming authorization with other platforms is not available yet ({shown}); station \
         access mode is {}",
        mode.label()
    )
}

/// The received idTag as it may appear in a reason: trimmed, invisible characters replaced by `�`, at most
/// [`SHOWN_ID_TAG_MAX_LEN`] characters, and "empty idTag" for nothing. A station may send anything.
fn shown_id_tag(id_tag: &str) -> String {
    let trimmed = id_tag.trim();
    if trimmed.is_empty() {
        return "empty idTag".to_string();
    }
    let mut shown: String = trimmed
        .chars()
        .take(SHOWN_ID_TAG_MAX_LEN)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if trimmed.chars().count() > SHOWN_ID_TAG_MAX_LEN {
        shown.push('…');
    }
    shown
}

/// The keys to look passes up by for a received idTag; see [`id_tag_keys`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTagKeys {
    /// The Hidden ID to match against passes added by Hidden ID ([`HiddenId::as_str`]), if the idTag is a valid
    /// Hidden ID.
    pub hidden: Option<String>,
    /// The match key to compare with passes added by Public Card ID ([`VisibleId::match_key`]), if the idTag is a
    /// recognised contract ID (EMAID or DIN SPEC 91286).
    pub visible: Option<String>,
}

impl IdTagKeys {
    /// Whether neither key could be derived: no pass can match this idTag.
    pub fn is_empty(&self) -> bool {
        self.hidden.is_none() && self.visible.is_none()
    }
}

/// Normalises an OCPP idTag for looking up passes: the Hidden ID rules of [`HiddenId`] (trim, drop spaces and
/// colons, upper-case hex), and, when the idTag is a recognised contract ID (Public Card ID), its visible match
/// key ([`VisibleId::match_key`]: no hyphens, an EMAID without its optional check character). Returns the keys to
/// look up by kind; look up both when both are set.
///
/// Both are set when the idTag fits both rules, e.g. a 15-character EMAID made only of hex characters, or a
/// 14-character EMAID without check character such as `DEADBEEF001234`: "+ Add Pass" asks for the hyphens to
/// tell such an ID from a UID, but a station sends the idTag without them. Neither is set for an idTag that is
/// neither a Hidden ID nor a contract ID (e.g. `TAG-0042`): no pass can match it.
pub fn id_tag_keys(id_tag: &str) -> IdTagKeys {
    IdTagKeys {
        hidden: HiddenId::parse(id_tag)
            .ok()
            .map(|checked| checked.value.into_inner()),
        visible: contract_match_key(id_tag),
    }
}

/// The [`VisibleId::match_key`] of an idTag that is a recognised contract ID.
fn contract_match_key(id_tag: &str) -> Option<String> {
    let key = |input: &str| {
        VisibleId::parse(input)
            .ok()
            .filter(|checked| checked.value.contract_kind().is_some())
            .map(|checked| checked.value.match_key().to_owned())
    };
    match VisibleId::parse(id_tag) {
        Ok(_) => key(id_tag),
        // Looks like a UID: hex only, a UID length. Of those lengths only 14 can also be a contract ID (an EMAID
        // without check character); try it with hyphens at the EMAID positions.
        Err(VisibleIdError::LooksLikeHiddenId) => {
            let compact = id_tag.trim();
            if compact.len() == 14 && compact.is_ascii() {
                key(&format!(
                    "{}-{}-{}",
                    &compact[..2],
                    &compact[2..5],
                    &compact[5..]
                ))
            } else {
                None
            }
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessMode::{Open, Roaming, RoamingAndWhitelisting, Whitelisting};
    use AuthorizationStatus::{Accepted, Invalid};
    use Billing::{Free, Settled};
    use PassMode::{Roaming as R, Whitelist as W};

    const ID_TAG: &str = "04AAAB11CD2345";
    const STATION_ORG: &str = "De Kroon Logistics";
    const SUB_ORG: &str = "De Kroon Werkplaats";

    fn candidate(
        pass: i64,
        org: i64,
        org_name: &str,
        nickname: &str,
        mode: PassMode,
    ) -> CandidatePass {
        CandidatePass {
            pass: PassId(pass),
            org: OrgId(org),
            org_name: org_name.to_string(),
            nickname: nickname.to_string(),
            user: Some(UserId(100 + pass)),
            mode,
        }
    }

    /// "Tag Jan", whitelisted in the station's organization.
    fn w_here() -> CandidatePass {
        candidate(1, 10, STATION_ORG, "Tag Jan", W)
    }
    /// "Card Piet", roaming in the station's organization.
    fn r_here() -> CandidatePass {
        candidate(2, 10, STATION_ORG, "Card Piet", R)
    }
    /// "Tag Anna", whitelisted in a sub-organization.
    fn w_sub() -> CandidatePass {
        candidate(3, 11, SUB_ORG, "Tag Anna", W)
    }
    /// "Card Anna", roaming in a sub-organization.
    fn r_sub() -> CandidatePass {
        candidate(4, 11, SUB_ORG, "Card Anna", R)
    }

    #[test]
    fn decision_table() {
        // (mode, candidates nearest first, status, billing, pass used, reason contains all of …)
        type Row = (
            AccessMode,
            Vec<CandidatePass>,
            AuthorizationStatus,
            Option<Billing>,
            Option<i64>,
            &'static [&'static str],
        );
        let table: Vec<Row> = vec![
            // --- Open: every card charges free, known or not.
            (
                Open,
                vec![],
                Accepted,
                Some(Free),
                None,
                &["unknown card (04AAAB11CD2345)", "station access mode is Open: any card charges free"],
            ),
            (
                Open,
                vec![w_here()],
                Accepted,
                Some(Free),
                Some(1),
                &["pass \"Tag Jan\" in organization De Kroon Logistics", "station access mode is Open: any card charges free"],
            ),
            (
                Open,
                vec![r_here()],
                Accepted,
                Some(Free),
                Some(2),
                &["pass \"Card Piet\"", "station access mode is Open: any card charges free"],
            ),
            (
                Open,
                vec![r_here(), w_sub()],
                Accepted,
                Some(Free),
                Some(2),
                &["pass \"Card Piet\"", "any card charges free"],
            ),
            // --- Whitelisting: only whitelisted passes, free.
            (
                Whitelisting,
                vec![w_here()],
                Accepted,
                Some(Free),
                Some(1),
                &["pass \"Tag Jan\" is whitelisted in organization De Kroon Logistics; station access mode is Whitelisting"],
            ),
            (
                Whitelisting,
                vec![w_sub()],
                Accepted,
                Some(Free),
                Some(3),
                &["pass \"Tag Anna\" is whitelisted in organization De Kroon Werkplaats"],
            ),
            // A whitelisted pass further down beats a roaming one nearer by.
            (
                Whitelisting,
                vec![r_here(), w_sub()],
                Accepted,
                Some(Free),
                Some(3),
                &["pass \"Tag Anna\" is whitelisted in organization De Kroon Werkplaats"],
            ),
            // Several whitelisted: the nearest.
            (
                Whitelisting,
                vec![w_here(), w_sub()],
                Accepted,
                Some(Free),
                Some(1),
                &["pass \"Tag Jan\" is whitelisted"],
            ),
            (
                Whitelisting,
                vec![r_here()],
                Invalid,
                None,
                Some(2),
                &["pass \"Card Piet\" is set to roaming in organization De Kroon Logistics; station access mode is Whitelisting"],
            ),
            (
                Whitelisting,
                vec![r_sub(), candidate(5, 12, "Venlo", "Card Anna 2", R)],
                Invalid,
                None,
                Some(4),
                &["pass \"Card Anna\" is set to roaming in organization De Kroon Werkplaats; station access mode is Whitelisting"],
            ),
            (
                Whitelisting,
                vec![],
                Invalid,
                None,
                None,
                &["no pass with this ID (04AAAB11CD2345) in De Kroon Logistics or its sub-organizations; station access mode is Whitelisting"],
            ),
            // --- Roaming: every known pass is accepted and settled; the whitelist is ignored.
            (
                Roaming,
                vec![r_here()],
                Accepted,
                Some(Settled),
                Some(2),
                &["pass \"Card Piet\" is set to roaming in organization De Kroon Logistics", "station access mode is Roaming: the session is settled"],
            ),
            (
                Roaming,
                vec![w_here()],
                Accepted,
                Some(Settled),
                Some(1),
                &["pass \"Tag Jan\" is whitelisted in organization De Kroon Logistics", "station access mode is Roaming", "the whitelist is ignored and the session is settled"],
            ),
            // The roaming pass is the one that is settled, even when a whitelisted one is nearer.
            (
                Roaming,
                vec![w_here(), r_sub()],
                Accepted,
                Some(Settled),
                Some(4),
                &["pass \"Card Anna\" is set to roaming in organization De Kroon Werkplaats"],
            ),
            (
                Roaming,
                vec![],
                Invalid,
                None,
                None,
                &["unknown card: roaming authorization with other platforms is not available yet", "04AAAB11CD2345", "station access mode is Roaming"],
            ),
            // --- Roaming + whitelisting: whitelisted free, roaming settled, unknown refused.
            (
                RoamingAndWhitelisting,
                vec![w_here()],
                Accepted,
                Some(Free),
                Some(1),
                &["pass \"Tag Jan\" is whitelisted in organization De Kroon Logistics", "station access mode is Roaming + whitelisting: the session is free"],
            ),
            (
                RoamingAndWhitelisting,
                vec![r_here()],
                Accepted,
                Some(Settled),
                Some(2),
                &["pass \"Card Piet\" is set to roaming in organization De Kroon Logistics", "station access mode is Roaming + whitelisting: the session is settled"],
            ),
            (
                RoamingAndWhitelisting,
                vec![r_here(), w_sub()],
                Accepted,
                Some(Free),
                Some(3),
                &["pass \"Tag Anna\" is whitelisted in organization De Kroon Werkplaats", "the session is free"],
            ),
            (
                RoamingAndWhitelisting,
                vec![r_sub()],
                Accepted,
                Some(Settled),
                Some(4),
                &["pass \"Card Anna\" is set to roaming in organization De Kroon Werkplaats"],
            ),
            (
                RoamingAndWhitelisting,
                vec![],
                Invalid,
                None,
                None,
                &["unknown card: roaming authorization with other platforms is not available yet", "04AAAB11CD2345", "station access mode is Roaming + whitelisting"],
            ),
        ];
        for (mode, candidates, status, billing, pass, parts) in table {
            let names: Vec<&str> = candidates.iter().map(|c| c.nickname.as_str()).collect();
            let d = decide(ID_TAG, mode, STATION_ORG, &candidates);
            let row = format!("{mode:?} {names:?}: {d:?}");
            assert_eq!(d.status, status, "{row}");
            assert_eq!(d.billing, billing, "{row}");
            assert_eq!(d.pass, pass.map(PassId), "{row}");
            assert_eq!(d.user, pass.map(|p| UserId(100 + p)), "{row}");
            for part in parts {
                assert!(d.reason.contains(part), "{row}\n  missing: {part}");
            }
            // Invariants of every decision.
            assert_eq!(d.billing.is_some(), d.is_accepted(), "{row}");
            assert_ne!(d.status, AuthorizationStatus::Blocked, "{row}");
            assert!(d.reason.contains(mode.label()), "{row}");
        }
    }

    #[test]
    fn every_mode_and_candidate_mix_gives_a_consistent_decision() {
        let mixes: Vec<Vec<CandidatePass>> = vec![
            vec![],
            vec![w_here()],
            vec![r_here()],
            vec![w_here(), r_sub()],
            vec![r_here(), w_sub()],
            vec![r_here(), r_sub()],
            vec![w_here(), w_sub()],
        ];
        for mode in AccessMode::ALL {
            for candidates in &mixes {
                let d = decide(ID_TAG, mode, STATION_ORG, candidates);
                let row = format!("{mode:?} {candidates:?}: {d:?}");
                assert_eq!(d.billing.is_some(), d.is_accepted(), "{row}");
                // The pass used is one of the candidates, and there is one whenever a candidate exists.
                assert_eq!(d.pass.is_some(), !candidates.is_empty(), "{row}");
                if let Some(pass) = d.pass {
                    let used = candidates.iter().find(|c| c.pass == pass).unwrap();
                    assert!(d.reason.contains(&used.nickname), "{row}");
                    assert!(d.reason.contains(&used.org_name), "{row}");
                    assert_eq!(d.user, used.user, "{row}");
                } else {
                    assert_eq!(d.user, None, "{row}");
                    assert!(d.reason.contains(ID_TAG), "{row}");
                }
                // Free only for Open or a whitelisted pass; settled only in the roaming modes.
                match d.billing {
                    Some(Free) => assert!(
                        mode == Open || candidates.iter().any(|c| c.mode == W),
                        "{row}"
                    ),
                    Some(Settled) => {
                        assert!(matches!(mode, Roaming | RoamingAndWhitelisting), "{row}")
                    }
                    None => assert_ne!(mode, Open, "{row}"),
                }
            }
        }
    }

    /// The employer model, and the candidate order the storage query must produce.
    #[test]
    fn sub_organization_passes_count_nearest_first() {
        // The tree (the station belongs to De Kroon Logistics, org 10):
        //
        //   1  Partner                       <- parent: never a candidate
        //   └── 10 De Kroon Logistics        <- the station's organization, depth 0
        //       ├── 11 De Kroon Werkplaats   <- depth 1
        //       │   └── 12 Werkplaats Venlo  <- depth 2
        //       └── 13 De Kroon Kantoor      <- depth 1
        //   └── 20 Another customer          <- sibling: never a candidate
        //
        // The same card is registered in several of them; storage returns only the subtree of org 10, ordered by
        // depth below the station's organization, then by pass id.
        let mut found: Vec<(usize, CandidatePass)> = vec![
            (
                2,
                candidate(7, 12, "Werkplaats Venlo", "Tag Jan (Venlo)", W),
            ),
            (
                1,
                candidate(9, 13, "De Kroon Kantoor", "Tag Jan (Kantoor)", W),
            ),
            (0, candidate(8, 10, STATION_ORG, "Jan's public card", R)),
            (1, candidate(6, 11, SUB_ORG, "Tag Jan (Werkplaats)", W)),
        ];
        found.sort_by_key(|(depth, c)| (*depth, c.pass));
        let candidates: Vec<CandidatePass> = found.into_iter().map(|(_, c)| c).collect();
        let order: Vec<i64> = candidates.iter().map(|c| c.pass.0).collect();
        assert_eq!(order, vec![8, 6, 9, 7]);

        // Whitelisted in a sub-organization counts at the station; the nearest whitelisted pass is named.
        let d = decide(ID_TAG, Whitelisting, STATION_ORG, &candidates);
        assert_eq!(
            (d.status, d.billing, d.pass),
            (Accepted, Some(Free), Some(PassId(6)))
        );
        assert!(d.reason.contains(
            "pass \"Tag Jan (Werkplaats)\" is whitelisted in organization De Kroon Werkplaats"
        ));

        // A whitelisted pass only in a sub-sub-organization counts too.
        let deep = [candidate(7, 12, "Werkplaats Venlo", "Tag Jan (Venlo)", W)];
        let d = decide(ID_TAG, Whitelisting, STATION_ORG, &deep);
        assert_eq!((d.status, d.pass), (Accepted, Some(PassId(7))));

        // In Roaming mode the roaming pass of the station's own organization is settled.
        let d = decide(ID_TAG, Roaming, STATION_ORG, &candidates);
        assert_eq!(
            (d.status, d.billing, d.pass),
            (Accepted, Some(Settled), Some(PassId(8)))
        );

        // The engine trusts the order it is given: the first qualifying candidate is used.
        let mut reversed = candidates.clone();
        reversed.reverse();
        let d = decide(ID_TAG, Whitelisting, STATION_ORG, &reversed);
        assert_eq!(d.pass, Some(PassId(7)));
    }

    #[test]
    fn the_received_id_tag_is_shown_safely() {
        // (idTag as received, shown in the reason)
        let long = "A".repeat(45);
        let long_shown = format!("({}…)", "A".repeat(40));
        let cases: &[(&str, &str)] = &[
            ("04aaab11cd2345", "(04aaab11cd2345)"),
            ("  04AAAB11CD2345 ", "(04AAAB11CD2345)"),
            ("", "(empty idTag)"),
            ("04AA\nAB\u{1b}", "(04AA\u{FFFD}AB\u{FFFD})"),
            (&long, &long_shown),
        ];
        for &(id_tag, shown) in cases {
            let d = decide(id_tag, Whitelisting, STATION_ORG, &[]);
            assert!(d.reason.contains(shown), "{id_tag:?}: {}", d.reason);
            assert!(!d.reason.chars().any(char::is_control), "{id_tag:?}");
        }
    }

    #[test]
    fn id_tag_keys_follow_the_pass_id_rules() {
        // (idTag, hidden key, visible key)
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            // UIDs as stations send them.
            ("04AAAB11CD2345", Some("04AAAB11CD2345"), None),
            ("04aaab11cd2345", Some("04AAAB11CD2345"), None),
            (" 04:AA:AB:11:CD:23:45 ", Some("04AAAB11CD2345"), None),
            ("DEADBEEF", Some("DEADBEEF"), None),
            ("0102030405060708090A", Some("0102030405060708090A"), None),
            ("08A1B2C3", Some("08A1B2C3"), None),
            ("04AAAB11CD23", Some("04AAAB11CD23"), None),
            // Contract IDs: the visible match key (EMAID without its optional check character).
            ("NL-TNM-000122045-U", None, Some("NLTNM000122045")),
            ("NLTNM000122045U", None, Some("NLTNM000122045")),
            ("nltnm000122045", None, Some("NLTNM000122045")),
            ("NL-TNM-012204-5", None, Some("NLTNM0122045")),
            ("NL*TNM*012204*5", None, Some("NLTNM0122045")),
            // Both: hex-only EMAIDs.
            (
                "DE8AA0012345670",
                Some("DE8AA0012345670"),
                Some("DE8AA001234567"),
            ),
            (
                "DEADBEEF001234",
                Some("DEADBEEF001234"),
                Some("DEADBEEF001234"),
            ),
            // Neither: a card ID that is not a contract ID, garbage, too long, empty.
            ("TAG-0042", None, None),
            ("CARD*0042", None, None),
            ("04AAAB11CD234G", None, None),
            ("04AAAB11CD2345AABBCCD", None, None),
            ("", None, None),
            ("   ", None, None),
        ];
        for &(id_tag, hidden, visible) in cases {
            let keys = id_tag_keys(id_tag);
            assert_eq!(keys.hidden.as_deref(), hidden, "{id_tag:?}");
            assert_eq!(keys.visible.as_deref(), visible, "{id_tag:?}");
            assert_eq!(
                keys.is_empty(),
                hidden.is_none() && visible.is_none(),
                "{id_tag:?}"
            );
        }
    }

    #[test]
    fn id_tag_keys_match_the_keys_of_added_passes() {
        use crate::pass_id::{check_pass_id, PassIdKind};
        // (how the pass was added, the idTag a station sends)
        let cases = [
            (PassIdKind::Hidden, "04:aa:ab:11:cd:23:45", "04AAAB11CD2345"),
            (PassIdKind::Visible, "NL-TNM-000122045-U", "NLTNM000122045U"),
            (PassIdKind::Visible, "NL-TNM-000122045", "NLTNM000122045U"),
            (PassIdKind::Visible, "NL-TNM-000122045-U", "NLTNM000122045"),
            (PassIdKind::Visible, "NL-TNM-012204-5", "nltnm0122045"),
            (PassIdKind::Visible, "DE-ADB-EEF001234", "DEADBEEF001234"),
        ];
        for (kind, added, id_tag) in cases {
            let pass = check_pass_id(kind, added, true).unwrap().value;
            let keys = id_tag_keys(id_tag);
            let key = match kind {
                PassIdKind::Hidden => keys.hidden,
                PassIdKind::Visible => keys.visible,
            };
            assert_eq!(
                key.as_deref(),
                Some(pass.match_key()),
                "{added:?} / {id_tag:?}"
            );
        }
    }

    #[test]
    fn statuses_and_billing_use_their_spelling() {
        for status in AuthorizationStatus::ALL {
            assert_eq!(AuthorizationStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.to_string(), status.as_str());
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        let spelled: Vec<&str> = AuthorizationStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(spelled, ["Accepted", "Blocked", "Invalid"]);
        assert_eq!(AuthorizationStatus::parse("accepted"), None);
        for billing in Billing::ALL {
            assert_eq!(Billing::parse(billing.as_str()), Some(billing));
            assert_eq!(billing.to_string(), billing.label());
            let json = serde_json::to_string(&billing).unwrap();
            assert_eq!(json, format!("\"{}\"", billing.as_str()));
        }
        assert_eq!((Free.as_str(), Settled.as_str()), ("free", "settled"));
        let d = decide(ID_TAG, Whitelisting, STATION_ORG, &[w_here()]);
        let json = serde_json::to_string(&d).unwrap();
        assert!(
            json.contains(r#""status":"Accepted","billing":"free","pass":1,"user":101"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), d);
    }
}
