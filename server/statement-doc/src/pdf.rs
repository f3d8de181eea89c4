//! The statement as an A4 PDF: laid out top to bottom into pages, then written with pdf-writer.
//!
//! Page 1 has the title and number, the issuer ("From") and the recipient ("To"), the period and the issue
//! date; then the sessions table runs over as many pages as it needs, its header repeated at the top of each;
//! then the corrections, the totals (kept together on one page) and where the credit is paid. Every page ends
//! with "Page i of N", written once the number of pages is known.

use crate::text::{fit, width, winansi, Font};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use shared::export::decimal_kwh;
use shared::statement::{Statement, StatementLine, StatementParty};
use shared::tariff::{format_vat, CurrentKind, Money};
use std::io::Write;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - 50.0;
const TOP: f32 = PAGE_HEIGHT - 50.0;
/// Nothing but the footer goes below this.
const BOTTOM: f32 = 56.0;
const FOOTER: f32 = 32.0;

const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

/// A line of body text.
const LINE: f32 = 12.5;
/// A row of the sessions table.
const ROW: f32 = 13.0;
const HEADER_ROW: f32 = 16.0;
/// Space between a table cell's border and its text.
const PAD: f32 = 3.0;

#[derive(Debug, Clone, Copy)]
struct Style {
    font: Font,
    size: f32,
    /// 0 is black.
    gray: f32,
}

const BODY: Style = Style {
    font: Font::Regular,
    size: 9.0,
    gray: 0.0,
};
const STRONG: Style = Style {
    font: Font::Bold,
    ..BODY
};
const LABEL: Style = Style {
    font: Font::Bold,
    size: 8.0,
    gray: 0.4,
};
const CELL: Style = Style { size: 8.5, ..BODY };
const HEAD: Style = Style {
    font: Font::Bold,
    ..CELL
};
const SMALL: Style = Style {
    size: 8.0,
    gray: 0.3,
    ..BODY
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

/// The sessions table's columns: title, width in points (the last takes the rest), alignment.
const COLUMNS: [(&str, f32, Align); 7] = [
    ("Date", 58.0, Align::Left),
    ("Station", 118.0, Align::Left),
    ("Card", 118.0, Align::Left),
    ("kWh", 52.0, Align::Right),
    ("Type", 34.0, Align::Center),
    ("Rate", 50.0, Align::Right),
    ("Amount", 0.0, Align::Right),
];

/// The left edge and width of each column.
fn columns() -> [(f32, f32); 7] {
    let mut out = [(0.0, 0.0); 7];
    let mut x = LEFT;
    for (i, (_, width, _)) in COLUMNS.iter().enumerate() {
        let width = if i == COLUMNS.len() - 1 {
            RIGHT - x
        } else {
            *width
        };
        out[i] = (x, width);
        x += width;
    }
    out
}

/// The statement as an A4 PDF (see the module documentation).
pub fn pdf(statement: &Statement) -> Vec<u8> {
    let mut layout = Layout::new(statement);
    layout.first_page();
    layout.sessions();
    layout.corrections();
    layout.totals();
    layout.payment();
    write(statement, layout.finish())
}

/// The pages being laid out; `y` is the top of the free space on the last one.
struct Layout<'a> {
    statement: &'a Statement,
    pages: Vec<Content>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(statement: &'a Statement) -> Self {
        Self {
            statement,
            pages: vec![Content::new()],
            y: TOP,
        }
    }

    fn content(&mut self) -> &mut Content {
        self.pages.last_mut().expect("a layout has a page")
    }

    fn show(&mut self, x: f32, baseline: f32, style: Style, bytes: &[u8]) {
        show(self.content(), x, baseline, style, bytes);
    }

    /// `text` from `x`, cut with an ellipsis at `max` points wide.
    fn text(&mut self, x: f32, baseline: f32, style: Style, max: f32, text: &str) {
        let bytes = fit(winansi(text), style.font, style.size, max);
        self.show(x, baseline, style, &bytes);
    }

    /// `text` ending at `right`.
    fn text_right(&mut self, right: f32, baseline: f32, style: Style, text: &str) {
        let bytes = winansi(text);
        let x = right - width(&bytes, style.font, style.size);
        self.show(x, baseline, style, &bytes);
    }

    /// `text` centred on `center`.
    fn text_centered(&mut self, center: f32, baseline: f32, style: Style, text: &str) {
        let bytes = winansi(text);
        let x = center - width(&bytes, style.font, style.size) / 2.0;
        self.show(x, baseline, style, &bytes);
    }

    fn rule(&mut self, y: f32, gray: f32, line_width: f32) {
        let content = self.content();
        content.set_stroke_gray(gray);
        content.set_line_width(line_width);
        content.move_to(LEFT, y);
        content.line_to(RIGHT, y);
        content.stroke();
    }

    /// Starts a new page unless `height` fits above the bottom of this one; true if it did.
    fn need(&mut self, height: f32) -> bool {
        if self.y - height >= BOTTOM {
            return false;
        }
        self.pages.push(Content::new());
        let s = self.statement;
        let baseline = TOP - 10.0;
        self.show(
            LEFT,
            baseline,
            Style {
                size: 10.0,
                ..STRONG
            },
            &winansi(&format!("Credit statement {}", s.number)),
        );
        self.text_right(
            RIGHT,
            baseline,
            BODY,
            &format!("{} \u{B7} {}", s.recipient.legal_name, s.period_label),
        );
        self.rule(TOP - 16.0, 0.0, 0.5);
        self.y = TOP - 28.0;
        true
    }

    fn first_page(&mut self) {
        let s = self.statement;
        let baseline = self.y - 16.0;
        self.show(
            LEFT,
            baseline,
            Style {
                size: 18.0,
                ..STRONG
            },
            b"Credit statement",
        );
        self.text_right(
            RIGHT,
            baseline,
            Style {
                size: 12.0,
                ..STRONG
            },
            &s.number,
        );
        self.y -= 44.0;

        let from = party_lines(&s.issuer);
        let to = party_lines(&s.recipient);
        let half = (RIGHT - LEFT) / 2.0;
        for (x, label, lines) in [(LEFT, "From", &from), (LEFT + half, "To", &to)] {
            self.text(x, self.y, LABEL, half - 10.0, label);
            for (i, line) in lines.iter().enumerate() {
                let style = if i == 0 { STRONG } else { BODY };
                let baseline = self.y - LINE * (i as f32 + 1.0);
                self.text(x, baseline, style, half - 10.0, line);
            }
        }
        self.y -= LINE * (from.len().max(to.len()) as f32 + 1.0) + 12.0;

        let details = [
            ("Period", format!("{} ({})", s.period_label, s.time_zone)),
            ("Issued on", s.issued_on.clone()),
            ("Number", s.number.clone()),
        ];
        for (label, value) in details {
            self.text(LEFT, self.y, STRONG, 80.0, label);
            self.text(LEFT + 80.0, self.y, BODY, RIGHT - LEFT - 80.0, &value);
            self.y -= LINE;
        }
        self.y -= 8.0;
        self.text(
            LEFT,
            self.y,
            BODY,
            RIGHT - LEFT,
            &format!(
                "The reimbursement of the sessions settled at your stations in {}, at your rates per kWh.",
                s.period_label
            ),
        );
        self.y -= 14.0;
    }

    fn table_header(&mut self) {
        let top = self.y;
        let content = self.content();
        content.set_fill_gray(0.9);
        content.rect(LEFT, top - HEADER_ROW, RIGHT - LEFT, HEADER_ROW);
        content.fill_nonzero();
        content.set_fill_gray(0.0);
        let baseline = top - HEADER_ROW + 5.0;
        for ((title, _, align), (x, w)) in COLUMNS.iter().zip(columns()) {
            match align {
                Align::Left => self.text(x + PAD, baseline, HEAD, w - 2.0 * PAD, title),
                Align::Center => self.text_centered(x + w / 2.0, baseline, HEAD, title),
                Align::Right => self.text_right(x + w - PAD, baseline, HEAD, title),
            }
        }
        self.y -= HEADER_ROW;
    }

    fn sessions(&mut self) {
        self.need(HEADER_ROW + ROW);
        self.table_header();
        let s = self.statement;
        if s.lines.is_empty() {
            let text = format!("No settled sessions in {}.", s.period_label);
            self.text(LEFT + PAD, self.y - ROW + 4.0, BODY, RIGHT - LEFT, &text);
            self.y -= ROW;
        }
        for line in &s.lines {
            if self.need(ROW) {
                self.table_header();
            }
            self.session_row(line);
        }
        self.rule(self.y, 0.0, 0.5);
        self.y -= 10.0;
    }

    fn session_row(&mut self, line: &StatementLine) {
        let currency = &self.statement.currency;
        let cells = [
            line.ended_on.clone(),
            line.station.clone(),
            line.card.clone(),
            decimal_kwh(line.energy_wh),
            match line.kind {
                CurrentKind::Ac => "AC",
                CurrentKind::Dc => "DC",
            }
            .to_owned(),
            currency.format_price(line.rate),
            currency.format(line.amount),
        ];
        let baseline = self.y - ROW + 4.0;
        for ((cell, (_, _, align)), (x, w)) in cells.iter().zip(COLUMNS).zip(columns()) {
            match align {
                Align::Left => self.text(x + PAD, baseline, CELL, w - 2.0 * PAD, cell),
                Align::Center => self.text_centered(x + w / 2.0, baseline, CELL, cell),
                Align::Right => self.text_right(x + w - PAD, baseline, CELL, cell),
            }
        }
        self.y -= ROW;
        self.rule(self.y, 0.85, 0.3);
    }

    fn corrections(&mut self) {
        let s = self.statement;
        if s.corrections.is_empty() {
            return;
        }
        self.need(LINE + ROW);
        self.text(
            LEFT,
            self.y - LINE + 3.0,
            STRONG,
            RIGHT - LEFT,
            "Corrections to earlier statements",
        );
        self.y -= LINE + 2.0;
        for correction in &s.corrections {
            self.need(ROW);
            let baseline = self.y - ROW + 4.0;
            self.text(
                LEFT + PAD,
                baseline,
                CELL,
                RIGHT - LEFT - 90.0,
                &correction.description,
            );
            self.text_right(
                RIGHT - PAD,
                baseline,
                CELL,
                &s.currency.format(correction.amount),
            );
            self.y -= ROW;
            self.rule(self.y, 0.85, 0.3);
        }
        self.y -= 10.0;
    }

    fn totals(&mut self) {
        let s = self.statement;
        let c = &s.currency;
        let sessions = Money(s.lines.iter().map(|l| l.amount.0).sum());
        let mut rows = vec![
            (
                "Energy".to_owned(),
                format!("{} kWh", decimal_kwh(s.energy_wh)),
            ),
            (format!("Sessions ({})", s.lines.len()), c.format(sessions)),
        ];
        if !s.corrections.is_empty() {
            let corrections = Money(s.corrections.iter().map(|c| c.amount.0).sum());
            rows.push(("Corrections".to_owned(), c.format(corrections)));
        }
        rows.push(("Net amount".to_owned(), c.format(s.net)));
        let vat_label = if s.recipient_is_company {
            format!("VAT {}", format_vat(s.vat_basis_points))
        } else {
            "No VAT: private person".to_owned()
        };
        rows.push((vat_label, c.format(s.vat)));
        // Kept together on one page, with the total.
        self.need(LINE * (rows.len() as f32 + 1.0) + 8.0);
        let label_x = RIGHT - 240.0;
        for (label, value) in rows {
            let baseline = self.y - LINE + 3.0;
            self.text(label_x, baseline, BODY, 150.0, &label);
            self.text_right(RIGHT - PAD, baseline, BODY, &value);
            self.y -= LINE;
        }
        self.y -= 3.0;
        let y = self.y;
        let content = self.content();
        content.set_stroke_gray(0.0);
        content.set_line_width(0.8);
        content.move_to(label_x, y);
        content.line_to(RIGHT, y);
        content.stroke();
        let total = Style {
            size: 10.0,
            ..STRONG
        };
        let baseline = self.y - LINE - 1.0;
        self.text(label_x, baseline, total, 150.0, "Total");
        self.text_right(RIGHT - PAD, baseline, total, &c.format(s.gross));
        self.y -= LINE + 16.0;
    }

    fn payment(&mut self) {
        let s = self.statement;
        let r = &s.recipient;
        let paid = if s.gross.0 < 0 {
            format!(
                "The total is negative: nothing is paid to {} for this statement.",
                r.legal_name
            )
        } else {
            match &r.iban {
                Some(iban) => format!(
                    "{} will be paid to IBAN {iban} in the name of {}.",
                    s.currency.format(s.gross),
                    r.legal_name
                ),
                None => format!(
                    "{} will be paid to {}, whose IBAN is not on file yet.",
                    s.currency.format(s.gross),
                    r.legal_name
                ),
            }
        };
        let note = format!(
            "Self-billing: this statement is issued by {} on behalf of {}, whose stations delivered the energy.",
            s.issuer.legal_name, r.legal_name
        );
        self.need(LINE * 2.0);
        self.text(LEFT, self.y - LINE + 3.0, STRONG, RIGHT - LEFT, &paid);
        self.y -= LINE;
        self.text(LEFT, self.y - LINE + 3.0, SMALL, RIGHT - LEFT, &note);
        self.y -= LINE;
    }

    /// The pages, each with its footer.
    fn finish(self) -> Vec<Content> {
        let count = self.pages.len();
        let s = self.statement;
        let left = fit(
            winansi(&format!("{} \u{B7} {}", s.number, s.issuer.legal_name)),
            SMALL.font,
            SMALL.size,
            300.0,
        );
        let mut pages = self.pages;
        for (i, page) in pages.iter_mut().enumerate() {
            show(page, LEFT, FOOTER, SMALL, &left);
            let right = winansi(&format!("Page {} of {count}", i + 1));
            let x = RIGHT - width(&right, SMALL.font, SMALL.size);
            show(page, x, FOOTER, SMALL, &right);
        }
        pages
    }
}

/// WinAnsi `bytes` with their baseline's left end at (`x`, `baseline`).
fn show(content: &mut Content, x: f32, baseline: f32, style: Style, bytes: &[u8]) {
    if style.gray != 0.0 {
        content.set_fill_gray(style.gray);
    }
    content.begin_text();
    content.set_font(
        match style.font {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
        },
        style.size,
    );
    content.next_line(x, baseline);
    content.show(Str(bytes));
    content.end_text();
    if style.gray != 0.0 {
        content.set_fill_gray(0.0);
    }
}

/// A party's lines as printed: name, address, postcode and city, country, VAT number.
fn party_lines(party: &StatementParty) -> Vec<String> {
    let mut lines = vec![party.legal_name.clone(), party.address_line.clone()];
    let place = format!("{} {}", party.postcode, party.city);
    lines.push(place.trim().to_owned());
    lines.push(party.country.clone());
    if let Some(vat) = &party.vat_number {
        lines.push(format!("VAT number {vat}"));
    }
    lines.retain(|line| !line.trim().is_empty());
    lines
}

/// The PDF file: catalog, page tree, the two fonts, the document information and each page with its content
/// (deflated).
fn write(statement: &Statement, pages: Vec<Content>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let page_ref = |i: usize, offset: i32| Ref::new(6 + 2 * i as i32 + offset);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..pages.len()).map(|i| page_ref(i, 0)))
        .count(pages.len() as i32);
    for (i, content) in pages.into_iter().enumerate() {
        let mut page = pdf.page(page_ref(i, 0));
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(page_ref(i, 1));
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        let data = deflate(&content.finish());
        pdf.stream(page_ref(i, 1), &data)
            .filter(Filter::FlateDecode);
    }
    for (id, name) in [
        (regular, Name(b"Helvetica")),
        (bold, Name(b"Helvetica-Bold")),
    ] {
        pdf.type1_font(id)
            .base_font(name)
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let (year, month, day, hour, minute, second) = statement.issued_at.to_utc_parts();
    let date = Date::new(u16::try_from(year).unwrap_or(0))
        .month(month as u8)
        .day(day as u8)
        .hour(hour as u8)
        .minute(minute as u8)
        .second(second as u8)
        .utc_offset_hour(0);
    pdf.document_info(info)
        .title(TextStr(&format!("Credit statement {}", statement.number)))
        .author(TextStr(&statement.issuer.legal_name))
        .subject(TextStr(&format!(
            "Credit statement for {}, {}",
            statement.recipient.legal_name, statement.period_label
        )))
        .creator(TextStr("ChargeDesk"))
        .creation_date(date);
    pdf.finish()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .expect("deflating into memory does not fail")
}
