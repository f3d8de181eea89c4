//! Bulk import of passes (issue #12): every outcome of the preview, the commit writing everything with the code
//! of "+ Add User" and "+ Add Pass" or nothing at all, replace, sub-organizations by name or path, and what
//! another tenant's file can reach.

mod common;

use common::*;
use shared::import::{
    read_row, Column, ImportMode, ImportPreview, Layout, RowInput, RowOutcome, UserOutcome,
};
use shared::{OrgId, PassMode, Role};
use storage::{Caller, Db, ImportCommit, OrgAdmin};

const HEADERS: [&str; 9] = [
    "First name",
    "Last name",
    "E-mail",
    "Role",
    "Public Card ID",
    "Hidden ID",
    "Nickname",
    "Mode",
    "Organization",
];

/// The rows of a file with [`HEADERS`], numbered as a spreadsheet shows them (the header is row 1).
fn file(rows: &[[&str; 9]]) -> Vec<RowInput> {
    let layout = Layout::parse(&HEADERS).unwrap();
    rows.iter()
        .enumerate()
        .map(|(i, cells)| read_row(&layout, i + 2, cells))
        .collect()
}

/// Volta Partners ─┬─ De Kroon Logistics (k) ── Werkplaats (k1)
///                 └─ Hotel Zonneveld (h)
/// In k: Jan de Vries (cardholder) with the tag 04AAAB11CD2345 (Whitelist).
struct Fixture {
    admin: Caller,
    k: OrgId,
    k1: OrgId,
    h: OrgId,
}

async fn fixture(db: &Db) -> Fixture {
    let (partner, admin) = common::partner(db).await;
    let p = admin.admin_of(db, partner).await.unwrap();
    let k = p
        .add_sub_organization(&org_name("De Kroon Logistics"))
        .await
        .unwrap();
    let h = p
        .add_sub_organization(&org_name("Hotel Zonneveld"))
        .await
        .unwrap();
    let ks = admin.admin_of(db, k).await.unwrap();
    let k1 = ks
        .add_sub_organization(&org_name("Werkplaats"))
        .await
        .unwrap();
    let jan = member(
        &ks,
        "Jan",
        "de Vries",
        "jan@kroon.example",
        Role::Cardholder,
    )
    .await;
    ks.add_pass(
        jan,
        &hidden("04AAAB11CD2345"),
        &nick("Tag Jan"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    Fixture { admin, k, k1, h }
}

impl Fixture {
    async fn scope(&self, db: &Db, org: OrgId) -> OrgAdmin {
        self.admin.admin_of(db, org).await.unwrap()
    }
}

async fn count(db: &common::TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.raw().await)
        .await
        .unwrap()
}

fn outcomes(preview: &ImportPreview) -> Vec<(usize, &RowOutcome)> {
    preview.rows.iter().map(|r| (r.line, &r.outcome)).collect()
}

fn error_columns(preview: &ImportPreview, line: usize) -> Vec<Column> {
    match &preview
        .rows
        .iter()
        .find(|r| r.line == line)
        .unwrap()
        .outcome
    {
        RowOutcome::Error { errors } => errors.iter().map(|e| e.column).collect(),
        other => panic!("row {line}: expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_preview_says_what_each_row_would_do_and_writes_nothing() {
    let (test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let passes_before = count(&test_db, "SELECT COUNT(*) FROM passes").await;
    let users_before = count(&test_db, "SELECT COUNT(*) FROM users").await;
    let rows = file(&[
        // 2: a new person with a tag: Whitelist, as "+ Add Pass" starts a Hidden ID.
        [
            "Ilse",
            "Vermeer",
            "ilse@kroon.example",
            "",
            "",
            "04A1B2C3D4E5F6",
            "Tag Ilse",
            "",
            "",
        ],
        // 3: Jan, already a member, a second card: a public contract ID starts as Roaming.
        [
            "Jan",
            "de Vries",
            "JAN@kroon.example",
            "",
            "NL-TNM-012204-5",
            "",
            "Laadpas",
            "",
            "",
        ],
        // 4: Jan's tag, already there; the file asks for Roaming, which an import does not change.
        [
            "Jan",
            "de Vries",
            "jan@kroon.example",
            "",
            "",
            "04aaab11cd2345",
            "Tag Jan",
            "Roaming",
            "",
        ],
        // 5: a wrong check character: a warning to confirm, as in the form.
        [
            "Kim",
            "Bos",
            "kim@kroon.example",
            "Administrator",
            "NL-TNM-B12345-6",
            "",
            "Kaart",
            "",
            "",
        ],
        // 6: errors in two cells.
        [
            "",
            "Smit",
            "not-an-email",
            "",
            "",
            "04B1B2C3D4E5F6",
            "Tag",
            "",
            "",
        ],
        // 7: the card of row 2 again.
        [
            "Piet",
            "Smit",
            "piet@kroon.example",
            "",
            "",
            "04A1B2C3D4E5F6",
            "Tag Piet",
            "",
            "",
        ],
        // 8: Jan's tag for someone else: the same card as row 4.
        [
            "Sara",
            "Jansen",
            "sara@kroon.example",
            "",
            "",
            "04AAAB11CD2345",
            "Tag Sara",
            "",
            "",
        ],
        // 9: an organization that is not below De Kroon Logistics.
        [
            "Tom",
            "Berg",
            "tom@kroon.example",
            "",
            "",
            "04C1B2C3D4E5F6",
            "Tag Tom",
            "",
            "Hotel Zonneveld",
        ],
        // 10: the Hidden ID Excel turned into a number.
        [
            "Eva",
            "Dijk",
            "eva@kroon.example",
            "",
            "",
            "4.12346E+12",
            "Tag Eva",
            "",
            "",
        ],
    ]);
    let preview = k.preview_pass_import(&rows, ImportMode::Add).await.unwrap();
    let o = outcomes(&preview);
    assert_eq!(
        o[0],
        (
            2,
            &RowOutcome::NewPass {
                user: UserOutcome::New,
                mode: PassMode::Whitelist
            }
        )
    );
    assert_eq!(
        o[1],
        (
            3,
            &RowOutcome::NewPass {
                user: UserOutcome::Existing,
                mode: PassMode::Roaming
            }
        )
    );
    assert_eq!(
        o[2],
        (
            4,
            &RowOutcome::AlreadyThere {
                mode: PassMode::Whitelist
            }
        )
    );
    assert!(preview.rows[2].notes[0].starts_with("Stays Whitelist"));
    assert!(matches!(
        o[3].1,
        RowOutcome::NeedsConfirmation {
            user: UserOutcome::New,
            ..
        }
    ));
    assert_eq!(
        error_columns(&preview, 6),
        [Column::FirstName, Column::Email]
    );
    assert_eq!(error_columns(&preview, 7), [Column::HiddenId]);
    let RowOutcome::Error { errors } = &preview.rows[6].outcome else {
        panic!()
    };
    assert_eq!(
        errors[0].message,
        "The same Hidden ID as row 4: a card can be in the file once per organization."
    );
    // Alone in a file, Sara's row runs into Jan's registered tag.
    let alone = k
        .preview_pass_import(&rows[6..7], ImportMode::Add)
        .await
        .unwrap();
    let RowOutcome::Error { errors } = &alone.rows[0].outcome else {
        panic!()
    };
    assert_eq!(
        errors[0].message,
        "This Hidden ID is already registered in this organization: pass \"Tag Jan\" of Jan de Vries."
    );
    assert_eq!(error_columns(&preview, 9), [Column::Organization]);
    assert_eq!(error_columns(&preview, 10), [Column::HiddenId]);
    let t = &preview.totals;
    assert_eq!(
        (
            t.rows,
            t.new_passes,
            t.new_users,
            t.existing_users,
            t.already_there,
            t.needs_confirmation,
            t.errors
        ),
        (9, 2, 2, 1, 1, 1, 5)
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM passes").await,
        passes_before
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM users").await,
        users_before
    );
}

#[tokio::test]
async fn a_file_with_an_error_or_an_unconfirmed_warning_writes_nothing() {
    let (test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let passes_before = count(&test_db, "SELECT COUNT(*) FROM passes").await;
    let memberships_before = count(&test_db, "SELECT COUNT(*) FROM memberships").await;
    let audit_before = count(&test_db, "SELECT COUNT(*) FROM audit_log").await;
    let mail_before = count(&test_db, "SELECT COUNT(*) FROM mail_outbox").await;
    let good = [
        "Ilse",
        "Vermeer",
        "ilse@kroon.example",
        "",
        "",
        "04A1B2C3D4E5F6",
        "Tag Ilse",
        "",
        "",
    ];
    let bad = [
        "Piet",
        "Smit",
        "piet@kroon.example",
        "",
        "",
        "XYZ",
        "Tag Piet",
        "",
        "",
    ];
    let ImportCommit::Refused { reason, preview } = k
        .commit_pass_import(&file(&[good, bad]), ImportMode::Add, true, 0, "passes.csv")
        .await
        .unwrap()
    else {
        panic!("a file with an error was imported")
    };
    assert!(
        reason.starts_with("Nothing was imported: 1 row has an error."),
        "{reason}"
    );
    assert_eq!(preview.totals.errors, 1);

    let warning = [
        "Kim",
        "Bos",
        "kim@kroon.example",
        "",
        "NL-TNM-B12345-6",
        "",
        "Kaart",
        "",
        "",
    ];
    let ImportCommit::Refused { reason, .. } = k
        .commit_pass_import(
            &file(&[good, warning]),
            ImportMode::Add,
            false,
            0,
            "passes.csv",
        )
        .await
        .unwrap()
    else {
        panic!("an unconfirmed warning was imported")
    };
    assert_eq!(reason, "Nothing was imported: confirm the 1 warning first.");

    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM passes").await,
        passes_before
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM memberships").await,
        memberships_before
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM audit_log").await,
        audit_before
    );
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM mail_outbox").await,
        mail_before
    );
}

#[tokio::test]
async fn a_commit_adds_people_and_passes_as_the_forms_do_with_one_audit_entry_for_the_import() {
    let (test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let mail_before = count(&test_db, "SELECT COUNT(*) FROM mail_outbox").await;
    let rows = file(&[
        [
            "Ilse",
            "Vermeer",
            "ilse@kroon.example",
            "",
            "",
            "04A1B2C3D4E5F6",
            "Tag Ilse",
            "Roaming",
            "",
        ],
        [
            "Ilse",
            "Vermeer",
            "ilse@kroon.example",
            "",
            "NL-TNM-012204-5",
            "",
            "Laadpas Ilse",
            "",
            "",
        ],
        [
            "Jan",
            "de Vries",
            "jan@kroon.example",
            "",
            "",
            "04AAAB11CD2345",
            "Tag Jan",
            "",
            "",
        ],
        [
            "Kim",
            "Bos",
            "kim@kroon.example",
            "Administrator",
            "NL-TNM-B12345-6",
            "",
            "Kaart",
            "Whitelist",
            "",
        ],
        [
            "Wim",
            "Werk",
            "wim@kroon.example",
            "",
            "",
            "04D1B2C3D4E5F6",
            "Tag Wim",
            "",
            "Werkplaats",
        ],
        // Ilse again, in Werkplaats: the account made two rows up is added there too, once.
        [
            "Ilse",
            "Vermeer",
            "ilse@kroon.example",
            "",
            "",
            "04F1B2C3D4E5F6",
            "Tag Ilse Werkplaats",
            "",
            "Werkplaats",
        ],
    ]);
    let ImportCommit::Done(done) = k
        .commit_pass_import(&rows, ImportMode::Add, true, 0, "passes.xlsx")
        .await
        .unwrap()
    else {
        panic!("not imported")
    };
    assert_eq!(
        (done.new_passes, done.new_users, done.skipped, done.deleted),
        (5, 4, 1, 0)
    );
    // Modes as the file says, or as "+ Add Pass" starts them.
    let modes: Vec<(String, String)> = sqlx::query_as(
        "SELECT nickname, mode FROM passes WHERE deleted_at IS NULL ORDER BY nickname",
    )
    .fetch_all(&test_db.raw().await)
    .await
    .unwrap();
    let mode = |n: &str| modes.iter().find(|(nick, _)| nick == n).unwrap().1.clone();
    assert_eq!(mode("Tag Ilse"), "roaming");
    assert_eq!(mode("Laadpas Ilse"), "roaming");
    assert_eq!(mode("Kaart"), "whitelist");
    assert_eq!(mode("Tag Wim"), "whitelist");
    // Ilse once, Kim as administrator, Wim in Werkplaats.
    let k_users = k.users().await.unwrap();
    assert_eq!(
        k_users
            .iter()
            .filter(|u| u.email == "ilse@kroon.example")
            .count(),
        1
    );
    let kim = k_users
        .iter()
        .find(|u| u.email == "kim@kroon.example")
        .unwrap();
    assert_eq!(kim.role, Role::Administrator);
    let k1_users = f.scope(&db, f.k1).await.users().await.unwrap();
    assert!(k1_users.iter().any(|u| u.email == "wim@kroon.example"));
    assert!(k1_users.iter().any(|u| u.email == "ilse@kroon.example"));
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM users WHERE email = 'ilse@kroon.example'"
        )
        .await,
        1
    );
    // Each person invited, each pass and person in the audit log, and the import once with its counts.
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM mail_outbox").await,
        mail_before + 4
    );
    let raw = test_db.raw().await;
    assert_eq!(audit_entries(&raw, "passes_imported").await, 1);
    let summary: String =
        sqlx::query_scalar("SELECT summary FROM audit_log WHERE action = 'passes_imported'")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(
        summary,
        "Imported passes from \"passes.xlsx\" (add): 5 new passes, 4 new users, 1 already there (skipped), 0 deleted"
    );
    // Jan's tag (from the fixture) and the five new ones, each naming its holder.
    assert_eq!(audit_entries(&raw, "pass_added").await, 6);
    let wim: String = sqlx::query_scalar(
        "SELECT summary FROM audit_log WHERE action = 'pass_added' AND summary LIKE '%Tag Wim%'",
    )
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(
        wim,
        "Added pass \"Tag Wim\" (Hidden ID 04D1B2C3D4E5F6) for Wim Werk as whitelist"
    );
    // Importing the same file again adds nothing.
    let again = k.preview_pass_import(&rows, ImportMode::Add).await.unwrap();
    assert_eq!(again.totals.already_there, 6);
    assert_eq!(again.totals.new_passes, 0);
}

#[tokio::test]
async fn replace_deletes_the_passes_the_file_does_not_list_once_the_number_is_confirmed() {
    let (test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let jan = k.users().await.unwrap()[0].id;
    let jan = k.member(jan).await.unwrap();
    k.add_pass(
        jan,
        &hidden("04EEEB11CD2345"),
        &nick("Spare tag"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    let rows = file(&[
        [
            "Jan",
            "de Vries",
            "jan@kroon.example",
            "",
            "",
            "04AAAB11CD2345",
            "Tag Jan",
            "",
            "",
        ],
        [
            "Ilse",
            "Vermeer",
            "ilse@kroon.example",
            "",
            "",
            "04A1B2C3D4E5F6",
            "Tag Ilse",
            "",
            "",
        ],
    ]);
    let preview = k
        .preview_pass_import(&rows, ImportMode::Replace)
        .await
        .unwrap();
    assert_eq!(preview.totals.deletions, 1);
    assert_eq!(preview.deletions[0].organization, "De Kroon Logistics");
    // The administrator confirmed another number than there is now: refused.
    let ImportCommit::Refused { reason, .. } = k
        .commit_pass_import(&rows, ImportMode::Replace, false, 0, "kroon.csv")
        .await
        .unwrap()
    else {
        panic!("replaced without the confirmed number")
    };
    assert!(reason.contains("deletes 1 instead of 0"), "{reason}");
    let ImportCommit::Done(done) = k
        .commit_pass_import(&rows, ImportMode::Replace, false, 1, "kroon.csv")
        .await
        .unwrap()
    else {
        panic!("not replaced")
    };
    assert_eq!((done.new_passes, done.skipped, done.deleted), (1, 1, 1));
    let live: Vec<String> = sqlx::query_scalar(
        "SELECT nickname FROM passes WHERE deleted_at IS NULL AND org_id = $1 ORDER BY nickname",
    )
    .bind(f.k.0)
    .fetch_all(&test_db.raw().await)
    .await
    .unwrap();
    assert_eq!(live, ["Tag Ilse", "Tag Jan"]);
    let raw = test_db.raw().await;
    let deleted: String =
        sqlx::query_scalar("SELECT summary FROM audit_log WHERE action = 'pass_deleted'")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert!(
        deleted.contains("Spare tag") && deleted.ends_with("(not in the imported file)"),
        "{deleted}"
    );
}

#[tokio::test]
async fn sub_organizations_are_named_by_name_or_path_and_nothing_outside_the_subtree_is_reachable()
{
    let (test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let rows = file(&[
        [
            "A",
            "One",
            "a@kroon.example",
            "",
            "",
            "04A1000000000A",
            "Tag A",
            "",
            "Werkplaats",
        ],
        [
            "B",
            "Two",
            "b@kroon.example",
            "",
            "",
            "04A1000000000B",
            "Tag B",
            "",
            "de kroon logistics / werkplaats",
        ],
        [
            "C",
            "Three",
            "c@kroon.example",
            "",
            "",
            "04A1000000000C",
            "Tag C",
            "",
            "De Kroon Logistics",
        ],
        [
            "D",
            "Four",
            "d@kroon.example",
            "",
            "",
            "04A1000000000D",
            "Tag D",
            "",
            "Hotel Zonneveld",
        ],
    ]);
    let preview = k.preview_pass_import(&rows, ImportMode::Add).await.unwrap();
    let orgs: Vec<&str> = preview
        .rows
        .iter()
        .map(|r| r.organization.as_str())
        .collect();
    assert_eq!(
        orgs[..3],
        ["Werkplaats", "Werkplaats", "De Kroon Logistics"]
    );
    let RowOutcome::Error { errors } = &preview.rows[3].outcome else {
        panic!("another branch of the tree was reachable")
    };
    assert!(errors[0]
        .message
        .starts_with("There is no organization \"Hotel Zonneveld\" in De Kroon Logistics."));
    // Importing into Hotel Zonneveld's sibling writes nothing there.
    let before = count(
        &test_db,
        &format!("SELECT COUNT(*) FROM passes WHERE org_id = {}", f.h.0),
    )
    .await;
    let ImportCommit::Refused { .. } = k
        .commit_pass_import(&rows, ImportMode::Replace, true, 1, "x.csv")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        count(
            &test_db,
            &format!("SELECT COUNT(*) FROM passes WHERE org_id = {}", f.h.0)
        )
        .await,
        before
    );
}

#[tokio::test]
async fn an_account_outside_the_callers_tree_looks_like_a_new_person() {
    let (_test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    // Someone at another partner.
    db.create_partner(
        &org_name("Other Partner"),
        &person("Olga"),
        &person("Other"),
        &email("olga@other.example"),
        &password("correct horse battery staple"),
    )
    .await
    .unwrap();
    let k = f.scope(&db, f.k).await;
    let rows = file(&[[
        "Someone",
        "Else",
        "olga@other.example",
        "",
        "",
        "04A1B2C3D4E5F6",
        "Tag",
        "",
        "",
    ]]);
    let preview = k.preview_pass_import(&rows, ImportMode::Add).await.unwrap();
    assert_eq!(
        preview.rows[0].outcome,
        RowOutcome::NewPass {
            user: UserOutcome::New,
            mode: PassMode::Whitelist
        }
    );
    assert!(
        preview.rows[0].notes.is_empty(),
        "{:?}",
        preview.rows[0].notes
    );
    let ImportCommit::Done(done) = k
        .commit_pass_import(&rows, ImportMode::Add, false, 0, "x.csv")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(done.new_users, 1);
    // Listed here with the name the file gave, as "+ Add User" does.
    let users = k.users().await.unwrap();
    let added = users
        .iter()
        .find(|u| u.email == "olga@other.example")
        .unwrap();
    assert_eq!(added.full_name(), "Someone Else");
}

#[tokio::test]
async fn a_card_another_writer_registers_meanwhile_rolls_the_whole_import_back() {
    let (test_db, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let raw = test_db.raw().await;
    let passes_before = count(&test_db, "SELECT COUNT(*) FROM passes").await;
    let jan: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'jan@kroon.example'")
        .fetch_one(&raw)
        .await
        .unwrap();
    let rows = file(&[
        [
            "Ilse",
            "Vermeer",
            "ilse@kroon.example",
            "",
            "",
            "04A1B2C3D4E5F6",
            "Tag Ilse",
            "",
            "",
        ],
        [
            "Piet",
            "Smit",
            "piet@kroon.example",
            "",
            "",
            "04FFFB11CD2345",
            "Tag Piet",
            "",
            "",
        ],
    ]);
    // The other writer registers row 3's card for Jan while the import runs.
    let insert = format!(
        "INSERT INTO passes (org_id, user_id, id_kind, id_value, match_key, nickname, mode, created_at, created_by) \
         VALUES ({k}, {jan}, 'hidden', '04FFFB11CD2345', '04FFFB11CD2345', 'Meanwhile', 'whitelist', 0, {jan})",
        k = f.k.0
    );
    let outcome = while_in_flight(&raw, &[&insert], async move {
        k.commit_pass_import(&rows, ImportMode::Add, false, 0, "x.csv")
            .await
    })
    .await;
    // SQLite waits for the other writer and then plans with its pass (refused at the row); PostgreSQL may also
    // run into it while writing (an error): either way nothing of the file is written.
    assert!(!matches!(outcome, Ok(ImportCommit::Done(_))), "{outcome:?}");
    assert_eq!(
        count(&test_db, "SELECT COUNT(*) FROM passes").await,
        passes_before + 1
    );
    assert_eq!(
        count(
            &test_db,
            "SELECT COUNT(*) FROM users WHERE email = 'ilse@kroon.example'"
        )
        .await,
        0
    );
}
