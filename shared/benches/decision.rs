//! The authorization decision as the OCPP Authorize and StartTransaction handlers make it
//! (`storage::decisions`): [`id_tag_keys`] on the received idTag, then [`decide`] over the passes found in the
//! station's organization subtree — 1 (the usual case), 10 (the card registered in many sub-organizations) and
//! 1,000 (a worst case) candidates — and with none (an unknown card).
//!
//! Run with `cargo bench -p shared --bench decision`; the numbers are in `docs/benchmarks.md`. Nothing here asserts
//! a time: each case's status is checked once before it is measured.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use shared::decision::{
    decide, id_tag_keys, AuthorizationStatus, CandidatePass, Decision, IdTagKeys,
};
use shared::station::AccessMode;
use shared::{OrgId, PassId, PassMode, UserId};
use std::hint::black_box;
use std::time::Duration;

const ID_TAG: &str = "04AAAB11CD2345";
const STATION_ORG: &str = "De Kroon Logistics";

/// `count` passes with the card, nearest organization first. Only the last is whitelisted, so the Whitelisting
/// cases scan the whole list before they accept.
fn candidates(count: usize) -> Vec<CandidatePass> {
    (0..count)
        .map(|i| {
            let i = i as i64;
            CandidatePass {
                pass: PassId(1_000 + i),
                org: OrgId(10 + i),
                org_name: format!("De Kroon Werkplaats {i}"),
                nickname: format!("Tag Jan {i}"),
                user: Some(UserId(5_000 + i)),
                mode: if i == count as i64 - 1 {
                    PassMode::Whitelist
                } else {
                    PassMode::Roaming
                },
            }
        })
        .collect()
}

/// One Authorize: the lookup keys (the storage query is not measured) and the decision.
fn authorize(
    id_tag: &str,
    mode: AccessMode,
    candidates: &[CandidatePass],
) -> (IdTagKeys, Decision) {
    (
        id_tag_keys(id_tag),
        decide(id_tag, mode, STATION_ORG, candidates),
    )
}

fn decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    for mode in [AccessMode::Whitelisting, AccessMode::RoamingAndWhitelisting] {
        for count in [0, 1, 10, 1_000] {
            let found = candidates(count);
            let expected = if count == 0 {
                AuthorizationStatus::Invalid
            } else {
                AuthorizationStatus::Accepted
            };
            let (keys, decided) = authorize(ID_TAG, mode, &found);
            assert!(keys.hidden.is_some());
            assert_eq!(decided.status, expected);
            group.bench_with_input(
                BenchmarkId::new(mode.as_str(), format!("{count} candidates")),
                &found,
                |b, found| b.iter(|| authorize(black_box(ID_TAG), mode, black_box(found))),
            );
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: these are orientation numbers on a shared machine, not a gate (see docs/benchmarks.md).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = decision
}
criterion_main!(benches);
