//! Cells of the spreadsheets people download (a statement's sessions as CSV, the Transactions export): text made
//! safe for spreadsheet programs, and amounts as plain decimal numbers.
//!
//! A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and drops a leading tab
//! or carriage return before looking), so a station named `=HYPERLINK("https://evil.example","Click")` would
//! become a live link in the accountant's copy. [`safe_cell`] quotes such text with a leading `'`, as OWASP's
//! "CSV Injection" page recommends. It is for text that people typed (names, card IDs, descriptions); numbers
//! that we format ourselves from integers ([`decimal_money`], [`decimal_price`], [`decimal_kwh`]) cannot carry a
//! formula and stay numbers, so a negative amount "-1.20" is still summed by the spreadsheet.

use crate::tariff::{Money, Price};
use std::borrow::Cow;

/// Characters a spreadsheet takes as the start of a formula: `= + - @`, their full-width forms `＝ ＋ － ＠`, their
/// small forms `﹦ ﹢ ﹣ ﹫` and the minus sign `−`.
pub const FORMULA_STARTS: [char; 13] = [
    '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}', '\u{FE66}', '\u{FE62}',
    '\u{FE63}', '\u{FE6B}', '\u{2212}',
];

/// Whether a spreadsheet could run `value` as a formula: it starts with a tab or a carriage return, or its first
/// character after any leading whitespace (spaces, tabs, line breaks, every other Unicode whitespace) and
/// invisible characters (zero-width spaces and joiners, word joiner, byte order mark) is in [`FORMULA_STARTS`].
pub fn could_start_a_formula(value: &str) -> bool {
    let invisible = |c: char| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    };
    value.starts_with(['\t', '\r'])
        || value
            .trim_start_matches(invisible)
            .starts_with(FORMULA_STARTS)
}

/// `text` as a spreadsheet cell that is never run as a formula: text that [`could_start_a_formula`] gets a
/// leading `'` (shown by spreadsheet programs as text, the quote hidden); anything else is returned as it is,
/// without copying.
pub fn safe_cell(text: &str) -> Cow<'_, str> {
    if could_start_a_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// An amount as a plain decimal number in the main unit, with '.' and two decimals: "12.34", "-1.20", "0.05".
pub fn decimal_money(amount: Money) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    let abs = amount.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A unit price as a plain decimal number in the main unit, with as many decimals as it has (at least two):
/// "0.79", "0.083", "1.00".
pub fn decimal_price(price: Price) -> String {
    let sign = if price.0 < 0 { "-" } else { "" };
    let abs = price.0.unsigned_abs();
    let mut decimals = format!("{:04}", abs % 10_000);
    while decimals.len() > 2 && decimals.ends_with('0') {
        decimals.pop();
    }
    format!("{sign}{}.{decimals}", abs / 10_000)
}

/// Energy in Wh as kWh with three decimals (exact: a decimal is a Wh): 12_345 → "12.345", 5 → "0.005".
pub fn decimal_kwh(energy_wh: i64) -> String {
    let sign = if energy_wh < 0 { "-" } else { "" };
    let abs = energy_wh.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1_000, abs % 1_000)
}

/// A download's file name: "transactions-brouwerij-de-kroon-2026-11-30.csv" — `what`, the organization's name in
/// lower-case ASCII letters and digits with hyphens for the rest, the day (omitted when `None`), the extension.
pub fn download_name(
    what: &str,
    org_name: &str,
    day: Option<crate::period::Day>,
    extension: &str,
) -> String {
    let mut slug = String::new();
    for c in org_name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut name = what.to_owned();
    for part in [
        slug.trim_end_matches('-').to_owned(),
        day.map(|d| d.to_string()).unwrap_or_default(),
    ] {
        if !part.is_empty() {
            name.push('-');
            name.push_str(&part);
        }
    }
    format!("{name}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted() {
        let cases = [
            (
                r#"=HYPERLINK("https://evil.example","Click")"#,
                r#"'=HYPERLINK("https://evil.example","Click")"#,
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            // Harmless text is left as it is, including formula characters further in.
            ("Station 1", "Station 1"),
            ("NL-TNM-C00122045-K", "NL-TNM-C00122045-K"),
            ("a=b", "a=b"),
            // Leading whitespace or invisible characters do not hide a formula.
            (" =1", "' =1"),
            ("\u{200B}+1", "'\u{200B}+1"),
            ("\u{FF1D}1", "'\u{FF1D}1"),
            ("", ""),
            ("'already quoted", "'already quoted"),
        ];
        for (input, expected) in cases {
            let cell = safe_cell(input);
            assert_eq!(cell, expected, "{input:?}");
            assert_eq!(
                matches!(cell, Cow::Borrowed(_)),
                input == expected,
                "{input:?} is copied only when quoted"
            );
        }
    }

    #[test]
    fn numbers_are_plain_decimals() {
        let money = [
            (0, "0.00"),
            (5, "0.05"),
            (1_234, "12.34"),
            (-120, "-1.20"),
            (100_000_000, "1000000.00"),
        ];
        for (cents, expected) in money {
            assert_eq!(decimal_money(Money(cents)), expected, "{cents}");
        }
        let prices = [
            (7_900, "0.79"),
            (830, "0.083"),
            (10_000, "1.00"),
            (1, "0.0001"),
            (-7_900, "-0.79"),
        ];
        for (units, expected) in prices {
            assert_eq!(decimal_price(Price(units)), expected, "{units}");
        }
        let energy = [
            (0, "0.000"),
            (5, "0.005"),
            (12_345, "12.345"),
            (1_000_000, "1000.000"),
            (-1_500, "-1.500"),
        ];
        for (wh, expected) in energy {
            assert_eq!(decimal_kwh(wh), expected, "{wh}");
        }
    }
}
