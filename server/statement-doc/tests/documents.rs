//! The statement's PDF and CSV read back: the PDF with lopdf (its pages and their text, as a PDF reader
//! extracts it), the CSV with the csv crate.

use lopdf::Document;
use shared::statement::{
    format_number, number_prefix, Correction, Statement, StatementLine, StatementParty,
};
use shared::tariff::{Currency, CurrentKind, Money, Price};
use shared::time::Timestamp;

/// A November's statement with `sessions` lines, AC at €0.35/kWh and every third DC at €0.59/kWh.
fn statement(sessions: usize, recipient_is_company: bool) -> Statement {
    let lines: Vec<StatementLine> = (0..sessions)
        .map(|i| {
            let dc = i % 3 == 2;
            let station = match i % 4 {
                0 => "Garage Jansen 1".to_owned(),
                1 => "Zuid — Müller, Łódź".to_owned(),
                2 => "A very long station name at the back of the car park behind the workshop"
                    .to_owned(),
                _ => "=HYPERLINK(\"https://evil.example\",\"Click\")".to_owned(),
            };
            StatementLine::new(
                10_000 + i as i64,
                station,
                format!("2026-11-{:02}", 1 + i % 30),
                if i % 5 == 4 {
                    "+31612345678".to_owned()
                } else {
                    format!("NL-TNM-C{:08}-K", 122_045 + i)
                },
                1_234 + 517 * i as i64,
                if dc { CurrentKind::Dc } else { CurrentKind::Ac },
                Price(if dc { 5_900 } else { 3_500 }),
            )
        })
        .collect();
    let corrections = vec![
        Correction {
            description: "Session 9876 on VOLTA-2026-0007: meter corrected".into(),
            amount: Money(-120),
        },
        Correction {
            description: "Session 9901 on VOLTA-2026-0007: missing from that statement".into(),
            amount: Money(455),
        },
    ];
    let vat_basis_points = 2_100;
    let totals = Statement::totals(&lines, &corrections, vat_basis_points, recipient_is_company);
    Statement {
        number: format_number(&number_prefix("Volta"), 2026, 7),
        issuer: StatementParty {
            legal_name: "Volta Laadpartner B.V.".into(),
            address_line: "Stationsplein 1".into(),
            postcode: "3511 ED".into(),
            city: "Utrecht".into(),
            country: "NL".into(),
            vat_number: Some("NL123456789B01".into()),
            iban: None,
        },
        recipient: StatementParty {
            legal_name: "Garage Jansen & Zonen".into(),
            address_line: "Dorpsstraat 12".into(),
            postcode: "1234 AB".into(),
            city: "Ede".into(),
            country: "NL".into(),
            vat_number: recipient_is_company.then(|| "NL987654321B01".into()),
            iban: Some("NL91ABNA0417164300".into()),
        },
        recipient_is_company,
        year: 2026,
        month: 11,
        period_label: "November 2026".into(),
        time_zone: "Europe/Amsterdam".into(),
        issued_at: Timestamp(1_796_083_200_000),
        issued_on: "2026-12-01".into(),
        currency: Currency::default(),
        lines,
        corrections,
        vat_basis_points,
        net: totals.net,
        vat: totals.vat,
        gross: totals.gross,
        energy_wh: totals.energy_wh,
    }
}

/// The PDF's pages' text, one string a page.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let document = Document::load_mem(pdf).expect("a PDF that lopdf reads");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    pages
        .iter()
        .map(|&page| document.extract_text(&[page]).expect("the page's text"))
        .collect()
}

#[test]
fn a_months_statement_runs_over_pages_with_its_totals_on_the_last() {
    let s = statement(120, true);
    let pdf = statement_doc::pdf(&s);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        pdf,
        statement_doc::pdf(&s),
        "the same statement, the same bytes"
    );
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 3, "120 sessions take three pages");

    let first = &pages[0];
    for expected in [
        "Credit statement",
        "VOLTA-2026-0007",
        "Volta Laadpartner B.V.",
        "VAT number NL123456789B01",
        "Garage Jansen & Zonen",
        "VAT number NL987654321B01",
        "November 2026 (Europe/Amsterdam)",
        "2026-12-01",
        "Page 1 of 3",
    ] {
        assert!(
            first.contains(expected),
            "page 1 has {expected:?}:\n{first}"
        );
    }
    // The first session: 1.234 kWh AC at €0.35 = €0.4319 → €0.43; text outside WinAnsi is a '?'.
    for expected in [
        "2026-11-01",
        "Garage Jansen 1",
        "NL-TNM-C00122045-K",
        "1.234",
        "€0.35",
        "€0.43",
    ] {
        assert!(
            first.contains(expected),
            "page 1 has {expected:?}:\n{first}"
        );
    }
    assert!(first.contains("Zuid — Müller, ?ód?"), "{first}");
    assert!(
        first.contains("\nA very long station name at…\n") && !first.contains("car park"),
        "cut to its column: {first}"
    );

    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of 3", i + 1)),
            "page {} is numbered:\n{page}",
            i + 1
        );
        for header in ["Date", "Station", "Card", "kWh", "Type", "Rate", "Amount"] {
            assert!(
                page.contains(header),
                "page {} repeats the table's header",
                i + 1
            );
        }
    }
    assert!(pages[1].contains("Credit statement VOLTA-2026-0007"));

    let last = &pages[2];
    let eur = &s.currency;
    // The last session, number 120: 62.757 kWh DC at €0.59 = €37.02663 → €37.03.
    assert!(last.contains("62.757") && last.contains("€0.59") && last.contains("€37.03"));
    for expected in [
        "Corrections to earlier statements",
        "Session 9876 on VOLTA-2026-0007: meter corrected",
        // The minus sign of a negative amount is printed as an en dash (WinAnsi has no minus sign).
        "\u{2013}€1.20",
        "€4.55",
        "Sessions (120)",
        &format!("{} kWh", shared::export::decimal_kwh(s.energy_wh)),
        "VAT 21%",
        &eur.format(s.net),
        &eur.format(s.vat),
        "Total",
        &eur.format(s.gross),
        "will be paid to IBAN NL91ABNA0417164300 in the name of Garage Jansen & Zonen",
        "Self-billing",
    ] {
        assert!(
            last.contains(expected),
            "the last page has {expected:?}:\n{last}"
        );
    }
    assert!(!pages[0].contains("Sessions (120)") && !pages[1].contains("Sessions (120)"));
    // The totals as computed: 120 lines and 3.35 of corrections, 21% VAT on the net total.
    let lines: i64 = s.lines.iter().map(|l| l.amount.0).sum();
    assert_eq!(s.net, Money(lines + 335));
    assert_eq!(s.gross, Money(s.net.0 + (s.net.0 * 21 + 50) / 100));
}

#[test]
fn a_private_persons_statement_has_no_vat() {
    let s = statement(3, false);
    assert_eq!(s.vat, Money(0));
    let pages = pages_text(&statement_doc::pdf(&s));
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert!(page.contains("No VAT: private person"), "{page}");
    assert!(!page.contains("VAT 21%"), "{page}");
    assert!(!page.contains("VAT number NL987654321B01"), "{page}");
    assert!(page.contains(&s.currency.format(s.gross)), "{page}");
    assert!(page.contains("Page 1 of 1"), "{page}");
}

#[test]
fn a_month_without_sessions_still_renders() {
    let mut s = statement(0, true);
    s.corrections.clear();
    s.recipient.iban = None;
    let totals = Statement::totals(&s.lines, &s.corrections, s.vat_basis_points, true);
    (s.net, s.vat, s.gross) = (totals.net, totals.vat, totals.gross);
    let pages = pages_text(&statement_doc::pdf(&s));
    assert_eq!(pages.len(), 1);
    assert!(pages[0].contains("No settled sessions in November 2026."));
    assert!(
        pages[0].contains(
            "€0.00 will be paid to Garage Jansen & Zonen, whose IBAN is not on file yet."
        ),
        "{}",
        pages[0]
    );
}

#[test]
fn thousands_of_sessions_paginate() {
    let s = statement(5_000, true);
    let pdf = statement_doc::pdf(&s);
    let document = Document::load_mem(&pdf).expect("a PDF that lopdf reads");
    let count = document.get_pages().len();
    // 40 rows on the first page and 53 on each next one.
    assert!((90..100).contains(&count), "{count} pages");
    let last = document
        .extract_text(&[count as u32])
        .expect("the last page's text");
    assert!(last.contains(&format!("Page {count} of {count}")), "{last}");
    assert!(last.contains(&s.currency.format(s.gross)), "{last}");
    assert!(pdf.len() < 2_000_000, "{} bytes", pdf.len());
}

#[test]
fn the_csv_has_a_row_per_session_and_no_formulas() {
    let s = statement(120, true);
    let bytes = statement_doc::csv(&s);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "session",
            "ended_on",
            "station",
            "card",
            "energy_kwh",
            "type",
            "rate",
            "amount",
            "currency"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("well-formed rows");
    assert_eq!(rows.len(), 120);
    assert_eq!(
        &rows[0].iter().collect::<Vec<_>>(),
        &[
            "10000",
            "2026-11-01",
            "Garage Jansen 1",
            "NL-TNM-C00122045-K",
            "1.234",
            "AC",
            "0.35",
            "0.43",
            "EUR"
        ]
    );
    // Station names that a spreadsheet would run, and a card that starts with '+', are quoted with a leading '.
    assert_eq!(
        &rows[3][2],
        "'=HYPERLINK(\"https://evil.example\",\"Click\")"
    );
    assert_eq!(&rows[4][3], "'+31612345678");
    assert_eq!(&rows[1][2], "Zuid — Müller, Łódź", "UTF-8 as it is");
    // The amounts add up to the sessions' total.
    let cents = |text: &str| -> i64 {
        let (whole, fraction) = text.split_once('.').expect("two decimals");
        assert_eq!(fraction.len(), 2, "{text}");
        whole.parse::<i64>().expect("a number") * 100 + fraction.parse::<i64>().expect("a number")
    };
    let sum: i64 = rows.iter().map(|row| cents(&row[7])).sum();
    assert_eq!(sum, s.lines.iter().map(|l| l.amount.0).sum::<i64>());
    assert_eq!(sum, s.net.0 - 335, "the net total less the corrections");
    let wh: i64 = rows
        .iter()
        .map(|row| row[4].replace('.', "").parse::<i64>().expect("Wh"))
        .sum();
    assert_eq!(wh, s.energy_wh);
}
