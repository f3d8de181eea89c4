//! "Organization settings": the "Passes" tab, where each pass is set to "Whitelist" or roaming for this
//! organization, and the audit log of who added, changed or deleted what.

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use crate::orgs::get_org_context;
use crate::passes::{id_label, list_passes, SetPassMode};
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use shared::mode::PassMode;
use shared::model::{AuditEntry, PassSummary};
use shared::OrgId;

/// The newest entries of `org`'s audit log.
#[server(prefix = "/api", endpoint = "audit_log")]
pub async fn audit_log(org: OrgId) -> Result<Vec<AuditEntry>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.audit_log(500).await?)
}

const TAB: &str = "border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900 focus:outline-none focus:ring-2 focus:ring-emerald-600/40 aria-[current=page]:border-emerald-700 aria-[current=page]:text-emerald-900";

#[component]
pub fn SettingsPage() -> impl IntoView {
    let org = use_org_id();
    let context = org_resource(|| 0, get_org_context);
    let href = move |tab: &'static str| {
        move || {
            org.get()
                .map(|o| format!("/orgs/{o}/settings/{tab}"))
                .unwrap_or_default()
        }
    };
    view! {
        <PageHeader title="Organization settings"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                context.await.ok().map(|c| view! { <p class="-mt-4 mb-4 text-slate-600">{c.name}</p> })
            })}
        </Transition>
        <nav aria-label="Settings" class="mb-6 flex gap-2 border-b border-slate-200">
            <A href=href("passes") attr:class=TAB>"Passes"</A>
            <A href=href("audit") attr:class=TAB>"Audit log"</A>
        </nav>
        <Outlet/>
    }
}

/// The "Passes" tab: every pass of the organization with its mode.
#[component]
pub fn PassModesTab() -> impl IntoView {
    let set_mode = ServerAction::<SetPassMode>::new();
    let passes = org_resource(move || set_mode.version().get(), list_passes);
    view! {
        <section aria-labelledby="pass-modes-title">
            <h2 id="pass-modes-title" class="text-lg font-semibold">"Passes"</h2>
            <p class="mb-4 mt-1 text-sm text-slate-600">
                {format!("{}: {} ", PassMode::Whitelist.label(), PassMode::Whitelist.description())}
                <br/>
                {format!("{}: {} ", PassMode::Roaming.label(), PassMode::Roaming.description())}
            </p>
            <FormBanner error=Signal::derive(move || set_mode.value().get().and_then(|r| r.err()))/>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match passes.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No passes yet" hint="Passes added under Passes appear here with their mode."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <caption class="sr-only">"Pass modes in this organization"</caption>
                                    <thead class="bg-slate-50 text-left text-slate-600">
                                        <tr>
                                            <th scope="col" class="px-4 py-3 font-medium">"Nickname"</th>
                                            <th scope="col" class="px-4 py-3 font-medium">"User"</th>
                                            <th scope="col" class="px-4 py-3 font-medium">"Card ID"</th>
                                            <th scope="col" class="px-4 py-3 font-medium">"Mode"</th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {list.into_iter().map(|p| view! { <ModeRow pass=p action=set_mode/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ModeRow(pass: PassSummary, action: ServerAction<SetPassMode>) -> impl IntoView {
    let select_id = format!("mode-{}", pass.id);
    let (org, id, current) = (pass.org_id, pass.id, pass.mode);
    view! {
        <tr>
            <td class="px-4 py-3 font-medium text-slate-900">{pass.nickname.clone()}</td>
            <td class="px-4 py-3 text-slate-700">{pass.user_name.clone()}</td>
            <td class="px-4 py-3 font-mono text-slate-700">{id_label(&pass)}</td>
            <td class="px-4 py-3">
                <label for=select_id.clone() class="sr-only">{format!("Mode of {}", pass.nickname)}</label>
                <select id=select_id class="rounded-md border border-slate-300 px-2 py-1 focus:outline-none focus:ring-2 focus:ring-emerald-600/40"
                    disabled=action.pending()
                    on:change=move |ev| {
                        if let Some(mode) = PassMode::parse(&event_target_value(&ev)) {
                            action.dispatch(SetPassMode { org, pass: id, mode });
                        }
                    }>
                    {[PassMode::Whitelist, PassMode::Roaming].into_iter().map(|m| view! {
                        <option value=m.as_str() selected=m == current>{m.label()}</option>
                    }).collect_view()}
                </select>
            </td>
        </tr>
    }
}

/// The "Audit log" tab.
#[component]
pub fn AuditLogTab() -> impl IntoView {
    let entries = org_resource(|| 0, audit_log);
    view! {
        <section aria-labelledby="audit-title">
            <h2 id="audit-title" class="mb-4 text-lg font-semibold">"Audit log"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match entries.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="Nothing recorded yet" hint="Adding users, adding and deleting passes and changing pass modes are recorded here."/>
                        }.into_any(),
                        Ok(list) => view! {
                            <ol class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm" aria-label="Audit log entries">
                                {list.into_iter().map(|e| view! {
                                    <li class="px-4 py-3 text-sm">
                                        <p class="text-slate-900">{e.summary.clone()}</p>
                                        <p class="text-xs text-slate-500">{format!("{} · {} · {}", e.action.label(), e.actor, e.at)}</p>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
