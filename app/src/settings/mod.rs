//! "Organization settings": the "Passes" tab, where each pass is set to "Whitelist" or roaming for this
//! organization, the "Access mode" tab with the default access mode of the organization's stations, the
//! "Security" tab (two-factor authentication required of administrators), and the audit log of who added,
//! changed or deleted what.

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use crate::orgs::get_org_context;
use crate::passes::{id_label, passes_resource, FirstPageLink, PassesPager, SetPassMode};
use crate::stations::detail::AccessModeForm;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use shared::mode::PassMode;
use shared::model::{AccessModeSettings, AuditEntry, PassSummary, TwoFactorRequirement};
use shared::station::AccessMode;
use shared::OrgId;

/// `org`'s default access mode for its stations: its own setting, what it inherits, and the result.
#[server(prefix = "/api", endpoint = "default_access_mode")]
pub async fn default_access_mode(org: OrgId) -> Result<AccessModeSettings, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.access_mode_settings().await?)
}

/// Sets `org`'s default access mode; `None` inherits the parent organization's.
#[server(prefix = "/api", endpoint = "set_default_access_mode")]
pub async fn set_default_access_mode(org: OrgId, mode: Option<AccessMode>) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.set_default_access_mode(mode).await?)
}

/// `org`'s "Require two-factor authentication for administrators": its own setting and what it inherits.
#[server(prefix = "/api", endpoint = "org_two_factor_requirement")]
pub async fn org_two_factor_requirement(org: OrgId) -> Result<TwoFactorRequirement, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.two_factor_requirement().await?)
}

/// Requires (or no longer requires) two-factor authentication of the administrators of `org` and of every
/// organization below it. Turning it on needs two-factor authentication on the caller's own account.
#[server(prefix = "/api", endpoint = "set_two_factor_requirement")]
pub async fn set_two_factor_requirement(org: OrgId, required: bool) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.set_two_factor_requirement(required).await?)
}

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
            <A href=href("access") attr:class=TAB>"Access mode"</A>
            <A href=href("tariff") attr:class=TAB>"Tariff"</A>
            <A href=href("billing") attr:class=TAB>"Billing"</A>
            <A href=href("security") attr:class=TAB>"Security"</A>
            <A href=href("audit") attr:class=TAB>"Audit log"</A>
        </nav>
        <Outlet/>
    }
}

/// The "Passes" tab: every pass of the organization with its mode.
#[component]
pub fn PassModesTab() -> impl IntoView {
    let set_mode = ServerAction::<SetPassMode>::new();
    // Every mode: this tab is where modes change.
    let passes = passes_resource(move || set_mode.version().get(), Memo::new(|_| None));
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
                        Ok(page) if page.items.is_empty() => view! {
                            <EmptyState title="No passes yet" hint="Passes added under Passes appear here with their mode."/>
                            {(page.first > 1).then(|| view! { <FirstPageLink/> })}
                        }.into_any(),
                        Ok(page) => view! {
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
                                        {page.items.clone().into_iter().map(|p| view! { <ModeRow pass=p action=set_mode/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <PassesPager page mode=None/>
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

/// The "Access mode" tab: the default access mode of the stations of this organization and of its
/// sub-organizations that set none, inherited from above unless set here.
#[component]
pub fn AccessModeTab() -> impl IntoView {
    let org = use_org_id();
    let save = ServerAction::<SetDefaultAccessMode>::new();
    let settings = org_resource(move || save.version().get(), default_access_mode);
    view! {
        <section aria-labelledby="access-mode-title" class="max-w-2xl">
            <h2 id="access-mode-title" class="text-lg font-semibold">"Access mode"</h2>
            <p class="mb-4 mt-1 text-sm text-slate-600">
                "The default for this organization's charging stations and for those of its sub-organizations, unless a sub-organization or a station sets its own (in the station's Settings under Assets)."
            </p>
            <div class="mb-3 space-y-2">
                <Notice message=Signal::derive(move || matches!(save.value().get(), Some(Ok(()))).then(|| "The default access mode was saved.".to_owned()))/>
                <FormBanner error=Signal::derive(move || save.value().get().and_then(|r| r.err()))/>
            </div>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(s) => view! {
                            <div class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                                <p class="mb-4 text-sm text-slate-800" role="status">
                                    {format!("In force: {}", s.effective.label())}
                                    {s.own.is_none().then_some(" (inherited)")}
                                </p>
                                <AccessModeForm name="Default access mode"
                                    inherit_label=format!("Inherit ({})", s.inherited.label())
                                    inherit_description=format!("The parent organization's default applies (Whitelisting if no organization above sets one), currently {}: {}", s.inherited.label(), s.inherited.description())
                                    current=s.own
                                    pending=save.pending()
                                    on_save=move |mode| {
                                        if let Some(org) = org.get_untracked() {
                                            save.dispatch(SetDefaultAccessMode { org, mode });
                                        }
                                    }/>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// The "Security" tab: "Require two-factor authentication for administrators", here and below, or inherited
/// (shown checked and greyed, "Required by …").
#[component]
pub fn SecurityTab() -> impl IntoView {
    let org = use_org_id();
    let save = ServerAction::<SetTwoFactorRequirement>::new();
    let requirement = org_resource(move || save.version().get(), org_two_factor_requirement);
    view! {
        <section aria-labelledby="security-title" class="max-w-2xl">
            <h2 id="security-title" class="text-lg font-semibold">"Two-factor authentication"</h2>
            <p class="mb-4 mt-1 text-sm text-slate-600">
                "Administrators who must use two-factor authentication enter a code from an authenticator app after their password. Until they have set it up under My account, they cannot work as administrators."
            </p>
            <div class="mb-3 space-y-2">
                <Notice message=Signal::derive(move || matches!(save.value().get(), Some(Ok(()))).then(|| "The setting was saved.".to_owned()))/>
                <FormBanner error=Signal::derive(move || save.value().get().and_then(|r| r.err()))/>
            </div>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match requirement.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(r) => view! { <RequirementForm requirement=r save=save org=org/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RequirementForm(
    requirement: TwoFactorRequirement,
    save: ServerAction<SetTwoFactorRequirement>,
    org: Memo<Option<OrgId>>,
) -> impl IntoView {
    let inherited = requirement.required_by.clone();
    let checked = requirement.required_here || inherited.is_some();
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <div class="flex items-start gap-3">
                <input id="require-admin-2fa" type="checkbox" class="mt-1 h-4 w-4 rounded border-slate-300 text-emerald-700 focus:ring-emerald-600 disabled:opacity-60"
                    prop:checked=checked
                    disabled=move || inherited.is_some() || save.pending().get()
                    aria-describedby="require-admin-2fa-hint"
                    on:change=move |ev| {
                        if let Some(org) = org.get_untracked() {
                            save.dispatch(SetTwoFactorRequirement { org, required: event_target_checked(&ev) });
                        }
                    }/>
                <div>
                    <label for="require-admin-2fa" class="font-medium text-slate-900">"Require two-factor authentication for administrators"</label>
                    <p id="require-admin-2fa-hint" class="text-sm text-slate-600">
                        "Applies to the administrators of this organization and of every organization below it."
                    </p>
                    {requirement.required_by.map(|by| view! {
                        <p class="mt-1 text-sm font-medium text-slate-700">{format!("Required by {}", by.name)}</p>
                    })}
                </div>
            </div>
        </div>
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
                            <EmptyState title="Nothing recorded yet" hint="Adding users, passes and stations, deleting passes and changing pass modes, access modes and station settings are recorded here."/>
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
