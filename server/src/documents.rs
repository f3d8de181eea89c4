//! `GET /api/documents/statements/{id}?org={org}&format=pdf|csv`: a credit statement as the PDF people file and the
//! CSV of its sessions (rendered by `statement-doc` from the statement as it was issued).
//!
//! Not a server function because the answer is a file, not JSON; authorized first the same way
//! (`app::auth::server::admin_of_request`: the session cookie's caller must administer `org`), and the statement
//! must be one of that organization's subtree (`OrgAdmin::statement`). Under `/api/`, so cross-site requests are
//! refused like for server functions. Refusals are 401 without a session and 404 otherwise — the same for a
//! statement of another organization as for one that does not exist.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use shared::OrgId;
use storage::Db;

/// The query of a statement download.
#[derive(Debug, serde::Deserialize)]
pub struct StatementQuery {
    org: OrgId,
    format: Format,
}

/// The file asked for.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Csv,
}

/// The statement `id` of `org`'s subtree as a file.
pub async fn statement(
    State(db): State<Db>,
    Path(id): Path<i64>,
    Query(query): Query<StatementQuery>,
    headers: HeaderMap,
    Extension(site): Extension<app::auth::server::PublicSite>,
) -> Response {
    let statement = async {
        let admin =
            app::auth::server::admin_of_request(&db, &headers, &site, Some(query.org)).await?;
        Ok::<_, app::AppError>(admin.statement(id).await?)
    };
    let statement = match statement.await {
        Ok(statement) => statement,
        Err(refused) => {
            if refused.status().is_server_error() {
                tracing::error!(error = ?refused, "reading a statement");
            }
            return refused.status().into_response();
        }
    };
    let (body, mime, extension) = match query.format {
        Format::Pdf => (statement_doc::pdf(&statement), "application/pdf", "pdf"),
        Format::Csv => (
            statement_doc::csv(&statement),
            "text/csv; charset=utf-8",
            "csv",
        ),
    };
    // The number is ours (letters, digits and hyphens), safe in a header.
    let disposition = format!("attachment; filename=\"{}.{extension}\"", statement.number);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
