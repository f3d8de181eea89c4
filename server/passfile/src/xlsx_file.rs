//! XLSX: read with calamine, written with rust_xlsxwriter.
//!
//! Reading goes cell by cell through calamine's cell reader rather than a whole `Range`: a range is as large as
//! the rectangle from the first to the last used cell, so one stray value far down or to the right would make
//! it millions of cells, and the row limit can only stop a read early when the rows come one at a time. Cell
//! positions are the sheet's own (row 0 is Excel's row 1, wherever the used range starts), so a row's
//! [`Row::line`] is the number Excel shows beside it.

use crate::{is_blank, keep_quote, FileError, Row, MAX_COLUMNS};
use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType, Reader, SheetType, SheetVisible, Xlsx};
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use std::io::Cursor;

/// The rows of the workbook's first visible worksheet that are not blank, the header row first; at most
/// `max_rows` after it.
pub(crate) fn read(bytes: &[u8], max_rows: usize) -> Result<Vec<Row>, FileError> {
    let unreadable = |e: calamine::XlsxError| FileError::UnreadableXlsx {
        detail: e.to_string(),
    };
    // What the zip directory says its parts unpack to, before calamine unpacks any: a few KB of zip can declare
    // gigabytes. (A directory that lies is caught by the zip reader's checks as the parts are read.)
    let zip_error = |e: zip::result::ZipError| FileError::UnreadableXlsx {
        detail: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let mut declared = 0_u64;
    for i in 0..archive.len() {
        declared = declared.saturating_add(archive.by_index_raw(i).map_err(zip_error)?.size());
    }
    if declared > crate::MAX_UNPACKED_BYTES {
        return Err(FileError::Unpacks);
    }
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    // The first tab the person sees: hidden sheets and chart sheets are skipped.
    let name = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .ok_or(FileError::NoWorksheet)?;
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(unreadable)?;
    let mut rows: Vec<Row> = Vec::new();
    let mut current: Option<Row> = None;
    // Adds a finished row, unless it is blank; fails on the row one beyond the header and `max_rows`.
    let finish = |rows: &mut Vec<Row>, row: Option<Row>| match row {
        Some(row) if !is_blank(&row.cells) => {
            if rows.len() > max_rows {
                return Err(FileError::TooManyRows { limit: max_rows });
            }
            rows.push(row);
            Ok(())
        }
        _ => Ok(()),
    };
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let text = text(cell.get_value());
        if text.is_empty() {
            // Formatted empty cells: nothing to keep.
            continue;
        }
        let (row, column) = cell.get_position();
        let (line, column) = (row as usize + 1, column as usize);
        if current.as_ref().is_some_and(|r| r.line != line) {
            finish(&mut rows, current.take())?;
        }
        if column >= MAX_COLUMNS {
            if text.trim().is_empty() {
                continue;
            }
            return Err(FileError::TooManyColumns {
                line,
                column: column + 1,
                limit: MAX_COLUMNS,
            });
        }
        let current = current.get_or_insert_with(|| Row {
            line,
            cells: Vec::new(),
        });
        if current.cells.len() <= column {
            current.cells.resize(column + 1, String::new());
        }
        current.cells[column] = text;
    }
    finish(&mut rows, current)?;
    Ok(rows)
}

/// A cell as text, as the person sees it in Excel (with the General number format).
fn text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(x) => number(*x),
        DataRef::Bool(true) => "TRUE".to_owned(),
        DataRef::Bool(false) => "FALSE".to_owned(),
        DataRef::DateTime(d) => datetime(d),
        DataRef::DateTimeIso(s) => iso_datetime(s),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// A number as text. Excel stores every number as a double, so a Hidden ID typed as digits arrives here as a
/// float: while it is below 10^15 a double holds each of its digits, and they are handed over as an integer
/// (the leading zeros Excel dropped are gone, which the pass ID check then finds). From 10^15 on digits are lost
/// and Excel shows the number in scientific notation; it is handed over the same way ("4.12346E+15"), for
/// [`shared::import::hidden_id_cell`] to refuse. Other numbers are their shortest decimal text ("4.5").
fn number(x: f64) -> String {
    if !x.is_finite() {
        x.to_string()
    } else if x.abs() >= 1e15 {
        scientific(x)
    } else if x.fract() == 0.0 {
        // Exact: |x| < 10^15 fits an i64, and an integral double converts without rounding.
        (x as i64).to_string()
    } else {
        x.to_string()
    }
}

/// Excel's General format for a large number: six significant digits, trailing zeros dropped, a signed
/// exponent of at least two digits: 4123456789012345 → "4.12346E+15", 10^15 → "1E+15".
fn scientific(x: f64) -> String {
    let formatted = format!("{x:.5E}");
    let (mantissa, exponent) = formatted
        .split_once('E')
        .expect("the E format has an exponent");
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let exponent: i32 = exponent.parse().expect("the exponent is an integer");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exponent.unsigned_abs())
}

/// A date as `YYYY-MM-DD`, with ` HH:MM:SS` when it has a time of day; a duration as hours, minutes and
/// seconds (`36:00:00`), as Excel's `[h]:mm:ss`.
fn datetime(value: &ExcelDateTime) -> String {
    if value.is_duration() {
        let seconds = (value.as_f64() * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let seconds = seconds.unsigned_abs();
        return format!(
            "{sign}{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
    }
    // A time is a fraction of a day, rarely exact: 14:30 is stored as 14:29:59.99999…, and calamine truncates
    // to the second. Round to the nearest second, then a millisecond past it so that truncating keeps it.
    // calamine has no getter for the workbook's date system (1900 or 1904), but compares it: ask that way.
    let is_1904 = *value == ExcelDateTime::new(value.as_f64(), ExcelDateTimeType::DateTime, true);
    let rounded = ((value.as_f64() * 86_400.0).round() + 0.001) / 86_400.0;
    let rounded = ExcelDateTime::new(rounded, ExcelDateTimeType::DateTime, is_1904);
    let (year, month, day, hour, minute, second, _) = rounded.to_ymd_hms_milli();
    if (hour, minute, second) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
    }
}

/// An ISO 8601 date-time cell ("2026-03-01T14:30:00"; workbooks written by other programs) the same way as
/// [`datetime`]: the date, and the time to the second when it is not midnight.
fn iso_datetime(value: &str) -> String {
    match value.split_once('T') {
        Some((date, time)) => {
            let time = time.get(..8).unwrap_or(time);
            if time.trim_start_matches(['0', ':']).is_empty() {
                date.to_owned()
            } else {
                format!("{date} {time}")
            }
        }
        None => value.to_owned(),
    }
}

/// Excel's limits: rows of a worksheet (the header takes one), columns, and UTF-16 units in a cell.
const SHEET_ROWS: usize = 1_048_576;
const SHEET_COLUMNS: usize = 16_384;
const CELL_UTF16: usize = 32_767;

/// A workbook of one worksheet "Passes" with `headers` and `rows`, and, when `instructions` has lines, a second
/// worksheet "Instructions" of (column, what to enter) lines.
///
/// Every cell is written as a string, never as a number, so that a Hidden ID such as `0012345678` keeps its
/// leading zeros; and every column is formatted as Text ("@") as a whole, so that what a person types into it
/// later (in a new row too) stays text instead of becoming a number. A string cell is never run as a formula by
/// Excel, so the `'` quoting of the CSV ([`shared::export::safe_cell`]) is not needed here: `=Fleet` is written
/// and read back as it is. Only text that already starts with `'` before a formula gets one more ([`keep_quote`]),
/// since the reader takes such a `'` off as ours.
pub(crate) fn write(headers: &[&str], rows: &[Vec<String>], instructions: &[[&str; 2]]) -> Vec<u8> {
    let columns = rows.iter().map(Vec::len).fold(headers.len(), usize::max);
    assert!(
        rows.len() < SHEET_ROWS && columns <= SHEET_COLUMNS,
        "{} rows of {columns} columns do not fit an Excel worksheet",
        rows.len()
    );
    let mut workbook = Workbook::new();
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_num_format("@").set_bold();
    let sheet = workbook.add_worksheet();
    // Within Excel's limits (asserted above), with a valid sheet name, writing to memory cannot fail.
    let written = "the workbook is written within Excel's limits";
    sheet.set_name("Passes").expect(written);
    for column in 0..columns {
        // Wide enough for the longest value (up to a point) and never narrower than a short ID.
        let widest = rows
            .iter()
            .filter_map(|r| r.get(column))
            .map(|c| c.chars().count())
            .chain(headers.get(column).map(|h| h.chars().count()))
            .max()
            .unwrap_or(0);
        let column = column as u16;
        sheet.set_column_format(column, &text).expect(written);
        sheet
            .set_column_width(column, widest.clamp(10, 50) as f64 + 2.0)
            .expect(written);
    }
    for (column, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, column as u16, excel_text(&keep_quote(header)), &bold)
            .expect(written);
    }
    sheet.set_freeze_panes(1, 0).expect(written);
    write_rows(sheet, rows, &text, written);
    if !instructions.is_empty() {
        let sheet = workbook.add_worksheet();
        sheet.set_name("Instructions").expect(written);
        let wrapped = Format::new().set_text_wrap();
        sheet.set_column_width(0, 18).expect(written);
        sheet.set_column_width(1, 100).expect(written);
        sheet.set_column_format(1, &wrapped).expect(written);
        let intro = "Fill in the first worksheet, \"Passes\": one row per pass, the column headers left as \
                     they are. Only that worksheet is read when you upload the file.";
        sheet.write_string(0, 0, intro).expect(written);
        for (column, header) in ["Column", "What to enter"].into_iter().enumerate() {
            sheet
                .write_string_with_format(2, column as u16, header, &Format::new().set_bold())
                .expect(written);
        }
        for (i, [column, what]) in instructions.iter().enumerate() {
            let row = 3 + i as u32;
            sheet.write_string(row, 0, *column).expect(written);
            sheet
                .write_string_with_format(row, 1, *what, &wrapped)
                .expect(written);
        }
    }
    workbook.save_to_buffer().expect(written)
}

fn write_rows(sheet: &mut Worksheet, rows: &[Vec<String>], text: &Format, written: &str) {
    for (row, cells) in (1u32..).zip(rows) {
        for (column, cell) in cells.iter().enumerate() {
            // An empty cell is left out: the column's Text format is the same, and a file stays small.
            if !cell.is_empty() {
                sheet
                    .write_string_with_format(
                        row,
                        column as u16,
                        excel_text(&keep_quote(cell)),
                        text,
                    )
                    .expect(written);
            }
        }
    }
}

/// `text` cut to the 32,767 UTF-16 units an Excel cell holds.
fn excel_text(text: &str) -> &str {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > CELL_UTF16 {
            return &text[..i];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number(4_123_456_789_012.0), "4123456789012");
        assert_eq!(number(999_999_999_999_999.0), "999999999999999");
        assert_eq!(number(4_123_456_789_012_345.0), "4.12346E+15");
        assert_eq!(number(1e15), "1E+15");
        assert_eq!(number(-2.5e20), "-2.5E+20");
        assert_eq!(number(4.5), "4.5");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.1), "0.1");
    }

    #[test]
    fn dates_and_durations_read_as_dates_and_durations() {
        let date = |value, kind| datetime(&ExcelDateTime::new(value, kind, false));
        assert_eq!(date(46_082.0, ExcelDateTimeType::DateTime), "2026-03-01");
        assert_eq!(
            date(46_082.5, ExcelDateTimeType::DateTime),
            "2026-03-01 12:00:00"
        );
        // 14:30 as Excel stores it, a hair before.
        let afternoon = 46_082.0 + (14.5 * 3600.0 - 1e-6) / 86_400.0;
        assert_eq!(
            date(afternoon, ExcelDateTimeType::DateTime),
            "2026-03-01 14:30:00"
        );
        assert_eq!(
            date(
                46_082.0 + 86_399.999_9 / 86_400.0,
                ExcelDateTimeType::DateTime
            ),
            "2026-03-02"
        );
        // The 1904 date system (old Mac workbooks) counts from another day.
        let mac = ExcelDateTime::new(44_620.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(datetime(&mac), "2026-03-01");
        assert_eq!(date(1.5, ExcelDateTimeType::TimeDelta), "36:00:00");
        assert_eq!(iso_datetime("2026-03-01T00:00:00"), "2026-03-01");
        assert_eq!(
            iso_datetime("2026-03-01T14:30:05.250"),
            "2026-03-01 14:30:05"
        );
        assert_eq!(iso_datetime("2026-03-01"), "2026-03-01");
    }

    #[test]
    fn cells_are_cut_to_what_excel_holds() {
        assert_eq!(excel_text("José"), "José");
        let long = "é".repeat(CELL_UTF16 + 5);
        assert_eq!(excel_text(&long).chars().count(), CELL_UTF16);
        let emoji = "🔌".repeat(CELL_UTF16);
        assert_eq!(excel_text(&emoji).encode_utf16().count(), CELL_UTF16 - 1);
    }
}
