//! "Import passes" (`/orgs/:org/passes/import`, issue #12): many passes with their users from a CSV or XLSX file.
//!
//! The file goes as it is to the server's plain import routes (`server::import`, not server functions: the body
//! is a file and some answers are files), by a `fetch` from the browser with the session cookie: "Check file"
//! → `POST /api/passes/import/preview`, whose [`ImportPreview`] is shown row by row; "Download rows with errors"
//! → `POST /api/passes/import/errors`, saved as a file to correct and upload again; "Import N passes" →
//! `POST /api/passes/import/commit` with the confirmations, answered with [`ImportDone`] or, when something
//! changed since the check, a refusal with the new preview. Nothing is imported while a row has an error, and a
//! replace deletes exactly the number of passes the administrator ticked.
//!
//! The upload itself is browser-only code (`gloo-net`, compiled for wasm32 only); on the server the page renders
//! its form and the handlers do nothing.

use crate::components::*;
use crate::layout::use_org_id;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::import::{Column, ImportDone, ImportMode, ImportPreview, RowOutcome, RowPreview};
use shared::OrgId;

/// At most this many rows of a preview are shown (the errors and warnings first).
pub const ROWS_SHOWN: usize = 500;

/// What the file input accepts: CSV and XLSX, by extension and by type.
const ACCEPT: &str =
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const FILE_INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white text-sm text-slate-700 file:mr-3 file:border-0 file:border-r file:border-slate-300 file:bg-slate-50 file:px-3 file:py-2 file:text-sm file:font-medium file:text-slate-800 focus:outline-none focus:ring-2 focus:ring-emerald-600/30";
const FILE_INPUT_INVALID: &str = "mt-1 block w-full rounded-md border border-red-500 bg-white text-sm text-slate-700 file:mr-3 file:border-0 file:border-r file:border-slate-300 file:bg-slate-50 file:px-3 file:py-2 file:text-sm file:font-medium file:text-slate-800 focus:outline-none focus:ring-2 focus:ring-red-600/30";
const BANNER: &str = "rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800";

/// What the page is doing with the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// "Check file": the preview.
    Checking,
    /// "Download rows with errors".
    PreparingErrors,
    /// "Import N passes".
    Importing,
}

impl Work {
    /// The progress bar's name.
    pub fn progress_label(self) -> &'static str {
        match self {
            Self::Checking => "Checking the file",
            Self::PreparingErrors => "Preparing the rows with errors",
            Self::Importing => "Importing the file",
        }
    }

    /// "Checking passes.xlsx (1.2 MB)…"
    pub fn status(self, name: &str, bytes: f64) -> String {
        let verb = match self {
            Self::Checking => "Checking",
            Self::PreparingErrors => "Preparing the rows with errors of",
            Self::Importing => "Importing",
        };
        format!("{verb} {name} ({})…", file_size(bytes))
    }
}

/// A file's size as people read it: "830 bytes", "12.4 KB", "1.2 MB".
pub fn file_size(bytes: f64) -> String {
    const KB: f64 = 1024.0;
    if bytes < KB {
        format!("{bytes:.0} bytes")
    } else if bytes < KB * KB {
        format!("{:.1} KB", bytes / KB)
    } else {
        format!("{:.1} MB", bytes / (KB * KB))
    }
}

/// The rows the preview table shows: those with errors first, then those with warnings, then the others, each in
/// the file's order; at most [`ROWS_SHOWN`].
pub fn rows_in_order(rows: &[RowPreview]) -> Vec<&RowPreview> {
    let rank = |row: &RowPreview| match row.outcome {
        RowOutcome::Error { .. } => 0,
        RowOutcome::NeedsConfirmation { .. } => 1,
        _ => 2,
    };
    let mut shown: Vec<&RowPreview> = rows.iter().collect();
    shown.sort_by_key(|row| (rank(row), row.line));
    shown.truncate(ROWS_SHOWN);
    shown
}

/// The Outcome cell: "New user, new pass · Whitelist", "Already there (skipped) · Roaming", "Error".
pub fn outcome_text(outcome: &RowOutcome) -> String {
    match outcome {
        RowOutcome::NewPass { mode, .. }
        | RowOutcome::AlreadyThere { mode }
        | RowOutcome::NeedsConfirmation { mode, .. } => {
            format!("{} · {}", outcome.label(), mode.label())
        }
        RowOutcome::Error { .. } => outcome.label().to_owned(),
    }
}

/// The Details cell's lines: the errors ("E-mail: …"), the warning to confirm, the notes.
pub fn details(row: &RowPreview) -> Vec<String> {
    let mut lines: Vec<String> = match &row.outcome {
        RowOutcome::Error { errors } => errors.iter().map(|e| e.describe()).collect(),
        RowOutcome::NeedsConfirmation { warning, .. } => vec![warning.clone()],
        _ => Vec::new(),
    };
    lines.extend(row.notes.iter().cloned());
    lines
}

/// A replace's deletions, per organization: "Replace deletes 3 passes that are not in the file: 2 in Hotel
/// Zonneveld, 1 in Zonneveld Parking." `None` for an add.
pub fn deletions_sentence(preview: &ImportPreview) -> Option<String> {
    if preview.mode != ImportMode::Replace {
        return None;
    }
    let per_org: Vec<String> = preview
        .deletions
        .iter()
        .filter(|d| d.passes > 0)
        .map(|d| format!("{} in {}", d.passes, d.organization))
        .collect();
    Some(if per_org.is_empty() {
        "Replace deletes no passes: every pass of the organizations in the file is in it."
            .to_owned()
    } else {
        format!(
            "Replace deletes {} that {} not in the file: {}.",
            count(preview.totals.deletions as i64, "pass", "passes"),
            if preview.totals.deletions == 1 {
                "is"
            } else {
                "are"
            },
            per_org.join(", ")
        )
    })
}

/// The file name of a `Content-Disposition: attachment; filename="…"` header.
pub fn attachment_name(content_disposition: &str) -> Option<String> {
    let (_, rest) = content_disposition.split_once("filename=")?;
    let name = rest
        .trim_start_matches('"')
        .split(['"', ';'])
        .next()
        .unwrap_or("")
        .trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The error file's name when the answer names none: the uploaded file's format.
pub fn errors_fallback_name(uploaded: &str) -> &'static str {
    if uploaded.to_ascii_lowercase().ends_with(".xlsx") {
        "passes-errors.xlsx"
    } else {
        "passes-errors.csv"
    }
}

/// The page's state, shared by the form, the preview and the browser-side requests.
#[derive(Clone, Copy)]
struct ImportState {
    /// Read by the browser-side requests only.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    org: Memo<Option<OrgId>>,
    mode: RwSignal<ImportMode>,
    file: NodeRef<leptos::html::Input>,
    /// What is running, and the status text.
    busy: RwSignal<Option<(Work, String)>>,
    /// Why the file cannot be read (shown at the file field).
    file_error: RwSignal<Option<String>>,
    /// Any other failure.
    banner: RwSignal<Option<String>>,
    preview: RwSignal<Option<ImportPreview>>,
    /// Why the last "Import" wrote nothing (the preview is the one that came with it).
    refusal: RwSignal<Option<String>>,
    done: RwSignal<Option<ImportDone>>,
    warnings_confirmed: RwSignal<bool>,
    deletions_confirmed: RwSignal<bool>,
}

impl ImportState {
    fn new(org: Memo<Option<OrgId>>) -> Self {
        Self {
            org,
            mode: RwSignal::new(ImportMode::Add),
            file: NodeRef::new(),
            busy: RwSignal::new(None),
            file_error: RwSignal::new(None),
            banner: RwSignal::new(None),
            preview: RwSignal::new(None),
            refusal: RwSignal::new(None),
            done: RwSignal::new(None),
            warnings_confirmed: RwSignal::new(false),
            deletions_confirmed: RwSignal::new(false),
        }
    }

    /// Another file or mode: what was shown is about the old one.
    fn clear(&self) {
        self.file_error.set(None);
        self.banner.set(None);
        self.refusal.set(None);
        self.done.set(None);
        self.show(None);
    }

    /// A new preview (or none), with its confirmations unticked.
    fn show(&self, preview: Option<ImportPreview>) {
        self.warnings_confirmed.set(false);
        self.deletions_confirmed.set(false);
        self.preview.set(preview);
    }

    fn is_busy(&self) -> bool {
        self.busy.with(Option::is_some)
    }

    /// Starts `work` with the chosen file, in the browser.
    fn start(self, work: Work) {
        if self.is_busy() {
            return;
        }
        #[cfg(target_arch = "wasm32")]
        leptos::task::spawn_local(browser_side::run(self, work));
        #[cfg(not(target_arch = "wasm32"))]
        let _ = work;
    }
}

/// The requests to the import routes and what their answers change on the page.
#[cfg(target_arch = "wasm32")]
mod browser_side {
    use super::*;
    use crate::error::AppError;
    use gloo_net::http::{Request, Response};
    use shared::import::ImportRefusal;
    use wasm_bindgen::JsCast;

    /// The number of passes a replace deletes as the administrator confirmed it (0 when not ticked).
    fn confirmed_deletions(state: &ImportState) -> usize {
        match state.preview.get_untracked() {
            Some(p)
                if p.mode == ImportMode::Replace && state.deletions_confirmed.get_untracked() =>
            {
                p.totals.deletions
            }
            _ => 0,
        }
    }

    fn chosen_file(state: &ImportState) -> Option<web_sys::File> {
        state.file.get_untracked()?.files()?.get(0)
    }

    pub async fn run(state: ImportState, work: Work) {
        let Some(org) = state.org.get_untracked() else {
            return;
        };
        let Some(file) = chosen_file(&state) else {
            state
                .file_error
                .set(Some("Choose the CSV or XLSX file to import.".into()));
            return;
        };
        let name = file.name();
        state.banner.set(None);
        state.refusal.set(None);
        if work == Work::Checking {
            state.file_error.set(None);
            state.done.set(None);
            state.show(None);
        }
        state
            .busy
            .set(Some((work, work.status(&name, file.size()))));
        let mode = state.mode.get_untracked();
        let mut query = vec![("org", org.to_string()), ("mode", mode.as_str().to_owned())];
        let path = match work {
            Work::Checking => "/api/passes/import/preview",
            Work::PreparingErrors => "/api/passes/import/errors",
            Work::Importing => {
                query.push(("name", name.clone()));
                query.push((
                    "confirmed",
                    state.warnings_confirmed.get_untracked().to_string(),
                ));
                query.push(("deletions", confirmed_deletions(&state).to_string()));
                "/api/passes/import/commit"
            }
        };
        let sent = match Request::post(path).query(query).body(file) {
            Ok(request) => request.send().await,
            Err(e) => Err(e),
        };
        match sent {
            Err(e) => state
                .banner
                .set(Some(format!("The request could not be completed: {e}"))),
            Ok(response) => answered(state, work, &name, response).await,
        }
        state.busy.set(None);
    }

    async fn answered(state: ImportState, work: Work, name: &str, response: Response) {
        let status = response.status();
        let json = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.starts_with("application/json"));
        if status == 200 && work == Work::PreparingErrors {
            let file_name = response
                .headers()
                .get("content-disposition")
                .and_then(|d| attachment_name(&d))
                .unwrap_or_else(|| errors_fallback_name(name).to_owned());
            if let Err(message) = save(response, &file_name).await {
                state.banner.set(Some(message));
            }
            return;
        }
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) => {
                state.banner.set(Some(e.to_string()));
                return;
            }
        };
        let unreadable =
            || "The server's answer could not be read. Reload the page and try again.".to_owned();
        match (work, status) {
            (Work::Checking, 200) => match serde_json::from_str::<ImportPreview>(&text) {
                Ok(preview) => state.show(Some(preview)),
                Err(_) => state.banner.set(Some(unreadable())),
            },
            (Work::Importing, 200) => match serde_json::from_str::<ImportDone>(&text) {
                Ok(done) => {
                    state.show(None);
                    state.done.set(Some(done));
                }
                Err(_) => state.banner.set(Some(unreadable())),
            },
            (Work::Importing, 409) if json => match serde_json::from_str::<ImportRefusal>(&text) {
                Ok(refusal) => {
                    state.show(Some(refusal.preview));
                    state.refusal.set(Some(refusal.reason));
                }
                Err(_) => state.banner.set(Some(unreadable())),
            },
            (_, 401) => state
                .banner
                .set(Some(AppError::Unauthenticated.to_string())),
            (_, 404) => state.banner.set(Some(AppError::NoAccess.to_string())),
            // The file cannot be read, is too large, or the server is busy: said at the file field.
            (Work::Checking, _) => state.file_error.set(Some(message_of(status, text))),
            _ => state.banner.set(Some(message_of(status, text))),
        }
    }

    fn message_of(status: u16, text: String) -> String {
        if text.trim().is_empty() {
            format!("The server answered with status {status}. Try again in a moment.")
        } else {
            text
        }
    }

    /// Saves the answer's body as a download called `name`.
    async fn save(response: Response, name: &str) -> Result<(), String> {
        let failed = |_| "The file could not be saved. Try again.".to_owned();
        let raw: web_sys::Response = response.into();
        let blob = wasm_bindgen_futures::JsFuture::from(raw.blob().map_err(failed)?)
            .await
            .map_err(failed)?
            .dyn_into::<web_sys::Blob>()
            .map_err(failed)?;
        if crate::browser::save_blob(&blob, name) {
            Ok(())
        } else {
            Err("The browser did not allow saving the file.".to_owned())
        }
    }
}

/// `/orgs/:org/passes/import`.
#[component]
pub fn ImportPassesPage() -> impl IntoView {
    let org = use_org_id();
    let state = ImportState::new(org);
    let passes_href = move || {
        org.get()
            .map(|o| format!("/orgs/{o}/passes"))
            .unwrap_or_default()
    };
    let template = move |extension: &'static str, label: &'static str| {
        view! {
            <a class="font-medium text-emerald-800 underline hover:text-emerald-900" download=""
                href=move || org.get().map(|o| format!("/api/passes/template/template.{extension}?org={o}")).unwrap_or_default()>
                {label}
            </a>
        }
    };
    let columns = Column::ALL.map(Column::header).join(", ");
    view! {
        <PageHeader title="Import passes"/>
        <div class="mb-6 max-w-3xl space-y-2 text-sm text-slate-700">
            <p>{format!("Add many passes at once, with their users, from a CSV or XLSX file with one pass a row. The columns are {columns}.")}</p>
            <p>"Fill in one of Public Card ID or Hidden ID in each row, as in “+ Add Pass”: the Public Card ID printed on the card is recommended, the Hidden ID (UID) only for tags and cards without a usable visible ID. A user who is not in the organization yet is added (Role empty: Cardholder)."</p>
            <p>"Leave Mode empty for the same start as “+ Add Pass” (a Public Card ID starts as Roaming, a Hidden ID as Whitelist), or write Whitelist or Roaming."</p>
            <p>"Organization: for an organization with sub-organizations, the name of the sub-organization the row belongs to, or its path (“Parent / Child”) when names repeat; empty is this organization."</p>
            <p>"Excel turns long Hidden IDs made of digits into numbers and loses digits: format the Hidden ID column as Text before you type or paste them."</p>
            <p class="flex flex-wrap items-center gap-x-4 gap-y-1">
                <span>"Download the template:"</span>
                {template("csv", "Template (CSV)")}
                {template("xlsx", "Template (XLSX)")}
            </p>
        </div>
        <ImportForm state=state/>
        <div class="mb-4 space-y-2">
            {move || state.banner.get().map(|m| view! { <div class=BANNER role="alert">{m}</div> })}
            {move || state.refusal.get().map(|m| view! { <div class=BANNER role="alert">{m}</div> })}
            <Notice message=Signal::derive(move || state.done.get().map(|d| format!("Imported: {}.", d.summary())))/>
            {move || state.done.with(Option::is_some).then(|| view! {
                <p><A href=passes_href attr:class=SECONDARY_BUTTON>"Back to Passes"</A></p>
            })}
        </div>
        {move || state.preview.get().map(|preview| view! { <PreviewPanel preview state/> })}
    }
}

/// The file, the mode and "Check file", with the progress of the running request.
#[component]
fn ImportForm(state: ImportState) -> impl IntoView {
    let invalid = move || state.file_error.with(Option::is_some);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        state.start(Work::Checking);
    };
    let modes = [
        (ImportMode::Add, "Add: keep the passes that are there", None),
        (
            ImportMode::Replace,
            "Replace: delete the passes that are not in the file",
            Some("Only in the organizations the file has rows for; the check shows how many, and you confirm that number before anything is deleted."),
        ),
    ];
    view! {
        <form on:submit=submit aria-label="Import passes" novalidate
            class="mb-6 max-w-3xl space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <div>
                <label for="import-file" class=LABEL_CLASS>"File"</label>
                <input id="import-file" name="file" type="file" accept=ACCEPT node_ref=state.file
                    class=move || if invalid() { FILE_INPUT_INVALID } else { FILE_INPUT }
                    aria-invalid=move || invalid().to_string()
                    aria-describedby=move || if invalid() { "import-file-hint import-file-error" } else { "import-file-hint" }
                    on:change=move |_| state.clear()/>
                <p id="import-file-hint" class="mt-1 text-xs text-slate-500">
                    "CSV (UTF-8, separated by commas or semicolons) or XLSX (the first sheet), with the template's header row."
                </p>
                {move || state.file_error.get().map(|m| view! {
                    <p id="import-file-error" class="mt-1 text-sm text-red-700" role="alert">{m}</p>
                })}
            </div>
            <fieldset>
                <legend class=LABEL_CLASS>"Mode"</legend>
                <div class="mt-2 space-y-2">
                    {modes.into_iter().map(|(mode, label, hint)| {
                        let id = format!("import-mode-{}", mode.as_str());
                        let hint_id = hint.map(|_| format!("{id}-hint"));
                        view! {
                            <div class="flex items-start gap-2 text-sm text-slate-800">
                                <input type="radio" id=id.clone() name="mode" value=mode.as_str() class="mt-1"
                                    checked={mode == ImportMode::Add}
                                    aria-describedby=hint_id.clone()
                                    prop:checked=move || state.mode.get() == mode
                                    on:change=move |_| { state.mode.set(mode); state.clear(); }/>
                                <div>
                                    <label for=id>{label}</label>
                                    {hint.map(|h| view! { <p id=hint_id class="text-xs text-slate-600">{h}</p> })}
                                </div>
                            </div>
                        }
                                        }).collect_view()}
                </div>
            </fieldset>
            <div class="flex flex-wrap items-center gap-3">
                <button type="submit" class=PRIMARY_BUTTON disabled=move || state.is_busy()>"Check file"</button>
                <div role="status" class="flex items-center gap-3 text-sm text-slate-700">
                    {move || state.busy.get().map(|(work, text)| view! {
                        <progress aria-label=work.progress_label() class="h-2 w-32"></progress>
                        <span>{text}</span>
                    })}
                </div>
            </div>
        </form>
    }
}

/// What the checked file would do: the summary, the confirmations, "Import N passes" and the rows.
#[component]
fn PreviewPanel(preview: ImportPreview, state: ImportState) -> impl IntoView {
    let totals = preview.totals.clone();
    let to_import = totals.new_passes + totals.needs_confirmation;
    let replace = preview.mode == ImportMode::Replace;
    let deletes = replace && totals.deletions > 0;
    let can_commit = {
        let preview = preview.clone();
        move || {
            !state.is_busy()
                && preview.can_commit(state.warnings_confirmed.get())
                && (!deletes || state.deletions_confirmed.get())
        }
    };
    let rows = rows_in_order(&preview.rows)
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    let shown_note = (totals.rows > rows.len()).then(|| {
        format!(
            "Showing {} of {} rows: the errors and warnings first.",
            rows.len(),
            totals.rows
        )
    });
    let import_label = if to_import > 0 {
        format!("Import {}", count(to_import as i64, "pass", "passes"))
    } else {
        format!(
            "Delete {}",
            count(totals.deletions as i64, "pass", "passes")
        )
    };
    let nothing_to_do = totals.errors == 0 && to_import == 0 && !deletes;
    view! {
        <section aria-labelledby="import-preview-title" class="space-y-4">
            <h2 id="import-preview-title" class="text-lg font-semibold text-slate-900">{preview.summary()}</h2>
            {deletions_sentence(&preview).map(|s| view! { <p class="text-sm text-slate-700">{s}</p> })}
            {(totals.errors > 0).then(|| view! {
                <div class="space-y-2 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
                    <p>"Nothing can be imported while rows have errors. Download them with an Error column, correct them and upload the file again."</p>
                    <button type="button" class=SECONDARY_BUTTON disabled=move || state.is_busy()
                        on:click=move |_| state.start(Work::PreparingErrors)>
                        "Download rows with errors"
                    </button>
                </div>
            })}
            {(totals.needs_confirmation > 0).then(|| view! {
                <label class="flex items-start gap-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
                    <input type="checkbox" class="mt-0.5" prop:checked=state.warnings_confirmed
                        on:change=move |ev| state.warnings_confirmed.set(event_target_checked(&ev))/>
                    <span>{format!("I checked the {}: import these passes anyway", count(totals.needs_confirmation as i64, "warning", "warnings"))}</span>
                </label>
            })}
            {deletes.then(|| view! {
                <label class="flex items-start gap-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
                    <input type="checkbox" class="mt-0.5" prop:checked=state.deletions_confirmed
                        on:change=move |ev| state.deletions_confirmed.set(event_target_checked(&ev))/>
                    <span>{format!("Delete {} that {} not in the file", count(totals.deletions as i64, "pass", "passes"), if totals.deletions == 1 { "is" } else { "are" })}</span>
                </label>
            })}
            {if nothing_to_do {
                let why = if totals.rows == 0 {
                    "The file has no passes: add a row per pass below the header row."
                } else {
                    "Everything in the file is already there."
                };
                view! { <p class="text-sm font-medium text-slate-800">{why}</p> }.into_any()
            } else {
                view! {
                    <button type="button" class=PRIMARY_BUTTON disabled=move || !can_commit()
                        on:click=move |_| state.start(Work::Importing)>
                        {import_label}
                    </button>
                }.into_any()
            }}
            {shown_note.map(|n| view! { <p class="text-sm text-slate-700">{n}</p> })}
            <PreviewTable rows/>
        </section>
    }
}

#[component]
fn PreviewTable(rows: Vec<RowPreview>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Rows of the file"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2 font-medium">"Row"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Organization"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Name"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"E-mail"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Pass"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Outcome"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Details"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|row| {
                        let (row_class, outcome_class) = match row.outcome {
                            RowOutcome::Error { .. } => ("align-top bg-red-50", "font-medium text-red-800"),
                            RowOutcome::NeedsConfirmation { .. } => ("align-top bg-amber-50", "font-medium text-amber-900"),
                            _ => ("align-top", "text-slate-800"),
                        };
                        let lines = details(&row);
                        view! {
                            <tr class=row_class>
                                <td class="px-3 py-2 text-slate-700">{row.line}</td>
                                <td class="px-3 py-2 text-slate-700">{row.organization.clone()}</td>
                                <td class="px-3 py-2 text-slate-900">{row.name.clone()}</td>
                                <td class="px-3 py-2 text-slate-700">{row.email.clone()}</td>
                                <td class="px-3 py-2 font-mono text-slate-700">{row.pass.clone()}</td>
                                <td class=format!("whitespace-nowrap px-3 py-2 {outcome_class}")>{outcome_text(&row.outcome)}</td>
                                <td class="px-3 py-2 text-slate-800">
                                    {lines.into_iter().map(|line| view! { <span class="block">{line}</span> }).collect_view()}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::import::{CellError, Deletions, UserOutcome};
    use shared::mode::PassMode;

    fn row(line: usize, outcome: RowOutcome) -> RowPreview {
        RowPreview {
            line,
            organization: "Hotel Zonneveld".into(),
            name: "Ilse Vermeer".into(),
            email: "ilse@example.com".into(),
            pass: "Hidden ID 04A1B2C3D4E5F6".into(),
            outcome,
            notes: Vec::new(),
        }
    }

    #[test]
    fn sizes_and_status_read_as_people_write_them() {
        assert_eq!(file_size(830.0), "830 bytes");
        assert_eq!(file_size(12_700.0), "12.4 KB");
        assert_eq!(file_size(1_258_291.0), "1.2 MB");
        assert_eq!(
            Work::Checking.status("passes.xlsx", 1_258_291.0),
            "Checking passes.xlsx (1.2 MB)…"
        );
    }

    #[test]
    fn errors_and_warnings_come_first_and_big_files_are_cut() {
        let new = RowOutcome::NewPass {
            user: UserOutcome::New,
            mode: PassMode::Whitelist,
        };
        let rows = vec![
            row(2, new.clone()),
            row(
                3,
                RowOutcome::NeedsConfirmation {
                    user: UserOutcome::Existing,
                    mode: PassMode::Roaming,
                    warning: "Check character".into(),
                },
            ),
            row(4, RowOutcome::Error { errors: vec![] }),
            row(5, new.clone()),
        ];
        let lines: Vec<usize> = rows_in_order(&rows).iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 3, 2, 5]);
        let many: Vec<RowPreview> = (0..ROWS_SHOWN + 20)
            .map(|i| row(i + 2, new.clone()))
            .collect();
        assert_eq!(rows_in_order(&many).len(), ROWS_SHOWN);
    }

    #[test]
    fn outcomes_name_the_mode_and_details_the_errors() {
        assert_eq!(
            outcome_text(&RowOutcome::NewPass {
                user: UserOutcome::New,
                mode: PassMode::Whitelist
            }),
            "New user, new pass · Whitelist"
        );
        let mut bad = row(
            3,
            RowOutcome::Error {
                errors: vec![CellError {
                    column: Column::Email,
                    message: "Enter a valid e-mail address.".into(),
                }],
            },
        );
        bad.notes.push("The role stays Cardholder.".into());
        assert_eq!(outcome_text(&bad.outcome), "Error");
        assert_eq!(
            details(&bad),
            [
                "E-mail: Enter a valid e-mail address.",
                "The role stays Cardholder."
            ]
        );
    }

    #[test]
    fn a_replace_says_what_it_deletes_where() {
        let deletions = vec![
            Deletions {
                organization: "Hotel Zonneveld".into(),
                passes: 2,
            },
            Deletions {
                organization: "Parking".into(),
                passes: 1,
            },
        ];
        let preview = ImportPreview::new(ImportMode::Replace, vec![], deletions);
        assert_eq!(
            deletions_sentence(&preview).unwrap(),
            "Replace deletes 3 passes that are not in the file: 2 in Hotel Zonneveld, 1 in Parking."
        );
        let none = ImportPreview::new(ImportMode::Replace, vec![], vec![]);
        assert!(deletions_sentence(&none)
            .unwrap()
            .starts_with("Replace deletes no passes"));
        assert_eq!(
            deletions_sentence(&ImportPreview::new(ImportMode::Add, vec![], vec![])),
            None
        );
    }

    #[test]
    fn the_error_files_name_comes_from_the_answer() {
        assert_eq!(
            attachment_name("attachment; filename=\"passes-errors-hotel.xlsx\"").as_deref(),
            Some("passes-errors-hotel.xlsx")
        );
        assert_eq!(attachment_name("attachment"), None);
        assert_eq!(errors_fallback_name("Passes.XLSX"), "passes-errors.xlsx");
        assert_eq!(errors_fallback_name("passes.csv"), "passes-errors.csv");
    }
}
