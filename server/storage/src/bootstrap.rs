//! Command-line bootstrap (`create-partner`, `set-password`) and the demo dataset.

use crate::accounts::revoke_open_links;
use crate::audit;
use crate::auth::{
    clear_login_failures, failure_key, hash_password, hash_station_password, Actor, Caller,
};
use crate::db::{fold_case, now, Conn, Db};
use crate::error::StorageError;
use crate::org::OrgAdmin;
use shared::model::AuditAction;
use shared::names::{Email, Nickname, OrgName, Password, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind, PassIdentifier};
use shared::station::{AccessMode, ChargePointId, StationName, StationPassword};
use shared::tariff::{Currency, Money, Price, TariffSettings};
use shared::time::Timestamp;
use shared::{OrgId, PassMode, Role, UserId};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "chargedesk-demo";

/// A demo charging station: what to configure in a station (or pass to `chargepoint-sim`) to connect as it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoStation {
    /// The charge point ID: the last part of the OCPP URL, and the HTTP Basic user name.
    pub charge_point_id: &'static str,
    /// The password it logs in with (HTTP Basic, OCPP security profile 1).
    pub password: &'static str,
    /// Where it is and what it shows.
    pub description: &'static str,
}

/// The demo stations and their passwords, published like [`DEMO_PASSWORD`]: they are demo data, printed by
/// `serve --demo` and used by the end-to-end tests; a real station gets a generated password.
pub const DEMO_STATIONS: [DemoStation; 3] = [
    DemoStation {
        charge_point_id: "CP-KROON-1",
        password: "kroon-1-demo-station-key",
        description: "Brouwerij De Kroon, Brewery yard (Whitelisting, inherited)",
    },
    DemoStation {
        charge_point_id: "CP-LOGISTICS-1",
        password: "logistics-1-demo-station-key",
        description: "De Kroon Logistics, Loading dock",
    },
    DemoStation {
        charge_point_id: "CP-ZONNEVELD-1",
        password: "zonneveld-1-demo-station-key",
        description: "Hotel Zonneveld, Hotel car park (Roaming + whitelisting)",
    },
];

/// One demo account, as printed after seeding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// The log-in e-mail address.
    pub email: String,
    /// The log-in password.
    pub password: String,
    /// Who this is and what they can see.
    pub description: String,
}

/// Actions taken from the command line have no user behind them.
fn command_line() -> Actor {
    Actor {
        user_id: None,
        name: "Command line".to_owned(),
    }
}

impl Db {
    /// Bootstrap (CLI `create-partner`): a root (partner) organization and its first administrator, with a
    /// password. Conflict if an account with that e-mail exists, or a partner of that name does.
    pub async fn create_partner(
        &self,
        org: &OrgName,
        first: &PersonName,
        last: &PersonName,
        email: &Email,
        password: &Password,
    ) -> Result<(OrgId, UserId), StorageError> {
        let hash = hash_password(password.as_str()).await?;
        let mut tx = self.begin_write().await?;
        let ids = create_partner_in(&mut tx, org, first, last, email, &hash, now()).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Sets or replaces a user's password (CLI `set-password`), like setting it through a link does: in one
    /// transaction the password is set, every open link of the person (invitations and resets) revoked, every
    /// session of theirs ended and their failed log-ins forgotten. Their memberships are not marked accepted:
    /// they read "Active" from their next log-in. `NotFound { what: "user" }` if no account has that e-mail.
    pub async fn set_password(
        &self,
        email: &Email,
        password: &Password,
    ) -> Result<(), StorageError> {
        let hash = hash_password(password.as_str()).await?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let user: i64 = sqlx::query_scalar(
            "UPDATE users SET password_hash = $1 WHERE lower(email) = $2 RETURNING id",
        )
        .bind(&hash)
        .bind(fold_case(email.as_str()))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StorageError::NotFound { what: "user" })?;
        revoke_open_links(&mut tx, UserId(user), at).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        clear_login_failures(&mut tx, &failure_key(email.as_str())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Fills an empty database with the demo dataset, in one transaction, through the same code paths as
    /// the UI (so the audit log has entries). Returns the logins to print, or `None` (changing nothing) if
    /// the database already has organizations. Every demo user's password is [`DEMO_PASSWORD`]; the demo
    /// stations are [`DEMO_STATIONS`], each logging in with its own password. Of several instances started
    /// with the demo at once on one empty database, one seeds it and the others get `None`.
    pub async fn seed_demo(&self) -> Result<Option<Vec<DemoLogin>>, StorageError> {
        if self.has_organizations().await? {
            return Ok(None);
        }
        // One hash for all demo accounts: they share a published password anyway, and argon2 is slow.
        let hash = hash_password(DEMO_PASSWORD).await?;
        let mut station_hashes = Vec::with_capacity(DEMO_STATIONS.len());
        for station in DEMO_STATIONS {
            let password = valid(station.password, StationPassword::parse(station.password))?;
            station_hashes.push(hash_station_password(password.as_str()));
        }
        let mut tx = self.begin_write().await?;
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM organizations LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        if any.is_some() {
            return Ok(None);
        }
        let logins = match seed(self, &mut tx, &hash, &station_hashes).await {
            Ok(logins) => logins,
            // Another instance started with the demo at the same moment (PostgreSQL runs both seeds side by
            // side; the empty check above saw neither): its demo partner or administrator came first, so the
            // database is seeded, by that instance.
            Err(StorageError::Conflict { .. }) => {
                drop(tx);
                if self.has_organizations().await? {
                    return Ok(None);
                }
                return Err(StorageError::internal(
                    "the demo data conflicts with itself in an empty database",
                ));
            }
            Err(other) => return Err(other),
        };
        tx.commit().await?;
        self.seed_history().await?;
        Ok(Some(logins))
    }

    /// The demo's history, through the same code as real stations: about 100 days of sessions at the demo
    /// stations (whitelisted ones at De Kroon's, settled and whitelisted ones at the hotel's DC charger, with
    /// meter values and idle time after charging), and the credit statements of the months that ended.
    async fn seed_history(&self) -> Result<(), StorageError> {
        let zone = shared::time::TimeZoneName::default();
        let today = now().local_day(&zone);
        let first = (0..100).fold(today, |day, _| day.previous());
        // (station, password, cards taking turns, every how many days)
        let plan: [(&DemoStation, &[&str], usize); 3] = [
            (&DEMO_STATIONS[0], &["04A1B2C3D4E5F6"], 3),
            (&DEMO_STATIONS[1], &["04A1B2C3D4E5F6"], 4),
            (&DEMO_STATIONS[2], &["DE8AA1A2B3C4D5V", "04C3D2E1F0A9B8"], 2),
        ];
        for (n, (station, cards, every)) in plan.into_iter().enumerate() {
            let login = self
                .station_login(station.charge_point_id)
                .await?
                .ok_or_else(|| StorageError::internal("a demo station is missing"))?;
            if !login.verify_password(station.password).await? {
                return Err(StorageError::internal(
                    "a demo station's password does not match",
                ));
            }
            let connected = login.accept(self)?;
            let mut meter = 1_000_000 + 250_000 * n as i64;
            for (i, day) in first.through(today.previous()).enumerate() {
                if i % every != n % every {
                    continue;
                }
                // Deterministic variety: start between 07:00 and 18:00, 4–40 kWh over 1–3 hours, 15–75
                // minutes connected after charging ended.
                let spread = (i * 37 + n * 11) as i64;
                let start_minute = 7 * 60 + spread % (11 * 60);
                let Some(started) = day.at(
                    (start_minute / 60) as u8,
                    (start_minute % 60) as u8,
                    0,
                    &zone,
                ) else {
                    continue;
                };
                let energy = 4_000 + (spread * 977) % 36_000;
                let charging_ms = 3_600_000 + (spread * 7_919) % 7_200_000;
                let idle_ms = 900_000 + (spread * 104_729) % 3_600_000;
                let card = cards[i / every % cards.len()];
                let (id, _) = connected.start_transaction(1, card, meter, started).await?;
                connected
                    .meter_value(
                        Some(id.0),
                        1,
                        (meter + energy / 2) as f64,
                        Timestamp(started.0 + charging_ms / 2),
                    )
                    .await?;
                connected
                    .meter_value(
                        Some(id.0),
                        1,
                        (meter + energy) as f64,
                        Timestamp(started.0 + charging_ms),
                    )
                    .await?;
                connected
                    .stop_transaction(
                        id.0,
                        meter + energy,
                        Timestamp(started.0 + charging_ms + idle_ms),
                        None,
                        Some("EVDisconnected"),
                    )
                    .await?;
                meter += energy;
            }
        }
        // The statements of the months that ended (the oldest one or two are partial: the history starts
        // inside them).
        let at = now();
        let latest = shared::period::Month::containing(at, &zone).previous();
        let months = [
            latest.previous().previous().previous(),
            latest.previous().previous(),
            latest.previous(),
            latest,
        ];
        for month in months {
            self.run_month_end(month, at).await?;
        }
        Ok(())
    }
}

pub(crate) async fn create_partner_in(
    conn: &mut Conn,
    org: &OrgName,
    first: &PersonName,
    last: &PersonName,
    email: &Email,
    password_hash: &str,
    at: Timestamp,
) -> Result<(OrgId, UserId), StorageError> {
    // The unique indexes decide (also between two runs at once, which PostgreSQL does not queue): an e-mail
    // address or partner name that exists, or that another writer is inserting, inserts nothing, and the refusal
    // says which (the caller's transaction, with anything inserted before, is rolled back).
    let user_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, first_name, last_name, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (lower(email)) DO NOTHING RETURNING id",
    )
    .bind(email.as_str())
    .bind(first.as_str())
    .bind(last.as_str())
    .bind(password_hash)
    .bind(at.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user_id) = user_id else {
        return Err(StorageError::conflict(format!(
            "An account with e-mail {} already exists.",
            email.as_str()
        )));
    };
    let org_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO organizations (parent_id, name, created_at) VALUES (NULL, $1, $2) \
         ON CONFLICT (lower(name)) WHERE parent_id IS NULL DO NOTHING RETURNING id",
    )
    .bind(org.as_str())
    .bind(at.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(org_id) = org_id else {
        return Err(StorageError::conflict(format!(
            "A partner organization named \"{}\" already exists.",
            org.as_str()
        )));
    };
    let member_id = crate::org::fresh_member_id(conn).await?;
    sqlx::query(
        "INSERT INTO memberships (user_id, org_id, role, created_at, member_id, accepted_at) \
         VALUES ($1, $2, $3, $4, $5, $4)",
    )
    .bind(user_id)
    .bind(org_id)
    .bind(Role::Administrator.as_str())
    .bind(at.0)
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    let summary = format!(
        "Created partner organization \"{}\" with administrator {} {} ({})",
        org.as_str(),
        first.as_str(),
        last.as_str(),
        email.as_str()
    );
    audit::record(
        conn,
        OrgId(org_id),
        &command_line(),
        AuditAction::OrganizationAdded,
        &summary,
        at,
    )
    .await?;
    Ok((OrgId(org_id), UserId(user_id)))
}

/// Turns a validation failure of the built-in demo data (a bug) into an internal error.
fn valid<T, E: std::fmt::Debug>(what: &str, parsed: Result<T, E>) -> Result<T, StorageError> {
    parsed.map_err(|e| StorageError::internal(format!("invalid demo data {what:?}: {e:?}")))
}

fn org_name(s: &str) -> Result<OrgName, StorageError> {
    valid(s, OrgName::parse(s))
}

fn pass_id(kind: PassIdKind, s: &str) -> Result<PassIdentifier, StorageError> {
    // Unconfirmed: demo IDs must not even need a confirmation (e.g. a wrong check character).
    valid(s, check_pass_id(kind, s, false)).map(|checked| checked.value)
}

fn nickname(s: &str) -> Result<Nickname, StorageError> {
    valid(s, Nickname::parse(s))
}

/// A demo person: (first name, last name, e-mail).
type Person = (&'static str, &'static str, &'static str);

const PARTNER_ADMIN: Person = ("Eva", "Visser", "eva@volta-partners.example");
const KROON_ADMIN: Person = ("Sanne", "Bakker", "sanne@dekroon.example");
const KROON_DRIVER: Person = ("Pieter", "de Groot", "pieter@dekroon.example");
const LOGISTICS_ADMIN: Person = ("Daan", "Mulder", "daan@dekroon.example");
const JAN: Person = ("Jan", "Jansen", "jan@dekroon.example");
const FATIMA: Person = ("Fatima", "El Amrani", "fatima@dekroon.example");
const LOTTE: Person = ("Lotte", "de Wit", "lotte@dekroon.example");
const HOTEL_ADMIN: Person = ("Joost", "van Dijk", "joost@hotelzonneveld.example");
const EMMA: Person = ("Emma", "Smit", "emma@hotelzonneveld.example");
const NOAH: Person = ("Noah", "Peters", "noah@hotelzonneveld.example");

/// `station_hashes`: the password hashes of [`DEMO_STATIONS`], in that order.
async fn seed(
    db: &Db,
    conn: &mut Conn,
    password_hash: &str,
    station_hashes: &[String],
) -> Result<Vec<DemoLogin>, StorageError> {
    let at = now();
    let person = |p: Person| -> Result<(PersonName, PersonName, Email), StorageError> {
        Ok((
            valid(p.0, PersonName::parse(p.0))?,
            valid(p.1, PersonName::parse(p.1))?,
            valid(p.2, Email::parse(p.2))?,
        ))
    };

    let (first, last, email) = person(PARTNER_ADMIN)?;
    let (volta, eva) = create_partner_in(
        conn,
        &org_name("Volta Partners")?,
        &first,
        &last,
        &email,
        password_hash,
        at,
    )
    .await?;
    let eva = Caller::load(conn, eva)
        .await?
        .ok_or_else(|| StorageError::internal("demo partner administrator vanished"))?;

    let partner = eva.admin_of_in(db, conn, volta).await?;
    let kroon = partner
        .add_sub_organization_in(conn, &org_name("Brouwerij De Kroon")?, at)
        .await?;
    let hotel = partner
        .add_sub_organization_in(conn, &org_name("Hotel Zonneveld")?, at)
        .await?;
    let kroon = eva.admin_of_in(db, conn, kroon).await?;
    let logistics = kroon
        .add_sub_organization_in(conn, &org_name("De Kroon Logistics")?, at)
        .await?;
    let horeca = kroon
        .add_sub_organization_in(conn, &org_name("De Kroon Horeca")?, at)
        .await?;
    let logistics = eva.admin_of_in(db, conn, logistics).await?;
    let horeca = eva.admin_of_in(db, conn, horeca).await?;
    let hotel = eva.admin_of_in(db, conn, hotel).await?;

    let mut users = Vec::new();
    for (scope, p, role) in [
        (&kroon, KROON_ADMIN, Role::Administrator),
        (&kroon, KROON_DRIVER, Role::Cardholder),
        (&logistics, LOGISTICS_ADMIN, Role::Administrator),
        (&logistics, JAN, Role::Cardholder),
        (&logistics, FATIMA, Role::Cardholder),
        (&horeca, LOTTE, Role::Cardholder),
        (&horeca, JAN, Role::Cardholder),
        (&hotel, HOTEL_ADMIN, Role::Administrator),
        (&hotel, EMMA, Role::Cardholder),
        (&hotel, NOAH, Role::Cardholder),
    ] {
        let (first, last, email) = person(p)?;
        let added = scope
            .add_user_in(conn, &first, &last, &email, role, at)
            .await?;
        users.push((p.2, added.user_id));
    }
    let user = |email: &str| {
        users
            .iter()
            .find(|(e, _)| *e == email)
            .map(|(_, id)| *id)
            .ok_or_else(|| StorageError::internal("demo user missing"))
    };
    for (_, id) in &users {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        crate::accounts::accept_memberships(conn, *id, at).await?;
    }

    use PassIdKind::{Hidden, Visible};
    use PassMode::{Roaming, Whitelist};
    let company_car = logistics
        .add_pass_in(
            conn,
            user(JAN.2)?,
            &pass_id(Visible, "NL-TNM-012204-5")?,
            &nickname("Company car")?,
            Roaming,
            at,
        )
        .await?;
    logistics
        .set_pass_mode_in(conn, company_car, Whitelist, at)
        .await?;
    for (scope, holder, kind, id, name, mode) in [
        (
            &logistics,
            FATIMA.2,
            Hidden,
            "04A1B2C3D4E5F6",
            "Delivery van tag",
            Whitelist,
        ),
        (
            &kroon,
            KROON_DRIVER.2,
            Visible,
            "NL-TNM-B12345-7",
            "Lease car",
            Roaming,
        ),
        (
            &horeca,
            LOTTE.2,
            Hidden,
            "A1B2C3D4",
            "Bar manager tag",
            Whitelist,
        ),
        (
            &horeca,
            JAN.2,
            Visible,
            "NL-TNM-012204-5",
            "Company car",
            Roaming,
        ),
        (
            &hotel,
            EMMA.2,
            Visible,
            "DE-8AA-1A2B3C4D5-V",
            "Shuttle bus",
            Roaming,
        ),
        (
            &hotel,
            NOAH.2,
            Hidden,
            "04C3D2E1F0A9B8",
            "Night shift tag",
            Whitelist,
        ),
    ] {
        scope
            .add_pass_in(
                conn,
                user(holder)?,
                &pass_id(kind, id)?,
                &nickname(name)?,
                mode,
                at,
            )
            .await?;
    }

    // Stations with the published passwords of DEMO_STATIONS, so that the station simulator can connect as
    // them: one at the brewery that inherits the default (Whitelisting), one of its logistics department, and
    // one at the hotel that takes roaming cards as well.
    for ((scope, name, mode), (station, hash)) in [
        (&kroon, "Brewery yard", None),
        (&logistics, "Loading dock", None),
        (
            &hotel,
            "Hotel car park",
            Some(AccessMode::RoamingAndWhitelisting),
        ),
    ]
    .into_iter()
    .zip(DEMO_STATIONS.iter().zip(station_hashes))
    {
        add_demo_station(conn, scope, station.charge_point_id, name, hash, mode, at).await?;
    }

    // Tariffs for settled (roaming) sessions: the partner's for all its customers, and the hotel's car park
    // with a DC charger at a price of its own, with an idle fee after an hour.
    let partner_tariff = TariffSettings {
        currency: Currency::default(),
        start_fee: Money(50),
        per_kwh_ac: Price(3_500),
        per_kwh_dc: Price(5_900),
        per_hour_charging: Price(0),
        per_hour_idle: Price(0),
        idle_free_minutes: 0,
        max_per_session: None,
        vat_basis_points: 2_100,
    };
    crate::tariffs::store(conn, "org_id", partner.org.0, Some(&partner_tariff)).await?;
    let hotel_station: i64 =
        sqlx::query_scalar("SELECT id FROM stations WHERE charge_point_id = $1")
            .bind(DEMO_STATIONS[2].charge_point_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query("UPDATE stations SET current_kind = 'dc' WHERE id = $1")
        .bind(hotel_station)
        .execute(&mut *conn)
        .await?;
    let hotel_tariff = TariffSettings {
        per_kwh_dc: Price(6_900),
        per_hour_idle: Price(60_000),
        idle_free_minutes: 60,
        max_per_session: Some(Money(5_000)),
        ..partner_tariff
    };
    crate::tariffs::store(conn, "station_id", hotel_station, Some(&hotel_tariff)).await?;

    // Settlement: the partner credits the hotel €0.25 per settled kWh AC and €0.30 DC; the hotel's and the
    // partner's billing details. (De Kroon's stations only see whitelisted cards: no credit invoices.)
    sqlx::query("UPDATE organizations SET reimburse_ac = 2500, reimburse_dc = 3000 WHERE id = $1")
        .bind(hotel.org.0)
        .execute(&mut *conn)
        .await?;
    for (org, legal_name, address, postcode, city, vat) in [
        (
            partner.org,
            "Volta Partners B.V.",
            "Laadweg 10",
            "3511 AA",
            "Utrecht",
            "NL001234567B01",
        ),
        (
            hotel.org,
            "Hotel Zonneveld B.V.",
            "Zonneweg 5",
            "5911 CD",
            "Venlo",
            "NL009876543B01",
        ),
    ] {
        sqlx::query(
            "INSERT INTO billing_details (org_id, kind, legal_name, address_line, postcode, city, country, \
                                          vat_number, iban, updated_at) \
             VALUES ($1, 'company', $2, $3, $4, $5, 'NL', $6, 'NL91ABNA0417164300', $7)",
        )
        .bind(org.0)
        .bind(legal_name)
        .bind(address)
        .bind(postcode)
        .bind(city)
        .bind(vat)
        .bind(at.0)
        .execute(&mut *conn)
        .await?;
    }

    let login = |p: Person, description: &str| DemoLogin {
        email: p.2.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        description: description.to_owned(),
    };
    Ok(vec![
        login(
            PARTNER_ADMIN,
            "Partner administrator of Volta Partners: every customer organization",
        ),
        login(
            KROON_ADMIN,
            "Administrator of Brouwerij De Kroon and its sub-organizations",
        ),
        login(LOGISTICS_ADMIN, "Administrator of De Kroon Logistics only"),
        login(HOTEL_ADMIN, "Administrator of Hotel Zonneveld"),
        login(
            JAN,
            "Cardholder in De Kroon Logistics and De Kroon Horeca (sees own passes)",
        ),
        login(EMMA, "Cardholder at Hotel Zonneveld"),
    ])
}

/// A demo station logging in with the password behind `password_hash`, with its own access mode if `mode` is
/// set; audited like one added in the UI.
async fn add_demo_station(
    conn: &mut Conn,
    scope: &OrgAdmin,
    cp: &str,
    name: &str,
    password_hash: &str,
    mode: Option<AccessMode>,
    at: Timestamp,
) -> Result<(), StorageError> {
    let cp = valid(cp, ChargePointId::parse(cp))?;
    let name = valid(name, StationName::parse(name))?;
    sqlx::query(
        "INSERT INTO stations (org_id, charge_point_id, match_key, name, password_hash, access_mode, \
                               created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.org.0)
    .bind(cp.as_str())
    .bind(cp.match_key())
    .bind(name.as_str())
    .bind(password_hash)
    .bind(mode.map(AccessMode::as_str))
    .bind(at.0)
    .bind(scope.actor.user_id.map(|u| u.0))
    .execute(&mut *conn)
    .await?;
    let summary = format!(
        "Added station \"{}\" (charge point ID {}), logging in with a password{}",
        name.as_str(),
        cp.as_str(),
        mode.map(|m| format!(", access mode {}", m.label()))
            .unwrap_or_default()
    );
    audit::record(
        conn,
        scope.org,
        &scope.actor,
        AuditAction::StationAdded,
        &summary,
        at,
    )
    .await
}
