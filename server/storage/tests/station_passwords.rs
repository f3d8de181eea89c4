//! Station passwords in the fast scheme (salted SHA-256, see `auth::STATION_HASH_SCHEME`): a new password is
//! stored in it, a station whose hash an earlier release made with argon2 still logs in and its hash moves to the
//! new scheme on that first log-in, without closing its connections; wrong passwords are refused either way.

mod common;

use common::*;
use shared::station::{ChargePointId, StationName, StationPassword};

const STATION_PASSWORD: &str = "s3cret-station-key";
const SCHEME: &str = "$cd-sha256$";

#[tokio::test]
async fn an_old_argon2_station_hash_still_logs_in_and_is_rewritten_in_the_fast_scheme() {
    let (test_db, db) = fresh_db().await;
    let (org, admin) = partner(&db).await;
    let scope = admin.admin_of(&db, org).await.unwrap();
    let station = scope
        .add_station(
            &ChargePointId::parse("CP-OLD").unwrap(),
            &StationName::parse("Old charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    let raw = test_db.raw().await;
    let stored = || async {
        sqlx::query_scalar::<_, String>("SELECT password_hash FROM stations WHERE id = $1")
            .bind(station.0)
            .fetch_one(&raw)
            .await
            .unwrap()
    };
    let fresh = stored().await;
    assert!(
        fresh.starts_with(SCHEME),
        "a new password gets the fast scheme"
    );
    assert!(!fresh.contains(STATION_PASSWORD));

    // As an earlier release stored it: argon2.
    let old = {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        argon2::Argon2::default()
            .hash_password(STATION_PASSWORD.as_bytes(), &salt)
            .unwrap()
            .to_string()
    };
    sqlx::query("UPDATE stations SET password_hash = $1 WHERE id = $2")
        .bind(&old)
        .bind(station.0)
        .execute(&raw)
        .await
        .unwrap();

    // Wrong passwords are refused and change nothing.
    for wrong in ["not-the-station-key", "", "S3CRET-STATION-KEY"] {
        let login = db.station_login("CP-OLD").await.unwrap().unwrap();
        assert!(!login.verify_password(wrong).await.unwrap(), "{wrong:?}");
        assert!(login.accept(&db).is_err(), "not let in");
    }
    assert_eq!(stored().await, old);

    // The right one logs in, and the stored hash is now the fast scheme's.
    let login = db.station_login("CP-OLD").await.unwrap().unwrap();
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    let connected = login.accept(&db).unwrap();
    let new = stored().await;
    assert!(new.starts_with(SCHEME), "{new}");
    // Same password: not a credentials change for the connection it let in.
    assert!(connected.credentials_unchanged().await);

    // The new hash logs in (and stays as it is); wrong passwords are still refused.
    let login = db.station_login("CP-OLD").await.unwrap().unwrap();
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    assert_eq!(stored().await, new);
    let login = db.station_login("CP-OLD").await.unwrap().unwrap();
    assert!(!login.verify_password("s3cret-station-kez").await.unwrap());

    // A new password set meanwhile is not overwritten by a log-in that checked the old argon2 hash.
    sqlx::query("UPDATE stations SET password_hash = $1 WHERE id = $2")
        .bind(&old)
        .bind(station.0)
        .execute(&raw)
        .await
        .unwrap();
    let late = db.station_login("CP-OLD").await.unwrap().unwrap();
    let replacement = StationPassword::parse("another-password-01").unwrap();
    scope
        .set_station_password(station, Some(&replacement))
        .await
        .unwrap();
    let replaced = stored().await;
    assert!(
        late.verify_password(STATION_PASSWORD).await.unwrap(),
        "checked against what it read"
    );
    assert_eq!(
        stored().await,
        replaced,
        "the administrator's new password stays"
    );
    let login = db.station_login("CP-OLD").await.unwrap().unwrap();
    assert!(!login.verify_password(STATION_PASSWORD).await.unwrap());
    assert!(login.verify_password(replacement.as_str()).await.unwrap());
}
