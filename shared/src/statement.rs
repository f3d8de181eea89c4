//! The monthly credit statement (issue #11, part 3), as data: what the browser shows under "Invoices" and what
//! the server renders as PDF and CSV (the `statement-doc` crate).
//!
//! On the first day of a month, each organization that owns stations with settled sessions in the month before
//! is credited the reimbursement of those sessions: each session's energy at the organization's reimbursement
//! rate per kWh (AC and DC apart), rounded half up to the cent per session ([`reimbursement`]). The statement is
//! issued by the partner (or the platform operator) above the organization to the organization, which is paid.
//!
//! - Numbers are gapless and sequential per issuer: storage assigns the sequence, [`format_number`] writes it
//!   after the issuer's prefix ([`number_prefix`]): "VOLTA-2026-0001".
//! - A statement is never edited after it is issued: a correction to an earlier one is a [`Correction`] line on
//!   the next one (and may be negative).
//! - VAT: none when the recipient is a private person; otherwise once on the statement's net total
//!   ([`Statement::totals`]).
//!
//! Amounts are integers ([`Money`], [`Price`]) and rounded with the pricing's half-up rule, so a statement's
//! lines are the same amounts as the sessions' reimbursements shown elsewhere.

use crate::tariff::{round_half_up, Currency, CurrentKind, Money, Price};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The issuer or the recipient of a statement, as printed on it. Plain text: billing details are checked where
/// they are entered, not here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementParty {
    /// The registered name.
    pub legal_name: String,
    /// Street and number.
    pub address_line: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 code ("NL").
    pub country: String,
    /// The VAT identification number, if any.
    pub vat_number: Option<String>,
    /// The bank account (the recipient's: where the credit is paid), if known.
    pub iban: Option<String>,
}

/// One settled session on a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The transaction id.
    pub session: i64,
    /// The station's name.
    pub station: String,
    /// The local date the session ended, in the recipient's time zone ("2026-11-14").
    pub ended_on: String,
    /// The card (its Public Card ID or name, as the caller chose).
    pub card: String,
    /// The energy delivered, in Wh.
    pub energy_wh: i64,
    /// Whether the station is AC or DC (their rates differ).
    pub kind: CurrentKind,
    /// The reimbursement rate per kWh.
    pub rate: Price,
    /// The reimbursement: [`reimbursement`] of the energy at the rate.
    pub amount: Money,
}

impl StatementLine {
    /// A line with its amount computed by [`reimbursement`].
    pub fn new(
        session: i64,
        station: impl Into<String>,
        ended_on: impl Into<String>,
        card: impl Into<String>,
        energy_wh: i64,
        kind: CurrentKind,
        rate: Price,
    ) -> Self {
        Self {
            session,
            station: station.into(),
            ended_on: ended_on.into(),
            card: card.into(),
            energy_wh,
            kind,
            rate,
            amount: reimbursement(energy_wh, rate),
        }
    }
}

/// A correction to an earlier statement (which is never edited): a described amount, negative to take back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// What it corrects, e.g. "Session 1234 on VOLTA-2026-0007: meter corrected".
    pub description: String,
    /// The amount (excluding VAT), negative to take back.
    pub amount: Money,
}

/// A credit statement as issued: the parties, the month, every line and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The number, e.g. "VOLTA-2026-0001" ([`format_number`]).
    pub number: String,
    /// The partner (or platform operator) that issues the statement and pays.
    pub issuer: StatementParty,
    /// The organization that owns the stations and is paid.
    pub recipient: StatementParty,
    /// Whether the recipient is a company (VAT applies) rather than a private person (no VAT).
    pub recipient_is_company: bool,
    /// The year of the month settled.
    pub year: i32,
    /// The month settled, 1–12.
    pub month: u8,
    /// The month as people read it: "November 2026".
    pub period_label: String,
    /// The IANA time zone in which the month and the dates are read ("Europe/Amsterdam").
    pub time_zone: String,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// The local date it was issued ("2026-12-01").
    pub issued_on: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// The sessions.
    pub lines: Vec<StatementLine>,
    /// Corrections to earlier statements.
    pub corrections: Vec<Correction>,
    /// The VAT rate in basis points (21% = 2100); not applied when the recipient is a private person.
    pub vat_basis_points: u32,
    /// The total excluding VAT: the lines and the corrections.
    pub net: Money,
    /// The VAT on [`Statement::net`].
    pub vat: Money,
    /// What is paid: net and VAT.
    pub gross: Money,
    /// The energy of all lines, in Wh.
    pub energy_wh: i64,
}

/// A statement's totals ([`Statement::totals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// The energy of all lines, in Wh.
    pub energy_wh: i64,
    /// The lines' amounts and the corrections.
    pub net: Money,
    /// The VAT on the net total.
    pub vat: Money,
    /// Net and VAT.
    pub gross: Money,
}

impl Statement {
    /// The totals of `lines` and `corrections`: net is the sum of the line amounts (each already rounded to the
    /// cent) and the corrections; VAT is nothing for a private person, and for a company `vat_basis_points` of
    /// the net total, rounded half up once on that total — not per line, which would make the VAT depend on how
    /// the month is split into sessions and drift from the rate by up to half a cent a session; gross is net
    /// plus VAT. A negative net (corrections larger than the month) has the VAT of its amount, negated.
    pub fn totals(
        lines: &[StatementLine],
        corrections: &[Correction],
        vat_basis_points: u32,
        recipient_is_company: bool,
    ) -> Totals {
        let energy_wh = lines.iter().map(|l| l.energy_wh).sum();
        let net = lines.iter().map(|l| l.amount.0).sum::<i64>()
            + corrections.iter().map(|c| c.amount.0).sum::<i64>();
        let vat = if recipient_is_company {
            rounded(i128::from(net) * i128::from(vat_basis_points), 10_000)
        } else {
            0
        };
        Totals {
            energy_wh,
            net: Money(net),
            vat: Money(vat),
            gross: Money(net + vat),
        }
    }
}

/// The reimbursement of `energy_wh` at `rate` per kWh, rounded half up to the cent: 12.345 kWh at €0.79 =
/// €9.75255 → €9.75.
pub fn reimbursement(energy_wh: i64, rate: Price) -> Money {
    // Price units are €0.0001 per kWh: Wh × units / 1000 (Wh per kWh) / 100 (units per cent).
    Money(rounded(i128::from(energy_wh) * i128::from(rate.0), 100_000))
}

/// `numerator / denominator` (denominator positive) rounded half up on the magnitude: the pricing's rule for
/// non-negative amounts, mirrored for negative ones so that taking an amount back takes back exactly its VAT.
fn rounded(numerator: i128, denominator: i128) -> i64 {
    if numerator < 0 {
        -round_half_up(-numerator, denominator)
    } else {
        round_half_up(numerator, denominator)
    }
}

/// The prefix of an issuer's statement numbers: the first 8 ASCII letters and digits of its name, upper-cased
/// ("Volta Energie B.V." → "VOLTAENE"), or "CD" (ChargeDesk) if the name has none.
pub fn number_prefix(issuer_name: &str) -> String {
    let prefix: String = issuer_name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if prefix.is_empty() {
        "CD".to_owned()
    } else {
        prefix
    }
}

/// A statement number: the issuer's prefix, the year and the issuer's gapless sequence number (assigned by
/// storage) with at least four digits: ("VOLTA", 2026, 1) → "VOLTA-2026-0001".
pub fn format_number(prefix: &str, year: i32, sequence: i64) -> String {
    format!("{prefix}-{year}-{sequence:04}")
}

/// An organization's settlement settings as its "Billing" tab shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementSettings {
    /// The zone set here (`None`: inherited).
    pub own_time_zone: Option<String>,
    /// The zone in force.
    pub time_zone: String,
    /// Reimbursement per kWh at AC / DC stations set here (`None`: inherited).
    pub own_rates: (Option<crate::tariff::Price>, Option<crate::tariff::Price>),
    /// The rates in force (`None`: none set here or above).
    pub rates: (Option<crate::tariff::Price>, Option<crate::tariff::Price>),
    /// Whether the caller may set the rates (they administer an organization above this one).
    pub may_set_rates: bool,
    /// The billing details, if filled in.
    pub billing: Option<crate::billing::BillingDetails>,
    /// The time zones to choose from (`TimeZoneName::choices`, sent by the server so that the browser does not
    /// need the time zone database).
    pub time_zone_choices: Vec<String>,
}

/// One issued statement in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSummary {
    /// The statement's id (for its PDF and CSV).
    pub id: i64,
    /// Its number, e.g. "VOLTAPAR-2026-0001".
    pub number: String,
    /// The organization credited.
    pub recipient: String,
    /// "2026-11".
    pub month: String,
    /// "November 2026".
    pub period_label: String,
    /// When it was issued.
    pub issued_at: crate::time::Timestamp,
    /// How many sessions it credits, and their energy.
    pub sessions: i64,
    /// Wh.
    pub energy_wh: i64,
    /// The currency of the amounts.
    pub currency: crate::tariff::Currency,
    /// Excluding VAT.
    pub net: crate::tariff::Money,
    /// The VAT.
    pub vat: crate::tariff::Money,
    /// What is paid.
    pub gross: crate::tariff::Money,
}

/// A recent month of an organization on its "Invoices" page: its statement, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthStatus {
    /// "2026-11".
    pub month: String,
    /// "November 2026".
    pub label: String,
    /// The statement issued for it.
    pub statement: Option<StatementSummary>,
    /// Why there is no statement (when `statement` is `None`).
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(energy_wh: i64, rate: i64) -> StatementLine {
        StatementLine::new(
            1,
            "Station",
            "2026-11-14",
            "NL-TNM-C00122045-K",
            energy_wh,
            CurrentKind::Ac,
            Price(rate),
        )
    }

    fn correction(cents: i64) -> Correction {
        Correction {
            description: "Session 7 on VOLTA-2026-0001: meter corrected".into(),
            amount: Money(cents),
        }
    }

    #[test]
    fn a_line_is_its_energy_at_the_rate_rounded_half_up_to_the_cent() {
        // (case, Wh, rate in €0.0001, cents)
        let cases = [
            ("nothing", 0, 7_900, 0),
            ("12.345 kWh at €0.79 = €9.75255", 12_345, 7_900, 975),
            ("1 kWh at €0.795: exactly half a cent up", 1_000, 7_950, 80),
            ("1 kWh at €0.7949: below half", 1_000, 7_949, 79),
            ("1 Wh at €0.79 is €0.00079", 1, 7_900, 0),
            ("a sliver at half a cent", 5, 10_000, 1),
            ("60 kWh DC at €0.59", 60_000, 5_900, 3_540),
        ];
        for (case, wh, rate, cents) in cases {
            assert_eq!(reimbursement(wh, Price(rate)), Money(cents), "{case}");
            assert_eq!(line(wh, rate).amount, Money(cents), "{case}");
        }
    }

    #[test]
    fn totals_by_the_table() {
        // (case, lines as (Wh, rate), corrections in cents, VAT bp, company, (Wh, net, VAT, gross))
        type Case = (
            &'static str,
            Vec<(i64, i64)>,
            Vec<i64>,
            u32,
            bool,
            (i64, i64, i64, i64),
        );
        let cases: Vec<Case> = vec![
            ("empty", vec![], vec![], 2_100, true, (0, 0, 0, 0)),
            (
                "one line, 21% NL VAT: 975 × 0.21 = 204.75",
                vec![(12_345, 7_900)],
                vec![],
                2_100,
                true,
                (12_345, 975, 205, 1_180),
            ),
            (
                "VAT at exactly half a cent rounds up: 50 × 0.21 = 10.5",
                vec![(1_000, 5_000)],
                vec![],
                2_100,
                true,
                (1_000, 50, 11, 61),
            ),
            (
                "VAT once on the total, not per line: 3 × 10.5 would be 33",
                vec![(1_000, 5_000), (1_000, 5_000), (1_000, 5_000)],
                vec![],
                2_100,
                true,
                (3_000, 150, 32, 182),
            ),
            (
                "negative correction: (975 − 120) × 0.21 = 179.55",
                vec![(12_345, 7_900)],
                vec![-120],
                2_100,
                true,
                (12_345, 855, 180, 1_035),
            ),
            (
                "corrections only, net negative: −50 × 0.21 = −10.5",
                vec![],
                vec![-50],
                2_100,
                true,
                (0, -50, -11, -61),
            ),
            (
                "private person: no VAT whatever the rate",
                vec![(12_345, 7_900), (20_000, 5_900)],
                vec![250],
                2_100,
                false,
                (32_345, 2_405, 0, 2_405),
            ),
            (
                "9% VAT",
                vec![(40_000, 3_500)],
                vec![],
                900,
                true,
                (40_000, 1_400, 126, 1_526),
            ),
        ];
        for (case, lines, corrections, bp, company, (wh, net, vat, gross)) in cases {
            let lines: Vec<_> = lines.into_iter().map(|(wh, rate)| line(wh, rate)).collect();
            let corrections: Vec<_> = corrections.into_iter().map(correction).collect();
            assert_eq!(
                Statement::totals(&lines, &corrections, bp, company),
                Totals {
                    energy_wh: wh,
                    net: Money(net),
                    vat: Money(vat),
                    gross: Money(gross),
                },
                "{case}"
            );
        }
    }

    #[test]
    fn numbers_are_the_issuers_prefix_the_year_and_the_sequence() {
        let prefixes = [
            ("Volta", "VOLTA"),
            ("Volta Energie B.V.", "VOLTAENE"),
            ("e-Mobility 24/7 GmbH", "EMOBILIT"),
            ("4 Wheels", "4WHEELS"),
            ("Énergie Öko", "NERGIEKO"),
            ("", "CD"),
            ("—?!", "CD"),
        ];
        for (name, prefix) in prefixes {
            assert_eq!(number_prefix(name), prefix, "{name:?}");
        }
        let numbers = [
            ("VOLTA", 2026, 1, "VOLTA-2026-0001"),
            ("VOLTA", 2026, 42, "VOLTA-2026-0042"),
            ("CD", 2027, 12_345, "CD-2027-12345"),
        ];
        for (prefix, year, sequence, number) in numbers {
            assert_eq!(format_number(prefix, year, sequence), number);
        }
    }

    #[test]
    fn a_statement_travels_as_json() {
        let lines = vec![line(12_345, 7_900)];
        let totals = Statement::totals(&lines, &[], 2_100, true);
        let statement = Statement {
            number: format_number("VOLTA", 2026, 1),
            issuer: StatementParty {
                legal_name: "Volta B.V.".into(),
                ..StatementParty::default()
            },
            recipient: StatementParty {
                legal_name: "Garage Jansen".into(),
                iban: Some("NL91ABNA0417164300".into()),
                ..StatementParty::default()
            },
            recipient_is_company: true,
            year: 2026,
            month: 11,
            period_label: "November 2026".into(),
            time_zone: "Europe/Amsterdam".into(),
            issued_at: Timestamp(1_796_083_200_000),
            issued_on: "2026-12-01".into(),
            currency: Currency::default(),
            lines,
            corrections: vec![correction(-120)],
            vat_basis_points: 2_100,
            net: totals.net,
            vat: totals.vat,
            gross: totals.gross,
            energy_wh: totals.energy_wh,
        };
        let json = serde_json::to_string(&statement).expect("serializable");
        let back: Statement = serde_json::from_str(&json).expect("deserializable");
        assert_eq!(back, statement);
    }
}
