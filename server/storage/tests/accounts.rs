//! Accounts people can use: invitations (and their status in "Users"), resending and revoking them, the
//! single-use links that set a password (every way one can fail), "Forgot your password?", and "My account".

mod common;

use common::*;
use shared::model::{AccountLinkPurpose, AuditAction, MemberStatus, UserSummary};
use shared::time::Timestamp;
use shared::{OrgId, Role, UserId};
use storage::{
    now, Caller, Db, LinkPasswordOutcome, LoginOutcome, OrgAdmin, OutboxMessage, PasswordChange,
    INVITATION_VALIDITY_MS, RESET_VALIDITY_MS,
};

const PUBLIC_URL: &str = "https://csms.example.com";

/// A database whose mails link to [`PUBLIC_URL`], with the partner and a customer organization below it.
async fn setup() -> (TestDb, Db, Caller, OrgAdmin) {
    let (dir, db) = fresh_db().await;
    let (db, partner, customer) = setup_on(db).await;
    (dir, db, partner, customer)
}

/// [`setup`] on a database the test opened itself (to look at it with a raw connection too).
async fn setup_on(db: Db) -> (Db, Caller, OrgAdmin) {
    let db = db.with_public_url(PUBLIC_URL);
    let (root, partner) = partner(&db).await;
    let root = partner.admin_of(&db, root).await.unwrap();
    let customer = root
        .add_sub_organization(&org_name("Customer A"))
        .await
        .unwrap();
    let customer = partner.admin_of(&db, customer).await.unwrap();
    (db, partner, customer)
}

/// The newest messages to `address`, newest first.
async fn mails_to(db: &Db, address: &str) -> Vec<OutboxMessage> {
    db.outbox(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == address)
        .collect()
}

/// The token of the set-password link in `mail`, checking that the link starts with the public URL.
fn token_in(mail: &OutboxMessage) -> String {
    let prefix = format!("{PUBLIC_URL}/set-password#token=");
    let start = mail
        .body_text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link in {:?}", mail.body_text))
        + prefix.len();
    let token: String = mail.body_text[start..].chars().take(64).collect();
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()) && token.len() == 64);
    assert!(mail.body_html.contains(&format!("{prefix}{token}")));
    token
}

/// The token of the newest link mailed to `address`.
async fn newest_token(db: &Db, address: &str) -> String {
    token_in(&mails_to(db, address).await[0])
}

async fn listed(scope: &OrgAdmin, address: &str, at: Timestamp) -> UserSummary {
    scope
        .users_at(at)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == address)
        .expect("listed")
}

fn later(ms: i64) -> Timestamp {
    Timestamp(now().0 + ms)
}

fn new_password() -> shared::names::Password {
    password("a brand new password")
}

/// Adds Jan Jansen (jan@example.com) as a cardholder of `scope`: the person most tests invite.
async fn add_jan(scope: &OrgAdmin) -> UserId {
    member(scope, "Jan", "Jansen", "jan@example.com", Role::Cardholder).await
}

/// Adds Jan (see [`add_jan`]) and asks for a password reset for him: the tokens of his invitation and of his
/// reset link, both open.
async fn jan_with_invitation_and_reset(db: &Db, scope: &OrgAdmin) -> (String, String) {
    add_jan(scope).await;
    let invitation = newest_token(db, "jan@example.com").await;
    db.request_password_reset(&email("jan@example.com"))
        .await
        .unwrap();
    let reset = newest_token(db, "jan@example.com").await;
    (invitation, reset)
}

/// Sets [`new_password`] with the link behind `token`: what that answers.
async fn set_new_password(db: &Db, token: &str) -> LinkPasswordOutcome {
    db.set_password_with_link(token, &new_password())
        .await
        .unwrap()
}

/// The status `scope`'s "Users" list shows now for `address`.
async fn status_now(scope: &OrgAdmin, address: &str) -> MemberStatus {
    listed(scope, address, now()).await.status
}

/// Sets [`new_password`] with the link behind `token` and returns the session it logs in with, failing the test
/// on any other outcome.
async fn logged_in_by_link(db: &Db, token: &str) -> String {
    match set_new_password(db, token).await {
        LinkPasswordOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("not logged in: {other:?}"),
    }
}

/// Two partners that share nothing but one person: partner A's customer has the active cardholder Anna
/// (anna@example.com, who set "annas own password" with her invitation link), and partner B "Other Partners" has
/// the administrator Bob Other (bob@other.example, logged in).
struct TwoPartners {
    _dir: TestDb,
    db: Db,
    /// The invitation link Anna used (used up).
    anna_link: String,
    /// Bob's scope over partner B's root organization.
    b: OrgAdmin,
}

async fn two_partners() -> TwoPartners {
    let (_dir, db, _partner_a, customer_a) = setup().await;
    member(
        &customer_a,
        "Anna",
        "Aalders",
        "anna@example.com",
        Role::Cardholder,
    )
    .await;
    let anna_link = newest_token(&db, "anna@example.com").await;
    db.set_password_with_link(&anna_link, &password("annas own password"))
        .await
        .unwrap();
    let (b_root, _) = db
        .create_partner(
            &org_name("Other Partners"),
            &person("Bob"),
            &person("Other"),
            &email("bob@other.example"),
            &password(PASSWORD),
        )
        .await
        .unwrap();
    let bob = caller_for(&db, "bob@other.example").await;
    let b = bob.admin_of(&db, b_root).await.unwrap();
    TwoPartners {
        _dir,
        db,
        anna_link,
        b,
    }
}

async fn logs_in(db: &Db, address: &str, pw: &str) -> bool {
    matches!(
        db.login(address, pw).await.unwrap(),
        LoginOutcome::LoggedIn { .. }
    )
}

#[tokio::test]
async fn an_invitation_sets_the_password_once_and_logs_in() {
    let (_dir, db, _partner, customer) = setup().await;
    let before = now();
    let jan = add_jan(&customer).await;

    // One invitation, in the seed's tone, with a link to the public URL.
    let mails = mails_to(&db, "jan@example.com").await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.kind, "invitation");
    assert!(
        mail.body_text.starts_with("Hello Jan,"),
        "{}",
        mail.body_text
    );
    assert!(
        mail.body_text
            .contains("Paula Partner added you to Customer A in ChargeDesk as a cardholder."),
        "{}",
        mail.body_text
    );
    assert!(mail
        .body_text
        .contains("The link works once and expires in 7 days."));
    let token = token_in(mail);

    // "Invited" for 7 days.
    let status = status_now(&customer, "jan@example.com").await;
    let MemberStatus::Invited { expires_at } = status else {
        panic!("{status:?}")
    };
    assert!(expires_at.0 >= before.0 + INVITATION_VALIDITY_MS);
    assert!(expires_at.0 <= now().0 + INVITATION_VALIDITY_MS);

    let info = db.account_link(&token).await.unwrap().expect("usable");
    assert_eq!(info.purpose, AccountLinkPurpose::Invitation);
    assert_eq!(
        (info.first_name.as_str(), info.email.as_str()),
        ("Jan", "jan@example.com")
    );
    assert!(!logs_in(&db, "jan@example.com", "a brand new password").await);

    let session_token = logged_in_by_link(&db, &token).await;
    let caller = db.caller(&session_token).await.unwrap().expect("session");
    assert_eq!(caller.user_id(), jan);
    assert!(logs_in(&db, "jan@example.com", "a brand new password").await);
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Active
    );
    // No further mail for accepting an invitation.
    assert_eq!(mails_to(&db, "jan@example.com").await.len(), 1);

    // The link worked once.
    assert_eq!(db.account_link(&token).await.unwrap(), None);
    assert_eq!(
        db.set_password_with_link(&token, &password("yet another password"))
            .await
            .unwrap(),
        LinkPasswordOutcome::InvalidLink
    );
    assert!(logs_in(&db, "jan@example.com", "a brand new password").await);
}

/// A link that another request is using (its transaction has marked the link used but not committed yet) does
/// not work a second time: the next request waits for that transaction and finds the link used, on PostgreSQL
/// (whose writers run side by side) as on SQLite (one writer at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_a_request_in_flight_uses_is_refused_to_the_next() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await.with_public_url(PUBLIC_URL);
    let (root, partner) = partner(&db).await;
    let root = partner.admin_of(&db, root).await.unwrap();
    add_jan(&root).await;
    let token = newest_token(&db, "jan@example.com").await;

    // The other request's transaction: Jan's link marked used, not committed yet.
    let raw = test_db.raw().await;
    let mut other = raw.begin().await.unwrap();
    sqlx::query(
        "UPDATE account_tokens SET used_at = $1 \
         WHERE user_id = (SELECT id FROM users WHERE email = 'jan@example.com')",
    )
    .bind(now().0)
    .execute(&mut *other)
    .await
    .unwrap();
    let request = tokio::spawn({
        let (db, token) = (db.clone(), token.clone());
        async move {
            db.set_password_with_link(&token, &password("a second password"))
                .await
                .unwrap()
        }
    });
    // Time for the request to find the link usable (the other transaction is not committed), hash the password
    // and reach the link inside its own transaction; should it get there later, it finds the link used all the
    // same.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.commit().await.unwrap();
    assert_eq!(request.await.unwrap(), LinkPasswordOutcome::InvalidLink);
    assert!(!logs_in(&db, "jan@example.com", "a second password").await);
}

#[tokio::test]
async fn an_administrators_invitation_says_so() {
    let (_dir, db, _partner, customer) = setup().await;
    member(
        &customer,
        "Ada",
        "Admin",
        "ada@example.com",
        Role::Administrator,
    )
    .await;
    let mail = &mails_to(&db, "ada@example.com").await[0];
    assert!(mail.body_text.contains("as an administrator."));
    assert!(mail.subject.contains("Customer A"), "{}", mail.subject);
}

#[tokio::test]
async fn an_expired_invitation_does_nothing_and_reads_invitation_expired() {
    let (_dir, db, _partner, customer) = setup().await;
    add_jan(&customer).await;
    let token = newest_token(&db, "jan@example.com").await;
    let expired = later(INVITATION_VALIDITY_MS + 1000);
    assert_eq!(db.account_link_at(&token, expired).await.unwrap(), None);
    assert_eq!(
        db.set_password_with_link_at(&token, &new_password(), expired)
            .await
            .unwrap(),
        LinkPasswordOutcome::InvalidLink
    );
    assert!(!logs_in(&db, "jan@example.com", "a brand new password").await);
    assert_eq!(
        listed(&customer, "jan@example.com", expired).await.status,
        MemberStatus::InvitationExpired
    );
    // Still usable just before it expires.
    assert!(db
        .account_link_at(&token, later(INVITATION_VALIDITY_MS - 60_000))
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn resending_replaces_the_link_and_revoking_stops_it() {
    let (_dir, db, _partner, customer) = setup().await;
    let jan = add_jan(&customer).await;
    let first = newest_token(&db, "jan@example.com").await;

    customer.resend_invitation(jan).await.unwrap();
    let second = newest_token(&db, "jan@example.com").await;
    assert_ne!(first, second);
    assert_eq!(
        db.account_link(&first).await.unwrap(),
        None,
        "old link dead"
    );
    assert!(db.account_link(&second).await.unwrap().is_some());
    assert!(matches!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Invited { .. }
    ));

    customer.revoke_invitation(jan).await.unwrap();
    assert_eq!(db.account_link(&second).await.unwrap(), None, "revoked");
    assert_eq!(
        set_new_password(&db, &second).await,
        LinkPasswordOutcome::InvalidLink
    );
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::InvitationExpired
    );
    let audit = customer.audit_log(10).await.unwrap();
    let actions: Vec<AuditAction> = audit.iter().map(|e| e.action).collect();
    assert_eq!(
        actions[..2],
        [
            AuditAction::InvitationRevoked,
            AuditAction::InvitationResent
        ]
    );
    assert_eq!(
        audit[0].summary,
        "Revoked the invitation of Jan Jansen (jan@example.com)"
    );

    // After a revocation, a resend invites again; once active there is nothing to resend or revoke.
    customer.resend_invitation(jan).await.unwrap();
    let third = newest_token(&db, "jan@example.com").await;
    assert!(matches!(
        set_new_password(&db, &third).await,
        LinkPasswordOutcome::LoggedIn { .. }
    ));
    for refused in [
        customer.resend_invitation(jan).await,
        customer.revoke_invitation(jan).await,
    ] {
        assert!(
            matches!(refused, Err(storage::StorageError::Conflict { .. })),
            "{refused:?}"
        );
    }
}

/// Resending or revoking an invitation while it is being accepted, by its link (which sets the password, uses
/// the link and accepts the membership) or by a log-in (which accepts the membership), in another request's
/// transaction that has not committed yet: the administrator's request waits for it and finds Jan active, so it
/// sends nothing and records nothing, on PostgreSQL (writers side by side) as on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_or_revoking_an_invitation_being_accepted_finds_the_person_active() {
    for resend in [true, false] {
        for by_link in [true, false] {
            let test_db = TestDb::new().await;
            let (db, _partner, customer) = setup_on(test_db.open().await).await;
            let raw = test_db.raw().await;
            let jan = add_jan(&customer).await;
            let mails_before = mails_to(&db, "jan@example.com").await.len();
            let jan_is = "(SELECT id FROM users WHERE email = 'jan@example.com')";
            let at = now().0;
            let link_used = format!(
                "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = \
                 'pa@volta.example') WHERE id = {jan_is}"
            );
            let token_used =
                format!("UPDATE account_tokens SET used_at = {at} WHERE user_id = {jan_is}");
            let accepted =
                format!("UPDATE memberships SET accepted_at = {at} WHERE user_id = {jan_is}");
            let acceptance: Vec<&str> = if by_link {
                vec![&link_used, &token_used, &accepted]
            } else {
                vec![&accepted]
            };
            let (customer, answer) = while_in_flight(&raw, &acceptance, async move {
                let answer = if resend {
                    customer.resend_invitation(jan).await
                } else {
                    customer.revoke_invitation(jan).await
                };
                (customer, answer)
            })
            .await;
            let case = format!("resend: {resend}, by link: {by_link}");
            match answer {
                Err(storage::StorageError::Conflict { message }) => {
                    assert!(message.contains("already active"), "{case}: {message}")
                }
                other => panic!("{case}: {other:?}"),
            }
            assert_eq!(
                mails_to(&db, "jan@example.com").await.len(),
                mails_before,
                "{case}: no new mail"
            );
            for action in ["invitation_resent", "invitation_revoked"] {
                assert_eq!(audit_entries(&raw, action).await, 0, "{case}: {action}");
            }
            assert_eq!(
                status_now(&customer, "jan@example.com").await,
                MemberStatus::Active
            );
        }
    }
}

/// Jan's invitation link used while an administrator removes him from the organization (the removal's
/// transaction has not committed yet): the link waits for the removal and is then refused, as if the removal had
/// come first; no password is set and no session starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_used_while_the_member_is_being_removed_is_refused() {
    let test_db = TestDb::new().await;
    let (db, _partner, customer) = setup_on(test_db.open().await).await;
    let raw = test_db.raw().await;
    add_jan(&customer).await;
    let token = newest_token(&db, "jan@example.com").await;
    let removal = format!(
        "UPDATE memberships SET removed_at = {} \
         WHERE user_id = (SELECT id FROM users WHERE email = 'jan@example.com')",
        now().0
    );
    let answer = while_in_flight(&raw, &[&removal], {
        let db = db.clone();
        async move { set_new_password(&db, &token).await }
    })
    .await;
    assert_eq!(answer, LinkPasswordOutcome::InvalidLink);
    assert!(!logs_in(&db, "jan@example.com", "a brand new password").await);
    let sessions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = 'jan@example.com')",
    )
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn malformed_and_forged_tokens_are_refused_before_any_work() {
    let (_dir, db, _partner, customer) = setup().await;
    add_jan(&customer).await;
    let real = newest_token(&db, "jan@example.com").await;
    let mut forged = real.clone();
    forged.replace_range(0..1, if real.starts_with('0') { "1" } else { "0" });
    for token in [
        String::new(),
        "abc".to_owned(),
        "z".repeat(64),
        "a".repeat(64),
        forged,
        format!("{real}0"),
        real[..63].to_owned(),
        format!("{real}' OR '1'='1"),
    ] {
        assert_eq!(db.account_link(&token).await.unwrap(), None, "{token}");
        assert_eq!(
            set_new_password(&db, &token).await,
            LinkPasswordOutcome::InvalidLink,
            "{token}"
        );
    }
    assert!(db.account_link(&real).await.unwrap().is_some());
    assert!(!logs_in(&db, "jan@example.com", "a brand new password").await);
}

#[tokio::test]
async fn a_link_changes_only_its_own_account() {
    let (_dir, db, _partner, customer) = setup().await;
    member(&customer, "Ann", "A", "ann@example.com", Role::Cardholder).await;
    let bob = member(&customer, "Bob", "B", "bob@example.com", Role::Cardholder).await;
    let ann_token = newest_token(&db, "ann@example.com").await;
    let bob_token = newest_token(&db, "bob@example.com").await;
    let session_token = logged_in_by_link(&db, &ann_token).await;
    let caller = db.caller(&session_token).await.unwrap().unwrap();
    assert_eq!(caller.me().email, "ann@example.com");
    assert_ne!(caller.user_id(), bob);
    // Bob: no password, his own link untouched, still "Invited".
    assert!(!logs_in(&db, "bob@example.com", "a brand new password").await);
    assert!(db.account_link(&bob_token).await.unwrap().is_some());
    assert!(matches!(
        status_now(&customer, "bob@example.com").await,
        MemberStatus::Invited { .. }
    ));
}

#[tokio::test]
async fn a_removed_members_invitation_stops_working_also_after_adding_them_again() {
    let (_dir, db, _partner, customer) = setup().await;
    let jan = add_jan(&customer).await;
    let old = newest_token(&db, "jan@example.com").await;
    customer.remove_user(jan).await.unwrap();
    assert_eq!(db.account_link(&old).await.unwrap(), None);
    assert_eq!(
        set_new_password(&db, &old).await,
        LinkPasswordOutcome::InvalidLink
    );
    add_jan(&customer).await;
    let new = newest_token(&db, "jan@example.com").await;
    assert_ne!(old, new);
    assert_eq!(
        db.account_link(&old).await.unwrap(),
        None,
        "re-adding revives no old link"
    );
    assert!(db.account_link(&new).await.unwrap().is_some());
}

#[tokio::test]
async fn a_returning_member_is_invited_again_not_active() {
    let (_dir, db, _partner, customer) = setup().await;
    let jan = add_jan(&customer).await;
    let token = newest_token(&db, "jan@example.com").await;
    set_new_password(&db, &token).await;
    customer.remove_user(jan).await.unwrap();
    add_jan(&customer).await;
    // He has a password now: a notice, and "Invited" until he logs in again.
    let notice = &mails_to(&db, "jan@example.com").await[0];
    assert_eq!(notice.kind, "membership_notice");
    assert!(!notice.body_text.contains("#token="));
    assert!(matches!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Invited { .. }
    ));
    assert!(logs_in(&db, "jan@example.com", "a brand new password").await);
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Active
    );
}

/// Partner B adds the address of partner A's active cardholder, and a brand-new address: the mails differ (a
/// notice for the existing account, never a new password link), but everything B sees reads alike.
#[tokio::test]
async fn an_account_elsewhere_gets_a_notice_and_its_status_reads_like_a_new_persons() {
    let TwoPartners {
        _dir,
        db,
        anna_link,
        b,
    } = two_partners().await;

    let probe = b
        .add_user(
            &person("Bogus"),
            &person("Visitor"),
            &email("anna@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    let control = b
        .add_user(
            &person("Fresh"),
            &person("Person"),
            &email("fresh@example.com"),
            Role::Cardholder,
        )
        .await
        .unwrap();
    assert_eq!(
        (probe.reused_existing_account, probe.notice_instead_of_link),
        (
            control.reused_existing_account,
            control.notice_instead_of_link
        )
    );

    // Anna: a notice with a log-in link, no token; the new person: an invitation.
    let notice = &mails_to(&db, "anna@example.com").await[0];
    assert_eq!(notice.kind, "membership_notice");
    assert!(notice.body_text.starts_with("Hello Anna,"));
    assert!(notice
        .body_text
        .contains("Bob Other added you to Other Partners in ChargeDesk as a cardholder."));
    assert!(notice.body_text.contains(&format!("{PUBLIC_URL}/login")));
    assert!(!notice.body_text.contains("#token="));
    assert!(db.account_link(&anna_link).await.unwrap().is_none());
    newest_token(&db, "fresh@example.com").await;
    assert!(logs_in(&db, "anna@example.com", "annas own password").await);

    // What B sees moves only with what each person does.
    let statuses = |at: Timestamp| {
        let b = &b;
        async move {
            let users = b.users_at(at).await.unwrap();
            users
                .into_iter()
                .map(|u| (u.email, u.status.label()))
                .collect::<Vec<_>>()
        }
    };
    // Anna logged in above, after being added: she is active in B, like a new person who set a password.
    assert_eq!(
        statuses(now()).await,
        [
            ("bob@other.example".to_owned(), "Active"),
            ("fresh@example.com".to_owned(), "Invited"),
            ("anna@example.com".to_owned(), "Active"),
        ]
    );
    let fresh_link = newest_token(&db, "fresh@example.com").await;
    set_new_password(&db, &fresh_link).await;
    let users = b.users().await.unwrap();
    assert!(users.iter().all(|u| u.status == MemberStatus::Active));
}

#[tokio::test]
async fn before_anyone_acts_an_account_elsewhere_and_a_new_one_read_alike() {
    let TwoPartners { _dir, b, .. } = two_partners().await;
    for (first, address) in [
        ("Bogus", "anna@example.com"),
        ("Fresh", "fresh@example.com"),
    ] {
        b.add_user(
            &person(first),
            &person("Person"),
            &email(address),
            Role::Cardholder,
        )
        .await
        .unwrap();
    }
    for at in [now(), later(INVITATION_VALIDITY_MS + 1000)] {
        let users = b.users_at(at).await.unwrap();
        let probe = users
            .iter()
            .find(|u| u.email == "anna@example.com")
            .unwrap();
        let control = users
            .iter()
            .find(|u| u.email == "fresh@example.com")
            .unwrap();
        assert_eq!(probe.status.label(), control.status.label());
        if let (MemberStatus::Invited { expires_at: p }, MemberStatus::Invited { expires_at: c }) =
            (probe.status, control.status)
        {
            assert!((p.0 - c.0).abs() < 60_000, "same validity");
        }
    }
    // Resend and revoke answer alike too.
    let members = b.users().await.unwrap();
    for u in members.iter().filter(|u| u.email != "bob@other.example") {
        let user = b.member(u.id).await.unwrap();
        b.resend_invitation(user).await.unwrap();
        b.revoke_invitation(user).await.unwrap();
    }
    let users = b.users().await.unwrap();
    let labels: Vec<&str> = users.iter().map(|u| u.status.label()).collect();
    assert_eq!(
        labels,
        ["Active", "Invitation expired", "Invitation expired"]
    );
}

#[tokio::test]
async fn an_account_without_a_password_invited_again_elsewhere_gets_a_fresh_link() {
    let (_dir, db, partner, customer_a) = setup().await;
    add_jan(&customer_a).await;
    let from_a = newest_token(&db, "jan@example.com").await;
    let root = partner.me().home_org.clone().unwrap().id;
    let customer_b = partner
        .admin_of(&db, root)
        .await
        .unwrap()
        .add_sub_organization(&org_name("Customer B"))
        .await
        .unwrap();
    let customer_b = partner.admin_of(&db, customer_b).await.unwrap();
    add_jan(&customer_b).await;
    let from_b = newest_token(&db, "jan@example.com").await;
    assert_ne!(from_a, from_b);
    assert!(db.account_link(&from_a).await.unwrap().is_some());
    // Using one link revokes the other and makes both memberships active.
    set_new_password(&db, &from_b).await;
    assert_eq!(db.account_link(&from_a).await.unwrap(), None);
    for scope in [&customer_a, &customer_b] {
        assert_eq!(
            status_now(scope, "jan@example.com").await,
            MemberStatus::Active
        );
    }
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_ends_every_session_and_says_so() {
    let (_dir, db, _partner, customer) = setup().await;
    add_jan(&customer).await;
    let invitation = newest_token(&db, "jan@example.com").await;
    let old_session = caller_for(&db, "jan@example.com").await;
    let session = login_token(&db, "jan@example.com").await;
    assert_eq!(old_session.me().email, "jan@example.com");

    db.request_password_reset(&email("JAN@example.com"))
        .await
        .unwrap();
    let mail = &mails_to(&db, "jan@example.com").await[0];
    assert_eq!(mail.kind, "password_reset");
    assert!(mail
        .body_text
        .contains("The link works once and expires in 1 hour."));
    let token = token_in(mail);
    let info = db.account_link(&token).await.unwrap().unwrap();
    assert_eq!(info.purpose, AccountLinkPurpose::PasswordReset);
    assert_eq!(
        db.account_link_at(&token, later(RESET_VALIDITY_MS + 1000))
            .await
            .unwrap(),
        None,
        "valid for an hour"
    );

    let session_token = logged_in_by_link(&db, &token).await;
    assert!(
        db.caller(&session).await.unwrap().is_none(),
        "old session ended"
    );
    assert!(db.caller(&session_token).await.unwrap().is_some());
    assert!(!logs_in(&db, "jan@example.com", PASSWORD).await);
    assert!(logs_in(&db, "jan@example.com", "a brand new password").await);
    let notice = &mails_to(&db, "jan@example.com").await[0];
    assert_eq!(notice.subject, "Your ChargeDesk password was changed");
    // Every other open link of his was revoked, the invitation included.
    assert_eq!(db.account_link(&invitation).await.unwrap(), None);
    assert_eq!(db.account_link(&token).await.unwrap(), None);
}

/// Reset requests for one account at the same time count each other: a request made while another one's link is
/// being issued (its transaction not committed yet) waits for it, so that no more than
/// [`storage::RESETS_PER_ACCOUNT_PER_HOUR`] links go out in an hour, on PostgreSQL as on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_requests_in_flight_at_once_count_each_other() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await.with_public_url(PUBLIC_URL);
    let (root, partner) = partner(&db).await;
    let root = partner.admin_of(&db, root).await.unwrap();
    let jan = add_jan(&root).await;
    for _ in 0..2 {
        db.request_password_reset(&email("jan@example.com"))
            .await
            .unwrap();
    }
    // The other request, issuing the third link of the hour as storage does (the account's row locked first):
    // not committed yet.
    let raw = test_db.raw().await;
    let mut other = raw.begin().await.unwrap();
    sqlx::query("UPDATE users SET id = id WHERE id = $1")
        .bind(jan.0)
        .execute(&mut *other)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES ('the other request', $1, 'password_reset', $2, $3)",
    )
    .bind(jan.0)
    .bind(now().0)
    .bind(now().0 + RESET_VALIDITY_MS)
    .execute(&mut *other)
    .await
    .unwrap();
    let request = tokio::spawn({
        let db = db.clone();
        async move {
            db.request_password_reset(&email("jan@example.com"))
                .await
                .unwrap()
        }
    });
    // Time for the request to reach the account inside its transaction; should it get there later, it counts
    // the other link all the same.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.commit().await.unwrap();
    request.await.unwrap();
    let resets = mails_to(&db, "jan@example.com")
        .await
        .into_iter()
        .filter(|m| m.kind == "password_reset")
        .count();
    assert_eq!(
        resets, 2,
        "the third link of the hour was the other request's"
    );
}

#[tokio::test]
async fn resets_are_mailed_only_to_accounts_and_at_most_three_an_hour() {
    let (_dir, db, _partner, customer) = setup().await;
    add_jan(&customer).await;
    let before = db.outbox(1000).await.unwrap().len();
    db.request_password_reset(&email("nobody@example.com"))
        .await
        .unwrap();
    assert_eq!(
        db.outbox(1000).await.unwrap().len(),
        before,
        "nothing queued"
    );

    for _ in 0..5 {
        db.request_password_reset(&email("jan@example.com"))
            .await
            .unwrap();
    }
    let resets = |mails: Vec<OutboxMessage>| {
        mails
            .into_iter()
            .filter(|m| m.kind == "password_reset")
            .count()
    };
    assert_eq!(resets(mails_to(&db, "jan@example.com").await), 3);
    // An hour later, one more (the invitation he never used did not count).
    db.request_password_reset_at(&email("jan@example.com"), later(60 * 60 * 1000 + 1000))
        .await
        .unwrap();
    assert_eq!(resets(mails_to(&db, "jan@example.com").await), 4);
    // The account without a password can use a reset link (a lost invitation is recovered this way).
    let token = newest_token(&db, "jan@example.com").await;
    assert!(matches!(
        set_new_password(&db, &token).await,
        LinkPasswordOutcome::LoggedIn { .. }
    ));
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Active
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_every_other_session() {
    let (_dir, db, _partner, customer) = setup().await;
    add_jan(&customer).await;
    caller_for(&db, "jan@example.com").await;
    let other = login_token(&db, "jan@example.com").await;
    let mine = login_token(&db, "jan@example.com").await;
    let me = db.caller(&mine).await.unwrap().unwrap();
    let mails_before = mails_to(&db, "jan@example.com").await.len();

    // Wrong current passwords count like failed log-ins: the third in a row is throttled, the password not
    // even checked.
    let at = now();
    for expected in [
        PasswordChange::WrongCurrentPassword,
        PasswordChange::WrongCurrentPassword,
        PasswordChange::WrongCurrentPassword,
    ] {
        assert_eq!(
            me.change_password_at(&db, &mine, "not my password", &new_password(), at)
                .await
                .unwrap(),
            expected
        );
    }
    assert!(matches!(
        me.change_password_at(&db, &mine, PASSWORD, &new_password(), at)
            .await
            .unwrap(),
        PasswordChange::Throttled { .. }
    ));
    assert!(matches!(
        db.login_at("jan@example.com", PASSWORD, at).await.unwrap(),
        LoginOutcome::Throttled { .. }
    ));
    assert_eq!(mails_to(&db, "jan@example.com").await.len(), mails_before);
    assert!(db.caller(&other).await.unwrap().is_some());

    let after_wait = later(10_000);
    assert_eq!(
        me.change_password_at(&db, &mine, PASSWORD, &new_password(), after_wait)
            .await
            .unwrap(),
        PasswordChange::Changed
    );
    assert!(db.caller(&other).await.unwrap().is_none(), "other ended");
    assert!(db.caller(&mine).await.unwrap().is_some(), "this one kept");
    let notice = &mails_to(&db, "jan@example.com").await[0];
    assert_eq!(notice.subject, "Your ChargeDesk password was changed");
    assert_eq!(notice.kind, "password_changed");
    assert!(logs_in(&db, "jan@example.com", "a brand new password").await);
}

/// A password change checked against the current password while a reset link replaces that password (its
/// transaction not committed yet) is refused: the reset's password stays, not the one chosen by whoever knew the
/// old one. This was checked outside the write on SQLite too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_racing_a_reset_does_not_overwrite_it() {
    let test_db = TestDb::new().await;
    let (db, _partner, customer) = setup_on(test_db.open().await).await;
    let raw = test_db.raw().await;
    add_jan(&customer).await;
    caller_for(&db, "jan@example.com").await;
    let mine = login_token(&db, "jan@example.com").await;
    let me = db.caller(&mine).await.unwrap().unwrap();
    // The reset in flight sets the password that Eva has.
    member(
        &customer,
        "Eva",
        "Evers",
        "eva@example.com",
        Role::Cardholder,
    )
    .await;
    db.set_password(&email("eva@example.com"), &password("the reset's password"))
        .await
        .unwrap();
    let reset = "UPDATE users SET password_hash = \
                 (SELECT password_hash FROM users WHERE email = 'eva@example.com') \
                 WHERE email = 'jan@example.com'";
    let answer = while_in_flight(&raw, &[reset], {
        let db = db.clone();
        async move {
            me.change_password(&db, &mine, PASSWORD, &password("what the old holder chose"))
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(answer, PasswordChange::WrongCurrentPassword);
    assert!(!logs_in(&db, "jan@example.com", "what the old holder chose").await);
    assert!(logs_in(&db, "jan@example.com", "the reset's password").await);
}

#[tokio::test]
async fn my_account_changes_the_name_and_lists_live_memberships() {
    let (_dir, db, partner, customer) = setup().await;
    add_jan(&customer).await;
    let root: OrgId = partner.me().home_org.clone().unwrap().id;
    let root_scope = partner.admin_of(&db, root).await.unwrap();
    let jan: UserId = member(
        &root_scope,
        "Jan",
        "Jansen",
        "jan@example.com",
        Role::Administrator,
    )
    .await;
    let me = caller_for(&db, "jan@example.com").await;
    let orgs: Vec<(String, Role)> = me
        .organizations(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.org.name, m.role))
        .collect();
    assert_eq!(
        orgs,
        [
            ("Customer A".to_owned(), Role::Cardholder),
            ("Volta Partners".to_owned(), Role::Administrator),
        ]
    );
    root_scope.remove_user(jan).await.unwrap();
    assert_eq!(me.organizations(&db).await.unwrap().len(), 1);

    me.set_name(&db, &person("Johannes"), &person("Jansen-Smit"))
        .await
        .unwrap();
    let token = login_token(&db, "jan@example.com").await;
    let again = db.caller(&token).await.unwrap().unwrap();
    assert_eq!(
        (
            again.me().first_name.as_str(),
            again.me().last_name.as_str()
        ),
        ("Johannes", "Jansen-Smit")
    );
    assert_eq!(
        listed(&customer, "jan@example.com", now())
            .await
            .full_name(),
        "Johannes Jansen-Smit"
    );
}

#[tokio::test]
async fn the_demo_data_logs_in_and_is_active_without_any_mail() {
    let (_dir, db) = fresh_db().await;
    db.seed_demo().await.unwrap().expect("seeded");
    assert!(db.outbox(10).await.unwrap().is_empty(), "no invitations");
    let eva = match db
        .login("eva@volta-partners.example", storage::DEMO_PASSWORD)
        .await
        .unwrap()
    {
        LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("{other:?}"),
    };
    let eva = db.caller(&eva).await.unwrap().unwrap();
    let root = eva.me().home_org.clone().unwrap().id;
    let mut orgs = vec![root];
    let mut seen = 0;
    while let Some(org) = orgs.pop() {
        let here = eva.admin_of(&db, org).await.unwrap();
        for u in here.users().await.unwrap() {
            assert_eq!(u.status, MemberStatus::Active, "{} in {org}", u.email);
            seen += 1;
        }
        orgs.extend(here.sub_organizations().await.unwrap().iter().map(|o| o.id));
    }
    assert!(seen >= 10, "{seen}");
}

/// Links, sessions and log-in challenges are separate kinds of token: none opens anything as another.
#[tokio::test]
async fn a_link_is_no_session_and_a_session_is_no_link() {
    let (_dir, db, _partner, customer) = setup().await;
    let (invitation, reset) = jan_with_invitation_and_reset(&db, &customer).await;
    for link in [&invitation, &reset] {
        assert!(
            db.caller(link).await.unwrap().is_none(),
            "a link as a cookie"
        );
    }
    let session = login_token(&db, "pa@volta.example").await;
    assert_eq!(db.account_link(&session).await.unwrap(), None);
    assert_eq!(
        set_new_password(&db, &session).await,
        LinkPasswordOutcome::InvalidLink,
        "a session as a link"
    );
    assert!(db.caller(&session).await.unwrap().is_some());
    assert!(logs_in(&db, "pa@volta.example", PASSWORD).await);
    // Either link of Jan's works for Jan only (the reset one used here revokes the invitation).
    let session_token = logged_in_by_link(&db, &reset).await;
    assert_eq!(
        db.caller(&session_token).await.unwrap().unwrap().me().email,
        "jan@example.com"
    );
    assert_eq!(db.account_link(&invitation).await.unwrap(), None);
}

#[tokio::test]
async fn set_password_on_the_command_line_revokes_links_and_ends_sessions_like_a_link() {
    let (_dir, db, _partner, customer) = setup().await;
    let (invitation, reset) = jan_with_invitation_and_reset(&db, &customer).await;
    member(
        &customer,
        "Eva",
        "Smit",
        "eva@example.com",
        Role::Cardholder,
    )
    .await;
    let eva_invitation = newest_token(&db, "eva@example.com").await;

    // The operator sets Jan's password: both of his open links stop working; the membership is not accepted (it
    // reads "Invitation expired" until he logs in, then "Active"). Eva's invitation is untouched.
    db.set_password(&email("jan@example.com"), &password(PASSWORD))
        .await
        .unwrap();
    assert_eq!(db.account_link(&invitation).await.unwrap(), None);
    assert_eq!(db.account_link(&reset).await.unwrap(), None);
    assert_eq!(
        set_new_password(&db, &reset).await,
        LinkPasswordOutcome::InvalidLink
    );
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::InvitationExpired
    );
    let first = login_token(&db, "jan@example.com").await;
    let second = login_token(&db, "jan@example.com").await;
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Active
    );

    // Wrong passwords (five minutes apart, each one counted) throttle him; he asks for a reset link again.
    let mut at = now();
    for _ in 0..6 {
        at = Timestamp(at.0 + 301_000);
        assert_eq!(
            db.login_at("jan@example.com", "not his password at all", at)
                .await
                .unwrap(),
            LoginOutcome::WrongCredentials
        );
    }
    assert!(matches!(
        db.login_at("jan@example.com", PASSWORD, Timestamp(at.0 + 1000))
            .await
            .unwrap(),
        LoginOutcome::Throttled { .. }
    ));
    db.request_password_reset(&email("jan@example.com"))
        .await
        .unwrap();
    let second_reset = newest_token(&db, "jan@example.com").await;
    assert!(db.account_link(&second_reset).await.unwrap().is_some());

    // Set again: every session ends, the new link is revoked, the failures are forgotten (the new password works
    // at once) and the old password no longer does.
    db.set_password(&email("JAN@example.com"), &new_password())
        .await
        .unwrap();
    assert!(db.caller(&first).await.unwrap().is_none());
    assert!(db.caller(&second).await.unwrap().is_none());
    assert_eq!(db.account_link(&second_reset).await.unwrap(), None);
    assert!(logs_in(&db, "jan@example.com", "a brand new password").await);
    assert!(!logs_in(&db, "jan@example.com", PASSWORD).await);
    assert_eq!(
        status_now(&customer, "jan@example.com").await,
        MemberStatus::Active
    );

    // Eva's invitation still works and still reads "Invited".
    assert!(db.account_link(&eva_invitation).await.unwrap().is_some());
    assert!(matches!(
        status_now(&customer, "eva@example.com").await,
        MemberStatus::Invited { .. }
    ));
}
