//! Tariffs (issue #11, part 1): what a settled session costs.
//!
//! An organization's tariff is in force at its stations and at those of its sub-organizations that set none
//! (inherited down the tree like the access mode); a station's own tariff overrides it. A tariff has a price
//! per kWh for AC and for DC stations (`stations.current_kind` says which a station is). Every tariff stored is
//! within the platform's caps ([`Db::with_platform_caps`]).
//!
//! At StartTransaction the tariff in force is frozen onto a settled session ([`frozen_tariff`]); the session's
//! price is computed from that copy when it stops, so a later edit never reprices a running or past session.

use crate::audit;
use crate::db::{now, Conn, Db};
use crate::error::StorageError;
use crate::org::{OrgAdmin, MAX_DEPTH};
use shared::ids::StationId;
use shared::model::AuditAction;
use shared::tariff::{
    Currency, CurrentKind, Money, PlatformCaps, Price, Tariff, TariffSettings, TariffSource,
    TariffView,
};
use shared::OrgId;

/// A row of `tariffs` with where it sits: `depth` −1 for the station's own, 0 for its organization's, 1 for
/// the parent's, …
#[derive(sqlx::FromRow)]
struct TariffRow {
    depth: i64,
    org_name: Option<String>,
    currency: String,
    start_fee: i64,
    per_kwh_ac: i64,
    per_kwh_dc: i64,
    per_hour_charging: i64,
    per_hour_idle: i64,
    idle_free_minutes: i64,
    max_per_session: Option<i64>,
    vat_basis_points: i64,
}

impl TariffRow {
    fn settings(&self) -> Result<TariffSettings, StorageError> {
        let corrupt = || StorageError::internal("a stored tariff is out of range");
        Ok(TariffSettings {
            currency: Currency::parse(&self.currency).map_err(|_| corrupt())?,
            start_fee: Money(self.start_fee),
            per_kwh_ac: Price(self.per_kwh_ac),
            per_kwh_dc: Price(self.per_kwh_dc),
            per_hour_charging: Price(self.per_hour_charging),
            per_hour_idle: Price(self.per_hour_idle),
            idle_free_minutes: u32::try_from(self.idle_free_minutes).map_err(|_| corrupt())?,
            max_per_session: self.max_per_session.map(Money),
            vat_basis_points: u32::try_from(self.vat_basis_points).map_err(|_| corrupt())?,
        })
    }

    fn source(&self) -> TariffSource {
        match &self.org_name {
            Some(name) if self.depth >= 0 => TariffSource::Organization { name: name.clone() },
            _ => TariffSource::Station,
        }
    }
}

/// The tariffs set for `station` (when given) and for `org` and its ancestors, nearest first, with their depth
/// (see [`TariffRow`]).
async fn tariff_chain(
    conn: &mut Conn,
    org: OrgId,
    station: Option<StationId>,
) -> Result<Vec<TariffRow>, StorageError> {
    const COLUMNS: &str = "t.currency, t.start_fee, t.per_kwh_ac, t.per_kwh_dc, t.per_hour_charging, \
                           t.per_hour_idle, t.idle_free_minutes, t.max_per_session, t.vat_basis_points";
    let sql = format!(
        "WITH RECURSIVE chain (id, parent_id, name, depth) AS ( \
             SELECT id, parent_id, name, 0 FROM organizations WHERE id = $1 \
             UNION ALL \
             SELECT o.id, o.parent_id, o.name, chain.depth + 1 \
             FROM organizations o JOIN chain ON o.id = chain.parent_id \
             WHERE chain.depth < $3 \
         ) \
         SELECT -1 AS depth, CAST(NULL AS TEXT) AS org_name, {COLUMNS} FROM tariffs t WHERE t.station_id = $2 \
         UNION ALL \
         SELECT chain.depth, chain.name, {COLUMNS} FROM tariffs t JOIN chain ON t.org_id = chain.id \
         ORDER BY depth"
    );
    Ok(sqlx::query_as::<_, TariffRow>(&sql)
        .bind(org.0)
        .bind(station.map(|s| s.0))
        .bind(MAX_DEPTH)
        .fetch_all(&mut *conn)
        .await?)
}

/// The view of a setting whose own row is at `own_depth` in `chain`.
fn view_of(
    chain: &[TariffRow],
    own_depth: i64,
    caps: PlatformCaps,
    current_kind: Option<CurrentKind>,
) -> Result<TariffView, StorageError> {
    let own = chain
        .iter()
        .find(|row| row.depth == own_depth)
        .map(TariffRow::settings)
        .transpose()?;
    let inherited = chain
        .iter()
        .find(|row| row.depth > own_depth)
        .map(|row| Ok::<_, StorageError>((row.source(), row.settings()?)))
        .transpose()?;
    Ok(TariffView {
        own,
        inherited,
        caps,
        current_kind,
    })
}

/// The tariff in force at `station` of `org` for a session starting now (its kind's price per kWh), or `None`
/// when neither the station nor any organization above it sets one.
pub(crate) async fn frozen_tariff(
    conn: &mut Conn,
    org: OrgId,
    station: StationId,
) -> Result<Option<Tariff>, StorageError> {
    let chain = tariff_chain(conn, org, Some(station)).await?;
    let Some(nearest) = chain.first() else {
        return Ok(None);
    };
    let kind = station_kind(conn, station).await?;
    Ok(Some(nearest.settings()?.for_kind(kind)))
}

async fn station_kind(conn: &mut Conn, station: StationId) -> Result<CurrentKind, StorageError> {
    let kind: String = sqlx::query_scalar("SELECT current_kind FROM stations WHERE id = $1")
        .bind(station.0)
        .fetch_one(&mut *conn)
        .await?;
    CurrentKind::parse(&kind).ok_or_else(|| StorageError::internal("unknown current kind"))
}

/// "Inherit (…)" or the tariff, as the audit log describes a setting.
fn describe(
    own: Option<&TariffSettings>,
    inherited: Option<&(TariffSource, TariffSettings)>,
) -> String {
    match (own, inherited) {
        (Some(settings), _) => settings.summary(),
        (None, Some((TariffSource::Organization { name }, settings))) => {
            format!("inherited from {name} ({})", settings.summary())
        }
        (None, _) => "no tariff".to_owned(),
    }
}

impl Db {
    /// This handle with the platform's caps on tariffs (`CHARGEDESK_CAP_*`; the defaults are a real operator's:
    /// see [`PlatformCaps::default`]). A tariff above them is refused; tariffs stored before a cap was lowered
    /// stay in force until they are edited.
    pub fn with_platform_caps(mut self, caps: PlatformCaps) -> Self {
        self.platform_caps = caps;
        self
    }

    /// The platform's caps on tariffs.
    pub fn platform_caps(&self) -> PlatformCaps {
        self.platform_caps
    }
}

/// Inserts, replaces or (with `None`) deletes the `tariffs` row whose `key_column` (`org_id` or `station_id`)
/// is `key`.
pub(crate) async fn store(
    conn: &mut Conn,
    key_column: &str,
    key: i64,
    settings: Option<&TariffSettings>,
) -> Result<(), StorageError> {
    debug_assert!(key_column == "org_id" || key_column == "station_id");
    sqlx::query(&format!("DELETE FROM tariffs WHERE {key_column} = $1"))
        .bind(key)
        .execute(&mut *conn)
        .await?;
    if let Some(s) = settings {
        sqlx::query(&format!(
            "INSERT INTO tariffs ({key_column}, currency, start_fee, per_kwh_ac, per_kwh_dc, \
                                  per_hour_charging, per_hour_idle, idle_free_minutes, max_per_session, \
                                  vat_basis_points, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(key)
        .bind(s.currency.as_str())
        .bind(s.start_fee.0)
        .bind(s.per_kwh_ac.0)
        .bind(s.per_kwh_dc.0)
        .bind(s.per_hour_charging.0)
        .bind(s.per_hour_idle.0)
        .bind(i64::from(s.idle_free_minutes))
        .bind(s.max_per_session.map(|m| m.0))
        .bind(i64::from(s.vat_basis_points))
        .bind(now().0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl OrgAdmin {
    /// The platform's caps on tariffs (for checking a tariff form before [`OrgAdmin::set_tariff`]).
    pub fn platform_caps(&self) -> PlatformCaps {
        self.db.platform_caps
    }

    /// This organization's tariff: its own, the one it inherits, and the caps.
    pub async fn tariff(&self) -> Result<TariffView, StorageError> {
        let mut conn = self.db.read().await?;
        let chain = tariff_chain(&mut conn, self.org, None).await?;
        view_of(&chain, 0, self.db.platform_caps, None)
    }

    /// Sets this organization's tariff (`None`: inherit the parent's, or none). Refused above the platform's
    /// caps. Audited; nothing happens if it is unchanged. Sessions already started keep their tariff.
    pub async fn set_tariff(&self, settings: Option<&TariffSettings>) -> Result<(), StorageError> {
        self.check_caps(settings)?;
        let mut tx = self.db.begin_write().await?;
        // Lock the organization's row: two saves at once are applied and recorded one after the other.
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(self.org.0)
            .execute(&mut *tx)
            .await?;
        let chain = tariff_chain(&mut tx, self.org, None).await?;
        let before = view_of(&chain, 0, self.db.platform_caps, None)?;
        if before.own.as_ref() == settings {
            return Ok(());
        }
        store(&mut tx, "org_id", self.org.0, settings).await?;
        let summary = format!(
            "Changed the tariff of this organization from {} to {}",
            describe(before.own.as_ref(), before.inherited.as_ref()),
            describe(settings, before.inherited.as_ref())
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::TariffChanged,
            &summary,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A station's tariff: its own, the one its organization gives it, the caps and its AC/DC kind.
    /// `NotFound { what: "station" }` outside this subtree.
    pub async fn station_tariff(&self, id: StationId) -> Result<TariffView, StorageError> {
        let mut conn = self.db.read().await?;
        let station = self.scoped_station(&mut conn, id).await?;
        let chain = tariff_chain(&mut conn, station.org, Some(id)).await?;
        let kind = station_kind(&mut conn, id).await?;
        view_of(&chain, -1, self.db.platform_caps, Some(kind))
    }

    /// Sets a station's own tariff (`None`: its organization's applies). Refused above the platform's caps.
    /// Audited; nothing happens if it is unchanged.
    pub async fn set_station_tariff(
        &self,
        id: StationId,
        settings: Option<&TariffSettings>,
    ) -> Result<(), StorageError> {
        self.check_caps(settings)?;
        let mut tx = self.db.begin_write().await?;
        crate::stations::lock_station(&mut tx, id).await?;
        let station = self.scoped_station(&mut tx, id).await?;
        let chain = tariff_chain(&mut tx, station.org, Some(id)).await?;
        let before = view_of(&chain, -1, self.db.platform_caps, None)?;
        if before.own.as_ref() == settings {
            return Ok(());
        }
        store(&mut tx, "station_id", id.0, settings).await?;
        let summary = format!(
            "Changed the tariff of {} from {} to {}",
            station.describe(),
            describe(before.own.as_ref(), before.inherited.as_ref()),
            describe(settings, before.inherited.as_ref())
        );
        audit::record(
            &mut tx,
            station.org,
            &self.actor,
            AuditAction::TariffChanged,
            &summary,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets whether a station charges with AC or DC (which price per kWh of its tariff applies, and which
    /// cap). Audited; nothing happens if it is unchanged.
    pub async fn set_station_current_kind(
        &self,
        id: StationId,
        kind: CurrentKind,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        crate::stations::lock_station(&mut tx, id).await?;
        let station = self.scoped_station(&mut tx, id).await?;
        let before = station_kind(&mut tx, id).await?;
        if before == kind {
            return Ok(());
        }
        sqlx::query("UPDATE stations SET current_kind = $1 WHERE id = $2")
            .bind(kind.as_str())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let summary = format!(
            "Changed {} from {} to {}",
            station.describe(),
            before.label(),
            kind.label()
        );
        audit::record(
            &mut tx,
            station.org,
            &self.actor,
            AuditAction::TariffChanged,
            &summary,
            now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    fn check_caps(&self, settings: Option<&TariffSettings>) -> Result<(), StorageError> {
        match settings {
            Some(settings) => settings
                .check(&self.db.platform_caps)
                .map_err(|e| StorageError::conflict(e.message)),
            None => Ok(()),
        }
    }
}
