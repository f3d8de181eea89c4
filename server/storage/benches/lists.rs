//! "Passes" and "Transactions" of a big organization (issue #9: 100,000 passes and 1,000,000 transactions respond
//! in < 50 ms p50): the first page, a deep page (after the 50,000th row) and a filtered page of each list, through
//! `OrgAdmin::passes_page` / `OrgAdmin::transactions_page` — the queries the pages run, counts included — on
//! SQLite, and on PostgreSQL when `CHARGEDESK_TEST_PG_URL` is set (`scripts/pg.sh start`).
//!
//! The organization is seeded by `storage::list_seed` once: into `lists-v<schema>-big/` under Cargo's target tmp
//! dir on SQLite, into the database `chargedesk_bench_lists_v<schema>_big` on PostgreSQL; later runs at the same
//! schema version reuse it (the first seed takes a minute or two). In test mode (`cargo test --benches`, what
//! scripts/test.sh runs) the organization is `ListScale::SMALL` in a fresh temporary database, and each case runs
//! once, unmeasured.
//!
//! Run with `cargo bench -p storage --bench lists`; the numbers are in `docs/benchmarks.md`. Nothing here asserts a
//! time: each case checks once what it lists before it is measured.

use criterion::{criterion_group, criterion_main, Criterion};
use shared::ids::StationId;
use shared::paging::{Cursor, PageRequest, PageStart, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX};
use shared::PassMode;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use storage::list_seed::{self, ListScale, SeededLists};
use storage::test_support::{postgres_admin_url, TestDb};
use storage::Db;
use tokio::runtime::Runtime;

/// Where the deep pages start.
const DEEP: u64 = 50_000;

/// Criterion measures only with `--bench` (`cargo bench`); without it (`cargo test --benches`) it runs each case
/// once, and so does the seed: small.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A seeded database and what keeps it (a temporary one in test mode).
struct Seeded {
    lists: SeededLists,
    _keep: Option<TestDb>,
}

async fn seed_or_reuse(db: &Db, scale: &ListScale, what: &str) -> SeededLists {
    if let Some(lists) = list_seed::seeded(db).await.expect("look for the seed") {
        let last = *lists.stations.last().expect("seeded stations");
        // The last station's transactions are the seed's last rows: without them the seed was interrupted.
        let complete = !lists
            .admin
            .station_transactions(last, 1)
            .await
            .expect("read the seed")
            .is_empty();
        assert!(
            complete,
            "{what} holds an interrupted seed: delete it and run again"
        );
        eprintln!("lists: reusing the organization seeded in {what}");
        return lists;
    }
    eprintln!("lists: seeding {scale:?} into {what} (once)…");
    let started = Instant::now();
    let lists = list_seed::seed(db, scale).await.expect("seed");
    list_seed::analyze(db).await.expect("analyze");
    eprintln!("lists: seeded in {:.0?}", started.elapsed());
    lists
}

async fn sqlite(scale: &ListScale) -> Seeded {
    if !measuring() {
        return temporary(scale, false).await;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lists-v{}-big", list_seed::schema_version()));
    std::fs::create_dir_all(&dir).expect("create the benchmark's directory");
    let db = Db::open_sqlite_in(&dir).await.expect("open SQLite");
    let lists = seed_or_reuse(&db, scale, &dir.display().to_string()).await;
    Seeded { lists, _keep: None }
}

async fn postgres(admin_url: &str, scale: &ListScale) -> Seeded {
    if !measuring() {
        return temporary(scale, true).await;
    }
    let name = format!(
        "chargedesk_bench_lists_v{}_big",
        list_seed::schema_version()
    );
    let db = list_seed::open_postgres(admin_url, &name)
        .await
        .expect("open PostgreSQL");
    let lists = seed_or_reuse(&db, scale, &format!("PostgreSQL database {name}")).await;
    Seeded { lists, _keep: None }
}

/// Test mode: a fresh database of the test kind (`TestDb` picks PostgreSQL when the URL is set).
async fn temporary(scale: &ListScale, on_postgres: bool) -> Seeded {
    assert_eq!(on_postgres, postgres_admin_url().is_some());
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let lists = list_seed::seed(&db, scale).await.expect("seed");
    Seeded {
        lists,
        _keep: Some(test_db),
    }
}

/// The cursor after the `depth`-th row (or the last row, if the list is shorter), found by walking the list with
/// the largest pages.
async fn deep_cursor<F, Fut>(depth: u64, page: F) -> Cursor
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Option<Cursor>>,
{
    let mut start = PageStart::First;
    let mut reached = None;
    loop {
        let request = PageRequest {
            start,
            size: PAGE_SIZE_MAX,
        };
        match page(request).await {
            Some(next) if next.position < depth => {
                reached = Some(next);
                start = PageStart::After(next);
            }
            Some(next) => {
                // The cursor of exactly the `depth`-th row: one more, smaller page.
                let short = (PAGE_SIZE_MAX as u64 - (next.position - depth)) as u32;
                let request = PageRequest { start, size: short };
                return page(request).await.unwrap_or(next);
            }
            None => return reached.expect("a list longer than one page"),
        }
    }
}

fn bench_backend(c: &mut Criterion, rt: &Runtime, backend: &str, seeded: &Seeded) {
    let admin = &seeded.lists.admin;
    let first = PageRequest::first();
    let deep_passes = rt.block_on(deep_cursor(DEEP, |r| async move {
        admin.passes_page(None, &r).await.expect("passes").next
    }));
    let deep_transactions = rt.block_on(deep_cursor(DEEP, |r| async move {
        admin
            .transactions_page(None, &r)
            .await
            .expect("transactions")
            .next
    }));
    let deep = |cursor: Cursor| PageRequest {
        start: PageStart::After(cursor),
        size: PAGE_SIZE_DEFAULT,
    };
    // The filtered transactions: the busiest organization's first station.
    let station: StationId = seeded.lists.stations[0];

    // What each case lists, checked once.
    let page = rt.block_on(admin.passes_page(None, &first)).unwrap();
    assert_eq!(page.items.len(), PAGE_SIZE_DEFAULT as usize);
    let page = rt
        .block_on(admin.passes_page(None, &deep(deep_passes)))
        .unwrap();
    assert_eq!(page.first, deep_passes.position + 1);
    let page = rt
        .block_on(admin.passes_page(Some(PassMode::Roaming), &first))
        .unwrap();
    assert!(page.items.iter().all(|p| p.mode == PassMode::Roaming));
    let page = rt.block_on(admin.transactions_page(None, &first)).unwrap();
    assert_eq!(page.items.len(), PAGE_SIZE_DEFAULT as usize);
    let page = rt
        .block_on(admin.transactions_page(None, &deep(deep_transactions)))
        .unwrap();
    assert_eq!(page.first, deep_transactions.position + 1);
    let page = rt
        .block_on(admin.transactions_page(Some(station), &first))
        .unwrap();
    assert!(page.items.iter().all(|t| t.station_id == station));
    eprintln!(
        "lists ({backend}): deep pages after passes row {} and transactions row {}",
        deep_passes.position, deep_transactions.position
    );

    let mut group = c.benchmark_group(format!("lists/{backend}"));
    group.bench_function("passes: first page", |b| {
        b.iter(|| rt.block_on(admin.passes_page(None, &first)).unwrap())
    });
    group.bench_function("passes: deep page", |b| {
        b.iter(|| {
            rt.block_on(admin.passes_page(None, &deep(deep_passes)))
                .unwrap()
        })
    });
    group.bench_function("passes: Roaming only, first page", |b| {
        b.iter(|| {
            rt.block_on(admin.passes_page(Some(PassMode::Roaming), &first))
                .unwrap()
        })
    });
    group.bench_function("transactions: first page", |b| {
        b.iter(|| rt.block_on(admin.transactions_page(None, &first)).unwrap())
    });
    group.bench_function("transactions: deep page", |b| {
        b.iter(|| {
            rt.block_on(admin.transactions_page(None, &deep(deep_transactions)))
                .unwrap()
        })
    });
    group.bench_function("transactions: one station, first page", |b| {
        b.iter(|| {
            rt.block_on(admin.transactions_page(Some(station), &first))
                .unwrap()
        })
    });
    group.finish();
}

fn lists(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    let scale = if measuring() {
        ListScale::BIG
    } else {
        ListScale::SMALL
    };
    match postgres_admin_url() {
        // In test mode the temporary database is the one the tests use: PostgreSQL when the URL is set.
        Some(url) => {
            if measuring() {
                let seeded = rt.block_on(sqlite(&scale));
                bench_backend(c, &rt, "sqlite", &seeded);
            }
            let seeded = rt.block_on(postgres(&url, &scale));
            bench_backend(c, &rt, "postgres", &seeded);
        }
        None => {
            let seeded = rt.block_on(sqlite(&scale));
            bench_backend(c, &rt, "sqlite", &seeded);
        }
    }
}

criterion_group! {
    name = benches;
    // Short runs: orientation numbers on a shared machine, not a gate (see docs/benchmarks.md).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = lists
}
criterion_main!(benches);
