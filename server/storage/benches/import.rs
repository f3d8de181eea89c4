//! Bulk import of passes (issue #12: 10,000 rows are checked in < 1 s and committed in < 2 s, on SQLite and on
//! PostgreSQL): reading the file (CSV and XLSX, `passfile::read`) and checking every row (`read_row`), the
//! preview (`OrgAdmin::preview_pass_import`: the organization's tree, the accounts, memberships and passes the
//! file touches), and the commit (`OrgAdmin::commit_pass_import`) of 10,000 rows — 5,000 new people with two
//! tags each — into a new organization each time; and the commit of 1,000 rows of 500 people who have accounts
//! already (members of another organization), which goes the way of "+ Add User" person by person.
//!
//! On PostgreSQL when `CHARGEDESK_TEST_PG_URL` is set (`scripts/pg.sh start`), else SQLite in a temporary
//! directory. Run with `cargo bench -p storage --bench import`; the numbers are in `docs/benchmarks.md`. In test
//! mode (`cargo test --benches`) each case runs once with 200 rows. Nothing here asserts a time: each case checks
//! once what it did.

use criterion::{criterion_group, criterion_main, Criterion};
use shared::import::{read_row, ImportMode, Layout, RowInput};
use shared::names::{Email, OrgName, Password, PersonName};
use std::time::{Duration, Instant};
use storage::test_support::{postgres_admin_url, TestDb};
use storage::{Caller, Db, ImportCommit, LoginOutcome};
use tokio::runtime::Runtime;

const PASSWORD: &str = "correct horse battery staple";

fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn rows_wanted() -> usize {
    if measuring() {
        10_000
    } else {
        200
    }
}

/// The import file's header and `rows` rows: people `p0`… (`{batch}` in their addresses, so that every batch
/// is new people) with two tags each.
fn file_rows(rows: usize, batch: usize) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "First name",
        "Last name",
        "E-mail",
        "Role",
        "Public Card ID",
        "Hidden ID",
        "Nickname",
        "Mode",
    ];
    let body = (0..rows)
        .map(|i| {
            let person = i / 2;
            vec![
                format!("Person{person}"),
                "Bench".to_owned(),
                format!("p{person}.{batch}@bench.example"),
                String::new(),
                String::new(),
                format!("04{:012X}", 0x1_0000_0000_u64 + i as u64),
                format!("Tag {i}"),
                if i % 3 == 0 { "Roaming" } else { "" }.to_owned(),
            ]
        })
        .collect();
    (header, body)
}

fn checked(sheet: &passfile::Sheet) -> Vec<RowInput> {
    let layout = Layout::parse(&sheet.headers).expect("the bench file's headers");
    sheet
        .rows
        .iter()
        .map(|r| read_row(&layout, r.line, &r.cells))
        .collect()
}

async fn partner(db: &Db) -> (shared::OrgId, Caller) {
    let (org, _) = db
        .create_partner(
            &OrgName::parse("Bench Partner").unwrap(),
            &PersonName::parse("Bea").unwrap(),
            &PersonName::parse("Bench").unwrap(),
            &Email::parse("bea@bench.example").unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .expect("partner");
    let LoginOutcome::LoggedIn { session_token, .. } =
        db.login("bea@bench.example", PASSWORD).await.unwrap()
    else {
        panic!("log in")
    };
    let caller = db.caller(&session_token).await.unwrap().unwrap();
    (org, caller)
}

fn bench_import(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let backend = if postgres_admin_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let rows = rows_wanted();
    let (header, body) = file_rows(rows, 0);
    let csv = passfile::write(passfile::Format::Csv, &header, &body);
    let xlsx = passfile::write(passfile::Format::Xlsx, &header, &body);
    let sheet = passfile::read(&csv).unwrap();
    let inputs = checked(&sheet);
    assert_eq!(inputs.len(), rows);
    assert!(inputs.iter().all(|r| r.checked.is_ok()));

    let test_db = rt.block_on(TestDb::new());
    let db = rt.block_on(test_db.open());
    let (root, caller) = rt.block_on(partner(&db));
    let root_admin = rt.block_on(caller.admin_of(&db, root)).unwrap();
    let created = std::cell::Cell::new(0);
    let fresh_org = || {
        created.set(created.get() + 1);
        let name = OrgName::parse(&format!("Customer {}", created.get())).unwrap();
        rt.block_on(root_admin.add_sub_organization(&name)).unwrap()
    };
    let target = fresh_org();
    let admin = rt.block_on(caller.admin_of(&db, target)).unwrap();
    let preview = rt
        .block_on(admin.preview_pass_import(&inputs, ImportMode::Add))
        .unwrap();
    assert_eq!(preview.totals.new_passes, rows);
    assert_eq!(preview.totals.new_users, rows / 2);

    let mut group = c.benchmark_group(format!("import/{backend}"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(format!("read and check a {rows}-row CSV"), |b| {
        b.iter(|| checked(&passfile::read(&csv).unwrap()))
    });
    group.bench_function(format!("read and check a {rows}-row XLSX"), |b| {
        b.iter(|| checked(&passfile::read(&xlsx).unwrap()))
    });
    group.bench_function(format!("preview {rows} new rows"), |b| {
        b.iter(|| {
            rt.block_on(admin.preview_pass_import(&inputs, ImportMode::Add))
                .unwrap()
        })
    });
    // The people of the preview's file get their accounts (for the last case).
    let first = rt
        .block_on(admin.commit_pass_import(&inputs, ImportMode::Add, false, 0, "bench.csv"))
        .unwrap();
    assert!(matches!(first, ImportCommit::Done(ref d) if d.new_passes == rows));
    group.bench_function(format!("commit {rows} new rows"), |b| {
        b.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                let org = fresh_org();
                let admin = rt.block_on(caller.admin_of(&db, org)).unwrap();
                // New people each time: an address with an account already takes "+ Add User"'s path.
                let (header, body) = file_rows(rows, created.get());
                let csv = passfile::write(passfile::Format::Csv, &header, &body);
                let inputs = checked(&passfile::read(&csv).unwrap());
                let started = Instant::now();
                let outcome = rt
                    .block_on(admin.commit_pass_import(
                        &inputs,
                        ImportMode::Add,
                        false,
                        0,
                        "bench.csv",
                    ))
                    .unwrap();
                spent += started.elapsed();
                let ImportCommit::Done(done) = outcome else {
                    panic!("refused: {outcome:?}")
                };
                assert_eq!(done.new_passes, rows);
            }
            spent
        })
    });
    // People who have accounts already (from the commit before the cases above), into yet another organization.
    let known = 1_000.min(rows);
    let (header, body) = file_rows(known, 0);
    let known_inputs =
        checked(&passfile::read(&passfile::write(passfile::Format::Csv, &header, &body)).unwrap());
    group.bench_function(
        format!("commit {known} rows of people with accounts"),
        |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    let org = fresh_org();
                    let admin = rt.block_on(caller.admin_of(&db, org)).unwrap();
                    let started = Instant::now();
                    let outcome = rt
                        .block_on(admin.commit_pass_import(
                            &known_inputs,
                            ImportMode::Add,
                            false,
                            0,
                            "bench.csv",
                        ))
                        .unwrap();
                    spent += started.elapsed();
                    let ImportCommit::Done(done) = outcome else {
                        panic!("refused: {outcome:?}")
                    };
                    assert_eq!(done.new_users, known / 2);
                }
                spent
            })
        },
    );
    group.finish();
    drop(test_db);
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
