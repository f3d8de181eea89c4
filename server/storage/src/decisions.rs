//! Authorization decisions (OCPP Authorize and StartTransaction): loading the candidate passes, applying
//! [`shared::decision::decide`], storing every decision with its reason, and reading them back (on a pass, and
//! as the unknown cards tapped at a station).

use crate::db::{now, Backend, Conn, Db};
use crate::decision_cache::{DecisionCache, StationContext};
use crate::error::StorageError;
use crate::multi_row::{Statement, Value};
use crate::ocpp::ConnectedStation;
use crate::org::{ancestry, OrgAdmin};
use crate::stations::{default_chain, parse_access_mode, subtree_cte, subtree_passes_with_key};
use shared::access;
use shared::decision::{
    decide, id_tag_keys, AuthorizationStatus, Billing, CandidatePass, Decision, IdTagKeys,
};
use shared::ids::StationId;
use shared::model::{DecisionRecord, TapEvent, UnknownTap};
use shared::station::{effective_access_mode, AccessMode};
use shared::time::Timestamp;
use shared::{OrgId, PassId, PassMode, UserId};
use std::collections::HashMap;
use std::sync::Arc;

/// The largest page of decisions returned at once.
const MAX_DECISION_PAGE: i64 = 200;
/// The most recent decisions looked at when listing unknown taps.
const UNKNOWN_TAP_SCAN: i64 = 5_000;

/// Which OCPP request a decision answered; stored as the OCPP action name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecisionAction {
    Authorize,
    StartTransaction,
}

impl DecisionAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Authorize => "Authorize",
            Self::StartTransaction => "StartTransaction",
        }
    }
}

pub(crate) fn parse_status(stored: &str) -> Result<AuthorizationStatus, StorageError> {
    AuthorizationStatus::parse(stored).ok_or_else(|| {
        StorageError::internal(format!(
            "unknown authorization status {stored:?} in database"
        ))
    })
}

pub(crate) fn parse_billing(stored: Option<&str>) -> Result<Option<Billing>, StorageError> {
    stored
        .map(|s| {
            Billing::parse(s)
                .ok_or_else(|| StorageError::internal(format!("unknown billing {s:?} in database")))
        })
        .transpose()
}

/// The query of [`candidates`]: `$1` the organization, `$2` the hidden key, `$3` the visible key.
fn candidates_sql() -> String {
    let select = |kind: &str, key: &str| {
        format!(
            "SELECT p.id AS id, p.org_id, subtree.name AS org_name, p.nickname, p.user_id, p.mode, \
                    subtree.depth AS depth {}",
            subtree_passes_with_key(kind, key)
        )
    };
    format!(
        "{}{} UNION ALL {} ORDER BY depth, id",
        subtree_cte("$1"),
        select("hidden", "$2"),
        select("visible", "$3")
    )
}

/// The live passes matching `id_tag` in `org`'s subtree (never its parent or siblings), nearest organization
/// first, then by pass id: the candidates [`decide`] expects.
async fn candidates(
    conn: &mut Conn,
    org: OrgId,
    hidden: Option<&str>,
    visible: Option<&str>,
) -> Result<Vec<CandidatePass>, StorageError> {
    if hidden.is_none() && visible.is_none() {
        return Ok(Vec::new());
    }
    let sql = candidates_sql();
    let rows = sqlx::query_as::<_, CandidateRow>(&sql)
        .bind(org.0)
        .bind(hidden)
        .bind(visible)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(CandidateRow::into_candidate).collect()
}

/// A candidate pass as the queries read it (`p.id AS id, p.org_id, … AS org_name, p.nickname, p.user_id,
/// p.mode`).
#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    org_id: i64,
    org_name: String,
    nickname: String,
    user_id: i64,
    mode: String,
}

impl CandidateRow {
    fn into_candidate(self) -> Result<CandidatePass, StorageError> {
        Ok(CandidatePass {
            pass: PassId(self.id),
            org: OrgId(self.org_id),
            org_name: self.org_name,
            nickname: self.nickname,
            user: Some(UserId(self.user_id)),
            mode: PassMode::parse(&self.mode).ok_or_else(|| {
                StorageError::internal(format!("unknown pass mode {:?} in database", self.mode))
            })?,
        })
    }
}

/// Where a decision reads what the cache does not hold: the caller's transaction, or a pooled connection taken
/// only when something must be read (a decision served from the cache takes none).
enum Source<'a> {
    Transaction(&'a mut Conn),
    Pool(&'a crate::Db, Option<sqlx::pool::PoolConnection<sqlx::Any>>),
}

impl Source<'_> {
    async fn conn(&mut self) -> Result<&mut Conn, StorageError> {
        match self {
            Source::Transaction(conn) => Ok(conn),
            Source::Pool(db, taken) => {
                if taken.is_none() {
                    *taken = Some(db.read().await?);
                }
                Ok(taken.as_mut().expect("taken above"))
            }
        }
    }
}

/// What a decision at `station` needs to know about it: its organization, the organization's name and the
/// station's effective access mode — from the cache, or read (and cached).
async fn station_context(
    source: &mut Source<'_>,
    cache: &DecisionCache,
    station: StationId,
) -> Result<StationContext, StorageError> {
    if let Some(context) = cache.station(station) {
        return Ok(context);
    }
    let read_at = cache.generation();
    let conn = source.conn().await?;
    let (org, org_name, own): (i64, String, Option<String>) = sqlx::query_as(
        "SELECT s.org_id, o.name, s.access_mode FROM stations s \
         JOIN organizations o ON o.id = s.org_id WHERE s.id = $1",
    )
    .bind(station.0)
    .fetch_one(&mut *conn)
    .await?;
    let org = OrgId(org);
    let chain = default_chain(conn, org).await?;
    let context = StationContext {
        org,
        org_name,
        mode: effective_access_mode(parse_access_mode(own.as_deref())?, &chain),
    };
    cache.put_station(station, context.clone(), read_at);
    Ok(context)
}

/// Decides whether `id_tag` may charge at `station` now: the station's effective access mode and the
/// candidate passes of its organization subtree (both through the [`DecisionCache`]), handed to [`decide`].
/// Stores nothing. Returns the decision with the mode and the idTag's lookup keys it was taken with (what
/// [`decide_and_record`] stores).
async fn decide_now(
    source: &mut Source<'_>,
    cache: &DecisionCache,
    station: StationId,
    id_tag: &str,
) -> Result<(Decision, AccessMode, IdTagKeys), StorageError> {
    let context = station_context(source, cache, station).await?;
    let keys = id_tag_keys(id_tag);
    let key = (context.org, keys.hidden.clone(), keys.visible.clone());
    let found = match cache.candidates(&key) {
        Some(found) => found,
        None => {
            let read_at = cache.generation();
            let found = Arc::new(
                candidates(
                    source.conn().await?,
                    context.org,
                    keys.hidden.as_deref(),
                    keys.visible.as_deref(),
                )
                .await?,
            );
            cache.put_candidates(key, found.clone(), read_at);
            found
        }
    };
    let decision = decide(id_tag, context.mode, &context.org_name, &found);
    Ok((decision, context.mode, keys))
}

/// An authorization decision taken and not stored yet ([`ConnectedStation::decide_authorize`]): what
/// [`crate::Db::store_ocpp_batch`] stores, in the writer's batch. Only storage builds one.
#[derive(Debug, Clone)]
pub struct NewDecision {
    station: StationId,
    at: Timestamp,
    action: DecisionAction,
    id_tag: String,
    keys: IdTagKeys,
    mode: AccessMode,
    decision: Decision,
}

impl NewDecision {
    /// The station it was taken at.
    pub fn station(&self) -> StationId {
        self.station
    }

    /// The card held against the station's reader, for "Scan at a station": every Authorize is one.
    pub(crate) fn tap(&self) -> Option<TapEvent> {
        (self.action == DecisionAction::Authorize).then(|| TapEvent {
            station: self.station,
            id_tag: self.id_tag.clone(),
            at: self.at,
            known: self.decision.pass.is_some(),
        })
    }
}

/// Decides whether `id_tag` may charge at `station` now and stores the decision (inside the caller's
/// transaction). Returns the decision and its row id.
pub(crate) async fn decide_and_record(
    conn: &mut Conn,
    cache: &DecisionCache,
    station: StationId,
    action: DecisionAction,
    id_tag: &str,
    at: Timestamp,
) -> Result<(Decision, i64), StorageError> {
    let (decision, mode, keys) =
        decide_now(&mut Source::Transaction(conn), cache, station, id_tag).await?;
    let new = NewDecision {
        station,
        at,
        action,
        id_tag: id_tag.to_owned(),
        keys,
        mode,
        decision,
    };
    let id = insert_decision(conn, &new).await?;
    Ok((new.decision, id))
}

/// Stores one decision (inside the caller's transaction); returns its row id.
pub(crate) async fn insert_decision(
    conn: &mut Conn,
    new: &NewDecision,
) -> Result<i64, StorageError> {
    let NewDecision {
        station,
        at,
        action,
        id_tag,
        keys,
        mode,
        decision,
    } = new;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO authorization_decisions (station_id, at, action, id_tag, hidden_key, visible_key, \
                                              access_mode, pass_id, user_id, status, billing, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(station.0)
    .bind(at.0)
    .bind(action.as_str())
    .bind(id_tag.as_str())
    .bind(keys.hidden.as_deref())
    .bind(keys.visible.as_deref())
    .bind(mode.as_str())
    .bind(decision.pass.map(|p| p.0))
    .bind(decision.user.map(|u| u.0))
    .bind(decision.status.as_str())
    .bind(decision.billing.map(Billing::as_str))
    .bind(decision.reason.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Stores `batch` (inside the caller's transaction), a few hundred rows per statement.
pub(crate) async fn insert_decisions(
    conn: &mut Conn,
    backend: Backend,
    batch: &[NewDecision],
) -> Result<(), StorageError> {
    for chunk in batch.chunks(crate::ocpp::ROWS_PER_INSERT) {
        let mut insert = Statement::new(
            backend,
            "INSERT INTO authorization_decisions (station_id, at, action, id_tag, hidden_key, visible_key, \
                                                  access_mode, pass_id, user_id, status, billing, reason) VALUES ",
        );
        for (i, new) in chunk.iter().enumerate() {
            if i > 0 {
                insert.sql(", ");
            }
            insert.tuple([
                Value::Int(new.station.0),
                Value::Int(new.at.0),
                Value::Text(new.action.as_str()),
                Value::Text(&new.id_tag),
                Value::OptText(new.keys.hidden.as_deref()),
                Value::OptText(new.keys.visible.as_deref()),
                Value::Text(new.mode.as_str()),
                Value::OptInt(new.decision.pass.map(|p| p.0)),
                Value::OptInt(new.decision.user.map(|u| u.0)),
                Value::Text(new.decision.status.as_str()),
                Value::OptText(new.decision.billing.map(Billing::as_str)),
                Value::Text(&new.decision.reason),
            ]);
        }
        insert.execute(conn).await?;
    }
    Ok(())
}

impl ConnectedStation {
    /// The Local Authorization List this station should hold: every card [`decide`] accepts here now (the
    /// station's effective access mode, the live passes of its organization and sub-organizations as
    /// candidates, nearest first), as [`shared::local_list::wanted_list`] computes it — so a card is on the
    /// list exactly when Authorize would accept it. One read of the subtree's live passes.
    pub async fn wanted_local_list(&self) -> Result<shared::local_list::LocalList, StorageError> {
        Ok(wanted_local_list(&self.db, self.station)
            .await?
            .as_ref()
            .clone())
    }
}

/// The Local Authorization List `station` should hold (see [`ConnectedStation::wanted_local_list`]).
///
/// Every station of one organization with the same access mode wants the same list: it is read once per
/// decision-cache generation ([`DecisionCache::wanted_list`]), so 10,000 stations of one organization planning
/// after a change cost one read of its passes.
pub(crate) async fn wanted_local_list(
    db: &Db,
    station: StationId,
) -> Result<Arc<shared::local_list::LocalList>, StorageError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        pass: CandidateRow,
        id_kind: String,
        match_key: String,
        id_value: String,
        depth: i64,
    }
    /// A candidate with its organization's depth: by depth and pass id is the order `candidates` reads.
    type Nearest = (i64, CandidatePass);
    // Taken before anything is read: a list read across a change is never kept.
    let read_at = db.decision_cache.generation();
    let mut source = Source::Pool(db, None);
    let context = station_context(&mut source, &db.decision_cache, station).await?;
    let key = (context.org, context.mode);
    if let Some(list) = db.decision_cache.wanted_list(&key) {
        return Ok(list);
    }
    let rows = sqlx::query_as::<_, Row>(&format!(
            "{}SELECT p.id, p.org_id, subtree.name AS org_name, p.nickname, p.user_id, p.mode, p.id_kind, \
                    p.match_key, p.id_value, subtree.depth AS depth \
             FROM subtree JOIN passes p ON p.org_id = subtree.id WHERE p.deleted_at IS NULL \
             ORDER BY subtree.depth, p.id",
            subtree_cte("$1")
        ))
        .bind(context.org.0)
        .fetch_all(source.conn().await?)
        .await?;
    // The candidates of each lookup key, nearest first (the rows' order), as `candidates` reads them.
    let mut by_key: HashMap<(String, String), Vec<Nearest>> = HashMap::new();
    let mut id_tags = std::collections::BTreeSet::new();
    for r in rows {
        let candidate = r.pass.into_candidate()?;
        id_tags.insert(r.id_value);
        by_key
            .entry((r.id_kind, r.match_key))
            .or_default()
            .push((r.depth, candidate));
    }
    let cards: Vec<(String, Vec<CandidatePass>)> = id_tags
        .into_iter()
        .map(|id_tag| {
            let keys = id_tag_keys(&id_tag);
            let mut found: Vec<&Nearest> = [
                keys.hidden.map(|k| ("hidden".to_owned(), k)),
                keys.visible.map(|k| ("visible".to_owned(), k)),
            ]
            .into_iter()
            .flatten()
            .filter_map(|key| by_key.get(&key))
            .flatten()
            .collect();
            found.sort_by_key(|(depth, c)| (*depth, c.pass));
            let candidates = found.into_iter().map(|(_, c)| c.clone()).collect();
            (id_tag, candidates)
        })
        .collect();
    let list = Arc::new(shared::local_list::wanted_list(
        context.mode,
        &context.org_name,
        cards.iter().map(|(tag, c)| (tag.as_str(), c.as_slice())),
    ));
    db.decision_cache
        .put_wanted_list(key, list.clone(), read_at);
    Ok(list)
}

impl ConnectedStation {
    /// OCPP Authorize, taken apart for a batching writer: decides whether the card may charge here (as
    /// [`ConnectedStation::authorize`] does; from the decision cache, or on a read connection), tells this
    /// instance's listeners of the station's taps, and returns the decision with what is to be stored
    /// ([`crate::Db::store_ocpp_batch`], which tells the other instances).
    pub async fn decide_authorize(
        &self,
        id_tag: &str,
    ) -> Result<(Decision, NewDecision), StorageError> {
        let at = now();
        let (decision, mode, keys) = decide_now(
            &mut Source::Pool(&self.db, None),
            &self.db.decision_cache,
            self.station,
            id_tag,
        )
        .await?;
        let record = NewDecision {
            station: self.station,
            at,
            action: DecisionAction::Authorize,
            id_tag: id_tag.to_owned(),
            keys,
            mode,
            decision: decision.clone(),
        };
        // "Scan at a station" on this instance hears of the card at once; the others with its commit.
        if let Some(tap) = record.tap() {
            self.db.tap_here(tap);
        }
        Ok((decision, record))
    }

    /// OCPP Authorize: decides whether the card may charge here (the station's effective access mode, the live
    /// passes with this idTag in the station's organization and its sub-organizations, nearest first) and
    /// stores the decision with its reason, in a transaction of its own.
    pub async fn authorize(&self, id_tag: &str) -> Result<Decision, StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        let (decision, _) = decide_and_record(
            &mut tx,
            &self.db.decision_cache,
            self.station,
            DecisionAction::Authorize,
            id_tag,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// The `idTagInfo` of an OCPP StopTransaction that names an idTag: the same decision as Authorize (same
    /// access mode, same candidates, same [`decide`]), so that a deleted or unknown card is never answered
    /// Accepted — stations cache these answers in their authorization cache.
    ///
    /// Computed, not stored: the stop itself is recorded on the transaction (`stop_id_tag`) and the
    /// transaction keeps the decision it started with, so a stored row would add nothing an operator reads,
    /// while `authorization_decisions.action` stays the two requests that can let a card charge (Authorize and
    /// StartTransaction) and a StopTransaction never shows up among a station's unknown taps.
    pub async fn stop_id_tag_decision(&self, id_tag: &str) -> Result<Decision, StorageError> {
        let (decision, _, _) = decide_now(
            &mut Source::Pool(&self.db, None),
            &self.db.decision_cache,
            self.station,
            id_tag,
        )
        .await?;
        Ok(decision)
    }
}

/// The query of [`OrgAdmin::unknown_taps`]: `$1` the station, `$2` its organization, `$3` since, `$4` the most
/// decisions looked at.
fn unknown_taps_sql() -> String {
    format!(
        "{}SELECT d.id_tag, d.hidden_key, d.visible_key, d.at FROM authorization_decisions d \
         WHERE d.station_id = $1 AND d.at >= $3 \
           AND NOT EXISTS (SELECT 1 {}) AND NOT EXISTS (SELECT 1 {}) \
         ORDER BY d.at DESC, d.id DESC LIMIT $4",
        subtree_cte("$2"),
        subtree_passes_with_key("hidden", "d.hidden_key"),
        subtree_passes_with_key("visible", "d.visible_key")
    )
}

impl OrgAdmin {
    /// The decisions that involved a pass of this organization (live or deleted), at any station, newest
    /// first, at most `limit` (clamped to 1..=200). `NotFound { what: "pass" }` for a pass of another
    /// organization.
    ///
    /// The station may belong to an ancestor organization (a sub-organization's whitelisted pass counts at its
    /// parent's stations): unless the caller administers that organization too
    /// ([`shared::access::may_administer`]), its name is shown, as the cardholder saw it, but nothing else
    /// about it (no charge point ID).
    pub async fn pass_decisions(
        &self,
        pass: PassId,
        limit: i64,
    ) -> Result<Vec<DecisionRecord>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            at: i64,
            station_name: String,
            station_org: i64,
            charge_point_id: String,
            action: String,
            id_tag: String,
            status: String,
            billing: Option<String>,
            reason: String,
        }
        let mut conn = self.db.read().await?;
        let ours: Option<i64> =
            sqlx::query_scalar("SELECT id FROM passes WHERE id = $1 AND org_id = $2")
                .bind(pass.0)
                .bind(self.org.0)
                .fetch_optional(&mut *conn)
                .await?;
        if ours.is_none() {
            return Err(StorageError::NotFound { what: "pass" });
        }
        let rows = sqlx::query_as::<_, Row>(
            "SELECT d.id, d.at, s.name AS station_name, s.org_id AS station_org, s.charge_point_id, d.action, \
                    d.id_tag, d.status, d.billing, d.reason \
             FROM authorization_decisions d JOIN stations s ON s.id = d.station_id \
             WHERE d.pass_id = $1 ORDER BY d.at DESC, d.id DESC LIMIT $2",
        )
        .bind(pass.0)
        .bind(limit.clamp(1, MAX_DECISION_PAGE))
        .fetch_all(&mut *conn)
        .await?;
        // Whether the caller administers each station's organization, asked once per organization.
        let mut administered: HashMap<i64, bool> = HashMap::new();
        for r in &rows {
            if let std::collections::hash_map::Entry::Vacant(entry) =
                administered.entry(r.station_org)
            {
                let chain: Vec<OrgId> = ancestry(&mut conn, OrgId(r.station_org))
                    .await?
                    .into_iter()
                    .map(|o| o.id)
                    .collect();
                entry.insert(access::may_administer(&self.memberships, &chain));
            }
        }
        rows.into_iter()
            .map(|r| {
                Ok(DecisionRecord {
                    id: r.id,
                    at: Timestamp(r.at),
                    station_name: r.station_name,
                    charge_point_id: administered
                        .get(&r.station_org)
                        .copied()
                        .unwrap_or(false)
                        .then_some(r.charge_point_id),
                    action: r.action,
                    id_tag: r.id_tag,
                    status: parse_status(&r.status)?,
                    billing: parse_billing(r.billing.as_deref())?,
                    reason: r.reason,
                })
            })
            .collect()
    }

    /// The cards presented at a station (Authorize or StartTransaction) since `since` that match no live
    /// pass of the station's organization or its sub-organizations now: candidates for "Add as pass". One
    /// entry per card (the same card typed differently, e.g. lower-case hex, counts once, shown as last
    /// received), most recently seen first. `NotFound { what: "station" }` outside this subtree.
    pub async fn unknown_taps(
        &self,
        id: StationId,
        since: Timestamp,
    ) -> Result<Vec<UnknownTap>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id_tag: String,
            hidden_key: Option<String>,
            visible_key: Option<String>,
            at: i64,
        }
        let mut conn = self.db.read().await?;
        let station = self.scoped_station(&mut conn, id).await?;
        let sql = unknown_taps_sql();
        let rows = sqlx::query_as::<_, Row>(&sql)
            .bind(station.id.0)
            .bind(station.org.0)
            .bind(since.0)
            .bind(UNKNOWN_TAP_SCAN)
            .fetch_all(&mut *conn)
            .await?;
        // Newest first, so the first row of each card is its latest.
        let mut taps: Vec<UnknownTap> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for r in rows {
            let key = match (r.hidden_key, r.visible_key) {
                (Some(h), _) => format!("h:{h}"),
                (None, Some(v)) => format!("v:{v}"),
                (None, None) => format!("r:{}", r.id_tag.trim().to_ascii_uppercase()),
            };
            match index.get(&key) {
                Some(&i) => taps[i].count += 1,
                None => {
                    index.insert(key, taps.len());
                    taps.push(UnknownTap {
                        id_tag: r.id_tag,
                        last_seen_at: Timestamp(r.at),
                        count: 1,
                    });
                }
            }
        }
        Ok(taps)
    }
}

impl crate::Db {
    /// Retention: deletes the authorization decisions taken before `older_than` (e.g. now − 90 days), a few
    /// thousand per transaction, except those a transaction references — a transaction is a record and keeps
    /// the decision it started with. Returns how many were deleted.
    pub async fn prune_authorization_decisions(
        &self,
        older_than: Timestamp,
    ) -> Result<u64, StorageError> {
        self.delete_in_chunks(
            "DELETE FROM authorization_decisions WHERE id IN \
             (SELECT d.id FROM authorization_decisions d WHERE d.at < $1 \
                AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.decision_id = d.id) \
              ORDER BY d.id LIMIT $2)",
            older_than,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan of `sql` (`$N` bound to 1), one line per step.
    async fn plan(db: &crate::Db, sql: &str, params: usize) -> String {
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(Box::leak(
            format!("EXPLAIN QUERY PLAN {sql}").into_boxed_str(),
        ));
        for _ in 0..params {
            query = query.bind(1_i64);
        }
        let rows = query.fetch_all(&db.pool).await.unwrap();
        rows.into_iter()
            .map(|(_, _, _, step)| step)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A card is looked up by its key in the index of live cards, never by reading an organization's passes
    /// (a condition on both identifier kinds joined by OR made SQLite prefer an index on the organization
    /// alone: 1.5 ms instead of 12 µs per Authorize with 10,000 passes, and seconds for the unknown taps).
    #[tokio::test]
    async fn cards_are_found_through_the_index_of_live_cards() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::Db::open_sqlite_in(dir.path()).await.unwrap();
        for (what, sql, params) in [
            ("candidates", candidates_sql(), 3),
            ("unknown taps", unknown_taps_sql(), 4),
        ] {
            let plan = plan(&db, &sql, params).await;
            let lookups = plan
                .lines()
                .filter(|step| step.contains(" p USING "))
                .collect::<Vec<_>>();
            assert_eq!(lookups.len(), 2, "{what}:\n{plan}");
            for step in lookups {
                assert!(
                    step.contains("SEARCH p USING INDEX passes_live_card (org_id=? AND id_kind=? AND match_key=?)"),
                    "{what}:\n{plan}"
                );
            }
        }
    }
}
