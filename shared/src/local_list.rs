//! The Local Authorization List of a station (OCPP 1.6 LocalAuthListManagement): which update brings a
//! station's list from what it holds to what ChargeDesk wants it to hold.
//!
//! The wanted list is what [`crate::decision::decide`] would accept at the station (computed elsewhere, from the
//! same decision code as Authorize); this module only plans the messages:
//!
//! - Nothing to send when the station's version is the one ChargeDesk last set and the lists are equal.
//! - A **Differential** update (upserts of new or changed entries, an entry without `idTagInfo` for each removed
//!   one) when ChargeDesk knows what the station holds (its mirror, valid for the station's version).
//! - A **Full** update otherwise: the station's version is not the one ChargeDesk set (another system changed it,
//!   the station lost its list, a VersionMismatch), or nothing is known about it.
//! - Messages hold at most `SendLocalListMaxLength` entries: a Full list that does not fit is sent as a Full
//!   message with the first part, then Differential messages with the rest; a long Differential update as
//!   several. Each message raises the version by one (a station refuses a Differential whose version is not
//!   above its own), so the plan ends at `start + number of messages`.
//! - A list longer than `LocalAuthListMaxLength` cannot be held: the plan keeps the first entries in idTag order
//!   and says how many did not fit, so the station page can say so (the others are still authorized online).

use crate::decision::{decide, CandidatePass};
use crate::station::AccessMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a station's list says about one idTag (`idTagInfo` in SendLocalList).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// Whether the card may charge offline.
    pub status: ListStatus,
    /// Until when the entry holds (unix milliseconds), if it ends.
    pub expiry_millis: Option<i64>,
}

/// The status of a list entry (the OCPP 1.6 `AuthorizationStatus` values a list may hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ListStatus {
    /// May charge.
    Accepted,
    /// Blocked.
    Blocked,
    /// Expired.
    Expired,
    /// Unknown or not allowed.
    Invalid,
}

/// A station's list: idTag → entry, in idTag order.
pub type LocalList = BTreeMap<String, ListEntry>;

/// The list a station should hold: every card that [`decide`] — the code that answers Authorize — accepts
/// there, as `Accepted` without expiry. `cards` are the idTags of the live passes of the station's organization
/// and its sub-organizations, each with its candidate passes nearest first (as for Authorize). A card the
/// station's mode refuses is not on the list (it is checked online, and refused).
pub fn wanted_list<'a>(
    mode: AccessMode,
    station_org_name: &str,
    cards: impl IntoIterator<Item = (&'a str, &'a [CandidatePass])>,
) -> LocalList {
    cards
        .into_iter()
        .filter(|(id_tag, candidates)| {
            decide(id_tag, mode, station_org_name, candidates).is_accepted()
        })
        .map(|(id_tag, _)| {
            (
                id_tag.to_owned(),
                ListEntry {
                    status: ListStatus::Accepted,
                    expiry_millis: None,
                },
            )
        })
        .collect()
}

/// The station's limits, from its configuration keys; `None` when it did not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// `LocalAuthListMaxLength`: the most entries the station holds.
    pub max_entries: Option<usize>,
    /// `SendLocalListMaxLength`: the most entries in one SendLocalList.
    pub per_message: Option<usize>,
}

/// Entries sent when the station names no per-message limit: keeps a message far below any sane frame size
/// (an entry is at most ~90 bytes of JSON).
pub const DEFAULT_PER_MESSAGE: usize = 1_000;

/// One SendLocalList message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMessage {
    /// The list version after this message.
    pub version: i64,
    /// Full (replaces the list) or Differential.
    pub full: bool,
    /// The entries: `Some` to add or change, `None` to remove (Differential only).
    pub entries: Vec<(String, Option<ListEntry>)>,
}

/// What to send to bring a station's list to the wanted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The messages, in order; empty when the station's list is already right.
    pub messages: Vec<ListMessage>,
    /// The list the station holds once every message was accepted.
    pub result: LocalList,
    /// Wanted entries that did not fit into the station's `LocalAuthListMaxLength`.
    pub left_out: usize,
}

/// What ChargeDesk knows about a station's list: the version it last set and what the list holds since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The version ChargeDesk's last accepted update left the list at.
    pub version: i64,
    /// The entries the list holds at that version.
    pub entries: LocalList,
}

/// The plan from `mirror` (what ChargeDesk last set, if anything) and the version the station reports now to
/// `wanted`, within `limits`.
pub fn plan(
    wanted: &LocalList,
    mirror: Option<&Mirror>,
    station_version: i64,
    limits: Limits,
) -> Plan {
    let (target, left_out) = fit(wanted, limits.max_entries);
    let per_message = limits
        .per_message
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_PER_MESSAGE);
    // A version of 0 or below (empty, or −1: no support) can be raised from 1 on.
    let start = station_version.max(0);
    let known = mirror.filter(|m| m.version == station_version && station_version > 0);
    let messages = match known {
        Some(mirror) => {
            let changes = differences(&mirror.entries, &target);
            changes
                .chunks(per_message)
                .enumerate()
                .map(|(i, chunk)| ListMessage {
                    version: start + 1 + i as i64,
                    full: false,
                    entries: chunk.to_vec(),
                })
                .collect()
        }
        None => {
            let all: Vec<(String, Option<ListEntry>)> = target
                .iter()
                .map(|(tag, entry)| (tag.clone(), Some(entry.clone())))
                .collect();
            if all.is_empty() {
                // Full with an empty list: clears it.
                vec![ListMessage {
                    version: start + 1,
                    full: true,
                    entries: Vec::new(),
                }]
            } else {
                all.chunks(per_message)
                    .enumerate()
                    .map(|(i, chunk)| ListMessage {
                        version: start + 1 + i as i64,
                        full: i == 0,
                        entries: chunk.to_vec(),
                    })
                    .collect()
            }
        }
    };
    Plan {
        messages,
        result: target,
        left_out,
    }
}

/// The first `max` entries of `wanted` (all without a limit), and how many were left out.
fn fit(wanted: &LocalList, max: Option<usize>) -> (LocalList, usize) {
    match max {
        Some(max) if wanted.len() > max => (
            wanted
                .iter()
                .take(max)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            wanted.len() - max,
        ),
        _ => (wanted.clone(), 0),
    }
}

/// The changes from `from` to `to`, in idTag order: new and changed entries, and `None` for removed ones.
fn differences(from: &LocalList, to: &LocalList) -> Vec<(String, Option<ListEntry>)> {
    let mut changes: Vec<(String, Option<ListEntry>)> = to
        .iter()
        .filter(|(tag, entry)| from.get(*tag) != Some(entry))
        .map(|(tag, entry)| (tag.clone(), Some(entry.clone())))
        .collect();
    changes.extend(
        from.keys()
            .filter(|tag| !to.contains_key(*tag))
            .map(|tag| (tag.clone(), None)),
    );
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted() -> ListEntry {
        ListEntry {
            status: ListStatus::Accepted,
            expiry_millis: None,
        }
    }

    fn list(tags: &[&str]) -> LocalList {
        tags.iter().map(|t| (t.to_string(), accepted())).collect()
    }

    fn apply(station: &mut LocalList, message: &ListMessage) {
        if message.full {
            station.clear();
        }
        for (tag, entry) in &message.entries {
            match entry {
                Some(e) => {
                    station.insert(tag.clone(), e.clone());
                }
                None => {
                    station.remove(tag);
                }
            }
        }
    }

    #[test]
    fn the_wanted_list_is_what_authorize_would_accept() {
        use crate::ids::{OrgId, PassId};
        use crate::mode::PassMode;
        let pass = |id: i64, mode: PassMode| CandidatePass {
            pass: PassId(id),
            org: OrgId(1),
            org_name: "De Kroon".into(),
            nickname: format!("tag {id}"),
            user: None,
            mode,
        };
        let whitelisted = [pass(1, PassMode::Whitelist)];
        let roaming = [pass(2, PassMode::Roaming)];
        let cards = [
            ("04A1B2C3D4E5F6", &whitelisted[..]),
            ("04AAAB11CD2345", &roaming[..]),
        ];
        assert_eq!(
            wanted_list(AccessMode::Whitelisting, "De Kroon", cards),
            list(&["04A1B2C3D4E5F6"]),
            "Whitelisting: only the whitelisted pass"
        );
        assert_eq!(
            wanted_list(AccessMode::RoamingAndWhitelisting, "De Kroon", cards),
            list(&["04A1B2C3D4E5F6", "04AAAB11CD2345"]),
        );
    }

    #[test]
    fn an_unknown_station_gets_the_whole_list_in_messages_that_fit() {
        let wanted = list(&["04A1", "04A2", "04A3", "04A4", "04A5"]);
        let plan = plan(
            &wanted,
            None,
            0,
            Limits {
                max_entries: None,
                per_message: Some(2),
            },
        );
        assert_eq!(plan.messages.len(), 3);
        assert!(plan.messages[0].full && !plan.messages[1].full && !plan.messages[2].full);
        assert_eq!(
            plan.messages.iter().map(|m| m.version).collect::<Vec<_>>(),
            [1, 2, 3],
            "each message raises the version"
        );
        let mut station = list(&["OLD"]);
        for m in &plan.messages {
            apply(&mut station, m);
        }
        assert_eq!(station, wanted);
        assert_eq!(plan.result, wanted);
    }

    #[test]
    fn a_known_station_gets_only_the_changes() {
        let mut changed = accepted();
        changed.status = ListStatus::Blocked;
        let mirror = Mirror {
            version: 12,
            entries: list(&["04A1", "04A2", "04A3"]),
        };
        let mut wanted = list(&["04A1", "04A3", "04A9"]);
        wanted.insert("04A3".into(), changed.clone());
        let plan = plan(&wanted, Some(&mirror), 12, Limits::default());
        assert_eq!(
            plan.messages,
            [ListMessage {
                version: 13,
                full: false,
                entries: vec![
                    ("04A2".into(), None),
                    ("04A3".into(), Some(changed)),
                    ("04A9".into(), Some(accepted())),
                ],
            }]
        );
        // In sync: nothing to send.
        let same = super::plan(&mirror.entries, Some(&mirror), 12, Limits::default());
        assert!(same.messages.is_empty());
    }

    #[test]
    fn a_version_changed_behind_our_back_gets_a_full_list_again() {
        let mirror = Mirror {
            version: 12,
            entries: list(&["04A1"]),
        };
        let wanted = list(&["04A1"]);
        let plan = plan(&wanted, Some(&mirror), 7, Limits::default());
        assert_eq!(plan.messages.len(), 1);
        assert!(plan.messages[0].full);
        assert_eq!(plan.messages[0].version, 8);
        // An empty wanted list clears the station's with one empty Full message.
        let cleared = super::plan(&LocalList::new(), None, 3, Limits::default());
        assert_eq!(
            cleared.messages,
            [ListMessage {
                version: 4,
                full: true,
                entries: vec![]
            }]
        );
    }

    #[test]
    fn a_list_longer_than_the_station_holds_is_cut_and_says_how_much() {
        let wanted = list(&["04A1", "04A2", "04A3", "04A4"]);
        let plan = plan(
            &wanted,
            None,
            -1,
            Limits {
                max_entries: Some(3),
                per_message: None,
            },
        );
        assert_eq!(plan.left_out, 1);
        assert_eq!(plan.result, list(&["04A1", "04A2", "04A3"]));
        assert_eq!(plan.messages[0].version, 1, "from −1 (never set) to 1");
    }
}
