//! Charging stations as administrators see them ("Assets"): listing, registering, settings, and the access
//! modes that stations inherit from their organization and its ancestors.
//!
//! An [`OrgAdmin`] sees the stations of its organization and of every sub-organization (any depth); a station
//! outside that subtree is `NotFound { what: "station" }`, whether or not it exists.

use crate::audit;
use crate::auth::hash_station_password;
use crate::db::{now, Conn};
use crate::error::StorageError;
use crate::events::StationEvent;
use crate::org::{OrgAdmin, MAX_DEPTH};
use rand::Rng;
use shared::ids::StationId;
use shared::model::{
    AccessModeSettings, AuditAction, ConnectorStatus, StationDetail, StationSummary,
};
use shared::station::{
    effective_access_mode, AccessMode, ChargePointId, StationName, StationPassword,
    UnauthenticatedAllowed,
};
use shared::time::Timestamp;
use shared::OrgId;
use std::collections::HashMap;

/// `WITH RECURSIVE subtree (id, parent_id, name, default_access_mode, depth)`: the organization whose id is the
/// placeholder `org_param` (depth 0) and all organizations below it. Every query about "this organization and
/// its sub-organizations" starts with it.
pub(crate) fn subtree_cte(org_param: &str) -> String {
    format!(
        "WITH RECURSIVE subtree (id, parent_id, name, default_access_mode, depth) AS ( \
             SELECT id, parent_id, name, default_access_mode, 0 FROM organizations WHERE id = {org_param} \
             UNION ALL \
             SELECT o.id, o.parent_id, o.name, o.default_access_mode, subtree.depth + 1 \
             FROM organizations o JOIN subtree ON o.parent_id = subtree.id \
             WHERE subtree.depth < {MAX_DEPTH} \
         ) "
    )
}

/// The kinds of pass identifier, as stored in `passes.id_kind`, with the lookup key of each.
pub(crate) const ID_KINDS: [&str; 2] = ["hidden", "visible"];

/// `FROM … WHERE …` of the live passes `p` in the organizations of `subtree` (see [`subtree_cte`]) with the
/// identifier kind `kind` (one of [`ID_KINDS`]) and the lookup key `key` (an SQL expression, e.g. a placeholder
/// or a column; NULL matches nothing), found through the index `passes_live_card` (org_id, id_kind,
/// match_key): one index search per organization of the subtree.
///
/// Both the shape and the join order matter to SQLite's planner, which has no statistics to go by: the two
/// kinds joined by OR made it read every pass of each organization through another index (1.5 ms instead of
/// 12 µs per Authorize with 10,000 passes, and seconds for a station's unknown taps), and with `passes`
/// first it scans the passes table. So one kind at a time (callers combine them: UNION ALL, two EXISTS, a sum
/// of counts) and `CROSS JOIN`, which SQLite takes as "`subtree` outside" (PostgreSQL plans it as any join).
/// `storage::decisions` tests the plans.
pub(crate) fn subtree_passes_with_key(kind: &str, key: &str) -> String {
    debug_assert!(ID_KINDS.contains(&kind));
    format!(
        "FROM subtree CROSS JOIN passes p WHERE p.org_id = subtree.id AND p.deleted_at IS NULL \
         AND p.id_kind = '{kind}' AND p.match_key = {key}"
    )
}

pub(crate) fn parse_access_mode(stored: Option<&str>) -> Result<Option<AccessMode>, StorageError> {
    stored
        .map(|s| {
            AccessMode::parse(s).ok_or_else(|| {
                StorageError::internal(format!("unknown access mode {s:?} in database"))
            })
        })
        .transpose()
}

/// The access-mode defaults of `org` followed by its ancestors up to the root (nearest first), as
/// [`effective_access_mode`] takes them. Empty if `org` does not exist.
pub(crate) async fn default_chain(
    conn: &mut Conn,
    org: OrgId,
) -> Result<Vec<Option<AccessMode>>, StorageError> {
    let rows: Vec<(Option<String>,)> = sqlx::query_as(
        "WITH RECURSIVE chain (id, parent_id, default_access_mode, depth) AS ( \
             SELECT id, parent_id, default_access_mode, 0 FROM organizations WHERE id = $1 \
             UNION ALL \
             SELECT o.id, o.parent_id, o.default_access_mode, chain.depth + 1 \
             FROM organizations o JOIN chain ON o.id = chain.parent_id \
             WHERE chain.depth < $2 \
         ) \
         SELECT default_access_mode FROM chain ORDER BY depth",
    )
    .bind(org.0)
    .bind(MAX_DEPTH)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(m,)| parse_access_mode(m.as_deref()))
        .collect()
}

/// The station columns behind a [`StationSummary`] / [`StationDetail`], joined with `subtree` (see
/// [`subtree_cte`]) so that only stations in the subtree are found. `now` is the placeholder of the current
/// time: `connected_at` is read only while the instance holding the connection has a lease beyond it (see
/// [`crate::instances`]), so that an instance that died shows its stations offline before anyone cleaned up.
fn station_select(now: &str) -> String {
    format!(
        "SELECT s.id, s.org_id, subtree.name AS org_name, s.charge_point_id, s.name, \
           CASE WHEN s.password_hash IS NULL THEN 0 ELSE 1 END AS has_password, \
           s.unauthenticated_allowed_at, s.unauthenticated_allowed_by, s.access_mode, s.vendor, s.model, s.serial_number, s.firmware_version, s.last_boot_at, \
           CASE WHEN EXISTS (SELECT 1 FROM instances i WHERE i.id = s.connected_instance AND i.lease_until > {now}) \
                THEN s.connected_at END AS connected_at, \
           s.last_message_at, s.created_at \
         FROM stations s JOIN subtree ON subtree.id = s.org_id"
    )
}

#[derive(sqlx::FromRow)]
struct StationRow {
    id: i64,
    org_id: i64,
    org_name: String,
    charge_point_id: String,
    name: String,
    has_password: i64,
    unauthenticated_allowed_at: Option<i64>,
    unauthenticated_allowed_by: Option<String>,
    access_mode: Option<String>,
    vendor: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    firmware_version: Option<String>,
    last_boot_at: Option<i64>,
    connected_at: Option<i64>,
    last_message_at: Option<i64>,
    created_at: i64,
}

impl StationRow {
    /// `chain` = the access-mode defaults of the station's organization and its ancestors, nearest first.
    fn summary(
        &self,
        scope: OrgId,
        chain: &[Option<AccessMode>],
        connectors: Vec<ConnectorStatus>,
    ) -> Result<StationSummary, StorageError> {
        let own = parse_access_mode(self.access_mode.as_deref())?;
        Ok(StationSummary {
            id: StationId(self.id),
            org_id: OrgId(self.org_id),
            org_name: self.org_name.clone(),
            in_sub_org: self.org_id != scope.0,
            charge_point_id: self.charge_point_id.clone(),
            name: self.name.clone(),
            online: self.connected_at.is_some(),
            last_message_at: self.last_message_at.map(Timestamp),
            connectors,
            access_mode_override: own,
            effective_access_mode: effective_access_mode(own, chain),
            has_password: self.has_password != 0,
            unauthenticated_allowed: self.unauthenticated_allowed_at.map(|at| {
                UnauthenticatedAllowed {
                    since: Timestamp(at),
                    by: self.unauthenticated_allowed_by.clone().unwrap_or_default(),
                }
            }),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ConnectorRow {
    station_id: i64,
    connector_id: i64,
    status: String,
    error_code: String,
    info: Option<String>,
    updated_at: i64,
}

impl ConnectorRow {
    fn into_status(self) -> ConnectorStatus {
        ConnectorStatus {
            connector_id: self.connector_id,
            status: self.status,
            error_code: self.error_code,
            info: self.info,
            updated_at: Timestamp(self.updated_at),
        }
    }
}

/// A station of the caller's subtree, as needed to check scope and describe it in the audit log.
#[derive(Debug, Clone)]
pub(crate) struct ScopedStation {
    pub(crate) id: StationId,
    pub(crate) org: OrgId,
    pub(crate) charge_point_id: String,
    pub(crate) name: String,
    pub(crate) access_mode: Option<AccessMode>,
}

impl ScopedStation {
    /// `station "Laadpaal Zuid" (KRN-CP-001)`, as the audit log names a station.
    pub(crate) fn describe(&self) -> String {
        format!("station \"{}\" ({})", self.name, self.charge_point_id)
    }
}

/// How the audit log names an access-mode setting: the mode, or "Inherit (<mode>)".
fn describe_mode(own: Option<AccessMode>, inherited: AccessMode) -> String {
    match own {
        Some(mode) => mode.label().to_owned(),
        None => format!("Inherit ({})", inherited.label()),
    }
}

/// A new random station password: [`shared::station::GENERATED_PASSWORD_LEN`] characters of
/// [`shared::station::GENERATED_PASSWORD_ALPHABET`], picked by the operating system's random number generator.
pub fn generate_station_password() -> StationPassword {
    let mut rng = rand::rngs::OsRng;
    StationPassword::generate(|n| rng.gen_range(0..n))
}

impl OrgAdmin {
    /// A station of this organization or one of its sub-organizations; `NotFound { what: "station" }` for any
    /// other id.
    pub(crate) async fn scoped_station(
        &self,
        conn: &mut Conn,
        id: StationId,
    ) -> Result<ScopedStation, StorageError> {
        let sql = format!(
            "{}SELECT s.id, s.org_id, s.charge_point_id, s.name, s.access_mode \
             FROM stations s JOIN subtree ON subtree.id = s.org_id WHERE s.id = $2",
            subtree_cte("$1")
        );
        let row: Option<(i64, i64, String, String, Option<String>)> = sqlx::query_as(&sql)
            .bind(self.org.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        let (id, org, charge_point_id, name, mode) =
            row.ok_or(StorageError::NotFound { what: "station" })?;
        Ok(ScopedStation {
            id: StationId(id),
            org: OrgId(org),
            charge_point_id,
            name,
            access_mode: parse_access_mode(mode.as_deref())?,
        })
    }

    /// The stations of this organization and of all its sub-organizations (`in_sub_org` marks the latter):
    /// this organization's first, then by organization name, then by station name.
    pub async fn stations(&self) -> Result<Vec<StationSummary>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct OrgRow {
            id: i64,
            parent_id: Option<i64>,
            default_access_mode: Option<String>,
        }
        let mut conn = self.db.read().await?;
        let cte = subtree_cte("$1");
        let orgs = sqlx::query_as::<_, OrgRow>(&format!(
            "{cte}SELECT id, parent_id, default_access_mode FROM subtree"
        ))
        .bind(self.org.0)
        .fetch_all(&mut *conn)
        .await?;
        let rows = sqlx::query_as::<_, StationRow>(&format!(
            "{cte}{} \
             ORDER BY CASE WHEN s.org_id = $1 THEN 0 ELSE 1 END, lower(subtree.name), subtree.id, \
                      lower(s.name), s.id",
            station_select("$2")
        ))
        .bind(self.org.0)
        .bind(now().0)
        .fetch_all(&mut *conn)
        .await?;
        let connector_rows = sqlx::query_as::<_, ConnectorRow>(&format!(
            "{cte}SELECT c.station_id, c.connector_id, c.status, c.error_code, c.info, c.updated_at \
             FROM connectors c JOIN stations s ON s.id = c.station_id \
             JOIN subtree ON subtree.id = s.org_id \
             ORDER BY c.station_id, c.connector_id"
        ))
        .bind(self.org.0)
        .fetch_all(&mut *conn)
        .await?;
        let above: Vec<Option<AccessMode>> = default_chain(&mut conn, self.org)
            .await?
            .into_iter()
            .skip(1)
            .collect();

        // Each subtree organization's chain of defaults: up to this organization, then its ancestors.
        let mut tree: HashMap<i64, (Option<i64>, Option<AccessMode>)> = HashMap::new();
        for o in orgs {
            let mode = parse_access_mode(o.default_access_mode.as_deref())?;
            tree.insert(o.id, (o.parent_id, mode));
        }
        let chain_of = |org: i64| -> Vec<Option<AccessMode>> {
            let mut chain = Vec::new();
            let mut current = Some(org);
            while let Some(id) = current {
                let Some((parent, mode)) = tree.get(&id) else {
                    break;
                };
                chain.push(*mode);
                if id == self.org.0 {
                    break;
                }
                current = *parent;
            }
            chain.extend(above.iter().copied());
            chain
        };
        let mut connectors: HashMap<i64, Vec<ConnectorStatus>> = HashMap::new();
        for c in connector_rows {
            connectors
                .entry(c.station_id)
                .or_default()
                .push(c.into_status());
        }
        rows.iter()
            .map(|r| {
                let chain = chain_of(r.org_id);
                r.summary(
                    self.org,
                    &chain,
                    connectors.remove(&r.id).unwrap_or_default(),
                )
            })
            .collect()
    }

    /// One station of this organization or a sub-organization; `NotFound { what: "station" }` for any other
    /// id (including another organization's station).
    pub async fn station(&self, id: StationId) -> Result<StationDetail, StorageError> {
        let mut conn = self.db.read().await?;
        let row = sqlx::query_as::<_, StationRow>(&format!(
            "{}{} WHERE s.id = $2",
            subtree_cte("$1"),
            station_select("$3")
        ))
        .bind(self.org.0)
        .bind(id.0)
        .bind(now().0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StorageError::NotFound { what: "station" })?;
        let connectors = sqlx::query_as::<_, ConnectorRow>(
            "SELECT station_id, connector_id, status, error_code, info, updated_at FROM connectors \
             WHERE station_id = $1 ORDER BY connector_id",
        )
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(ConnectorRow::into_status)
        .collect();
        let chain = default_chain(&mut conn, OrgId(row.org_id)).await?;
        let summary = row.summary(self.org, &chain, connectors)?;
        Ok(StationDetail {
            summary,
            inherited_access_mode: effective_access_mode(None, &chain),
            vendor: row.vendor,
            model: row.model,
            serial_number: row.serial_number,
            firmware_version: row.firmware_version,
            last_boot_at: row.last_boot_at.map(Timestamp),
            connected_since: row.connected_at.map(Timestamp),
            created_at: Timestamp(row.created_at),
        })
    }

    /// Registers a station in this organization. The charge point ID must not be registered yet anywhere
    /// (regardless of case): otherwise a conflict "A station with charge point ID X is already registered.",
    /// which says nothing about where. With `password` (hashed as `auth::STATION_HASH_SCHEME` describes; see [`generate_station_password`])
    /// the station must log in with HTTP Basic authentication; `None` is the explicit choice to allow it to
    /// connect without a password (recorded with who chose it). The station inherits the access mode. Audited
    /// (never the password).
    pub async fn add_station(
        &self,
        cp: &ChargePointId,
        name: &StationName,
        password: Option<&StationPassword>,
    ) -> Result<StationId, StorageError> {
        let hash = password.map(|p| hash_station_password(p.as_str()));
        let taken = || {
            StorageError::conflict(format!(
                "A station with charge point ID {} is already registered.",
                cp.as_str()
            ))
        };
        let mut tx = self.db.begin_write().await?;
        let at = now();
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM stations WHERE match_key = $1")
                .bind(cp.match_key())
                .fetch_optional(&mut *tx)
                .await?;
        if existing.is_some() {
            return Err(taken());
        }
        let (allowed_at, allowed_by) = match password {
            Some(_) => (None, None),
            None => (Some(at.0), Some(self.actor.name.as_str())),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO stations (org_id, charge_point_id, match_key, name, password_hash, \
                                   unauthenticated_allowed_at, unauthenticated_allowed_by, created_at, \
                                   created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(self.org.0)
        .bind(cp.as_str())
        .bind(cp.match_key())
        .bind(name.as_str())
        .bind(hash)
        .bind(allowed_at)
        .bind(allowed_by)
        .bind(at.0)
        .bind(self.actor.user_id.map(|u| u.0))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StorageError::from(e) {
            StorageError::Conflict { .. } => taken(),
            other => other,
        })?;
        let summary = format!(
            "Added station \"{}\" (charge point ID {}), {}",
            name.as_str(),
            cp.as_str(),
            if password.is_some() {
                "logging in with a password"
            } else {
                "allowing unauthenticated connections (without a password)"
            }
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::StationAdded,
            &summary,
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(StationId(id))
    }

    /// Sets a station's own access mode, or with `None` lets it inherit its organization's default.
    /// `NotFound { what: "station" }` outside this subtree. Audited in the station's organization; nothing
    /// happens if the setting is unchanged, also when another request set it meanwhile (the station's row is locked
    /// before it is read).
    pub async fn set_station_access_mode(
        &self,
        id: StationId,
        mode: Option<AccessMode>,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        let at = now();
        lock_station(&mut tx, id).await?;
        let station = self.scoped_station(&mut tx, id).await?;
        if station.access_mode == mode {
            return Ok(());
        }
        let chain = default_chain(&mut tx, station.org).await?;
        let inherited = effective_access_mode(None, &chain);
        sqlx::query("UPDATE stations SET access_mode = $1 WHERE id = $2")
            .bind(mode.map(AccessMode::as_str))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let summary = format!(
            "Changed the access mode of {} from {} to {}",
            station.describe(),
            describe_mode(station.access_mode, inherited),
            describe_mode(mode, inherited)
        );
        audit::record(
            &mut tx,
            station.org,
            &self.actor,
            AuditAction::AccessModeChanged,
            &summary,
            at,
        )
        .await?;
        self.db
            .commit_announcing(tx, StationEvent::LocalListChanged(id))
            .await?;
        Ok(())
    }

    /// How a station of this subtree logs in: `(has a password, unauthenticated connections allowed)`.
    async fn station_login_settings(
        &self,
        conn: &mut Conn,
        id: StationId,
    ) -> Result<(bool, bool), StorageError> {
        let (has_password, allowed): (i64, i64) = sqlx::query_as(
            "SELECT CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, \
                    CASE WHEN unauthenticated_allowed_at IS NULL THEN 0 ELSE 1 END \
             FROM stations WHERE id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?;
        Ok((has_password != 0, allowed != 0))
    }

    /// Sets how a station logs in. `Some(password)`: it must log in with this password from now on (and no
    /// longer without one). `None`: the explicit choice to allow it to connect without a password — its
    /// password, if any, is deleted, and who chose it is recorded; nothing happens if that is already so.
    ///
    /// A station therefore always has exactly one of the two: an administrator cannot remove a password
    /// without allowing unauthenticated connections, nor stop allowing them without setting a password, and
    /// so cannot lock a station out by accident. `NotFound { what: "station" }` outside this subtree. Audited
    /// in the station's organization (never the password); an open connection of the station is closed
    /// ([`StationEvent::CredentialsChanged`]), and it reconnects with its new credentials.
    pub async fn set_station_password(
        &self,
        id: StationId,
        password: Option<&StationPassword>,
    ) -> Result<(), StorageError> {
        self.set_station_login(id, password, false).await?;
        Ok(())
    }

    /// [`OrgAdmin::set_station_password`]; with `only_if_allowed`, only while the station still allows
    /// unauthenticated connections when the transaction gets to it (`false`, nothing changed, otherwise).
    async fn set_station_login(
        &self,
        id: StationId,
        password: Option<&StationPassword>,
        only_if_allowed: bool,
    ) -> Result<bool, StorageError> {
        // Refuse an unknown station before hashing a password for it.
        {
            let mut conn = self.db.read().await?;
            self.scoped_station(&mut conn, id).await?;
        }
        let hash = password.map(|p| hash_station_password(p.as_str()));
        let mut tx = self.db.begin_write().await?;
        let at = now();
        lock_station(&mut tx, id).await?;
        let station = self.scoped_station(&mut tx, id).await?;
        let (had_password, was_allowed) = self.station_login_settings(&mut tx, id).await?;
        if only_if_allowed && !was_allowed {
            return Ok(false);
        }
        let summary = match password {
            Some(_) if was_allowed => format!(
                "Set a new password for {}: it must log in with it, unauthenticated connections are no \
                 longer allowed",
                station.describe()
            ),
            Some(_) => format!("Set a new password for {}", station.describe()),
            None if was_allowed && !had_password => return Ok(false),
            None => format!(
                "Allowed unauthenticated connections for {}: it connects without a password{}",
                station.describe(),
                if had_password {
                    " (its password was deleted)"
                } else {
                    ""
                }
            ),
        };
        let (allowed_at, allowed_by) = match password {
            Some(_) => (None, None),
            None => (Some(at.0), Some(self.actor.name.as_str())),
        };
        sqlx::query(
            "UPDATE stations SET password_hash = $1, unauthenticated_allowed_at = $2, \
                                 unauthenticated_allowed_by = $3 \
             WHERE id = $4",
        )
        .bind(hash)
        .bind(allowed_at)
        .bind(allowed_by)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            station.org,
            &self.actor,
            AuditAction::StationSettingsChanged,
            &summary,
            at,
        )
        .await?;
        self.db
            .commit_announcing(tx, StationEvent::CredentialsChanged(id))
            .await?;
        Ok(true)
    }

    /// "Generate new password": a fresh random password (see [`generate_station_password`]) that the station
    /// must log in with from now on, returned once to be shown to the administrator; only its hash is stored.
    /// Otherwise as [`OrgAdmin::set_station_password`] with a password.
    pub async fn generate_station_password(
        &self,
        id: StationId,
    ) -> Result<StationPassword, StorageError> {
        let password = generate_station_password();
        self.set_station_password(id, Some(&password)).await?;
        Ok(password)
    }

    /// The "Allow unauthenticated connections" choice. `true`: as [`OrgAdmin::set_station_password`] with
    /// `None`. `false` on a station that allows them: a new password is generated, required from now on, and
    /// returned once (the station cannot be left with neither). `false` on a station that already needs its
    /// password changes nothing, also when another request made it need one meanwhile (that request's password
    /// is the one that counts, not a second one). `Some` exactly when a password was generated.
    pub async fn set_station_unauthenticated(
        &self,
        id: StationId,
        allowed: bool,
    ) -> Result<Option<StationPassword>, StorageError> {
        if allowed {
            self.set_station_password(id, None).await?;
            return Ok(None);
        }
        let was_allowed = {
            let mut conn = self.db.read().await?;
            self.scoped_station(&mut conn, id).await?;
            self.station_login_settings(&mut conn, id).await?.1
        };
        if !was_allowed {
            return Ok(None);
        }
        let password = generate_station_password();
        let set = self.set_station_login(id, Some(&password), true).await?;
        Ok(set.then_some(password))
    }

    /// This organization's default access mode for its stations (and those of sub-organizations that set
    /// none), what it inherits, and the result.
    pub async fn access_mode_settings(&self) -> Result<AccessModeSettings, StorageError> {
        let mut conn = self.db.read().await?;
        let chain = default_chain(&mut conn, self.org).await?;
        Ok(settings_of(&chain))
    }

    /// Sets this organization's default access mode, or with `None` lets it inherit from its parent. Audited;
    /// nothing happens if the setting is unchanged.
    pub async fn set_default_access_mode(
        &self,
        mode: Option<AccessMode>,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().await?;
        let at = now();
        // Lock the organization's row first: the same default saved twice at once (PostgreSQL runs both) is
        // changed and recorded once; the second waits and then finds it set.
        sqlx::query(
            "UPDATE organizations SET default_access_mode = default_access_mode WHERE id = $1",
        )
        .bind(self.org.0)
        .execute(&mut *tx)
        .await?;
        let chain = default_chain(&mut tx, self.org).await?;
        let before = settings_of(&chain);
        if before.own == mode {
            return Ok(());
        }
        sqlx::query("UPDATE organizations SET default_access_mode = $1 WHERE id = $2")
            .bind(mode.map(AccessMode::as_str))
            .bind(self.org.0)
            .execute(&mut *tx)
            .await?;
        let summary = format!(
            "Changed the default access mode of this organization's stations from {} to {}",
            describe_mode(before.own, before.inherited),
            describe_mode(mode, before.inherited)
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::AccessModeChanged,
            &summary,
            at,
        )
        .await?;
        self.db
            .commit_announcing(tx, StationEvent::LocalListsChanged(self.org))
            .await?;
        Ok(())
    }
}

/// Locks a station's row (a write that changes nothing) before its settings are read in a write transaction: of
/// two requests changing them at once (PostgreSQL runs both), the second waits for the first and then reads what it
/// set, so that a save that changes nothing records nothing and a decision made on the settings still holds.
pub(crate) async fn lock_station(conn: &mut Conn, id: StationId) -> Result<(), StorageError> {
    sqlx::query("UPDATE stations SET access_mode = access_mode WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The settings of the organization whose default chain (itself first) is `chain`.
fn settings_of(chain: &[Option<AccessMode>]) -> AccessModeSettings {
    let own = chain.first().copied().flatten();
    let inherited = effective_access_mode(None, chain.get(1..).unwrap_or(&[]));
    AccessModeSettings {
        own,
        inherited,
        effective: own.unwrap_or(inherited),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessMode::*;

    #[test]
    fn settings_inherit_the_nearest_ancestor_default() {
        // (chain of defaults, own, inherited, effective)
        type Row = (
            &'static [Option<AccessMode>],
            Option<AccessMode>,
            AccessMode,
            AccessMode,
        );
        #[rustfmt::skip]
        let table: &[Row] = &[
            (&[], None, Whitelisting, Whitelisting),
            (&[None], None, Whitelisting, Whitelisting),
            (&[Some(Open)], Some(Open), Whitelisting, Open),
            (&[None, Some(Roaming)], None, Roaming, Roaming),
            (&[Some(Open), Some(Roaming)], Some(Open), Roaming, Open),
            (&[None, None, Some(RoamingAndWhitelisting)], None, RoamingAndWhitelisting, RoamingAndWhitelisting),
        ];
        for &(chain, own, inherited, effective) in table {
            let s = settings_of(chain);
            assert_eq!(
                (s.own, s.inherited, s.effective),
                (own, inherited, effective),
                "{chain:?}"
            );
            assert_eq!(s.effective, effective_access_mode(None, chain), "{chain:?}");
        }
    }

    #[test]
    fn subtree_is_bounded_by_the_organization_depth_guard() {
        let cte = subtree_cte("$7");
        assert!(cte.contains("WHERE id = $7"));
        assert!(cte.contains(&format!("subtree.depth < {MAX_DEPTH}")));
    }
}
