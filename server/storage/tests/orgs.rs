//! Authorization (`admin_of`), organizations, users, passes and the audit log.

mod common;

use common::*;
use shared::model::AuditAction;
use shared::pass_id::PassIdKind;
use shared::{MemberId, OrgId, PassId, PassMode, Role, UserId};
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
    _dir: TestDb,
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
    assert_eq!(p.org_id, f.t.a);
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

/// Adding sub-organizations of one name (regardless of case) at the same time: one is added, and the others get
/// the readable refusal naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sub_organizations_of_one_name_give_one_and_readable_conflicts() {
    let (_dir, db) = fresh_db().await;
    let (root, caller) = partner(&db).await;
    let tasks: Vec<_> = [
        "Customer A",
        "customer a",
        "CUSTOMER A",
        "Customer a",
        "customer A",
        "CUStomer A",
    ]
    .into_iter()
    .map(|name| {
        let (db, caller) = (db.clone(), caller.clone());
        tokio::spawn(async move {
            let p = caller.admin_of(&db, root).await.unwrap();
            p.add_sub_organization(&org_name(name)).await
        })
    })
    .collect();
    let mut added = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => added += 1,
            Err(StorageError::Conflict { message }) => assert!(
                message.starts_with("There is already a sub-organization named \""),
                "{message}"
            ),
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(added, 1);
}

/// Deleting one pass, and removing its holder, several times at once (two administrators, or two server
/// instances): each happens once, with one audit entry, and the others find nothing to delete or remove.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deletes_and_removals_happen_once() {
    let f = pass_fixture().await;
    let a = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    let pass = a
        .add_pass(
            f.jan,
            &hidden("04A1B2C3D4E5F6"),
            &nick("Tag"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    let deletes: Vec<_> = (0..6)
        .map(|_| {
            let (db, admin, org) = (f.db.clone(), f.t.partner_admin.clone(), f.t.a);
            tokio::spawn(async move {
                admin
                    .admin_of(&db, org)
                    .await
                    .unwrap()
                    .delete_pass(pass)
                    .await
            })
        })
        .collect();
    let mut deleted = 0;
    for task in deletes {
        match task.await.unwrap() {
            Ok(()) => deleted += 1,
            Err(StorageError::NotFound { what: "pass" }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(deleted, 1);

    let a2 = f.t.partner_admin.admin_of(&f.db, f.t.a).await.unwrap();
    a2.add_pass(
        f.jan,
        &hidden("04A1B2C3D4E5F7"),
        &nick("Second tag"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    let removals: Vec<_> = (0..6)
        .map(|_| {
            let (db, admin, org, jan) = (f.db.clone(), f.t.partner_admin.clone(), f.t.a, f.jan);
            tokio::spawn(async move {
                admin
                    .admin_of(&db, org)
                    .await
                    .unwrap()
                    .remove_user(jan)
                    .await
            })
        })
        .collect();
    let mut removed = 0;
    for task in removals {
        match task.await.unwrap() {
            Ok(()) => removed += 1,
            Err(StorageError::NotFound { what: "user" }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(removed, 1);
    let log = a.audit_log(100).await.unwrap();
    let count = |action| log.iter().filter(|e| e.action == action).count();
    assert_eq!(count(AuditAction::UserRemoved), 1, "{log:?}");
    assert_eq!(
        count(AuditAction::PassDeleted),
        2,
        "the first tag by hand, the second with the removal: {log:?}"
    );
}

/// A new e-mail address added in two organizations at the same time: one account, a member of both, as if the
/// account had existed before the second add (no refusal that would tell an account was just created).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_new_address_added_in_two_organizations_at_once_is_one_account_in_both() {
    let (_dir, db) = fresh_db().await;
    let (root, caller) = partner(&db).await;
    let p = caller.admin_of(&db, root).await.unwrap();
    let mut orgs = Vec::new();
    for name in ["Customer A", "Customer B", "Customer C", "Customer D"] {
        orgs.push(p.add_sub_organization(&org_name(name)).await.unwrap());
    }
    let tasks: Vec<_> = orgs
        .iter()
        .map(|&org| {
            let (db, caller) = (db.clone(), caller.clone());
            tokio::spawn(async move {
                let admin = caller.admin_of(&db, org).await.unwrap();
                admin
                    .add_user(
                        &person("Nina"),
                        &person("Nieuw"),
                        &email("nina@example.com"),
                        Role::Cardholder,
                    )
                    .await
                    .map(|added| added.user_id)
            })
        })
        .collect();
    let mut users = Vec::new();
    for task in tasks {
        users.push(task.await.unwrap().unwrap());
    }
    assert!(users.iter().all(|u| *u == users[0]), "{users:?}");
    for org in orgs {
        let admin = caller.admin_of(&db, org).await.unwrap();
        assert_eq!(
            admin
                .users()
                .await
                .unwrap()
                .iter()
                .filter(|u| u.email == "nina@example.com")
                .count(),
            1
        );
    }
}

/// Adding one person to one organization several times at once (two administrators, or two server instances):
/// one membership, one audit entry, and readable refusals for the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_of_one_person_give_one_membership_and_readable_conflicts() {
    let (_dir, db) = fresh_db().await;
    let (root, caller) = partner(&db).await;
    let p = caller.admin_of(&db, root).await.unwrap();
    let a = p
        .add_sub_organization(&org_name("Customer A"))
        .await
        .unwrap();
    let b = p
        .add_sub_organization(&org_name("Customer B"))
        .await
        .unwrap();
    // The account exists already (a member of B), so every add reuses it.
    let b_admin = caller.admin_of(&db, b).await.unwrap();
    member(
        &b_admin,
        "Jan",
        "Jansen",
        "jan@example.com",
        Role::Cardholder,
    )
    .await;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (db, caller) = (db.clone(), caller.clone());
            tokio::spawn(async move {
                let a = caller.admin_of(&db, a).await.unwrap();
                a.add_user(
                    &person("Jan"),
                    &person("Jansen"),
                    &email("jan@example.com"),
                    Role::Cardholder,
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
                assert!(message.contains("jan@example.com"), "{message}")
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(added, 1);
    let a = caller.admin_of(&db, a).await.unwrap();
    let users = a.users().await.unwrap();
    assert_eq!(
        users
            .iter()
            .filter(|u| u.email == "jan@example.com")
            .count(),
        1
    );
    let log = a.audit_log(100).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == AuditAction::UserAdded)
            .count(),
        1,
        "{log:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Tenant isolation: accounts shared across tenants, removing members, home organization, depth, decisions
// ---------------------------------------------------------------------------------------------------------------

/// A second partner, "Other Partners", with administrator pb@other.example, as a caller.
async fn other_partner(db: &Db) -> (OrgId, Caller) {
    let (org, _) = db
        .create_partner(
            &org_name("Other Partners"),
            &person("Bram"),
            &person("Bakker"),
            &email("pb@other.example"),
            &password(PASSWORD),
        )
        .await
        .expect("create the second partner");
    (org, caller_for(db, "pb@other.example").await)
}

/// Every text partner B is shown about its organization: users, passes, audit log.
async fn everything_shown(scope: &storage::OrgAdmin) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        scope.users().await.unwrap(),
        scope.passes().await.unwrap(),
        scope.audit_log(1000).await.unwrap()
    )
}

#[tokio::test]
async fn adding_another_tenants_account_looks_exactly_like_adding_a_new_person() {
    let (_dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a = t.partner_admin.admin_of(&db, t.a).await.unwrap();
    let anna = member(&a, "Anna", "Aalders", "anna@example.com", Role::Cardholder).await;
    let (other_root, other_admin) = other_partner(&db).await;
    let b = other_admin.admin_of(&db, other_root).await.unwrap();

    // Partner B adds partner A's cardholder by e-mail, under a name of its own, and a genuinely new person.
    let added = b
        .add_user(
            &person("Bogus"),
            &person("Visitor"),
            &email("Anna@Example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    let fresh = b
        .add_user(
            &person("Fresh"),
            &person("Person"),
            &email("fresh@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    // The outcome says "new", like the new person's.
    assert!(!added.reused_existing_account);
    assert!(!fresh.reused_existing_account);
    assert_eq!(added.user_id, anna, "one account per person all the same");
    // The audit entries have the same shape, with what B typed.
    let log = b.audit_log(2).await.unwrap();
    assert_eq!(
        log[1].summary,
        "Added Bogus Visitor (anna@example.com) as cardholder"
    );
    assert_eq!(
        log[0].summary,
        "Added Fresh Person (fresh@example.com) as cardholder"
    );
    assert_eq!(log[0].action, log[1].action);
    // B's Users list shows the name B entered.
    let users = b.users().await.unwrap();
    let names: Vec<(String, &str)> = users
        .iter()
        .map(|u| (u.full_name(), u.email.as_str()))
        .collect();
    assert!(
        names.contains(&("Bogus Visitor".into(), "anna@example.com")),
        "{names:?}"
    );

    // B gives her a pass; adding her again is refused, with B's name for her.
    let pass = b
        .add_pass(
            anna,
            &hidden("04AAAB11CD2345"),
            &nick("Visitor tag"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    assert_eq!(b.passes().await.unwrap()[0].user_name, "Bogus Visitor");
    let refused = b
        .add_user(
            &person("Other"),
            &person("Name"),
            &email("anna@example.com"),
            Role::Administrator,
        )
        .await
        .unwrap_err();
    let StorageError::Conflict { message } = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        message,
        "Bogus Visitor (anna@example.com) is already a member of this organization, as cardholder."
    );
    let err = b
        .add_pass(
            anna,
            &hidden("04AAAB11CD2345"),
            &nick("Again"),
            PassMode::Whitelist,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Bogus Visitor"), "{err}");

    // Inside B's own tree the account is B's to reuse openly, with the name B knows.
    let b_sub = b
        .add_sub_organization(&org_name("Other Customer"))
        .await
        .unwrap();
    let b_sub = other_admin.admin_of(&db, b_sub).await.unwrap();
    let inside = b_sub
        .add_user(
            &person("Typed"),
            &person("Differently"),
            &email("anna@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    assert!(inside.reused_existing_account);
    assert_eq!(b_sub.users().await.unwrap()[0].full_name(), "Bogus Visitor");
    assert_eq!(
        b_sub.audit_log(1).await.unwrap()[0].summary,
        "Added existing account Bogus Visitor (anna@example.com) as cardholder"
    );

    // A's stored name appears in nothing B is shown.
    for scope in [&b, &b_sub] {
        let shown = everything_shown(scope).await;
        assert!(!shown.contains("Aalders"), "{shown}");
        assert!(!shown.contains("Anna "), "{shown}");
    }
    assert!(!format!("{added:?}{inside:?}{pass:?}").contains("Aalders"));

    // A still knows her by her own name, and she keeps it herself.
    assert_eq!(a.users().await.unwrap()[0].full_name(), "Anna Aalders");
    let anna_caller = caller_for(&db, "anna@example.com").await;
    assert_eq!(anna_caller.me().first_name, "Anna");
    assert_eq!(anna_caller.me().last_name, "Aalders");
}

#[tokio::test]
async fn within_one_tree_an_existing_account_is_reused_openly() {
    let (_dir, db) = fresh_db().await;
    let t = tree(&db).await;
    let a1 = t.partner_admin.admin_of(&db, t.a1).await.unwrap();
    member(&a1, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    // A's administrator reaches A1: adding Jan to A2 reuses the account openly, with the name the tree knows.
    let a_admin = joined(&db, &t, t.a, "admin@a.example", Role::Administrator).await;
    let a2 = a_admin.admin_of(&db, t.a2).await.unwrap();
    let outcome = a2
        .add_user(
            &person("J."),
            &person("Jansen-Typed"),
            &email("jan@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    assert!(outcome.reused_existing_account);
    assert_eq!(a2.users().await.unwrap()[0].full_name(), "Jan Jansen");
    // B's administrator does not reach A1: the same e-mail in B looks new, with B's name.
    let b_admin = joined(&db, &t, t.b, "admin@b.example", Role::Administrator).await;
    let b = b_admin.admin_of(&db, t.b).await.unwrap();
    let outcome = b
        .add_user(
            &person("Johnny"),
            &person("B"),
            &email("jan@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    assert!(!outcome.reused_existing_account);
    let names: Vec<String> = b
        .users()
        .await
        .unwrap()
        .iter()
        .map(|u| u.full_name())
        .collect();
    assert!(names.contains(&"Johnny B".to_owned()), "{names:?}");
    assert!(!names.contains(&"Jan Jansen".to_owned()), "{names:?}");
}

#[tokio::test]
async fn the_home_organization_stays_when_someone_adds_the_user_elsewhere_later() {
    let (_dir, db) = fresh_db().await;
    // Partner A's root gets the lowest id; partner B's customer a higher one.
    let (root_a, partner_a) = common::partner(&db).await;
    let (root_b, partner_b) = other_partner(&db).await;
    let customer = partner_b
        .admin_of(&db, root_b)
        .await
        .unwrap()
        .add_sub_organization(&org_name("Zonneveld"))
        .await
        .unwrap();
    assert!(root_a.0 < customer.0);
    let scope = partner_b.admin_of(&db, customer).await.unwrap();
    member(
        &scope,
        "Zed",
        "Zonneveld",
        "zed@example.com",
        Role::Administrator,
    )
    .await;
    let zed = caller_for(&db, "zed@example.com").await;
    assert_eq!(zed.me().home_org.as_ref().map(|o| o.id), Some(customer));

    // Later, partner A makes Zed an administrator of its root (a lower id).
    let a = partner_a.admin_of(&db, root_a).await.unwrap();
    member(&a, "Zed", "Z", "zed@example.com", Role::Administrator).await;
    let zed = caller_for(&db, "zed@example.com").await;
    assert_eq!(
        zed.me().home_org.as_ref().map(|o| (o.id, o.name.as_str())),
        Some((customer, "Zonneveld")),
        "My organization is still the first one Zed administered"
    );
    assert!(zed.admin_of(&db, root_a).await.is_ok());
}

#[tokio::test]
async fn removing_a_member_deletes_their_passes_here_and_ends_their_access() {
    let f = pass_fixture().await;
    let db = &f.db;
    let a = f.t.partner_admin.admin_of(db, f.t.a).await.unwrap();
    let a2 = f.t.partner_admin.admin_of(db, f.t.a2).await.unwrap();
    // Jan holds two passes in A and one in A2, and administers A1.
    for (id, name) in [("04AAAB11CD2345", "Van"), ("NL-TNM-012204-5", "Car")] {
        let card = if id.starts_with("NL") {
            visible(id)
        } else {
            hidden(id)
        };
        a.add_pass(f.jan, &card, &nick(name), PassMode::Whitelist)
            .await
            .unwrap();
    }
    member(&a2, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    a2.add_pass(
        f.jan,
        &hidden("04CCCC11CD2345"),
        &nick("Other"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    let a_admin = joined(db, &f.t, f.t.a, "admin@a.example", Role::Administrator).await;
    let scope_a = a_admin.admin_of(db, f.t.a).await.unwrap();

    // An administrator cannot remove themself: a clear message, nothing changes.
    let audit_before = a.audit_log(1000).await.unwrap().len();
    let users_before = a.users().await.unwrap();
    let err = scope_a.remove_user(a_admin.user_id()).await.unwrap_err();
    let StorageError::Conflict { message } = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("cannot remove yourself"), "{message}");
    // Someone who is not a member here (B's Piet), or does not exist: NotFound, alike.
    for outsider in [f.piet_in_b, UserId(987_654)] {
        assert!(matches!(
            scope_a.remove_user(outsider).await,
            Err(StorageError::NotFound { what: "user" })
        ));
    }
    assert_eq!(a.users().await.unwrap(), users_before);
    assert_eq!(a.audit_log(1000).await.unwrap().len(), audit_before);

    // Removing Jan from A deletes his passes in A (audited like deleting a pass), not his pass in A2.
    scope_a.remove_user(f.jan).await.unwrap();
    let names: Vec<String> = a
        .users()
        .await
        .unwrap()
        .iter()
        .map(|u| u.full_name())
        .collect();
    assert!(!names.contains(&"Jan Jansen".to_owned()), "{names:?}");
    assert!(a.passes().await.unwrap().is_empty());
    assert_eq!(a2.passes().await.unwrap().len(), 1);
    let log = a.audit_log(3).await.unwrap();
    assert_eq!(log[0].action, AuditAction::UserRemoved);
    assert_eq!(
        log[0].summary,
        "Removed Jan Jansen (jan@example.com), cardholder, and deleted their 2 passes here"
    );
    assert_eq!(log[0].actor, "Test admin@a.example");
    for entry in &log[1..] {
        assert_eq!(entry.action, AuditAction::PassDeleted);
        assert!(
            entry
                .summary
                .ends_with("of Jan Jansen (removed from the organization)"),
            "{}",
            entry.summary
        );
    }
    let jan = caller_for(db, "jan@example.com").await;
    let own: Vec<String> = jan
        .own_passes(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.nickname)
        .collect();
    assert_eq!(own, ["Other"]);
    // Removing him again: he is no member here any more.
    assert!(matches!(
        scope_a.remove_user(f.jan).await,
        Err(StorageError::NotFound { what: "user" })
    ));
    // Nor can he be given a pass here.
    assert!(matches!(
        a.add_pass(
            f.jan,
            &hidden("04DDDD11CD2345"),
            &nick("Late"),
            PassMode::Whitelist
        )
        .await,
        Err(StorageError::NotFound { what: "user" })
    ));

    // He can be added again (the card too), now as an administrator.
    a.add_user(
        &person("Jan"),
        &person("Jansen"),
        &email("jan@example.com"),
        Role::Administrator,
    )
    .await
    .unwrap();
    let back = a.users().await.unwrap();
    let jan_row = back
        .iter()
        .find(|u| u.email == "jan@example.com")
        .expect("listed again");
    assert_eq!(a.member(jan_row.id).await.unwrap(), f.jan);
    assert_eq!((jan_row.role, jan_row.pass_count), (Role::Administrator, 0));
    a.add_pass(
        f.jan,
        &hidden("04AAAB11CD2345"),
        &nick("Van"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    let jan = caller_for(db, "jan@example.com").await;
    assert!(jan.admin_of(db, f.t.a).await.is_ok());

    // A removed administrator loses access at once, also in a session that was already open.
    let token = login_token(db, "jan@example.com").await;
    scope_a.remove_user(f.jan).await.unwrap();
    let jan = db
        .caller(&token)
        .await
        .unwrap()
        .expect("session still valid");
    assert!(matches!(
        jan.admin_of(db, f.t.a).await,
        Err(StorageError::NoAccess)
    ));
    assert!(matches!(
        jan.admin_of(db, f.t.a1).await,
        Err(StorageError::NoAccess)
    ));
    // A's tile no longer counts him.
    let tiles =
        f.t.partner_admin
            .admin_of(db, f.t.partner)
            .await
            .unwrap()
            .sub_organizations()
            .await
            .unwrap();
    let tile_a = tiles.iter().find(|o| o.id == f.t.a).unwrap();
    assert_eq!(tile_a.user_count, 1, "only A's administrator");
    assert_eq!(tile_a.pass_count, 0);
}

/// The [`MemberId`] of `address`'s live membership, as `scope`'s "Users" list names it.
async fn member_id_of(scope: &storage::OrgAdmin, address: &str) -> MemberId {
    scope
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == address)
        .unwrap_or_else(|| panic!("{address} listed"))
        .id
}

#[tokio::test]
async fn member_ids_resolve_only_to_live_members_of_their_own_organization() {
    let f = pass_fixture().await;
    let db = &f.db;
    let a = f.t.partner_admin.admin_of(db, f.t.a).await.unwrap();
    let a2 = f.t.partner_admin.admin_of(db, f.t.a2).await.unwrap();
    let b = f.t.partner_admin.admin_of(db, f.t.b).await.unwrap();
    member(&a2, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    let not_found =
        |r: Result<UserId, StorageError>| matches!(r, Err(StorageError::NotFound { what: "user" }));

    // A live member: the account. Member ids are per membership: Jan has another one in A2.
    let jan_in_a = member_id_of(&a, "jan@example.com").await;
    let jan_in_a2 = member_id_of(&a2, "jan@example.com").await;
    let piet_in_b = member_id_of(&b, "piet@example.com").await;
    assert_eq!(a.member(jan_in_a).await.unwrap(), f.jan);
    assert_eq!(a2.member(jan_in_a2).await.unwrap(), f.jan);
    assert_eq!(b.member(piet_in_b).await.unwrap(), f.piet_in_b);
    assert_ne!(jan_in_a, jan_in_a2);
    // Random, positive, below 2^53, and not the account ids.
    for id in [jan_in_a, jan_in_a2, piet_in_b] {
        assert!(id.0 > 0 && id.0 < 1 << 53, "{id}");
        assert!(id.0 != f.jan.0 && id.0 != f.piet_in_b.0, "{id}");
    }

    // Another organization's member id (even the same person's, even in a sub-organization), an account id
    // and a made-up id: all the same NotFound.
    assert!(not_found(a.member(piet_in_b).await));
    assert!(not_found(a.member(jan_in_a2).await));
    assert!(not_found(b.member(jan_in_a).await));
    assert!(not_found(a.member(MemberId(f.jan.0)).await));
    assert!(not_found(a.member(MemberId(123_456_789)).await));
    assert!(not_found(a.member(MemberId(-1)).await));

    // A removed member: NotFound; added again, a fresh member id, and the old one stays dead.
    a.remove_user(f.jan).await.unwrap();
    assert!(not_found(a.member(jan_in_a).await));
    assert_eq!(a2.member(jan_in_a2).await.unwrap(), f.jan, "A2 untouched");
    member(&a, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    let jan_again = member_id_of(&a, "jan@example.com").await;
    assert_ne!(jan_again, jan_in_a);
    assert_eq!(a.member(jan_again).await.unwrap(), f.jan);
    assert!(not_found(a.member(jan_in_a).await));
}

#[tokio::test]
async fn organizations_nest_at_most_max_org_depth_levels() {
    use shared::access::MAX_ORG_DEPTH;
    let (_dir, db) = fresh_db().await;
    let (root, admin) = common::partner(&db).await;
    // A chain from the partner (level 1) down to the deepest level allowed.
    let mut chain = vec![root];
    while chain.len() < MAX_ORG_DEPTH {
        let scope = admin.admin_of(&db, *chain.last().unwrap()).await.unwrap();
        let next = scope
            .add_sub_organization(&org_name(&format!("Level {}", chain.len() + 1)))
            .await
            .unwrap();
        chain.push(next);
    }
    let deepest = admin.admin_of(&db, *chain.last().unwrap()).await.unwrap();
    // Every tree query sees the whole chain: the breadcrumb from the root, and the partner reaches down.
    let context = deepest.context().await.unwrap();
    assert_eq!(context.path.len(), MAX_ORG_DEPTH);
    assert_eq!(context.path[0].id, root);
    // One level more is refused with a clear message, and nothing is written.
    let audit_before = deepest.audit_log(1000).await.unwrap().len();
    let err = deepest
        .add_sub_organization(&org_name("Too Deep"))
        .await
        .unwrap_err();
    let StorageError::Conflict { message } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        message,
        format!(
            "Organizations can be nested at most {MAX_ORG_DEPTH} levels deep; \"Level {MAX_ORG_DEPTH}\" is at \
             the deepest level and cannot have sub-organizations."
        )
    );
    assert!(deepest.sub_organizations().await.unwrap().is_empty());
    assert_eq!(deepest.audit_log(1000).await.unwrap().len(), audit_before);
    // One level up still may add a sibling of the deepest organization.
    let parent = admin.admin_of(&db, chain[MAX_ORG_DEPTH - 2]).await.unwrap();
    parent
        .add_sub_organization(&org_name("Sibling"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pass_decisions_name_an_ancestors_station_without_its_charge_point_id() {
    use shared::station::{ChargePointId, StationName, StationPassword};
    let f = pass_fixture().await;
    let db = &f.db;
    const KEY: &str = "s3cret-station-key-0001";
    // A station of A (the parent) and one of A1, where A1's whitelisted pass is used.
    let station_password = StationPassword::parse(KEY).unwrap();
    let a = f.t.partner_admin.admin_of(db, f.t.a).await.unwrap();
    a.add_station(
        &ChargePointId::parse("CP-PARENT-1").unwrap(),
        &StationName::parse("Brewery yard").unwrap(),
        Some(&station_password),
    )
    .await
    .unwrap();
    let a1_partner_scope = f.t.partner_admin.admin_of(db, f.t.a1).await.unwrap();
    a1_partner_scope
        .add_station(
            &ChargePointId::parse("CP-DEPOT-1").unwrap(),
            &StationName::parse("Depot").unwrap(),
            Some(&station_password),
        )
        .await
        .unwrap();
    let holder = member(
        &a1_partner_scope,
        "Dirk",
        "Depot",
        "dirk@example.com",
        Role::Cardholder,
    )
    .await;
    let pass = a1_partner_scope
        .add_pass(
            holder,
            &hidden("04EEEE11CD2345"),
            &nick("Depot van"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    for cp in ["CP-DEPOT-1", "CP-PARENT-1"] {
        let login = db.station_login(cp).await.unwrap().expect("registered");
        assert!(login.verify_password(KEY).await.unwrap());
        let station = login.accept(db).unwrap();
        let d = station.authorize("04EEEE11CD2345").await.unwrap();
        assert_eq!(d.pass, Some(pass), "{cp}: {d:?}");
    }

    // A1's own administrator: the parent's station by name only, their own with its charge point ID.
    let a1_admin = joined(db, &f.t, f.t.a1, "admin@a1.example", Role::Administrator).await;
    let seen = a1_admin
        .admin_of(db, f.t.a1)
        .await
        .unwrap()
        .pass_decisions(pass, 10)
        .await
        .unwrap();
    let shown: Vec<(&str, Option<&str>)> = seen
        .iter()
        .map(|d| (d.station_name.as_str(), d.charge_point_id.as_deref()))
        .collect();
    assert_eq!(
        shown,
        [("Brewery yard", None), ("Depot", Some("CP-DEPOT-1"))]
    );
    assert!(!format!("{seen:?}").contains("CP-PARENT-1"));
    // The partner administers A too and sees both IDs on the same pass.
    let from_above = a1_partner_scope.pass_decisions(pass, 10).await.unwrap();
    let ids: Vec<Option<&str>> = from_above
        .iter()
        .map(|d| d.charge_point_id.as_deref())
        .collect();
    assert_eq!(ids, [Some("CP-PARENT-1"), Some("CP-DEPOT-1")]);
}

#[tokio::test]
async fn migration_0007_gives_existing_memberships_distinct_random_member_ids() {
    use sqlx::migrate::Migrator;
    let test_db = TestDb::new().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(if test_db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        });
    let all = Migrator::new(path.as_path()).await.unwrap();
    let mut before = Migrator::new(path.as_path()).await.unwrap();
    before.migrations = all
        .migrations
        .iter()
        .filter(|m| m.version < 7)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    assert_eq!(before.migrations.len(), 6);
    let raw = test_db.raw().await;
    before.run(&raw).await.unwrap();
    // One organization with 50 members, the way 0001..0006 stored them.
    sqlx::query(
        "INSERT INTO organizations (id, parent_id, name, created_at) VALUES (1, NULL, 'Volta', 0)",
    )
    .execute(&raw)
    .await
    .unwrap();
    for i in 1..=50_i64 {
        sqlx::query(
            "INSERT INTO users (id, email, first_name, last_name, created_at) VALUES ($1, $2, 'A', 'B', 0)",
        )
        .bind(i)
        .bind(format!("u{i}@example.com"))
        .execute(&raw)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, 1, 'cardholder', 0)",
        )
        .bind(i)
        .execute(&raw)
        .await
        .unwrap();
    }
    raw.close().await;

    // Opening the database applies 0007.
    let _db = test_db.open().await;
    let raw = test_db.raw().await;
    let ids: Vec<Option<i64>> = sqlx::query_scalar("SELECT member_id FROM memberships")
        .fetch_all(&raw)
        .await
        .unwrap();
    assert_eq!(ids.len(), 50);
    let ids: std::collections::BTreeSet<i64> =
        ids.into_iter().map(|id| id.expect("filled")).collect();
    assert_eq!(ids.len(), 50, "distinct");
    assert!(ids.iter().all(|&id| id > 0 && id < 1 << 53), "{ids:?}");
    // The unique index refuses a duplicate.
    let any = *ids.iter().next().unwrap();
    sqlx::query("INSERT INTO users (id, email, first_name, last_name, created_at) VALUES (51, 'x@example.com', 'A', 'B', 0)")
        .execute(&raw)
        .await
        .unwrap();
    let dup = sqlx::query(
        "INSERT INTO memberships (user_id, org_id, role, created_at, member_id) VALUES (51, 1, 'cardholder', 0, $1)",
    )
    .bind(any)
    .execute(&raw)
    .await;
    assert!(dup.is_err(), "member ids are unique");
}

/// "Save" pressed twice at once (two instances on PostgreSQL run both requests side by side): a setting that only
/// changes when it differs is changed and recorded once. Here the other save's transaction has set the value and
/// not committed yet; this one waits for it, finds the value set and records nothing (the other transaction, a
/// stand-in, records nothing either, so every entry would be this one's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_saved_twice_at_once_is_recorded_once() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();
    let jan = member(&admin, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    let pass = admin
        .add_pass(
            jan,
            &hidden("04A1B2C3D4E5F6"),
            &nick("Tag"),
            PassMode::Roaming,
        )
        .await
        .unwrap();

    // A pass's mode.
    let other_save = format!("UPDATE passes SET mode = 'whitelist' WHERE id = {}", pass.0);
    let (admin, saved) = while_in_flight(&raw, &[&other_save], async move {
        let saved = admin.set_pass_mode(pass, PassMode::Whitelist).await;
        (admin, saved)
    })
    .await;
    saved.unwrap();
    assert_eq!(admin.passes().await.unwrap()[0].mode, PassMode::Whitelist);
    assert_eq!(audit_entries(&raw, "pass_mode_changed").await, 0);

    // The organization's two-factor requirement (turned off: turning it on needs the caller's own two-factor).
    sqlx::query("UPDATE organizations SET require_admin_2fa_at = $1 WHERE id = $2")
        .bind(storage::now().0)
        .bind(org.0)
        .execute(&raw)
        .await
        .unwrap();
    let other_save = format!(
        "UPDATE organizations SET require_admin_2fa_at = NULL WHERE id = {}",
        org.0
    );
    let (admin, saved) = while_in_flight(&raw, &[&other_save], async move {
        let saved = admin.set_two_factor_requirement(false).await;
        (admin, saved)
    })
    .await;
    saved.unwrap();
    assert!(!admin.two_factor_requirement().await.unwrap().required_here);
    assert_eq!(
        audit_entries(&raw, "two_factor_requirement_changed").await,
        0
    );
}

/// A pass added while its holder is being removed from the organization (two administrators, or two instances on
/// PostgreSQL, at the same moment) never outlives the membership: added while the removal's transaction is in
/// flight, it waits and finds no member; added first (its transaction in flight when the removal starts), the
/// removal waits for it and deletes it with the holder's other passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_added_while_its_holder_is_removed_does_not_outlive_the_membership() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();
    let live_passes = |address: &'static str| {
        let raw = raw.clone();
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM passes p JOIN users u ON u.id = p.user_id \
                 WHERE u.email = $1 AND p.deleted_at IS NULL",
            )
            .bind(address)
            .fetch_one(&raw)
            .await
            .unwrap();
            n
        }
    };

    // The removal first.
    let jan = member(&admin, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await;
    let removal = format!(
        "UPDATE memberships SET removed_at = {} WHERE org_id = {} AND user_id = {}",
        storage::now().0,
        org.0,
        jan.0
    );
    let (admin, added) = while_in_flight(&raw, &[&removal], async move {
        let added = admin
            .add_pass(
                jan,
                &hidden("04A1B2C3D4E5F6"),
                &nick("Tag"),
                PassMode::Whitelist,
            )
            .await;
        (admin, added)
    })
    .await;
    assert!(
        matches!(added, Err(StorageError::NotFound { what: "user" })),
        "{added:?}"
    );
    assert_eq!(live_passes("jan@example.com").await, 0);

    // The pass first: what adding it does (its membership locked, the pass inserted), not committed yet.
    let eva = member(&admin, "Eva", "Evers", "eva@example.com", Role::Cardholder).await;
    let card = hidden("04B1B2C3D4E5F6");
    let lock = format!(
        "UPDATE memberships SET removed_at = removed_at WHERE org_id = {} AND user_id = {}",
        org.0, eva.0
    );
    let insert = format!(
        "INSERT INTO passes (org_id, user_id, id_kind, id_value, match_key, nickname, mode, created_at, \
                             created_by) \
         VALUES ({}, {}, 'hidden', '{}', '{}', 'Tag', 'whitelist', {}, \
                 (SELECT id FROM users WHERE email = 'pa@volta.example'))",
        org.0,
        eva.0,
        card.as_str(),
        card.match_key(),
        storage::now().0
    );
    let (admin, removed) = while_in_flight(&raw, &[&lock, &insert], async move {
        let removed = admin.remove_user(eva).await;
        (admin, removed)
    })
    .await;
    removed.unwrap();
    assert_eq!(live_passes("eva@example.com").await, 0);
    assert!(admin.audit_log(1).await.unwrap()[0]
        .summary
        .ends_with("and deleted their pass here"));
}
