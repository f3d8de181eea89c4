//! The file of the bulk pass import and export (issue #12): an uploaded CSV or XLSX read into rows of text cells
//! ([`read`]), and the template ([`template`]), the export ([`write`]) and the error file ([`error_file`])
//! written in the same two formats, so that export → edit in a spreadsheet → import round-trips.
//!
//! Pure functions from bytes to bytes: no I/O, no SQL. What the cells mean (which header is which
//! column, whether a Hidden ID survived the spreadsheet, the checks of "+ Add User" and "+ Add Pass") is
//! decided in [`shared::import`] and by the import itself; this crate only turns a file into text as the person
//! saw it in their spreadsheet, and back.
//!
//! Cells are text, always. A number in an XLSX cell is handed over as the digits Excel shows (or, when Excel
//! could only show it in scientific notation and its digits are gone, as that notation), so that
//! [`shared::import::hidden_id_cell`] can refuse a Hidden ID a spreadsheet destroyed instead of us guessing it.
//! Written files keep text text: the XLSX has every cell as a string in Text-formatted columns (so a Hidden ID
//! such as `0012345678` keeps its leading zeros, and IDs typed later stay text), and the CSV goes through
//! [`shared::export::safe_cell`], whose leading `'` the reader takes off again.

mod csv_file;
mod xlsx_file;

use shared::import::Column;
use std::borrow::Cow;
use thiserror::Error;

/// The largest file [`read`] accepts: 10 MB, thousands of passes more than the row limit needs.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most an XLSX upload's parts may unpack to together, as its zip directory declares them: 50,000 rows of a
/// dozen cells are a few tens of MB of XML.
pub const MAX_UNPACKED_BYTES: u64 = 200 * 1024 * 1024;
/// The most data rows (the header row excluded) a file may have, so that an import stays a few minutes' work
/// with one clear report; larger lists are split into several files.
pub const MAX_ROWS: usize = 50_000;
/// The most columns a row may use. The template has nine; the limit keeps a stray value far to the right (or a
/// crafted file) from making every row thousands of empty cells long in memory.
pub const MAX_COLUMNS: usize = 100;

/// The format of a file, as recognized by [`read`] or chosen for a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma- or semicolon-separated text, UTF-8.
    Csv,
    /// An Excel workbook (Office Open XML).
    Xlsx,
}

impl Format {
    /// The HTTP Content-Type of a download in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A file read by [`read`]: its header row and its data rows, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The format the file came in; the error file is written in the same one.
    pub format: Format,
    /// The first row that is not empty, cell by cell.
    pub headers: Vec<String>,
    /// The rows after it that are not empty, in file order.
    pub rows: Vec<Row>,
}

/// A data row of a [`Sheet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Where the person finds the row: the 1-based row number Excel shows for it (for a CSV, the line the row
    /// starts on, which is the same when Excel opens the file).
    pub line: usize,
    /// The cells from the first column on, as text, untrimmed: at least as many as the headers (empty ones
    /// added), more when the row has values to the right of the last header.
    pub cells: Vec<String>,
}

/// Why a file cannot be read. The messages are for the person who uploaded it: what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileError {
    /// No bytes, or nothing but empty lines.
    #[error("The file is empty. Choose a CSV or Excel file whose first row has the column headers (download the template to see them), with a row per pass below it.")]
    Empty,
    /// More than [`MAX_BYTES`].
    #[error("The file is {} MB; the limit is {} MB. Split it into several files.", megabytes(*.bytes), MAX_BYTES / (1024 * 1024))]
    TooLarge { bytes: usize },
    /// More than `limit` data rows.
    #[error("The file has more than {} rows; split it into several files.", thousands(*.limit))]
    TooManyRows { limit: usize },
    /// A value beyond [`MAX_COLUMNS`].
    #[error("Row {line} has a value in column {}, but the import reads only the first {limit} columns (up to column {}). Delete what is beyond them.", column_name(*.column), column_name(*.limit))]
    TooManyColumns {
        line: usize,
        /// 1-based.
        column: usize,
        limit: usize,
    },
    /// An old binary Excel file (.xls), or a password-protected workbook (both are OLE compound files).
    #[error("This is an old Excel file (.xls) or a password-protected workbook, which cannot be read. In Excel, save it as \"Excel Workbook (.xlsx)\" without a password, or as \"CSV UTF-8\", and upload that file.")]
    OldExcel,
    /// A CSV that is not UTF-8, usually Excel's "CSV (Comma delimited)" in the Windows code page.
    #[error("Line {line} of the file has characters that are not UTF-8 text. Save the file as \"CSV UTF-8\" in Excel (File > Save As, \"CSV UTF-8 (Comma delimited)\") and upload it again.")]
    NotUtf8 { line: usize },
    /// A ZIP file that calamine cannot read as a workbook.
    #[error("The file cannot be read as an Excel workbook (.xlsx); it may be damaged or another kind of file. Open it in Excel and save it again as \"Excel Workbook (.xlsx)\" or \"CSV UTF-8\".")]
    UnreadableXlsx {
        /// What the XLSX reader said, for the server's log; not shown to people.
        detail: String,
    },
    /// An XLSX whose parts unpack to more than [`MAX_UNPACKED_BYTES`] (a zip bomb, or a workbook with much more
    /// than passes in it).
    #[error("The workbook unpacks to more than {} MB, far more than a list of passes needs. Copy the passes into a new workbook (or save them as \"CSV UTF-8\") and upload that file.", MAX_UNPACKED_BYTES / (1024 * 1024))]
    Unpacks,
    /// A workbook with no visible worksheet (only charts, or every sheet hidden).
    #[error("The workbook has no worksheet to read. Put the passes on the first worksheet, with the column headers in its first row.")]
    NoWorksheet,
}

/// `bytes` in MB (of 1024 × 1024 bytes, as [`MAX_BYTES`]) with one decimal, rounded up so that a file just over
/// the limit never reads as "10.0 MB".
fn megabytes(bytes: usize) -> String {
    let tenths = (bytes as u64 * 10).div_ceil(1024 * 1024);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `n` with a comma between thousands, as the UI writes counts: 50000 → "50,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The spreadsheet's letters of 1-based column `n`: 1 → "A", 27 → "AA", 101 → "CW".
fn column_name(mut n: usize) -> String {
    let mut letters = Vec::new();
    while n > 0 {
        n -= 1;
        letters.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Reads an uploaded file: an XLSX workbook (a ZIP file; its first visible worksheet) or else a CSV (UTF-8,
/// comma, semicolon or tab separated). The header row is the first row that is not empty; rows whose cells are
/// all empty or blank are skipped; leading columns that are empty in every row (a table that starts in column
/// B) are dropped; shorter rows are filled up with empty cells to the headers' width. A cell our own CSV export
/// quoted against formulas (`'=Fleet`) gets its text back (`=Fleet`).
pub fn read(bytes: &[u8]) -> Result<Sheet, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge { bytes: bytes.len() });
    }
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    let (format, rows) = if bytes.starts_with(ZIP) {
        (Format::Xlsx, xlsx_file::read(bytes, MAX_ROWS)?)
    } else if bytes.starts_with(OLE) {
        return Err(FileError::OldExcel);
    } else {
        (Format::Csv, csv_file::read(bytes, MAX_ROWS)?)
    };
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Err(FileError::Empty);
    };
    let mut sheet = Sheet {
        format,
        headers: header.cells,
        rows: rows.collect(),
    };
    drop_leading_empty_columns(&mut sheet);
    // Rows as wide as the header row at least, whatever the format left out: a CSV row Excel wrote without its
    // trailing separators, an XLSX row whose last cells are empty (and so absent from the file).
    for row in &mut sheet.rows {
        if row.cells.len() < sheet.headers.len() {
            row.cells.resize(sheet.headers.len(), String::new());
        }
    }
    for cell in sheet
        .headers
        .iter_mut()
        .chain(sheet.rows.iter_mut().flat_map(|r| r.cells.iter_mut()))
    {
        unquote(cell);
    }
    Ok(sheet)
}

/// Takes off the `'` that [`shared::export::safe_cell`] put before text a spreadsheet could run as a formula
/// (and [`keep_quote`] before text that had such a `'` of its own). Spreadsheet programs differ in whether they
/// show that `'` and keep it when the file is saved again, and it travels with the cells when they are copied
/// into a workbook; in every case it is ours, so it is taken off in both formats. A `'` before anything else
/// (`'t Hooft`) is the person's and stays.
fn unquote(cell: &mut String) {
    if let Some(text) = cell.strip_prefix('\'') {
        if shared::export::could_start_a_formula(text.trim_start_matches('\'')) {
            cell.remove(0);
        }
    }
}

/// A cell to write, with one more `'` when it starts with `'` before formula text (`'=x`, as a person may have
/// typed it), so that [`unquote`] on reading it back gives `'=x` again rather than `=x`. Both formats do this;
/// only the CSV quotes formulas themselves.
fn keep_quote(text: &str) -> Cow<'_, str> {
    if text.starts_with('\'')
        && shared::export::could_start_a_formula(text.trim_start_matches('\''))
    {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Removes the columns before the first one that has a value in any row (header included), so that a table
/// placed from column B on reads as one from column A; the import's column positions are then the table's.
fn drop_leading_empty_columns(sheet: &mut Sheet) {
    let first_value = |cells: &[String]| {
        cells
            .iter()
            .position(|c| !c.trim().is_empty())
            .unwrap_or(usize::MAX)
    };
    let skip = sheet
        .rows
        .iter()
        .map(|r| first_value(&r.cells))
        .chain([first_value(&sheet.headers)])
        .min()
        .unwrap_or(0);
    if skip == 0 || skip == usize::MAX {
        return;
    }
    for cells in [&mut sheet.headers]
        .into_iter()
        .chain(sheet.rows.iter_mut().map(|r| &mut r.cells))
    {
        cells.drain(..skip.min(cells.len()));
    }
}

/// Whether every cell of a row is empty or blank: such rows are skipped (spreadsheets keep formatted empty
/// rows, and Excel writes them to CSV as `;;;;`).
fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// A file of `headers` and `rows` in `format`, for downloads (the export of passes) and the template and error
/// file below. Every cell is text. The CSV is UTF-8 with a byte order mark (so that Excel shows "José", not
/// "JosÃ©"), comma-separated with CRLF line ends, every cell through [`shared::export::safe_cell`]; it cannot
/// tell Excel that a cell is text, so a Hidden ID of digits loses its leading zeros when Excel opens it, and the
/// XLSX is the download to edit in Excel. The XLSX is one worksheet "Passes" of string cells in columns
/// formatted as Text, the header row bold and frozen. Rows may be shorter or longer than the headers.
///
/// # Panics
///
/// For XLSX, beyond Excel's sheet limits: more than 1,048,575 rows or 16,384 columns (far above what [`read`]
/// takes back). A cell longer than Excel's 32,767 characters is cut to that length.
pub fn write(format: Format, headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    match format {
        Format::Csv => csv_file::write(headers, rows),
        Format::Xlsx => xlsx_file::write(headers, rows, &[]),
    }
}

/// The template to download and fill in: the header row of every column ([`Column::ALL`], in the UI's wording),
/// without "Organization" unless the organization has sub-organizations to import into (`with_organization`),
/// and no data rows. The XLSX has a second worksheet "Instructions" saying what to enter in each column; the
/// first worksheet, the one [`read`] reads, is the template itself.
pub fn template(format: Format, with_organization: bool) -> Vec<u8> {
    let columns: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|c| with_organization || *c != Column::Organization)
        .collect();
    let headers: Vec<&str> = columns.iter().map(|c| c.header()).collect();
    match format {
        Format::Csv => csv_file::write(&headers, &[]),
        Format::Xlsx => {
            let instructions: Vec<[&str; 2]> = columns
                .iter()
                .map(|&c| [c.header(), instruction(c)])
                .collect();
            xlsx_file::write(&headers, &[], &instructions)
        }
    }
}

/// What to enter in a column, for the template's "Instructions" worksheet.
fn instruction(column: Column) -> &'static str {
    match column {
        Column::FirstName => "The user's first name. Required.",
        Column::LastName => "The user's last name. Required.",
        Column::Email => {
            "The user's e-mail address. Required. A user who does not exist yet is invited at this address; \
             several rows with the same address are passes of one user."
        }
        Column::Role => "Cardholder or Administrator. Empty means Cardholder.",
        Column::PublicCardId => {
            "The ID printed on the card (e.g. NL-TNM-C00122045-K). Fill in either the Public Card ID or the \
             Hidden ID of each row, not both, as in \"+ Add Pass\"."
        }
        Column::HiddenId => {
            "The card's chip ID (UID), e.g. 04A1B2C3D4E5F6, for a card without a usable Public Card ID. Fill in \
             either the Public Card ID or the Hidden ID of each row, not both. Keep this column formatted as \
             Text: Excel turns IDs made of digits into numbers and loses their leading zeros and digits."
        }
        Column::Nickname => "A name for the pass, e.g. \"Company car\". Required, as in \"+ Add Pass\".",
        Column::Mode => {
            "Whitelist or Roaming. Empty means the same default as \"+ Add Pass\"."
        }
        Column::Organization => {
            "The sub-organization to add the pass to: its name, or its path such as \"Brouwerij De Kroon / De \
             Kroon Logistics\". Empty means the organization you import into."
        }
    }
}

/// The error file: the rows of `sheet` that have an error, with their original cells and what is wrong with
/// them in an "Error" column at the end (several errors of a row joined with "; "), in file order and in the
/// sheet's own format. `errors` are `(line, message)` pairs, [`Row::line`] numbers, in any order.
///
/// The person fixes the rows in it and uploads it again: [`shared::import::Layout::parse`] ignores the "Error"
/// column. For that the columns are the sheet's headers up to the last named one, without an "Error" column
/// the sheet already had (an error file uploaded again), then "Error"; cells to the right of the last header
/// belong to no column and are not repeated.
pub fn error_file(sheet: &Sheet, errors: &[(usize, String)]) -> Vec<u8> {
    let width = sheet
        .headers
        .iter()
        .rposition(|h| !h.trim().is_empty())
        .map_or(0, |p| p + 1);
    let kept: Vec<usize> = (0..width)
        .filter(|&i| !shared::import::is_error_header(&sheet.headers[i]))
        .collect();
    let mut headers: Vec<&str> = kept.iter().map(|&i| sheet.headers[i].as_str()).collect();
    headers.push("Error");
    let rows: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .filter_map(|row| {
            let messages: Vec<&str> = errors
                .iter()
                .filter(|(line, _)| *line == row.line)
                .map(|(_, message)| message.as_str())
                .collect();
            if messages.is_empty() {
                return None;
            }
            let mut cells: Vec<String> = kept
                .iter()
                .map(|&i| row.cells.get(i).cloned().unwrap_or_default())
                .collect();
            cells.push(messages.join("; "));
            Some(cells)
        })
        .collect();
    write(sheet.format, &headers, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_counts_and_columns_read_as_people_write_them() {
        assert_eq!(megabytes(MAX_BYTES + 1), "10.1");
        assert_eq!(megabytes(12_900_000), "12.4");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_048_576), "1,048,576");
        assert_eq!(column_name(1), "A");
        assert_eq!(column_name(26), "Z");
        assert_eq!(column_name(27), "AA");
        assert_eq!(column_name(101), "CW");
        assert_eq!(column_name(16_384), "XFD");
    }

    #[test]
    fn only_our_own_formula_quote_is_taken_off() {
        for (cell, text) in [
            ("'=Fleet", "=Fleet"),
            ("'+31 6 1234", "+31 6 1234"),
            ("'-", "-"),
            ("'t Hooft", "'t Hooft"),
            ("'", "'"),
            ("''=x", "'=x"),
        ] {
            let mut cell = cell.to_owned();
            unquote(&mut cell);
            assert_eq!(cell, text);
        }
        for text in ["=Fleet", "'=x", "''+1", "'t Hooft", "'", "plain"] {
            let mut cell = keep_quote(text).into_owned();
            unquote(&mut cell);
            assert_eq!(cell, text, "{text:?} written as an XLSX cell and read back");
            let mut cell = shared::export::safe_cell(&keep_quote(text)).into_owned();
            unquote(&mut cell);
            assert_eq!(cell, text, "{text:?} written as a CSV cell and read back");
        }
    }
}
