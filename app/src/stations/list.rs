//! The "Assets" page: the organization's charging stations (and its sub-organizations', marked with their
//! organization), and "+ Add Station".

use super::credentials::{ConnectionSettings, UnauthenticatedBadge};
use super::{
    field, list_stations, AddStation, AddedStation, NewStation, ALLOW_UNAUTHENTICATED_LABEL,
    ALLOW_UNAUTHENTICATED_WARNING,
};
use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use leptos::prelude::*;
use shared::model::{ConnectorStatus, StationSummary};
use shared::station::AccessMode;
use shared::OrgId;

#[component]
pub fn AssetsPage() -> impl IntoView {
    let org = use_org_id();
    let add = ServerAction::<AddStation>::new();
    let stations = org_resource(move || add.version().get(), list_stations);
    let (show_form, set_show_form) = signal(false);
    let added = Signal::derive(move || add.value().get().and_then(|r| r.ok()));

    view! {
        <PageHeader title="Assets">
            <button type="button" class=PRIMARY_BUTTON on:click=move |_| set_show_form.update(|v| *v = !*v)
                aria-expanded=move || show_form.get().to_string()>
                "+ Add Station"
            </button>
        </PageHeader>
        <p class="mb-4 text-sm text-slate-600">
            "The charging stations of this organization and its sub-organizations. Select a station by its name for its details, its OCPP logs and its settings."
        </p>
        {move || added.get().map(|a| view! { <StationAddedNotice added=a/> })}
        <Show when=move || show_form.get()>
            <AddStationForm action=add on_done=move || set_show_form.set(false)/>
        </Show>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let list = stations.await;
                match (list, org.get_untracked()) {
                    (Err(e), _) => view! { <ErrorPanel error=e/> }.into_any(),
                    (Ok(list), _) if list.is_empty() => view! {
                        <EmptyState title="No charging stations yet"
                            hint="Register a station with “+ Add Station” by the charge point ID configured in it; then point the station at the OCPP URL shown after saving."/>
                    }.into_any(),
                    (Ok(list), Some(org)) => view! { <StationsTable org=org stations=list/> }.into_any(),
                    (Ok(_), None) => view! { <ErrorPanel error=AppError::NoAccess/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// `/orgs/{org}/assets/{station}`.
pub fn station_path(org: OrgId, station: shared::ids::StationId) -> String {
    format!("/orgs/{org}/assets/{station}")
}

#[component]
fn StationsTable(org: OrgId, stations: Vec<StationSummary>) -> impl IntoView {
    // "Select the specific charging station … by clicking on its row": a click anywhere on the row opens the
    // station; keyboard users reach the same page through the link on its name.
    let navigate = leptos_router::hooks::use_navigate();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Charging stations"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-3 font-medium">"Name"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Charge point ID"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Status"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Last message"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Connectors"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Access mode"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {stations.into_iter().map(|s| {
                        let navigate = navigate.clone();
                        let path = station_path(org, s.id);
                        view! {
                        <tr class="cursor-pointer hover:bg-slate-50"
                            on:click=move |_| navigate(&path, Default::default())>
                            <td class="px-4 py-3">
                                <a href=station_path(org, s.id)
                                    class="font-medium text-emerald-800 hover:underline focus:outline-none focus:ring-2 focus:ring-emerald-600/40">
                                    {s.name.clone()}
                                </a>
                                {s.in_sub_org.then(|| view! {
                                    <span class="mt-1 block">
                                        <span class="rounded-full bg-violet-100 px-2 py-0.5 text-xs font-medium text-violet-900"
                                            title="Belongs to this sub-organization">
                                            {s.org_name.clone()}
                                        </span>
                                    </span>
                                })}
                            </td>
                            <td class="whitespace-nowrap px-4 py-3 font-mono text-slate-700">{s.charge_point_id.clone()}</td>
                            <td class="px-4 py-3">
                                <span class="flex flex-wrap items-center gap-1">
                                    <OnlineBadge online=s.online/>
                                    {s.unauthenticated_allowed.is_some().then(|| view! { <UnauthenticatedBadge/> })}
                                </span>
                            </td>
                            <td class="px-4 py-3 text-slate-600">
                                {s.last_message_at.map_or_else(|| "Never".to_owned(), |t| t.to_string())}
                            </td>
                            <td class="px-4 py-3"><ConnectorBadges connectors=s.connectors.clone()/></td>
                            <td class="px-4 py-3">
                                <AccessModeLabel mode=s.effective_access_mode inherited=s.access_mode_override.is_none()/>
                            </td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn OnlineBadge(online: bool) -> impl IntoView {
    if online {
        view! {
            <span class="inline-flex items-center gap-1 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900">
                <span class="h-2 w-2 rounded-full bg-emerald-600" aria-hidden="true"></span>
                "Online"
            </span>
        }
    } else {
        view! {
            <span class="inline-flex items-center gap-1 rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700">
                <span class="h-2 w-2 rounded-full bg-slate-500" aria-hidden="true"></span>
                "Offline"
            </span>
        }
    }
}

/// The badge colour of an OCPP 1.6 connector status.
fn status_class(status: &str) -> &'static str {
    match status {
        "Available" => {
            "whitespace-nowrap rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-900 ring-1 ring-emerald-200"
        }
        "Preparing" | "Charging" | "SuspendedEV" | "SuspendedEVSE" | "Finishing" => {
            "whitespace-nowrap rounded bg-sky-50 px-1.5 py-0.5 text-xs text-sky-900 ring-1 ring-sky-200"
        }
        "Reserved" => {
            "whitespace-nowrap rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-900 ring-1 ring-amber-200"
        }
        "Faulted" => "whitespace-nowrap rounded bg-red-50 px-1.5 py-0.5 text-xs text-red-900 ring-1 ring-red-200",
        _ => "whitespace-nowrap rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700 ring-1 ring-slate-200",
    }
}

/// An OCPP connector status ("Available", "Charging", "Faulted", ...) as a coloured badge.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    view! { <span class=status_class(&status)>{status.clone()}</span> }
}

/// "Station" for connector 0 (the station as a whole), else "Connector n".
pub fn connector_name(c: &ConnectorStatus) -> String {
    if c.connector_id == 0 {
        "Station".to_owned()
    } else {
        format!("Connector {}", c.connector_id)
    }
}

/// The connectors' last statuses: "1 Available", "2 Charging"; the station-wide status (connector 0) only when it
/// is not "Available".
#[component]
pub fn ConnectorBadges(connectors: Vec<ConnectorStatus>) -> impl IntoView {
    let shown: Vec<ConnectorStatus> = connectors
        .into_iter()
        .filter(|c| c.connector_id != 0 || c.status != "Available")
        .collect();
    if shown.is_empty() {
        return view! { <span class="text-slate-500">"Not reported"</span> }.into_any();
    }
    view! {
        <ul class="flex flex-wrap gap-1" aria-label="Connector statuses">
            {shown.into_iter().map(|c| {
                let title = format!(
                    "{}: {}{} (since {})",
                    connector_name(&c),
                    c.status,
                    if c.error_code == "NoError" { String::new() } else { format!(", {}", c.error_code) },
                    c.updated_at
                );
                let short = if c.connector_id == 0 { "Station".to_owned() } else { c.connector_id.to_string() };
                view! {
                    <li class=status_class(&c.status) title=title.clone() aria-label=title>
                        {format!("{short} {}", c.status)}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The access mode in force, marked "inherited" when the station has none of its own.
#[component]
pub fn AccessModeLabel(mode: AccessMode, inherited: bool) -> impl IntoView {
    view! {
        <span class="text-slate-800">{mode.label()}</span>
        {inherited.then(|| view! { <span class="block text-xs text-slate-500">"inherited"</span> })}
    }
}

/// After "+ Add Station": the URL and credentials the station must be configured with; the generated password
/// is shown only here, once.
#[component]
fn StationAddedNotice(added: AddedStation) -> impl IntoView {
    let generated = added.password.is_some();
    view! {
        <div class="mb-4 space-y-3 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-950" role="status">
            <p class="font-medium">{format!("Station {} was added.", added.charge_point_id)}</p>
            {if generated {
                view! {
                    <p>
                        "Enter these in the station's OCPP 1.6J settings (central system URL, and HTTP Basic authentication — OCPP security profile 1; the password is its AuthorizationKey). Use a wss:// URL behind TLS for security profile 2."
                    </p>
                }.into_any()
            } else {
                view! {
                    <p>
                        "Enter this URL in the station's OCPP 1.6J settings. It connects without a password: anyone who can reach the URL can connect as this station. To require a password, generate one in the station's Settings."
                    </p>
                }.into_any()
            }}
            <ConnectionSettings charge_point_id=added.charge_point_id.clone() password=added.password.clone()/>
        </div>
    }
    .into_any()
}

#[component]
fn AddStationForm(
    action: ServerAction<AddStation>,
    on_done: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let org = use_org_id();
    let cp = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let allow_unauthenticated = RwSignal::new(false);
    let server_error = move || action.value().get().and_then(|r| r.err());
    let fields = FormFields::new(
        move || {
            NewStation::parse(&cp.get(), &name.get(), allow_unauthenticated.get())
                .err()
                .unwrap_or_default()
        },
        server_error,
    );
    when_saved(action, on_done);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !fields.touch_all(&[field::CHARGE_POINT_ID, field::NAME]) {
            return;
        }
        if let Some(org) = org.get_untracked() {
            action.dispatch(AddStation {
                org,
                charge_point_id: cp.get_untracked(),
                name: name.get_untracked(),
                allow_unauthenticated: allow_unauthenticated.get_untracked(),
            });
        }
    };
    let text_field = move |id: &'static str,
                           name: &'static str,
                           label: &'static str,
                           hint: &'static str,
                           mono: bool,
                           value: RwSignal<String>| {
        let error = fields.error_for(name);
        let hint_id = format!("{id}-hint");
        view! {
            <div>
                <label for=id class=LABEL_CLASS>{label}</label>
                <input id=id name=name type="text" autocomplete="off" spellcheck="false"
                    class=move || {
                        let base = if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS };
                        if mono { format!("{base} font-mono") } else { base.to_owned() }
                    }
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby=hint_id.clone()
                    prop:value=value
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| fields.touch(name)/>
                <p id=hint_id class="mt-1 text-xs text-slate-500">{hint}</p>
                <FieldError error=error/>
            </div>
        }
    };
    view! {
        <form on:submit=submit aria-label="Add station" novalidate
            class="mb-6 grid gap-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm sm:grid-cols-2">
            <h2 class="text-lg font-semibold sm:col-span-2">"Add Station"</h2>
            {text_field("station-cp-id", field::CHARGE_POINT_ID, "Charge point ID",
                "Exactly as configured in the station (its identity, the last part of its OCPP URL): letters, digits and - _ . : * + @, e.g. CP-KROON-1.",
                true, cp)}
            {text_field("station-name", field::NAME, "Name",
                "How the station is shown here, e.g. “Car park level -1, left”.", false, name)}
            <p class="text-sm text-slate-600 sm:col-span-2">
                "ChargeDesk generates a strong password for the station and shows it once after saving, with the URL and user name to enter in the station."
            </p>
            <div class="sm:col-span-2">
                <div class="flex items-start gap-2">
                    <input id="station-allow-unauthenticated" name=field::ALLOW_UNAUTHENTICATED type="checkbox"
                        class="mt-1 h-4 w-4 rounded border-slate-300 text-amber-700 focus:ring-amber-600"
                        aria-describedby="station-allow-unauthenticated-hint"
                        prop:checked=allow_unauthenticated
                        on:change=move |ev| allow_unauthenticated.set(event_target_checked(&ev))/>
                    <label for="station-allow-unauthenticated" class="text-sm font-medium text-slate-800">
                        {ALLOW_UNAUTHENTICATED_LABEL}
                    </label>
                </div>
                <p id="station-allow-unauthenticated-hint" class="ml-6 mt-1 text-xs text-slate-600">
                    {format!("{ALLOW_UNAUTHENTICATED_WARNING} No password is generated then.")}
                </p>
                <Show when=move || allow_unauthenticated.get()>
                    <p class="ml-6 mt-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-950 ring-1 ring-amber-200" role="alert">
                        "This station will be shown as “Unauthenticated” under Assets until you generate a password for it in its Settings."
                    </p>
                </Show>
            </div>
            <div class="sm:col-span-2">
                <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
            </div>
            <div class="flex gap-2 sm:col-span-2">
                <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save"</button>
                <button type="button" class=SECONDARY_BUTTON on:click=move |_| on_done()>"Cancel"</button>
            </div>
        </form>
    }
    .into_any()
}
