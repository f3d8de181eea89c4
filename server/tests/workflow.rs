//! The help article's workflow through the server functions, over HTTP: log in, add a user, add passes by
//! Public Card ID and Hidden ID, the server's own refusal of every wrong-field mistake (as if the browser check
//! were bypassed), duplicates, delete and re-add, pass modes and the audit log.

mod common;

use app::AppError;
use common::{TestApp, PASSWORD};
use http::header::SET_COOKIE;
use shared::model::{AuditAction, AuditEntry, PassSummary, UserSummary};
use shared::paging::Page;
use shared::pass_id::PassIdKind;
use shared::role::Role;
use shared::{OrgId, PassMode};

struct Ctx {
    app: TestApp,
    admin: String,
    org: OrgId,
    user: String,
}

async fn setup() -> Ctx {
    let app = TestApp::new().await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let admin = app.login("pat@volta.example", PASSWORD).await;
    let org = app.sub_org(&admin, root, "Brouwerij De Kroon").await;
    let user = app
        .member(&admin, org, "jan@kroon.example", Role::Cardholder)
        .await;
    Ctx {
        app,
        admin,
        org,
        user: user.to_string(),
    }
}

impl Ctx {
    async fn add_pass(
        &self,
        public: &str,
        hidden: &str,
        nickname: &str,
        confirmed: bool,
    ) -> Result<serde_json::Value, AppError> {
        self.app
            .call(
                Some(&self.admin),
                "add_pass",
                &[
                    ("org", &self.org.to_string()),
                    ("user_id", &self.user),
                    ("public_card_id", public),
                    ("hidden_id", hidden),
                    ("nickname", nickname),
                    ("confirmed", if confirmed { "true" } else { "false" }),
                ],
            )
            .await
    }

    async fn passes(&self) -> Vec<PassSummary> {
        self.app
            .call::<Page<PassSummary>>(
                Some(&self.admin),
                "list_passes",
                &[("org", &self.org.to_string())],
            )
            .await
            .unwrap()
            .items
    }
}

#[tokio::test]
async fn login_sets_a_http_only_lax_cookie_and_logout_ends_the_session() {
    let app = TestApp::new().await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let (status, _, headers) = app
        .post(
            None,
            "login",
            &[("email", "PAT@volta.example "), ("password", PASSWORD)],
        )
        .await;
    assert!(status.is_success());
    let cookie = headers
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let token = common::session_cookie(&headers).unwrap();
    let me: shared::model::Me = app.call(Some(&token), "current_user", &[]).await.unwrap();
    assert_eq!(me.email, "pat@volta.example");
    assert!(me.is_admin());

    let out: Result<(), AppError> = app.call(Some(&token), "logout", &[]).await;
    out.unwrap();
    let after: Result<shared::model::Me, AppError> =
        app.call(Some(&token), "current_user", &[]).await;
    assert_eq!(after.unwrap_err(), AppError::Unauthenticated);
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_then_slowed_down() {
    let app = TestApp::new().await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let attempt = |password: &'static str| {
        let app = &app;
        async move {
            let r: Result<String, AppError> = app
                .call(
                    None,
                    "login",
                    &[("email", "pat@volta.example"), ("password", password)],
                )
                .await;
            r
        }
    };
    for _ in 0..3 {
        let e = attempt("wrong password!").await.unwrap_err();
        assert_eq!(
            e.for_field("password").as_deref(),
            Some("The e-mail address or password is not correct.")
        );
    }
    // Now even the right password must wait.
    match attempt(PASSWORD).await.unwrap_err() {
        AppError::Throttled { retry_after_secs } => assert!(retry_after_secs >= 1),
        other => panic!("expected throttling, got {other:?}"),
    }
    // Empty fields are caught before any password check.
    assert!(attempt("")
        .await
        .unwrap_err()
        .for_field("password")
        .is_some());
}

#[tokio::test]
async fn adding_a_user_with_a_known_e_mail_reuses_the_account() {
    let c = setup().await;
    let other_org = c.app.sub_org(&c.admin, c.org, "De Kroon Logistics").await;
    let added: serde_json::Value = c
        .app
        .call(
            Some(&c.admin),
            "add_user",
            &[
                ("org", &other_org.to_string()),
                ("first_name", "Johannes"),
                ("last_name", "Other"),
                ("email", "Jan@Kroon.example"),
                ("role", "administrator"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(added["reused_existing_account"], true);
    let users: Vec<UserSummary> = c
        .app
        .call(
            Some(&c.admin),
            "list_users",
            &[("org", &other_org.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    // The same account, not a duplicate: it keeps the name this tree knows (and its password), while the new
    // membership gets its own member id.
    assert_eq!(
        (users[0].full_name().as_str(), users[0].email.as_str()),
        ("Test jan", "jan@kroon.example"),
        "the same account, not a duplicate"
    );
    assert_ne!(
        users[0].id.to_string(),
        c.user,
        "member ids are per membership"
    );
    c.app.login("jan@kroon.example", PASSWORD).await;
    assert_eq!(users[0].role, Role::Administrator);

    // Adding them to the same organization again is a conflict at the e-mail field.
    let again: Result<serde_json::Value, AppError> = c
        .app
        .call(
            Some(&c.admin),
            "add_user",
            &[
                ("org", &c.org.to_string()),
                ("first_name", "Jan"),
                ("last_name", "Jansen"),
                ("email", "jan@kroon.example"),
                ("role", "cardholder"),
            ],
        )
        .await;
    assert!(again.unwrap_err().for_field("email").is_some());

    // Bad fields are refused at their field.
    for (field, first, last, email) in [
        ("first_name", " ", "Jansen", "x@kroon.example"),
        ("last_name", "Jan", "", "x@kroon.example"),
        ("email", "Jan", "Jansen", "not-an-address"),
    ] {
        let r: Result<serde_json::Value, AppError> = c
            .app
            .call(
                Some(&c.admin),
                "add_user",
                &[
                    ("org", &c.org.to_string()),
                    ("first_name", first),
                    ("last_name", last),
                    ("email", email),
                    ("role", "cardholder"),
                ],
            )
            .await;
        assert!(r.unwrap_err().for_field(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn a_public_card_id_pass_starts_as_roaming_and_a_hidden_id_pass_as_whitelist() {
    let c = setup().await;
    let added = c
        .add_pass("nl-tnm-012204-5", "", "Company car", false)
        .await
        .unwrap();
    assert_eq!(added["mode"], "roaming");
    assert!(added["explanation"].as_str().unwrap().contains("Whitelist"));
    let added = c
        .add_pass("", "04:aa:ab:11:cd:23:45", "Keyring tag", false)
        .await
        .unwrap();
    assert_eq!(added["mode"], "whitelist");

    let passes = c.passes().await;
    assert_eq!(passes.len(), 2);
    let tag = passes.iter().find(|p| p.nickname == "Keyring tag").unwrap();
    assert_eq!(
        (tag.id_kind, tag.id_value.as_str(), tag.mode),
        (PassIdKind::Hidden, "04AAAB11CD2345", PassMode::Whitelist)
    );
    let card = passes.iter().find(|p| p.nickname == "Company car").unwrap();
    assert_eq!(
        (card.id_kind, card.id_value.as_str(), card.mode),
        (PassIdKind::Visible, "NL-TNM-012204-5", PassMode::Roaming)
    );
    assert!(card.contract_id_kind.is_some());
}

#[tokio::test]
async fn the_server_refuses_every_wrong_field_mistake_itself() {
    let c = setup().await;
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        // (public, hidden, nickname, field, a word the message must contain)
        ("", "NL-TNM-012204-5", "Card", "hidden_id", "hyphens"),
        ("", "NLTNM000122045U", "Card", "hidden_id", "Public Card ID"),
        ("04AAAB11CD2345", "", "Tag", "public_card_id", "Hidden ID"),
        ("", "04AAAB11CD2345FF00112233", "Tag", "hidden_id", "20"),
        ("", "04AAXB11CD2345", "Tag", "hidden_id", "X"),
        ("NL TNM 012204 5", "", "Card", "public_card_id", "space"),
        ("", "", "Card", "public_card_id", "Public Card ID"),
        (
            "NL-TNM-012204-5",
            "04AAAB11CD2345",
            "Card",
            "hidden_id",
            "not both",
        ),
        ("NL-TNM-012204-5", "", "  ", "nickname", "nickname"),
        // A wrong check digit needs the explicit confirmation.
        ("NL-TNM-B12345-6", "", "Card", "public_card_id", "7"),
    ];
    for &(public, hidden, nickname, field, word) in cases {
        let e = c
            .add_pass(public, hidden, nickname, false)
            .await
            .unwrap_err();
        let message = e
            .for_field(field)
            .unwrap_or_else(|| panic!("{public:?}/{hidden:?}: {e:?} not at {field}"));
        assert!(
            message.to_lowercase().contains(&word.to_lowercase()),
            "{public:?}/{hidden:?}: {message:?} should mention {word:?}"
        );
    }
    let missing_user: Result<serde_json::Value, AppError> = c
        .app
        .call(
            Some(&c.admin),
            "add_pass",
            &[
                ("org", &c.org.to_string()),
                ("user_id", ""),
                ("public_card_id", "NL-TNM-012204-5"),
                ("hidden_id", ""),
                ("nickname", "Card"),
                ("confirmed", "false"),
            ],
        )
        .await;
    assert!(missing_user.unwrap_err().for_field("user_id").is_some());
    assert!(c.passes().await.is_empty(), "nothing was written");

    // Confirmed, the misprinted card is saved with its ID as printed.
    c.add_pass("NL-TNM-B12345-6", "", "Card", true)
        .await
        .unwrap();
    assert_eq!(c.passes().await[0].id_value, "NL-TNM-B12345-6");
}

#[tokio::test]
async fn the_same_id_twice_in_one_organization_is_refused_but_another_organization_may_have_it() {
    let c = setup().await;
    c.add_pass("NL-TNM-000122045-U", "", "First", false)
        .await
        .unwrap();
    for (public, hidden) in [("NLTNM000122045U", ""), ("nl-tnm-000122045", "")] {
        let e = c
            .add_pass(public, hidden, "Second", false)
            .await
            .unwrap_err();
        let message = e.for_field("public_card_id").expect("at the ID field");
        assert!(
            message.contains("First"),
            "names the existing pass: {message}"
        );
    }
    c.add_pass("", "04AAAB11CD2345", "Tag", false)
        .await
        .unwrap();
    let e = c
        .add_pass("", "04aaab11cd2345", "Tag again", false)
        .await
        .unwrap_err();
    assert!(e.for_field("hidden_id").is_some());
    assert_eq!(c.passes().await.len(), 2);

    // The same card whitelisted in a second organization is fine.
    let second = c.app.sub_org(&c.admin, c.org, "De Kroon Horeca").await;
    let holder = c
        .app
        .member(&c.admin, second, "piet@kroon.example", Role::Cardholder)
        .await;
    let added: serde_json::Value = c
        .app
        .call(
            Some(&c.admin),
            "add_pass",
            &[
                ("org", &second.to_string()),
                ("user_id", &holder.to_string()),
                ("public_card_id", ""),
                ("hidden_id", "04AAAB11CD2345"),
                ("nickname", "Tag"),
                ("confirmed", "false"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(added["mode"], "whitelist");
}

#[tokio::test]
async fn delete_then_add_again_with_the_history_in_the_audit_log() {
    let c = setup().await;
    let added = c
        .add_pass("", "04AAAB11CD2345", "Typo tag", false)
        .await
        .unwrap();
    let pass = added["id"].as_i64().unwrap().to_string();
    let org = c.org.to_string();
    let set: Result<(), AppError> = c
        .app
        .call(
            Some(&c.admin),
            "set_pass_mode",
            &[("org", &org), ("pass", &pass), ("mode", "roaming")],
        )
        .await;
    set.unwrap();
    assert_eq!(c.passes().await[0].mode, PassMode::Roaming);

    let deleted: Result<(), AppError> = c
        .app
        .call(
            Some(&c.admin),
            "delete_pass",
            &[("org", &org), ("pass", &pass)],
        )
        .await;
    deleted.unwrap();
    assert!(c.passes().await.is_empty());
    // Deleting twice: it is gone.
    let again: Result<(), AppError> = c
        .app
        .call(
            Some(&c.admin),
            "delete_pass",
            &[("org", &org), ("pass", &pass)],
        )
        .await;
    assert!(matches!(again, Err(AppError::NotFound { .. })));

    c.add_pass("", "04AAAB11CD2345", "Right tag", false)
        .await
        .unwrap();
    assert_eq!(c.passes().await[0].nickname, "Right tag");

    let log: Vec<AuditEntry> = c
        .app
        .call(Some(&c.admin), "audit_log", &[("org", &org)])
        .await
        .unwrap();
    let actions: Vec<AuditAction> = log.iter().map(|e| e.action).collect();
    assert_eq!(
        &actions[..4],
        &[
            AuditAction::PassAdded,
            AuditAction::PassDeleted,
            AuditAction::PassModeChanged,
            AuditAction::PassAdded
        ],
        "newest first: {log:#?}"
    );
    assert!(
        log.iter().all(|e| e.actor.contains("Pat")),
        "who did it is recorded: {log:#?}"
    );
    assert!(log[1].summary.contains("Typo tag"), "{}", log[1].summary);
}
