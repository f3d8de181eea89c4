//! The bulk import and export of passes (issue #12), under `/api/passes/`:
//!
//! - `GET template.csv` / `template.xlsx` `?org=` — the empty template (with the Organization column when the
//!   organization has sub-organizations);
//! - `GET export.csv` / `export.xlsx` `?org=` — the live passes of the organization and its sub-organizations in
//!   the import's columns, so that export → edit → import round-trips;
//! - `POST import/preview` `?org=&mode=add|replace` — the uploaded file (the request body, as is) read and
//!   checked row by row: JSON [`ImportPreview`], nothing written;
//! - `POST import/commit` `?org=&mode=&name=&confirmed=true|false&deletions=N` — the same file imported, all or
//!   nothing: JSON [`ImportDone`], or 409 with JSON [`ImportRefusal`] (why, and the preview as it is now);
//! - `POST import/errors` `?org=&mode=` — the file's rows that have errors with an added Error column, in the
//!   file's own format, to correct and upload again.
//!
//! Plain routes, not server functions: the body is a file of up to 10 MB, and three answers are files. Authorized
//! the same way as every server function, first: the session cookie's caller must administer `org`
//! ([`app::auth::server::admin_of_request`]); 401 without a session, 404 for an organization the caller does not
//! administer (the same as one that does not exist). Under `/api/`, so the security middleware refuses
//! cross-site requests. A file that cannot be read gets 422 with the sentence saying why; one above
//! [`passfile::MAX_BYTES`] 413, before it is read.
//!
//! Reading and checking a file is CPU work (an XLSX is a zip of XML): it runs on the blocking pool, at most
//! [`CHECKS_AT_ONCE`] files at a time in this process — a flood of uploads waits for a turn, and gets 503 after
//! [`TURN_WAIT`]. One import per organization at a time: a second commit into the same organization while one
//! runs in this process is refused (409); across instances the commit's lock on the organization's row makes the
//! second wait and then plan with the first one's passes (`storage::import`).

use app::auth::server::PublicSite;
use app::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use passfile::{FileError, Format, Sheet};
use shared::import::{
    read_row, Column, ImportMode, ImportPreview, ImportRefusal, Layout, RowInput, RowOutcome,
};
use shared::pass_id::PassIdKind;
use shared::OrgId;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use storage::{Db, ImportCommit, OrgAdmin};
use tokio::sync::Semaphore;

/// Files read and checked at the same time in this process.
pub const CHECKS_AT_ONCE: usize = 2;
/// How long an upload waits for a turn before it is answered 503.
pub const TURN_WAIT: Duration = Duration::from_secs(20);
/// The longest file name kept for the audit log.
const NAME_MAX_CHARS: usize = 120;

/// The routes' shared state.
#[derive(Clone)]
pub struct Imports {
    db: Db,
    turns: Arc<Semaphore>,
    running: Arc<Mutex<HashSet<OrgId>>>,
}

/// The routes, with their state.
pub fn routes(db: Db) -> Router {
    let state = Imports {
        db,
        turns: Arc::new(Semaphore::new(CHECKS_AT_ONCE)),
        running: Arc::new(Mutex::new(HashSet::new())),
    };
    Router::new()
        .route("/api/passes/template/{file}", get(template))
        .route("/api/passes/export/{file}", get(export))
        .route("/api/passes/import/preview", post(preview))
        .route("/api/passes/import/commit", post(commit))
        .route("/api/passes/import/errors", post(errors))
        .with_state(state)
}

/// The query string's values, the last of each name.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn org(&self) -> Option<OrgId> {
        self.get("org")
            .and_then(|v| v.parse::<i64>().ok())
            .map(OrgId)
    }

    fn mode(&self) -> Result<ImportMode, AppError> {
        match self.get("mode") {
            None => Ok(ImportMode::Add),
            Some(mode) => ImportMode::parse(mode)
                .ok_or_else(|| AppError::invalid("mode", "Choose Add or Replace.")),
        }
    }
}

/// An [`AppError`] as these routes' answer: the download's ([`crate::export::refusal`]), with `Retry-After` for
/// the refusals that pass with time (a turn not found in time).
fn refusal(error: AppError) -> Response {
    let retry_after = error.retry_after_secs();
    let mut response = crate::export::refusal(error);
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn file_format(file: &str, stem: &str) -> Option<Format> {
    match file.strip_prefix(stem)? {
        ".csv" => Some(Format::Csv),
        ".xlsx" => Some(Format::Xlsx),
        _ => None,
    }
}

/// A file as the answer, to save under `name`.
fn download(format: Format, name: &str, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
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

async fn authorize(
    db: &Db,
    headers: &HeaderMap,
    site: &PublicSite,
    params: &Params,
) -> Result<OrgAdmin, AppError> {
    app::auth::server::admin_of_request(db, headers, site, params.org()).await
}

async fn org_name(admin: &OrgAdmin) -> Result<String, AppError> {
    Ok(admin.context().await?.name)
}

/// `GET /api/passes/template/template.{csv,xlsx}`.
async fn template(
    State(state): State<Imports>,
    Path(file): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Extension(site): Extension<PublicSite>,
) -> Response {
    let params = Params(params);
    let answer = async {
        let admin = authorize(&state.db, &headers, &site, &params).await?;
        let format = file_format(&file, "template").ok_or(AppError::NoAccess)?;
        let with_organization = admin.has_sub_organizations().await?;
        let name = shared::export::download_name(
            "passes-template",
            &org_name(&admin).await?,
            None,
            format.extension(),
        );
        Ok::<_, AppError>(download(
            format,
            &name,
            passfile::template(format, with_organization),
        ))
    };
    answer.await.unwrap_or_else(refusal)
}

/// `GET /api/passes/export/passes.{csv,xlsx}`.
async fn export(
    State(state): State<Imports>,
    Path(file): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Extension(site): Extension<PublicSite>,
) -> Response {
    let params = Params(params);
    let answer = async {
        let admin = authorize(&state.db, &headers, &site, &params).await?;
        let format = file_format(&file, "passes").ok_or(AppError::NoAccess)?;
        let with_organization = admin.has_sub_organizations().await?;
        let passes = admin.export_passes().await?;
        let columns: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| with_organization || *c != Column::Organization)
            .collect();
        let header: Vec<&str> = columns.iter().map(|c| c.header()).collect();
        let rows: Vec<Vec<String>> = passes
            .into_iter()
            .map(|p| {
                columns
                    .iter()
                    .map(|c| match c {
                        Column::FirstName => p.first_name.clone(),
                        Column::LastName => p.last_name.clone(),
                        Column::Email => p.email.clone(),
                        Column::Role => p.role.label().to_owned(),
                        Column::PublicCardId if p.kind == PassIdKind::Visible => p.id.clone(),
                        Column::HiddenId if p.kind == PassIdKind::Hidden => p.id.clone(),
                        Column::PublicCardId | Column::HiddenId => String::new(),
                        Column::Nickname => p.nickname.clone(),
                        Column::Mode => p.mode.label().to_owned(),
                        Column::Organization => p.organization.clone(),
                    })
                    .collect()
            })
            .collect();
        let today = storage::now().local_day(&admin.time_zone().await?);
        let name = shared::export::download_name(
            "passes",
            &org_name(&admin).await?,
            Some(today),
            format.extension(),
        );
        let bytes = tokio::task::spawn_blocking(move || passfile::write(format, &header, &rows))
            .await
            .map_err(|_| AppError::Internal)?;
        Ok::<_, AppError>(download(format, &name, bytes))
    };
    answer.await.unwrap_or_else(refusal)
}

/// A file read and checked, row by row.
struct Checked {
    sheet: Sheet,
    rows: Vec<RowInput>,
}

/// The readable sentence for a file that cannot be read, at the form's file field.
fn file_refusal(error: FileError) -> AppError {
    AppError::invalid("file", error.to_string())
}

/// Takes the request's file (413 above [`passfile::MAX_BYTES`], without reading further), waits for a turn
/// and reads and checks it on the blocking pool.
async fn read_upload(
    state: &Imports,
    headers: &HeaderMap,
    body: Body,
) -> Result<Checked, AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || AppError::Invalid {
        field: "file".into(),
        message: match declared {
            Some(bytes) => FileError::TooLarge { bytes }.to_string(),
            None => format!(
                "The file is larger than {} MB, the limit. Split it into several files.",
                passfile::MAX_BYTES / (1024 * 1024)
            ),
        },
    };
    if declared.is_some_and(|n| n > passfile::MAX_BYTES) {
        return Err(too_large());
    }
    let bytes: Bytes = axum::body::to_bytes(body, passfile::MAX_BYTES)
        .await
        .map_err(|_| too_large())?;
    let _turn = tokio::time::timeout(TURN_WAIT, state.turns.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let sheet = passfile::read(&bytes).map_err(file_refusal)?;
        let layout =
            Layout::parse(&sheet.headers).map_err(|e| AppError::invalid("file", e.to_string()))?;
        let rows = sheet
            .rows
            .iter()
            .map(|row| read_row(&layout, row.line, &row.cells))
            .collect();
        Ok(Checked { sheet, rows })
    })
    .await
    .map_err(|_| AppError::Internal)?
}

/// A 413 for a file above the limit, the other refusals as [`refusal`].
fn upload_refusal(error: AppError) -> Response {
    match &error {
        AppError::Invalid { field, message }
            if field == "file" && message.contains("the limit") =>
        {
            (StatusCode::PAYLOAD_TOO_LARGE, message.clone()).into_response()
        }
        _ => refusal(error),
    }
}

/// `POST /api/passes/import/preview`.
async fn preview(
    State(state): State<Imports>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Extension(site): Extension<PublicSite>,
    body: Body,
) -> Response {
    let params = Params(params);
    let answer = async {
        let admin = authorize(&state.db, &headers, &site, &params).await?;
        let mode = params.mode()?;
        let checked = read_upload(&state, &headers, body).await?;
        Ok::<_, AppError>(Json(admin.preview_pass_import(&checked.rows, mode).await?))
    };
    match answer.await {
        Ok(preview) => preview.into_response(),
        Err(e) => upload_refusal(e),
    }
}

/// Removes the organization from the running imports when the commit ends, however it ends.
struct Running {
    running: Arc<Mutex<HashSet<OrgId>>>,
    org: OrgId,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(&self.org);
        }
    }
}

/// `POST /api/passes/import/commit`.
async fn commit(
    State(state): State<Imports>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Extension(site): Extension<PublicSite>,
    body: Body,
) -> Response {
    let params = Params(params);
    let answer = async {
        let admin = authorize(&state.db, &headers, &site, &params).await?;
        let mode = params.mode()?;
        let confirmed = params.get("confirmed") == Some("true");
        let deletions = match params.get("deletions") {
            None => 0,
            Some(n) => n.parse::<usize>().map_err(|_| {
                AppError::invalid("deletions", "Confirm the number of passes to delete.")
            })?,
        };
        let name: String = params
            .get("name")
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(NAME_MAX_CHARS)
            .collect();
        let org = admin.org_id();
        let _running = {
            let mut running = state.running.lock().map_err(|_| AppError::Internal)?;
            if !running.insert(org) {
                return Err(AppError::Conflict {
                    field: None,
                    message: "An import into this organization is running. Try again when it has finished."
                        .into(),
                });
            }
            Running {
                running: state.running.clone(),
                org,
            }
        };
        let checked = read_upload(&state, &headers, body).await?;
        Ok(admin
            .commit_pass_import(&checked.rows, mode, confirmed, deletions, &name)
            .await?)
    };
    match answer.await {
        Ok(ImportCommit::Done(done)) => Json(done).into_response(),
        Ok(ImportCommit::Refused { reason, preview }) => (
            StatusCode::CONFLICT,
            Json(ImportRefusal { reason, preview }),
        )
            .into_response(),
        Err(e) => upload_refusal(e),
    }
}

/// `POST /api/passes/import/errors`: the rows with errors, to correct.
async fn errors(
    State(state): State<Imports>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Extension(site): Extension<PublicSite>,
    body: Body,
) -> Response {
    let params = Params(params);
    let answer = async {
        let admin = authorize(&state.db, &headers, &site, &params).await?;
        let mode = params.mode()?;
        let checked = read_upload(&state, &headers, body).await?;
        let preview: ImportPreview = admin.preview_pass_import(&checked.rows, mode).await?;
        let errors: Vec<(usize, String)> = preview
            .rows
            .iter()
            .filter_map(|row| match &row.outcome {
                RowOutcome::Error { errors } => Some((
                    row.line,
                    errors
                        .iter()
                        .map(|e| e.describe())
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
                _ => None,
            })
            .collect();
        let format = checked.sheet.format;
        let name = shared::export::download_name(
            "passes-errors",
            &org_name(&admin).await?,
            None,
            format.extension(),
        );
        let bytes =
            tokio::task::spawn_blocking(move || passfile::error_file(&checked.sheet, &errors))
                .await
                .map_err(|_| AppError::Internal)?;
        Ok::<_, AppError>(download(format, &name, bytes))
    };
    answer.await.unwrap_or_else(upload_refusal)
}
