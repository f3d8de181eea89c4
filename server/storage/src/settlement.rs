//! Settlement (issue #11, part 3): what the monthly credit statements are made of — an organization's time zone,
//! its reimbursement rates and billing details — and the month-end run that issues them.
//!
//! - **Time zone**: set per organization or inherited, Europe/Amsterdam at the root. A month is a calendar month
//!   in the zone of the organization that owns the stations, and a session belongs to the month in which it
//!   ended there.
//! - **Reimbursement rates**: what a settled kWh is credited, AC and DC apart, set for an organization by an
//!   administrator of an organization above it (never by its own administrators), inherited otherwise.
//! - **The month-end** ([`Db::run_month_end`]): every organization whose stations had settled sessions that
//!   are on no statement yet and ended before the month's end in its zone gets one statement from its partner
//!   (the root of its tree), listing every such session — so a session whose stop arrived after its month was
//!   issued is on the next statement, as a line of that one (statements are never edited). Each statement is
//!   issued in one transaction with the issuer's next number (incremented in that transaction: a statement
//!   rolled back leaves no gap) and the sessions marked as credited; the unique (recipient, month) index makes
//!   a second run — or a second instance running at the same moment — issue nothing again.
//! - A partner's own stations get no statement: the partner would credit itself.

use crate::audit;
use crate::auth::Actor;
use crate::db::{now, Conn, Db};
use crate::error::StorageError;
use crate::org::{ancestry, OrgAdmin, MAX_DEPTH};
use shared::billing::{BillingDetails, BillingForm, CustomerKind};
use shared::model::AuditAction;
use shared::period::Month;
use shared::statement::{
    format_number, number_prefix, MonthStatus, SettlementSettings, Statement, StatementLine,
    StatementParty, StatementSummary,
};
use shared::tariff::{Currency, CurrentKind, Money, Price};
use shared::time::{TimeZoneName, Timestamp};
use shared::OrgId;

/// The VAT rate of companies' credit statements unless set otherwise: 21% (the Netherlands).
pub const DEFAULT_STATEMENT_VAT: u32 = 2_100;

/// Who the month-end run is in the audit log.
const MONTH_END: &str = "ChargeDesk (month-end)";

/// What one month-end run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthEndReport {
    /// The statements issued: (recipient, number).
    pub issued: Vec<(OrgId, String)>,
    /// Organizations with settled sessions left for a later run, and why.
    pub skipped: Vec<(OrgId, String)>,
}

/// An organization's settlement columns with its depth above the one asked about.
#[derive(sqlx::FromRow)]
struct ChainRow {
    id: i64,
    name: String,
    time_zone: Option<String>,
    reimburse_ac: Option<i64>,
    reimburse_dc: Option<i64>,
}

/// `org` and its ancestors (nearest first) with their settlement columns.
async fn chain(conn: &mut Conn, org: OrgId) -> Result<Vec<ChainRow>, StorageError> {
    Ok(sqlx::query_as::<_, ChainRow>(
        "WITH RECURSIVE chain (id, parent_id, name, time_zone, reimburse_ac, reimburse_dc, depth) AS ( \
             SELECT id, parent_id, name, time_zone, reimburse_ac, reimburse_dc, 0 FROM organizations WHERE id = $1 \
             UNION ALL \
             SELECT o.id, o.parent_id, o.name, o.time_zone, o.reimburse_ac, o.reimburse_dc, chain.depth + 1 \
             FROM organizations o JOIN chain ON o.id = chain.parent_id \
             WHERE chain.depth < $2 \
         ) \
         SELECT id, name, time_zone, reimburse_ac, reimburse_dc FROM chain ORDER BY depth",
    )
    .bind(org.0)
    .bind(MAX_DEPTH)
    .fetch_all(&mut *conn)
    .await?)
}

/// The time zone in force at `org` (its own, else the nearest set above it, else Europe/Amsterdam).
pub(crate) async fn time_zone_of(
    conn: &mut Conn,
    org: OrgId,
) -> Result<TimeZoneName, StorageError> {
    Ok(zone_of(&chain(conn, org).await?))
}

/// The time zone in force along `chain` (nearest set, else Europe/Amsterdam).
fn zone_of(chain: &[ChainRow]) -> TimeZoneName {
    chain
        .iter()
        .find_map(|row| row.time_zone.as_deref())
        .and_then(|name| TimeZoneName::parse(name).ok())
        .unwrap_or_default()
}

/// The reimbursement rates in force along `chain`, each the nearest set.
fn rates_of(chain: &[ChainRow]) -> (Option<Price>, Option<Price>) {
    (
        chain.iter().find_map(|r| r.reimburse_ac).map(Price),
        chain.iter().find_map(|r| r.reimburse_dc).map(Price),
    )
}

#[derive(sqlx::FromRow)]
struct BillingRow {
    kind: String,
    legal_name: String,
    address_line: String,
    postcode: String,
    city: String,
    country: String,
    vat_number: Option<String>,
    iban: Option<String>,
}

async fn billing_details(
    conn: &mut Conn,
    org: OrgId,
) -> Result<Option<BillingDetails>, StorageError> {
    let row: Option<BillingRow> = sqlx::query_as(
        "SELECT kind, legal_name, address_line, postcode, city, country, vat_number, iban \
         FROM billing_details WHERE org_id = $1",
    )
    .bind(org.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    // Stored only after BillingForm::parse; read back through the same rules.
    let form = BillingForm {
        kind: row.kind,
        legal_name: row.legal_name,
        address_line: row.address_line,
        postcode: row.postcode,
        city: row.city,
        country: row.country,
        vat_number: row.vat_number.unwrap_or_default(),
        iban: row.iban.unwrap_or_default(),
    };
    form.parse()
        .map(Some)
        .map_err(|_| StorageError::internal("stored billing details no longer pass their rules"))
}

/// A statement party from billing details (or, without them, the organization's name only).
fn party(name: &str, details: Option<&BillingDetails>) -> StatementParty {
    match details {
        Some(d) => StatementParty {
            legal_name: d.legal_name.clone(),
            address_line: d.address_line.clone(),
            postcode: d.postcode.clone(),
            city: d.city.clone(),
            country: d.country.as_str().to_owned(),
            vat_number: d.vat_number.as_ref().map(|v| v.as_str().to_owned()),
            iban: d.iban.as_ref().map(|i| i.to_string()),
        },
        None => StatementParty {
            legal_name: name.to_owned(),
            address_line: String::new(),
            postcode: String::new(),
            city: String::new(),
            country: String::new(),
            vat_number: None,
            iban: None,
        },
    }
}

#[derive(sqlx::FromRow)]
struct StatementRow {
    id: i64,
    number: String,
    recipient: String,
    year: i64,
    month: i64,
    issued_at: i64,
    currency: String,
    sessions: i64,
    energy_wh: i64,
    net: i64,
    vat: i64,
    gross: i64,
}

impl StatementRow {
    fn summary(self) -> Result<StatementSummary, StorageError> {
        let month = Month::new(self.year as i32, self.month as u8)
            .ok_or_else(|| StorageError::internal("a statement's month is out of range"))?;
        Ok(StatementSummary {
            id: self.id,
            number: self.number,
            recipient: self.recipient,
            month: month.to_string(),
            period_label: month.label(),
            issued_at: Timestamp(self.issued_at),
            sessions: self.sessions,
            energy_wh: self.energy_wh,
            currency: Currency::parse(&self.currency)
                .map_err(|_| StorageError::internal("a statement's currency is unreadable"))?,
            net: Money(self.net),
            vat: Money(self.vat),
            gross: Money(self.gross),
        })
    }
}

const STATEMENT_COLUMNS: &str =
    "st.id, st.number, o.name AS recipient, st.year, st.month, st.issued_at, \
     st.currency, st.sessions, st.energy_wh, st.net, st.vat, st.gross";

impl OrgAdmin {
    /// This organization's time zone, reimbursement rates and billing details.
    pub async fn settlement_settings(&self) -> Result<SettlementSettings, StorageError> {
        let mut conn = self.db.read().await?;
        let chain = chain(&mut conn, self.org).await?;
        let own = chain.first().ok_or(StorageError::NotFound {
            what: "organization",
        })?;
        Ok(SettlementSettings {
            own_time_zone: own.time_zone.clone(),
            time_zone: zone_of(&chain).as_str().to_owned(),
            own_rates: (own.reimburse_ac.map(Price), own.reimburse_dc.map(Price)),
            rates: rates_of(&chain),
            may_set_rates: self.administers_above(&mut conn).await?,
            billing: billing_details(&mut conn, self.org).await?,
            time_zone_choices: TimeZoneName::choices().to_vec(),
        })
    }

    /// Whether the caller administers an organization above this one.
    async fn administers_above(&self, conn: &mut Conn) -> Result<bool, StorageError> {
        let above: Vec<OrgId> = ancestry(conn, self.org)
            .await?
            .into_iter()
            .skip(1)
            .map(|o| o.id)
            .collect();
        Ok(shared::access::may_administer(&self.memberships, &above))
    }

    /// Sets this organization's time zone (`None`: inherit). Audited.
    pub async fn set_time_zone(&self, zone: Option<&TimeZoneName>) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE organizations SET time_zone = $1 WHERE id = $2")
            .bind(zone.map(TimeZoneName::as_str))
            .bind(self.org.0)
            .execute(&mut *tx)
            .await?;
        let summary = match zone {
            Some(zone) => format!(
                "Set the time zone of this organization to {}",
                zone.as_str()
            ),
            None => "Set the time zone of this organization to inherit".to_owned(),
        };
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::BillingChanged,
            &summary,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the reimbursement per kWh at this organization's stations (`None`: inherit), AC and DC. Only for
    /// administrators of an organization above it: `NoAccess` for its own administrators. Audited.
    pub async fn set_reimbursement_rates(
        &self,
        ac: Option<Price>,
        dc: Option<Price>,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        if !self.administers_above(&mut tx).await? {
            return Err(StorageError::NoAccess);
        }
        sqlx::query("UPDATE organizations SET reimburse_ac = $1, reimburse_dc = $2 WHERE id = $3")
            .bind(ac.map(|p| p.0))
            .bind(dc.map(|p| p.0))
            .bind(self.org.0)
            .execute(&mut *tx)
            .await?;
        let eur = Currency::default();
        let show = |p: Option<Price>| p.map_or("inherited".to_owned(), |p| eur.format_price(p));
        let summary = format!(
            "Set the reimbursement of this organization's settled sessions to {} per kWh AC and {} per kWh DC",
            show(ac),
            show(dc)
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::BillingChanged,
            &summary,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores this organization's billing details (checked by `BillingForm::parse`). Audited. Statements
    /// already issued keep the details they were issued with.
    pub async fn set_billing_details(&self, details: &BillingDetails) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM billing_details WHERE org_id = $1")
            .bind(self.org.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO billing_details (org_id, kind, legal_name, address_line, postcode, city, country, \
                                          vat_number, iban, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.org.0)
        .bind(details.kind.as_str())
        .bind(&details.legal_name)
        .bind(&details.address_line)
        .bind(&details.postcode)
        .bind(&details.city)
        .bind(details.country.as_str())
        .bind(details.vat_number.as_ref().map(|v| v.as_str()))
        .bind(details.iban.as_ref().map(|i| i.as_str()))
        .bind(now().0)
        .execute(&mut *tx)
        .await?;
        let summary = format!(
            "Changed the billing details of this organization ({}, {})",
            details.legal_name,
            details.kind.label()
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::BillingChanged,
            &summary,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The statements issued to this organization and the organizations below it, newest first.
    pub async fn statements(&self) -> Result<Vec<StatementSummary>, StorageError> {
        let mut conn = self.db.read().await?;
        let sql = format!(
            "{}SELECT {STATEMENT_COLUMNS} FROM statements st JOIN subtree o ON o.id = st.recipient_org_id \
             ORDER BY st.year DESC, st.month DESC, st.id DESC LIMIT 1000",
            crate::stations::subtree_cte("$1")
        );
        let rows: Vec<StatementRow> = sqlx::query_as(&sql)
            .bind(self.org.0)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(StatementRow::summary).collect()
    }

    /// One statement of this organization or one below it, whole. `NotFound { what: "statement" }` for any
    /// other id.
    pub async fn statement(&self, id: i64) -> Result<Statement, StorageError> {
        let mut conn = self.db.read().await?;
        let sql = format!(
            "{}SELECT st.document FROM statements st JOIN subtree o ON o.id = st.recipient_org_id \
             WHERE st.id = $2",
            crate::stations::subtree_cte("$1")
        );
        let document: Option<String> = sqlx::query_scalar(&sql)
            .bind(self.org.0)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let document = document.ok_or(StorageError::NotFound { what: "statement" })?;
        serde_json::from_str(&document)
            .map_err(|e| StorageError::internal(format!("a statement is unreadable: {e}")))
    }

    /// The last `months` months of this organization (its own stations), newest first: the statement issued
    /// for each, or why there is none.
    pub async fn settlement_months(&self, months: u32) -> Result<Vec<MonthStatus>, StorageError> {
        let mut conn = self.db.read().await?;
        let chain = chain(&mut conn, self.org).await?;
        let zone = zone_of(&chain);
        let (ac, dc) = rates_of(&chain);
        let has_billing = billing_details(&mut conn, self.org).await?.is_some();
        let is_root = chain.len() == 1;
        let at = now();
        let mut month = Month::containing(at, &zone);
        let mut out = Vec::new();
        for _ in 0..months {
            let (start, end) = month.bounds(&zone);
            let sql = format!(
                "SELECT {STATEMENT_COLUMNS} FROM statements st JOIN organizations o ON o.id = st.recipient_org_id \
                 WHERE st.recipient_org_id = $1 AND st.year = $2 AND st.month = $3"
            );
            let issued: Option<StatementRow> = sqlx::query_as(&sql)
                .bind(self.org.0)
                .bind(i64::from(month.year()))
                .bind(i64::from(month.month()))
                .fetch_optional(&mut *conn)
                .await?;
            let (statement, reason) = match issued {
                Some(row) => (Some(row.summary()?), None),
                None => {
                    let (settled, free): (i64, i64) = sqlx::query_as(
                        "SELECT COALESCE(SUM(CASE WHEN t.billing = 'settled' THEN 1 ELSE 0 END), 0), \
                                COALESCE(SUM(CASE WHEN t.billing = 'free' THEN 1 ELSE 0 END), 0) \
                         FROM transactions t JOIN stations s ON s.id = t.station_id \
                         WHERE s.org_id = $1 AND t.stopped_at >= $2 AND t.stopped_at < $3",
                    )
                    .bind(self.org.0)
                    .bind(start.0)
                    .bind(end.0)
                    .fetch_one(&mut *conn)
                    .await?;
                    let reason = if end.0 > at.0 {
                        "This month is not over yet: its statement is issued after it ends."
                    } else if settled > 0 && is_root {
                        "A partner's own stations get no credit statement."
                    } else if settled > 0 && ac.is_none() && dc.is_none() {
                        "Settled sessions wait for a reimbursement rate, which your partner sets."
                    } else if settled > 0 && !has_billing {
                        "Settled sessions wait for this organization's billing details (Organization settings → Billing)."
                    } else if settled > 0 {
                        "Settled sessions are on the next statement."
                    } else if free > 0 {
                        "Only whitelisted sessions: no credit invoice."
                    } else {
                        "No sessions at this organization's stations."
                    };
                    (None, Some(reason.to_owned()))
                }
            };
            out.push(MonthStatus {
                month: month.to_string(),
                label: month.label(),
                statement,
                reason,
            });
            month = month.previous();
        }
        Ok(out)
    }
}

/// A settled session to be credited.
#[derive(sqlx::FromRow)]
struct Unsettled {
    id: i64,
    stopped_at: i64,
    energy_wh: i64,
    station_name: String,
    charge_point_id: String,
    current_kind: String,
    pass_nickname: Option<String>,
    id_tag: String,
}

impl Db {
    /// Sets the VAT rate (basis points) of the statements of companies (`CHARGEDESK_STATEMENT_VAT_PERCENT`,
    /// default 21%).
    pub fn with_statement_vat(mut self, basis_points: u32) -> Self {
        self.statement_vat_basis_points = basis_points;
        self
    }

    /// Issues the statements of `month` ([`crate::settlement`]) for every organization whose month is over at
    /// `at` in its time zone. Safe to run again and on several instances at once: nothing is issued twice.
    pub async fn run_month_end(
        &self,
        month: Month,
        at: Timestamp,
    ) -> Result<MonthEndReport, StorageError> {
        // Every zone's month ends within a day of its end in UTC.
        let latest_end = month.bounds(&TimeZoneName::utc()).1 .0 + 86_400_000;
        let orgs: Vec<i64> = {
            let mut conn = self.read().await?;
            sqlx::query_scalar(
                "SELECT DISTINCT s.org_id FROM transactions t JOIN stations s ON s.id = t.station_id \
                 WHERE t.billing = 'settled' AND t.statement_id IS NULL AND t.stopped_at IS NOT NULL \
                   AND t.stopped_at < $1 ORDER BY s.org_id",
            )
            .bind(latest_end)
            .fetch_all(&mut *conn)
            .await?
        };
        let mut report = MonthEndReport::default();
        for org in orgs.into_iter().map(OrgId) {
            match self.issue_statement(org, month, at).await {
                Ok(Issued::Statement(number)) => report.issued.push((org, number)),
                Ok(Issued::Nothing) => {}
                Ok(Issued::Skipped(reason)) => report.skipped.push((org, reason)),
                Err(e) => {
                    tracing::error!(org = org.0, error = %e, "issuing a credit statement failed");
                    report.skipped.push((
                        org,
                        "issuing failed; it is tried again at the next run".into(),
                    ));
                }
            }
        }
        Ok(report)
    }

    /// The statement of `org` for `month`, in one transaction.
    async fn issue_statement(
        &self,
        org: OrgId,
        month: Month,
        at: Timestamp,
    ) -> Result<Issued, StorageError> {
        let mut tx = self.begin_write().await?;
        let chain = chain(&mut tx, org).await?;
        let Some(issuer) = chain.last() else {
            return Ok(Issued::Nothing);
        };
        if chain.len() == 1 {
            return Ok(Issued::Skipped(
                "a partner's own stations get no credit statement".into(),
            ));
        }
        let zone = zone_of(&chain);
        let (_, end) = month.bounds(&zone);
        if end.0 > at.0 {
            return Ok(Issued::Nothing);
        }
        let (ac, dc) = rates_of(&chain);
        if ac.is_none() && dc.is_none() {
            return Ok(Issued::Skipped("no reimbursement rate is set".into()));
        }
        let Some(details) = billing_details(&mut tx, org).await? else {
            return Ok(Issued::Skipped("the billing details are missing".into()));
        };
        let issuer_org = OrgId(issuer.id);
        let issuer_details = billing_details(&mut tx, issuer_org).await?;
        let sessions: Vec<Unsettled> = sqlx::query_as(
            "SELECT t.id, t.stopped_at, t.energy_wh, s.name AS station_name, s.charge_point_id, \
                    s.current_kind, p.nickname AS pass_nickname, t.id_tag \
             FROM transactions t JOIN stations s ON s.id = t.station_id \
             LEFT JOIN passes p ON p.id = t.pass_id \
             WHERE s.org_id = $1 AND t.billing = 'settled' AND t.statement_id IS NULL \
               AND t.stopped_at IS NOT NULL AND t.stopped_at < $2 \
             ORDER BY t.stopped_at, t.id",
        )
        .bind(org.0)
        .bind(end.0)
        .fetch_all(&mut *tx)
        .await?;
        if sessions.is_empty() {
            return Ok(Issued::Nothing);
        }
        let lines: Vec<StatementLine> = sessions
            .iter()
            .map(|s| {
                let kind = CurrentKind::parse(&s.current_kind).unwrap_or(CurrentKind::Ac);
                let rate = match kind {
                    CurrentKind::Ac => ac.or(dc),
                    CurrentKind::Dc => dc.or(ac),
                }
                .unwrap_or_default();
                let card = match &s.pass_nickname {
                    Some(nickname) => format!("{nickname} ({})", s.id_tag),
                    None => s.id_tag.clone(),
                };
                StatementLine::new(
                    s.id,
                    format!("{} ({})", s.station_name, s.charge_point_id),
                    Timestamp(s.stopped_at).local_date(&zone),
                    card,
                    s.energy_wh.max(0),
                    kind,
                    rate,
                )
            })
            .collect();
        let is_company = details.kind == CustomerKind::Company;
        let vat_basis_points = if is_company {
            self.statement_vat_basis_points
        } else {
            0
        };
        let totals = Statement::totals(&lines, &[], vat_basis_points, is_company);
        let sequence: i64 = sqlx::query_scalar(
            "INSERT INTO statement_numbers (issuer_org_id, last_sequence) VALUES ($1, 1) \
             ON CONFLICT (issuer_org_id) DO UPDATE SET last_sequence = statement_numbers.last_sequence + 1 \
             RETURNING last_sequence",
        )
        .bind(issuer_org.0)
        .fetch_one(&mut *tx)
        .await?;
        let number = format_number(&number_prefix(&issuer.name), month.year(), sequence);
        let statement = Statement {
            number: number.clone(),
            issuer: party(&issuer.name, issuer_details.as_ref()),
            recipient: party(&chain[0].name, Some(&details)),
            recipient_is_company: is_company,
            year: month.year(),
            month: month.month(),
            period_label: month.label(),
            time_zone: zone.as_str().to_owned(),
            issued_at: at,
            issued_on: at.local_date(&zone),
            currency: Currency::default(),
            lines,
            corrections: Vec::new(),
            vat_basis_points,
            net: totals.net,
            vat: totals.vat,
            gross: totals.gross,
            energy_wh: totals.energy_wh,
        };
        let document =
            serde_json::to_string(&statement).map_err(|e| StorageError::internal(e.to_string()))?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO statements (issuer_org_id, recipient_org_id, year, month, sequence, number, issued_at, \
                                     currency, sessions, energy_wh, net, vat, gross, document) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (recipient_org_id, year, month) DO NOTHING RETURNING id",
        )
        .bind(issuer_org.0)
        .bind(org.0)
        .bind(i64::from(month.year()))
        .bind(i64::from(month.month()))
        .bind(sequence)
        .bind(&number)
        .bind(at.0)
        .bind(statement.currency.as_str())
        .bind(sessions.len() as i64)
        .bind(totals.energy_wh)
        .bind(totals.net.0)
        .bind(totals.vat.0)
        .bind(totals.gross.0)
        .bind(&document)
        .fetch_optional(&mut *tx)
        .await?;
        // Issued already (by an earlier run or another instance): rolling back also takes back the number.
        let Some(id) = id else {
            return Ok(Issued::Nothing);
        };
        let mut marked = 0;
        for chunk in sessions.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "UPDATE transactions SET statement_id = $1 WHERE statement_id IS NULL AND id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(id);
            for s in chunk {
                query = query.bind(s.id);
            }
            marked += query.execute(&mut *tx).await?.rows_affected();
        }
        if marked != sessions.len() as u64 {
            // Another run credited some of these sessions meanwhile: issue nothing now, the next run sees it.
            return Ok(Issued::Nothing);
        }
        let actor = Actor {
            user_id: None,
            name: MONTH_END.to_owned(),
        };
        let summary = format!(
            "Issued credit statement {number} for {} ({} sessions, {})",
            month.label(),
            sessions.len(),
            statement.currency.format(totals.gross)
        );
        audit::record(
            &mut tx,
            org,
            &actor,
            AuditAction::StatementIssued,
            &summary,
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(Issued::Statement(number))
    }
}

/// What [`Db::issue_statement`] did for one organization.
enum Issued {
    Statement(String),
    Nothing,
    Skipped(String),
}
