//! The station's Local Authorization List on its "Overview", for administrators of its organization or above:
//! where ChargeDesk's sync stands ("Local list version 12 — in sync (143 passes)", "3 changes pending", "not
//! supported by this station"), its last error, and "Resend full list".
//!
//! The sync itself runs on the server (`server::central_system::local_list`, `storage::local_lists`); the
//! state's wording is `shared::local_list::SyncStatus::headline`. The panel reads the state again every two
//! seconds while it is open, so a pass added in "Passes" shows up here once the station accepted it.

use super::detail::use_station_id;
use crate::components::*;
use crate::error::AppError;
use crate::layout::use_org_id;
use leptos::prelude::*;
use shared::ids::StationId;
use shared::local_list::{SyncStatus, MAX_FAILURES};
use shared::OrgId;
use std::time::Duration;

/// How often the open panel reads the state again.
const REFRESH: Duration = Duration::from_secs(2);

/// Where the station's Local Authorization List stands.
#[server(prefix = "/api", endpoint = "station_local_list")]
pub async fn station_local_list(org: OrgId, station: StationId) -> Result<SyncStatus, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.station_local_list(station).await?)
}

/// "Resend full list": ChargeDesk forgets what it knows of the station's list and sends it whole (now, or when
/// the station connects). Audited.
#[server(prefix = "/api", endpoint = "resend_local_list")]
pub async fn resend_local_list(org: OrgId, station: StationId) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.resend_local_list(station).await?)
}

/// The lines under the headline: what does not fit, what waits, what went wrong.
fn details(status: &SyncStatus) -> Vec<String> {
    let mut lines = Vec::new();
    if status.left_out > 0 {
        lines.push(format!(
            "{} of the {} passes accepted here do not fit into this station's list; they are still accepted while the station is online.",
            status.left_out, status.wanted
        ));
    }
    if status.pending > 0 && !status.online {
        lines.push("The station is offline: the changes are sent when it connects.".into());
    }
    if status.gave_up {
        lines.push(format!(
            "ChargeDesk stopped trying after {MAX_FAILURES} failed attempts in a row. It tries again when the station connects, or now with \u{201c}Resend full list\u{201d}."
        ));
    }
    lines
}

/// The "Local Authorization List" section of a station's page.
#[component]
pub fn LocalListPanel() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let resend = ServerAction::<ResendLocalList>::new();
    let asking = RwSignal::new(false);
    let tick = RwSignal::new(0usize);
    // A resource the server renders and hands over to the browser, not a browser-only one: the page must hydrate
    // onto exactly the markup the server sent. (A browser-only resource that answered before hydration reached
    // this section rendered the list's state where the server had rendered "Reading…": a hydration panic, seen
    // as a page that never came alive.)
    let status = Resource::new(
        move || (org.get(), station.get(), tick.get(), resend.version().get()),
        |(org, station, _, _)| async move {
            match (org, station) {
                (Some(org), Some(station)) => Some(station_local_list(org, station).await),
                _ => None,
            }
        },
    );
    Effect::new(move |_| {
        if status.get().is_some() {
            set_timeout(
                move || {
                    tick.try_update(|t| *t += 1);
                },
                REFRESH,
            );
        }
    });
    // Read without panicking: when a browser leaves the page while the server still renders it, the server
    // disposes the page's reactive values while this closure may still run once (seen in CI as a worker panic).
    let resend_value = resend.value();
    let resend_error = move || resend_value.try_get().flatten().and_then(|r| r.err());
    view! {
        <section aria-labelledby="local-list-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="local-list-title" class="font-semibold">"Local Authorization List"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "The passes this station accepts by itself, so that whitelisted cards also charge while it cannot reach ChargeDesk. ChargeDesk keeps the list equal to the passes it accepts at this station, and clears the station's cache when a pass leaves it."
            </p>
            <div role="status" aria-live="polite" class="mt-3 text-sm">
                <Transition fallback=|| view! { <p class="text-slate-600">"Reading the list's state…"</p> }>
                    {move || Suspend::new(async move {
                        match status.await {
                            Some(Ok(s)) => {
                                let error = s.last_error.clone().map(|(text, at)| format!("Last error ({at}): {text}"));
                                view! {
                                    <p class="font-medium text-slate-900">{s.headline()}</p>
                                    <ul class="mt-1 space-y-1 text-slate-700">
                                        {details(&s).into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                                    </ul>
                                    {error.map(|e| view! { <p class="mt-1 text-red-700">{e}</p> })}
                                }.into_any()
                            }
                            Some(Err(e)) => view! { <p class="text-red-700">{e.to_string()}</p> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Transition>
            </div>
            <div class="mt-4">
                <button type="button" class=SECONDARY_BUTTON on:click=move |_| { resend.clear(); asking.set(true); }>
                    "Resend full list"
                </button>
            </div>
            {move || resend_error().map(|e| view! { <p role="alert" class="mt-2 text-sm text-red-700">{e.to_string()}</p> })}
            {move || asking.get().then(|| view! {
                <ConfirmDialog id="resend-local-list" title="Resend full list"
                    summary="ChargeDesk forgets what it knows of this station's list, reads its version and sends the whole list again.".to_owned()
                    consequence="Use it when the station's list may have been changed by something else, or after failures. The station's authorization cache is cleared too.".to_owned()
                    confirm_label="Resend full list"
                    on_confirm=move || {
                        if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
                            resend.dispatch(ResendLocalList { org, station });
                        }
                        asking.set(false);
                    }
                    on_cancel=move || asking.set(false)/>
            }.into_any())}
        </section>
    }
    .into_any()
}
