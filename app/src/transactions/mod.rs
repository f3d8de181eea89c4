//! "Transactions": the charging sessions at the stations of an organization and its sub-organizations, whether
//! each was whitelisted (free) or settled, and "Download CSV" (the export the help article points to).

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use crate::paging::{list_href, use_page_params, use_path, use_query_value, Pager, AFTER, BEFORE};
use crate::passes::FirstPageLink;
use crate::stations::commands::{
    dispatch_args, CommandForm, CommandProgress, Pick, SendStationCommand, Watched,
};
use crate::stations::list_stations;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::decision::{AuthorizationStatus, Billing};
use shared::ids::StationId;
use shared::model::TransactionSummary;
use shared::paging::{Page, PAGE_FIELD, PAGE_SIZE_DEFAULT};
use shared::time::Timestamp;
use shared::OrgId;

/// How many sessions the CSV holds at most (newest first).
pub const CSV_LIMIT: i64 = 1000;
/// The query-string name of the station filter.
pub const STATION_PARAM: &str = "station";

/// One page of the sessions at `org`'s stations and its sub-organizations', newest first: after or before a cursor
/// of a page shown before (none: the first page), `size` rows (default 50, at most 200), only at `station` when
/// given (a station outside the subtree is not found). A damaged cursor is refused with a readable message; any
/// cursor lists only this subtree's sessions.
#[server(prefix = "/api", endpoint = "list_transactions")]
pub async fn list_transactions(
    org: OrgId,
    after: Option<String>,
    before: Option<String>,
    size: Option<u32>,
    station: Option<StationId>,
) -> Result<Page<TransactionSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let request = crate::paging::page_request(after, before, size)?;
    Ok(org.transactions_page(station, &request).await?)
}

/// A file for the browser to save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvFile {
    pub file_name: String,
    pub contents: String,
}

/// The sessions as CSV (see [`transactions_csv_text`]), named after the organization and today's date.
#[server(prefix = "/api", endpoint = "transactions_csv")]
pub async fn transactions_csv(org: OrgId) -> Result<CsvFile, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let name = org.context().await?.name;
    let list = org.transactions(CSV_LIMIT).await?;
    Ok(CsvFile {
        file_name: csv_file_name(&name, storage::now()),
        contents: transactions_csv_text(&list),
    })
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

/// `2026-11-24 09:05:30`, the UTC time as spreadsheets read it.
fn csv_time(t: Timestamp) -> String {
    let (y, mo, d, h, mi, s) = t.to_utc_parts();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// One CSV field of text (RFC 4180): quoted when it contains a separator (`,` or `;`), a quote, a line break or
/// surrounding spaces, with quotes doubled. Text that a spreadsheet could run as a formula
/// ([`shared::export::could_start_a_formula`]; idTags and names come from stations and users) is prefixed with `'` so that it
/// stays text.
pub fn csv_text(value: &str) -> String {
    let value = if shared::export::could_start_a_formula(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    let needs_quotes = value.contains([',', ';', '"', '\n', '\r'])
        || value.starts_with(' ')
        || value.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One CSV cell: text (escaped by [`csv_text`]) or a number (written as is, so that `-1.5` stays a number).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(String),
    Empty,
}

/// A CSV line, ending in CRLF (RFC 4180).
pub fn csv_line(cells: &[Cell]) -> String {
    let mut line = cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => csv_text(t),
            Cell::Number(n) => n.clone(),
            Cell::Empty => String::new(),
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The CSV export: a header line, then one line per session. Times are UTC; energy in kWh with a decimal point.
pub fn transactions_csv_text(list: &[TransactionSummary]) -> String {
    const HEADER: [&str; 20] = [
        "Transaction ID",
        "Station",
        "Charge point ID",
        "Connector",
        "Pass",
        "User",
        "idTag",
        "Start (UTC)",
        "Stop (UTC)",
        "Meter start (Wh)",
        "Meter stop (Wh)",
        "Energy (kWh)",
        "Status",
        "Billing",
        "Stop reason",
        "Running",
        "Price excl. VAT",
        "VAT",
        "Price incl. VAT",
        "Currency",
    ];
    let mut out = csv_line(&HEADER.map(|h| Cell::Text(h.to_owned())));
    let text = |s: &str| Cell::Text(s.to_owned());
    let opt_text = |s: &Option<String>| s.as_deref().map_or(Cell::Empty, text);
    let number = |n: i64| Cell::Number(n.to_string());
    let money = |m: Option<shared::tariff::Money>| {
        m.map_or(Cell::Empty, |m| {
            Cell::Number(shared::export::decimal_money(m))
        })
    };
    for t in list {
        out.push_str(&csv_line(&[
            number(t.id.0),
            text(&t.station_name),
            text(&t.charge_point_id),
            number(t.connector_id),
            opt_text(&t.pass_nickname),
            opt_text(&t.user_name),
            text(&t.id_tag),
            text(&csv_time(t.started_at)),
            t.stopped_at.map_or(Cell::Empty, |s| text(&csv_time(s))),
            number(t.meter_start_wh),
            t.meter_stop_wh.map_or(Cell::Empty, number),
            t.energy_wh
                .map_or(Cell::Empty, |wh| Cell::Number(kwh(wh, 3))),
            text(t.status.as_str()),
            text(billing_label(t.billing)),
            opt_text(&t.stop_reason),
            text(if t.is_active() { "yes" } else { "no" }),
            money(t.price.map(|p| p.net)),
            money(t.price.map(|p| p.vat)),
            money(t.price.map(|p| p.gross)),
            t.tariff
                .as_ref()
                .filter(|_| t.price.is_some())
                .map_or(Cell::Empty, |tariff| text(tariff.currency.as_str())),
        ]));
    }
    out
}

/// `transactions-brouwerij-de-kroon-2026-11-24.csv`.
pub fn csv_file_name(org_name: &str, today: Timestamp) -> String {
    let mut slug = String::new();
    for c in org_name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let (y, m, d, ..) = today.to_utc_parts();
    if slug.is_empty() {
        format!("transactions-{y:04}-{m:02}-{d:02}.csv")
    } else {
        format!("transactions-{slug}-{y:04}-{m:02}-{d:02}.csv")
    }
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let org = use_org_id();
    let page_params = use_page_params();
    let station = use_query_value(STATION_PARAM);
    let transactions = Resource::new(
        move || (org.get(), page_params.get(), station.get()),
        move |(org, (after, before), station)| async move {
            let Some(org) = org else {
                return Err(AppError::NoAccess);
            };
            let station = match station {
                Some(s) => Some(s.parse::<i64>().map(StationId).map_err(|_| {
                    AppError::invalid(STATION_PARAM, "Choose a station from the list.")
                })?),
                None => None,
            };
            list_transactions(org, after, before, None, station).await
        },
    );
    let download = Action::new(move |org: &OrgId| transactions_csv(*org));
    let download_problem = RwSignal::new(None::<String>);
    Effect::new(move |_| match download.value().get() {
        Some(Ok(file)) => {
            let saved = crate::browser::save_text_file(
                &file.file_name,
                "text/csv;charset=utf-8",
                &file.contents,
            );
            download_problem.set((!saved).then(|| {
                "Your browser did not save the file. Allow downloads for this site and try again.".to_owned()
            }));
        }
        Some(Err(e)) => download_problem.set(Some(e.to_string())),
        None => {}
    });
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
            <button type="button" class=SECONDARY_BUTTON disabled=download.pending()
                on:click=move |_| {
                    if let Some(org) = org.get_untracked() {
                        download.dispatch(org);
                    }
                }>
                <DownloadIcon/>
                {move || if download.pending().get() { "Preparing CSV…" } else { "Download CSV" }}
            </button>
        </PageHeader>
        <p class="mb-4 text-sm text-slate-600">
            {format!("Charging sessions at the stations of this organization and its sub-organizations, newest first, {PAGE_SIZE_DEFAULT} a page (the CSV holds the latest {CSV_LIMIT}). Times are UTC. Whitelisted sessions are free of charge and never invoiced; settled sessions are charged to the card's provider.")}
        </p>
        <div class="mb-2 space-y-2">
            <FormBanner error=Signal::derive(move || send_stop.value().get().and_then(|r| r.err()))/>
            <CommandProgress watched=watched on_end=|| {}/>
        </div>
        {move || download_problem.get().map(|message| view! {
            <div class="mb-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" role="alert">{message}</div>
        })}
        <StationFilter station/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match transactions.await {
                    Err(e) => {
                        let damaged_link = e.for_field(PAGE_FIELD).is_some()
                            || e.for_field(STATION_PARAM).is_some();
                        view! { <ErrorPanel error=e/> {damaged_link.then(|| view! { <FirstPageLink/> })} }.into_any()
                    }
                    Ok(page) if page.items.is_empty() && page.first > 1 => view! {
                        <EmptyState title="No more transactions" hint="The list changed since this page link was made."/>
                        <FirstPageLink/>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() && station.get_untracked().is_some() => view! {
                        <EmptyState title="No transactions at this station yet"
                            hint="Choose “All stations” to see the sessions at every station."/>
                    }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <EmptyState title="No transactions yet"
                            hint="Charging sessions appear here once a station of this organization reports a StartTransaction."/>
                    }.into_any(),
                    Ok(page) => {
                        let path = use_path().get_untracked();
                        let filter = [(STATION_PARAM, station.get_untracked())];
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

/// "Station": the sessions at every station of the subtree, or at one; choosing starts at the first page.
#[component]
fn StationFilter(station: Memo<Option<String>>) -> impl IntoView {
    let stations = org_resource(|| 0, list_stations);
    let path = use_path();
    let navigate = leptos_router::hooks::use_navigate();
    let choose = move |ev: leptos::ev::Event| {
        let chosen = Some(event_target_value(&ev)).filter(|v| !v.is_empty());
        navigate(
            &list_href(&path.get_untracked(), &[(STATION_PARAM, chosen)], None),
            Default::default(),
        );
    };
    view! {
        <Transition>
            {move || {
                let choose = choose.clone();
                Suspend::new(async move {
                let stations = stations.await.unwrap_or_default();
                view! {
                    <div class="mb-3 flex items-center gap-2">
                        <label for="transaction-station-filter" class="text-sm font-medium text-slate-700">"Station"</label>
                        <select id="transaction-station-filter" class="rounded-md border border-slate-300 px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-emerald-600/40"
                            on:change=choose>
                            <option value="" selected=move || station.get().is_none()>"All stations"</option>
                            {stations.into_iter().map(|s| {
                                let id = s.id.to_string();
                                let chosen = id.clone();
                                view! {
                                    <option value=id selected=move || station.get().as_deref() == Some(chosen.as_str())>
                                        {format!("{} ({})", s.name, s.charge_point_id)}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                }
            })}}
        </Transition>
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
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
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
    use shared::PassId;

    #[test]
    fn csv_text_is_quoted_only_when_needed() {
        // (value, field)
        let cases = [
            ("Laadpaal Zuid", "Laadpaal Zuid"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("a;b", "\"a;b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\rhere", "\"cr\rhere\""),
            (" padded", "\" padded\""),
            ("padded ", "\"padded \""),
            ("Zürich", "Zürich"),
        ];
        for (value, expected) in cases {
            assert_eq!(csv_text(value), expected, "{value:?}");
        }
    }

    #[test]
    fn csv_text_never_starts_a_formula() {
        // (value, field): every value a spreadsheet could run as a formula gets a leading `'`.
        let cases = [
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+31", "'+31"),
            ("-1 level", "'-1 level"),
            ("@SUM(A1)", "'@SUM(A1)"),
            // A tab or a carriage return at the start, whatever follows.
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            // Leading whitespace before a formula character.
            (" =1+1", "' =1+1"),
            ("   @SUM(A1)", "'   @SUM(A1)"),
            ("\t=cmd", "'\t=cmd"),
            ("\r\n+31", "\"'\r\n+31\""),
            ("\n-2", "\"'\n-2\""),
            ("\u{A0}=1", "'\u{A0}=1"),
            ("\u{2003}\u{3000}+1", "'\u{2003}\u{3000}+1"),
            ("\u{200B}=1", "'\u{200B}=1"),
            ("\u{FEFF}@x", "'\u{FEFF}@x"),
            // Full-width and small forms, and the minus sign.
            ("\u{FF1D}1+1", "'\u{FF1D}1+1"),
            ("\u{FF0B}31", "'\u{FF0B}31"),
            ("\u{FF0D}1", "'\u{FF0D}1"),
            ("\u{FF20}SUM(A1)", "'\u{FF20}SUM(A1)"),
            (" \u{FF1D}1", "' \u{FF1D}1"),
            ("\u{FE66}1", "'\u{FE66}1"),
            ("\u{2212}1", "'\u{2212}1"),
            // Plain text stays as it is, also with a formula character further in or leading spaces alone.
            ("04AAAB11CD2345", "04AAAB11CD2345"),
            ("a=b", "a=b"),
            ("Jan - van Dijk", "Jan - van Dijk"),
            (" padded", "\" padded\""),
            ("\nsecond line", "\"\nsecond line\""),
            ("Ｚürich", "Ｚürich"),
        ];
        for (value, expected) in cases {
            assert_eq!(csv_text(value), expected, "{value:?}");
        }
    }

    #[test]
    fn numbers_are_written_as_numbers() {
        assert_eq!(
            csv_line(&[
                Cell::Number("-1.500".into()),
                Cell::Empty,
                Cell::Text("x".into())
            ]),
            "-1.500,,x\r\n"
        );
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

    #[test]
    fn the_export_has_a_header_and_one_line_per_session() {
        let csv = transactions_csv_text(&[session(true), session(false)]);
        let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].starts_with("Transaction ID,Station,Charge point ID,"));
        assert_eq!(
            lines[1],
            "7,\"Brewery yard, left\",CP-KROON-1,1,Delivery van tag,Fatima El Amrani,04A1B2C3D4E5F6,\
             2026-11-24 09:05:30,2026-11-24 10:05:30,1000,13345,12.345,Accepted,Whitelisted (free),Local,no,,,,"
        );
        assert!(
            lines[2].ends_with(",1000,,,Accepted,Whitelisted (free),,yes,,,,"),
            "{}",
            lines[2]
        );
        let header_fields = lines[0].split(',').count();
        assert_eq!(header_fields, 20);
        assert!(csv.ends_with("\r\n"));
        assert_eq!(transactions_csv_text(&[]).lines().count(), 1);
    }

    #[test]
    fn file_names_are_safe_and_dated() {
        let day = Timestamp(1_795_511_130_000);
        assert_eq!(
            csv_file_name("Brouwerij De Kroon", day),
            "transactions-brouwerij-de-kroon-2026-11-24.csv"
        );
        assert_eq!(
            csv_file_name("Hotel Zonneveld / Zürich!", day),
            "transactions-hotel-zonneveld-z-rich-2026-11-24.csv"
        );
        assert_eq!(csv_file_name("***", day), "transactions-2026-11-24.csv");
    }
}
