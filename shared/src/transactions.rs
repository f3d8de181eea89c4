//! "Transactions": the filter people set (period, station, user, pass, billing, active), read from the query
//! string with an error at the field, and what the page shows for a filter (totals, energy per day).
//!
//! The same [`TransactionFilter`] selects the page's rows, its totals, the chart and the downloads, so a download
//! is exactly the filtered set. Periods are calendar days in the organization's time zone, and a session belongs
//! to the day on which it **started** (the list's order and its "Start" column; a running session has no end
//! yet). The days are turned into instants on the server only: the browser never reads a time zone.

use crate::decision::Billing;
use crate::export::{decimal_kwh, decimal_money, safe_cell};
use crate::ids::StationId;
use crate::model::TransactionSummary;
use crate::paging::grouped;
use crate::period::Day;
use crate::tariff::{Currency, Money};
use crate::time::TimeZoneName;
use crate::{MemberId, PassId};
use serde::{Deserialize, Serialize};

/// The query-string names of the filter's fields (also the form fields' `name`s).
pub const FROM: &str = "from";
pub const TO: &str = "to";
pub const STATION: &str = "station";
pub const USER: &str = "user";
pub const PASS: &str = "pass";
pub const BILLING: &str = "billing";
pub const ACTIVE: &str = "active";
/// Every filter field, in the form's order.
pub const FIELDS: [&str; 7] = [FROM, TO, STATION, USER, PASS, BILLING, ACTIVE];

/// The longest chart: a longer period shows its last this many days.
pub const CHART_DAYS_MAX: usize = 366;
/// The chart's days when the filter names no start: this many days up to its end (or today).
pub const CHART_DAYS_DEFAULT: usize = 30;

/// "Billing": how a session was billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingFilter {
    /// Charged to the card's provider (billing `settled`).
    Settled,
    /// Free because the pass was whitelisted (billing `free` at a station that was not Open).
    Whitelisted,
    /// Free because the station's access mode was Open when the card was presented.
    Open,
}

impl BillingFilter {
    pub const ALL: [BillingFilter; 3] = [Self::Settled, Self::Whitelisted, Self::Open];

    /// The query-string value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Settled => "settled",
            Self::Whitelisted => "whitelisted",
            Self::Open => "open",
        }
    }

    /// What the form's choice says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Settled => "Settled",
            Self::Whitelisted => "Whitelisted",
            Self::Open => "Open",
        }
    }

    pub fn parse(value: &str) -> Option<BillingFilter> {
        Self::ALL.into_iter().find(|b| b.as_str() == value.trim())
    }
}

/// The filter as the query string (and the form) hold it: text, not yet checked. Empty values mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub station: Option<String>,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub billing: Option<String>,
    pub active: Option<String>,
}

/// A checked filter: each field narrows the sessions, `None` lets everything through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionFilter {
    /// Sessions that started on this day (in the organization's zone) or later.
    pub from: Option<Day>,
    /// Sessions that started on this day or earlier.
    pub to: Option<Day>,
    pub station: Option<StationId>,
    /// The cardholder, as a member of the organization whose "Transactions" these are.
    pub user: Option<MemberId>,
    pub pass: Option<PassId>,
    pub billing: Option<BillingFilter>,
    /// `Some(true)`: only sessions still charging; `Some(false)`: only finished ones.
    pub active: Option<bool>,
}

/// A field's error: the field's name (see [`FIELDS`]) and the sentence shown next to it.
pub type FieldError = (&'static str, String);

/// A field's trimmed value, `None` when empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl TransactionQuery {
    /// The value of `field` (one of [`FIELDS`]).
    pub fn get(&self, field: &str) -> Option<&str> {
        match field {
            FROM => self.from.as_deref(),
            TO => self.to.as_deref(),
            STATION => self.station.as_deref(),
            USER => self.user.as_deref(),
            PASS => self.pass.as_deref(),
            BILLING => self.billing.as_deref(),
            ACTIVE => self.active.as_deref(),
            _ => None,
        }
    }

    /// From `(name, value)` pairs (a query string); unknown names are ignored, the last of a repeated one counts.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> TransactionQuery {
        let mut q = TransactionQuery::default();
        for (name, value) in pairs {
            let slot = match name {
                FROM => &mut q.from,
                TO => &mut q.to,
                STATION => &mut q.station,
                USER => &mut q.user,
                PASS => &mut q.pass,
                BILLING => &mut q.billing,
                ACTIVE => &mut q.active,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        q
    }

    /// Checks every field; the errors name their field, in the form's order.
    pub fn parse(&self) -> Result<TransactionFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut day = |field: &'static str, v: &Option<String>| {
            given(v).and_then(|text| match Day::parse(text) {
                Ok(day) => Some(day),
                Err(e) => {
                    errors.push((field, e.to_string()));
                    None
                }
            })
        };
        let from = day(FROM, &self.from);
        let to = day(TO, &self.to);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.push((TO, "“To” is before “From”: choose a later day.".to_owned()));
            }
        }
        let mut id = |field: &'static str, what: &str, v: &Option<String>| {
            given(v).and_then(|text| match text.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.push((field, format!("Choose a {what} from the list.")));
                    None
                }
            })
        };
        let station = id(STATION, "station", &self.station).map(StationId);
        let user = id(USER, "user", &self.user).map(MemberId);
        let pass = id(PASS, "pass", &self.pass).map(PassId);
        let billing = given(&self.billing).and_then(|text| {
            let parsed = BillingFilter::parse(text);
            if parsed.is_none() {
                errors.push((BILLING, "Choose Settled, Whitelisted or Open.".to_owned()));
            }
            parsed
        });
        let active = given(&self.active).and_then(|text| match text {
            "true" | "yes" | "1" | "on" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => {
                errors.push((ACTIVE, "“Active only” is on or off.".to_owned()));
                None
            }
        });
        if errors.is_empty() {
            Ok(TransactionFilter {
                from,
                to,
                station,
                user,
                pass,
                billing,
                active,
            })
        } else {
            Err(errors)
        }
    }
}

impl TransactionFilter {
    /// The filter as query-string pairs, only the fields that are set, in [`FIELDS`] order (what links and the
    /// download URLs carry; [`TransactionQuery::parse`] reads them back to this filter).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut put = |name, value: Option<String>| {
            if let Some(v) = value {
                out.push((name, v));
            }
        };
        put(FROM, self.from.map(|d| d.to_string()));
        put(TO, self.to.map(|d| d.to_string()));
        put(STATION, self.station.map(|s| s.0.to_string()));
        put(USER, self.user.map(|u| u.0.to_string()));
        put(PASS, self.pass.map(|p| p.0.to_string()));
        put(BILLING, self.billing.map(|b| b.as_str().to_owned()));
        put(ACTIVE, self.active.map(|a| a.to_string()));
        out
    }

    /// The filter as text again.
    pub fn to_query(&self) -> TransactionQuery {
        let pairs = self.pairs();
        TransactionQuery::from_pairs(pairs.iter().map(|(n, v)| (*n, v.as_str())))
    }

    pub fn is_empty(&self) -> bool {
        *self == TransactionFilter::default()
    }

    /// The days the chart shows: from "From" (or [`CHART_DAYS_DEFAULT`] days before the end) to "To" (or
    /// `today`), at most the last [`CHART_DAYS_MAX`] of them. A "From" after today without a "To" is that day
    /// alone.
    pub fn chart_days(&self, today: Day) -> (Day, Day) {
        let last = self
            .to
            .unwrap_or_else(|| today.max(self.from.unwrap_or(today)));
        let mut first = self
            .from
            .unwrap_or_else(|| (1..CHART_DAYS_DEFAULT).fold(last, |d, _| d.previous()));
        let earliest = (1..CHART_DAYS_MAX).fold(last, |d, _| d.previous());
        if first < earliest {
            first = earliest;
        }
        (first, last)
    }
}

/// The totals of the filtered sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionTotals {
    pub sessions: u64,
    /// Energy of the finished sessions (a running one has none yet).
    pub energy_wh: i64,
    /// What the priced (settled, stopped) sessions cost incl. VAT, per currency, in currency order.
    pub amounts: Vec<(Currency, Money)>,
}

impl TransactionTotals {
    /// "1,234 sessions · 5,678.9 kWh · €1,234.56" (one amount per currency; none without priced sessions).
    pub fn label(&self) -> String {
        let sessions = match self.sessions {
            1 => "1 session".to_owned(),
            n => format!("{} sessions", grouped(n)),
        };
        let mut parts = vec![sessions, format!("{} kWh", kwh_label(self.energy_wh))];
        parts.extend(self.amounts.iter().map(|(c, m)| money_label(c, *m)));
        parts.join(" · ")
    }
}

/// An amount as [`Currency::format`] writes it, with thousands separated: "€1,234.56".
pub fn money_label(currency: &Currency, amount: Money) -> String {
    let text = currency.format(amount);
    let Some(point) = text.rfind('.') else {
        return text;
    };
    let start = text[..point]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| {
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        });
    match text[start..point].parse::<u64>() {
        Ok(units) => format!("{}{}{}", &text[..start], grouped(units), &text[point..]),
        Err(_) => text,
    }
}

/// Energy as kWh with one decimal and thousands separated: 5_678_949 Wh → "5,678.9" (rounded half up).
pub fn kwh_label(energy_wh: i64) -> String {
    let tenths = (energy_wh.unsigned_abs() + 50) / 100;
    let sign = if energy_wh < 0 && tenths > 0 { "-" } else { "" };
    format!("{sign}{}.{}", grouped(tenths / 10), tenths % 10)
}

/// One bar of the energy-per-day chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEnergy {
    pub day: Day,
    /// Sessions that started on this day (with the filter).
    pub sessions: u64,
    /// Their energy (finished ones).
    pub energy_wh: i64,
}

/// The energy per day of a filter's period, every day present (zero when nothing was charged), oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnergyPerDay {
    pub days: Vec<DayEnergy>,
}

impl EnergyPerDay {
    /// "Energy per day, 2026-11-01 to 2026-11-30: 1,234.5 kWh in total, most on 2026-11-14 (80.0 kWh)."
    pub fn summary(&self) -> String {
        let (Some(first), Some(last)) = (self.days.first(), self.days.last()) else {
            return "Energy per day: no days.".to_owned();
        };
        let total: i64 = self.days.iter().map(|d| d.energy_wh).sum();
        let mut text = format!(
            "Energy per day, {} to {}: {} kWh in total",
            first.day,
            last.day,
            kwh_label(total)
        );
        match self
            .days
            .iter()
            .filter(|d| d.energy_wh > 0)
            .max_by_key(|d| d.energy_wh)
        {
            Some(most) => text.push_str(&format!(
                ", most on {} ({} kWh).",
                most.day,
                kwh_label(most.energy_wh)
            )),
            None => text.push('.'),
        }
        text
    }

    /// The highest bar, in Wh (at least 1, so that a scale can divide by it).
    pub fn max_wh(&self) -> i64 {
        self.days
            .iter()
            .map(|d| d.energy_wh)
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

/// What "Transactions" shows above the list for a filter: its totals and the chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionsOverview {
    pub totals: TransactionTotals,
    pub per_day: EnergyPerDay,
    /// The time zone the days are read in, e.g. "Europe/Amsterdam" (shown; the browser never parses it).
    pub time_zone: String,
}

/// A download's file name: `transactions-brouwerij-de-kroon-2026-11-24.xlsx` (the organization's name in lower
/// case ASCII letters and digits, today's date).
pub fn export_file_name(org_name: &str, today: Day, extension: &str) -> String {
    crate::export::download_name("transactions", org_name, Some(today), extension)
}

/// The header of a download: the names of [`export_row`]'s cells; times are local in `zone`.
pub fn export_header(zone: &TimeZoneName) -> Vec<String> {
    [
        "Transaction ID",
        "Station",
        "Charge point ID",
        "Connector",
        "Pass",
        "User",
        "idTag",
        &format!("Start ({zone})"),
        &format!("Stop ({zone})"),
        "Meter start (Wh)",
        "Meter stop (Wh)",
        "Energy (kWh)",
        "Status",
        "Billing",
        "Decision",
        "Stop reason",
        "Active",
        "Price excl. VAT",
        "VAT",
        "Price incl. VAT",
        "Currency",
        "Price note",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A download's cell.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCell {
    /// Text, made safe from formula injection by [`safe_cell`].
    Text(String),
    /// An exact decimal number written with a '.' (kWh, money): the CSV writes it as it is, XLSX as a number.
    Decimal(String),
    Integer(i64),
    Empty,
}

impl ExportCell {
    /// Text people or stations typed, never run as a formula.
    pub fn text(value: &str) -> ExportCell {
        ExportCell::Text(safe_cell(value).into_owned())
    }
}

/// One session as a download's row (the cells of [`export_header`]): "Billing" says Settled, Whitelisted or
/// Open as the filter does ("Not charged" for a refused card), amounts and energy are numbers.
pub fn export_row(t: &TransactionSummary, open: bool, zone: &TimeZoneName) -> Vec<ExportCell> {
    use ExportCell::{Decimal, Empty, Integer};
    let text = |s: &str| ExportCell::text(s);
    let opt_text = |s: &Option<String>| s.as_deref().map_or(Empty, ExportCell::text);
    let money = |m: Option<Money>| m.map_or(Empty, |m| Decimal(decimal_money(m)));
    let billing = match (t.billing, open) {
        (Some(Billing::Settled), _) => "Settled",
        (Some(Billing::Free), true) => "Open",
        (Some(Billing::Free), false) => "Whitelisted",
        (None, _) => "Not charged",
    };
    vec![
        Integer(t.id.0),
        text(&t.station_name),
        text(&t.charge_point_id),
        Integer(t.connector_id),
        opt_text(&t.pass_nickname),
        opt_text(&t.user_name),
        text(&t.id_tag),
        text(&t.started_at.local_date_time(zone)),
        t.stopped_at
            .map_or(Empty, |s| text(&s.local_date_time(zone))),
        Integer(t.meter_start_wh),
        t.meter_stop_wh.map_or(Empty, Integer),
        t.energy_wh.map_or(Empty, |wh| Decimal(decimal_kwh(wh))),
        text(t.status.as_str()),
        text(billing),
        text(&t.decision_reason),
        opt_text(&t.stop_reason),
        text(if t.is_active() { "yes" } else { "no" }),
        money(t.price.map(|p| p.net)),
        money(t.price.map(|p| p.vat)),
        money(t.price.map(|p| p.gross)),
        t.tariff
            .as_ref()
            .filter(|_| t.price.is_some())
            .map_or(Empty, |tariff| text(tariff.currency.as_str())),
        opt_text(&t.price_note),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> TransactionQuery {
        TransactionQuery::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn a_query_string_becomes_a_filter_and_back() {
        let q = query(&[
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("station", "7"),
            ("user", "9007199254740991"),
            ("pass", "3"),
            ("billing", "open"),
            ("active", "true"),
            ("after", "1.2.3"),
        ]);
        let f = q.parse().unwrap();
        assert_eq!(f.from, Day::new(2026, 11, 1));
        assert_eq!(f.to, Day::new(2026, 11, 30));
        assert_eq!(f.station, Some(StationId(7)));
        assert_eq!(f.user, Some(MemberId(9_007_199_254_740_991)));
        assert_eq!(f.pass, Some(PassId(3)));
        assert_eq!(f.billing, Some(BillingFilter::Open));
        assert_eq!(f.active, Some(true));
        assert_eq!(f.to_query().parse().unwrap(), f);
        assert_eq!(f.pairs().len(), 7);
        let empty = query(&[("from", " "), ("billing", "")]).parse().unwrap();
        assert!(empty.is_empty());
        assert!(empty.pairs().is_empty());
    }

    #[test]
    fn each_wrong_field_is_named() {
        let errors = query(&[
            ("from", "2026-02-30"),
            ("to", "yesterday"),
            ("station", "-1"),
            ("user", "x"),
            ("pass", "1.5"),
            ("billing", "free"),
            ("active", "maybe"),
        ])
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, FIELDS.to_vec());
        let reversed = query(&[("from", "2026-11-02"), ("to", "2026-11-01")])
            .parse()
            .unwrap_err();
        assert_eq!(reversed[0].0, TO);
    }

    #[test]
    fn the_chart_covers_the_period_or_the_last_thirty_days() {
        let day = |m, d| Day::new(2026, m, d).unwrap();
        let today = day(11, 24);
        let none = TransactionFilter::default();
        assert_eq!(none.chart_days(today), (day(10, 26), today));
        let period = TransactionFilter {
            from: Some(day(11, 1)),
            to: Some(day(11, 30)),
            ..none
        };
        assert_eq!(period.chart_days(today), (day(11, 1), day(11, 30)));
        let from_only = TransactionFilter {
            from: Some(day(11, 20)),
            ..none
        };
        assert_eq!(from_only.chart_days(today), (day(11, 20), today));
        let future = TransactionFilter {
            from: Some(day(12, 5)),
            ..none
        };
        assert_eq!(future.chart_days(today), (day(12, 5), day(12, 5)));
        let long = TransactionFilter {
            from: Some(Day::new(2020, 1, 1).unwrap()),
            to: Some(day(11, 24)),
            ..none
        };
        let (first, last) = long.chart_days(today);
        assert_eq!(first.through(last).count(), CHART_DAYS_MAX);
    }

    #[test]
    fn totals_read_as_people_say_them() {
        let totals = TransactionTotals {
            sessions: 1234,
            energy_wh: 5_678_949,
            amounts: vec![(Currency::default(), Money(123_456))],
        };
        assert_eq!(totals.label(), "1,234 sessions · 5,678.9 kWh · €1,234.56");
        assert_eq!(
            TransactionTotals {
                sessions: 1,
                ..TransactionTotals::default()
            }
            .label(),
            "1 session · 0.0 kWh"
        );
        assert_eq!(kwh_label(-1_250), "-1.3");
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(
            money_label(&chf, Money(-123_456_789)),
            "\u{2212}CHF 1,234,567.89"
        );
        assert_eq!(money_label(&Currency::default(), Money(5)), "€0.05");
        assert_eq!(kwh_label(49), "0.0");
    }

    #[test]
    fn file_names_are_safe_and_dated() {
        let day = Day::new(2026, 11, 24).unwrap();
        assert_eq!(
            export_file_name("Brouwerij De Kroon", day, "xlsx"),
            "transactions-brouwerij-de-kroon-2026-11-24.xlsx"
        );
        assert_eq!(
            export_file_name("Hotel \"Zonneveld\" / Zürich!", day, "csv"),
            "transactions-hotel-zonneveld-z-rich-2026-11-24.csv"
        );
        assert_eq!(
            export_file_name("***", day, "csv"),
            "transactions-2026-11-24.csv"
        );
    }

    #[test]
    fn download_rows_are_safe_and_numbers_stay_numbers() {
        use crate::decision::AuthorizationStatus;
        use crate::ids::TransactionId;
        use crate::time::Timestamp;
        let t = TransactionSummary {
            id: TransactionId(7),
            station_id: StationId(1),
            station_name: "=HYPERLINK(\"https://evil.example\")".into(),
            charge_point_id: "CP-1".into(),
            connector_id: 1,
            id_tag: "-1+1".into(),
            pass_id: None,
            pass_nickname: None,
            user_name: Some("@SUM(A1)".into()),
            status: AuthorizationStatus::Accepted,
            billing: Some(Billing::Free),
            started_at: Timestamp(1_795_511_130_000),
            meter_start_wh: 1000,
            stopped_at: None,
            meter_stop_wh: None,
            energy_wh: Some(-500),
            last_meter_wh: None,
            stop_reason: None,
            tariff: None,
            price: None,
            price_note: None,
            decision_reason: "station access mode is Open".into(),
        };
        let zone = TimeZoneName::default();
        let row = export_row(&t, true, &zone);
        assert_eq!(row.len(), export_header(&zone).len());
        assert_eq!(row[0], ExportCell::Integer(7));
        assert_eq!(
            row[1],
            ExportCell::Text("'=HYPERLINK(\"https://evil.example\")".into())
        );
        assert_eq!(row[5], ExportCell::Text("'@SUM(A1)".into()));
        assert_eq!(row[6], ExportCell::Text("'-1+1".into()));
        assert_eq!(row[7], ExportCell::Text("2026-11-24 10:05".into()));
        assert_eq!(row[11], ExportCell::Decimal("-0.500".into()));
        assert_eq!(row[13], ExportCell::Text("Open".into()));
        assert_eq!(row[16], ExportCell::Text("yes".into()));
        assert_eq!(
            export_row(&t, false, &zone)[13],
            ExportCell::Text("Whitelisted".into())
        );
    }

    #[test]
    fn the_chart_is_summarised_in_words() {
        let day = |d| Day::new(2026, 11, d).unwrap();
        let chart = EnergyPerDay {
            days: vec![
                DayEnergy {
                    day: day(1),
                    sessions: 2,
                    energy_wh: 12_000,
                },
                DayEnergy {
                    day: day(2),
                    sessions: 0,
                    energy_wh: 0,
                },
            ],
        };
        assert_eq!(
            chart.summary(),
            "Energy per day, 2026-11-01 to 2026-11-02: 12.0 kWh in total, most on 2026-11-01 (12.0 kWh)."
        );
        assert_eq!(chart.max_wh(), 12_000);
        assert_eq!(EnergyPerDay::default().max_wh(), 1);
    }
}
