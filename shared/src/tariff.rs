//! Tariffs and the price of a charging session (issue #11, part 1): the one pricing function, used by the
//! server when a settled session ends and by the browser to show the same amount.
//!
//! Money is integers, never floating point:
//!
//! - [`Money`]: an amount in the currency's minor unit (cents): what a session costs, a cap, a statement line.
//! - [`Price`]: a unit price in ten-thousandths of the currency's main unit (€0.0001), precise enough for the
//!   prices operators publish (€0.79/kWh, €0.083 a minute = €4.98 an hour).
//!
//! A session's price ([`price`]) is its lines — start fee, energy, charging time, idle time after charging
//! beyond the free minutes — each rounded once to the cent (half up), their sum capped at the tariff's maximum,
//! then VAT on that sum. A session that drew no energy costs no start fee. Prices exclude VAT; the VAT rate is
//! the tariff's. A tariff above the platform's caps ([`PlatformCaps`]) is refused with the field and the cap.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// An amount in the currency's minor unit (cents for EUR).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Money(pub i64);

/// A unit price in ten-thousandths of the currency's main unit (€0.0001).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Price(pub i64);

/// The currency of a tariff: an ISO 4217 code whose minor unit is a hundredth (EUR, GBP, CHF, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency(String);

impl Default for Currency {
    fn default() -> Self {
        Self("EUR".into())
    }
}

impl Currency {
    /// Three letters, as ISO 4217 writes them ("eur" is read as "EUR").
    pub fn parse(input: &str) -> Result<Self, TariffError> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(TariffError::new(
                "currency",
                "Enter the currency as its three-letter code, e.g. EUR.",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn symbol(&self) -> Option<&'static str> {
        match self.0.as_str() {
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            _ => None,
        }
    }

    /// `amount` as people read it: "€1.23", "CHF 1.23", "−€0.50".
    pub fn format(&self, amount: Money) -> String {
        let sign = if amount.0 < 0 { "\u{2212}" } else { "" };
        let abs = amount.0.unsigned_abs();
        let number = format!("{}.{:02}", abs / 100, abs % 100);
        match self.symbol() {
            Some(symbol) => format!("{sign}{symbol}{number}"),
            None => format!("{sign}{} {number}", self.0),
        }
    }

    /// A unit price as people read it, with as many decimals as it has (at least two): "€0.79", "€0.083".
    pub fn format_price(&self, price: Price) -> String {
        let sign = if price.0 < 0 { "\u{2212}" } else { "" };
        let abs = price.0.unsigned_abs();
        let mut decimals = format!("{:04}", abs % 10_000);
        while decimals.len() > 2 && decimals.ends_with('0') {
            decimals.pop();
        }
        let number = format!("{}.{decimals}", abs / 10_000);
        match self.symbol() {
            Some(symbol) => format!("{sign}{symbol}{number}"),
            None => format!("{sign}{} {number}", self.0),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a tariff's field or a session's price was refused, for the field it names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct TariffError {
    /// The form field (or session fact) it is about.
    pub field: &'static str,
    /// What to do, in words.
    pub message: String,
}

impl TariffError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// "The start fee" → "the start fee", for the middle of a sentence.
fn lower_first(what: &str) -> String {
    let mut chars = what.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads an amount typed by a person ("0.79", "0,79", "€ 1", "12") with at most `decimals` decimals.
fn parse_decimal(
    input: &str,
    decimals: u32,
    field: &'static str,
    what: &str,
) -> Result<i64, TariffError> {
    let text: String = input
        .trim()
        .trim_start_matches('€')
        .trim()
        .chars()
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let invalid = || {
        TariffError::new(
            field,
            format!(
                "Enter {} as a number, e.g. 0.79 (at most {decimals} decimals).",
                lower_first(what)
            ),
        )
    };
    if text.is_empty() || text.starts_with('-') {
        return Err(if text.starts_with('-') {
            TariffError::new(field, format!("{what} cannot be negative."))
        } else {
            invalid()
        });
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > decimals as usize
        || whole.len() > 9
    {
        return Err(invalid());
    }
    let scale = 10_i64.pow(decimals);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let padded = format!("{fraction:0<width$}", width = decimals as usize);
    let fraction: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().map_err(|_| invalid())?
    };
    Ok(whole * scale + fraction)
}

impl Money {
    /// An amount typed by a person, in the main unit with at most two decimals ("1.00", "1,5").
    pub fn parse(input: &str, field: &'static str, what: &str) -> Result<Self, TariffError> {
        parse_decimal(input, 2, field, what).map(Money)
    }
}

impl Price {
    /// A unit price typed by a person, in the main unit with at most four decimals ("0.79", "0,083").
    pub fn parse(input: &str, field: &'static str, what: &str) -> Result<Self, TariffError> {
        parse_decimal(input, 4, field, what).map(Price)
    }
}

/// A tariff: what a settled session costs, excluding VAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    /// The currency of every amount.
    pub currency: Currency,
    /// Per session that drew energy.
    pub start_fee: Money,
    /// Per kWh.
    pub per_kwh: Price,
    /// Per hour of charging time.
    pub per_hour_charging: Price,
    /// Per hour of idle time after charging ended, beyond [`Tariff::idle_free_minutes`].
    pub per_hour_idle: Price,
    /// Idle minutes that are free.
    pub idle_free_minutes: u32,
    /// The most a session costs (excluding VAT), if capped.
    pub max_per_session: Option<Money>,
    /// The VAT rate in basis points (21% = 2100).
    pub vat_basis_points: u32,
}

/// Whether a station charges with alternating or direct current (the platform caps differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrentKind {
    /// AC.
    Ac,
    /// DC.
    Dc,
}

/// The most the platform lets an organization charge (excluding VAT); card providers do not guarantee payment
/// above them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformCaps {
    /// Per kWh at AC stations.
    pub per_kwh_ac: Price,
    /// Per kWh at DC stations.
    pub per_kwh_dc: Price,
    /// Start fee per session.
    pub start_fee: Money,
}

impl Default for PlatformCaps {
    /// A real operator's: €0.79/kWh AC, €0.90/kWh DC, €1.00 per session.
    fn default() -> Self {
        Self {
            per_kwh_ac: Price(7_900),
            per_kwh_dc: Price(9_000),
            start_fee: Money(100),
        }
    }
}

/// The highest VAT rate accepted (no EU rate is above 27%).
pub const MAX_VAT_BASIS_POINTS: u32 = 3_000;

impl Tariff {
    /// Refuses a tariff above the platform's caps for stations of `kind`, naming the field and the cap.
    pub fn check(&self, caps: &PlatformCaps, kind: CurrentKind) -> Result<(), TariffError> {
        let cap = match kind {
            CurrentKind::Ac => caps.per_kwh_ac,
            CurrentKind::Dc => caps.per_kwh_dc,
        };
        let kind_name = kind.label();
        if self.per_kwh > cap {
            return Err(TariffError::new(
                "per_kwh",
                format!(
                    "The price per kWh ({}) is above the platform's cap of {} for {kind_name} stations.",
                    self.currency.format_price(self.per_kwh),
                    self.currency.format_price(cap)
                ),
            ));
        }
        if self.start_fee > caps.start_fee {
            return Err(TariffError::new(
                "start_fee",
                format!(
                    "The start fee ({}) is above the platform's cap of {} per session.",
                    self.currency.format(self.start_fee),
                    self.currency.format(caps.start_fee)
                ),
            ));
        }
        if self.vat_basis_points > MAX_VAT_BASIS_POINTS {
            return Err(TariffError::new(
                "vat",
                "Enter the VAT rate in percent, at most 30 (e.g. 21).",
            ));
        }
        Ok(())
    }
}

/// A tariff as an organization or a station sets it: [`Tariff`] with a price per kWh for AC and one for DC
/// stations (the platform caps differ). The tariff frozen onto a session is [`TariffSettings::for_kind`] of the
/// station's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffSettings {
    /// The currency of every amount.
    pub currency: Currency,
    /// Per session that drew energy.
    pub start_fee: Money,
    /// Per kWh at AC stations.
    pub per_kwh_ac: Price,
    /// Per kWh at DC stations.
    pub per_kwh_dc: Price,
    /// Per hour of charging time.
    pub per_hour_charging: Price,
    /// Per hour of idle time after charging ended, beyond the free minutes.
    pub per_hour_idle: Price,
    /// Idle minutes that are free.
    pub idle_free_minutes: u32,
    /// The most a session costs (excluding VAT), if capped.
    pub max_per_session: Option<Money>,
    /// The VAT rate in basis points (21% = 2100).
    pub vat_basis_points: u32,
}

impl TariffSettings {
    /// The tariff of a session at a station of `kind`.
    pub fn for_kind(&self, kind: CurrentKind) -> Tariff {
        Tariff {
            currency: self.currency.clone(),
            start_fee: self.start_fee,
            per_kwh: match kind {
                CurrentKind::Ac => self.per_kwh_ac,
                CurrentKind::Dc => self.per_kwh_dc,
            },
            per_hour_charging: self.per_hour_charging,
            per_hour_idle: self.per_hour_idle,
            idle_free_minutes: self.idle_free_minutes,
            max_per_session: self.max_per_session,
            vat_basis_points: self.vat_basis_points,
        }
    }

    /// Refuses settings above the platform's caps, naming the field (`per_kwh_ac`, `per_kwh_dc`, `start_fee`,
    /// `vat`) and the cap.
    pub fn check(&self, caps: &PlatformCaps) -> Result<(), TariffError> {
        for (kind, field) in [
            (CurrentKind::Ac, "per_kwh_ac"),
            (CurrentKind::Dc, "per_kwh_dc"),
        ] {
            self.for_kind(kind).check(caps, kind).map_err(|e| {
                if e.field == "per_kwh" {
                    TariffError::new(field, e.message)
                } else {
                    e
                }
            })?;
        }
        Ok(())
    }

    /// A one-line description for lists and the audit log: "€0.35/kWh AC, €0.59/kWh DC, €1.00 per session, …".
    pub fn summary(&self) -> String {
        let c = &self.currency;
        let mut parts = vec![
            format!("{}/kWh AC", c.format_price(self.per_kwh_ac)),
            format!("{}/kWh DC", c.format_price(self.per_kwh_dc)),
        ];
        if self.start_fee.0 > 0 {
            parts.push(format!("{} per session", c.format(self.start_fee)));
        }
        if self.per_hour_charging.0 > 0 {
            parts.push(format!(
                "{} per hour charging",
                c.format_price(self.per_hour_charging)
            ));
        }
        if self.per_hour_idle.0 > 0 {
            parts.push(format!(
                "{} per idle hour after {} free minutes",
                c.format_price(self.per_hour_idle),
                self.idle_free_minutes
            ));
        }
        if let Some(max) = self.max_per_session {
            parts.push(format!("at most {} per session", c.format(max)));
        }
        parts.push(format!("{} VAT", format_vat(self.vat_basis_points)));
        parts.join(", ")
    }
}

/// Where a tariff in force comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TariffSource {
    /// The station's own tariff.
    Station,
    /// The tariff of this organization (the station's, or one above it).
    Organization {
        /// The organization's name.
        name: String,
    },
}

/// A tariff setting as the Tariff forms show it (an organization's or a station's): its own tariff, the one it
/// would inherit, the platform's caps, and — for a station — whether it is AC or DC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffView {
    /// Set here; `None`: inherited.
    pub own: Option<TariffSettings>,
    /// In force without the own tariff (from the nearest organization above that sets one), if any.
    pub inherited: Option<(TariffSource, TariffSettings)>,
    /// The platform's caps, for the form's own check.
    pub caps: PlatformCaps,
    /// The station's kind (`None` for an organization's tariff).
    pub current_kind: Option<CurrentKind>,
}

impl TariffView {
    /// The tariff in force: the own one, else the inherited one, else none (settled sessions are then not
    /// priced).
    pub fn effective(&self) -> Option<&TariffSettings> {
        self.own
            .as_ref()
            .or(self.inherited.as_ref().map(|(_, settings)| settings))
    }
}

impl CurrentKind {
    /// Both kinds.
    pub const ALL: [CurrentKind; 2] = [CurrentKind::Ac, CurrentKind::Dc];

    /// The stored name: "ac" or "dc".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ac => "ac",
            Self::Dc => "dc",
        }
    }

    /// The kind with the given stored name.
    pub fn parse(s: &str) -> Option<CurrentKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// "AC" or "DC".
    pub fn label(self) -> &'static str {
        match self {
            Self::Ac => "AC",
            Self::Dc => "DC",
        }
    }
}

/// A VAT rate in basis points as people write it: 2100 → "21%", 550 → "5.5%".
pub fn format_vat(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let fraction = basis_points % 100;
    if fraction == 0 {
        format!("{whole}%")
    } else {
        let decimals = format!("{fraction:02}");
        format!("{whole}.{}%", decimals.trim_end_matches('0'))
    }
}

/// The tariff form's fields as typed; [`TariffForm::parse`] checks them all at once, in the browser before
/// sending and on the server before storing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffForm {
    /// ISO 4217 code; empty means EUR.
    pub currency: String,
    /// Start fee per session, e.g. "1.00"; empty means none.
    pub start_fee: String,
    /// Per kWh at AC stations, e.g. "0.35".
    pub per_kwh_ac: String,
    /// Per kWh at DC stations, e.g. "0.59".
    pub per_kwh_dc: String,
    /// Per hour of charging; empty means none.
    pub per_hour_charging: String,
    /// Per idle hour after charging ended; empty means none.
    pub per_hour_idle: String,
    /// Free idle minutes; empty means 0.
    pub idle_free_minutes: String,
    /// Maximum per session; empty means no maximum.
    pub max_per_session: String,
    /// VAT in percent, e.g. "21".
    pub vat_percent: String,
}

impl TariffForm {
    /// Every field's problem at once (each naming its field), or the settings, checked against `caps`.
    pub fn parse(&self, caps: &PlatformCaps) -> Result<TariffSettings, Vec<TariffError>> {
        let mut errors = Vec::new();
        let take = |errors: &mut Vec<TariffError>, result: Result<i64, TariffError>| {
            result.unwrap_or_else(|e| {
                errors.push(e);
                0
            })
        };
        let optional = |input: &str| input.trim().is_empty();
        let currency = if optional(&self.currency) {
            Ok(Currency::default())
        } else {
            Currency::parse(&self.currency)
        };
        let start_fee = if optional(&self.start_fee) {
            0
        } else {
            take(
                &mut errors,
                Money::parse(&self.start_fee, "start_fee", "The start fee").map(|m| m.0),
            )
        };
        let per_kwh_ac = take(
            &mut errors,
            Price::parse(&self.per_kwh_ac, "per_kwh_ac", "The price per kWh (AC)").map(|p| p.0),
        );
        let per_kwh_dc = take(
            &mut errors,
            Price::parse(&self.per_kwh_dc, "per_kwh_dc", "The price per kWh (DC)").map(|p| p.0),
        );
        let per_hour_charging = if optional(&self.per_hour_charging) {
            0
        } else {
            take(
                &mut errors,
                Price::parse(
                    &self.per_hour_charging,
                    "per_hour_charging",
                    "The price per hour of charging",
                )
                .map(|p| p.0),
            )
        };
        let per_hour_idle = if optional(&self.per_hour_idle) {
            0
        } else {
            take(
                &mut errors,
                Price::parse(
                    &self.per_hour_idle,
                    "per_hour_idle",
                    "The price per idle hour",
                )
                .map(|p| p.0),
            )
        };
        let idle_free_minutes = if optional(&self.idle_free_minutes) {
            0
        } else {
            match self.idle_free_minutes.trim().parse::<u32>() {
                Ok(minutes) if minutes <= 24 * 60 => minutes,
                _ => {
                    errors.push(TariffError::new(
                        "idle_free_minutes",
                        "Enter the free idle minutes as a whole number from 0 to 1440.",
                    ));
                    0
                }
            }
        };
        let max_per_session = if optional(&self.max_per_session) {
            None
        } else {
            let max = take(
                &mut errors,
                Money::parse(
                    &self.max_per_session,
                    "max_per_session",
                    "The maximum per session",
                )
                .map(|m| m.0),
            );
            if max == 0 && errors.iter().all(|e| e.field != "max_per_session") {
                errors.push(TariffError::new(
                    "max_per_session",
                    "Enter a maximum above zero, or leave it empty for no maximum.",
                ));
            }
            Some(Money(max))
        };
        let vat_basis_points = match parse_decimal(&self.vat_percent, 2, "vat", "The VAT rate") {
            Ok(bp) if bp <= i64::from(MAX_VAT_BASIS_POINTS) => bp as u32,
            Ok(_) => {
                errors.push(TariffError::new(
                    "vat",
                    "Enter the VAT rate in percent, at most 30 (e.g. 21).",
                ));
                0
            }
            Err(_) => {
                errors.push(TariffError::new(
                    "vat",
                    "Enter the VAT rate in percent, e.g. 21 (0 when no VAT applies).",
                ));
                0
            }
        };
        let currency = match currency {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                Currency::default()
            }
        };
        let settings = TariffSettings {
            currency,
            start_fee: Money(start_fee),
            per_kwh_ac: Price(per_kwh_ac),
            per_kwh_dc: Price(per_kwh_dc),
            per_hour_charging: Price(per_hour_charging),
            per_hour_idle: Price(per_hour_idle),
            idle_free_minutes,
            max_per_session,
            vat_basis_points,
        };
        if errors.is_empty() {
            if let Err(e) = settings.check(caps) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }

    /// The form filled with `settings`, for editing.
    pub fn from_settings(settings: &TariffSettings) -> Self {
        let plain_money = |m: Money| format!("{}.{:02}", m.0 / 100, m.0 % 100);
        let plain_price = |p: Price| {
            let fraction = format!("{:04}", p.0 % 10_000);
            let fraction = fraction.trim_end_matches('0');
            let fraction = if fraction.len() < 2 {
                format!("{fraction:0<2}")
            } else {
                fraction.to_owned()
            };
            format!("{}.{fraction}", p.0 / 10_000)
        };
        let optional_price = |p: Price| {
            if p.0 == 0 {
                String::new()
            } else {
                plain_price(p)
            }
        };
        Self {
            currency: settings.currency.as_str().to_owned(),
            start_fee: if settings.start_fee.0 == 0 {
                String::new()
            } else {
                plain_money(settings.start_fee)
            },
            per_kwh_ac: plain_price(settings.per_kwh_ac),
            per_kwh_dc: plain_price(settings.per_kwh_dc),
            per_hour_charging: optional_price(settings.per_hour_charging),
            per_hour_idle: optional_price(settings.per_hour_idle),
            idle_free_minutes: if settings.idle_free_minutes == 0 {
                String::new()
            } else {
                settings.idle_free_minutes.to_string()
            },
            max_per_session: settings
                .max_per_session
                .map(plain_money)
                .unwrap_or_default(),
            vat_percent: format_vat(settings.vat_basis_points)
                .trim_end_matches('%')
                .to_owned(),
        }
    }
}

/// What a session did, as the price needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// The meter at the start, in Wh (`None`: not reported).
    pub meter_start_wh: Option<i64>,
    /// The meter at the end, in Wh (`None`: not reported).
    pub meter_stop_wh: Option<i64>,
    /// Seconds during which the car charged.
    pub charging_secs: i64,
    /// Seconds the car stayed connected after charging ended.
    pub idle_secs: i64,
}

/// One priced session: its lines (excluding VAT, each rounded to the cent), the total and the VAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPrice {
    /// The energy priced, in Wh.
    pub energy_wh: i64,
    /// The start fee charged.
    pub start_fee: Money,
    /// Energy.
    pub energy: Money,
    /// Charging time.
    pub charging_time: Money,
    /// Idle time beyond the free minutes.
    pub idle_time: Money,
    /// Whether the maximum per session applied.
    pub capped: bool,
    /// The total excluding VAT (after the cap).
    pub net: Money,
    /// The VAT on it.
    pub vat: Money,
    /// What the driver pays.
    pub gross: Money,
}

/// `numerator / denominator` rounded half up (both non-negative). Also the rounding of credit statements'
/// lines and VAT ([`crate::statement`]).
pub(crate) fn round_half_up(numerator: i128, denominator: i128) -> i64 {
    ((numerator * 2 + denominator) / (denominator * 2)) as i64
}

/// The price of a session under `tariff` (see the module documentation). Refused when the meter values are
/// missing or run backwards (the session cannot be priced; it is shown as such).
pub fn price(tariff: &Tariff, usage: &Usage) -> Result<SessionPrice, TariffError> {
    let (Some(start), Some(stop)) = (usage.meter_start_wh, usage.meter_stop_wh) else {
        return Err(TariffError::new(
            "meter",
            "The station did not report the meter at the start and the end of this session: it cannot be priced.",
        ));
    };
    let energy_wh = stop - start;
    if energy_wh < 0 {
        return Err(TariffError::new(
            "meter",
            format!(
                "The meter ran backwards in this session ({start} Wh at the start, {stop} Wh at the end): it cannot be priced."
            ),
        ));
    }
    let charging_secs = usage.charging_secs.max(0);
    let billable_idle = (usage.idle_secs.max(0) - i64::from(tariff.idle_free_minutes) * 60).max(0);
    // Price units are €0.0001; a cent is 100 of them.
    let per = |price: Price, quantity: i64, unit: i64| {
        round_half_up(
            i128::from(price.0) * i128::from(quantity),
            i128::from(unit) * 100,
        )
    };
    let start_fee = if energy_wh > 0 {
        tariff.start_fee
    } else {
        Money(0)
    };
    let energy = Money(per(tariff.per_kwh, energy_wh, 1_000));
    let charging_time = Money(per(tariff.per_hour_charging, charging_secs, 3_600));
    let idle_time = Money(per(tariff.per_hour_idle, billable_idle, 3_600));
    let sum = start_fee.0 + energy.0 + charging_time.0 + idle_time.0;
    let (net, capped) = match tariff.max_per_session {
        Some(max) if sum > max.0 => (max.0, true),
        _ => (sum, false),
    };
    let vat = round_half_up(
        i128::from(net) * i128::from(tariff.vat_basis_points),
        10_000,
    );
    Ok(SessionPrice {
        energy_wh,
        start_fee,
        energy,
        charging_time,
        idle_time,
        capped,
        net: Money(net),
        vat: Money(vat),
        gross: Money(net + vat),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff() -> Tariff {
        Tariff {
            currency: Currency::default(),
            start_fee: Money(0),
            per_kwh: Price(0),
            per_hour_charging: Price(0),
            per_hour_idle: Price(0),
            idle_free_minutes: 0,
            max_per_session: None,
            vat_basis_points: 2_100,
        }
    }

    fn usage(wh: i64, charging_min: i64, idle_min: i64) -> Usage {
        Usage {
            meter_start_wh: Some(1_000),
            meter_stop_wh: Some(1_000 + wh),
            charging_secs: charging_min * 60,
            idle_secs: idle_min * 60,
        }
    }

    /// The table: (case, tariff, usage, net cents, VAT cents, capped).
    #[test]
    fn sessions_are_priced_by_the_table() {
        let start_fee_only = Tariff {
            start_fee: Money(100),
            ..tariff()
        };
        let energy_only = Tariff {
            per_kwh: Price(7_900),
            ..tariff()
        };
        let time_with_idle = Tariff {
            per_hour_charging: Price(49_800), // €0.083 a minute
            per_hour_idle: Price(60_000),     // €6 an hour
            idle_free_minutes: 30,
            ..tariff()
        };
        let capped = Tariff {
            start_fee: Money(100),
            per_kwh: Price(7_900),
            max_per_session: Some(Money(1_500)),
            ..tariff()
        };
        let private = Tariff {
            per_kwh: Price(7_900),
            vat_basis_points: 0,
            ..tariff()
        };
        let cases: [(&str, &Tariff, Usage, i64, i64, bool); 9] = [
            (
                "start fee only",
                &start_fee_only,
                usage(5_000, 60, 0),
                100,
                21,
                false,
            ),
            (
                "zero energy: no start fee",
                &start_fee_only,
                usage(0, 0, 0),
                0,
                0,
                false,
            ),
            // 12.345 kWh × €0.79 = €9.75255 → €9.75; VAT 21% of 975 = 204.75 → 205.
            (
                "energy only",
                &energy_only,
                usage(12_345, 60, 0),
                975,
                205,
                false,
            ),
            // 1 Wh × €0.79/kWh = €0.00079 → €0.00 (half up at the cent).
            (
                "a sliver of energy rounds to nothing",
                &energy_only,
                usage(1, 1, 0),
                0,
                0,
                false,
            ),
            // 90 min × €4.98/h = €7.47; idle 45 min, 30 free: 15 min × €6/h = €1.50.
            (
                "time with idle",
                &time_with_idle,
                usage(10_000, 90, 45),
                897,
                188,
                false,
            ),
            (
                "idle within the free minutes",
                &time_with_idle,
                usage(10_000, 60, 30),
                498,
                105,
                false,
            ),
            // €1 + 40 kWh × €0.79 = €32.60, capped at €15.
            ("cap", &capped, usage(40_000, 240, 0), 1_500, 315, true),
            (
                "under the cap",
                &capped,
                usage(10_000, 60, 0),
                890,
                187,
                false,
            ),
            (
                "no VAT (a private person)",
                &private,
                usage(10_000, 60, 0),
                790,
                0,
                false,
            ),
        ];
        for (case, tariff, usage, net, vat, was_capped) in cases {
            let priced = price(tariff, &usage).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(
                (priced.net, priced.vat, priced.capped),
                (Money(net), Money(vat), was_capped),
                "{case}: {priced:?}"
            );
            assert_eq!(priced.gross, Money(net + vat), "{case}");
        }
    }

    #[test]
    fn missing_or_backwards_meters_are_refused_with_a_reason() {
        let t = Tariff {
            per_kwh: Price(7_900),
            ..tariff()
        };
        let missing = Usage {
            meter_stop_wh: None,
            ..usage(1_000, 10, 0)
        };
        assert_eq!(price(&t, &missing).unwrap_err().field, "meter");
        let backwards = Usage {
            meter_start_wh: Some(5_000),
            meter_stop_wh: Some(4_000),
            ..usage(0, 10, 0)
        };
        let error = price(&t, &backwards).unwrap_err();
        assert_eq!(
            error.message,
            "The meter ran backwards in this session (5000 Wh at the start, 4000 Wh at the end): it cannot be priced."
        );
    }

    #[test]
    fn amounts_are_read_and_written_as_people_do() {
        assert_eq!(
            Price::parse("0.79", "per_kwh", "The price"),
            Ok(Price(7_900))
        );
        assert_eq!(
            Price::parse(" 0,083 ", "per_kwh", "The price"),
            Ok(Price(830))
        );
        assert_eq!(
            Price::parse("€ 1", "per_kwh", "The price"),
            Ok(Price(10_000))
        );
        assert_eq!(
            Money::parse("1,5", "start_fee", "The start fee"),
            Ok(Money(150))
        );
        assert_eq!(
            Money::parse(".5", "start_fee", "The start fee"),
            Ok(Money(50))
        );
        for bad in ["", "abc", "1.234", "1.2.3", "1e3", "12345678901"] {
            let error = Money::parse(bad, "start_fee", "The start fee").unwrap_err();
            assert_eq!(error.field, "start_fee", "{bad:?}");
        }
        assert_eq!(
            Money::parse("-1", "start_fee", "The start fee")
                .unwrap_err()
                .message,
            "The start fee cannot be negative."
        );
        let eur = Currency::default();
        assert_eq!(eur.format(Money(1_234)), "€12.34");
        assert_eq!(eur.format(Money(-50)), "\u{2212}€0.50");
        assert_eq!(eur.format_price(Price(7_900)), "€0.79");
        assert_eq!(eur.format_price(Price(830)), "€0.083");
        assert_eq!(
            Currency::parse("chf").unwrap().format(Money(100)),
            "CHF 1.00"
        );
        assert!(Currency::parse("EURO").is_err());
    }

    fn form() -> TariffForm {
        TariffForm {
            currency: String::new(),
            start_fee: "1.00".into(),
            per_kwh_ac: "0.35".into(),
            per_kwh_dc: "0,59".into(),
            per_hour_charging: String::new(),
            per_hour_idle: "6".into(),
            idle_free_minutes: "30".into(),
            max_per_session: String::new(),
            vat_percent: "21".into(),
        }
    }

    #[test]
    fn the_tariff_form_reads_every_field_and_round_trips() {
        let caps = PlatformCaps::default();
        let settings = form().parse(&caps).unwrap();
        assert_eq!(
            settings,
            TariffSettings {
                currency: Currency::default(),
                start_fee: Money(100),
                per_kwh_ac: Price(3_500),
                per_kwh_dc: Price(5_900),
                per_hour_charging: Price(0),
                per_hour_idle: Price(60_000),
                idle_free_minutes: 30,
                max_per_session: None,
                vat_basis_points: 2_100,
            }
        );
        assert_eq!(settings.for_kind(CurrentKind::Dc).per_kwh, Price(5_900));
        assert_eq!(
            settings.summary(),
            "€0.35/kWh AC, €0.59/kWh DC, €1.00 per session, €6.00 per idle hour after 30 free minutes, 21% VAT"
        );
        let again = TariffForm::from_settings(&settings);
        assert_eq!(again.per_kwh_dc, "0.59");
        assert_eq!(again.vat_percent, "21");
        assert_eq!(again.parse(&caps), Ok(settings));
        let reduced = TariffForm {
            vat_percent: "5.5".into(),
            per_kwh_ac: "0.083".into(),
            max_per_session: "15".into(),
            ..form()
        };
        let parsed = reduced.parse(&caps).unwrap();
        assert_eq!(
            (
                parsed.vat_basis_points,
                parsed.per_kwh_ac,
                parsed.max_per_session
            ),
            (550, Price(830), Some(Money(1_500)))
        );
        let back = TariffForm::from_settings(&parsed);
        assert_eq!(
            (
                back.vat_percent.as_str(),
                back.per_kwh_ac.as_str(),
                back.max_per_session.as_str()
            ),
            ("5.5", "0.083", "15.00")
        );
    }

    #[test]
    fn the_tariff_form_names_every_wrong_field_at_once() {
        let caps = PlatformCaps::default();
        let bad = TariffForm {
            currency: "euro".into(),
            per_kwh_ac: String::new(),
            per_kwh_dc: "-1".into(),
            idle_free_minutes: "many".into(),
            max_per_session: "0".into(),
            vat_percent: "40".into(),
            ..form()
        };
        let fields: Vec<&str> = bad
            .parse(&caps)
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "per_kwh_ac",
                "per_kwh_dc",
                "idle_free_minutes",
                "max_per_session",
                "vat",
                "currency"
            ]
        );
        // Above a cap: one error at the field, with the cap.
        let dear = TariffForm {
            per_kwh_dc: "0.95".into(),
            ..form()
        };
        let errors = dear.parse(&caps).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "per_kwh_dc");
        assert_eq!(
            errors[0].message,
            "The price per kWh (€0.95) is above the platform's cap of €0.90 for DC stations."
        );
        assert_eq!(format_vat(0), "0%");
        assert_eq!(format_vat(2_150), "21.5%");
    }

    #[test]
    fn tariffs_above_the_platform_caps_are_refused_at_their_field() {
        let caps = PlatformCaps::default();
        let t = Tariff {
            per_kwh: Price(8_500),
            start_fee: Money(100),
            ..tariff()
        };
        let error = t.check(&caps, CurrentKind::Ac).unwrap_err();
        assert_eq!(error.field, "per_kwh");
        assert_eq!(
            error.message,
            "The price per kWh (€0.85) is above the platform's cap of €0.79 for AC stations."
        );
        assert_eq!(t.check(&caps, CurrentKind::Dc), Ok(()));
        let fee = Tariff {
            start_fee: Money(150),
            ..tariff()
        };
        assert_eq!(
            fee.check(&caps, CurrentKind::Dc).unwrap_err().field,
            "start_fee"
        );
        let vat = Tariff {
            vat_basis_points: 3_100,
            ..tariff()
        };
        assert_eq!(vat.check(&caps, CurrentKind::Ac).unwrap_err().field, "vat");
    }
}
