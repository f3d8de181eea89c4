//! Tariffs (issue #11, part 1): "Organization settings" → "Tariff", and the "Tariff" section of a station's
//! Settings tab with whether it is AC or DC.
//!
//! The form is checked in the browser by the same `shared::tariff::TariffForm::parse` (with the platform's caps
//! from the server) that the server functions apply before storing; the server's refusal of a field shows at
//! that field.

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use crate::stations::detail::{station_resource, use_station_id};
use leptos::prelude::*;
use shared::ids::StationId;
use shared::tariff::{CurrentKind, TariffForm, TariffSource, TariffView};
use shared::OrgId;

/// The first of a tariff form's errors, as the server function's refusal.
#[cfg(feature = "ssr")]
fn refused(errors: Vec<shared::tariff::TariffError>) -> AppError {
    AppError::first_invalid(errors.into_iter().map(|e| (e.field, e.message)).collect())
}

/// `org`'s tariff: its own, what it inherits, and the platform's caps.
#[server(prefix = "/api", endpoint = "org_tariff")]
pub async fn org_tariff(org: OrgId) -> Result<TariffView, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.tariff().await?)
}

/// Sets `org`'s tariff from the form (`None`: inherit the parent's).
#[server(prefix = "/api", endpoint = "set_org_tariff")]
pub async fn set_org_tariff(org: OrgId, tariff: Option<TariffForm>) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let settings = tariff
        .map(|form| form.parse(&org.platform_caps()))
        .transpose()
        .map_err(refused)?;
    Ok(org.set_tariff(settings.as_ref()).await?)
}

/// A station's tariff: its own, its organization's, the caps and its AC/DC kind.
#[server(prefix = "/api", endpoint = "station_tariff")]
pub async fn station_tariff(org: OrgId, station: StationId) -> Result<TariffView, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.station_tariff(station).await?)
}

/// Sets a station's own tariff from the form (`None`: its organization's applies).
#[server(prefix = "/api", endpoint = "set_station_tariff")]
pub async fn set_station_tariff(
    org: OrgId,
    station: StationId,
    tariff: Option<TariffForm>,
) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let settings = tariff
        .map(|form| form.parse(&org.platform_caps()))
        .transpose()
        .map_err(refused)?;
    Ok(org.set_station_tariff(station, settings.as_ref()).await?)
}

/// Sets whether a station charges with AC or DC.
#[server(prefix = "/api", endpoint = "set_station_current_kind")]
pub async fn set_station_current_kind(
    org: OrgId,
    station: StationId,
    kind: CurrentKind,
) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.set_station_current_kind(station, kind).await?)
}

/// The form's inputs: (field name, label, hint).
const FIELDS: [(&str, &str, &str); 9] = [
    (
        "per_kwh_ac",
        "Price per kWh (AC)",
        "Excluding VAT, e.g. 0.35",
    ),
    (
        "per_kwh_dc",
        "Price per kWh (DC)",
        "Excluding VAT, e.g. 0.59",
    ),
    (
        "start_fee",
        "Start fee per session",
        "Charged once per session that drew energy; empty for none",
    ),
    (
        "per_hour_charging",
        "Price per hour of charging",
        "Empty for none",
    ),
    (
        "per_hour_idle",
        "Price per idle hour",
        "After charging ended, while the car stays connected; empty for none",
    ),
    (
        "idle_free_minutes",
        "Free idle minutes",
        "Idle minutes before the idle price starts",
    ),
    (
        "max_per_session",
        "Maximum per session",
        "Excluding VAT; empty for no maximum",
    ),
    ("vat_percent", "VAT (%)", "e.g. 21; 0 when no VAT applies"),
    ("currency", "Currency", "Three letters, e.g. EUR"),
];

/// The input of `form` named `name` (one of [`FIELDS`]).
fn field_mut<'a>(form: &'a mut TariffForm, name: &str) -> &'a mut String {
    match name {
        "currency" => &mut form.currency,
        "start_fee" => &mut form.start_fee,
        "per_kwh_ac" => &mut form.per_kwh_ac,
        "per_kwh_dc" => &mut form.per_kwh_dc,
        "per_hour_charging" => &mut form.per_hour_charging,
        "per_hour_idle" => &mut form.per_hour_idle,
        "idle_free_minutes" => &mut form.idle_free_minutes,
        "max_per_session" => &mut form.max_per_session,
        _ => &mut form.vat_percent,
    }
}

/// The form's field name for an error's field (VAT is typed as a percentage).
fn input_name(error_field: &str) -> &str {
    if error_field == "vat" {
        "vat_percent"
    } else {
        error_field
    }
}

/// "In force: …" for a tariff setting.
fn in_force(view: &TariffView) -> String {
    match (&view.own, &view.inherited) {
        (Some(own), _) => format!("In force: {}", own.summary()),
        (None, Some((TariffSource::Organization { name }, settings))) => {
            format!("In force: {} (inherited from {name})", settings.summary())
        }
        (None, _) => "No tariff: settled sessions here are not priced until one is set.".to_owned(),
    }
}

/// A tariff setting's editor: what is in force, "Inherit" or an own tariff with its form, Save. `subject`
/// names what the tariff is for ("this organization", "this station").
#[component]
fn TariffEditor(
    view: TariffView,
    subject: &'static str,
    inherit_label: String,
    pending: Signal<bool>,
    server_error: Signal<Option<AppError>>,
    on_save: impl Fn(Option<TariffForm>) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let caps = view.caps;
    let start = view
        .own
        .as_ref()
        .or(view.inherited.as_ref().map(|(_, s)| s))
        .map(TariffForm::from_settings)
        .unwrap_or_else(|| TariffForm {
            currency: "EUR".into(),
            vat_percent: "21".into(),
            ..TariffForm::default()
        });
    let form = RwSignal::new(start);
    let own = RwSignal::new(view.own.is_some());
    let fields = FormFields::new(
        move || {
            form.with(|f| f.parse(&caps))
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| {
                    let name = FIELDS
                        .iter()
                        .map(|(n, _, _)| *n)
                        .find(|n| *n == input_name(e.field))
                        .unwrap_or("per_kwh_ac");
                    (name, e.message)
                })
                .collect()
        },
        move || server_error.get(),
    );
    let names: Vec<&'static str> = FIELDS.iter().map(|(n, _, _)| *n).collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !own.get_untracked() {
            on_save(None);
            return;
        }
        if !fields.touch_all(&names) {
            return;
        }
        on_save(Some(form.get_untracked()));
    };
    let eur = shared::tariff::Currency::default();
    let cap_hint = format!(
        "The platform's caps: {} per kWh AC, {} per kWh DC, {} start fee.",
        eur.format_price(caps.per_kwh_ac),
        eur.format_price(caps.per_kwh_dc),
        eur.format(caps.start_fee)
    );
    let inputs = FIELDS
        .into_iter()
        .map(|(name, label, hint)| {
            let id = format!("tariff-{name}");
            let hint_id = format!("{id}-hint");
            let error = fields.error_for(name);
            view! {
                <div>
                    <label for=id.clone() class=LABEL_CLASS>{label}</label>
                    <input id=id name=name type="text" inputmode=if name == "currency" { "text" } else { "decimal" }
                        aria-describedby=hint_id.clone()
                        class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                        aria-invalid=move || error.get().is_some().to_string()
                        prop:value=move || form.with(|f| {
                            let mut f = f.clone();
                            field_mut(&mut f, name).clone()
                        })
                        on:input=move |ev| form.update(|f| *field_mut(f, name) = event_target_value(&ev))
                        on:blur=move |_| fields.touch(name)/>
                    <p id=hint_id class="mt-1 text-xs text-slate-500">{hint}</p>
                    <FieldError error=error/>
                </div>
            }
        })
        .collect_view();
    let radio_name = format!("tariff-choice-{}", subject.replace(' ', "-"));
    view! {
        <p class="mb-4 text-sm text-slate-800" role="status">{in_force(&view)}</p>
        <form on:submit=submit novalidate aria-label=format!("Tariff of {subject}") class="space-y-4">
            <fieldset class="space-y-2">
                <legend class="sr-only">{format!("Tariff of {subject}")}</legend>
                <label class="flex items-center gap-2 text-sm">
                    <input type="radio" name=radio_name.clone() prop:checked=move || !own.get()
                        on:change=move |_| own.set(false)/>
                    {inherit_label}
                </label>
                <label class="flex items-center gap-2 text-sm">
                    <input type="radio" name=radio_name prop:checked=move || own.get()
                        on:change=move |_| own.set(true)/>
                    {format!("Set a tariff for {subject}")}
                </label>
            </fieldset>
            <Show when=move || own.get()>
                <p class="text-sm text-slate-600">{cap_hint.clone()}</p>
            </Show>
            <div class="grid gap-4 sm:grid-cols-2" class:hidden=move || !own.get()>
                {inputs}
            </div>
            <FormBanner error=Signal::derive(move || server_error.get().filter(|e| !e.is_field_error()))/>
            <button type="submit" class=PRIMARY_BUTTON disabled=pending>"Save tariff"</button>
        </form>
    }
    .into_any()
}

/// "Organization settings" → "Tariff".
#[component]
pub fn TariffTab() -> impl IntoView {
    let org = use_org_id();
    let save = ServerAction::<SetOrgTariff>::new();
    let tariff = org_resource(move || save.version().get(), org_tariff);
    let server_error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    view! {
        <section aria-labelledby="tariff-title" class="max-w-3xl">
            <h2 id="tariff-title" class="text-lg font-semibold">"Tariff"</h2>
            <p class="mb-4 mt-1 text-sm text-slate-600">
                "What a settled (roaming) session costs at this organization's charging stations and at those of its sub-organizations, unless a sub-organization or a station sets its own. Whitelisted sessions are always free. A session keeps the tariff it started with: a change applies to sessions that start afterwards."
            </p>
            <div class="mb-3">
                <Notice message=Signal::derive(move || matches!(save.value().get(), Some(Ok(()))).then(|| "The tariff was saved. It applies to sessions that start from now on.".to_owned()))/>
            </div>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match tariff.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(view) => {
                            let inherit_label = match &view.inherited {
                                Some((TariffSource::Organization { name }, _)) => format!("Inherit from {name}"),
                                _ => "No tariff (inherit, none is set above)".to_owned(),
                            };
                            view! {
                                <div class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                                    <TariffEditor view subject="this organization" inherit_label
                                        pending=save.pending().into() server_error
                                        on_save=move |tariff| {
                                            if let Some(org) = org.get_untracked() {
                                                save.dispatch(SetOrgTariff { org, tariff });
                                            }
                                        }/>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// The "Tariff" section of a station's Settings tab: AC or DC, and its own tariff or its organization's.
#[component]
pub fn StationTariffSection() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let save = ServerAction::<SetStationTariff>::new();
    let set_kind = ServerAction::<SetStationCurrentKind>::new();
    let tariff = station_resource(
        move || save.version().get() + set_kind.version().get(),
        station_tariff,
    );
    let ids = move || org.get_untracked().zip(station.get_untracked());
    let server_error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    view! {
        <section aria-labelledby="station-tariff-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm xl:col-span-2">
            <h2 id="station-tariff-title" class="text-lg font-semibold">"Tariff"</h2>
            <p class="mb-4 mt-1 text-sm text-slate-600">
                "What a settled session costs at this station: its organization's tariff unless it has its own. Sessions keep the tariff they started with."
            </p>
            <div class="mb-3 space-y-2">
                <Notice message=Signal::derive(move || matches!(save.value().get(), Some(Ok(()))).then(|| "The station's tariff was saved. It applies to sessions that start from now on.".to_owned()))/>
                <FormBanner error=Signal::derive(move || set_kind.value().get().and_then(|r| r.err()))/>
            </div>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match tariff.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(view) => {
                            let kind = view.current_kind.unwrap_or(CurrentKind::Ac);
                            let inherit_label = match &view.inherited {
                                Some((TariffSource::Organization { name }, _)) => format!("Inherit from organization ({name})"),
                                _ => "No tariff of its own (none is set for its organization either)".to_owned(),
                            };
                            view! {
                                <div class="mb-4 max-w-xs">
                                    <label for="station-current-kind" class=LABEL_CLASS>"Current"</label>
                                    <select id="station-current-kind" class=INPUT_CLASS disabled=set_kind.pending()
                                        on:change=move |ev| {
                                            if let (Some(kind), Some((org, station))) = (CurrentKind::parse(&event_target_value(&ev)), ids()) {
                                                set_kind.dispatch(SetStationCurrentKind { org, station, kind });
                                            }
                                        }>
                                        {CurrentKind::ALL.into_iter().map(|k| view! {
                                            <option value=k.as_str() selected=k == kind>{k.label()}</option>
                                        }).collect_view()}
                                    </select>
                                    <p class="mt-1 text-xs text-slate-500">"Which price per kWh applies, and which cap."</p>
                                </div>
                                <TariffEditor view subject="this station" inherit_label
                                    pending=save.pending().into() server_error
                                    on_save=move |tariff| {
                                        if let Some((org, station)) = ids() {
                                            save.dispatch(SetStationTariff { org, station, tariff });
                                        }
                                    }/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}
