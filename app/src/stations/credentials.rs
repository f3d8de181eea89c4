//! How a station proves who it is, as the pages show it: what to enter in the station (the OCPP URL, the user name
//! and a password shown only once, each with a copy button), and the "Unauthenticated" warning badge of a station
//! that may connect without a password.

use super::ocpp_path;
use crate::browser::use_websocket_origin;
use crate::components::*;
use leptos::prelude::*;
use shared::station::UnauthenticatedAllowed;

/// What the "Unauthenticated" badge means, as its title and for screen readers.
pub const UNAUTHENTICATED_EXPLANATION: &str =
    "Connects without a password: anyone who can reach its OCPP URL can connect as this station.";

/// The warning badge of a station that may connect without a password.
#[component]
pub fn UnauthenticatedBadge() -> impl IntoView {
    view! {
        <span class="inline-flex items-center gap-1 whitespace-nowrap rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300"
            title=UNAUTHENTICATED_EXPLANATION>
            <span aria-hidden="true">"⚠"</span>
            "Unauthenticated"
            <span class="sr-only">{format!(": {UNAUTHENTICATED_EXPLANATION}")}</span>
        </span>
    }
    .into_any()
}

/// "Allowed since … by …", and for a station that had no password before passwords became required, that this
/// is why.
pub fn allowed_since(allowed: &UnauthenticatedAllowed) -> String {
    if allowed.by_migration() {
        format!(
            "Allowed since {}: the station had no password when ChargeDesk began to require one, so the update kept it connecting without one.",
            allowed.since
        )
    } else {
        format!("Allowed since {} by {}.", allowed.since, allowed.by)
    }
}

/// One read-only value to enter in the station, with its label and a copy button.
#[component]
fn CopyField(
    id: &'static str,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    copy_label: &'static str,
) -> impl IntoView {
    view! {
        <div>
            <label for=id class=LABEL_CLASS>{label}</label>
            <div class="flex flex-wrap items-center gap-2">
                <input id=id type="text" readonly spellcheck="false" autocomplete="off"
                    class="mt-1 min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900"
                    prop:value=move || value.get()/>
                {move || view! { <CopyButton text=value.get() label=copy_label/> }.into_any()}
            </div>
        </div>
    }
    .into_any()
}

/// What to configure in the station: the OCPP URL, the user name (its charge point ID) and, when one was just
/// generated, its password, which is shown only this once.
#[component]
pub fn ConnectionSettings(charge_point_id: String, password: Option<String>) -> impl IntoView {
    let origin = use_websocket_origin();
    let path = ocpp_path(&charge_point_id);
    let url = Signal::derive(move || format!("{}{}", origin.get(), path));
    let user = Signal::stored(charge_point_id);
    view! {
        <div class="space-y-3">
            <CopyField id="station-ocpp-url" label="OCPP URL" value=url copy_label="Copy URL"/>
            <CopyField id="station-user-name" label="User name" value=user copy_label="Copy user name"/>
            {password.map(|password| view! {
                <CopyField id="station-password" label="Password" value=Signal::stored(password) copy_label="Copy password"/>
                <p class="rounded-md bg-amber-50 px-3 py-2 text-sm font-medium text-amber-950 ring-1 ring-amber-200">
                    "Copy the password now: it is shown only this once. ChargeDesk keeps only a hash of it; if it is lost, generate a new one in the station's Settings."
                </p>
            })}
        </div>
    }
    .into_any()
}
