//! Pass-ID parsing: the Public Card ID (contract ID with its check character) and the Hidden ID (RFID UID), valid
//! and invalid, through [`check_pass_id`] as the "+ Add Pass" form and its server function call it. The same
//! parsers turn every OCPP idTag into lookup keys (`shared::decision::id_tag_keys`, measured in `decision`).
//!
//! Run with `cargo bench -p shared --bench pass_id`; the numbers are in `docs/benchmarks.md`. Nothing here asserts
//! a time: each input's outcome is checked once before it is measured.

use criterion::{criterion_group, criterion_main, Criterion};
use shared::pass_id::{check_pass_id, PassIdKind};
use std::hint::black_box;
use std::time::Duration;

fn pass_id(c: &mut Criterion) {
    // (name, field, input, accepted without confirmation)
    let cases = [
        (
            "Public Card ID: EMAID, check character right",
            PassIdKind::Visible,
            "NL-TNM-000122045-U",
            true,
        ),
        (
            "Public Card ID: EMAID without hyphens, lower case",
            PassIdKind::Visible,
            "nltnm000122045u",
            true,
        ),
        (
            "Public Card ID: EMAID, check character wrong",
            PassIdKind::Visible,
            "NL-TNM-000122045-X",
            false,
        ),
        (
            "Public Card ID: a Hidden ID pasted",
            PassIdKind::Visible,
            "04AAAB11CD2345",
            false,
        ),
        (
            "Hidden ID: 7-byte UID with colons",
            PassIdKind::Hidden,
            "04:aa:ab:11:cd:23:45",
            true,
        ),
        (
            "Hidden ID: not hex",
            PassIdKind::Hidden,
            "04AAAB11CD23ZZ",
            false,
        ),
        (
            "Hidden ID: a contract ID pasted",
            PassIdKind::Hidden,
            "NLTNM000122045U",
            false,
        ),
    ];
    let mut group = c.benchmark_group("check_pass_id");
    for (name, kind, input, accepted) in cases {
        assert_eq!(
            check_pass_id(kind, input, false).is_ok(),
            accepted,
            "{name}"
        );
        group.bench_function(name, |b| {
            b.iter(|| check_pass_id(kind, black_box(input), false))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: these are orientation numbers on a shared machine, not a gate (see docs/benchmarks.md).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = pass_id
}
criterion_main!(benches);
