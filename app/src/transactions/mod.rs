//! "Transactions": the charging sessions at the stations of an organization and its sub-organizations, whether
//! each was whitelisted (free) or settled; the filter (kept in the address), its totals and energy per day, and
//! "Download CSV" / "Download XLSX" of exactly the filtered sessions (the streamed `server::export` route).

pub mod chart;

use crate::components::*;
use crate::error::AppError;
use crate::layout::use_org_id;
use crate::paging::{list_href, use_page_params, use_path, Pager, AFTER, BEFORE};
use crate::passes::{list_passes, FirstPageLink};
use crate::stations::commands::{
    dispatch_args, CommandForm, CommandProgress, Pick, SendStationCommand, Watched,
};
use crate::stations::list_stations;
use crate::users::list_users;
use chart::EnergyChart;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::decision::{AuthorizationStatus, Billing};
use shared::model::TransactionSummary;
use shared::paging::{grouped, Page, PAGE_FIELD, PAGE_SIZE_DEFAULT};
use shared::transactions::{
    BillingFilter, TransactionFilter, TransactionQuery, TransactionsOverview as Overview, ACTIVE,
    BILLING, FIELDS, FROM, PASS, STATION, TO, USER,
};
use shared::OrgId;

/// The filter a server function was given, checked as the page checks it (the first wrong field is refused).
pub fn checked_filter(filter: Option<TransactionQuery>) -> Result<TransactionFilter, AppError> {
    filter
        .unwrap_or_default()
        .parse()
        .map_err(AppError::first_invalid)
}

/// One page of the sessions at `org`'s stations and its sub-organizations' that `filter` selects, newest first:
/// after or before a cursor of a page shown before (none: the first page), `size` rows (default 50, at most 200).
/// A station or user outside the subtree is not found; a damaged cursor or filter is refused with a readable
/// message at its field; any cursor lists only this subtree's sessions.
#[server(prefix = "/api", endpoint = "list_transactions")]
pub async fn list_transactions(
    org: OrgId,
    after: Option<String>,
    before: Option<String>,
    size: Option<u32>,
    filter: Option<TransactionQuery>,
) -> Result<Page<TransactionSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let request = crate::paging::page_request(after, before, size)?;
    let filter = checked_filter(filter)?;
    Ok(org.filtered_transactions_page(&filter, &request).await?)
}

/// The totals and the energy per day of the sessions `filter` selects (days in `org`'s time zone).
#[server(prefix = "/api", endpoint = "transactions_overview")]
pub async fn transactions_overview(
    org: OrgId,
    filter: Option<TransactionQuery>,
) -> Result<Overview, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let filter = checked_filter(filter)?;
    Ok(org.transactions_overview(&filter).await?)
}

/// The download of `filter`'s sessions: `/api/export/transactions.csv?org=3&billing=settled` (`extension`
/// "csv" or "xlsx"), the same pairs the page's address holds.
pub fn export_href(org: OrgId, filter: &TransactionFilter, extension: &str) -> String {
    let mut pairs = vec![("org", Some(org.to_string()))];
    pairs.extend(filter.pairs().into_iter().map(|(n, v)| (n, Some(v))));
    list_href(
        &format!("/api/export/transactions.{extension}"),
        &pairs,
        None,
    )
}

/// "The file holds 1,234 sessions; your browser shows the download's progress."
pub fn download_note(sessions: u64) -> String {
    let count = match sessions {
        1 => "1 session".to_owned(),
        n => format!("{} sessions", grouped(n)),
    };
    format!("The file holds {count} (the filter's); your browser shows the download's progress.")
}

/// What the "Billing" column says: "Whitelisted (free)", "Settled", or "Not charged" for a refused card.
pub fn billing_label(billing: Option<Billing>) -> &'static str {
    match billing {
        Some(Billing::Free) => "Whitelisted (free)",
        Some(Billing::Settled) => "Settled",
        None => "Not charged",
    }
}

/// What the "Price" column says about a session, and a note under it: the price including VAT of a stopped
/// settled session (the note: excluding VAT and the VAT), why a settled one has none, "Free" for a whitelisted
/// or Open session, "Running" while a settled one charges, "—" for a refused card.
pub fn price_label(t: &TransactionSummary) -> (String, Option<String>) {
    let currency = t
        .tariff
        .as_ref()
        .map(|tariff| tariff.currency.clone())
        .unwrap_or_default();
    match (t.billing, t.price, &t.price_note) {
        (None, _, _) => ("—".to_owned(), None),
        (Some(Billing::Free), _, _) => ("Free".to_owned(), None),
        (Some(Billing::Settled), Some(price), _) => (
            currency.format(price.gross),
            Some(format!(
                "{} excl. VAT + {} VAT",
                currency.format(price.net),
                currency.format(price.vat)
            )),
        ),
        (Some(Billing::Settled), None, Some(note)) => ("—".to_owned(), Some(note.clone())),
        (Some(Billing::Settled), None, None) if t.is_active() => (
            "Running".to_owned(),
            t.tariff.as_ref().map(|tariff| {
                format!(
                    "{}/kWh, priced when it stops",
                    tariff.currency.format_price(tariff.per_kwh)
                )
            }),
        ),
        (Some(Billing::Settled), None, None) => ("—".to_owned(), None),
    }
}

/// Wh as kWh with `decimals` decimals and a decimal point: `12345` → `"12.35"` (2 decimals).
pub fn kwh(wh: i64, decimals: usize) -> String {
    format!("{:.*}", decimals, wh as f64 / 1000.0)
}

/// The filter the address holds, as text (what the form shows and the server functions are given).
fn use_transaction_query() -> Memo<TransactionQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| {
            let values: Vec<(&str, String)> = FIELDS
                .iter()
                .filter_map(|field| q.get(field).map(|v| (*field, v)))
                .collect();
            TransactionQuery::from_pairs(values.iter().map(|(n, v)| (*n, v.as_str())))
        })
    })
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let org = use_org_id();
    let page_params = use_page_params();
    let query = use_transaction_query();
    let parsed = Memo::new(move |_| query.with(TransactionQuery::parse));
    let transactions = Resource::new(
        move || (org.get(), page_params.get(), query.get()),
        move |(org, (after, before), query)| async move {
            let Some(org) = org else {
                return Err(AppError::NoAccess);
            };
            // A wrong filter is shown at its field; the server is not asked.
            checked_filter(Some(query.clone()))?;
            list_transactions(org, after, before, None, Some(query)).await
        },
    );
    let overview = Resource::new(
        move || (org.get(), query.get()),
        move |(org, query)| async move {
            let Some(org) = org else {
                return Err(AppError::NoAccess);
            };
            checked_filter(Some(query.clone()))?;
            transactions_overview(org, Some(query)).await
        },
    );
    // "Remote stop" of an active session: confirmed, sent to its station, followed until the station answered.
    let stop_asked = RwSignal::new(None::<TransactionSummary>);
    let send_stop = ServerAction::<SendStationCommand>::new();
    let watched = RwSignal::new(None::<Watched>);
    Effect::new(move |_| {
        if let Some(Ok(command)) = send_stop.value().get() {
            if let (Some(org), Some(t)) = (org.get_untracked(), stop_asked.get_untracked()) {
                watched.set(Some((org, t.station_id, command.id)));
            }
            stop_asked.set(None);
        }
    });
    let download = move |extension: &'static str, label: &'static str| {
        move || match (org.get(), parsed.get()) {
            (Some(org), Ok(filter)) => view! {
                <a class=SECONDARY_BUTTON href=export_href(org, &filter, extension) download="">
                    <DownloadIcon/>{label}
                </a>
            }
            .into_any(),
            _ => view! {
                <span class=SECONDARY_BUTTON aria-disabled="true"><DownloadIcon/>{label}</span>
            }
            .into_any(),
        }
    };
    view! {
        {move || stop_asked.get().map(|t| {
            let transaction = t.id;
            let station = t.station_id;
            view! {
                <ConfirmDialog id="remote-stop" title="Remote stop"
                    summary=format!("Transaction {} on connector {} at {} ({}).", t.id, t.connector_id, t.station_name, t.charge_point_id)
                    consequence="The station ends the session and sends its final meter reading.".to_owned()
                    confirm_label="Send remote stop"
                    on_confirm=move || {
                        if let Some(org) = org.get_untracked() {
                            send_stop.dispatch(dispatch_args(org, station, Pick::RemoteStop, CommandForm {
                                transaction: transaction.to_string(),
                                ..CommandForm::default()
                            }));
                        }
                    }
                    on_cancel=move || stop_asked.set(None)/>
            }
        })}
        <PageHeader title="Transactions">
            {download("csv", "Download CSV")}
            {download("xlsx", "Download XLSX")}
        </PageHeader>
        <p class="mb-4 text-sm text-slate-600">
            {format!("Charging sessions at the stations of this organization and its sub-organizations, newest first, {PAGE_SIZE_DEFAULT} a page. Times in the list are UTC; the filter's days are the organization's. Whitelisted sessions are free of charge and never invoiced; settled sessions are charged to the card's provider. The downloads hold every session the filter selects.")}
        </p>
        <div class="mb-2 space-y-2">
            <FormBanner error=Signal::derive(move || send_stop.value().get().and_then(|r| r.err()))/>
            <CommandProgress watched=watched on_end=|| {}/>
        </div>
        <TransactionFilterForm query parsed/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! {
                        <div class="mb-3 space-y-1">
                            <p id="transaction-totals" class="text-base font-medium text-slate-900" aria-live="polite">{o.totals.label()}</p>
                            <p class="text-sm text-slate-600">{download_note(o.totals.sessions)}</p>
                        </div>
                        <EnergyChart per_day=o.per_day/>
                    }.into_any(),
                    // A wrong filter is shown at its field, other trouble with the list below.
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match transactions.await {
                    Err(e) if parsed.with_untracked(|p| p.is_err()) => {
                        let _ = e;
                        view! {
                            <EmptyState title="Correct the filter" hint="A field of the filter above needs another value."/>
                        }.into_any()
                    }
                    Err(e) => {
                        let damaged_link = e.for_field(PAGE_FIELD).is_some()
                            || FIELDS.iter().any(|f| e.for_field(f).is_some())
                            || matches!(e, AppError::NotFound { .. });
                        view! { <ErrorPanel error=e/> {damaged_link.then(|| view! { <FirstPageLink/> })} }.into_any()
                    }
                    Ok(page) if page.items.is_empty() && page.first > 1 => view! {
                        <EmptyState title="No more transactions" hint="The list changed since this page link was made."/>
                        <FirstPageLink/>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() && parsed.with_untracked(|p| p.as_ref().is_ok_and(|f| !f.is_empty())) => view! {
                        <EmptyState title="No transactions match this filter"
                            hint="Choose another period or “All” to see more sessions."/>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <EmptyState title="No transactions yet"
                            hint="Charging sessions appear here once a station of this organization reports a StartTransaction."/>
                    }.into_any(),
                    Ok(page) => {
                        let path = use_path().get_untracked();
                        let filter: Vec<(&str, Option<String>)> = parsed
                            .get_untracked()
                            .map(|f| f.pairs().into_iter().map(|(n, v)| (n, Some(v))).collect())
                            .unwrap_or_default();
                        view! {
                            <TransactionsTable transactions=page.items.clone() stop=stop_asked/>
                            <Pager label="Pages of transactions" range=page.range_label()
                                previous=page.previous.map(|c| list_href(&path, &filter, Some((BEFORE, c))))
                                next=page.next.map(|c| list_href(&path, &filter, Some((AFTER, c))))/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The choices of the filter's lists: the subtree's stations, the organization's users, its passes (the first
/// page of them).
type FilterChoices = (
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String)>,
);

/// The filter: "From", "To", "Station", "User", "Pass", "Billing", "Active only". Applying it navigates to the
/// same page with the filter in the address (a GET form through the router: shareable, the back button works,
/// usable before the wasm has loaded); each wrong field says why under it.
#[component]
fn TransactionFilterForm(
    query: Memo<TransactionQuery>,
    parsed: Memo<Result<TransactionFilter, Vec<shared::transactions::FieldError>>>,
) -> impl IntoView {
    let org = use_org_id();
    let path = use_path();
    let choices = Resource::new(
        move || org.get(),
        |org| async move {
            let Some(org) = org else {
                return Err(AppError::NoAccess);
            };
            let stations = list_stations(org)
                .await?
                .into_iter()
                .map(|s| {
                    (
                        s.id.to_string(),
                        format!("{} ({})", s.name, s.charge_point_id),
                    )
                })
                .collect();
            let users = list_users(org)
                .await?
                .into_iter()
                .map(|u| (u.id.to_string(), u.full_name()))
                .collect();
            let passes = list_passes(org, None, None, Some(200), None)
                .await?
                .items
                .into_iter()
                .map(|p| {
                    (
                        p.id.to_string(),
                        format!("{} ({})", p.nickname, p.user_name),
                    )
                })
                .collect();
            Ok::<FilterChoices, AppError>((stations, users, passes))
        },
    );
    let error = move |field: &'static str| {
        Signal::derive(move || {
            parsed.with(|p| {
                p.as_ref()
                    .err()
                    .and_then(|errors| errors.iter().find(|(f, _)| *f == field))
                    .map(|(_, message)| message.clone())
            })
        })
    };
    let value = move |field: &'static str| {
        move || query.with(|q| q.get(field).unwrap_or_default().to_owned())
    };
    let input_class = move |field: &'static str| {
        move || {
            if error(field).get().is_some() {
                INPUT_INVALID_CLASS
            } else {
                INPUT_CLASS
            }
        }
    };
    let select = move |field: &'static str,
                       label: &'static str,
                       all: &'static str,
                       options: Vec<(String, String)>| {
        let id = format!("transaction-filter-{field}");
        view! {
            <div>
                <label for=id.clone() class=LABEL_CLASS>{label}</label>
                <select id=id name=field class=input_class(field) prop:value=value(field)>
                    <option value="" selected=move || value(field)().is_empty()>{all}</option>
                    {options.into_iter().map(|(v, text)| {
                        let chosen = v.clone();
                        view! { <option value=v selected=move || value(field)() == chosen>{text}</option> }
                    }).collect_view()}
                </select>
                <FieldError error=error(field)/>
            </div>
        }
    };
    let date = move |field: &'static str, label: &'static str| {
        let id = format!("transaction-filter-{field}");
        view! {
            <div>
                <label for=id.clone() class=LABEL_CLASS>{label}</label>
                <input id=id type="date" name=field class=input_class(field) value=value(field) prop:value=value(field)/>
                <FieldError error=error(field)/>
            </div>
        }
    };
    let active = move || query.with(|q| matches!(q.get(ACTIVE), Some("true" | "yes" | "1" | "on")));
    view! {
        <section aria-label="Filter" class="mb-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let (stations, users, passes) = choices.await.unwrap_or_default();
                    let billing = BillingFilter::ALL
                        .into_iter()
                        .map(|b| (b.as_str().to_owned(), b.label().to_owned()))
                        .collect();
                    view! {
                        <leptos_router::components::Form method="GET" action=move || path.get()>
                            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
                                {date(FROM, "From")}
                                {date(TO, "To")}
                                {select(STATION, "Station", "All stations", stations)}
                                {select(USER, "User", "All users", users)}
                                {select(PASS, "Pass", "All passes", passes)}
                                {select(BILLING, "Billing", "All", billing)}
                                <div class="flex items-end">
                                    <label class="inline-flex items-center gap-2 text-sm font-medium text-slate-700">
                                        <input type="checkbox" name=ACTIVE value="true" checked=active prop:checked=active
                                            class="h-4 w-4 rounded border-slate-300 text-emerald-700 focus:ring-emerald-600/40"/>
                                        "Active only"
                                    </label>
                                    <FieldError error=error(ACTIVE)/>
                                </div>
                                <div class="flex items-end gap-2">
                                    <button type="submit" class=PRIMARY_BUTTON>"Apply filter"</button>
                                    <leptos_router::components::A href=move || path.get() attr:class=SECONDARY_BUTTON>"Clear"</leptos_router::components::A>
                                </div>
                            </div>
                        </leptos_router::components::Form>
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DownloadIcon() -> impl IntoView {
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
            class="h-4 w-4" aria-hidden="true">
            <path stroke-linecap="round" stroke-linejoin="round" d="M12 4v11m0 0-4-4m4 4 4-4M5 19h14"/>
        </svg>
    }
}

fn status_badge(status: AuthorizationStatus) -> impl IntoView {
    let class = match status {
        AuthorizationStatus::Accepted => {
            "whitespace-nowrap rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900"
        }
        AuthorizationStatus::Blocked | AuthorizationStatus::Invalid => {
            "whitespace-nowrap rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900"
        }
    };
    view! { <span class=class>{status.as_str()}</span> }
}

pub fn billing_badge(billing: Option<Billing>) -> impl IntoView {
    let class = match billing {
        Some(Billing::Free) => {
            "whitespace-nowrap rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900"
        }
        Some(Billing::Settled) => {
            "whitespace-nowrap rounded-full bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-900"
        }
        None => "whitespace-nowrap rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700",
    };
    view! { <span class=class>{billing_label(billing)}</span> }
}

#[component]
fn TransactionsTable(
    transactions: Vec<TransactionSummary>,
    /// Asks to stop an active transaction remotely (after a confirmation).
    stop: RwSignal<Option<TransactionSummary>>,
) -> impl IntoView {
    view! {
        // Focusable, so that the keyboard can scroll a table wider than the screen.
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm" tabindex="0" role="region"
            aria-label="Transactions table">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Transactions, newest first"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-3 font-medium">"Station"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Connector"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Pass / user"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"idTag"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Start"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Stop"</th>
                        <th scope="col" class="px-4 py-3 text-right font-medium">"Energy"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Status"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Billing"</th>
                        <th scope="col" class="px-4 py-3 text-right font-medium">"Price"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {transactions.into_iter().map(|t| {
                        let energy = match (t.energy_wh, t.last_meter_wh) {
                            (Some(wh), _) => format!("{} kWh", kwh(wh, 2)),
                            (None, Some(last)) => format!("{} kWh so far", kwh(last - t.meter_start_wh, 2)),
                            (None, None) => "—".to_owned(),
                        };
                        view! {
                            <tr>
                                <td class="px-4 py-3">
                                    <span class="block whitespace-nowrap font-medium text-slate-900">{t.station_name.clone()}</span>
                                    <span class="whitespace-nowrap font-mono text-xs text-slate-500">{t.charge_point_id.clone()}</span>
                                </td>
                                <td class="px-4 py-3 text-slate-700">{t.connector_id}</td>
                                <td class="px-4 py-3 text-slate-700">
                                    {match (&t.pass_nickname, &t.user_name) {
                                        (None, None) => view! { <span class="text-slate-500">"Unknown card"</span> }.into_any(),
                                        (pass, user) => view! {
                                            <span class="block whitespace-nowrap text-slate-900">{pass.clone().unwrap_or_default()}</span>
                                            <span class="whitespace-nowrap text-xs text-slate-500">{user.clone().unwrap_or_default()}</span>
                                        }.into_any(),
                                    }}
                                </td>
                                <td class="whitespace-nowrap px-4 py-3 font-mono text-xs text-slate-700">{t.id_tag.clone()}</td>
                                <td class="whitespace-nowrap px-4 py-3 text-slate-600">{t.started_at.to_string()}</td>
                                <td class="whitespace-nowrap px-4 py-3 text-slate-600">
                                    {match t.stopped_at {
                                        Some(s) => view! { <span>{s.to_string()}</span> }.into_any(),
                                        None => {
                                            let asked = t.clone();
                                            let label = format!("Remote stop of transaction {} at {}", t.id, t.station_name);
                                            view! {
                                                <span class="whitespace-nowrap rounded-full bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-900">"Charging"</span>
                                                <button type="button" class="ml-2 text-xs font-medium text-emerald-800 underline hover:text-emerald-900 focus:outline-none focus:ring-2 focus:ring-emerald-600/40"
                                                    aria-label=label on:click=move |_| stop.set(Some(asked.clone()))>"Remote stop"</button>
                                            }.into_any()
                                        }
                                    }}
                                </td>
                                <td class="whitespace-nowrap px-4 py-3 text-right tabular-nums text-slate-900">{energy}</td>
                                <td class="px-4 py-3">{status_badge(t.status)}</td>
                                <td class="px-4 py-3">
                                    {billing_badge(t.billing)}
                                    <span class="mt-1 block max-w-xs text-xs text-slate-500">{t.decision_reason.clone()}</span>
                                </td>
                                <td class="px-4 py-3 text-right">
                                    {let (price, note) = price_label(&t);
                                    view! {
                                        <span class="block whitespace-nowrap tabular-nums text-slate-900">{price}</span>
                                        {note.map(|n| view! { <span class="mt-1 block max-w-xs text-xs text-slate-500">{n}</span> })}
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{StationId, TransactionId};
    use shared::time::Timestamp;
    use shared::PassId;

    #[test]
    fn the_downloads_carry_the_pages_filter() {
        let filter = TransactionQuery::from_pairs([("billing", "settled"), ("from", "2026-11-01")])
            .parse()
            .unwrap();
        assert_eq!(
            export_href(OrgId(3), &filter, "xlsx"),
            "/api/export/transactions.xlsx?org=3&from=2026-11-01&billing=settled"
        );
        assert_eq!(
            export_href(OrgId(3), &TransactionFilter::default(), "csv"),
            "/api/export/transactions.csv?org=3"
        );
        assert_eq!(
            download_note(1234),
            "The file holds 1,234 sessions (the filter's); your browser shows the download's progress."
        );
        assert!(download_note(1).contains("holds 1 session "));
    }

    #[test]
    fn a_server_function_refuses_a_wrong_filter_at_its_field() {
        assert_eq!(checked_filter(None), Ok(TransactionFilter::default()));
        let wrong = TransactionQuery::from_pairs([("billing", "free"), ("station", "x")]);
        let e = checked_filter(Some(wrong)).unwrap_err();
        assert!(e.for_field(STATION).is_some(), "{e:?}");
    }

    #[test]
    fn energy_is_written_in_kwh() {
        assert_eq!(kwh(12_345, 2), "12.35");
        assert_eq!(kwh(12_345, 3), "12.345");
        assert_eq!(kwh(-500, 3), "-0.500");
        assert_eq!(kwh(0, 2), "0.00");
    }

    #[test]
    fn the_price_column_says_what_a_session_cost_or_why_not() {
        use shared::model::StoredPrice;
        use shared::tariff::{Currency, Money, Price, Tariff};
        let free = session(true);
        assert_eq!(price_label(&free), ("Free".to_owned(), None));
        let refused = TransactionSummary {
            billing: None,
            ..session(true)
        };
        assert_eq!(price_label(&refused).0, "—");
        let tariff = Tariff {
            currency: Currency::default(),
            start_fee: Money(100),
            per_kwh: Price(3_500),
            per_hour_charging: Price(0),
            per_hour_idle: Price(0),
            idle_free_minutes: 0,
            max_per_session: None,
            vat_basis_points: 2_100,
        };
        let settled = TransactionSummary {
            billing: Some(Billing::Settled),
            tariff: Some(tariff.clone()),
            price: Some(StoredPrice {
                net: Money(532),
                vat: Money(112),
                gross: Money(644),
            }),
            ..session(true)
        };
        assert_eq!(
            price_label(&settled),
            (
                "€6.44".to_owned(),
                Some("€5.32 excl. VAT + €1.12 VAT".to_owned())
            )
        );
        let running = TransactionSummary {
            billing: Some(Billing::Settled),
            tariff: Some(tariff),
            ..session(false)
        };
        assert_eq!(
            price_label(&running),
            (
                "Running".to_owned(),
                Some("€0.35/kWh, priced when it stops".to_owned())
            )
        );
        let unpriced = TransactionSummary {
            billing: Some(Billing::Settled),
            price_note: Some("No tariff was set.".into()),
            ..session(true)
        };
        assert_eq!(
            price_label(&unpriced),
            ("—".to_owned(), Some("No tariff was set.".to_owned()))
        );
    }

    fn session(stopped: bool) -> TransactionSummary {
        TransactionSummary {
            id: TransactionId(7),
            station_id: StationId(1),
            station_name: "Brewery yard, left".into(),
            charge_point_id: "CP-KROON-1".into(),
            connector_id: 1,
            id_tag: "04A1B2C3D4E5F6".into(),
            pass_id: Some(PassId(3)),
            pass_nickname: Some("Delivery van tag".into()),
            user_name: Some("Fatima El Amrani".into()),
            status: AuthorizationStatus::Accepted,
            billing: Some(Billing::Free),
            // 2026-11-24 09:05:30 UTC
            started_at: Timestamp(1_795_511_130_000),
            meter_start_wh: 1000,
            stopped_at: stopped.then_some(Timestamp(1_795_514_730_000)),
            meter_stop_wh: stopped.then_some(13_345),
            energy_wh: stopped.then_some(12_345),
            last_meter_wh: None,
            stop_reason: stopped.then(|| "Local".into()),
            tariff: None,
            price: None,
            price_note: None,
            decision_reason: "pass is whitelisted".into(),
        }
    }
}
