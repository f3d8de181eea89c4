//! Charging sessions: OCPP StartTransaction / MeterValues / StopTransaction, and listing them.
//!
//! Everything about a running session is in the database, nothing in memory: a StopTransaction after a server
//! restart (or on another connection) completes the stored transaction, and a StartTransaction the station
//! repeats after a reconnect returns the transaction it already got.

use crate::db::{now, Conn};
use crate::decisions::{decide_and_record, parse_billing, parse_status, DecisionAction};
use crate::error::StorageError;
use crate::ocpp::ConnectedStation;
use crate::org::OrgAdmin;
use crate::paging::page_order;
use crate::stations::subtree_cte;
use shared::decision::{Billing, Decision};
use shared::ids::{StationId, TransactionId};
use shared::model::{StoredPrice, TransactionSummary};
use shared::paging::{Page, PageRequest, Total, COUNT_LIMIT};
use shared::period::Day;
use shared::tariff::Currency;
use shared::tariff::{price, Money, Tariff, Usage};
use shared::time::{TimeZoneName, Timestamp};
use shared::transactions::{
    BillingFilter, DayEnergy, EnergyPerDay, TransactionFilter, TransactionTotals,
    TransactionsOverview,
};
use shared::{PassId, UserId};

/// The largest page of transactions returned at once.
const MAX_TRANSACTION_PAGE: i64 = 1000;

/// The stop reason OCPP 1.6 implies when StopTransaction has none.
const DEFAULT_STOP_REASON: &str = "Local";

/// What [`ConnectedStation::stop_transaction`] did. The station gets an answer in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// The transaction is now complete; `energy_wh` = meter stop − meter start (negative if the station's
    /// meter went backwards, e.g. was replaced).
    Completed {
        /// Energy charged, in Wh.
        energy_wh: i64,
    },
    /// The transaction was stopped before (a repeated StopTransaction); the first stop is kept.
    AlreadyStopped,
    /// No transaction with this id belongs to this station; nothing was stored (the frame itself is in the
    /// OCPP log) and a warning was logged.
    Unknown,
}

/// The stored decision behind a transaction, as a [`Decision`].
#[derive(sqlx::FromRow)]
struct StoredDecision {
    id: i64,
    status: String,
    billing: Option<String>,
    pass_id: Option<i64>,
    user_id: Option<i64>,
    reason: String,
}

impl StoredDecision {
    fn into_parts(self) -> Result<(TransactionId, Decision), StorageError> {
        Ok((
            TransactionId(self.id),
            Decision {
                status: parse_status(&self.status)?,
                billing: parse_billing(self.billing.as_deref())?,
                pass: self.pass_id.map(PassId),
                user: self.user_id.map(UserId),
                reason: self.reason,
            },
        ))
    }
}

impl ConnectedStation {
    /// OCPP StartTransaction: decides again whether the card may charge (the station may have let it start
    /// offline), stores the decision and the transaction, and returns the transactionId to answer with (also
    /// when the card is refused: the station must always get one). The same StartTransaction again (same
    /// connector, idTag, start time and meter start) returns the same transaction and decision, creating and
    /// deciding nothing.
    pub async fn start_transaction(
        &self,
        connector_id: i64,
        id_tag: &str,
        meter_start_wh: i64,
        started_at: Timestamp,
    ) -> Result<(TransactionId, Decision), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        if let Some(existing) = existing_start(
            &mut tx,
            self.station,
            connector_id,
            id_tag,
            meter_start_wh,
            started_at,
        )
        .await?
        {
            return existing.into_parts();
        }
        let at = now();
        let (decision, decision_id) = decide_and_record(
            &mut tx,
            &self.db.decision_cache,
            self.station,
            DecisionAction::StartTransaction,
            id_tag,
            at,
        )
        .await?;
        // A settled session gets the tariff in force now, frozen: a later edit never reprices it.
        let (tariff, price_note) = if decision.billing == Some(Billing::Settled) {
            match crate::tariffs::frozen_tariff(&mut tx, self.org, self.station).await? {
                Some(tariff) => (Some(tariff_json(&tariff)?), None),
                None => (None, Some(NO_TARIFF)),
            }
        } else {
            (None, None)
        };
        // The unique index `transactions_start` decides a repeat that another writer stores at the same time
        // (PostgreSQL runs writers concurrently): nothing is inserted, this transaction (and its decision) is
        // rolled back, and the repeat gets the stored transaction.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO transactions (station_id, connector_id, id_tag, decision_id, pass_id, user_id, \
                                       status, billing, started_at, meter_start_wh, created_at, tariff, \
                                       price_note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (station_id, connector_id, id_tag, started_at, meter_start_wh) DO NOTHING \
             RETURNING id",
        )
        .bind(self.station.0)
        .bind(connector_id)
        .bind(id_tag)
        .bind(decision_id)
        .bind(decision.pass.map(|p| p.0))
        .bind(decision.user.map(|u| u.0))
        .bind(decision.status.as_str())
        .bind(decision.billing.map(Billing::as_str))
        .bind(started_at.0)
        .bind(meter_start_wh)
        .bind(at.0)
        .bind(tariff)
        .bind(price_note)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return existing_start(
                &mut tx,
                self.station,
                connector_id,
                id_tag,
                meter_start_wh,
                started_at,
            )
            .await?
            .ok_or_else(|| StorageError::internal("a repeated StartTransaction vanished"))?
            .into_parts();
        };
        tx.commit().await?;
        Ok((TransactionId(id), decision))
    }

    /// OCPP StopTransaction: completes this station's stored transaction with the stop time, meter reading,
    /// energy (meter stop − meter start), the idTag that stopped it (if any) and the reason (`"Local"` when
    /// the station sent none). Works on nothing but the database, so also after a server restart. Never fails
    /// because of the station's data: an unknown or already stopped transaction is reported in the outcome.
    pub async fn stop_transaction(
        &self,
        transaction_id: i64,
        meter_stop_wh: i64,
        stopped_at: Timestamp,
        id_tag: Option<&str>,
        reason: Option<&str>,
    ) -> Result<StopOutcome, StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        let stopped: Option<StoppedRow> = sqlx::query_as(
            "UPDATE transactions SET stopped_at = $3, meter_stop_wh = $4, energy_wh = $4 - meter_start_wh, \
                                     stop_id_tag = $5, stop_reason = $6 \
             WHERE id = $1 AND station_id = $2 AND stopped_at IS NULL \
             RETURNING energy_wh, meter_start_wh, started_at, energy_rose_at, last_meter_wh, tariff",
        )
        .bind(transaction_id)
        .bind(self.station.0)
        .bind(stopped_at.0)
        .bind(meter_stop_wh)
        .bind(id_tag)
        .bind(reason.unwrap_or(DEFAULT_STOP_REASON))
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match stopped {
            Some(row) => {
                if let Some(tariff) = &row.tariff {
                    store_price(
                        &mut tx,
                        transaction_id,
                        tariff,
                        &row.usage(meter_stop_wh, stopped_at),
                    )
                    .await?;
                }
                StopOutcome::Completed {
                    energy_wh: row.energy_wh,
                }
            }
            None => {
                let exists: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM transactions WHERE id = $1 AND station_id = $2",
                )
                .bind(transaction_id)
                .bind(self.station.0)
                .fetch_optional(&mut *tx)
                .await?;
                if exists.is_some() {
                    StopOutcome::AlreadyStopped
                } else {
                    tracing::warn!(
                        station = %self.station,
                        transaction_id,
                        "StopTransaction for a transaction this station does not have"
                    );
                    StopOutcome::Unknown
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// OCPP MeterValues: stores an energy register reading (Wh, rounded to whole Wh). With a `transaction_id`
    /// of this station it is also the transaction's latest reading (unless a later one is stored already).
    /// A reading that is not a finite number is ignored.
    pub async fn meter_value(
        &self,
        transaction_id: Option<i64>,
        connector_id: i64,
        energy_wh: f64,
        at: Timestamp,
    ) -> Result<(), StorageError> {
        if !energy_wh.is_finite() {
            tracing::warn!(station = %self.station, energy_wh, "ignoring a meter value that is not a number");
            return Ok(());
        }
        let wh = energy_wh.round() as i64;
        let mut tx = self.db.begin_operational_write().await?;
        let transaction: Option<i64> = match transaction_id {
            Some(t) => {
                sqlx::query_scalar("SELECT id FROM transactions WHERE id = $1 AND station_id = $2")
                    .bind(t)
                    .bind(self.station.0)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        if let Some(t) = transaction {
            // A reading above the previous one (or the meter start) means the car still charged then: what
            // follows the last rise until the stop is idle time.
            sqlx::query(
                "UPDATE transactions SET last_meter_wh = $2, last_meter_at = $3, \
                   energy_rose_at = CASE WHEN $2 > COALESCE(last_meter_wh, meter_start_wh) THEN $3 \
                                         ELSE energy_rose_at END \
                 WHERE id = $1 AND (last_meter_at IS NULL OR last_meter_at <= $3)",
            )
            .bind(t)
            .bind(wh)
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO meter_values (station_id, connector_id, transaction_id, at, energy_wh) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.station.0)
        .bind(connector_id)
        .bind(transaction)
        .bind(at.0)
        .bind(wh)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Why a settled session has no price when no tariff was in force at its start.
const NO_TARIFF: &str =
    "No tariff was set for this station when the session started, so it has no price.";

/// Where the currency's three letters start in a stored tariff (1-based, for SQL's `SUBSTR`): the JSON begins
/// `{"currency":"EUR"` (checked by a test).
const CURRENCY_AT: usize = 14;

/// A tariff as stored on a transaction.
fn tariff_json(tariff: &Tariff) -> Result<String, StorageError> {
    serde_json::to_string(tariff).map_err(|e| StorageError::internal(e.to_string()))
}

/// A tariff stored on a transaction.
fn parse_tariff(json: &str) -> Result<Tariff, StorageError> {
    serde_json::from_str(json)
        .map_err(|e| StorageError::internal(format!("a transaction's tariff is unreadable: {e}")))
}

/// What a StopTransaction completed, for the price.
#[derive(sqlx::FromRow)]
struct StoppedRow {
    energy_wh: i64,
    meter_start_wh: i64,
    started_at: i64,
    energy_rose_at: Option<i64>,
    last_meter_wh: Option<i64>,
    tariff: Option<String>,
}

impl StoppedRow {
    /// Charging time runs from the start to the last rise of the meter, idle time from there to the stop.
    /// Without readings during the session, or when the meter rose after the last reading (the stop's reading
    /// is above it), the whole session counts as charging: when charging ended is not known.
    fn usage(&self, meter_stop_wh: i64, stopped_at: Timestamp) -> Usage {
        let rose_after_last_reading = self.last_meter_wh.is_none_or(|last| meter_stop_wh > last);
        let charging_end = match self.energy_rose_at {
            Some(rose) if !rose_after_last_reading => rose.clamp(self.started_at, stopped_at.0),
            _ => stopped_at.0,
        };
        Usage {
            meter_start_wh: Some(self.meter_start_wh),
            meter_stop_wh: Some(meter_stop_wh),
            charging_secs: (charging_end - self.started_at).max(0) / 1000,
            idle_secs: (stopped_at.0 - charging_end).max(0) / 1000,
        }
    }
}

/// Prices a stopped settled session with its frozen tariff and stores the price, or why there is none.
async fn store_price(
    conn: &mut Conn,
    transaction_id: i64,
    tariff: &str,
    usage: &Usage,
) -> Result<(), StorageError> {
    let tariff = parse_tariff(tariff)?;
    let (net, vat, gross, note) = match price(&tariff, usage) {
        Ok(p) => (Some(p.net.0), Some(p.vat.0), Some(p.gross.0), None),
        Err(e) => (None, None, None, Some(e.message)),
    };
    sqlx::query(
        "UPDATE transactions SET price_net = $2, price_vat = $3, price_gross = $4, price_note = $5 \
         WHERE id = $1",
    )
    .bind(transaction_id)
    .bind(net)
    .bind(vat)
    .bind(gross)
    .bind(note)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The transaction a repeated StartTransaction refers to, with its decision.
async fn existing_start(
    conn: &mut Conn,
    station: StationId,
    connector_id: i64,
    id_tag: &str,
    meter_start_wh: i64,
    started_at: Timestamp,
) -> Result<Option<StoredDecision>, StorageError> {
    Ok(sqlx::query_as::<_, StoredDecision>(
        "SELECT t.id, d.status, d.billing, d.pass_id, d.user_id, d.reason \
         FROM transactions t JOIN authorization_decisions d ON d.id = t.decision_id \
         WHERE t.station_id = $1 AND t.connector_id = $2 AND t.id_tag = $3 AND t.started_at = $4 \
           AND t.meter_start_wh = $5",
    )
    .bind(station.0)
    .bind(connector_id)
    .bind(id_tag)
    .bind(started_at.0)
    .bind(meter_start_wh)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The columns behind a [`TransactionSummary`]; `s` is the station, joined with `subtree`. The cardholder is
/// named as the pass's organization knows them (`um`: their membership there; see `org::MEMBER_FIRST_NAME`).
const TRANSACTION_SELECT: &str =
    "SELECT t.id, t.station_id, s.name AS station_name, s.charge_point_id, \
       t.connector_id, t.id_tag, t.pass_id, p.nickname AS pass_nickname, \
       COALESCE(um.first_name, u.first_name) AS first_name, \
       COALESCE(um.last_name, u.last_name) AS last_name, t.status, t.billing, t.started_at, \
       t.meter_start_wh, t.stopped_at, t.meter_stop_wh, \
       t.energy_wh, t.last_meter_wh, t.stop_reason, t.tariff, t.price_net, t.price_vat, t.price_gross, \
       t.price_note, d.reason AS decision_reason, d.access_mode AS decision_access_mode \
     FROM transactions t JOIN stations s ON s.id = t.station_id \
     JOIN authorization_decisions d ON d.id = t.decision_id \
     JOIN subtree ON subtree.id = s.org_id \
     LEFT JOIN passes p ON p.id = t.pass_id \
     LEFT JOIN users u ON u.id = t.user_id \
     LEFT JOIN memberships um ON um.user_id = t.user_id AND um.org_id = p.org_id";

#[derive(sqlx::FromRow)]
struct TransactionRow {
    id: i64,
    station_id: i64,
    station_name: String,
    charge_point_id: String,
    connector_id: i64,
    id_tag: String,
    pass_id: Option<i64>,
    pass_nickname: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    status: String,
    billing: Option<String>,
    started_at: i64,
    meter_start_wh: i64,
    stopped_at: Option<i64>,
    meter_stop_wh: Option<i64>,
    energy_wh: Option<i64>,
    last_meter_wh: Option<i64>,
    stop_reason: Option<String>,
    tariff: Option<String>,
    price_net: Option<i64>,
    price_vat: Option<i64>,
    price_gross: Option<i64>,
    price_note: Option<String>,
    decision_reason: String,
    decision_access_mode: String,
}

impl TransactionRow {
    fn into_summary(self) -> Result<TransactionSummary, StorageError> {
        Ok(self.into_exported()?.summary)
    }

    fn into_exported(self) -> Result<ExportedTransaction, StorageError> {
        let open = self.decision_access_mode == "open";
        let user_name = match (self.first_name, self.last_name) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            _ => None,
        };
        let summary = TransactionSummary {
            id: TransactionId(self.id),
            station_id: StationId(self.station_id),
            station_name: self.station_name,
            charge_point_id: self.charge_point_id,
            connector_id: self.connector_id,
            id_tag: self.id_tag,
            pass_id: self.pass_id.map(PassId),
            pass_nickname: self.pass_nickname,
            user_name,
            status: parse_status(&self.status)?,
            billing: parse_billing(self.billing.as_deref())?,
            started_at: Timestamp(self.started_at),
            meter_start_wh: self.meter_start_wh,
            stopped_at: self.stopped_at.map(Timestamp),
            meter_stop_wh: self.meter_stop_wh,
            energy_wh: self.energy_wh,
            last_meter_wh: self.last_meter_wh,
            stop_reason: self.stop_reason,
            tariff: self.tariff.as_deref().map(parse_tariff).transpose()?,
            price: match (self.price_net, self.price_vat, self.price_gross) {
                (Some(net), Some(vat), Some(gross)) => Some(StoredPrice {
                    net: Money(net),
                    vat: Money(vat),
                    gross: Money(gross),
                }),
                _ => None,
            },
            price_note: self.price_note,
            decision_reason: self.decision_reason,
        };
        Ok(ExportedTransaction { summary, open })
    }
}

/// A session of a download: the summary, and whether the station's access mode was Open when the card was
/// presented (a free session is then "Open", otherwise "Whitelisted").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedTransaction {
    /// The session as the list shows it.
    pub summary: TransactionSummary,
    /// Free because the station was Open (not because the pass was whitelisted).
    pub open: bool,
}

/// How many sessions a download's reader keeps ahead of the writer (the channel between them is bounded, so a
/// slow client slows the database read instead of filling memory).
const EXPORT_AHEAD: usize = 256;

/// A [`TransactionFilter`] checked within an [`OrgAdmin`]'s subtree: the station and the user resolved there
/// (`NotFound` outside it), the days turned into instants in the organization's zone. A pass is not looked up:
/// the sessions are those at this subtree's stations, so a pass of another organization selects nothing.
#[derive(Debug, Clone, Copy, Default)]
struct ScopedFilter {
    station: Option<StationId>,
    user: Option<UserId>,
    pass: Option<PassId>,
    started_from: Option<i64>,
    started_before: Option<i64>,
    billing: Option<BillingFilter>,
    active: Option<bool>,
}

impl ScopedFilter {
    /// The filter's conditions on `t` as ` AND …` (the station is [`scope_cte`]'s), their parameters numbered from
    /// `$first`, and the values to bind to them in order.
    fn conditions(&self, first: usize) -> (String, Vec<i64>) {
        let mut sql = String::new();
        let mut params = Vec::new();
        let mut param = |sql: &mut String, condition: &str, value: i64| {
            params.push(value);
            sql.push_str(&condition.replace('?', &format!("${}", first + params.len() - 1)));
        };
        if let Some(from) = self.started_from {
            param(&mut sql, " AND t.started_at >= ?", from);
        }
        if let Some(before) = self.started_before {
            param(&mut sql, " AND t.started_at < ?", before);
        }
        if let Some(user) = self.user {
            param(&mut sql, " AND t.user_id = ?", user.0);
        }
        if let Some(pass) = self.pass {
            param(&mut sql, " AND t.pass_id = ?", pass.0);
        }
        const OPEN: &str = "EXISTS (SELECT 1 FROM authorization_decisions fd \
                            WHERE fd.id = t.decision_id AND fd.access_mode = 'open')";
        match self.billing {
            Some(BillingFilter::Settled) => sql.push_str(" AND t.billing = 'settled'"),
            Some(BillingFilter::Whitelisted) => {
                sql.push_str(&format!(" AND t.billing = 'free' AND NOT {OPEN}"))
            }
            Some(BillingFilter::Open) => {
                sql.push_str(&format!(" AND t.billing = 'free' AND {OPEN}"))
            }
            None => {}
        }
        match self.active {
            Some(true) => sql.push_str(" AND t.stopped_at IS NULL"),
            Some(false) => sql.push_str(" AND t.stopped_at IS NOT NULL"),
            None => {}
        }
        (sql, params)
    }

    /// The first parameter after `$1` (the organization) and the station's `$2`.
    fn first_param(&self) -> usize {
        if self.station.is_some() {
            3
        } else {
            2
        }
    }
}

/// Binds the scope's `$1` (organization) and `$2` (station, when given), then the filter's values.
macro_rules! bind_scope {
    ($query:expr, $org:expr, $filter:expr, $params:expr) => {{
        let mut q = $query.bind($org.0);
        if let Some(station) = $filter.station {
            q = q.bind(station.0);
        }
        for value in $params {
            q = q.bind(*value);
        }
        q
    }};
}

impl OrgAdmin {
    /// The transactions at the stations of this organization and its sub-organizations, newest start first,
    /// at most `limit` (clamped to 1..=1000).
    pub async fn transactions(&self, limit: i64) -> Result<Vec<TransactionSummary>, StorageError> {
        let mut conn = self.db.read().await?;
        let fetch = limit.clamp(1, MAX_TRANSACTION_PAGE);
        self.transaction_rows(
            &mut conn,
            &ScopedFilter::default(),
            &PageRequest::first(),
            fetch,
        )
        .await
    }

    /// The transactions at one station, newest start first, at most `limit` (clamped to 1..=1000).
    /// `NotFound { what: "station" }` outside this subtree.
    pub async fn station_transactions(
        &self,
        id: StationId,
        limit: i64,
    ) -> Result<Vec<TransactionSummary>, StorageError> {
        let mut conn = self.db.read().await?;
        let station = self.scoped_station(&mut conn, id).await?;
        let fetch = limit.clamp(1, MAX_TRANSACTION_PAGE);
        let only = ScopedFilter {
            station: Some(station.id),
            ..ScopedFilter::default()
        };
        self.transaction_rows(&mut conn, &only, &PageRequest::first(), fetch)
            .await
    }

    /// One page of "Transactions": the transactions at the stations of this organization and its
    /// sub-organizations (only at `station` when given: `NotFound { what: "station" }` outside this subtree),
    /// newest start first (`started_at`, then id), with their count up to [`COUNT_LIMIT`]. The cursor only says
    /// where in this subtree's list to start: a transaction of another organization named by it changes nothing
    /// but the starting point.
    pub async fn transactions_page(
        &self,
        station: Option<StationId>,
        request: &PageRequest,
    ) -> Result<Page<TransactionSummary>, StorageError> {
        let filter = TransactionFilter {
            station,
            ..TransactionFilter::default()
        };
        self.filtered_transactions_page(&filter, request).await
    }

    /// [`OrgAdmin::transactions_page`] of the sessions `filter` selects (see [`OrgAdmin::scoped_filter`] for
    /// what it refuses).
    pub async fn filtered_transactions_page(
        &self,
        filter: &TransactionFilter,
        request: &PageRequest,
    ) -> Result<Page<TransactionSummary>, StorageError> {
        let zone = self.transactions_zone().await?;
        let mut conn = self.db.read().await?;
        let scoped = self.scoped_filter(&mut conn, filter, &zone).await?;
        let rows = self
            .transaction_rows(&mut conn, &scoped, request, i64::from(request.fetch()))
            .await?;
        let (conditions, params) = scoped.conditions(scoped.first_param());
        let count_sql = format!(
            "{} SELECT COUNT(*) FROM (SELECT 1 FROM transactions t \
             WHERE t.station_id IN (SELECT id FROM scope){conditions} LIMIT {}) counted",
            scope_cte(scoped.station.is_some()),
            COUNT_LIMIT + 1
        );
        let counted = bind_scope!(
            sqlx::query_scalar::<_, i64>(&count_sql),
            self.org,
            scoped,
            &params
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok(Page::assemble(
            request,
            rows,
            |t| (t.started_at.0, t.id.0),
            Total::from_count(counted as u64),
        ))
    }

    /// The time zone in which "Transactions" reads its days: this organization's (its own or inherited,
    /// Europe/Amsterdam at the root; see [`crate::settlement`]).
    pub async fn transactions_zone(&self) -> Result<TimeZoneName, StorageError> {
        let mut conn = self.db.read().await?;
        crate::settlement::time_zone_of(&mut conn, self.org).await
    }

    /// `filter` within this subtree: a station or a user (a member id) that is not this subtree's is
    /// `NotFound` (the same for "not yours" and "does not exist"); days become instants in `zone`.
    async fn scoped_filter(
        &self,
        conn: &mut Conn,
        filter: &TransactionFilter,
        zone: &TimeZoneName,
    ) -> Result<ScopedFilter, StorageError> {
        let station = match filter.station {
            Some(id) => Some(self.scoped_station(conn, id).await?.id),
            None => None,
        };
        let user = match filter.user {
            Some(member) => Some(self.member(member).await?),
            None => None,
        };
        Ok(ScopedFilter {
            station,
            user,
            pass: filter.pass,
            started_from: filter.from.map(|d| d.bounds(zone).0 .0),
            started_before: filter.to.map(|d| d.bounds(zone).1 .0),
            billing: filter.billing,
            active: filter.active,
        })
    }

    /// The totals of the sessions `filter` selects: how many, their energy, and what the priced ones cost
    /// (incl. VAT) per currency.
    pub async fn transaction_totals(
        &self,
        filter: &TransactionFilter,
    ) -> Result<TransactionTotals, StorageError> {
        let zone = self.transactions_zone().await?;
        let mut conn = self.db.read().await?;
        let scoped = self.scoped_filter(&mut conn, filter, &zone).await?;
        self.totals(&mut conn, &scoped).await
    }

    async fn totals(
        &self,
        conn: &mut Conn,
        scoped: &ScopedFilter,
    ) -> Result<TransactionTotals, StorageError> {
        let (conditions, params) = scoped.conditions(scoped.first_param());
        // The currency is the frozen tariff's first field (see `tariff_json`): the same three letters at the same
        // place of the JSON text in both databases, so the sums group by it without a JSON function.
        let sql = format!(
            "{} SELECT SUBSTR(t.tariff, {CURRENCY_AT}, 3) AS currency, COUNT(*) AS sessions, \
                    CAST(COALESCE(SUM(t.energy_wh), 0) AS BIGINT) AS energy_wh, \
                    COUNT(t.price_gross) AS priced, CAST(COALESCE(SUM(t.price_gross), 0) AS BIGINT) AS gross \
             FROM transactions t WHERE t.station_id IN (SELECT id FROM scope){conditions} \
             GROUP BY SUBSTR(t.tariff, {CURRENCY_AT}, 3) ORDER BY currency",
            scope_cte(scoped.station.is_some())
        );
        let groups: Vec<(Option<String>, i64, i64, i64, i64)> =
            bind_scope!(sqlx::query_as(&sql), self.org, scoped, &params)
                .fetch_all(&mut *conn)
                .await?;
        let mut totals = TransactionTotals::default();
        for (currency, sessions, energy_wh, priced, gross) in groups {
            totals.sessions += sessions as u64;
            totals.energy_wh += energy_wh;
            if let (Some(currency), true) = (currency, priced > 0) {
                let currency = Currency::parse(&currency).map_err(|_| {
                    StorageError::internal("a transaction's tariff names no currency")
                })?;
                totals.amounts.push((currency, Money(gross)));
            }
        }
        Ok(totals)
    }

    /// The energy of the sessions `filter` selects per day they started (in this organization's zone), for the
    /// days of [`TransactionFilter::chart_days`] up to `today`'s (every day present, oldest first).
    ///
    /// Each day's bounds are computed here (SQL cannot read time zones the same way in both databases) and sent
    /// as a small table of literal numbers, joined with the sessions by start time: the database sums each
    /// day's range from the start-time index, and only one row per day comes back.
    pub async fn energy_per_day(
        &self,
        filter: &TransactionFilter,
    ) -> Result<EnergyPerDay, StorageError> {
        let zone = self.transactions_zone().await?;
        let mut conn = self.db.read().await?;
        let scoped = self.scoped_filter(&mut conn, filter, &zone).await?;
        self.per_day(&mut conn, filter, &scoped, &zone).await
    }

    async fn per_day(
        &self,
        conn: &mut Conn,
        filter: &TransactionFilter,
        scoped: &ScopedFilter,
        zone: &TimeZoneName,
    ) -> Result<EnergyPerDay, StorageError> {
        let (first, last) = filter.chart_days(now().local_day(zone));
        let days: Vec<Day> = first.through(last).collect();
        // Literal integers (computed here, never from the request): hundreds of `$n` would bind slowly on SQLite.
        let values = days
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let (start, end) = day.bounds(zone);
                format!("({i}, {}, {})", start.0, end.0)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let (conditions, params) = scoped.conditions(scoped.first_param());
        let sql = format!(
            "{}, days (n, lo, hi) AS (VALUES {values}) \
             SELECT CAST(days.n AS BIGINT), COUNT(*), CAST(COALESCE(SUM(t.energy_wh), 0) AS BIGINT) \
             FROM days JOIN transactions t ON t.started_at >= days.lo AND t.started_at < days.hi \
             WHERE t.station_id IN (SELECT id FROM scope){conditions} GROUP BY days.n",
            scope_cte(scoped.station.is_some())
        );
        let sums: Vec<(i64, i64, i64)> =
            bind_scope!(sqlx::query_as(&sql), self.org, scoped, &params)
                .fetch_all(&mut *conn)
                .await?;
        let mut per_day = EnergyPerDay {
            days: days
                .into_iter()
                .map(|day| DayEnergy {
                    day,
                    sessions: 0,
                    energy_wh: 0,
                })
                .collect(),
        };
        for (n, sessions, energy_wh) in sums {
            if let Some(day) = usize::try_from(n)
                .ok()
                .and_then(|n| per_day.days.get_mut(n))
            {
                day.sessions = sessions as u64;
                day.energy_wh = energy_wh;
            }
        }
        Ok(per_day)
    }

    /// What "Transactions" shows above the list for `filter`: its totals and the energy per day.
    pub async fn transactions_overview(
        &self,
        filter: &TransactionFilter,
    ) -> Result<TransactionsOverview, StorageError> {
        let zone = self.transactions_zone().await?;
        let mut conn = self.db.read().await?;
        let scoped = self.scoped_filter(&mut conn, filter, &zone).await?;
        Ok(TransactionsOverview {
            totals: self.totals(&mut conn, &scoped).await?,
            per_day: self.per_day(&mut conn, filter, &scoped, &zone).await?,
            time_zone: zone.to_string(),
        })
    }

    /// Every session `filter` selects, oldest start first (`started_at`, then id), read from the database as
    /// the receiver takes them: a task holds one read connection and streams the rows through a channel of
    /// [`EXPORT_AHEAD`] sessions, so a download of a million sessions never holds more than that in memory. The
    /// filter is checked before anything is sent (its `NotFound`s are returned here); an error later ends the
    /// stream with that error. Dropping the receiver stops the read.
    pub async fn export_transactions(
        &self,
        filter: &TransactionFilter,
    ) -> Result<
        (
            TimeZoneName,
            tokio::sync::mpsc::Receiver<Result<ExportedTransaction, StorageError>>,
        ),
        StorageError,
    > {
        let zone = self.transactions_zone().await?;
        let mut conn = self.db.read().await?;
        let scoped = self.scoped_filter(&mut conn, filter, &zone).await?;
        let (conditions, params) = scoped.conditions(scoped.first_param());
        let sql = format!(
            "{} {TRANSACTION_SELECT} WHERE t.station_id IN (SELECT id FROM scope){conditions} \
             ORDER BY t.started_at, t.id",
            scope_cte(scoped.station.is_some())
        );
        let (sender, receiver) = tokio::sync::mpsc::channel(EXPORT_AHEAD);
        let org = self.org;
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let query = bind_scope!(
                sqlx::query_as::<_, TransactionRow>(&sql),
                org,
                scoped,
                &params
            );
            let mut rows = query.fetch(&mut *conn);
            while let Some(row) = rows.next().await {
                let item = row
                    .map_err(StorageError::from)
                    .and_then(TransactionRow::into_exported);
                let failed = item.is_err();
                if sender.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok((zone, receiver))
    }

    /// Up to `fetch` transactions of this subtree (or of `station`, already checked to be in it) from where
    /// `request` starts, nearest to the start first.
    ///
    /// Each station's transactions are an index range (`transactions_station_started_id`), but "newest first
    /// over all of them" is not one: sorting every transaction of a million to show fifty would cost seconds.
    /// So a first query finds, per station, the start time of its `fetch`-th transaction from the cursor on
    /// (one index step each), and takes the latest of those as a bound: the page's rows all start at or after
    /// it (the station it came from alone has `fetch` rows there), and no station has more than about `fetch`
    /// rows there, so only those few are read and sorted. Without a bound (no station has `fetch` rows left),
    /// fewer than `fetch` rows per station remain anyway. The bound is a parameter of the second query, not a
    /// subquery of it, so that PostgreSQL plans with its value (an index range) rather than a guess (a scan of
    /// the table).
    async fn transaction_rows(
        &self,
        conn: &mut Conn,
        filter: &ScopedFilter,
        request: &PageRequest,
        fetch: i64,
    ) -> Result<Vec<TransactionSummary>, StorageError> {
        let (conditions, params) = filter.conditions(filter.first_param());
        let next = filter.first_param() + params.len();
        let (from, order, cursor) = page_order(request, "t.started_at", "t.id", next);
        let (nearest, reach) = match order {
            "DESC" => ("MAX", ">="),
            _ => ("MIN", "<="),
        };
        let scope = scope_cte(filter.station.is_some());
        let bound_sql = format!(
            "{scope} SELECT {nearest}((SELECT t.started_at FROM transactions t \
                                      WHERE t.station_id = scope.id{conditions}{from} \
                                      ORDER BY t.started_at {order}, t.id {order} LIMIT 1 OFFSET {})) \
             FROM scope",
            fetch - 1
        );
        let mut bound = bind_scope!(
            sqlx::query_scalar::<_, Option<i64>>(&bound_sql),
            self.org,
            filter,
            &params
        );
        if let Some(c) = cursor {
            bound = bound.bind(c.key).bind(c.id);
        }
        let bound = bound.fetch_one(&mut *conn).await?;
        let bound_param = if cursor.is_some() { next + 2 } else { next };
        let within = match bound {
            Some(_) => format!(" AND t.started_at {reach} ${bound_param}"),
            None => String::new(),
        };
        // The page's ids first, from the index alone; then their rows with the names (joined before the limit,
        // PostgreSQL would join every candidate row with every pass).
        let page = format!(
            "SELECT t.id FROM transactions t \
             WHERE t.station_id IN (SELECT id FROM scope){conditions}{from}{within} \
             ORDER BY t.started_at {order}, t.id {order} LIMIT {fetch}"
        );
        let sql = format!(
            "{scope} {} ORDER BY t.started_at {order}, t.id {order}",
            TRANSACTION_SELECT.replacen(
                "FROM transactions t",
                &format!("FROM ({page}) page JOIN transactions t ON t.id = page.id"),
                1
            )
        );
        let mut rows = bind_scope!(
            sqlx::query_as::<_, TransactionRow>(&sql),
            self.org,
            filter,
            &params
        );
        if let Some(c) = cursor {
            rows = rows.bind(c.key).bind(c.id);
        }
        if let Some(bound) = bound {
            rows = rows.bind(bound);
        }
        let rows = rows.fetch_all(&mut *conn).await?;
        rows.into_iter().map(TransactionRow::into_summary).collect()
    }
}

impl crate::auth::Caller {
    /// The sessions charged with the caller's own live passes (in any organization), newest start first, at most
    /// `per_pass` (clamped to 1..=1000) per pass: what a cardholder sees under "My passes". Nothing the browser
    /// sends chooses the passes: they are those whose holder is the caller, so another person's sessions (also
    /// in the same organization) are never among them.
    pub async fn own_transactions(
        &self,
        db: &crate::Db,
        per_pass: i64,
    ) -> Result<Vec<TransactionSummary>, StorageError> {
        let mut conn = db.read().await?;
        let passes: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM passes WHERE user_id = $1 AND deleted_at IS NULL \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(self.user_id().0)
        .fetch_all(&mut *conn)
        .await?;
        let sql = format!(
            "{} WHERE t.pass_id = $1 AND p.user_id = $2 AND p.deleted_at IS NULL \
             ORDER BY t.started_at DESC, t.id DESC LIMIT {}",
            TRANSACTION_SELECT.replacen(" JOIN subtree ON subtree.id = s.org_id", "", 1),
            per_pass.clamp(1, MAX_TRANSACTION_PAGE)
        );
        let mut out = Vec::new();
        for pass in passes {
            let rows = sqlx::query_as::<_, TransactionRow>(&sql)
                .bind(pass)
                .bind(self.user_id().0)
                .fetch_all(&mut *conn)
                .await?;
            for row in rows {
                out.push(row.into_summary()?);
            }
        }
        Ok(out)
    }
}

/// The subtree of `$1` (see [`subtree_cte`]) and `scope (id)`: its stations, or only the station `$2` when
/// `one_station`.
fn scope_cte(one_station: bool) -> String {
    let only = if one_station { " WHERE s.id = $2" } else { "" };
    format!(
        "{}, scope (id) AS (SELECT s.id FROM stations s JOIN subtree ON subtree.id = s.org_id{only})",
        subtree_cte("$1")
    )
}

impl crate::Db {
    /// Retention: deletes the raw meter values of transactions that stopped before `older_than` (by the
    /// transaction's stop time; a running transaction keeps all of its readings), and readings without a
    /// transaction taken before `older_than` (by their own time), a few thousand per write transaction. The
    /// transactions themselves, with their meter start, stop and last reading, are records and are kept.
    /// Returns how many readings were deleted.
    pub async fn prune_meter_values(&self, older_than: Timestamp) -> Result<u64, StorageError> {
        const OF_FINISHED_TRANSACTIONS: &str = "DELETE FROM meter_values WHERE id IN \
             (SELECT m.id FROM meter_values m JOIN transactions t ON t.id = m.transaction_id \
              WHERE t.stopped_at IS NOT NULL AND t.stopped_at < $1 ORDER BY m.id LIMIT $2)";
        const WITHOUT_TRANSACTION: &str = "DELETE FROM meter_values WHERE id IN \
             (SELECT id FROM meter_values WHERE transaction_id IS NULL AND at < $1 ORDER BY id LIMIT $2)";
        let mut total = 0;
        for sql in [OF_FINISHED_TRANSACTIONS, WITHOUT_TRANSACTION] {
            total += self.delete_in_chunks(sql, older_than).await?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_tariff_starts_with_its_currency_where_the_totals_read_it() {
        let tariff = Tariff {
            currency: Currency::parse("CHF").unwrap(),
            start_fee: Money(0),
            per_kwh: shared::tariff::Price(1),
            per_hour_charging: shared::tariff::Price(0),
            per_hour_idle: shared::tariff::Price(0),
            idle_free_minutes: 0,
            max_per_session: None,
            vat_basis_points: 0,
        };
        let json = tariff_json(&tariff).unwrap();
        assert_eq!(&json[CURRENCY_AT - 1..CURRENCY_AT + 2], "CHF", "{json}");
    }
}
