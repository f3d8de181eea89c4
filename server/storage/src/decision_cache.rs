//! What authorization decisions are taken from, kept in memory: a station's organization, its name and the
//! station's effective access mode; and the live passes an idTag matches in an organization's subtree. An
//! Authorize then reads nothing from the database when the station and the card were seen before.
//!
//! Exact, not "eventually right": every entry carries the *generation* that was current when its rows were
//! read (taken before the read), and is used only while the generation is still the same and the entry is
//! younger than [`MAX_AGE`]. The generation moves on
//!
//! - after every write transaction that may change what decisions are taken from: every
//!   [`Db::begin_write`] transaction does when it commits, unless it was opened with
//!   [`Db::begin_operational_write`] (the station traffic, logs, sessions, mail, leases) — so a new kind of
//!   write invalidates by default;
//! - when another instance committed such a change (an [`crate::events`] notification sent in that
//!   transaction, on PostgreSQL), and whenever the notification connection was lost (events may be missing);
//! - never backwards. A read that raced with a commit was tagged with the older generation and is never used.
//!
//! Changes made to the database behind ChargeDesk's back (SQL by hand) are not announced: [`MAX_AGE`] bounds
//! how long an entry lives, so they count within that time.
//!
//! Bounded: at most [`MAX_ENTRIES`] entries of each kind; a full map, or one of an older generation, is
//! emptied before the next entry goes in.
//!
//! [`Db::begin_write`]: crate::Db
//! [`Db::begin_operational_write`]: crate::Db

use shared::decision::CandidatePass;
use shared::ids::StationId;
use shared::station::AccessMode;
use shared::OrgId;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest an entry is used, whatever the generation says.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(30);

/// The most entries of each kind (stations, idTag lookups).
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// The most wanted Local Authorization Lists kept (each may hold thousands of idTags).
pub(crate) const MAX_WANTED_LISTS: usize = 1_000;

/// The key of a wanted list: what it depends on besides the passes — the station's organization and its
/// effective access mode. Every station with the same key gets the same list.
pub(crate) type WantedListKey = (OrgId, AccessMode);

/// What a decision at a station needs to know about the station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StationContext {
    /// The station's organization.
    pub(crate) org: OrgId,
    /// Its name (the reason of a decision names it).
    pub(crate) org_name: String,
    /// The station's effective access mode (its own, or inherited).
    pub(crate) mode: AccessMode,
}

/// The live passes that match an idTag's lookup keys in an organization's subtree, nearest first.
pub(crate) type Candidates = Arc<Vec<CandidatePass>>;

/// The key of a candidates entry: the organization and the idTag's hidden and visible lookup keys.
pub(crate) type CandidatesKey = (OrgId, Option<String>, Option<String>);

/// The generation a read was made at: take it with [`DecisionCache::generation`] before reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

/// The cache, shared by every clone of a [`crate::Db`].
#[derive(Debug, Default)]
pub(crate) struct DecisionCache {
    generation: AtomicU64,
    stations: Mutex<Entries<StationId, StationContext>>,
    candidates: Mutex<Entries<CandidatesKey, Candidates>>,
    /// The Local Authorization List stations of an organization with an access mode should hold
    /// (`decisions::wanted_local_list`): computed once for the 10,000 stations of one organization.
    wanted_lists: Mutex<Entries<WantedListKey, Arc<shared::local_list::LocalList>>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    /// The generation of every entry in `map`.
    generation: u64,
    map: HashMap<K, (Instant, V)>,
}

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Self {
            generation: 0,
            map: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Entries<K, V> {
    fn get(&self, key: &K, current: u64) -> Option<V> {
        if self.generation != current {
            return None;
        }
        self.map
            .get(key)
            .filter(|(at, _)| at.elapsed() < MAX_AGE)
            .map(|(_, value)| value.clone())
    }

    fn put(&mut self, key: K, value: V, read_at: u64, current: u64, cap: usize) {
        if read_at != current {
            // Read before a change that has committed since: never kept.
            return;
        }
        if self.generation != current || self.map.len() >= cap {
            self.map.clear();
            self.generation = current;
        }
        self.map.insert(key, (Instant::now(), value));
    }
}

impl DecisionCache {
    /// A new, empty cache, to share.
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The current generation: take it *before* reading what is to be put in.
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Everything read so far is out of date (a change committed, here or on another instance, or events may
    /// have been missed).
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn station(&self, station: StationId) -> Option<StationContext> {
        let current = self.generation.load(Ordering::Acquire);
        lock(&self.stations).get(&station, current)
    }

    pub(crate) fn put_station(
        &self,
        station: StationId,
        context: StationContext,
        read_at: Generation,
    ) {
        let current = self.generation.load(Ordering::Acquire);
        lock(&self.stations).put(station, context, read_at.0, current, MAX_ENTRIES);
    }

    pub(crate) fn candidates(&self, key: &CandidatesKey) -> Option<Candidates> {
        let current = self.generation.load(Ordering::Acquire);
        lock(&self.candidates).get(key, current)
    }

    pub(crate) fn put_candidates(
        &self,
        key: CandidatesKey,
        candidates: Candidates,
        read_at: Generation,
    ) {
        let current = self.generation.load(Ordering::Acquire);
        lock(&self.candidates).put(key, candidates, read_at.0, current, MAX_ENTRIES);
    }

    pub(crate) fn wanted_list(
        &self,
        key: &WantedListKey,
    ) -> Option<Arc<shared::local_list::LocalList>> {
        let current = self.generation.load(Ordering::Acquire);
        lock(&self.wanted_lists).get(key, current)
    }

    pub(crate) fn put_wanted_list(
        &self,
        key: WantedListKey,
        list: Arc<shared::local_list::LocalList>,
        read_at: Generation,
    ) {
        let current = self.generation.load(Ordering::Acquire);
        lock(&self.wanted_lists).put(key, list, read_at.0, current, MAX_WANTED_LISTS);
    }
}

/// The maps hold plain data: a panic elsewhere while one was locked leaves it usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(name: &str) -> StationContext {
        StationContext {
            org: OrgId(1),
            org_name: name.into(),
            mode: AccessMode::Whitelisting,
        }
    }

    #[test]
    fn an_entry_lives_until_the_generation_moves_on() {
        let cache = DecisionCache::new();
        let station = StationId(7);
        assert_eq!(cache.station(station), None);
        let read_at = cache.generation();
        cache.put_station(station, context("A"), read_at);
        assert_eq!(cache.station(station), Some(context("A")));
        cache.invalidate();
        assert_eq!(cache.station(station), None);
        // Read again after the change: kept.
        let read_at = cache.generation();
        cache.put_station(station, context("B"), read_at);
        assert_eq!(cache.station(station), Some(context("B")));
    }

    #[test]
    fn a_read_that_raced_with_a_change_is_never_kept() {
        let cache = DecisionCache::new();
        let read_at = cache.generation();
        // ... the rows are read, and meanwhile a change commits:
        cache.invalidate();
        cache.put_station(StationId(7), context("old"), read_at);
        assert_eq!(cache.station(StationId(7)), None);
        let key = (OrgId(1), Some("04AABBCC".to_owned()), None);
        cache.put_candidates(key.clone(), Arc::new(Vec::new()), read_at);
        assert!(cache.candidates(&key).is_none());
    }

    #[test]
    fn a_wanted_list_is_shared_by_its_organization_and_mode_until_a_change() {
        let cache = DecisionCache::new();
        let key = (OrgId(1), AccessMode::Whitelisting);
        let list: shared::local_list::LocalList = [(
            "04A1B2C3D4E5F6".to_owned(),
            shared::local_list::ListEntry {
                status: shared::local_list::ListStatus::Accepted,
                expiry_millis: None,
            },
        )]
        .into_iter()
        .collect();
        let read_at = cache.generation();
        cache.put_wanted_list(key, Arc::new(list.clone()), read_at);
        assert_eq!(cache.wanted_list(&key).as_deref(), Some(&list));
        assert!(cache
            .wanted_list(&(OrgId(1), AccessMode::RoamingAndWhitelisting))
            .is_none());
        cache.invalidate();
        assert!(cache.wanted_list(&key).is_none(), "a change ends it");
        // Read before the change, put after it: never kept.
        cache.put_wanted_list(key, Arc::new(list), read_at);
        assert!(cache.wanted_list(&key).is_none());
    }

    #[test]
    fn a_full_map_starts_over() {
        let cache = DecisionCache::new();
        let read_at = cache.generation();
        for id in 0..MAX_ENTRIES as i64 {
            cache.put_station(StationId(id), context("A"), read_at);
        }
        assert!(cache.station(StationId(0)).is_some());
        cache.put_station(StationId(-1), context("B"), read_at);
        assert!(cache.station(StationId(0)).is_none());
        assert_eq!(cache.station(StationId(-1)), Some(context("B")));
        assert_eq!(lock(&cache.stations).map.len(), 1);
    }
}
