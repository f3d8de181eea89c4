//! The load test's data (`server seed-load-test`, `scripts/bench.sh`, the simulator's smoke test): a partner
//! organization [`PARTNER`] with `stations` stations `CP-LOAD-00001`, `CP-LOAD-00002`, … that all log in with
//! one station password, and `passes` whitelisted passes with the Hidden IDs (idTags) `10AD0000000001`,
//! `10AD0000000002`, …, held by the partner's administrator, under the access mode Whitelisting: every
//! Authorize of a seeded idTag at a seeded station is Accepted. `chargepoint-sim load` uses the same names by
//! default.
//!
//! Everything is written in one transaction; the password is hashed once, by the function every station
//! password goes through, and that hash stored for every station. A database that already has the partner is
//! refused (seed a fresh one).

use crate::audit;
use crate::auth::{hash_password, hash_station_password, new_session_token, Actor};
use crate::bootstrap::create_partner_in;
use crate::db::now;
use crate::error::StorageError;
use crate::Db;
use shared::model::AuditAction;
use shared::names::{Email, OrgName, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind};
use shared::station::{AccessMode, ChargePointId, StationPassword};
use shared::OrgId;

/// The partner organization the load test's stations and passes belong to.
pub const PARTNER: &str = "Load test";
/// The e-mail address of its administrator (who holds the passes). Nobody knows the password; give it one
/// with `server set-password` to look around.
pub const ADMIN_EMAIL: &str = "load-test@chargedesk.invalid";
/// The charge point IDs: this prefix and the station's number, zero-padded to [`NUMBER_DIGITS`].
pub const STATION_PREFIX: &str = "CP-LOAD-";
/// The digits of a station's number (`CP-LOAD-00001`).
pub const NUMBER_DIGITS: usize = 5;
/// The idTags (Hidden IDs, so hexadecimal): this prefix and the pass's number, zero-padded to
/// [`ID_TAG_DIGITS`] (`10AD0000000001`, 14 characters, the length of a 7-byte card UID).
pub const ID_TAG_PREFIX: &str = "10AD";
/// The digits of a pass's number.
pub const ID_TAG_DIGITS: usize = 10;
/// The most stations (the numbers have [`NUMBER_DIGITS`] digits).
pub const MAX_STATIONS: u32 = 99_999;
/// The most passes.
pub const MAX_PASSES: u32 = 1_000_000;

/// The charge point ID of station `number` (from 1).
pub fn station_id(number: u32) -> String {
    format!("{STATION_PREFIX}{number:0width$}", width = NUMBER_DIGITS)
}

/// The idTag of pass `number` (from 1).
pub fn id_tag(number: u32) -> String {
    format!("{ID_TAG_PREFIX}{number:0width$}", width = ID_TAG_DIGITS)
}

/// What [`Db::seed_load_test`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadTestSeed {
    /// The partner organization.
    pub org: OrgId,
    /// The first and the last charge point ID.
    pub stations: (String, String),
    /// How many stations.
    pub station_count: u32,
    /// The first and the last idTag.
    pub id_tags: (String, String),
    /// How many passes.
    pub pass_count: u32,
}

fn invalid(what: &str, error: impl std::fmt::Display) -> StorageError {
    StorageError::internal(format!("load test data {what}: {error}"))
}

impl Db {
    /// Seeds the load test's data (see the module documentation): `stations` stations (1 to [`MAX_STATIONS`])
    /// logging in with `password`, and `passes` whitelisted passes (1 to [`MAX_PASSES`]). A conflict, changing
    /// nothing, when the database already has the partner [`PARTNER`] (or its administrator's account), or when
    /// a count is out of range.
    pub async fn seed_load_test(
        &self,
        stations: u32,
        passes: u32,
        password: &StationPassword,
    ) -> Result<LoadTestSeed, StorageError> {
        if !(1..=MAX_STATIONS).contains(&stations) {
            return Err(StorageError::conflict(format!(
                "The load test needs 1 to {MAX_STATIONS} stations (not {stations})."
            )));
        }
        if !(1..=MAX_PASSES).contains(&passes) {
            return Err(StorageError::conflict(format!(
                "The load test needs 1 to {MAX_PASSES} passes (not {passes})."
            )));
        }
        let refusal = || {
            StorageError::conflict(format!(
                "This database already has the load test's partner \"{PARTNER}\": seed a fresh database."
            ))
        };
        // Hashed once: every station stores the same hash (a fresh salt per station would buy nothing, they
        // share the password).
        let station_hash = hash_station_password(password.as_str());
        // Nobody knows the administrator's password.
        let admin_hash = hash_password(&new_session_token()).await?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM organizations WHERE parent_id IS NULL AND lower(name) = $1",
        )
        .bind(PARTNER.to_ascii_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() {
            return Err(refusal());
        }
        let (org, admin) = create_partner_in(
            &mut tx,
            &OrgName::parse(PARTNER).map_err(|e| invalid("partner", e))?,
            &PersonName::parse("Load").map_err(|e| invalid("first name", e))?,
            &PersonName::parse("Tester").map_err(|e| invalid("last name", e))?,
            &Email::parse(ADMIN_EMAIL).map_err(|e| invalid("e-mail", e))?,
            &admin_hash,
            at,
        )
        .await
        .map_err(|error| match error {
            // Another seed at the same moment, or an account of that address: the database is not fresh.
            StorageError::Conflict { .. } => refusal(),
            other => other,
        })?;
        let actor = Actor {
            user_id: Some(admin),
            name: "Load Tester".to_owned(),
        };
        sqlx::query("UPDATE organizations SET default_access_mode = $1 WHERE id = $2")
            .bind(AccessMode::Whitelisting.as_str())
            .bind(org.0)
            .execute(&mut *tx)
            .await?;
        for number in 1..=stations {
            let cp = ChargePointId::parse(&station_id(number))
                .map_err(|e| invalid("charge point ID", e))?;
            sqlx::query(
                "INSERT INTO stations (org_id, charge_point_id, match_key, name, password_hash, created_at, \
                                       created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org.0)
            .bind(cp.as_str())
            .bind(cp.match_key())
            .bind(format!("Load test station {number}"))
            .bind(&station_hash)
            .bind(at.0)
            .bind(admin.0)
            .execute(&mut *tx)
            .await?;
        }
        for number in 1..=passes {
            let id = check_pass_id(PassIdKind::Hidden, &id_tag(number), false)
                .map_err(|e| invalid("idTag", format!("{e:?}")))?
                .value;
            sqlx::query(
                "INSERT INTO passes (org_id, user_id, id_kind, id_value, match_key, contract_kind, nickname, \
                                     mode, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, NULL, $6, 'whitelist', $7, $2)",
            )
            .bind(org.0)
            .bind(admin.0)
            .bind(id.kind().as_str())
            .bind(id.as_str())
            .bind(id.match_key())
            .bind(format!("Load test card {number}"))
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        }
        let seed = LoadTestSeed {
            org,
            stations: (station_id(1), station_id(stations)),
            station_count: stations,
            id_tags: (id_tag(1), id_tag(passes)),
            pass_count: passes,
        };
        audit::record(
            &mut tx,
            org,
            &actor,
            AuditAction::AccessModeChanged,
            "Set the default access mode to Whitelisting for the load test",
            at,
        )
        .await?;
        audit::record(
            &mut tx,
            org,
            &actor,
            AuditAction::StationAdded,
            &format!(
                "Added {stations} load test stations ({} to {}), logging in with one password",
                seed.stations.0, seed.stations.1
            ),
            at,
        )
        .await?;
        audit::record(
            &mut tx,
            org,
            &actor,
            AuditAction::PassAdded,
            &format!(
                "Added {passes} whitelisted load test passes (Hidden IDs {} to {}) for Load Tester",
                seed.id_tags.0, seed.id_tags.1
            ),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_zero_padded_and_valid() {
        assert_eq!(station_id(1), "CP-LOAD-00001");
        assert_eq!(station_id(MAX_STATIONS), "CP-LOAD-99999");
        assert_eq!(id_tag(42), "10AD0000000042");
        assert!(ChargePointId::parse(&station_id(MAX_STATIONS)).is_ok());
        let checked = check_pass_id(PassIdKind::Hidden, &id_tag(MAX_PASSES), false).unwrap();
        assert_eq!(checked.value.as_str(), "10AD0001000000");
        assert!(checked.warnings.is_empty());
        // An idTag is at most 20 characters (OCPP CiString20Type).
        assert!(id_tag(MAX_PASSES).len() <= 20);
    }
}
