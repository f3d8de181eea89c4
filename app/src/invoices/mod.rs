//! Settlement in the browser (issue #11, part 3): "Invoices" — an organization's months with their credit
//! statement or why there is none (the seed's "If you only charge with whitelist passes, you won't receive any
//! credit invoices"), and the statements of every organization below, each as PDF and CSV — and "Organization
//! settings" → "Billing": time zone, reimbursement rates (set by the partner above) and billing details.

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use leptos::prelude::*;
use shared::billing::{BillingForm, CustomerKind};
use shared::statement::{MonthStatus, SettlementSettings, StatementSummary};
use shared::tariff::{Currency, Price};
use shared::OrgId;

/// The months shown on "Invoices".
pub const MONTHS_SHOWN: u32 = 12;

/// The statements issued to `org` and the organizations below it, newest first.
#[server(prefix = "/api", endpoint = "list_statements")]
pub async fn list_statements(org: OrgId) -> Result<Vec<StatementSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.statements().await?)
}

/// `org`'s last months: the statement of each, or why there is none.
#[server(prefix = "/api", endpoint = "settlement_months")]
pub async fn settlement_months(org: OrgId) -> Result<Vec<MonthStatus>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.settlement_months(MONTHS_SHOWN).await?)
}

/// `org`'s time zone, reimbursement rates and billing details.
#[server(prefix = "/api", endpoint = "get_settlement_settings")]
pub async fn get_settlement_settings(org: OrgId) -> Result<SettlementSettings, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.settlement_settings().await?)
}

/// Sets `org`'s time zone (an IANA name; empty: inherit).
#[server(prefix = "/api", endpoint = "set_time_zone")]
pub async fn set_time_zone(org: OrgId, time_zone: String) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let zone = if time_zone.trim().is_empty() {
        None
    } else {
        Some(
            shared::time::TimeZoneName::parse(&time_zone)
                .map_err(|e| AppError::invalid("time_zone", e))?,
        )
    };
    Ok(org.set_time_zone(zone.as_ref()).await?)
}

/// Sets the reimbursement per kWh of `org`'s settled sessions, AC and DC (empty: inherit). Only for
/// administrators of an organization above `org`.
#[server(prefix = "/api", endpoint = "set_reimbursement_rates")]
pub async fn set_reimbursement_rates(org: OrgId, ac: String, dc: String) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let (ac, dc) = parse_rates(&ac, &dc).map_err(AppError::first_invalid)?;
    Ok(org.set_reimbursement_rates(ac, dc).await?)
}

/// Stores `org`'s billing details.
#[server(prefix = "/api", endpoint = "set_billing_details")]
pub async fn set_billing_details(org: OrgId, billing: BillingForm) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let details = billing.parse().map_err(|errors| {
        AppError::first_invalid(errors.into_iter().map(|e| (e.field, e.message)).collect())
    })?;
    Ok(org.set_billing_details(&details).await?)
}

/// Reimbursement per kWh at AC and DC stations (`None`: inherited).
pub type Rates = (Option<Price>, Option<Price>);

/// The rate fields (empty: inherit), every error by field.
pub fn parse_rates(ac: &str, dc: &str) -> Result<Rates, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let mut read = |input: &str, field: &'static str, what: &str| {
        if input.trim().is_empty() {
            return None;
        }
        match Price::parse(input, field, what) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push((e.field, e.message));
                None
            }
        }
    };
    let ac = read(ac, "ac", "The reimbursement per kWh (AC)");
    let dc = read(dc, "dc", "The reimbursement per kWh (DC)");
    if errors.is_empty() {
        Ok((ac, dc))
    } else {
        Err(errors)
    }
}

/// Where a statement's PDF or CSV is downloaded (`server::documents`).
pub fn statement_href(org: OrgId, id: i64, format: &str) -> String {
    format!("/api/documents/statements/{id}?org={org}&format={format}")
}

/// "12.345 kWh".
fn kwh(wh: i64) -> String {
    format!("{} kWh", shared::export::decimal_kwh(wh))
}

/// "Invoices": the organization's months and the statements of everything below it.
#[component]
pub fn InvoicesPage() -> impl IntoView {
    let org = use_org_id();
    let months = org_resource(|| 0, settlement_months);
    let statements = org_resource(|| 0, list_statements);
    view! {
        <PageHeader title="Invoices"/>
        <p class="-mt-4 mb-6 max-w-3xl text-sm text-slate-600">
            "Each month, settled (roaming) sessions at this organization's charging stations are credited on a statement at the reimbursement rate your partner set. Whitelisted sessions are free and never settled: a month with only whitelisted sessions has no credit invoice."
        </p>
        <section aria-labelledby="months-title" class="mb-8">
            <h2 id="months-title" class="mb-3 text-lg font-semibold">"This organization's months"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match months.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) => view! {
                            <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm" aria-label="Months">
                                {list.into_iter().map(|m| view! {
                                    <li class="flex flex-wrap items-baseline justify-between gap-2 px-4 py-3 text-sm">
                                        <span class="font-medium text-slate-900">{m.label.clone()}</span>
                                        {match (m.statement, m.reason) {
                                            (Some(s), _) => view! {
                                                <span class="text-slate-700">{format!("Statement {} · {}", s.number, s.currency.format(s.gross))}</span>
                                            }.into_any(),
                                            (None, reason) => view! {
                                                <span class="text-slate-600">{reason.unwrap_or_default()}</span>
                                            }.into_any(),
                                        }}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section aria-labelledby="statements-title">
            <h2 id="statements-title" class="mb-3 text-lg font-semibold">"Credit statements"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match statements.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No credit statements yet" hint="Statements are issued on the first day of each month for the settled sessions of the month before."/>
                        }.into_any(),
                        Ok(list) => view! { <StatementsTable org=org.get_untracked() list/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn StatementsTable(org: Option<OrgId>, list: Vec<StatementSummary>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Credit statements, newest first"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-3 font-medium">"Number"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Organization"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Month"</th>
                        <th scope="col" class="px-4 py-3 text-right font-medium">"Sessions"</th>
                        <th scope="col" class="px-4 py-3 text-right font-medium">"Energy"</th>
                        <th scope="col" class="px-4 py-3 text-right font-medium">"Total"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Download"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {list.into_iter().map(|s| {
                        let links = org.map(|org| {
                            let (pdf, csv) = (statement_href(org, s.id, "pdf"), statement_href(org, s.id, "csv"));
                            view! {
                                <a href=pdf download class="font-medium text-emerald-800 underline" aria-label=format!("PDF of statement {}", s.number)>"PDF"</a>
                                " · "
                                <a href=csv download class="font-medium text-emerald-800 underline" aria-label=format!("CSV of statement {}", s.number)>"CSV"</a>
                            }
                        });
                        view! {
                            <tr>
                                <td class="whitespace-nowrap px-4 py-3 font-mono text-slate-900">{s.number.clone()}</td>
                                <td class="px-4 py-3 text-slate-700">{s.recipient.clone()}</td>
                                <td class="whitespace-nowrap px-4 py-3 text-slate-700">{s.period_label.clone()}</td>
                                <td class="px-4 py-3 text-right tabular-nums">{s.sessions}</td>
                                <td class="whitespace-nowrap px-4 py-3 text-right tabular-nums">{kwh(s.energy_wh)}</td>
                                <td class="whitespace-nowrap px-4 py-3 text-right tabular-nums text-slate-900">
                                    {s.currency.format(s.gross)}
                                    <span class="block text-xs text-slate-500">{format!("{} + {} VAT", s.currency.format(s.net), s.currency.format(s.vat))}</span>
                                </td>
                                <td class="whitespace-nowrap px-4 py-3">{links}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "Organization settings" → "Billing".
#[component]
pub fn BillingTab() -> impl IntoView {
    let set_zone = ServerAction::<SetTimeZone>::new();
    let set_rates = ServerAction::<SetReimbursementRates>::new();
    let save_billing = ServerAction::<SetBillingDetails>::new();
    let settings = org_resource(
        move || set_zone.version().get() + set_rates.version().get() + save_billing.version().get(),
        get_settlement_settings,
    );
    view! {
        <section aria-labelledby="billing-title" class="max-w-3xl space-y-6">
            <h2 id="billing-title" class="text-lg font-semibold">"Billing"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(s) => view! {
                            <TimeZoneSection settings=s.clone() action=set_zone/>
                            <RatesSection settings=s.clone() action=set_rates/>
                            <BillingDetailsSection settings=s action=save_billing/>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn TimeZoneSection(
    settings: SettlementSettings,
    action: ServerAction<SetTimeZone>,
) -> impl IntoView {
    let org = use_org_id();
    let chosen = RwSignal::new(settings.own_time_zone.clone().unwrap_or_default());
    let error = Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field("time_zone"))
    });
    let choices = settings.time_zone_choices.clone();
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h3 class="font-semibold">"Time zone"</h3>
            <p class="mb-3 mt-1 text-sm text-slate-600">
                {format!("Settlement months and statement dates follow this zone. In force: {}.", settings.time_zone)}
            </p>
            <Notice message=Signal::derive(move || matches!(action.value().get(), Some(Ok(()))).then(|| "The time zone was saved.".to_owned()))/>
            <form class="flex flex-wrap items-end gap-3" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if let Some(org) = org.get_untracked() {
                    action.dispatch(SetTimeZone { org, time_zone: chosen.get_untracked() });
                }
            }>
                <div class="min-w-64">
                    <label for="time-zone" class=LABEL_CLASS>"Time zone"</label>
                    <select id="time-zone" name="time_zone" class=INPUT_CLASS
                        on:change=move |ev| chosen.set(event_target_value(&ev))>
                        <option value="" selected=settings.own_time_zone.is_none()>"Inherit"</option>
                        {choices.into_iter().map(|zone| {
                            let selected = settings.own_time_zone.as_deref() == Some(zone.as_str());
                            view! { <option value=zone.clone() selected=selected>{zone.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <FieldError error=error/>
                </div>
                <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save time zone"</button>
            </form>
        </div>
    }
    .into_any()
}

#[component]
fn RatesSection(
    settings: SettlementSettings,
    action: ServerAction<SetReimbursementRates>,
) -> impl IntoView {
    let org = use_org_id();
    let eur = Currency::default();
    let show = move |p: Option<Price>| p.map_or("not set".to_owned(), |p| eur.format_price(p));
    let in_force = format!(
        "In force: {} per kWh AC, {} per kWh DC.",
        show(settings.rates.0),
        show(settings.rates.1)
    );
    let plain = |p: Option<Price>| p.map(shared::export::decimal_price).unwrap_or_default();
    let ac = RwSignal::new(plain(settings.own_rates.0));
    let dc = RwSignal::new(plain(settings.own_rates.1));
    let fields = FormFields::new(
        move || parse_rates(&ac.get(), &dc.get()).err().unwrap_or_default(),
        move || action.value().get().and_then(|r| r.err()),
    );
    let may_set = settings.may_set_rates;
    let rate_input = move |id: &'static str,
                           name: &'static str,
                           label: &'static str,
                           value: RwSignal<String>| {
        let error = fields.error_for(name);
        view! {
            <div>
                <label for=id class=LABEL_CLASS>{label}</label>
                <input id=id name=name type="text" inputmode="decimal" placeholder="inherit"
                    class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                    aria-invalid=move || error.get().is_some().to_string()
                    prop:value=value on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| fields.touch(name)/>
                <FieldError error=error/>
            </div>
        }
    };
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h3 class="font-semibold">"Reimbursement"</h3>
            <p class="mb-3 mt-1 text-sm text-slate-600">
                "What a settled kWh at this organization's stations is credited on its statement, set by the partner above it."
                " " {in_force}
            </p>
            {if may_set {
                view! {
                    <Notice message=Signal::derive(move || matches!(action.value().get(), Some(Ok(()))).then(|| "The reimbursement rates were saved.".to_owned()))/>
                    <form class="grid gap-4 sm:grid-cols-3 sm:items-end" novalidate on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if !fields.touch_all(&["ac", "dc"]) {
                            return;
                        }
                        if let Some(org) = org.get_untracked() {
                            action.dispatch(SetReimbursementRates { org, ac: ac.get_untracked(), dc: dc.get_untracked() });
                        }
                    }>
                        {rate_input("rate-ac", "ac", "Reimbursement per kWh (AC)", ac)}
                        {rate_input("rate-dc", "dc", "Reimbursement per kWh (DC)", dc)}
                        <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save rates"</button>
                    </form>
                    <FormBanner error=Signal::derive(move || action.value().get().and_then(|r| r.err()).filter(|e| !e.is_field_error()))/>
                }.into_any()
            } else {
                view! { <p class="text-sm text-slate-700">"Your partner sets these rates."</p> }.into_any()
            }}
        </div>
    }
    .into_any()
}

#[component]
fn BillingDetailsSection(
    settings: SettlementSettings,
    action: ServerAction<SetBillingDetails>,
) -> impl IntoView {
    let org = use_org_id();
    let start = settings
        .billing
        .as_ref()
        .map(|b| b.to_form())
        .unwrap_or_else(|| BillingForm {
            kind: CustomerKind::Company.as_str().to_owned(),
            country: "NL".to_owned(),
            ..BillingForm::default()
        });
    let form = RwSignal::new(start);
    let fields = FormFields::new(
        move || {
            form.with(|f| f.parse())
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect()
        },
        move || action.value().get().and_then(|r| r.err()),
    );
    const NAMES: [&str; 8] = [
        "kind",
        "legal_name",
        "address_line",
        "postcode",
        "city",
        "country",
        "vat_number",
        "iban",
    ];
    let text = move |name: &'static str, label: &'static str, hint: &'static str| {
        let id = format!("billing-{name}");
        let error = fields.error_for(name);
        let get = move || {
            form.with(|f| match name {
                "legal_name" => f.legal_name.clone(),
                "address_line" => f.address_line.clone(),
                "postcode" => f.postcode.clone(),
                "city" => f.city.clone(),
                "country" => f.country.clone(),
                "vat_number" => f.vat_number.clone(),
                _ => f.iban.clone(),
            })
        };
        let set = move |value: String| {
            form.update(|f| match name {
                "legal_name" => f.legal_name = value,
                "address_line" => f.address_line = value,
                "postcode" => f.postcode = value,
                "city" => f.city = value,
                "country" => f.country = value,
                "vat_number" => f.vat_number = value,
                _ => f.iban = value,
            })
        };
        view! {
            <div>
                <label for=id.clone() class=LABEL_CLASS>{label}</label>
                <input id=id name=name type="text"
                    class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                    aria-invalid=move || error.get().is_some().to_string()
                    prop:value=get on:input=move |ev| set(event_target_value(&ev))
                    on:blur=move |_| fields.touch(name)/>
                {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
                <FieldError error=error/>
            </div>
        }
    };
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h3 class="font-semibold">"Billing details"</h3>
            <p class="mb-3 mt-1 text-sm text-slate-600">
                "Printed on this organization's credit statements. Statements are issued only once they are filled in; a company's statement carries VAT, a private person's does not."
            </p>
            <Notice message=Signal::derive(move || matches!(action.value().get(), Some(Ok(()))).then(|| "The billing details were saved.".to_owned()))/>
            <form class="grid gap-4 sm:grid-cols-2" novalidate aria-label="Billing details" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if !fields.touch_all(&NAMES) {
                    return;
                }
                if let Some(org) = org.get_untracked() {
                    action.dispatch(SetBillingDetails { org, billing: form.get_untracked() });
                }
            }>
                <div>
                    <label for="billing-kind" class=LABEL_CLASS>"Invoiced as"</label>
                    <select id="billing-kind" name="kind" class=INPUT_CLASS
                        on:change=move |ev| form.update(|f| f.kind = event_target_value(&ev))>
                        {CustomerKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || form.with(|f| f.kind == k.as_str())>{k.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                {text("legal_name", "Legal name", "")}
                {text("address_line", "Address", "Street and number")}
                {text("postcode", "Postcode", "")}
                {text("city", "City", "")}
                {text("country", "Country", "Two letters, e.g. NL")}
                {text("vat_number", "VAT number", "A company in the EU: e.g. NL123456789B01")}
                {text("iban", "IBAN", "Where credits are paid")}
                <div class="sm:col-span-2">
                    <FormBanner error=Signal::derive(move || action.value().get().and_then(|r| r.err()).filter(|e| !e.is_field_error()))/>
                </div>
                <div class="sm:col-span-2">
                    <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save billing details"</button>
                </div>
            </form>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_like_prices_and_empty_inherits() {
        assert_eq!(parse_rates("", ""), Ok((None, None)));
        assert_eq!(
            parse_rates("0.25", "0,30"),
            Ok((Some(Price(2_500)), Some(Price(3_000))))
        );
        let errors = parse_rates("cheap", "-1").unwrap_err();
        assert_eq!(
            errors.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["ac", "dc"]
        );
        assert_eq!(
            statement_href(OrgId(3), 7, "pdf"),
            "/api/documents/statements/7?org=3&format=pdf"
        );
    }
}
