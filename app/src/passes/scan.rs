//! "Scan at a station" (tap-to-enrol): pick a station, hold the card against its reader, and the Hidden ID is
//! filled in the moment the station reports it. The browser listens to the server-sent events of
//! `/events/stations/{station}/taps` (see `server::central_system::taps`); no polling.

use crate::components::*;
use crate::layout::org_resource;
use crate::stations::list_stations;
use leptos::prelude::*;
use shared::ids::StationId;
use shared::model::TapEvent;
use shared::OrgId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

/// The open event stream and its handlers (dropping the handlers would detach them).
struct Listening {
    source: EventSource,
    _on_tap: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.source.close();
    }
}

#[component]
pub fn ScanAtStation(
    org: Memo<Option<OrgId>>,
    /// Called with the idTag exactly as the station sent it.
    on_card: impl Fn(String) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let stations = org_resource(|| 0, list_stations);
    let (open, set_open) = signal(false);
    // Set once the stream is open: the server listens for taps from then on.
    let (waiting_at, set_waiting_at) = signal(None::<String>);
    let (connecting, set_connecting) = signal(false);
    let (status, set_status) = signal(None::<String>);
    let listening = StoredValue::new_local(None::<Listening>);

    let stop = move || {
        listening.set_value(None);
        set_waiting_at.set(None);
        set_connecting.set(false);
    };
    on_cleanup(stop);

    let start = move |station: StationId, label: String| {
        stop();
        let Some(org) = org.get_untracked() else {
            return;
        };
        let url = format!("/events/stations/{station}/taps?org={org}");
        let Ok(source) = EventSource::new(&url) else {
            set_status.set(Some("This browser cannot listen to the station.".into()));
            return;
        };
        let read_at = label.clone();
        let on_tap = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let tap = event
                .data()
                .as_string()
                .and_then(|data| serde_json::from_str::<TapEvent>(&data).ok());
            if let Some(tap) = tap {
                on_card(tap.id_tag.clone());
                set_status.set(Some(format!(
                    "Card {} was read at {read_at}: its Hidden ID is filled in.",
                    tap.id_tag
                )));
                stop();
            }
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            // The browser reconnects by itself; a refusal (no access, session ended) closes the stream.
            let closed = listening
                .with_value(|l| {
                    l.as_ref()
                        .map(|l| l.source.ready_state() == EventSource::CLOSED)
                })
                .unwrap_or(false);
            if closed {
                set_status.set(Some(
                    "Could not listen to this station. Reload the page and try again.".into(),
                ));
                stop();
            }
        });
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            set_connecting.set(false);
            set_waiting_at.set(Some(label.clone()));
        });
        let _ = source.add_event_listener_with_callback("tap", on_tap.as_ref().unchecked_ref());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        listening.set_value(Some(Listening {
            source,
            _on_tap: on_tap,
            _on_open: on_open,
            _on_error: on_error,
        }));
        set_status.set(None);
        set_connecting.set(true);
    };

    view! {
        <div class="rounded-md border border-dashed border-slate-300 p-3">
            <button type="button" class=SECONDARY_BUTTON aria-expanded=move || open.get().to_string()
                on:click=move |_| {
                    if open.get_untracked() { stop(); }
                    set_open.update(|o| *o = !*o);
                }>
                "Scan at a station"
            </button>
            <p class="mt-1 text-xs text-slate-500">
                "Don't know the Hidden ID? Pick a station, hold the card against its reader, and the ID is filled in."
            </p>
            <Show when=move || open.get()>
                <div class="mt-3">
                    <label for="scan-station" class=LABEL_CLASS>"Station to scan at"</label>
                    <Transition fallback=Loading>
                        {move || Suspend::new(async move {
                            let list = stations.await.unwrap_or_default();
                            let empty = list.is_empty();
                            let options = list.clone();
                            view! {
                                <select id="scan-station" class=INPUT_CLASS
                                    on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        match options.iter().find(|s| s.id.to_string() == value) {
                                            Some(s) => start(s.id, format!("{} ({})", s.name, s.charge_point_id)),
                                            None => stop(),
                                        }
                                    }>
                                    <option value="">"Select a station…"</option>
                                    {list.into_iter().map(|s| view! {
                                        <option value=s.id.to_string()>{format!("{} ({})", s.name, s.charge_point_id)}</option>
                                    }).collect_view()}
                                </select>
                                {empty.then(|| view! {
                                    <p class="mt-1 text-sm text-slate-600">"This organization has no stations yet: add one under Assets."</p>
                                })}
                            }
                        })}
                    </Transition>
                </div>
            </Show>
            <p class="mt-2 text-sm text-slate-700" role="status">
                {move || connecting.get().then_some("Connecting to the station…")}
                {move || waiting_at.get().map(|at| format!("Waiting for a card at {at}… Hold the card against the station's reader."))}
                {move || status.get()}
            </p>
            <Show when=move || waiting_at.get().is_some() || connecting.get()>
                <button type="button" class=SECONDARY_BUTTON on:click=move |_| stop()>"Stop waiting"</button>
            </Show>
        </div>
    }
}
