//! Authorization (`admin_of`), organizations, users, passes and the audit log.

mod common;

use common::*;
use shared::model::AuditAction;
use shared::pass_id::PassIdKind;
use shared::{OrgId, PassId, PassMode, Role, UserId};
use storage::{Caller, Db, StorageError};

/// partner ─┬─ a ─┬─ a1 ── a1x
///          │     └─ a2
///          └─ b
struct Tree {
    partner: OrgId,
    a: OrgId,
    a1: OrgId,
    a1x: OrgId,
    a2: OrgId,
    b: OrgId,
    partner_admin: Caller,
}

async fn tree(db: &Db) -> Tree {
    let (partner, partner_admin) = common::partner(db).await;
    let p = partner_admin.admin_of(db, partner).await.unwrap();
    let a = p
        .add_sub_organization(&org_name("Brouwerij A"))
        .await
        .unwrap();
    let b = p.add_sub_organization(&org_name("Hotel B")).await.unwrap();
    let scope_a = partner_admin.admin_of(db, a).await.unwrap();
    let a1 = scope_a
        .add_sub_organization(&org_name("A Logistics"))
        .await
        .unwrap();
    let a2 = scope_a
        .add_sub_organization(&org_name("A Horeca"))
        .await
        .unwrap();
    let a1x = partner_admin
        .admin_of(db, a1)
        .await
        .unwrap()
        .add_sub_organization(&org_name("A Logistics North"))
        .await
        .unwrap();
    Tree {
        partner,
        a,
        a1,
        a1x,
        a2,
        b,
        partner_admin,
    }
}

async fn joined(db: &Db, t: &Tree, org: OrgId, address: &str, role: Role) -> Caller {
    let scope = t.partner_admin.admin_of(db, org).await.unwrap();
    member(&scope, "Test", address, address, role).await;
    caller_for(db, address).await
}

async fn may(db: &Db, who: &Caller, org: OrgId) -> bool {
    match who.admin_of(db, org).await {
        Ok(scope) => {
            assert_eq!(scope.org_id(), org);
            true
        }
        Err(StorageError::NoAccess) => false,
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn admin_of_follows_the_organization_tree() {
    let (_dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a_admin = joined(&db, &t, t.a, "admin@a.example", Role::Administrator).await;
    let a1_admin = joined(&db, &t, t.a1, "admin@a1.example", Role::Administrator).await;
    let a_holder = joined(&db, &t, t.a, "holder@a.example", Role::Cardholder).await;
    let all = [t.partner, t.a, t.a1, t.a1x, t.a2, t.b];

    for org in all {
        assert!(
            may(&db, &t.partner_admin, org).await,
            "partner admin → {org}"
        );
        assert!(!may(&db, &a_holder, org).await, "cardholder → {org}");
    }
    for (org, expected) in [
        (t.partner, false),
        (t.a, true),
        (t.a1, true),
        (t.a1x, true),
        (t.a2, true),
        (t.b, false),
    ] {
        assert_eq!(
            may(&db, &a_admin, org).await,
            expected,
            "customer admin → {org}"
        );
    }
    for (org, expected) in [
        (t.partner, false),
        (t.a, false),
        (t.a1, true),
        (t.a1x, true),
        (t.a2, false),
        (t.b, false),
    ] {
        assert_eq!(
            may(&db, &a1_admin, org).await,
            expected,
            "sub-org admin → {org}"
        );
    }
    // An organization that does not exist gets exactly the same answer.
    for who in [&t.partner_admin, &a_admin, &a_holder] {
        assert!(matches!(
            who.admin_of(&db, OrgId(9_999)).await,
            Err(StorageError::NoAccess)
        ));
        assert!(matches!(
            who.admin_of(&db, OrgId(-1)).await,
            Err(StorageError::NoAccess)
        ));
    }
    // Home organizations.
    assert_eq!(
        t.partner_admin.me().home_org.as_ref().unwrap().id,
        t.partner
    );
    assert_eq!(a_admin.me().home_org.as_ref().unwrap().name, "Brouwerij A");
    assert!(a_holder.me().home_org.is_none());
}

#[tokio::test]
async fn context_shows_the_breadcrumb_from_the_callers_own_organization() {
    let (_dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a_admin = joined(&db, &t, t.a, "admin@a.example", Role::Administrator).await;

    let ctx = t
        .partner_admin
        .admin_of(&db, t.a1x)
        .await
        .unwrap()
        .context()
        .await
        .unwrap();
    assert_eq!((ctx.id, ctx.name.as_str()), (t.a1x, "A Logistics North"));
    let names: Vec<_> = ctx.path.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Volta Partners",
            "Brouwerij A",
            "A Logistics",
            "A Logistics North"
        ]
    );

    let ctx = a_admin
        .admin_of(&db, t.a1x)
        .await
        .unwrap()
        .context()
        .await
        .unwrap();
    let ids: Vec<_> = ctx.path.iter().map(|o| o.id).collect();
    assert_eq!(ids, [t.a, t.a1, t.a1x]);

    let ctx = a_admin
        .admin_of(&db, t.a)
        .await
        .unwrap()
        .context()
        .await
        .unwrap();
    assert_eq!(ctx.path.len(), 1);
}

#[tokio::test]
async fn sub_organizations_are_listed_with_counts_and_sibling_names_are_unique() {
    let (_dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a_scope = t.partner_admin.admin_of(&db, t.a).await.unwrap();
    let a1_scope = t.partner_admin.admin_of(&db, t.a1).await.unwrap();
    let holder = member(
        &a1_scope,
        "Jan",
        "Jansen",
        "jan@a.example",
        Role::Cardholder,
    )
    .await;
    member(
        &a1_scope,
        "Piet",
        "Pieters",
        "piet@a.example",
        Role::Cardholder,
    )
    .await;
    a1_scope
        .add_pass(
            holder,
            &visible("NL-TNM-012204-5"),
            &nick("Company car"),
            PassMode::Roaming,
        )
        .await
        .unwrap();

    let subs = a_scope.sub_organizations().await.unwrap();
    let rows: Vec<_> = subs
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.parent_id,
                s.sub_org_count,
                s.user_count,
                s.pass_count,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("A Horeca", Some(t.a), 0, 0, 0),
            ("A Logistics", Some(t.a), 1, 2, 1)
        ]
    );
    assert_eq!(subs[1].id, t.a1);

    let audit_before = a_scope.audit_log(100).await.unwrap().len();
    let err = a_scope
        .add_sub_organization(&org_name("a logistics"))
        .await
        .unwrap_err();
    match err {
        StorageError::Conflict { message } => assert!(message.contains("A Logistics"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(a_scope.audit_log(100).await.unwrap().len(), audit_before);
    // The same name elsewhere in the tree is fine.
    t.partner_admin
        .admin_of(&db, t.b)
        .await
        .unwrap()
        .add_sub_organization(&org_name("A Logistics"))
        .await
        .unwrap();
    let entry = &a_scope.audit_log(1).await.unwrap()[0];
    assert_eq!(entry.action, AuditAction::OrganizationAdded);
    assert_eq!(entry.summary, "Added sub-organization \"A Horeca\"");
    assert_eq!(entry.actor, "Paula Partner");
}

#[tokio::test]
async fn add_user_reuses_existing_accounts_and_refuses_duplicate_members() {
    let (_dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a = t.partner_admin.admin_of(&db, t.a).await.unwrap();
    let b = t.partner_admin.admin_of(&db, t.b).await.unwrap();

    let first = a
        .add_user(
            &person("Jan"),
            &person("Jansen"),
            &email("jan@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    assert!(!first.reused_existing_account);
    member(
        &a,
        "Anna",
        "Aalders",
        "anna@example.com",
        Role::Administrator,
    )
    .await;
    member(&a, "Zoë", "Aalders", "zoe@example.com", Role::Cardholder).await;

    // Same person in another organization, typed differently: the account is reused, its name kept.
    let again = b
        .add_user(
            &person("J."),
            &person("Jansen-Typo"),
            &email("JAN@example.com"),
            Role::Administrator,
        )
        .await
        .unwrap();
    assert!(again.reused_existing_account);
    assert_eq!(again.user_id, first.user_id);
    let in_b = b.users().await.unwrap();
    assert_eq!(in_b.len(), 1);
    assert_eq!(
        (
            in_b[0].first_name.as_str(),
            in_b[0].last_name.as_str(),
            in_b[0].role
        ),
        ("Jan", "Jansen", Role::Administrator)
    );
    assert_eq!(
        b.audit_log(1).await.unwrap()[0].summary,
        "Added existing account Jan Jansen (jan@example.com) as administrator"
    );

    // Already a member here: conflict, and nothing written.
    let audit_before = a.audit_log(100).await.unwrap().len();
    let err = a
        .add_user(
            &person("Jan"),
            &person("Jansen"),
            &email("jan@example.com"),
            Role::Administrator,
        )
        .await
        .unwrap_err();
    match err {
        StorageError::Conflict { message } => {
            assert!(message.contains("already a member"), "{message}");
            assert!(message.contains("Jan Jansen"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.audit_log(100).await.unwrap().len(), audit_before);

    // Sorted by last name, then first name.
    let users = a.users().await.unwrap();
    let names: Vec<_> = users.iter().map(|u| u.full_name()).collect();
    assert_eq!(names, ["Anna Aalders", "Zoë Aalders", "Jan Jansen"]);
    assert_eq!(users[2].role, Role::Cardholder);
    assert_eq!(users[2].email, "jan@example.com");
    let entry = &a.audit_log(100).await.unwrap()[2];
    assert_eq!(entry.action, AuditAction::UserAdded);
    assert_eq!(
        entry.summary,
        "Added Jan Jansen (jan@example.com) as cardholder"
    );

    // The reused account becomes an administrator of B and can work there.
    db.set_password(&email("jan@example.com"), &password(PASSWORD))
        .await
        .unwrap();
    let jan = db
        .caller(&login_token(&db, "jan@example.com").await)
        .await
        .unwrap()
        .unwrap();
    assert!(jan.admin_of(&db, t.b).await.is_ok());
    assert!(matches!(
        jan.admin_of(&db, t.a).await,
        Err(StorageError::NoAccess)
    ));
}

struct PassFixture {
    db: Db,
    _dir: tempfile::TempDir,
    t: Tree,
    jan: UserId,
    piet_in_b: UserId,
}

async fn pass_fixture() -> PassFixture {
    let (dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a = t.partner_admin.admin_of(&db, t.a).await.unwrap();
    let b = t.partner_admin.admin_of(&db, t.b).await.unwrap();
    let jan = member(&a, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    let piet_in_b = member(&b, "Piet", "Pieters", "piet@example.com", Role::Cardholder).await;
    PassFixture {
        db,
        _dir: dir,
        t,
        jan,
        piet_in_b,
    }
}

#[tokio::test]
async fn add_pass_lists_it_and_refuses_the_same_card_twice_in_one_organization() {
    let f = pass_fixture().await;
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    let id = a
        .add_pass(
            f.jan,
            &visible("NL-TNM-012204-5"),
            &nick("Company car"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    let passes = a.passes().await.unwrap();
    assert_eq!(passes.len(), 1);
    let p = &passes[0];
    assert_eq!(p.id, id);
    assert_eq!((p.org_id, p.user_id), (f.t.a, f.jan));
    assert_eq!(
        (p.user_name.as_str(), p.user_email.as_str()),
        ("Jan Jansen", "jan@example.com")
    );
    assert_eq!(
        (p.nickname.as_str(), p.id_kind, p.id_value.as_str()),
        ("Company car", PassIdKind::Visible, "NL-TNM-012204-5")
    );
    assert_eq!(p.contract_id_kind.as_deref(), Some("DIN SPEC 91286"));
    assert_eq!(p.mode, PassMode::Roaming);
    assert_eq!(p.created_by, "Paula Partner");
    let entry = &a.audit_log(1).await.unwrap()[0];
    assert_eq!(entry.action, AuditAction::PassAdded);
    assert_eq!(
        entry.summary,
        "Added pass \"Company car\" (Public Card ID NL-TNM-012204-5) for Jan Jansen as roaming"
    );
    let audit_before = a.audit_log(100).await.unwrap().len();

    // The same Public Card ID typed without hyphens and in lower case is the same card.
    for typed in ["NLTNM0122045", "nl-tnm-012204-5"] {
        let err = a
            .add_pass(f.jan, &visible(typed), &nick("Again"), PassMode::Whitelist)
            .await
            .unwrap_err();
        match err {
            StorageError::Conflict { message } => {
                assert!(message.contains("\"Company car\""), "{message}");
                assert!(message.contains("Jan Jansen"), "{message}");
            }
            other => panic!("{typed}: {other:?}"),
        }
    }
    // An EMAID with and without its optional check character is one card as well.
    a.add_pass(
        f.jan,
        &visible("NL-TNM-000122045-U"),
        &nick("Emaid"),
        PassMode::Roaming,
    )
    .await
    .unwrap();
    assert!(matches!(
        a.add_pass(
            f.jan,
            &visible("NL-TNM-000122045"),
            &nick("Emaid 2"),
            PassMode::Roaming
        )
        .await,
        Err(StorageError::Conflict { .. })
    ));
    // Hidden IDs, any case.
    a.add_pass(
        f.jan,
        &hidden("04A1B2C3D4E5F6"),
        &nick("Tag"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    assert!(matches!(
        a.add_pass(
            f.jan,
            &hidden("04a1b2c3d4e5f6"),
            &nick("Tag 2"),
            PassMode::Whitelist
        )
        .await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(a.audit_log(100).await.unwrap().len(), audit_before + 2);
    assert_eq!(a.passes().await.unwrap().len(), 3);
    // Newest first.
    assert_eq!(a.passes().await.unwrap()[0].nickname, "Tag");
    assert_eq!(a.passes().await.unwrap()[0].contract_id_kind, None);

    // The same card in another organization is fine.
    let b = f.t.partner_admin.admin_of(&f.db, f.t.b).await.unwrap();
    b.add_pass(
        f.piet_in_b,
        &visible("NLTNM0122045"),
        &nick("Hotel card"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    assert_eq!(b.passes().await.unwrap()[0].id_value, "NL-TNM-012204-5");
}

#[tokio::test]
async fn add_pass_only_for_members_of_this_organization() {
    let f = pass_fixture().await;
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    let a1 = f.t.partner_admin.admin_of(&f.db, f.t.a1).await.unwrap();
    for user in [f.piet_in_b, UserId(9_999)] {
        assert!(matches!(
            a.add_pass(user, &hidden("A1B2C3D4"), &nick("Tag"), PassMode::Whitelist)
                .await,
            Err(StorageError::NotFound { what: "user" })
        ));
    }
    // A member of the parent organization is not a member of the sub-organization.
    assert!(matches!(
        a1.add_pass(
            f.jan,
            &hidden("A1B2C3D4"),
            &nick("Tag"),
            PassMode::Whitelist
        )
        .await,
        Err(StorageError::NotFound { what: "user" })
    ));
    assert!(a.passes().await.unwrap().is_empty());
    assert!(a1.passes().await.unwrap().is_empty());
}

#[tokio::test]
async fn delete_pass_is_scoped_to_the_organization_and_the_card_can_be_added_again() {
    let f = pass_fixture().await;
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    let b = f.t.partner_admin.admin_of(&f.db, f.t.b).await.unwrap();
    let in_a = a
        .add_pass(
            f.jan,
            &visible("NL-TNM-012204-5"),
            &nick("Company car"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    let in_b = b
        .add_pass(
            f.piet_in_b,
            &hidden("A1B2C3D4"),
            &nick("Tag"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();

    // A's administrator scope cannot touch B's pass, nor a pass that does not exist.
    let audit_before = a.audit_log(100).await.unwrap().len();
    for pass in [in_b, PassId(9_999)] {
        assert!(matches!(
            a.delete_pass(pass).await,
            Err(StorageError::NotFound { what: "pass" })
        ));
    }
    assert_eq!(b.passes().await.unwrap().len(), 1);
    assert_eq!(a.audit_log(100).await.unwrap().len(), audit_before);

    a.delete_pass(in_a).await.unwrap();
    assert!(a.passes().await.unwrap().is_empty());
    let entry = &a.audit_log(1).await.unwrap()[0];
    assert_eq!(entry.action, AuditAction::PassDeleted);
    assert_eq!(
        entry.summary,
        "Deleted pass \"Company car\" (Public Card ID NL-TNM-012204-5) of Jan Jansen"
    );
    // Deleting again: it is no longer a live pass.
    assert!(matches!(
        a.delete_pass(in_a).await,
        Err(StorageError::NotFound { what: "pass" })
    ));
    // The deleted card can be registered again (a new pass).
    let again = a
        .add_pass(
            f.jan,
            &visible("NLTNM0122045"),
            &nick("Company car"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    assert_ne!(again, in_a);
    assert_eq!(a.passes().await.unwrap().len(), 1);
    assert_eq!(a.users().await.unwrap()[0].pass_count, 1);
}

#[tokio::test]
async fn set_pass_mode_changes_and_audits_only_real_changes() {
    let f = pass_fixture().await;
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    let b = f.t.partner_admin.admin_of(&f.db, f.t.b).await.unwrap();
    let pass = a
        .add_pass(
            f.jan,
            &hidden("04A1B2C3D4E5F6"),
            &nick("Tag"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    let count = || async { a.audit_log(100).await.unwrap().len() };
    let before = count().await;

    a.set_pass_mode(pass, PassMode::Whitelist).await.unwrap();
    assert_eq!(a.passes().await.unwrap()[0].mode, PassMode::Whitelist);
    assert_eq!(count().await, before + 1);
    let entry = &a.audit_log(1).await.unwrap()[0];
    assert_eq!(entry.action, AuditAction::PassModeChanged);
    assert_eq!(
        entry.summary,
        "Changed pass \"Tag\" (Hidden ID 04A1B2C3D4E5F6) of Jan Jansen from roaming to whitelist"
    );

    a.set_pass_mode(pass, PassMode::Whitelist).await.unwrap();
    assert_eq!(count().await, before + 1, "unchanged mode: no audit entry");

    // Another organization's scope: not found, unchanged.
    assert!(matches!(
        b.set_pass_mode(pass, PassMode::Roaming).await,
        Err(StorageError::NotFound { what: "pass" })
    ));
    assert_eq!(a.passes().await.unwrap()[0].mode, PassMode::Whitelist);
    // A deleted pass: not found.
    a.delete_pass(pass).await.unwrap();
    assert!(matches!(
        a.set_pass_mode(pass, PassMode::Roaming).await,
        Err(StorageError::NotFound { what: "pass" })
    ));
}

#[tokio::test]
async fn own_passes_span_organizations_and_audit_logs_stay_in_their_organization() {
    let f = pass_fixture().await;
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    let b = f.t.partner_admin.admin_of(&f.db, f.t.b).await.unwrap();
    // Jan joins B too.
    let reused = b
        .add_user(
            &person("Jan"),
            &person("Jansen"),
            &email("jan@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    assert_eq!(reused.user_id, f.jan);
    let first = a
        .add_pass(
            f.jan,
            &visible("NL-TNM-012204-5"),
            &nick("Company car"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    b.add_pass(
        f.jan,
        &hidden("A1B2C3D4"),
        &nick("Hotel tag"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    let gone = a
        .add_pass(
            f.jan,
            &hidden("04A1B2C3D4E5F6"),
            &nick("Old tag"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    a.delete_pass(gone).await.unwrap();
    b.add_pass(
        f.piet_in_b,
        &hidden("04C3D2E1F0A9B8"),
        &nick("Piet's"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();

    let jan = caller_for(&f.db, "jan@example.com").await;
    let own = jan.own_passes(&f.db).await.unwrap();
    let seen: Vec<_> = own
        .iter()
        .map(|p| (p.nickname.as_str(), p.org_id))
        .collect();
    assert_eq!(seen, [("Hotel tag", f.t.b), ("Company car", f.t.a)]);
    assert_eq!(own[1].id, first);
    // A cardholder administers nothing.
    assert!(matches!(
        jan.admin_of(&f.db, f.t.a).await,
        Err(StorageError::NoAccess)
    ));

    let a_log = a.audit_log(100).await.unwrap();
    assert!(a_log
        .iter()
        .all(|e| !e.summary.contains("Hotel tag") && !e.summary.contains("Piet")));
    let actions: Vec<_> = a_log.iter().map(|e| e.action).collect();
    assert_eq!(
        &actions[..4],
        [
            AuditAction::PassDeleted,
            AuditAction::PassAdded,
            AuditAction::PassAdded,
            AuditAction::UserAdded
        ]
    );
    assert!(a_log
        .windows(2)
        .all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)));
    assert_eq!(a.audit_log(2).await.unwrap().len(), 2);
    assert_eq!(
        a.audit_log(0).await.unwrap().len(),
        1,
        "limit is at least 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_of_one_card_give_one_pass_and_readable_conflicts() {
    let f = pass_fixture().await;
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let db = f.db.clone();
            let admin = f.t.partner_admin.clone();
            let (org, jan) = (f.t.a, f.jan);
            tokio::spawn(async move {
                let a = admin.admin_of(&db, org).await.unwrap();
                a.add_pass(
                    jan,
                    &hidden("04A1B2C3D4E5F6"),
                    &nick(&format!("Tag {i}")),
                    PassMode::Whitelist,
                )
                .await
            })
        })
        .collect();
    let mut added = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => added += 1,
            Err(StorageError::Conflict { message }) => {
                assert!(message.contains("\"Tag "), "{message}")
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(added, 1);
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    assert_eq!(a.passes().await.unwrap().len(), 1);
}
