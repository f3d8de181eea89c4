//! The statement's sessions as CSV, for the recipient's bookkeeping.

use shared::export::{decimal_kwh, decimal_money, decimal_price, safe_cell};
use shared::statement::Statement;
use shared::tariff::CurrentKind;

/// The columns, in order.
pub(crate) const HEADER: [&str; 9] = [
    "session",
    "ended_on",
    "station",
    "card",
    "energy_kwh",
    "type",
    "rate",
    "amount",
    "currency",
];

/// The statement's sessions as CSV (RFC 4180, UTF-8, comma-separated, a header row): one row per line, numbers
/// as plain decimals with '.' ("12.345" kWh, "0.79" rate, "9.75" amount, in the statement's currency).
///
/// Text that people typed (station names, cards, and so on) passes through [`safe_cell`], so that a spreadsheet
/// never runs it as a formula; the numbers are ours, formatted from integers, and stay numbers. Corrections are
/// not sessions and are not in this file (a negative correction would be the one cell starting with '-'): they
/// are on the statement itself, with its totals.
pub fn csv(statement: &Statement) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory fails only if the rows differ in length, which these never do.
    writer
        .write_record(HEADER)
        .expect("the CSV header is written to memory");
    for line in &statement.lines {
        let kind = match line.kind {
            CurrentKind::Ac => "AC",
            CurrentKind::Dc => "DC",
        };
        let session = line.session.to_string();
        let energy = decimal_kwh(line.energy_wh);
        let rate = decimal_price(line.rate);
        let amount = decimal_money(line.amount);
        let row: [&str; 9] = [
            &session,
            &safe_cell(&line.ended_on),
            &safe_cell(&line.station),
            &safe_cell(&line.card),
            &energy,
            kind,
            &rate,
            &amount,
            &safe_cell(statement.currency.as_str()),
        ];
        writer
            .write_record(row)
            .expect("a CSV row is written to memory");
    }
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .expect("the CSV is flushed to memory")
}
