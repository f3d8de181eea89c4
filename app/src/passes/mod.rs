//! "Passes": the charging passes of an organization, "+ Add Pass" by Public Card ID or Hidden ID (opened with the
//! Hidden ID filled in by `?hidden_id=`, the "Add as pass" links of a station's log), each pass's recent
//! authorization decisions with their reasons, and deleting; "Import" (`import.rs`: many passes from a CSV or XLSX
//! file) and "Export CSV" / "Export XLSX" (plain links to `server::import`'s download of the passes).
//!
//! The ID rules are `shared::pass_id`'s: [`NewPass::parse`] is called by the form on every keystroke and by
//! [`add_pass`] on the server, so both sides accept and refuse exactly the same input.

pub mod import;
mod scan;

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id, AppFrame};
use crate::paging::{list_href, use_page_params, use_path, use_query_value, Pager, AFTER, BEFORE};
use crate::users::list_users;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use shared::mode::{initial_for, PassMode};
use shared::model::{DecisionRecord, PassSummary, TransactionSummary};
use shared::names::Nickname;
use shared::paging::{Page, PAGE_FIELD};
use shared::pass_form::{PassFields, PassFormCheck};
use shared::pass_id::{PassIdKind, PassIdWarning, PassIdentifier};
use shared::{MemberId, OrgId, PassId};

/// Form field names, shared by the inputs, the live checks and the server's errors: the pass's own fields are
/// `shared::pass_form`'s, which a bulk import checks with the same code.
pub mod field {
    pub use shared::pass_form::field::*;
    /// The holder: its value is the [`shared::MemberId`] of a row of "Users" (the name `user_id` is the form's,
    /// kept for the field errors and the end-to-end tests), never an account id.
    pub const USER: &str = "user_id";
}

/// A valid "+ Add Pass" form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPass {
    /// The holder's membership in the organization the pass is added to.
    pub user: MemberId,
    pub id: PassIdentifier,
    pub nickname: Nickname,
    pub warnings: Vec<PassIdWarning>,
}

impl NewPass {
    /// The holder, then the pass's own fields by [`PassFields::parse`]. `confirmed` is the "save anyway" tick
    /// for an ID whose check character does not match.
    pub fn parse(
        user: &str,
        public_card_id: &str,
        hidden_id: &str,
        nickname: &str,
        confirmed: bool,
    ) -> Result<NewPass, PassFormCheck> {
        let user = user.trim().parse::<MemberId>().ok();
        let fields = PassFields::parse(public_card_id, hidden_id, nickname, confirmed);
        match (user, fields) {
            (Some(user), Ok(fields)) => Ok(NewPass {
                user,
                id: fields.id,
                nickname: fields.nickname,
                warnings: fields.warnings,
            }),
            (user, fields) => {
                let mut check = fields.err().unwrap_or_default();
                if user.is_none() {
                    check.errors.insert(
                        0,
                        (field::USER, "Select the user who holds this pass.".into()),
                    );
                }
                Err(check)
            }
        }
    }
}

/// The mode a newly added pass got, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedPass {
    pub id: PassId,
    pub mode: PassMode,
    pub explanation: String,
}

/// The query-string name of the "Mode" filter.
pub const MODE_PARAM: &str = "mode";

/// One page of the live passes of `org`, newest first: after or before a cursor of a page shown before (none: the
/// first page), `size` rows (default 50, at most 200), only those in `mode` when given. A damaged cursor is
/// refused with a readable message; any cursor lists only `org`'s passes.
#[server(prefix = "/api", endpoint = "list_passes")]
pub async fn list_passes(
    org: OrgId,
    after: Option<String>,
    before: Option<String>,
    size: Option<u32>,
    mode: Option<PassMode>,
) -> Result<Page<PassSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let request = crate::paging::page_request(after, before, size)?;
    Ok(org.passes_page(mode, &request).await?)
}

/// The page of passes the address asks for (see [`crate::paging`]), fetched again when `version` changes.
pub fn passes_resource(
    version: impl Fn() -> usize + Send + Sync + 'static,
    mode: Memo<Option<String>>,
) -> Resource<Result<Page<PassSummary>, AppError>> {
    let org = use_org_id();
    let page = use_page_params();
    Resource::new(
        move || (org.get(), page.get(), mode.get(), version()),
        move |(org, (after, before), mode, _)| async move {
            let Some(org) = org else {
                return Err(AppError::NoAccess);
            };
            let mode = match mode {
                Some(m) => Some(PassMode::parse(&m).ok_or_else(|| {
                    AppError::invalid(MODE_PARAM, "Choose Whitelist or Roaming as the mode.")
                })?),
                None => None,
            };
            list_passes(org, after, before, None, mode).await
        },
    )
}

/// "Previous"/"Next" of a page of passes, keeping the `mode` filter.
#[component]
pub fn PassesPager(page: Page<PassSummary>, mode: Option<String>) -> impl IntoView {
    let path = use_path();
    let filter = [(MODE_PARAM, mode)];
    let path = path.get_untracked();
    view! {
        <Pager label="Pages of passes" range=page.range_label()
            previous=page.previous.map(|c| list_href(&path, &filter, Some((BEFORE, c))))
            next=page.next.map(|c| list_href(&path, &filter, Some((AFTER, c))))/>
    }
}

/// "+ Add Pass": one of `public_card_id` / `hidden_id`, for a member of `org` (`user_id`: their [`MemberId`],
/// resolved within `org`; any other id gets the answer of one that does not exist).
#[server(prefix = "/api", endpoint = "add_pass")]
pub async fn add_pass(
    org: OrgId,
    user_id: String,
    public_card_id: String,
    hidden_id: String,
    nickname: String,
    confirmed: bool,
) -> Result<AddedPass, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let new = NewPass::parse(&user_id, &public_card_id, &hidden_id, &nickname, confirmed).map_err(
        |check| {
            let (field, message) = check.errors.into_iter().next().expect("an error");
            AppError::invalid(field, message)
        },
    )?;
    let (mode, explanation) = initial_for(&new.id);
    let id_field = match new.id.kind() {
        PassIdKind::Visible => field::PUBLIC_CARD_ID,
        PassIdKind::Hidden => field::HIDDEN_ID,
    };
    let added = async {
        let holder = org.member(new.user).await?;
        org.add_pass(holder, &new.id, &new.nickname, mode).await
    };
    let id = added.await.map_err(|e| match AppError::from(e) {
        AppError::Conflict { message, .. } => AppError::Conflict {
            field: Some(id_field.into()),
            message,
        },
        AppError::NotFound { .. } => AppError::invalid(
            field::USER,
            "That user is not a member of this organization. Add them under Users first.",
        ),
        other => other,
    })?;
    Ok(AddedPass {
        id,
        mode,
        explanation: explanation.to_owned(),
    })
}

/// Deletes a pass (kept in the audit log). Passes cannot be edited: delete and add again.
#[server(prefix = "/api", endpoint = "delete_pass")]
pub async fn delete_pass(org: OrgId, pass: PassId) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.delete_pass(pass).await?)
}

/// Sets a pass to "Whitelist" or roaming in `org`.
#[server(prefix = "/api", endpoint = "set_pass_mode")]
pub async fn set_pass_mode(org: OrgId, pass: PassId, mode: PassMode) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.set_pass_mode(pass, mode).await?)
}

/// How many of a pass's decisions "Decisions" shows.
pub const DECISIONS_SHOWN: i64 = 50;

/// The latest authorization decisions about a pass of `org` (at any station), with their reasons.
#[server(prefix = "/api", endpoint = "pass_decisions")]
pub async fn pass_decisions(org: OrgId, pass: PassId) -> Result<Vec<DecisionRecord>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.pass_decisions(pass, DECISIONS_SHOWN).await?)
}

/// How many of each pass's latest sessions "My passes" shows (the first [`MY_SESSIONS_SHOWN`] at once, the others
/// under "More sessions").
pub const MY_SESSIONS_PER_PASS: i64 = 50;
pub const MY_SESSIONS_SHOWN: usize = 5;

/// The sessions charged with the caller's own passes, newest first, the latest [`MY_SESSIONS_PER_PASS`] of each
/// pass. It takes no argument: the passes are the caller's, whoever they are, so nobody can ask for another's.
#[server(prefix = "/api", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<TransactionSummary>, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    Ok(caller.own_transactions(&db, MY_SESSIONS_PER_PASS).await?)
}

/// The caller's own passes, in every organization (what a cardholder sees).
#[server(prefix = "/api", endpoint = "my_passes")]
pub async fn my_passes() -> Result<Vec<PassSummary>, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    Ok(caller.own_passes(&db).await?)
}

#[component]
pub fn PassesPage() -> impl IntoView {
    let add = ServerAction::<AddPass>::new();
    let delete = ServerAction::<DeletePass>::new();
    let mode = use_query_value(MODE_PARAM);
    let passes = passes_resource(move || add.version().get() + delete.version().get(), mode);
    // "Add as pass" in a station's log links here with `?hidden_id=<idTag>`: the form opens with it filled in,
    // once (a later "+ Add Pass" starts empty).
    let query = use_query_map();
    let prefill = RwSignal::new(
        query
            .with_untracked(|q| q.get("hidden_id"))
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty()),
    );
    let (show_form, set_show_form) = signal(prefill.get_untracked().is_some());
    let (pending_delete, set_pending_delete) = signal(None::<PassSummary>);
    let org = use_org_id();

    view! {
        <PageHeader title="Passes">
            {move || org.get().map(|org| view! {
                <leptos_router::components::A href=format!("/orgs/{org}/passes/import") attr:class=SECONDARY_BUTTON>"Import"</leptos_router::components::A>
                <a class=SECONDARY_BUTTON href=format!("/api/passes/export/passes.csv?org={org}") download="">"Export CSV"</a>
                <a class=SECONDARY_BUTTON href=format!("/api/passes/export/passes.xlsx?org={org}") download="">"Export XLSX"</a>
            })}
            <button type="button" class=PRIMARY_BUTTON on:click=move |_| set_show_form.update(|v| *v = !*v)
                aria-expanded=move || show_form.get().to_string()>
                "+ Add Pass"
            </button>
        </PageHeader>
        <p class="mb-4 text-sm text-slate-600">
            "Passes cannot be edited. To correct a pass, delete it with the recycle-bin icon and add it again."
        </p>
        <div class="mb-4 space-y-2">
            <Notice message=Signal::derive(move || add.value().get().and_then(|r| r.ok()).map(|added| {
                format!("The pass was added as {}. {}", added.mode.label(), added.explanation)
            }))/>
            <Notice message=Signal::derive(move || matches!(delete.value().get(), Some(Ok(()))).then(|| "The pass was deleted. The audit log keeps a record of it.".to_owned()))/>
            <FormBanner error=Signal::derive(move || delete.value().get().and_then(|r| r.err()))/>
        </div>
        <Show when=move || show_form.get()>
            <AddPassForm action=add hidden_id=prefill.get_untracked()
                on_done=move || { set_show_form.set(false); prefill.set(None); }/>
        </Show>
        <ModeFilter mode=mode/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match passes.await {
                    Err(e) => {
                        let damaged_link = e.for_field(PAGE_FIELD).is_some();
                        view! { <ErrorPanel error=e/> {damaged_link.then(|| view! { <FirstPageLink/> })} }.into_any()
                    }
                    Ok(page) if page.items.is_empty() && page.first > 1 => view! {
                        <EmptyState title="No more passes" hint="The list changed since this page link was made."/>
                        <FirstPageLink/>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() && mode.get_untracked().is_some() => view! {
                        <EmptyState title="No passes in this mode" hint="Choose “All modes” to see every pass."/>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <EmptyState title="No passes yet" hint="Add a charging card or tag with “+ Add Pass”."/>
                    }.into_any(),
                    Ok(page) => {
                        let mode = mode.get_untracked();
                        view! {
                            <PassesTable passes=page.items.clone() on_delete=move |p| set_pending_delete.set(Some(p))/>
                            <PassesPager page mode/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || pending_delete.get().map(|pass| view! {
            <ConfirmDelete pass=pass
                on_confirm=move |p: PassSummary| {
                    delete.dispatch(DeletePass { org: p.org_id, pass: p.id });
                    set_pending_delete.set(None);
                }
                on_cancel=move || set_pending_delete.set(None)/>
        })}
    }
}

/// "Mode": which passes the list shows (all, "Whitelist" or "Roaming"); choosing one starts at the first page.
#[component]
fn ModeFilter(mode: Memo<Option<String>>) -> impl IntoView {
    let path = use_path();
    let navigate = leptos_router::hooks::use_navigate();
    view! {
        <div class="mb-3 flex items-center gap-2">
            <label for="pass-mode-filter" class="text-sm font-medium text-slate-700">"Mode"</label>
            <select id="pass-mode-filter" class="rounded-md border border-slate-300 px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-emerald-600/40"
                on:change=move |ev| {
                    let chosen = Some(event_target_value(&ev)).filter(|v| !v.is_empty());
                    navigate(&list_href(&path.get_untracked(), &[(MODE_PARAM, chosen)], None), Default::default());
                }>
                <option value="" selected=move || mode.get().is_none()>"All modes"</option>
                {PassMode::ALL.into_iter().map(|m| view! {
                    <option value=m.as_str() selected=move || mode.get().as_deref() == Some(m.as_str())>{m.label()}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// "First page": away from a page link that no longer works (a damaged cursor, or rows deleted since).
#[component]
pub fn FirstPageLink() -> impl IntoView {
    let path = use_path();
    view! {
        <p class="mt-3 text-sm">
            <leptos_router::components::A href=move || path.get() attr:class="text-emerald-800 underline">"First page"</leptos_router::components::A>
        </p>
    }
}

/// How a pass's ID is shown: "Public Card ID NL-TNM-012204-5".
pub fn id_label(p: &PassSummary) -> String {
    format!("{} {}", p.id_kind.label(), p.id_value)
}

#[component]
fn PassesTable(
    passes: Vec<PassSummary>,
    on_delete: impl Fn(PassSummary) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Passes of this organization"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-3 font-medium">"Nickname"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"User"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Card ID"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Mode"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Added"</th>
                        <th scope="col" class="px-4 py-3 font-medium"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {passes.into_iter().map(|p| view! { <PassRow pass=p on_delete=on_delete/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One pass, with "Decisions" (its recent authorizations, opened below the row) and the recycle bin.
#[component]
fn PassRow(
    pass: PassSummary,
    on_delete: impl Fn(PassSummary) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let p = pass;
    let label = format!("Delete pass {}", p.nickname);
    let for_delete = p.clone();
    let open = RwSignal::new(false);
    let decisions_id = format!("pass-decisions-{}", p.id);
    let (org, id) = (p.org_id, p.id);
    view! {
        <tr>
            <td class="px-4 py-3 font-medium text-slate-900">{p.nickname.clone()}</td>
            <td class="px-4 py-3 text-slate-700">{p.user_name.clone()}</td>
            <td class="px-4 py-3 text-slate-700">
                <span class="block text-xs text-slate-500">{p.id_kind.label()}</span>
                <span class="font-mono">{p.id_value.clone()}</span>
            </td>
            <td class="px-4 py-3"><ModeBadge mode=p.mode/></td>
            <td class="px-4 py-3 text-slate-600">
                {p.created_at.to_string()}
                <span class="block text-xs">{format!("by {}", p.created_by)}</span>
            </td>
            <td class="px-4 py-3 text-right">
                <div class="flex items-center justify-end gap-2">
                    <button type="button" aria-expanded=move || open.get().to_string() aria-controls=decisions_id.clone()
                        aria-label={
                            let nickname = p.nickname.clone();
                            move || if open.get() { format!("Hide decisions of pass {nickname}") } else { format!("Decisions of pass {nickname}") }
                        }
                        on:click=move |_| open.update(|o| *o = !*o)
                        class="rounded px-2 py-1 text-sm text-emerald-800 hover:bg-emerald-50 focus:outline-none focus:ring-2 focus:ring-emerald-600/40">
                        {move || if open.get() { "Hide decisions" } else { "Decisions" }}
                    </button>
                    <button type="button" aria-label=label.clone() title=label
                        on:click=move |_| on_delete(for_delete.clone())
                        class="rounded p-1 text-slate-500 hover:bg-red-50 hover:text-red-700 focus:outline-none focus:ring-2 focus:ring-red-600/40">
                        <RecycleBinIcon/>
                    </button>
                </div>
            </td>
        </tr>
        <Show when=move || open.get()>
            <tr id=decisions_id.clone() class="bg-slate-50">
                <td colspan="6" class="px-4 py-3">
                    <PassDecisionList org=org pass=id/>
                </td>
            </tr>
        </Show>
    }
    .into_any()
}

/// The latest authorization decisions about a pass: when, where, which idTag, the outcome and why.
#[component]
fn PassDecisionList(org: OrgId, pass: PassId) -> impl IntoView {
    let decisions = Resource::new(|| (), move |_| pass_decisions(org, pass));
    view! {
        <section aria-label="Authorization decisions">
            <h3 class="mb-2 text-sm font-semibold text-slate-800">
                {format!("Latest authorization decisions (up to {DECISIONS_SHOWN}), times in UTC")}
            </h3>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match decisions.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="text-sm text-slate-600">
                                "No decisions yet: this pass has not been presented at a charging station since it was added."
                            </p>
                        }.into_any(),
                        Ok(list) => view! { <DecisionsTable decisions=list/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn DecisionsTable(decisions: Vec<DecisionRecord>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-md border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-left text-xs">
                <caption class="sr-only">"Authorization decisions about this pass, newest first"</caption>
                <thead class="bg-slate-50 text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2 font-medium">"Time"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Station"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Request"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"idTag"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Billing"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Reason"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {decisions.into_iter().map(|d| {
                        let status_class = if d.status == shared::decision::AuthorizationStatus::Accepted {
                            "whitespace-nowrap rounded-full bg-emerald-100 px-2 py-0.5 font-medium text-emerald-900"
                        } else {
                            "whitespace-nowrap rounded-full bg-red-100 px-2 py-0.5 font-medium text-red-900"
                        };
                        view! {
                            <tr class="align-top">
                                <td class="whitespace-nowrap px-3 py-2 text-slate-600">{crate::stations::logs::with_seconds(d.at)}</td>
                                <td class="whitespace-nowrap px-3 py-2 text-slate-800">
                                    {d.station_name.clone()}
                                    // A station of an organization above the caller's reach is shown by name only.
                                    {d.charge_point_id.clone().map(|id| view! {
                                        <span class="block whitespace-nowrap font-mono text-slate-500">{id}</span>
                                    })}
                                </td>
                                <td class="px-3 py-2 text-slate-700">{d.action.clone()}</td>
                                <td class="px-3 py-2 font-mono text-slate-700">{d.id_tag.clone()}</td>
                                <td class="px-3 py-2"><span class=status_class>{d.status.as_str()}</span></td>
                                <td class="px-3 py-2">{crate::transactions::billing_badge(d.billing)}</td>
                                <td class="px-3 py-2 text-slate-800">{d.reason.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn ModeBadge(mode: PassMode) -> impl IntoView {
    let class = match mode {
        PassMode::Whitelist => {
            "rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900"
        }
        PassMode::Roaming => "rounded-full bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-900",
    };
    view! { <span class=class>{mode.label()}</span> }
}

#[component]
fn RecycleBinIcon() -> impl IntoView {
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
            class="h-5 w-5" aria-hidden="true">
            <path stroke-linecap="round" stroke-linejoin="round"
                d="M4 7h16M10 11v6M14 11v6M5 7l1 12a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2l1-12M9 7V4h6v3"/>
        </svg>
    }
}

#[component]
fn ConfirmDelete(
    pass: PassSummary,
    on_confirm: impl Fn(PassSummary) + Send + Sync + 'static,
    on_cancel: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let summary = format!(
        "{} · {} · {}",
        pass.nickname,
        id_label(&pass),
        pass.user_name
    );
    view! {
        <ConfirmDialog id="delete" title="Delete this pass?" summary
            consequence="The card will no longer be recognised in this organization. The audit log keeps a record. To correct a pass, delete it and add it again.".to_owned()
            confirm_label="Delete" on_confirm=move || on_confirm(pass.clone()) on_cancel/>
    }
}

#[component]
fn AddPassForm(
    action: ServerAction<AddPass>,
    on_done: impl Fn() + Send + Sync + Copy + 'static,
    /// A Hidden ID to start with (an idTag from a station's log).
    hidden_id: Option<String>,
) -> impl IntoView {
    let org = use_org_id();
    let users = org_resource(|| 0, list_users);
    let prefilled = hidden_id.is_some();
    let user = RwSignal::new(String::new());
    let public = RwSignal::new(String::new());
    let hidden = RwSignal::new(hidden_id.unwrap_or_default());
    let nickname = RwSignal::new(String::new());
    let confirmed = RwSignal::new(false);
    let check = Memo::new(move |_| {
        NewPass::parse(
            &user.get(),
            &public.get(),
            &hidden.get(),
            &nickname.get(),
            confirmed.get(),
        )
    });
    let server_error = move || action.value().get().and_then(|r| r.err());
    let fields = FormFields::new(
        move || {
            check.with(|c| {
                c.as_ref()
                    .err()
                    .map(|c| c.errors.clone())
                    .unwrap_or_default()
            })
        },
        server_error,
    );
    // A prefilled Hidden ID is checked at once: an idTag that is really a visible ID says so right away.
    if prefilled {
        fields.touch(field::HIDDEN_ID);
    }
    let touch = move |f: &'static str| fields.touch(f);
    let error_for = move |f: &'static str| fields.error_for(f);
    let warning_for = move |field: &'static str| {
        Signal::derive(move || {
            let warnings = check.with(|c| match c {
                // A valid form's warnings belong to the one ID field that was filled in.
                Ok(p) => {
                    let id_field = match p.id.kind() {
                        PassIdKind::Visible => field::PUBLIC_CARD_ID,
                        PassIdKind::Hidden => field::HIDDEN_ID,
                    };
                    p.warnings
                        .iter()
                        .map(|w| (id_field, w.clone()))
                        .collect::<Vec<_>>()
                }
                Err(c) => c.warnings.clone(),
            });
            let relevant = warnings
                .into_iter()
                .filter(|(f, w)| *f == field && (confirmed.get() || !w.needs_confirmation()))
                .map(|(_, w)| w.to_string())
                .collect::<Vec<_>>();
            (!relevant.is_empty()).then(|| relevant.join(" "))
        })
    };
    let needs_confirmation = Signal::derive(move || {
        check.with(|c| match c {
            Ok(p) => p.warnings.iter().any(|w| w.needs_confirmation()),
            Err(c) => c.needs_confirmation,
        })
    });
    let starts_as = move || {
        check.with(|c| {
            c.as_ref().ok().map(|p| {
                let (mode, why) = initial_for(&p.id);
                format!("This pass will start as {}. {}", mode.label(), why)
            })
        })
    };
    when_saved(action, on_done);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !fields.touch_all(&[
            field::USER,
            field::PUBLIC_CARD_ID,
            field::HIDDEN_ID,
            field::NICKNAME,
        ]) {
            return;
        }
        if let Some(org) = org.get_untracked() {
            action.dispatch(AddPass {
                org,
                user_id: user.get_untracked(),
                public_card_id: public.get_untracked(),
                hidden_id: hidden.get_untracked(),
                nickname: nickname.get_untracked(),
                confirmed: confirmed.get_untracked(),
            });
        }
    };
    let id_input = move |id: &'static str,
                         name: &'static str,
                         label: &'static str,
                         hint: &'static str,
                         value: RwSignal<String>| {
        let error = error_for(name);
        let warning = warning_for(name);
        let hint_id = format!("{id}-hint");
        view! {
            <div>
                <label for=id class=LABEL_CLASS>{label}</label>
                <input id=id name=name type="text" autocomplete="off" spellcheck="false"
                    class=move || format!("{} font-mono", if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS })
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby=hint_id.clone()
                    prop:value=value
                    on:input=move |ev| { value.set(event_target_value(&ev)); confirmed.set(false); touch(name); }
                    on:blur=move |_| touch(name)/>
                <p id=hint_id class="mt-1 text-xs text-slate-500">{hint}</p>
                <FieldError error=error/>
                <FieldWarning warning=warning/>
            </div>
        }
    };

    view! {
        <form on:submit=submit aria-label="Add pass" novalidate
            class="mb-6 space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 class="text-lg font-semibold">"Add Pass"</h2>
            {prefilled.then(|| view! {
                <p class="rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900" role="status">
                    "The Hidden ID is filled in from the station's log. Select the user who holds this card or tag and give it a nickname."
                </p>
            })}
            <div>
                <label for="pass-user" class=LABEL_CLASS>"User"</label>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        let list = users.await.unwrap_or_default();
                        let empty = list.is_empty();
                        let error = error_for(field::USER);
                        view! {
                            <select id="pass-user" name=field::USER class=INPUT_CLASS
                                aria-invalid=move || error.get().is_some().to_string()
                                on:change=move |ev| { user.set(event_target_value(&ev)); touch(field::USER); }>
                                <option value="" selected=move || user.get().is_empty()>"Select a user…"</option>
                                {list.into_iter().map(|u| {
                                    let value = u.id.to_string();
                                    let v2 = value.clone();
                                    view! {
                                        <option value=value selected=move || user.get() == v2>
                                            {format!("{} ({})", u.full_name(), u.email)}
                                        </option>
                                    }
                                }).collect_view()}
                            </select>
                            {empty.then(|| view! {
                                <p class="mt-1 text-sm text-slate-600">"This organization has no users yet. Add the cardholder under Users first."</p>
                            })}
                            <FieldError error=error/>
                        }
                    })}
                </Transition>
            </div>
            <div class="grid gap-4 md:grid-cols-2">
                {id_input("pass-public-id", field::PUBLIC_CARD_ID, "Public Card ID",
                    "The visible ID printed on the front of the card: letters, numbers and hyphens, e.g. NL-TNM-012204-5. Recommended.", public)}
                {id_input("pass-hidden-id", field::HIDDEN_ID, "Hidden ID",
                    "The card's UID in hex, e.g. 04AAAB11CD2345, as shown in the idTag of a station's Authorize message. Only for tags and cards without a usable visible ID.", hidden)}
            </div>
            <scan::ScanAtStation org=org on_card=move |id_tag: String| {
                public.set(String::new());
                hidden.set(id_tag);
                confirmed.set(false);
                touch(field::HIDDEN_ID);
            }/>
            <Show when=move || needs_confirmation.get()>
                <label class="flex items-start gap-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
                    <input type="checkbox" class="mt-0.5" prop:checked=confirmed
                        on:change=move |ev| confirmed.set(event_target_checked(&ev))/>
                    <span>"The card shows exactly this ID — save it anyway"</span>
                </label>
            </Show>
            <div>
                <label for="pass-nickname" class=LABEL_CLASS>"Nickname"</label>
                {
                    let error = error_for(field::NICKNAME);
                    view! {
                        <input id="pass-nickname" name=field::NICKNAME type="text" maxlength="50"
                            class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                            aria-invalid=move || error.get().is_some().to_string()
                            prop:value=nickname
                            on:input=move |ev| nickname.set(event_target_value(&ev))
                            on:blur=move |_| touch(field::NICKNAME)/>
                        <FieldError error=error/>
                    }
                }
            </div>
            {move || starts_as().map(|text| view! { <p class="text-sm text-slate-700" role="status">{text}</p> })}
            <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
            <div class="flex gap-2">
                <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save"</button>
                <button type="button" class=SECONDARY_BUTTON on:click=move |_| on_done()>"Cancel"</button>
            </div>
        </form>
    }
}

/// `/my/passes`: a cardholder's own passes.
#[component]
pub fn MyPassesPage() -> impl IntoView {
    let passes = Resource::new(|| (), |_| my_passes());
    let sessions = Resource::new(|| (), |_| my_sessions());
    view! {
        <AppFrame org=Signal::derive(|| None)>
            <PageHeader title="My passes"/>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let sessions = sessions.await;
                    match passes.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="You have no passes yet" hint="Your organization's administrator adds your charging cards."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="space-y-3" aria-label="My passes">
                                {list.into_iter().map(|p| {
                                    let mine: Result<Vec<TransactionSummary>, AppError> = sessions
                                        .clone()
                                        .map(|all| all.into_iter().filter(|t| t.pass_id == Some(p.id)).collect());
                                    view! {
                                        <li class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                                            <p class="font-medium">{p.nickname.clone()}</p>
                                            <p class="text-sm text-slate-600">{id_label(&p)}</p>
                                            <p class="mt-1"><ModeBadge mode=p.mode/></p>
                                            <PassSessions nickname=p.nickname.clone() sessions=mine/>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </AppFrame>
    }
}

/// A pass's sessions under "My passes": the latest few, the others behind "More sessions".
#[component]
fn PassSessions(
    nickname: String,
    sessions: Result<Vec<TransactionSummary>, AppError>,
) -> impl IntoView {
    let mut sessions = match sessions {
        Err(e) => return view! { <div class="mt-3"><ErrorPanel error=e/></div> }.into_any(),
        Ok(list) if list.is_empty() => {
            return view! { <p class="mt-3 text-sm text-slate-600">"No charging sessions with this pass yet."</p> }
                .into_any()
        }
        Ok(list) => list,
    };
    let more = sessions.split_off(sessions.len().min(MY_SESSIONS_SHOWN));
    let caption = format!("Sessions with {nickname}");
    let more_caption = format!("More sessions with {nickname}");
    let count = more.len();
    view! {
        <div class="mt-3">
            <SessionsTable caption=caption sessions/>
            {(count > 0).then(|| view! {
                <details class="mt-2">
                    <summary class="cursor-pointer text-sm font-medium text-emerald-800">{format!("More sessions ({count})")}</summary>
                    <SessionsTable caption=more_caption sessions=more/>
                </details>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn SessionsTable(caption: String, sessions: Vec<TransactionSummary>) -> impl IntoView {
    let region = caption.clone();
    view! {
        <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label=region>
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">{caption}</caption>
                <thead class="text-left text-slate-600">
                    <tr>
                        <th scope="col" class="py-2 pr-4 font-medium">"Start"</th>
                        <th scope="col" class="py-2 pr-4 font-medium">"Station"</th>
                        <th scope="col" class="py-2 pr-4 text-right font-medium">"Energy"</th>
                        <th scope="col" class="py-2 pr-4 font-medium">"Billing"</th>
                        <th scope="col" class="py-2 text-right font-medium">"Cost"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {sessions.into_iter().map(|t| {
                        let energy = match t.energy_wh {
                            Some(wh) => format!("{} kWh", crate::transactions::kwh(wh, 2)),
                            None => "Charging".to_owned(),
                        };
                        let cost = crate::transactions::price_label(&t).0;
                        view! {
                            <tr>
                                <td class="whitespace-nowrap py-2 pr-4 text-slate-700">{t.started_at.to_string()}</td>
                                <td class="py-2 pr-4 text-slate-700">{t.station_name.clone()}</td>
                                <td class="whitespace-nowrap py-2 pr-4 text-right tabular-nums">{energy}</td>
                                <td class="py-2 pr-4">{crate::transactions::billing_badge(t.billing)}</td>
                                <td class="whitespace-nowrap py-2 text-right tabular-nums">{cost}</td>
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

    #[test]
    fn a_complete_public_card_id_form_is_valid() {
        let p = NewPass::parse("7", "NL-TNM-012204-5", "", "Company car", false).unwrap();
        assert_eq!(p.user, MemberId(7));
        assert_eq!(p.id.kind(), PassIdKind::Visible);
        assert_eq!(p.nickname.as_str(), "Company car");
    }

    #[test]
    fn each_mistake_is_reported_at_its_field() {
        let c = NewPass::parse("", "", "", "", false).unwrap_err();
        let fields: Vec<_> = c.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [field::USER, field::PUBLIC_CARD_ID, field::NICKNAME]
        );

        let c = NewPass::parse("1", "", "NL-TNM-012204-5", "Tag", false).unwrap_err();
        assert_eq!(c.errors[0].0, field::HIDDEN_ID);
        assert!(c.errors[0].1.contains("hyphens"), "{}", c.errors[0].1);

        let c = NewPass::parse("1", "04AAAB11CD2345", "", "Tag", false).unwrap_err();
        assert_eq!(c.errors[0].0, field::PUBLIC_CARD_ID);
        assert!(c.errors[0].1.contains("Hidden ID"), "{}", c.errors[0].1);

        let c = NewPass::parse("1", "NL-TNM-012204-5", "04AAAB11CD2345", "Tag", false).unwrap_err();
        assert_eq!(c.errors[0].0, field::HIDDEN_ID);
    }

    #[test]
    fn a_wrong_check_digit_needs_confirmation() {
        let c = NewPass::parse("1", "NL-TNM-B12345-6", "", "Card", false).unwrap_err();
        assert!(c.needs_confirmation);
        assert_eq!(c.errors[0].0, field::PUBLIC_CARD_ID);
        let p = NewPass::parse("1", "NL-TNM-B12345-6", "", "Card", true).unwrap();
        assert!(p.warnings.iter().any(|w| w.needs_confirmation()));
    }
}
