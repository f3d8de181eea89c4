//! The "Logs" tab: a station's OCPP messages, newest first, with the "Filter selection" by message type and a
//! time range (UTC), paged with "Older messages". A message opens to its JSON; an Authorize or StartTransaction
//! shows its idTag with "Copy idTag" and, for a card that matches no pass, "Add as pass". This is how the help
//! article finds a card's Hidden ID.

use super::detail::{add_as_pass_href, station_resource, use_station_id};
use super::{field, get_station, station_logs, LogQuery, LOG_ACTIONS};
use crate::components::*;
use crate::error::AppError;
use crate::layout::use_org_id;
use leptos::prelude::*;
use shared::model::{FrameDirection, OcppLogEntry, LOG_PAGE_DEFAULT};
use shared::time::Timestamp;
use shared::OrgId;

/// The filter as typed: (action, from, to).
type RawFilter = (String, String, String);

/// `2026-11-24 09:05:30 UTC`: log entries need the seconds.
pub fn with_seconds(t: Timestamp) -> String {
    let (y, mo, d, h, mi, s) = t.to_utc_parts();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// The payload indented for reading; as stored if it is not JSON.
pub fn pretty_json(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| payload.to_owned())
}

#[component]
pub fn StationLogsTab() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let action = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let detail = station_resource(|| 0, get_station);
    let check = Memo::new(move |_| LogQuery::parse(&action.get(), &from.get(), &to.get()));
    // The filter in force: the last valid one. Changing it (or "Refresh") starts again at the newest message.
    let applied = RwSignal::new(RawFilter::default());
    let refresh = RwSignal::new(0usize);
    Effect::new(move |_| {
        if check.with(|c| c.is_ok()) {
            let typed = (action.get(), from.get(), to.get());
            if applied.get_untracked() != typed {
                applied.set(typed);
            }
        }
    });
    let first_page = Resource::new(
        move || (org.get(), station.get(), applied.get(), refresh.get()),
        move |(org, station, (a, f, t), _)| async move {
            match (org, station) {
                (Some(org), Some(station)) => {
                    station_logs(org, station, Some(a), Some(f), Some(t), None).await
                }
                _ => Err(AppError::NoAccess),
            }
        },
    );
    // Pages loaded with "Older messages", for the current filter only (`generation` counts filter changes).
    let generation = RwSignal::new(0usize);
    let older = RwSignal::new(Vec::<OcppLogEntry>::new());
    let older_done = RwSignal::new(false);
    Effect::new(move |_| {
        applied.track();
        refresh.track();
        generation.update(|g| *g += 1);
        older.set(Vec::new());
        older_done.set(false);
    });
    let load_older = Action::new(move |(gen, before): &(usize, i64)| {
        let (gen, before) = (*gen, *before);
        let (a, f, t) = applied.get_untracked();
        let ids = org.get_untracked().zip(station.get_untracked());
        async move {
            let page = match ids {
                Some((org, station)) => {
                    station_logs(org, station, Some(a), Some(f), Some(t), Some(before)).await
                }
                None => Err(AppError::NoAccess),
            };
            (gen, page)
        }
    });
    let older_error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some((gen, page)) = load_older.value().get() {
            if gen != generation.get_untracked() {
                return;
            }
            match page {
                Ok(list) => {
                    older_done.set((list.len() as i64) < LOG_PAGE_DEFAULT);
                    older.update(|o| o.extend(list));
                    older_error.set(None);
                }
                Err(e) => older_error.set(Some(e)),
            }
        }
    });
    let field_error = move |name: &'static str| {
        Signal::derive(move || {
            check.with(|c| {
                c.as_ref().err().and_then(|errors| {
                    errors
                        .iter()
                        .find(|(f, _)| *f == name)
                        .map(|(_, m)| m.clone())
                })
            })
        })
    };
    let (from_error, to_error) = (field_error(field::FROM), field_error(field::TO));
    let filtered =
        move || applied.with_untracked(|(a, f, t)| !(a.is_empty() && f.is_empty() && t.is_empty()));

    view! {
        <section aria-labelledby="logs-title">
            <h2 id="logs-title" class="sr-only">"Logs"</h2>
            <form role="search" aria-label="Filter the logs" on:submit=move |ev| ev.prevent_default()
                class="mb-2 flex flex-wrap items-start gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <div class="min-w-48">
                    <label for="log-action" class=LABEL_CLASS>"Filter selection"</label>
                    <select id="log-action" name="action" class=INPUT_CLASS
                        on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="" selected=move || action.get().is_empty()>"All messages"</option>
                        {LOG_ACTIONS.iter().map(|&a| view! {
                            <option value=a selected=move || action.get() == a>{a}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="log-from" class=LABEL_CLASS>"From (UTC)"</label>
                    <input id="log-from" name=field::FROM type="datetime-local" step="1"
                        class=move || if from_error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                        aria-invalid=move || from_error.get().is_some().to_string()
                        aria-describedby="log-time-hint"
                        prop:value=from
                        on:input=move |ev| from.set(event_target_value(&ev))/>
                    <FieldError error=from_error/>
                </div>
                <div>
                    <label for="log-to" class=LABEL_CLASS>"To (UTC)"</label>
                    <input id="log-to" name=field::TO type="datetime-local" step="1"
                        class=move || if to_error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                        aria-invalid=move || to_error.get().is_some().to_string()
                        aria-describedby="log-time-hint"
                        prop:value=to
                        on:input=move |ev| to.set(event_target_value(&ev))/>
                    <FieldError error=to_error/>
                </div>
                <div class="flex gap-2 self-end">
                    <button type="button" class=SECONDARY_BUTTON on:click=move |_| refresh.update(|r| *r += 1)>"Refresh"</button>
                    <button type="button" class=SECONDARY_BUTTON
                        on:click=move |_| { action.set(String::new()); from.set(String::new()); to.set(String::new()); }>
                        "Clear filter"
                    </button>
                </div>
            </form>
            <p id="log-time-hint" class="mb-4 text-xs text-slate-700">
                "Times are in UTC, like every time shown here. Answers (CALLRESULT, CALLERROR) are listed under the action of the message they answer. Select a message to see its content."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let page = first_page.await;
                    // "Add as pass" adds the card in the station's own organization, where it counts.
                    let owner = detail.await.ok().map(|d| d.summary.org_id);
                    match (page, owner) {
                        (Err(e), _) => view! { <ErrorPanel error=e/> }.into_any(),
                        (Ok(list), _) if list.is_empty() => if filtered() {
                            view! { <EmptyState title="No messages match this filter" hint="Choose another message type or time range, or clear the filter."/> }.into_any()
                        } else {
                            view! { <EmptyState title="No messages yet" hint="Messages appear here once the station connects to its OCPP URL."/> }.into_any()
                        },
                        (Ok(list), Some(org)) => {
                            let full = (list.len() as i64) >= LOG_PAGE_DEFAULT;
                            view! {
                                <LogTable org=org first=list older=older/>
                                <div class="mt-4 flex items-center gap-3">
                                    <Show when=move || full && !older_done.get()
                                        fallback=|| view! { <p class="text-sm text-slate-600">"No older messages."</p> }>
                                        <button type="button" class=SECONDARY_BUTTON disabled=load_older.pending()
                                            on:click=move |_| {
                                                let last = older.with_untracked(|o| o.last().map(|e| e.id));
                                                if let Some(before) = last.or(last_id_of_first_page(first_page)) {
                                                    load_older.dispatch((generation.get_untracked(), before));
                                                }
                                            }>
                                            "Older messages"
                                        </button>
                                    </Show>
                                    <FormBanner error=older_error/>
                                </div>
                            }.into_any()
                        }
                        (Ok(_), None) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

fn last_id_of_first_page(page: Resource<Result<Vec<OcppLogEntry>, AppError>>) -> Option<i64> {
    page.get_untracked()
        .and_then(|r| r.ok())
        .and_then(|list| list.last().map(|e| e.id))
}

#[component]
fn LogTable(
    org: OrgId,
    first: Vec<OcppLogEntry>,
    older: RwSignal<Vec<OcppLogEntry>>,
) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"OCPP messages, newest first"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-2 font-medium">"Time"</th>
                        <th scope="col" class="px-4 py-2 font-medium">"Direction"</th>
                        <th scope="col" class="px-4 py-2 font-medium">"Type"</th>
                        <th scope="col" class="px-4 py-2 font-medium">"Action"</th>
                        <th scope="col" class="px-4 py-2 font-medium">"Unique ID"</th>
                    </tr>
                </thead>
                {first.into_iter().map(|e| view! { <LogRow org=org entry=e/> }).collect_view()}
                <For each=move || older.get() key=|e| e.id let(e)>
                    <LogRow org=org entry=e/>
                </For>
            </table>
        </div>
    }
    .into_any()
}

/// One message: a summary row that opens to the message's content. Each is its own `<tbody>`, so that the
/// summary and its content stay together.
#[component]
fn LogRow(org: OrgId, entry: OcppLogEntry) -> impl IntoView {
    let open = RwSignal::new(false);
    let detail_id = format!("log-entry-{}", entry.id);
    let (arrow, direction) = match entry.direction {
        FrameDirection::Incoming => ("← station", entry.direction.label()),
        FrameDirection::Outgoing => ("→ station", entry.direction.label()),
    };
    let type_class = match entry.message_type {
        shared::model::FrameType::Call => "font-mono text-xs text-slate-700",
        shared::model::FrameType::CallResult => "font-mono text-xs text-emerald-800",
        shared::model::FrameType::CallError => "font-mono text-xs font-semibold text-red-800",
    };
    let time = with_seconds(entry.at);
    let label = format!(
        "{} {} {} at {}",
        entry.message_type.label(),
        entry.action.as_deref().unwrap_or(""),
        direction.to_lowercase(),
        time
    );
    let json = pretty_json(&entry.payload);
    let id_tag = entry.id_tag.clone();
    let known = entry.id_tag_known;
    view! {
        <tbody class="border-b border-slate-100">
            <tr class="cursor-pointer hover:bg-slate-50" on:click=move |_| open.update(|o| *o = !*o)>
                <td class="whitespace-nowrap px-4 py-2">
                    <button type="button" class="text-left text-emerald-800 hover:underline focus:outline-none focus:ring-2 focus:ring-emerald-600/40"
                        aria-expanded=move || open.get().to_string() aria-controls=detail_id.clone() aria-label=label>
                        {time.clone()}
                    </button>
                </td>
                <td class="whitespace-nowrap px-4 py-2 text-slate-700" title=direction>
                    <span aria-hidden="true">{arrow}</span>
                    <span class="sr-only">{direction}</span>
                </td>
                <td class="px-4 py-2"><span class=type_class>{entry.message_type.label()}</span></td>
                <td class="px-4 py-2 text-slate-900">
                    {entry.action.clone().unwrap_or_else(|| "—".to_owned())}
                    {entry.id_tag.clone().map(|tag| view! {
                        <span class="ml-2 font-mono text-xs text-slate-600" title="idTag">{tag}</span>
                    })}
                    {entry.outcome.clone().map(|outcome| {
                        let class = outcome_class(&outcome);
                        view! { <span class=class title="Outcome">{outcome}</span> }
                    })}
                </td>
                <td class="px-4 py-2 font-mono text-xs text-slate-600">{entry.unique_id.clone()}</td>
            </tr>
            <Show when=move || open.get()>
                <tr id=detail_id.clone() class="bg-slate-50">
                    <td colspan="5" class="px-4 py-3">
                        {id_tag.clone().map(|tag| view! {
                            <div class="mb-3 flex flex-wrap items-center gap-3">
                                <span class="text-sm text-slate-700">"idTag "<code class="rounded bg-white px-2 py-1 font-mono text-slate-900 ring-1 ring-slate-200">{tag.clone()}</code></span>
                                <CopyButton text=tag.clone() label="Copy idTag"/>
                                {if known {
                                    view! { <span class="text-sm text-slate-600">"This card matches a pass that counts at this station."</span> }.into_any()
                                } else {
                                    view! {
                                        <a href=add_as_pass_href(org, &tag) class=PRIMARY_BUTTON>"Add as pass"</a>
                                        <span class="text-sm text-slate-600">"No pass that counts at this station matches this card (passes of the station's organization and its sub-organizations count)."</span>
                                    }.into_any()
                                }}
                            </div>
                        }.into_any())}
                        <pre class="max-h-96 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100"
                            aria-label="Message content">{json.clone()}</pre>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
    .into_any()
}

/// The badge of an answer's outcome: green for a yes, red for a no or an error, grey otherwise.
pub fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "Accepted" | "Unlocked" | "Scheduled" => {
            "ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900"
        }
        "Invalid" | "Blocked" | "Expired" | "ConcurrentTx" | "Rejected" | "UnlockFailed"
        | "Failed" | "VersionMismatch" | "NotSupported" | "NotImplemented" | "UnknownVendorId"
        | "UnknownMessageId" | "invalid answer" => {
            "ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900"
        }
        // CALLERROR codes.
        code if code.ends_with("Violation") || code.ends_with("Error") => {
            "ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900"
        }
        _ => "ml-2 rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-800",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_coloured_by_what_they_mean() {
        assert!(outcome_class("Accepted").contains("emerald"));
        assert!(outcome_class("Invalid").contains("red"));
        assert!(outcome_class("PropertyConstraintViolation").contains("red"));
        assert!(outcome_class("GenericError").contains("red"));
        assert!(outcome_class("RebootRequired").contains("slate"));
    }

    #[test]
    fn log_times_show_seconds_in_utc() {
        assert_eq!(
            with_seconds(Timestamp(1_795_511_130_000)),
            "2026-11-24 09:05:30 UTC"
        );
    }

    #[test]
    fn payloads_are_indented_and_non_json_is_kept() {
        assert_eq!(
            pretty_json(r#"{"idTag":"04AAAB11CD2345"}"#),
            "{\n  \"idTag\": \"04AAAB11CD2345\"\n}"
        );
        assert_eq!(pretty_json("not json"), "not json");
    }
}
