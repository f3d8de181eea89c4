//! A big organization for measuring "Passes" and "Transactions" (feature `test-support`: the list benchmark
//! `benches/lists.rs` and the storage tests): a partner with sub-organizations, stations in each, members, and
//! as many passes and transactions as asked for, with dates spread over the past two years.
//!
//! The organizations, members and stations are made through the public API (the same code paths as the UI);
//! the passes, their transactions and one StartTransaction decision per station are batched `INSERT … SELECT`s
//! over a counter (a recursive CTE), which write a million rows in seconds where a million API calls would take
//! hours. A seeded database is found again by its partner's name ([`seeded`]), so a benchmark seeds once.

use crate::auth::{Caller, LoginOutcome};
use crate::db::{now, Conn};
use crate::error::StorageError;
use crate::org::OrgAdmin;
use crate::Db;
use shared::ids::StationId;
use shared::names::{Email, OrgName, Password, PersonName};
use shared::station::{ChargePointId, StationName};
use shared::{OrgId, Role};

/// The seeded partner's name; [`seeded`] looks for it.
pub const PARTNER: &str = "List Benchmark Partners";
/// Its administrator's e-mail address.
pub const ADMIN_EMAIL: &str = "lists-admin@bench.example";
/// Its administrator's password.
pub const ADMIN_PASSWORD: &str = "list-benchmark-password-1";

/// How big the seeded organization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListScale {
    /// Live passes of the partner organization (one in eleven more are added deleted).
    pub passes: u64,
    /// Transactions over all stations of the partner and its sub-organizations.
    pub transactions: u64,
    /// Sub-organizations below the partner.
    pub sub_organizations: u64,
    /// Stations of the partner and of each sub-organization.
    pub stations_per_organization: u64,
    /// Cardholders of the partner, holding its passes in turn.
    pub members: u64,
}

impl ListScale {
    /// The organization: 100,000 passes, 1,000,000 transactions over 40 stations in 4 organizations.
    pub const BIG: ListScale = ListScale {
        passes: 100_000,
        transactions: 1_000_000,
        sub_organizations: 3,
        stations_per_organization: 10,
        members: 200,
    };
    /// Small enough for a test.
    pub const SMALL: ListScale = ListScale {
        passes: 300,
        transactions: 2_000,
        sub_organizations: 2,
        stations_per_organization: 2,
        members: 7,
    };
}

/// The seeded organization: its administrator's handles and what a list can be filtered by.
pub struct SeededLists {
    /// The partner administrator, administering the partner organization.
    pub admin: OrgAdmin,
    /// The sub-organizations, in the order they were added.
    pub sub_organizations: Vec<OrgId>,
    /// Every station, the partner's first.
    pub stations: Vec<StationId>,
}

/// The organization [`seed`] made in `db`, if it is there.
pub async fn seeded(db: &Db) -> Result<Option<SeededLists>, StorageError> {
    let mut conn = db.read().await?;
    let partner: Option<i64> =
        sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id IS NULL AND name = $1")
            .bind(PARTNER)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(partner) = partner else {
        return Ok(None);
    };
    let subs: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id = $1 ORDER BY id")
            .bind(partner)
            .fetch_all(&mut *conn)
            .await?;
    let stations: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM stations s JOIN organizations o ON o.id = s.org_id \
         WHERE o.id = $1 OR o.parent_id = $1 ORDER BY s.org_id, s.id",
    )
    .bind(partner)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    Ok(Some(SeededLists {
        admin: administrator(db)
            .await?
            .admin_of(db, OrgId(partner))
            .await?,
        sub_organizations: subs.into_iter().map(OrgId).collect(),
        stations: stations.into_iter().map(StationId).collect(),
    }))
}

/// Logs in as the seeded administrator.
async fn administrator(db: &Db) -> Result<Caller, StorageError> {
    let LoginOutcome::LoggedIn { session_token, .. } =
        db.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?
    else {
        return Err(StorageError::internal(
            "the list benchmark's administrator cannot log in",
        ));
    };
    db.caller(&session_token)
        .await?
        .ok_or_else(|| StorageError::internal("the benchmark session expired at once"))
}

fn valid<T, E: std::fmt::Display>(parsed: Result<T, E>) -> Result<T, StorageError> {
    parsed.map_err(|e| StorageError::internal(format!("list seed: {e}")))
}

/// Seeds an empty database with the organization of `scale` (see the module documentation).
pub async fn seed(db: &Db, scale: &ListScale) -> Result<SeededLists, StorageError> {
    let (partner, _) = db
        .create_partner(
            &valid(OrgName::parse(PARTNER))?,
            &valid(PersonName::parse("Lena"))?,
            &valid(PersonName::parse("Lister"))?,
            &valid(Email::parse(ADMIN_EMAIL))?,
            &valid(Password::parse(ADMIN_PASSWORD))?,
        )
        .await?;
    let caller = administrator(db).await?;
    let admin = caller.admin_of(db, partner).await?;
    let mut orgs = vec![partner];
    for i in 1..=scale.sub_organizations {
        orgs.push(
            admin
                .add_sub_organization(&valid(OrgName::parse(&format!("Depot {i}")))?)
                .await?,
        );
    }
    let mut stations = Vec::new();
    for (o, org) in orgs.iter().enumerate() {
        let scope = caller.admin_of(db, *org).await?;
        for s in 1..=scale.stations_per_organization {
            let cp = valid(ChargePointId::parse(&format!("LIST-{o}-{s}")))?;
            let name = valid(StationName::parse(&format!("Depot {o} bay {s}")))?;
            stations.push(scope.add_station(&cp, &name, None).await?);
        }
    }
    for m in 1..=scale.members {
        admin
            .add_user(
                &valid(PersonName::parse("Member"))?,
                &valid(PersonName::parse(&format!("No{m}")))?,
                &valid(Email::parse(&format!("member{m}@bench.example")))?,
                Role::Cardholder,
            )
            .await?;
    }
    admin.seed_list_rows(scale, &stations).await?;
    Ok(SeededLists {
        admin,
        sub_organizations: orgs[1..].to_vec(),
        stations,
    })
}

/// Two years, in milliseconds: the passes and transactions are spread over the two years before the seed.
const SPAN_MS: i64 = 2 * 365 * 24 * 3_600_000;

impl OrgAdmin {
    /// The batched part of [`seed`]: this organization's passes (held by its members in turn, one in eleven
    /// deleted) and the transactions at `stations`, each with the card of one of those passes.
    async fn seed_list_rows(
        &self,
        scale: &ListScale,
        stations: &[StationId],
    ) -> Result<(), StorageError> {
        let since = now().0 - SPAN_MS;
        let admin = self
            .actor
            .user_id
            .ok_or_else(|| StorageError::internal("the list seed needs a user"))?;
        let all_passes = scale.passes + scale.passes / 10;
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "WITH RECURSIVE n (i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1), \
             holders (user_id, rn) AS ( \
                 SELECT user_id, ROW_NUMBER() OVER (ORDER BY user_id) - 1 FROM memberships \
                 WHERE org_id = $1 AND role = 'cardholder' AND removed_at IS NULL) \
             INSERT INTO passes (org_id, user_id, id_kind, id_value, match_key, contract_kind, nickname, mode, \
                                 created_at, created_by, deleted_at, deleted_by) \
             SELECT $1, h.user_id, 'hidden', 'BE' || n.i, 'BE' || n.i, NULL, 'Card ' || n.i, \
                    CASE WHEN n.i % 3 = 0 THEN 'roaming' ELSE 'whitelist' END, \
                    $3 + n.i * $4, $5, \
                    CASE WHEN n.i % 11 = 10 THEN $3 + n.i * $4 + 86400000 END, \
                    CASE WHEN n.i % 11 = 10 THEN $5 END \
             FROM n JOIN holders h ON h.rn = n.i % $6",
        )
        .bind(self.org.0)
        .bind(all_passes as i64)
        .bind(since)
        .bind(SPAN_MS / all_passes.max(1) as i64)
        .bind(admin.0)
        .bind(scale.members.max(1) as i64)
        .execute(&mut *tx)
        .await?;
        let (first, last, count): (i64, i64, i64) =
            sqlx::query_as("SELECT MIN(id), MAX(id), COUNT(*) FROM passes WHERE org_id = $1")
                .bind(self.org.0)
                .fetch_one(&mut *tx)
                .await?;
        if last - first + 1 != count {
            return Err(StorageError::internal(
                "the list seed needs an organization without earlier passes",
            ));
        }
        tx.commit().await?;
        let per_station = scale.transactions / stations.len().max(1) as u64;
        for (k, station) in stations.iter().enumerate() {
            let mut tx = self.db.begin_write().await?;
            seed_station_transactions(
                &mut tx,
                *station,
                k as i64,
                per_station,
                since,
                (first, count),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// `count` finished transactions at `station` (the `k`-th), one every `SPAN_MS / count` milliseconds give or
/// take, each with the card of a pass in `passes` (first id, how many, contiguous), behind one stored decision.
async fn seed_station_transactions(
    conn: &mut Conn,
    station: StationId,
    k: i64,
    count: u64,
    since: i64,
    passes: (i64, i64),
) -> Result<(), StorageError> {
    if count == 0 {
        return Ok(());
    }
    let decision: i64 = sqlx::query_scalar(
        "INSERT INTO authorization_decisions (station_id, at, action, id_tag, access_mode, status, billing, reason) \
         VALUES ($1, $2, 'StartTransaction', 'BE0', 'whitelisting', 'Accepted', 'free', \
                 'Seeded for the list benchmark') RETURNING id",
    )
    .bind(station.0)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let step = SPAN_MS / count as i64;
    sqlx::query(
        "WITH RECURSIVE n (i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1) \
         INSERT INTO transactions (station_id, connector_id, id_tag, decision_id, pass_id, user_id, status, \
                                   billing, started_at, meter_start_wh, stopped_at, meter_stop_wh, energy_wh, \
                                   stop_reason, created_at) \
         SELECT $1, 1 + n.i % 2, p.id_value, $3, p.id, p.user_id, 'Accepted', \
                CASE p.mode WHEN 'whitelist' THEN 'free' ELSE 'settled' END, \
                $4 + n.i * $5 + (n.i * 7919) % ($5 - 1), n.i * 20000, \
                $4 + n.i * $5 + (n.i * 7919) % ($5 - 1) + 1800000 + (n.i * 104729) % 7200000, \
                n.i * 20000 + 2000 + (n.i * 31) % 40000, 2000 + (n.i * 31) % 40000, 'Local', \
                $4 + n.i * $5 + (n.i * 7919) % ($5 - 1) \
         FROM n JOIN passes p ON p.id = $6 + (n.i * 37 + $7) % $8",
    )
    .bind(station.0)
    .bind(count as i64)
    .bind(decision)
    .bind(since)
    .bind(step.max(2))
    .bind(passes.0)
    .bind(k * 1_009)
    .bind(passes.1)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The schema version a seeded database file was made with: the newest migration's number (a benchmark keeps
/// one file per version, so that a new migration never meets a file seeded before it).
pub fn schema_version() -> i64 {
    crate::db::SQLITE_MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Opens (creating it if needed) the PostgreSQL database `name` on the server of `admin_url` (a URL like
/// `CHARGEDESK_TEST_PG_URL`'s), migrated.
pub async fn open_postgres(admin_url: &str, name: &str) -> Result<Db, StorageError> {
    use sqlx::{Connection, Executor};
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StorageError::internal(format!(
            "not a plain database name: {name:?}"
        )));
    }
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(admin_url).await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1::BIGINT FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await?;
    if exists.is_none() {
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
    }
    admin.close().await?;
    Db::connect(&crate::test_support::database_url(admin_url, name)).await
}

/// Refreshes the planner's statistics after the seed (PostgreSQL's autovacuum would do it, later).
pub async fn analyze(db: &Db) -> Result<(), StorageError> {
    let mut conn = db.read().await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    Ok(())
}
