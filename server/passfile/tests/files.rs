//! Real files in, real files out: CSV text as Excel writes it, and XLSX workbooks made with rust_xlsxwriter the
//! way Excel stores what a person typed (numbers as numbers, dates as formatted numbers), read back with
//! `passfile::read`; and the files `passfile` writes, read back again.

use passfile::{error_file, read, template, write, FileError, Format, Sheet, MAX_BYTES, MAX_ROWS};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, Worksheet, XlsxError};
use shared::import::{hidden_id_cell, Column, HiddenIdCellError, Layout};

/// The layout of a fixture's headers. Most fixtures leave out the Nickname column, which `Layout::parse`
/// requires: it is added at the end, where it moves no other column.
fn layout_of(headers: &[String]) -> Layout {
    let mut headers = headers.to_vec();
    if !headers
        .iter()
        .any(|h| Column::recognize(h) == Some(Column::Nickname))
    {
        headers.push("Nickname".to_owned());
    }
    Layout::parse(&headers).expect("the fixture's headers are the template's")
}

/// An XLSX of one worksheet built by `fill`.
fn xlsx(fill: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>) -> Vec<u8> {
    let mut workbook = Workbook::new();
    fill(workbook.add_worksheet()).expect("the fixture is written");
    workbook.save_to_buffer().expect("the fixture is saved")
}

fn cells(sheet: &Sheet) -> Vec<Vec<&str>> {
    sheet
        .rows
        .iter()
        .map(|r| r.cells.iter().map(String::as_str).collect())
        .collect()
}

fn lines(sheet: &Sheet) -> Vec<usize> {
    sheet.rows.iter().map(|r| r.line).collect()
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

#[test]
fn csv_with_or_without_a_byte_order_mark_separated_by_commas_semicolons_or_tabs() {
    for bom in ["", "\u{FEFF}"] {
        for separator in [",", ";", "\t"] {
            let text = format!(
                "{bom}First name{s}Last name{s}E-mail{s}Hidden ID\r\n\
                 José{s}Müller{s}jose@example.com{s}04A1B2C3D4E5F6\r\n\
                 Ilse{s}Vermeer{s}ilse@example.com{s}\r\n",
                s = separator
            );
            let sheet = read(text.as_bytes()).unwrap();
            let case = format!("BOM {bom:?}, separator {separator:?}");
            assert_eq!(sheet.format, Format::Csv, "{case}");
            assert_eq!(
                sheet.headers,
                ["First name", "Last name", "E-mail", "Hidden ID"],
                "{case}"
            );
            assert_eq!(
                cells(&sheet),
                [
                    vec!["José", "Müller", "jose@example.com", "04A1B2C3D4E5F6"],
                    vec!["Ilse", "Vermeer", "ilse@example.com", ""]
                ],
                "{case}"
            );
            assert_eq!(lines(&sheet), [2, 3], "{case}");
            layout_of(&sheet.headers);
        }
    }
}

#[test]
fn quoted_csv_fields_keep_separators_quotes_and_line_breaks_and_rows_keep_their_lines() {
    let text = "\n\
        First name;Last name;E-mail;Nickname\n\
        \"Ilse\";\"Ver;meer\";\"ilse@example.com\";\"The \"\"big\"\" car\"\n\
        Jan;\"de Vries, Jr.\";jan@example.com;\"two\r\nlines\"\n\
        \n\
        ;;  ;\n\
        Anna;Bakker;anna@example.com\n\
        Piet;Smit;piet@example.com;;extra\n";
    let sheet = read(text.as_bytes()).unwrap();
    assert_eq!(
        sheet.headers,
        ["First name", "Last name", "E-mail", "Nickname"]
    );
    assert_eq!(
        cells(&sheet),
        [
            vec!["Ilse", "Ver;meer", "ilse@example.com", "The \"big\" car"],
            vec!["Jan", "de Vries, Jr.", "jan@example.com", "two\r\nlines"],
            // Excel leaves out trailing empty cells; the row is filled up to the headers.
            vec!["Anna", "Bakker", "anna@example.com", ""],
            vec!["Piet", "Smit", "piet@example.com", "", "extra"],
        ]
    );
    // The header is on line 2 (a blank line before it); Jan's row takes lines 4 and 5; a blank line and a
    // row of empty cells are skipped.
    assert_eq!(lines(&sheet), [3, 4, 8, 9]);
}

#[test]
fn a_csv_that_is_not_utf8_is_refused_with_its_line_and_what_to_do() {
    // "José" in Latin-1 / Windows-1252, as Excel's "CSV (Comma delimited)" writes it.
    let latin1 = b"First name,Last name,E-mail\nIlse,Vermeer,ilse@example.com\nJos\xE9,Garc\xEDa,jose@example.com\n";
    let error = read(latin1).unwrap_err();
    assert_eq!(error, FileError::NotUtf8 { line: 3 });
    let message = error.to_string();
    assert!(message.starts_with("Line 3 "), "{message}");
    assert!(
        message.contains("Save the file as \"CSV UTF-8\" in Excel"),
        "{message}"
    );
    // The line of the character itself, inside a quoted field over several lines.
    let multiline = b"First name,Nickname\nIlse,\"one\ntwo\nthr\xE9e\"\n";
    assert_eq!(read(multiline), Err(FileError::NotUtf8 { line: 4 }));
    let header = b"Pr\xE9nom,Nom\n";
    assert_eq!(read(header), Err(FileError::NotUtf8 { line: 1 }));
}

#[test]
fn a_csv_of_more_rows_than_the_limit_is_refused_without_being_read_to_the_end() {
    let mut text = String::from("First name,Last name,E-mail,Hidden ID\n");
    for i in 0..MAX_ROWS {
        text.push_str(&format!("A,B,a{i}@example.com,{i:014}\n"));
    }
    let sheet = read(text.as_bytes()).expect("exactly the limit");
    assert_eq!(sheet.rows.len(), MAX_ROWS);
    assert_eq!(sheet.rows.last().unwrap().line, MAX_ROWS + 1);

    text.push_str("A,B,one-too-many@example.com,\n");
    let error = read(text.as_bytes()).unwrap_err();
    assert_eq!(error, FileError::TooManyRows { limit: MAX_ROWS });
    assert_eq!(
        error.to_string(),
        "The file has more than 50,000 rows; split it into several files."
    );
    // Reading stops at the row over the limit: a bad character after it is never reached.
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"Jos\xE9,B,c@example.com,\n");
    assert_eq!(
        read(&bytes),
        Err(FileError::TooManyRows { limit: MAX_ROWS })
    );
}

#[test]
fn files_that_are_too_large_empty_or_old_excel_are_refused() {
    let large = vec![b'a'; MAX_BYTES + 1];
    let error = read(&large).unwrap_err();
    assert_eq!(
        error,
        FileError::TooLarge {
            bytes: MAX_BYTES + 1
        }
    );
    assert_eq!(
        error.to_string(),
        "The file is 10.1 MB; the limit is 10 MB. Split it into several files."
    );
    assert_eq!(
        read(&vec![b'x'; 12_900_000]).unwrap_err().to_string(),
        "The file is 12.4 MB; the limit is 10 MB. Split it into several files."
    );

    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n", b" \n;;;\n;;\n"] {
        let error = read(empty).unwrap_err();
        assert_eq!(error, FileError::Empty, "{empty:?}");
        assert!(error.to_string().starts_with("The file is empty."));
    }

    // The OLE compound file signature of .xls (and of password-protected workbooks).
    let mut xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    xls.resize(4096, 0);
    let error = read(&xls).unwrap_err();
    assert_eq!(error, FileError::OldExcel);
    let message = error.to_string();
    assert!(
        message.contains(".xlsx") && message.contains("CSV UTF-8"),
        "{message}"
    );

    let broken = b"PK\x03\x04 this is no workbook";
    let error = read(broken).unwrap_err();
    assert!(
        matches!(error, FileError::UnreadableXlsx { .. }),
        "{error:?}"
    );
    assert!(error
        .to_string()
        .contains("cannot be read as an Excel workbook"));
}

#[test]
fn a_file_of_only_the_header_row_has_no_rows() {
    let sheet = read(b"First name,Last name,E-mail,Hidden ID\r\n").unwrap();
    assert_eq!(sheet.headers.len(), 4);
    assert!(sheet.rows.is_empty());
    let sheet = read(&xlsx(|s| {
        s.write_string(0, 0, "First name")?;
        s.write_string(0, 1, "Hidden ID")?;
        Ok(())
    }))
    .unwrap();
    assert_eq!(sheet.format, Format::Xlsx);
    assert_eq!(sheet.headers, ["First name", "Hidden ID"]);
    assert!(sheet.rows.is_empty());
}

#[test]
fn a_value_beyond_the_column_limit_is_refused_with_where_it_is() {
    let mut row = vec![""; 100];
    row[0] = "Ilse";
    let fine = format!("First name\n{},,,\n", row.join(","));
    assert_eq!(
        read(fine.as_bytes()).unwrap().rows[0].cells.len(),
        100,
        "empty cells beyond the limit are dropped"
    );
    let far = format!("First name\n{},x\n", row.join(","));
    let error = read(far.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Row 2 has a value in column CW, but the import reads only the first 100 columns (up to column CV). \
         Delete what is beyond them."
    );
    let far = xlsx(|s| {
        s.write_string(0, 0, "First name")?;
        s.write_string(4, 16_383, "stray")?;
        Ok(())
    });
    assert_eq!(
        read(&far),
        Err(FileError::TooManyColumns {
            line: 5,
            column: 16_384,
            limit: 100
        })
    );
}

#[test]
fn xlsx_cells_are_read_as_the_person_sees_them_with_excels_row_numbers() {
    let bytes = xlsx(|s| {
        let date = CellFormat::new().set_num_format("yyyy-mm-dd");
        let datetime = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
        // The table starts at B3, as when a title is above it.
        s.write_string(0, 0, "")?;
        for (col, header) in [
            "First name",
            "Last name",
            "E-mail",
            "Hidden ID",
            "Nickname",
            "Mode",
        ]
        .into_iter()
        .enumerate()
        {
            s.write_string(2, 1 + col as u16, header)?;
        }
        // Excel row 4.
        s.write_string(3, 1, "Ilse")?;
        s.write_string(3, 2, "Vermeer")?;
        s.write_string(3, 3, "ilse@example.com")?;
        s.write_number(3, 4, 4_123_456_789_012.0)?; // 13 digits, typed without the leading 0
        s.write_number(3, 5, 4.5)?;
        s.write_boolean(3, 6, true)?;
        // Excel row 5.
        s.write_string(4, 1, "Jan")?;
        s.write_string(4, 2, "de Vries")?;
        s.write_string(4, 3, "jan@example.com")?;
        s.write_number(4, 4, 4_123_456_789_012_345.0)?; // shown as 4.12346E+15, digits lost
        s.write_datetime_with_format(4, 5, ExcelDateTime::from_ymd(2026, 3, 1)?, &date)?;
        s.write_boolean(4, 6, false)?;
        // Excel row 6: formatted but empty, skipped.
        s.write_blank(5, 1, &date)?;
        s.write_string(5, 2, "  ")?;
        // Excel row 7.
        s.write_string(6, 1, "Anna")?;
        s.write_number(6, 2, -3.0)?;
        s.write_string(6, 3, "anna@example.com")?;
        s.write_string(6, 4, "04A1B2C3D4E5F6")?;
        s.write_string(6, 5, "'=Fleet")?;
        let afternoon = ExcelDateTime::from_ymd(2026, 3, 1)?.and_hms(14, 30, 0)?;
        s.write_datetime_with_format(6, 6, afternoon, &datetime)?;
        Ok(())
    });
    let sheet = read(&bytes).unwrap();
    assert_eq!(sheet.format, Format::Xlsx);
    assert_eq!(
        sheet.headers,
        [
            "First name",
            "Last name",
            "E-mail",
            "Hidden ID",
            "Nickname",
            "Mode"
        ]
    );
    assert_eq!(
        cells(&sheet),
        [
            vec![
                "Ilse",
                "Vermeer",
                "ilse@example.com",
                "4123456789012",
                "4.5",
                "TRUE"
            ],
            vec![
                "Jan",
                "de Vries",
                "jan@example.com",
                "4.12346E+15",
                "2026-03-01",
                "FALSE"
            ],
            vec![
                "Anna",
                "-3",
                "anna@example.com",
                "04A1B2C3D4E5F6",
                "=Fleet",
                "2026-03-01 14:30:00"
            ],
        ]
    );
    assert_eq!(lines(&sheet), [4, 5, 7]);

    // What the shared Hidden ID check makes of them: digits kept pass on, digits lost are refused.
    let layout = layout_of(&sheet.headers);
    let hidden = |row: usize| layout.cell(&sheet.rows[row].cells, Column::HiddenId);
    assert_eq!(hidden_id_cell(hidden(0)), Ok("4123456789012"));
    assert!(matches!(
        hidden_id_cell(hidden(1)),
        Err(HiddenIdCellError::ScientificNotation { .. })
    ));
    assert_eq!(hidden_id_cell(hidden(2)), Ok("04A1B2C3D4E5F6"));
}

#[test]
fn the_first_visible_worksheet_is_read() {
    let mut workbook = Workbook::new();
    let old = workbook.add_worksheet().set_name("Old").unwrap();
    old.write_string(0, 0, "Not this one").unwrap();
    old.set_hidden(true);
    let passes = workbook.add_worksheet().set_name("Passes").unwrap();
    passes.write_string(0, 0, "First name").unwrap();
    passes.write_string(1, 0, "Ilse").unwrap();
    passes.set_active(true);
    workbook
        .add_worksheet()
        .write_string(0, 0, "Nor this one")
        .unwrap();
    let sheet = read(&workbook.save_to_buffer().unwrap()).unwrap();
    assert_eq!(sheet.headers, ["First name"]);
    assert_eq!(cells(&sheet), [vec!["Ilse"]]);
}

#[test]
fn an_xlsx_of_more_rows_than_the_limit_is_refused() {
    let rows = |n: u32| {
        xlsx(|s| {
            s.write_string(0, 0, "E-mail")?;
            for row in 1..=n {
                s.write_string(row, 0, "a@example.com")?;
            }
            Ok(())
        })
    };
    let limit = MAX_ROWS as u32;
    assert_eq!(read(&rows(limit)).unwrap().rows.len(), MAX_ROWS);
    assert_eq!(
        read(&rows(limit + 1)),
        Err(FileError::TooManyRows { limit: MAX_ROWS })
    );
}

/// Values a spreadsheet or our own quoting could change.
fn tricky_rows() -> Vec<Vec<String>> {
    vec![
        strings(&[
            "José",
            "Müller-Lüdenscheidt",
            "jose@example.com",
            "Administrator",
            "NL-TNM-C00122045-K",
            "04A1B2C3D4E5F6",
            "=Fleet",
            "Whitelist",
            "Brouwerij De Kroon / De Kroon Logistics",
        ]),
        strings(&[
            "Ilse",
            "van 't Hooft",
            "ilse@example.com",
            "",
            "",
            "0012345678",
            "+31 car",
            "",
            "",
        ]),
        strings(&[
            "Two\r\nlines",
            "semi;colon",
            "comma, \"quoted\"",
            "Cardholder",
            "'t Hooft",
            "4.12346E+15",
            "@home",
            "-",
            "  padded  ",
        ]),
        strings(&[
            "Anna",
            "",
            "anna@example.com",
            "",
            "",
            "",
            "'=typed with a quote",
            "",
            "",
        ]),
    ]
}

#[test]
fn an_export_reads_back_as_the_same_cells_in_both_formats() {
    let headers = Column::ALL.map(Column::header);
    let rows = tricky_rows();
    for format in [Format::Csv, Format::Xlsx] {
        let bytes = write(format, &headers, &rows);
        let sheet = read(&bytes).unwrap();
        assert_eq!(sheet.format, format);
        assert_eq!(sheet.headers, headers, "{format:?}");
        let read_rows: Vec<Vec<String>> = sheet.rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(read_rows, rows, "{format:?}");
        let expected_lines = match format {
            // The third row's first cell takes two lines of the CSV.
            Format::Csv => [2, 3, 4, 6],
            Format::Xlsx => [2, 3, 4, 5],
        };
        assert_eq!(lines(&sheet), expected_lines, "{format:?}");
    }

    let csv = write(Format::Csv, &headers, &rows);
    assert!(csv.starts_with("\u{FEFF}First name,Last name,".as_bytes()));
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains(",'=Fleet,"), "formulas are quoted in the CSV");
    assert!(text.contains(",'+31 car,"));
    let line_ends = text.replace("Two\r\nlines", "");
    assert!(
        line_ends.ends_with("\r\n") && !line_ends.replace("\r\n", "").contains('\n'),
        "CRLF line ends"
    );
    assert_eq!(Format::Csv.extension(), "csv");
    assert_eq!(Format::Xlsx.extension(), "xlsx");
    assert_eq!(Format::Csv.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        Format::Xlsx.content_type(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
}

#[test]
fn the_template_reads_back_as_its_headers() {
    for format in [Format::Csv, Format::Xlsx] {
        for with_organization in [false, true] {
            let sheet = read(&template(format, with_organization)).unwrap();
            let expected: Vec<&str> = Column::ALL
                .into_iter()
                .filter(|c| with_organization || *c != Column::Organization)
                .map(Column::header)
                .collect();
            assert_eq!(sheet.headers, expected, "{format:?} {with_organization}");
            assert!(sheet.rows.is_empty());
            let layout = Layout::parse(&sheet.headers).expect("the template's headers parse");
            assert_eq!(layout.has(Column::Organization), with_organization);
        }
    }

    use calamine::{Reader, Xlsx};
    let bytes = template(Format::Xlsx, true);
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), ["Passes", "Instructions"]);
    let instructions = workbook.worksheet_range("Instructions").unwrap();
    let text: Vec<String> = instructions
        .cells()
        .map(|(_, _, c)| c.to_string())
        .collect();
    for needed in [
        "Cardholder or Administrator. Empty means Cardholder.",
        "Whitelist or Roaming. Empty means the same default as \"+ Add Pass\".",
    ] {
        assert!(text.iter().any(|t| t == needed), "{needed}");
    }
    assert!(text
        .iter()
        .any(|t| t.contains("Brouwerij De Kroon / De Kroon Logistics")));
    assert!(text
        .iter()
        .any(|t| t.contains("either the Public Card ID or the Hidden ID")));
}

#[test]
fn the_error_file_has_the_rows_with_errors_and_reads_back_for_another_import() {
    let headers = Column::ALL.map(Column::header);
    let rows = tricky_rows();
    for format in [Format::Csv, Format::Xlsx] {
        let sheet = read(&write(format, &headers, &rows)).unwrap();
        let (first, third) = (sheet.rows[0].line, sheet.rows[2].line);
        let errors = vec![
            (third, "Enter the mode as Whitelist or Roaming.".to_owned()),
            (first, "This e-mail address is already a user.".to_owned()),
            (third, "The Hidden ID was turned into a number.".to_owned()),
        ];
        let errors_sheet = read(&error_file(&sheet, &errors)).unwrap();
        assert_eq!(errors_sheet.format, format);
        let mut expected_headers = headers.to_vec();
        expected_headers.push("Error");
        assert_eq!(errors_sheet.headers, expected_headers, "{format:?}");
        let mut expected = vec![rows[0].clone(), rows[2].clone()];
        expected[0].push("This e-mail address is already a user.".to_owned());
        expected[1].push(
            "Enter the mode as Whitelist or Roaming.; The Hidden ID was turned into a number."
                .to_owned(),
        );
        let read_rows: Vec<Vec<String>> =
            errors_sheet.rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(read_rows, expected, "{format:?}");
        let layout = Layout::parse(&errors_sheet.headers).expect("the error file parses");
        assert_eq!(
            layout.cell(&errors_sheet.rows[0].cells, Column::Email),
            "jose@example.com"
        );

        // Fixed in part and uploaded again: its own Error column is replaced, not repeated.
        let again = vec![(errors_sheet.rows[1].line, "Still wrong.".to_owned())];
        let second = read(&error_file(&errors_sheet, &again)).unwrap();
        assert_eq!(second.headers, expected_headers, "{format:?}");
        assert_eq!(second.rows.len(), 1);
        assert_eq!(second.rows[0].cells[..9], rows[2][..]);
        assert_eq!(second.rows[0].cells[9], "Still wrong.");
    }
}

#[test]
fn the_error_file_keeps_the_columns_up_to_the_last_header() {
    let text = "First name;Last name;E-mail;Hidden ID;;\n\
                Ilse;Vermeer;ilse@example.com;04A1B2C3D4E5F6;;a note\n\
                Jan;de Vries;jan@example.com\n";
    let sheet = read(text.as_bytes()).unwrap();
    let errors = [
        (2, "First.".to_owned()),
        (3, "Second.".to_owned()),
        (99, "No such row.".to_owned()),
    ];
    let bytes = error_file(&sheet, &errors);
    assert!(bytes.starts_with("\u{FEFF}First name,".as_bytes()));
    let errors_sheet = read(&bytes).unwrap();
    assert_eq!(
        errors_sheet.headers,
        ["First name", "Last name", "E-mail", "Hidden ID", "Error"]
    );
    assert_eq!(
        cells(&errors_sheet),
        [
            vec![
                "Ilse",
                "Vermeer",
                "ilse@example.com",
                "04A1B2C3D4E5F6",
                "First."
            ],
            vec!["Jan", "de Vries", "jan@example.com", "", "Second."],
        ]
    );
    layout_of(&errors_sheet.headers);
}

#[test]
fn a_workbook_that_unpacks_to_more_than_the_limit_is_refused_before_it_is_read() {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    // A zip bomb's shape: a small upload whose part declares far more than a list of passes needs. Written
    // small, then its central directory entry is made to declare 3 GB (what a crafted file would say).
    let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    bomb.start_file("xl/sharedStrings.xml", SimpleFileOptions::default())
        .unwrap();
    bomb.write_all(b"<sst/>").unwrap();
    let mut bytes = bomb.finish().unwrap().into_inner();
    let entry = bytes
        .windows(4)
        .position(|w| w == [0x50, 0x4B, 0x01, 0x02])
        .expect("the central directory entry");
    // Its uncompressed size: 4 bytes, little-endian, 24 bytes into the entry.
    bytes[entry + 24..entry + 28].copy_from_slice(&3_000_000_000_u32.to_le_bytes());
    assert!(bytes.len() < MAX_BYTES, "the upload itself is small");
    let error = read(&bytes).unwrap_err();
    assert_eq!(error, FileError::Unpacks);
    assert!(error.to_string().contains("more than 200 MB"));
}
