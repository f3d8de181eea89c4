//! Case rules are the same on SQLite and PostgreSQL (issue #8), defined as SQLite's: `lower()` folds ASCII
//! letters only and text sorts by its bytes. So "Überland" and "überland" are two names, "ALPHA" and "Alpha" one,
//! and lists sorted by name come out in one order on both databases (PostgreSQL gets there with the "C"
//! collation of migration 0012: under a UTF-8 locale its `lower()` folds 'Ü' to 'ü').

mod common;

use common::*;
use shared::station::{ChargePointId, StationName};
use shared::Role;
use storage::{LoginOutcome, StorageError};

/// Sub-organization names of the tests, in the order every list sorted by name shows them: by the bytes of the
/// name with its ASCII letters lower-cased ("alpha" < "zeta" < "Überland" (C3 9C) < "ångström" (C3 A5) <
/// "überland" (C3 BC)).
const SORTED_ORG_NAMES: [&str; 5] = ["Alpha", "Zeta", "Überland", "ångström", "überland"];

#[tokio::test]
async fn sibling_names_differing_only_in_non_ascii_case_are_distinct_and_sorted_by_bytes() {
    let (test_db, db) = fresh_db().await;
    let (partner_org, paula) = partner(&db).await;
    let scope = paula.admin_of(&db, partner_org).await.unwrap();
    for name in ["Zeta", "ångström", "Alpha", "Überland", "überland"] {
        scope
            .add_sub_organization(&org_name(name))
            .await
            .unwrap_or_else(|e| panic!("adding {name:?}: {e:?}"));
    }
    // ASCII letters still fold: "ALPHA" is "Alpha", and "ÜBERLAND" ('Ü' kept, "BERLAND" folded) is "Überland".
    for (name, existing) in [("ALPHA", "Alpha"), ("ÜBERLAND", "Überland")] {
        match scope.add_sub_organization(&org_name(name)).await {
            Err(StorageError::Conflict { message }) => assert!(
                message.contains(&format!("\"{existing}\"")),
                "{name}: {message}"
            ),
            other => panic!("{name}: expected a conflict, got {other:?}"),
        }
    }
    let names: Vec<String> = scope
        .sub_organizations()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, SORTED_ORG_NAMES);

    // The unique index itself (which decides between concurrent writers) follows the same rule.
    let raw = test_db.raw().await;
    let insert = "INSERT INTO organizations (parent_id, name, created_at) VALUES ($1, $2, 0)";
    for duplicate in ["aLPHA", "ÜberLAND"] {
        let refused = sqlx::query(insert)
            .bind(partner_org.0)
            .bind(duplicate)
            .execute(&raw)
            .await;
        assert!(refused.is_err(), "{duplicate} was inserted beside its twin");
    }
    sqlx::query(insert)
        .bind(partner_org.0)
        .bind("ÅNGSTRÖM")
        .execute(&raw)
        .await
        .expect("\"ÅNGSTRÖM\" differs from \"ångström\" beyond ASCII case");
}

#[tokio::test]
async fn an_accounts_organizations_and_the_station_list_sort_names_by_bytes() {
    let (_test_db, db) = fresh_db().await;
    let (partner_org, paula) = partner(&db).await;
    let partner_scope = paula.admin_of(&db, partner_org).await.unwrap();
    let mut orgs = Vec::new();
    for name in ["Zeta", "ångström", "Alpha", "Überland", "überland"] {
        let org = partner_scope
            .add_sub_organization(&org_name(name))
            .await
            .unwrap();
        let scope = paula.admin_of(&db, org).await.unwrap();
        member(&scope, "Mia", "Multi", "mia@example.com", Role::Cardholder).await;
        orgs.push((name, org));
    }

    // "My account": the organizations of one person, by name.
    let mia = caller_for(&db, "mia@example.com").await;
    let names: Vec<String> = mia
        .organizations(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.org.name)
        .collect();
    assert_eq!(names, SORTED_ORG_NAMES);

    // Stations: the organization's own by station name, then its sub-organizations' by organization name.
    for (cp, name) in [
        ("OWN-1", "Zuid"),
        ("OWN-2", "ångström-lader"),
        ("OWN-3", "Alpha"),
        ("OWN-4", "Überdach"),
        ("OWN-5", "überdach"),
    ] {
        partner_scope
            .add_station(
                &ChargePointId::parse(cp).unwrap(),
                &StationName::parse(name).unwrap(),
                None,
            )
            .await
            .unwrap();
    }
    for (i, (org_name, org)) in orgs.iter().enumerate() {
        paula
            .admin_of(&db, *org)
            .await
            .unwrap()
            .add_station(
                &ChargePointId::parse(&format!("SUB-{i}")).unwrap(),
                &StationName::parse(&format!("Station of {org_name}")).unwrap(),
                None,
            )
            .await
            .unwrap();
    }
    let listed: Vec<(String, String)> = partner_scope
        .stations()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.org_name, s.name))
        .collect();
    let mut expected: Vec<(String, String)> =
        ["Alpha", "Zuid", "Überdach", "ångström-lader", "überdach"]
            .iter()
            .map(|name| ("Volta Partners".to_owned(), (*name).to_owned()))
            .collect();
    expected.extend(
        SORTED_ORG_NAMES
            .iter()
            .map(|org| ((*org).to_owned(), format!("Station of {org}"))),
    );
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn members_are_sorted_by_last_name_bytes_with_ascii_case_folded() {
    let (_test_db, db) = fresh_db().await;
    let (partner_org, paula) = partner(&db).await;
    let org = paula
        .admin_of(&db, partner_org)
        .await
        .unwrap()
        .add_sub_organization(&org_name("Team"))
        .await
        .unwrap();
    let scope = paula.admin_of(&db, org).await.unwrap();
    for (first, last, address) in [
        ("Zora", "Zeller", "zora@example.com"),
        ("Olav", "Ödegaard", "olav@example.com"),
        ("Otto", "öberg", "otto@example.com"),
        ("Anna", "aalders", "anna@example.com"),
        ("Émile", "Aalders", "emile@example.com"),
        ("bert", "Aalders", "bert@example.com"),
    ] {
        member(&scope, first, last, address, Role::Cardholder).await;
    }
    let names: Vec<(String, String)> = scope
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.last_name, u.first_name))
        .collect();
    // "aalders" < "zeller" < "Ödegaard" (C3 96) < "öberg" (C3 B6); first names likewise: "anna" < "bert" <
    // "Émile" (C3 89).
    let expected = [
        ("aalders", "Anna"),
        ("Aalders", "bert"),
        ("Aalders", "Émile"),
        ("Zeller", "Zora"),
        ("Ödegaard", "Olav"),
        ("öberg", "Otto"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(last, first)| ((*last).to_owned(), (*first).to_owned()))
        .collect();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn e_mail_lookups_ignore_case() {
    let (test_db, db) = fresh_db().await;
    let (partner_org, paula) = partner(&db).await;
    let scope = paula.admin_of(&db, partner_org).await.unwrap();
    let jan = member(&scope, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    let ulla = member(&scope, "Ülla", "Ur", "Ülla@Example.com", Role::Cardholder).await;

    // Setting a password and logging in, typed in another case (ASCII and not).
    db.set_password(&email("JAN@Example.COM"), &password(PASSWORD))
        .await
        .unwrap();
    db.set_password(&email("ÜLLA@EXAMPLE.COM"), &password(PASSWORD))
        .await
        .unwrap();
    for (address, who) in [("Jan@EXAMPLE.com", jan), ("üLLA@example.COM", ulla)] {
        match db.login(address, PASSWORD).await.unwrap() {
            LoginOutcome::LoggedIn { session_token, .. } => {
                let caller = db.caller(&session_token).await.unwrap().unwrap();
                assert_eq!(caller.user_id(), who, "{address}");
            }
            other => panic!("{address}: {other:?}"),
        }
    }

    // Adding the same address in another case reuses the account.
    let other = paula
        .admin_of(&db, partner_org)
        .await
        .unwrap()
        .add_sub_organization(&org_name("Other"))
        .await
        .unwrap();
    let other_scope = paula.admin_of(&db, other).await.unwrap();
    let again = member(
        &other_scope,
        "J.",
        "J.",
        "JAN@EXAMPLE.COM",
        Role::Cardholder,
    )
    .await;
    assert_eq!(again, jan);

    // The unique index on the address refuses a second account of the same address in another ASCII case.
    let refused = sqlx::query(
        "INSERT INTO users (email, first_name, last_name, created_at) VALUES ($1, 'X', 'Y', 0)",
    )
    .bind("JAN@example.com")
    .execute(&test_db.raw().await)
    .await;
    assert!(refused.is_err(), "a second account for jan@example.com");
}
