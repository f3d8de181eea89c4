//! `GET /api/export/transactions.csv` and `GET /api/export/transactions.xlsx` `?org={org}&<filter>`: the
//! "Transactions" download — exactly the sessions the page's filter selects ([`shared::transactions`]), oldest
//! first, streamed from the database.
//!
//! Not a server function because it streams (a server function returns a whole body). Authorized the same way,
//! first: the session cookie becomes a caller who must administer `org` ([`app::auth::server::admin_of_request`],
//! `Caller::admin_of`). Under `/api/`, so the security middleware refuses cross-site requests as for every
//! server function. Refusals: 401 without a session, 404 for an organization the caller does not administer or a
//! station or user outside it (the same answer for "not yours" and "does not exist"), 400 for a filter that
//! does not read.
//!
//! Memory stays flat whatever the number of rows: storage reads the rows through a bounded channel
//! ([`storage::OrgAdmin::export_transactions`]), the CSV is written a few hundred rows at a time into the
//! response, and the XLSX worksheet goes row by row into rust_xlsxwriter's `constant_memory` temporary file; the
//! finished workbook is then zipped straight into the response. The answer's head goes out at once (so the
//! request timeout never cuts a long download); an error afterwards breaks the body off, and the browser reports
//! the download as failed rather than saving a truncated file as complete.
//!
//! The CSV dialect: RFC 4180 with `,` and CRLF, UTF-8 with a byte order mark (so that Excel reads "Zürich" and
//! "€" right), numbers as plain decimals with a `.` (`12.345` kWh, `5.45` euro) so that they stay numbers for
//! programs; text through [`shared::export::safe_cell`]. Excel users in a `;` / decimal-comma locale (Dutch)
//! take the XLSX, whose numbers are typed numbers in every locale.

use app::auth::server::PublicSite;
use app::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use shared::time::TimeZoneName;
use shared::transactions::{export_header, export_row, ExportCell, TransactionQuery};
use shared::OrgId;
use std::io::{self, Write};
use storage::{Db, ExportedTransaction, StorageError};
use tokio::sync::mpsc;

/// Rows written into the response at a time (CSV).
const CSV_BATCH: usize = 500;
/// An XLSX worksheet holds at most this many rows (Excel's limit); the header takes one, more rows continue on
/// a next worksheet.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// The bytes of XLSX output sent to the response at a time.
const XLSX_CHUNK: usize = 64 * 1024;

/// The download's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    fn from_file(file: &str) -> Option<Format> {
        match file {
            "transactions.csv" => Some(Format::Csv),
            "transactions.xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The route's handler.
pub async fn transactions(
    State(db): State<Db>,
    Path(file): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Extension(site): Extension<PublicSite>,
) -> Response {
    let org = pairs
        .iter()
        .rev()
        .find(|(name, _)| name == "org")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .map(OrgId);
    let admin = match app::auth::server::admin_of_request(&db, &headers, &site, org).await {
        Ok(admin) => admin,
        Err(e) => return refusal(e),
    };
    let Some(format) = Format::from_file(&file) else {
        return refusal(AppError::NoAccess);
    };
    let query = TransactionQuery::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let filter = match query.parse() {
        Ok(filter) => filter,
        Err(errors) => return refusal(AppError::first_invalid(errors)),
    };
    let org_name = match admin.context().await {
        Ok(context) => context.name,
        Err(e) => return refusal(e.into()),
    };
    let (zone, rows) = match admin.export_transactions(&filter).await {
        Ok(stream) => stream,
        Err(e) => return refusal(e.into()),
    };
    let today = storage::now().local_day(&zone);
    let name = shared::transactions::export_file_name(&org_name, today, format.extension());
    let body = match format {
        Format::Csv => csv_body(zone, rows),
        Format::Xlsx => xlsx_body(zone, rows),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An [`AppError`] as this route's answer (and the import routes', `crate::import`): its status and its sentence
/// as text.
pub(crate) fn refusal(error: AppError) -> Response {
    let status = match error {
        // An organization the caller does not administer reads as one that does not exist.
        AppError::NoAccess => StatusCode::NOT_FOUND,
        ref e => e.status(),
    };
    (status, error.to_string()).into_response()
}

/// A download's error after the head was sent: logged, and the body breaks off.
fn broken(error: StorageError) -> io::Error {
    tracing::error!(error = ?error, "reading the sessions of a download");
    io::Error::other("the download broke off")
}

/// The CSV: a byte order mark and the header, then the rows a batch at a time.
fn csv_body(
    zone: TimeZoneName,
    rows: mpsc::Receiver<Result<ExportedTransaction, StorageError>>,
) -> Body {
    struct State {
        rows: mpsc::Receiver<Result<ExportedTransaction, StorageError>>,
        zone: TimeZoneName,
        /// The bytes before the first row: the byte order mark and the header.
        start: Option<Vec<u8>>,
    }
    let start = csv_lines(b"\xEF\xBB\xBF".to_vec(), [export_header(&zone)]);
    let state = State {
        rows,
        zone,
        start: Some(start),
    };
    let stream = futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        let mut bytes = state.start.take().unwrap_or_default();
        let mut batch = Vec::with_capacity(CSV_BATCH);
        if state.rows.recv_many(&mut batch, CSV_BATCH).await == 0 {
            return (!bytes.is_empty()).then(|| (Ok(Bytes::from(bytes)), None));
        }
        let mut lines = Vec::with_capacity(batch.len());
        for row in batch {
            match row {
                Ok(row) => lines.push(
                    export_row(&row.summary, row.open, &state.zone)
                        .iter()
                        .map(csv_field)
                        .collect::<Vec<String>>(),
                ),
                Err(e) => return Some((Err(broken(e)), None)),
            }
        }
        bytes = csv_lines(bytes, lines);
        Some((Ok::<_, io::Error>(Bytes::from(bytes)), Some(state)))
    });
    // Fused: the compression layer polls the body once more after its end, which an `unfold` must never be.
    Body::from_stream(futures_util::StreamExt::fuse(stream))
}

/// `lines` as CSV records appended to `out` (RFC 4180: `,`, quotes where needed, CRLF).
fn csv_lines(out: Vec<u8>, lines: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    for line in lines {
        // Writing into memory fails only on a record of another length, which export_row never makes.
        if let Err(e) = writer.write_record(&line) {
            tracing::error!(error = %e, "writing a CSV row");
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// A cell as CSV text: numbers as they are (`-1.500` stays a number), text already made safe.
fn csv_field(cell: &ExportCell) -> String {
    match cell {
        ExportCell::Text(t) | ExportCell::Decimal(t) => t.clone(),
        ExportCell::Integer(n) => n.to_string(),
        ExportCell::Empty => String::new(),
    }
}

/// The XLSX: written on a blocking thread (rust_xlsxwriter is synchronous) into constant-memory worksheets,
/// then zipped into the response through a bounded channel.
fn xlsx_body(
    zone: TimeZoneName,
    rows: mpsc::Receiver<Result<ExportedTransaction, StorageError>>,
) -> Body {
    let (sender, mut output) = mpsc::channel::<io::Result<Bytes>>(8);
    let failed = sender.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = write_xlsx(zone, rows, ChannelWriter(sender)) {
            tracing::warn!(error = %e, "the XLSX download ended early");
            let _ = failed.blocking_send(Err(io::Error::other("XLSX")));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| output.poll_recv(cx));
    Body::from_stream(stream)
}

/// Writes the workbook into `out`: a header row in bold, frozen, then one row per session.
fn write_xlsx(
    zone: TimeZoneName,
    mut rows: mpsc::Receiver<Result<ExportedTransaction, StorageError>>,
    out: ChannelWriter,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet};
    let mut workbook = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let header = export_header(&zone);
    let new_sheet = |workbook: &mut Workbook, n: usize| -> Result<(), rust_xlsxwriter::XlsxError> {
        let sheet: &mut Worksheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(if n == 1 {
            "Transactions".to_owned()
        } else {
            format!("Transactions ({n})")
        })?;
        for (col, name) in header.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, name, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(())
    };
    let mut sheets = 1;
    new_sheet(&mut workbook, sheets)?;
    let mut row_number: u32 = 1;
    while let Some(row) = rows.blocking_recv() {
        let row = row.map_err(broken)?;
        if row_number == XLSX_MAX_ROWS {
            sheets += 1;
            new_sheet(&mut workbook, sheets)?;
            row_number = 1;
        }
        let sheet = workbook.worksheet_from_index(sheets - 1)?;
        for (col, cell) in export_row(&row.summary, row.open, &zone)
            .into_iter()
            .enumerate()
        {
            let col = col as u16;
            match cell {
                ExportCell::Text(t) => {
                    sheet.write_string(row_number, col, t)?;
                }
                ExportCell::Decimal(d) => match d.parse::<f64>() {
                    Ok(n) => {
                        sheet.write_number(row_number, col, n)?;
                    }
                    Err(_) => {
                        sheet.write_string(row_number, col, d)?;
                    }
                },
                ExportCell::Integer(n) => {
                    sheet.write_number(row_number, col, n as f64)?;
                }
                ExportCell::Empty => {}
            }
        }
        row_number += 1;
    }
    let mut out = io::BufWriter::with_capacity(XLSX_CHUNK, out);
    workbook.save_to_writer(&mut out)?;
    out.flush()?;
    Ok(())
}

/// The XLSX output into the response's channel, from the blocking thread; fails once the client is gone.
struct ChannelWriter(mpsc::Sender<io::Result<Bytes>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
