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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMessage {
    /// The list version after this message.
    pub version: i64,
    /// Full (replaces the list) or Differential.
    pub full: bool,
    /// The entries: `Some` to add or change, `None` to remove (Differential only).
    pub entries: Vec<(String, Option<ListEntry>)>,
}

impl ListMessage {
    /// What the message does, in words, for the command history.
    pub fn summary(&self) -> String {
        let passes = |n: usize| {
            if n == 1 {
                "1 pass".to_owned()
            } else {
                format!("{n} passes")
            }
        };
        if self.full {
            format!(
                "Send the local list (full, version {}, {})",
                self.version,
                passes(self.entries.len())
            )
        } else {
            let removed = self.entries.iter().filter(|(_, e)| e.is_none()).count();
            let changed = self.entries.len() - removed;
            format!(
                "Update the local list (version {}: {} added or changed, {} removed)",
                self.version,
                passes(changed),
                passes(removed)
            )
        }
    }

    /// `list` after the station applied this message.
    pub fn apply(&self, list: &mut LocalList) {
        if self.full {
            list.clear();
        }
        for (tag, entry) in &self.entries {
            match entry {
                Some(e) => {
                    list.insert(tag.clone(), e.clone());
                }
                None => {
                    list.remove(tag);
                }
            }
        }
    }

    /// Whether applying it to `before` (`None`: unknown) may take a card off the list, so that the station's
    /// authorization cache must be cleared too (it may still hold the card as Accepted).
    pub fn may_remove_from(&self, before: Option<&LocalList>) -> bool {
        match before {
            None => self.full,
            Some(before) if self.full => before
                .keys()
                .any(|tag| !self.entries.iter().any(|(t, e)| t == tag && e.is_some())),
            Some(_) => self.entries.iter().any(|(_, e)| e.is_none()),
        }
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Whether a station keeps a Local Authorization List, as far as ChargeDesk knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Support {
    /// Not known yet (never asked, or its firmware changed since).
    Unknown,
    /// It has the LocalAuthListManagement profile.
    Supported,
    /// It said it has none: not asked again until it boots with another firmware.
    NotSupported,
}

impl Support {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Supported => "supported",
            Self::NotSupported => "not_supported",
        }
    }

    /// From its stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unknown" => Self::Unknown,
            "supported" => Self::Supported,
            "not_supported" => Self::NotSupported,
            _ => return None,
        })
    }
}

/// The configuration keys the sync reads from a station before its first list (GetConfiguration).
pub const SYNC_KEYS: [&str; 3] = [
    "LocalAuthListMaxLength",
    "SendLocalListMaxLength",
    "SupportedFeatureProfiles",
];

/// The OCPP 1.6 feature profile of the Local Authorization List.
pub const PROFILE: &str = "LocalAuthListManagement";

/// What a station's configuration says about its list: its limits, and `Some(false)` when its
/// `SupportedFeatureProfiles` lacks [`PROFILE`] or it holds no entries at all (`None`: it did not say).
pub fn read_configuration<'a>(
    keys: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> (Limits, Option<bool>) {
    let mut limits = Limits::default();
    let mut supported = None;
    for (key, value) in keys {
        let number = || value.and_then(|v| v.trim().parse::<usize>().ok());
        match key {
            "LocalAuthListMaxLength" => {
                limits.max_entries = number();
                if limits.max_entries == Some(0) {
                    supported = Some(false);
                }
            }
            "SendLocalListMaxLength" => limits.per_message = number(),
            "SupportedFeatureProfiles" => {
                if let Some(v) = value {
                    let has = v.split(',').any(|p| p.trim().eq_ignore_ascii_case(PROFILE));
                    supported = Some(has && supported != Some(false));
                }
            }
            _ => {}
        }
    }
    (limits, supported)
}

/// Consecutive failed list commands (no answer, Failed, an error) after which the sync stops trying until the
/// station connects again or an administrator asks for a full list.
pub const MAX_FAILURES: u32 = 3;

/// What ChargeDesk knows of a station's list when it decides what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// Whether the station has a list.
    pub support: Support,
    /// Whether its limits were read for its current firmware.
    pub configuration_read: bool,
    /// Its limits.
    pub limits: Limits,
    /// The version it reported on this connection (`None`: to be asked).
    pub station_version: Option<i64>,
    /// What ChargeDesk last set (for a station without a list: what it last found acceptable there).
    pub mirror: Option<Mirror>,
    /// Consecutive failed list commands.
    pub failures: u32,
    /// Whether the station's authorization cache must be cleared (a card left its list).
    pub clear_cache: bool,
}

/// The next thing the sync does at a connected station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Read [`SYNC_KEYS`] (GetConfiguration).
    ReadConfiguration,
    /// Ask the list version (GetLocalListVersion).
    ReadVersion,
    /// Send this message (the first of the plan; the next step plans again from its answer).
    Send(ListMessage),
    /// Clear the authorization cache (ClearCache).
    ClearCache,
    /// Nothing to do: the list is as wanted (or the station has none and no card left it).
    Done,
    /// Too many failures in a row: wait for a new connection or an administrator.
    GaveUp,
}

/// The next step at a station in `state`, where [`wanted_list`] is `wanted`; with the plan when one was made.
/// For a station without a list, a card that was acceptable there and is no longer means a ClearCache.
pub fn next_step(state: &SyncState, wanted: &LocalList) -> (Step, Option<Plan>) {
    if state.failures >= MAX_FAILURES {
        return (Step::GaveUp, None);
    }
    if state.support == Support::NotSupported {
        let removed = state
            .mirror
            .as_ref()
            .is_some_and(|m| m.entries.keys().any(|tag| !wanted.contains_key(tag)));
        let step = if removed || state.clear_cache {
            Step::ClearCache
        } else {
            Step::Done
        };
        return (step, None);
    }
    if !state.configuration_read {
        return (Step::ReadConfiguration, None);
    }
    let Some(station_version) = state.station_version else {
        return (Step::ReadVersion, None);
    };
    let plan = plan(wanted, state.mirror.as_ref(), station_version, state.limits);
    let step = match plan.messages.first() {
        Some(first) => Step::Send(first.clone()),
        None if state.clear_cache => Step::ClearCache,
        None => Step::Done,
    };
    (step, Some(plan))
}

/// The list state a station page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Whether the station has a list.
    pub support: Support,
    /// The version ChargeDesk last set, if any.
    pub version: Option<i64>,
    /// The passes on the station's list at that version.
    pub entries: usize,
    /// The passes the list should hold (what Authorize accepts there).
    pub wanted: usize,
    /// Changes still to be sent: entries to add, change or remove; or the whole list when a full one is due.
    pub pending: usize,
    /// Whether the next update is a full list.
    pub full_pending: bool,
    /// Wanted passes that do not fit into the station's `LocalAuthListMaxLength`.
    pub left_out: usize,
    /// Whether the sync stopped after failures.
    pub gave_up: bool,
    /// The last error, with when it happened.
    pub last_error: Option<(String, crate::time::Timestamp)>,
    /// Whether the station is connected.
    pub online: bool,
}

impl SyncStatus {
    /// The state in one line: "Local list version 12 — in sync (143 passes)", "3 changes pending", "not
    /// supported by this station".
    pub fn headline(&self) -> String {
        let passes = |n: usize| {
            if n == 1 {
                "1 pass".to_owned()
            } else {
                format!("{n} passes")
            }
        };
        match self.support {
            Support::NotSupported => return "Local list: not supported by this station".into(),
            Support::Unknown if self.version.is_none() => {
                return if self.online {
                    "Local list: being checked".into()
                } else {
                    "Local list: not known yet (the station has not been connected since)".into()
                };
            }
            _ => {}
        }
        let version = match self.version {
            Some(v) => format!("Local list version {v}"),
            None => "Local list: none sent yet".into(),
        };
        if self.pending == 0 {
            format!("{version} — in sync ({})", passes(self.entries))
        } else if self.full_pending {
            format!("{version} — full list pending ({})", passes(self.pending))
        } else if self.pending == 1 {
            format!("{version} — 1 change pending")
        } else {
            format!("{version} — {} changes pending", self.pending)
        }
    }
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
        message.apply(station)
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

    fn state() -> SyncState {
        SyncState {
            support: Support::Supported,
            configuration_read: true,
            limits: Limits::default(),
            station_version: Some(0),
            mirror: None,
            failures: 0,
            clear_cache: false,
        }
    }

    #[test]
    fn the_sync_reads_limits_and_version_before_it_sends() {
        let wanted = list(&["04A1"]);
        let mut s = state();
        s.support = Support::Unknown;
        s.configuration_read = false;
        s.station_version = None;
        assert_eq!(next_step(&s, &wanted).0, Step::ReadConfiguration);
        s.configuration_read = true;
        assert_eq!(next_step(&s, &wanted).0, Step::ReadVersion);
        s.station_version = Some(0);
        let (step, _) = next_step(&s, &wanted);
        let Step::Send(message) = step else {
            panic!("a list is sent: {step:?}")
        };
        assert!(message.full);
        assert_eq!(message.version, 1);
        // Accepted: the mirror is the list, nothing more to do.
        s.mirror = Some(Mirror {
            version: 1,
            entries: wanted.clone(),
        });
        s.station_version = Some(1);
        assert_eq!(next_step(&s, &wanted).0, Step::Done);
        s.clear_cache = true;
        assert_eq!(next_step(&s, &wanted).0, Step::ClearCache);
        s.failures = MAX_FAILURES;
        assert_eq!(next_step(&s, &wanted).0, Step::GaveUp);
    }

    #[test]
    fn a_station_without_a_list_gets_its_cache_cleared_when_a_card_leaves() {
        let mut s = state();
        s.support = Support::NotSupported;
        s.mirror = Some(Mirror {
            version: 0,
            entries: list(&["04A1", "04A2"]),
        });
        assert_eq!(
            next_step(&s, &list(&["04A1", "04A2", "04A3"])).0,
            Step::Done
        );
        assert_eq!(next_step(&s, &list(&["04A1"])).0, Step::ClearCache);
    }

    #[test]
    fn removals_are_recognised_for_the_cache() {
        let before = list(&["04A1", "04A2"]);
        let diff = |entries: Vec<(String, Option<ListEntry>)>| ListMessage {
            version: 2,
            full: false,
            entries,
        };
        assert!(!diff(vec![("04A3".into(), Some(accepted()))]).may_remove_from(Some(&before)));
        assert!(diff(vec![("04A2".into(), None)]).may_remove_from(Some(&before)));
        let full = ListMessage {
            version: 2,
            full: true,
            entries: vec![("04A1".into(), Some(accepted()))],
        };
        assert!(full.may_remove_from(Some(&before)));
        assert!(
            full.may_remove_from(None),
            "an unknown list may have held anything"
        );
        assert_eq!(
            full.summary(),
            "Send the local list (full, version 2, 1 pass)"
        );
    }

    #[test]
    fn configuration_keys_give_limits_and_support() {
        let (limits, supported) = read_configuration([
            ("LocalAuthListMaxLength", Some("48")),
            ("SendLocalListMaxLength", Some(" 10 ")),
            (
                "SupportedFeatureProfiles",
                Some("Core,FirmwareManagement,LocalAuthListManagement"),
            ),
        ]);
        assert_eq!(
            limits,
            Limits {
                max_entries: Some(48),
                per_message: Some(10)
            }
        );
        assert_eq!(supported, Some(true));
        assert_eq!(
            read_configuration([("SupportedFeatureProfiles", Some("Core,RemoteTrigger"))]).1,
            Some(false)
        );
        assert_eq!(
            read_configuration([("HeartbeatInterval", Some("300"))]).1,
            None
        );
    }

    #[test]
    fn the_headline_reads_as_the_station_page_says() {
        let mut status = SyncStatus {
            support: Support::Supported,
            version: Some(12),
            entries: 143,
            wanted: 143,
            pending: 0,
            full_pending: false,
            left_out: 0,
            gave_up: false,
            last_error: None,
            online: true,
        };
        assert_eq!(
            status.headline(),
            "Local list version 12 — in sync (143 passes)"
        );
        status.pending = 3;
        assert_eq!(
            status.headline(),
            "Local list version 12 — 3 changes pending"
        );
        status.support = Support::NotSupported;
        assert_eq!(
            status.headline(),
            "Local list: not supported by this station"
        );
    }
}
