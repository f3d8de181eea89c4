//! A station's pages (`/orgs/:org/assets/:station`): the frame with the station's name and the tabs "Overview",
//! "Logs", "Commands", "Configuration" (both in [`super::commands`]) and "Settings".

use super::credentials::{allowed_since, ConnectionSettings, UnauthenticatedBadge};
use super::list::{connector_name, AccessModeLabel, OnlineBadge, StatusBadge};
use super::local_list::LocalListPanel;
use super::{
    get_station, ocpp_path, unknown_taps, GenerateStationPassword, SetStationAccessMode,
    SetStationUnauthenticated, ALLOW_UNAUTHENTICATED_LABEL, ALLOW_UNAUTHENTICATED_WARNING,
    UNKNOWN_TAPS_HOURS,
};
use crate::browser::use_websocket_origin;
use crate::components::*;
use crate::error::AppError;
use crate::layout::use_org_id;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_params_map;
use shared::ids::StationId;
use shared::model::{ConnectorStatus, StationSummary, UnknownTap};
use shared::station::AccessMode;
use shared::OrgId;

pub use super::logs::StationLogsTab;

/// The station in the URL (`/orgs/:org/assets/:station`); `None` if it is not a number.
pub fn use_station_id() -> Memo<Option<StationId>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("station").and_then(|s| s.parse().ok()))
}

/// A resource that loads `fetch(org, station)` for the organization and station in the URL, refetching when
/// `version` changes.
pub fn station_resource<T, Fut>(
    version: impl Fn() -> usize + Send + Sync + 'static,
    fetch: impl Fn(OrgId, StationId) -> Fut + Send + Sync + Copy + 'static,
) -> Resource<Result<T, AppError>>
where
    T: Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let org = use_org_id();
    let station = use_station_id();
    Resource::new(
        move || (org.get(), station.get(), version()),
        move |(org, station, _)| async move {
            match (org, station) {
                (Some(org), Some(station)) => fetch(org, station).await,
                (None, _) => Err(AppError::NoAccess),
                (Some(_), None) => Err(AppError::NotFound {
                    what: "station".into(),
                }),
            }
        },
    )
}

/// `/orgs/{org}/passes?hidden_id=…`: "+ Add Pass" opened with the Hidden ID filled in. `org` is the station's own
/// organization: only passes of the station's organization and its sub-organizations count at a station.
pub fn add_as_pass_href(org: OrgId, id_tag: &str) -> String {
    format!(
        "/orgs/{org}/passes?hidden_id={}",
        super::encode_query_value(id_tag)
    )
}

const TAB: &str = "border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900 focus:outline-none focus:ring-2 focus:ring-emerald-600/40 aria-[current=page]:border-emerald-700 aria-[current=page]:text-emerald-900";

/// The frame of a station's pages: back to "Assets", the station's name and state, the tabs.
#[component]
pub fn StationPage() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let detail = station_resource(|| 0, get_station);
    let href = move |tab: &'static str| {
        move || match (org.get(), station.get()) {
            (Some(o), Some(s)) if tab.is_empty() => format!("/orgs/{o}/assets/{s}"),
            (Some(o), Some(s)) => format!("/orgs/{o}/assets/{s}/{tab}"),
            _ => String::new(),
        }
    };
    let assets = move || {
        org.get()
            .map(|o| format!("/orgs/{o}/assets"))
            .unwrap_or_default()
    };
    // The tabs and the tab's page (the `Outlet`) stand outside the header's `Transition`: a lazily loaded route
    // rendered inside a `Suspend` hydrated onto markup that did not always match (a page that never came alive,
    // now and then, on the Overview and Commands tabs). The tabs need only the ids in the address; each tab
    // shows its own loading and errors.
    view! {
        <a href=assets class="mb-2 inline-block text-sm text-emerald-800 hover:underline">"← Assets"</a>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(d) => {
                        let s = d.summary;
                        view! {
                            <PageHeader title=s.name.clone()/>
                            <p class="-mt-4 mb-4 flex flex-wrap items-center gap-2 text-sm text-slate-600">
                                <span class="font-mono">{s.charge_point_id.clone()}</span>
                                <OnlineBadge online=s.online/>
                                {s.unauthenticated_allowed.is_some().then(|| view! { <UnauthenticatedBadge/> })}
                                {s.in_sub_org.then(|| view! {
                                    <span class="rounded-full bg-violet-100 px-2 py-0.5 text-xs font-medium text-violet-900">{s.org_name.clone()}</span>
                                })}
                            </p>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <nav aria-label="Station" class="mb-6 flex gap-2 border-b border-slate-200">
            <A href=href("") exact=true attr:class=TAB>"Overview"</A>
            <A href=href("logs") attr:class=TAB>"Logs"</A>
            <A href=href("commands") attr:class=TAB>"Commands"</A>
            <A href=href("configuration") attr:class=TAB>"Configuration"</A>
            <A href=href("settings") attr:class=TAB>"Settings"</A>
        </nav>
        <Outlet/>
    }
    .into_any()
}

/// A row of a description list.
#[component]
fn Fact(#[prop(into)] term: String, children: Children) -> impl IntoView {
    view! {
        <div class="grid grid-cols-3 gap-2 px-4 py-2">
            <dt class="text-slate-600">{term}</dt>
            <dd class="col-span-2 text-slate-900">{children()}</dd>
        </div>
    }
}

fn or_unknown(v: Option<String>) -> String {
    v.filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "Not reported".to_owned())
}

/// The "Overview" tab: what the station reported, its connectors, and unknown cards tapped recently.
#[component]
pub fn StationOverviewTab() -> impl IntoView {
    let detail = station_resource(|| 0, get_station);
    let taps = station_resource(|| 0, unknown_taps);
    let origin = use_websocket_origin();
    view! {
        <div class="grid gap-6 xl:grid-cols-2">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match detail.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(d) => {
                            let s = d.summary;
                            let path = ocpp_path(&s.charge_point_id);
                            let connection = match d.connected_since {
                                Some(t) => format!("Online since {t}"),
                                None => "Offline".to_owned(),
                            };
                            let last_message = s.last_message_at.map_or_else(|| "Never".to_owned(), |t| t.to_string());
                            let last_boot = d.last_boot_at.map_or_else(|| "Not reported".to_owned(), |t| t.to_string());
                            let (vendor, model) = (or_unknown(d.vendor), or_unknown(d.model));
                            let (serial, firmware) = (or_unknown(d.serial_number), or_unknown(d.firmware_version));
                            let registered = d.created_at.to_string();
                            let (mode, inherited) = (s.effective_access_mode, s.access_mode_override.is_none());
                            let password = match (&s.unauthenticated_allowed, s.has_password) {
                                (Some(allowed), _) => format!("Not required: unauthenticated connections are allowed. {}", allowed_since(allowed)),
                                (None, true) => "Required: HTTP Basic authentication with the charge point ID as user name".to_owned(),
                                (None, false) => "Required, but none is set: the station cannot connect until a password is generated in Settings".to_owned(),
                            };
                            view! {
                                <section aria-labelledby="station-details-title" class="space-y-6">
                                    <div class="rounded-lg border border-slate-200 bg-white shadow-sm">
                                        <h2 id="station-details-title" class="border-b border-slate-200 px-4 py-3 font-semibold">"Details"</h2>
                                        <dl class="divide-y divide-slate-100 text-sm">
                                            <Fact term="Charge point ID"><span class="font-mono">{s.charge_point_id.clone()}</span></Fact>
                                            <Fact term="Organization">{s.org_name.clone()}</Fact>
                                            <Fact term="Connection">{connection}</Fact>
                                            <Fact term="Last message">{last_message}</Fact>
                                            <Fact term="Vendor">{vendor}</Fact>
                                            <Fact term="Model">{model}</Fact>
                                            <Fact term="Serial number">{serial}</Fact>
                                            <Fact term="Firmware">{firmware}</Fact>
                                            <Fact term="Last boot">{last_boot}</Fact>
                                            <Fact term="Access mode">
                                                <AccessModeLabel mode=mode inherited=inherited/>
                                            </Fact>
                                            <Fact term="OCPP URL">
                                                <code class="break-all font-mono">{move || format!("{}{}", origin.get(), path)}</code>
                                            </Fact>
                                            <Fact term="OCPP password">{password}</Fact>
                                            <Fact term="Registered">{registered}</Fact>
                                        </dl>
                                    </div>
                                    <ConnectorsTable connectors=s.connectors/>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <section aria-labelledby="unknown-taps-title" class="rounded-lg border border-slate-200 bg-white shadow-sm">
                <h2 id="unknown-taps-title" class="border-b border-slate-200 px-4 py-3 font-semibold">"Recently tapped unknown cards"</h2>
                <p class="px-4 pt-3 text-sm text-slate-600">
                    {format!("Cards presented at this station in the last {UNKNOWN_TAPS_HOURS} hours that match no pass of its organization. To whitelist one, add it as a pass with its Hidden ID.")}
                </p>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        // "Add as pass" adds the card in the station's own organization, where it counts.
                        let owner = detail.await.ok().map(|d| d.summary.org_id);
                        match (taps.await, owner) {
                            (Err(e), _) => view! { <div class="p-4"><ErrorPanel error=e/></div> }.into_any(),
                            (Ok(list), _) if list.is_empty() => view! {
                                <p class="px-4 py-6 text-sm text-slate-600">
                                    "No unknown cards. Hold the card or tag against the station's reader and reload this page: if it matches no pass, it appears here."
                                </p>
                            }.into_any(),
                            (Ok(list), Some(org)) => view! { <UnknownTapList org=org taps=list/> }.into_any(),
                            (Ok(_), None) => ().into_any(),
                        }
                    })}
                </Transition>
            </section>
            <LocalListPanel/>
        </div>
    }
    .into_any()
}

#[component]
fn ConnectorsTable(connectors: Vec<ConnectorStatus>) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-slate-200 bg-white shadow-sm">
            <h2 class="border-b border-slate-200 px-4 py-3 font-semibold">"Connectors"</h2>
            {if connectors.is_empty() {
                view! {
                    <p class="px-4 py-4 text-sm text-slate-600">"The station has not reported a connector status yet."</p>
                }.into_any()
            } else {
                view! {
                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                        <caption class="sr-only">"Connector statuses"</caption>
                        <thead class="bg-slate-50 text-left text-slate-600">
                            <tr>
                                <th scope="col" class="px-4 py-2 font-medium">"Connector"</th>
                                <th scope="col" class="px-4 py-2 font-medium">"Status"</th>
                                <th scope="col" class="px-4 py-2 font-medium">"Error code"</th>
                                <th scope="col" class="px-4 py-2 font-medium">"Since"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {connectors.into_iter().map(|c| view! {
                                <tr>
                                    <td class="px-4 py-2 text-slate-900">{connector_name(&c)}</td>
                                    <td class="px-4 py-2"><StatusBadge status=c.status.clone()/></td>
                                    <td class="px-4 py-2 text-slate-700">
                                        {c.error_code.clone()}
                                        {c.info.clone().map(|i| view! { <span class="block text-xs text-slate-500">{i}</span> })}
                                    </td>
                                    <td class="px-4 py-2 text-slate-600">{c.updated_at.to_string()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
    .into_any()
}

#[component]
fn UnknownTapList(org: OrgId, taps: Vec<UnknownTap>) -> impl IntoView {
    view! {
        <ul class="divide-y divide-slate-100" aria-label="Recently tapped unknown cards">
            {taps.into_iter().map(|t| {
                let times = count(t.count, "time", "times");
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-3 px-4 py-3 text-sm">
                        <div>
                            <p class="font-mono text-slate-900">{t.id_tag.clone()}</p>
                            <p class="text-xs text-slate-500">{format!("Last seen {} · presented {times}", t.last_seen_at)}</p>
                        </div>
                        <div class="flex flex-wrap items-center gap-2">
                            <CopyButton text=t.id_tag.clone() label="Copy idTag"/>
                            <a href=add_as_pass_href(org, &t.id_tag) class=PRIMARY_BUTTON
                                aria-label=format!("Add as pass: {}", t.id_tag)>
                                "Add as pass"
                            </a>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The `<select>` value of an access-mode choice: empty for "inherit".
fn mode_value(mode: Option<AccessMode>) -> &'static str {
    mode.map_or("", AccessMode::as_str)
}

/// Choosing an access mode, or inheriting one: a labelled select, the chosen mode's description, and "Save".
/// Used for a station and for an organization's default.
#[component]
pub fn AccessModeForm(
    /// The form's accessible name, e.g. "Station access mode".
    #[prop(into)]
    name: String,
    /// The text of the "inherit" option, naming what would be inherited.
    #[prop(into)]
    inherit_label: String,
    /// What inheriting means, shown when it is chosen.
    #[prop(into)]
    inherit_description: String,
    /// The saved setting.
    current: Option<AccessMode>,
    #[prop(into)] pending: Signal<bool>,
    on_save: impl Fn(Option<AccessMode>) + Send + Sync + 'static,
) -> impl IntoView {
    let chosen = RwSignal::new(current);
    let select_id = "access-mode";
    let description = move || match chosen.get() {
        Some(mode) => mode.description().to_owned(),
        None => inherit_description.clone(),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_save(chosen.get_untracked());
    };
    view! {
        <form on:submit=submit aria-label=name class="space-y-3">
            <div>
                <label for=select_id class=LABEL_CLASS>"Access mode"</label>
                <select id=select_id name="mode" class=INPUT_CLASS aria-describedby="access-mode-description"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        chosen.set(AccessMode::parse(&v));
                    }>
                    <option value="" selected=move || chosen.get().is_none()>{inherit_label}</option>
                    {AccessMode::ALL.into_iter().map(|m| view! {
                        <option value=mode_value(Some(m)) selected=move || chosen.get() == Some(m)>{m.label()}</option>
                    }).collect_view()}
                </select>
                <p id="access-mode-description" class="mt-2 text-sm text-slate-700">{description}</p>
            </div>
            <details class="text-sm text-slate-600">
                <summary class="cursor-pointer text-slate-700">"What the access modes mean"</summary>
                <dl class="mt-2 space-y-2">
                    {AccessMode::ALL.into_iter().map(|m| view! {
                        <div>
                            <dt class="font-medium text-slate-800">{m.label()}</dt>
                            <dd>{m.description()}</dd>
                        </div>
                    }).collect_view()}
                </dl>
            </details>
            <button type="submit" class=PRIMARY_BUTTON
                disabled=move || pending.get() || chosen.get() == current>
                "Save access mode"
            </button>
        </form>
    }
    .into_any()
}

/// The "Settings" tab: the station's access mode and how it logs in (its OCPP password, or the explicit choice to
/// allow unauthenticated connections).
#[component]
pub fn StationSettingsTab() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let set_mode = ServerAction::<SetStationAccessMode>::new();
    let generate = ServerAction::<GenerateStationPassword>::new();
    let set_unauthenticated = ServerAction::<SetStationUnauthenticated>::new();
    let detail = station_resource(
        move || {
            set_mode.version().get()
                + generate.version().get()
                + set_unauthenticated.version().get()
        },
        get_station,
    );
    let ids = move || org.get_untracked().zip(station.get_untracked());
    // What the latest login change says, kept here because the section below is rebuilt when the station
    // reloads: the password just generated (shown once), or that unauthenticated connections are now allowed.
    let new_password = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(password)) = generate.value().get() {
            new_password.set(Some(password));
            saved.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(generated)) = set_unauthenticated.value().get() {
            saved.set(generated.is_none().then(|| {
                "Saved. The station may connect without a password; its password was deleted and its open connection closed.".to_owned()
            }));
            new_password.set(generated);
        }
    });
    view! {
        <div class="grid gap-6 xl:grid-cols-2">
            <section aria-labelledby="station-mode-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                <h2 id="station-mode-title" class="text-lg font-semibold">"Access mode"</h2>
                <p class="mb-4 mt-1 text-sm text-slate-600">
                    "Which cards may charge at this station, and whether their sessions are free (whitelisted) or settled. A station inherits its organization's default unless it has its own."
                </p>
                <div class="mb-3 space-y-2">
                    <Notice message=Signal::derive(move || matches!(set_mode.value().get(), Some(Ok(()))).then(|| "The access mode was saved. It applies from the station's next authorization.".to_owned()))/>
                    <FormBanner error=Signal::derive(move || set_mode.value().get().and_then(|r| r.err()))/>
                </div>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match detail.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(d) => {
                                let inherited = d.inherited_access_mode;
                                view! {
                                    <AccessModeForm name="Station access mode"
                                        inherit_label=format!("Inherit from organization ({})", inherited.label())
                                        inherit_description=format!("The organization's default applies, currently {}: {}", inherited.label(), inherited.description())
                                        current=d.summary.access_mode_override
                                        pending=set_mode.pending()
                                        on_save=move |mode| {
                                            if let Some((org, station)) = ids() {
                                                set_mode.dispatch(SetStationAccessMode { org, station, mode });
                                            }
                                        }/>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
            <section aria-labelledby="station-password-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                <h2 id="station-password-title" class="text-lg font-semibold">"OCPP password"</h2>
                <p class="mb-4 mt-1 text-sm text-slate-600">
                    "The station logs in with HTTP Basic authentication (OCPP security profile 1; profile 2 behind TLS): its charge point ID as user name and a password that ChargeDesk generates and shows once (the station's AuthorizationKey). Changing how it logs in closes its open connection; it reconnects with the new settings."
                </p>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match detail.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(d) => view! {
                                <StationLoginSettings station=d.summary generate=generate set_unauthenticated=set_unauthenticated
                                    new_password=new_password saved=saved/>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <crate::tariffs::StationTariffSection/>
        </div>
    }
    .into_any()
}

/// The state of a station's login, "Generate new password" (after a confirmation, shown once), and the "Allow
/// unauthenticated connections" choice.
#[component]
fn StationLoginSettings(
    station: StationSummary,
    generate: ServerAction<GenerateStationPassword>,
    set_unauthenticated: ServerAction<SetStationUnauthenticated>,
    /// The password just generated, shown once.
    new_password: RwSignal<Option<String>>,
    /// The confirmation of the latest saved choice.
    saved: RwSignal<Option<String>>,
) -> impl IntoView {
    let org = use_org_id();
    let station_id = use_station_id();
    let confirm_generate = RwSignal::new(false);
    let allowed_now = station.unauthenticated_allowed.is_some();
    let allow = RwSignal::new(allowed_now);
    let cp = station.charge_point_id.clone();
    let error = Signal::derive(move || {
        generate
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| set_unauthenticated.value().get().and_then(|r| r.err()))
    });
    let generate_now = move |_| {
        if let (Some(org), Some(station)) = (org.get_untracked(), station_id.get_untracked()) {
            generate.dispatch(GenerateStationPassword { org, station });
        }
        confirm_generate.set(false);
    };
    let save_choice = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let (Some(org), Some(station)) = (org.get_untracked(), station_id.get_untracked()) {
            set_unauthenticated.dispatch(SetStationUnauthenticated {
                org,
                station,
                allowed: allow.get_untracked(),
            });
        }
    };
    let state = match (&station.unauthenticated_allowed, station.has_password) {
        (Some(allowed), _) => view! {
            <p class="flex flex-wrap items-center gap-2"><UnauthenticatedBadge/></p>
            <p class="mt-1 text-slate-700">{allowed_since(allowed)}</p>
        }
        .into_any(),
        (None, true) => view! {
            <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900">"Password set"</span>
        }
        .into_any(),
        (None, false) => view! {
            <span class="rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900">"No password: the station cannot connect"</span>
        }
        .into_any(),
    };
    let generate_label = if station.has_password {
        "Generate new password"
    } else {
        "Generate password"
    };
    let generate_warning = if allowed_now {
        "Generate a password? From now on the station must log in with it: unauthenticated connections are no longer allowed, and its open connection is closed. Enter the new password in the station."
    } else {
        "Generate a new password? The current password stops working at once and the station's open connection is closed: enter the new password in the station."
    };
    let password_box = move || {
        new_password.get().map(|password| {
            view! {
                <div class="mb-4 space-y-3 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-950" role="status">
                    <p class="font-medium">"A new password was generated. The station must log in with it from now on:"</p>
                    <ConnectionSettings charge_point_id=cp.clone() password=Some(password)/>
                </div>
            }
            .into_any()
        })
    };
    let generate_controls = view! {
        <Show when=move || confirm_generate.get()
            fallback=move || view! {
                <button type="button" class=PRIMARY_BUTTON on:click=move |_| confirm_generate.set(true)>{generate_label}</button>
            }>
            <div role="group" aria-label=format!("{generate_label}?") class="space-y-2 rounded-md bg-amber-50 p-3 text-sm text-amber-950">
                <p>{generate_warning}</p>
                <div class="flex gap-2">
                    <button type="button" class=PRIMARY_BUTTON disabled=generate.pending() on:click=generate_now>{generate_label}</button>
                    <button type="button" class=SECONDARY_BUTTON on:click=move |_| confirm_generate.set(false)>"Cancel"</button>
                </div>
            </div>
        </Show>
    }
    .into_any();
    let choice = view! {
        <form on:submit=save_choice aria-label="Unauthenticated connections" class="mt-6 space-y-3 border-t border-slate-200 pt-4">
            <div class="flex items-start gap-2">
                <input id="station-allow-unauthenticated" name="allowed" type="checkbox"
                    class="mt-1 h-4 w-4 rounded border-slate-300 text-amber-700 focus:ring-amber-600"
                    aria-describedby="station-allow-unauthenticated-hint"
                    prop:checked=allow
                    on:change=move |ev| allow.set(event_target_checked(&ev))/>
                <label for="station-allow-unauthenticated" class="text-sm font-medium text-slate-800">
                    {ALLOW_UNAUTHENTICATED_LABEL}
                </label>
            </div>
            <p id="station-allow-unauthenticated-hint" class="ml-6 text-xs text-slate-600">
                {format!("{ALLOW_UNAUTHENTICATED_WARNING} Allowing it deletes the station's password. Clearing it again generates a new password, shown once, that the station must use: a station is never left without both, so it cannot be locked out by accident.")}
            </p>
            <button type="submit" class=SECONDARY_BUTTON
                disabled=move || set_unauthenticated.pending().get() || allow.get() == allowed_now>
                "Save choice"
            </button>
        </form>
    }
    .into_any();
    view! {
        <div class="mb-4 text-sm">{state}</div>
        <div class="mb-3 space-y-2">
            <Notice message=saved/>
            <FormBanner error=error/>
        </div>
        {password_box}
        {generate_controls}
        {choice}
    }
    .into_any()
}
