//! CSV: what Excel writes and reads. Excel saves "CSV UTF-8" with a byte order mark, and in a locale whose
//! decimal separator is a comma (Dutch, German, French) it separates the cells with `;` instead of `,`; older
//! "CSV (Comma delimited)" files are in the Windows code page, which is refused with how to save them as UTF-8
//! rather than guessed.

use crate::{is_blank, keep_quote, FileError, Row, MAX_COLUMNS};
use shared::export::safe_cell;

const BOM: &str = "\u{FEFF}";

/// The rows of a CSV that are not blank, the header row first; at most `max_rows` after it.
pub(crate) fn read(bytes: &[u8], max_rows: usize) -> Result<Vec<Row>, FileError> {
    let bytes = bytes.strip_prefix(BOM.as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(bytes))
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    // The line of the byte at `counted`. The csv crate's own line numbers lag one behind after CRLF line ends
    // (a record's position is taken before the LF of the line end before it is consumed), so lines are counted
    // here from the records' byte offsets.
    let (mut counted, mut line) = (0, 1);
    loop {
        // A byte record is not checked for UTF-8 (the fields are, below, where the line of a bad character is
        // known), `flexible` allows rows of any length, and reading from memory has no I/O to fail: reading
        // cannot fail.
        let more = reader
            .read_byte_record(&mut record)
            .expect("a CSV in memory is read into byte records");
        if !more {
            break;
        }
        let mut start = record.position().map_or(counted, |p| p.byte() as usize);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += line_breaks(&bytes[counted..start]);
        counted = start;
        let mut cells = Vec::with_capacity(record.len());
        // The line each field starts on: a quoted field may hold line breaks.
        let mut field_line = line;
        for field in &record {
            let text = std::str::from_utf8(field).map_err(|e| FileError::NotUtf8 {
                line: field_line + line_breaks(&field[..e.valid_up_to()]),
            })?;
            field_line += line_breaks(field);
            cells.push(text.to_owned());
        }
        if is_blank(&cells) {
            continue;
        }
        if let Some(column) = cells.iter().rposition(|c| !c.trim().is_empty()) {
            if column >= MAX_COLUMNS {
                return Err(FileError::TooManyColumns {
                    line,
                    column: column + 1,
                    limit: MAX_COLUMNS,
                });
            }
        }
        cells.truncate(MAX_COLUMNS);
        if rows.len() > max_rows {
            // The header and `max_rows` rows are in: this is one too many.
            return Err(FileError::TooManyRows { limit: max_rows });
        }
        rows.push(Row { line, cells });
    }
    Ok(rows)
}

/// The line breaks in `bytes`: CRLF, LF, or a CR alone (old Mac files), as the csv crate ends records.
fn line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// The separator of a CSV: of `,`, `;` and tab, the one its first line (the header row) has most of outside
/// quotes; a comma when there is none (a single column) or a tie.
fn delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            // The header line ends here, unless it was blank (blank lines before the header are skipped).
            b'\n' | b'\r' if !quoted && counts.iter().any(|&(_, n)| n > 0) => break,
            _ if !quoted => {
                if let Some((_, n)) = counts.iter_mut().find(|(d, _)| *d == b) {
                    *n += 1;
                }
            }
            _ => {}
        }
    }
    // `max_by_key` keeps the last of equal counts; reversed, ties go to the comma.
    counts
        .into_iter()
        .rev()
        .max_by_key(|&(_, n)| n)
        .map_or(b',', |(d, _)| d)
}

/// A CSV of `headers` and `rows`: UTF-8 with a byte order mark (without it Excel reads the file in the Windows
/// code page and shows "JosÃ©"), comma-separated, quoted where needed per RFC 4180, and CRLF line ends (RFC
/// 4180's, Excel's own, and the Transactions download's). Every cell goes through [`safe_cell`], so that a
/// spreadsheet never runs a nickname such as `=Fleet` as a formula; [`read`] takes the quote off again.
///
/// A CSV cannot tell Excel that a cell is text: a Hidden ID of digits such as `0012345678` loses its leading
/// zeros when Excel opens the file. The reader cannot undo that, the import's pass ID check refuses what is left,
/// and the XLSX download is the one to edit in Excel.
pub(crate) fn write(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.as_bytes().to_vec());
    let cell = |text: &str| safe_cell(&keep_quote(text)).into_owned();
    // Writing to memory cannot fail (and `flexible` allows rows of any length).
    writer
        .write_record(headers.iter().map(|h| cell(h)))
        .expect("the CSV header is written to memory");
    for row in rows {
        writer
            .write_record(row.iter().map(|c| cell(c)))
            .expect("a CSV row is written to memory");
    }
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .expect("the CSV is flushed to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_the_header_lines_most_common_outside_quotes() {
        assert_eq!(delimiter(b"First name,Last name;x"), b',');
        assert_eq!(delimiter(b"First name;Last name;E-mail\na,b,c,d,e"), b';');
        assert_eq!(delimiter(b"\"a,b,c\";d;e"), b';');
        assert_eq!(delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(delimiter(b"\n\r\nFirst name;Last name"), b';');
        assert_eq!(delimiter(b"Hidden ID"), b',');
        assert_eq!(delimiter(b"a,b;c"), b',');
    }

    #[test]
    fn rows_have_their_lines_whatever_the_line_ends() {
        for end in ["\n", "\r\n", "\r"] {
            let text = format!("h1,h2{end}{end}a,\"x{end}y\"{end}b,c{end}");
            let rows = read(text.as_bytes(), 10).unwrap();
            let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [1, 3, 5], "{end:?}");
        }
    }
}
