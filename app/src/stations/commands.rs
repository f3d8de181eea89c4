//! Commands to a station, for administrators of its organization or above: the "Commands" tab (Remote start,
//! Remote stop of an active transaction, Unlock connector, Reset, Change availability, Clear cache, Trigger
//! message — each confirmed in a dialog — the progress of the command just sent and the station's command
//! history) and the "Configuration" tab (the station's keys as GetConfiguration read them; a writable key can be
//! changed).
//!
//! A command is stored and queued by the server (`storage::OrgAdmin::queue_command`) and sent by whichever
//! server instance holds the station's connection; the page follows it by asking for it again every second
//! until it ended ("Accepted", "Rejected", "station offline, queued", "no answer in 30 s" …).

// `send_station_command` takes the form's fields as its arguments, like every server function here; the
// client stub its macro generates cannot carry an attribute of its own.
#![allow(clippy::too_many_arguments)]

use super::detail::{station_resource, use_station_id};
use super::logs::with_seconds;
use crate::components::*;
use crate::error::AppError;
use crate::layout::use_org_id;
use leptos::prelude::*;
use shared::command::{
    Availability, ConfigKey, ConfigValue, Connector, ResetKind, StationAction, StationCommand,
    StationConfiguration, TriggerKind,
};
use shared::ids::{CommandId, StationId, TransactionId};
use shared::model::TransactionSummary;
use shared::OrgId;
use std::time::Duration;

/// The form fields' names (for field errors from the server).
pub mod field {
    /// Which command.
    pub const COMMAND: &str = "command";
    /// The pass of a remote start.
    pub const CARD: &str = "card";
    /// A connector.
    pub const CONNECTOR: &str = "connector";
    /// A configuration key.
    pub const KEY: &str = "key";
    /// A configuration value.
    pub const VALUE: &str = "value";
    /// The option of a command (reset type, availability, message).
    pub const OPTION: &str = "option";
    /// The transaction of a remote stop.
    pub const TRANSACTION: &str = "transaction";
}

/// How many of a station's transactions the "Commands" tab looks through for active ones.
#[cfg(feature = "ssr")]
const ACTIVE_TRANSACTIONS_SCAN: i64 = 200;

/// Sends the command the form describes to the station (or queues it, or stores it as refused when the station
/// is offline and the command does not wait): the command as its history shows it. The fields are checked by
/// [`build_action`], as in the browser; a bad one is refused with its field's name.
#[server(prefix = "/api", endpoint = "send_station_command")]
pub async fn send_station_command(
    org: OrgId,
    station: StationId,
    command: String,
    #[server(default)] card: String,
    #[server(default)] connector: String,
    #[server(default)] option: String,
    #[server(default)] key: String,
    #[server(default)] value: String,
    #[server(default)] transaction: String,
) -> Result<StationCommand, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    use shared::command::CommandRequest;
    let pick = Pick::parse(&command)
        .ok_or_else(|| AppError::invalid(field::COMMAND, "Choose a command."))?;
    let form = CommandForm {
        card,
        connector,
        option,
        key,
        value,
        transaction,
    };
    let action = build_action(pick, &form).map_err(|(f, m)| AppError::invalid(f, m))?;
    let request = match action {
        StationAction::RemoteStart { card, connector } => {
            let id_tag =
                org.remote_start_id_tag(&card)
                    .await
                    .map_err(|e| match AppError::from(e) {
                        AppError::NotFound { .. } => AppError::invalid(
                            field::CARD,
                            "No pass with this Public Card ID or Hidden ID in this organization.",
                        ),
                        AppError::Conflict { message, .. } => {
                            AppError::invalid(field::CARD, message)
                        }
                        other => other,
                    })?;
            CommandRequest::RemoteStart { id_tag, connector }
        }
        StationAction::RemoteStop { transaction } => {
            org.active_transaction_of(station, transaction).await?;
            CommandRequest::RemoteStop { transaction }
        }
        StationAction::UnlockConnector { connector } => {
            CommandRequest::UnlockConnector { connector }
        }
        StationAction::Reset { kind } => CommandRequest::Reset { kind },
        StationAction::ChangeAvailability {
            connector,
            availability,
        } => CommandRequest::ChangeAvailability {
            connector,
            availability,
        },
        StationAction::ClearCache => CommandRequest::ClearCache,
        StationAction::TriggerMessage { message, connector } => {
            CommandRequest::TriggerMessage { message, connector }
        }
        StationAction::GetConfiguration => CommandRequest::GetConfiguration { keys: Vec::new() },
        StationAction::ChangeConfiguration { key, value } => {
            CommandRequest::ChangeConfiguration { key, value }
        }
    };
    Ok(org.queue_command(station, request).await?)
}

/// The station's newest commands, newest first.
#[server(prefix = "/api", endpoint = "station_commands")]
pub async fn station_commands(
    org: OrgId,
    station: StationId,
) -> Result<Vec<StationCommand>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.station_commands(station).await?)
}

/// One command of the station, as it is now.
#[server(prefix = "/api", endpoint = "get_station_command")]
pub async fn get_station_command(
    org: OrgId,
    station: StationId,
    command: CommandId,
) -> Result<StationCommand, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.station_command(station, command).await?)
}

/// The station's configuration as last read; `None` before it was read.
#[server(prefix = "/api", endpoint = "get_station_configuration")]
pub async fn get_station_configuration(
    org: OrgId,
    station: StationId,
) -> Result<Option<StationConfiguration>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.station_configuration(station).await?)
}

/// The station's active transactions (among its newest [`ACTIVE_TRANSACTIONS_SCAN`]).
#[server(prefix = "/api", endpoint = "station_active_transactions")]
pub async fn station_active_transactions(
    org: OrgId,
    station: StationId,
) -> Result<Vec<TransactionSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org
        .station_transactions(station, ACTIVE_TRANSACTIONS_SCAN)
        .await?
        .into_iter()
        .filter(|t| t.stopped_at.is_none())
        .collect())
}

/// The commands an administrator may send, as the form names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    RemoteStart,
    RemoteStop,
    UnlockConnector,
    Reset,
    ChangeAvailability,
    ClearCache,
    TriggerMessage,
    GetConfiguration,
    ChangeConfiguration,
}

impl Pick {
    /// The commands with a button of their own on the "Commands" tab (Remote stop is offered on each active
    /// transaction, the configuration commands on the "Configuration" tab).
    const BUTTONS: [Pick; 6] = [
        Pick::RemoteStart,
        Pick::UnlockConnector,
        Pick::Reset,
        Pick::ChangeAvailability,
        Pick::ClearCache,
        Pick::TriggerMessage,
    ];
    const ALL: [Pick; 9] = [
        Pick::RemoteStart,
        Pick::RemoteStop,
        Pick::UnlockConnector,
        Pick::Reset,
        Pick::ChangeAvailability,
        Pick::ClearCache,
        Pick::TriggerMessage,
        Pick::GetConfiguration,
        Pick::ChangeConfiguration,
    ];

    /// The form's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Pick::RemoteStart => "remote_start",
            Pick::RemoteStop => "remote_stop",
            Pick::UnlockConnector => "unlock_connector",
            Pick::Reset => "reset",
            Pick::ChangeAvailability => "change_availability",
            Pick::ClearCache => "clear_cache",
            Pick::TriggerMessage => "trigger_message",
            Pick::GetConfiguration => "get_configuration",
            Pick::ChangeConfiguration => "change_configuration",
        }
    }

    /// The command named `s` ([`Pick::as_str`]).
    pub fn parse(s: &str) -> Option<Pick> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The button's and the dialog's name.
    pub fn label(self) -> &'static str {
        match self {
            Pick::RemoteStart => "Remote start",
            Pick::RemoteStop => "Remote stop",
            Pick::UnlockConnector => "Unlock connector",
            Pick::Reset => "Reset",
            Pick::ChangeAvailability => "Change availability",
            Pick::ClearCache => "Clear cache",
            Pick::TriggerMessage => "Trigger message",
            Pick::GetConfiguration => "Read configuration",
            Pick::ChangeConfiguration => "Change configuration",
        }
    }

    /// What the command does, in the dialog.
    pub fn explanation(self) -> &'static str {
        match self {
            Pick::RemoteStart => "The station starts a charging session with this pass, as if it had been held against the reader. Whether it is free or settled is decided as for any card.",
            Pick::RemoteStop => "The station ends the session and sends its final meter reading.",
            Pick::UnlockConnector => "The station releases the cable on this connector. A session running on it stops.",
            Pick::Reset => "A soft reset stops running sessions and restarts the station's software; a hard reset reboots the station.",
            Pick::ChangeAvailability => "An inoperative connector (or station, with connector 0) accepts no new sessions until it is made operative again. If the station is offline, this waits for it for up to 24 hours.",
            Pick::ClearCache => "The station forgets the cards it authorized before, so that every card is checked with ChargeDesk again. If the station is offline, this waits for it for up to 24 hours.",
            Pick::TriggerMessage => "The station sends this message now (e.g. its connectors' status).",
            Pick::GetConfiguration => "The station reports its configuration keys.",
            Pick::ChangeConfiguration => "The station accepts the new value, rejects it, or needs a reboot for it to count.",
        }
    }
}

/// A command's fields, as typed (also the server function's arguments).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandForm {
    /// Remote start: the pass's Public Card ID or Hidden ID.
    pub card: String,
    /// The connector (empty where it is optional).
    pub connector: String,
    /// Reset: `soft`/`hard`; Change availability: `operative`/`inoperative`; Trigger message: the message.
    pub option: String,
    /// Change configuration: the key and its new value.
    pub key: String,
    pub value: String,
    /// Remote stop: the transaction.
    pub transaction: String,
}

/// The command `pick` with the fields of `form`, or the first field error (field name, message): the browser
/// checks the dialog with it, and the server the request.
pub fn build_action(
    pick: Pick,
    form: &CommandForm,
) -> Result<StationAction, (&'static str, String)> {
    let optional_connector = |input: &str| -> Result<Option<Connector>, (&'static str, String)> {
        if input.trim().is_empty() {
            Ok(None)
        } else {
            Connector::parse(input)
                .map(Some)
                .map_err(|e| (field::CONNECTOR, e.to_string()))
        }
    };
    let option = form.option.trim();
    Ok(match pick {
        Pick::RemoteStart => {
            let card = form.card.trim();
            if card.is_empty() {
                return Err((
                    field::CARD,
                    "Enter the Public Card ID or Hidden ID of a pass.".into(),
                ));
            }
            StationAction::RemoteStart {
                card: card.to_owned(),
                connector: optional_connector(&form.connector)?,
            }
        }
        Pick::RemoteStop => StationAction::RemoteStop {
            transaction: form
                .transaction
                .trim()
                .parse::<i64>()
                .map(TransactionId)
                .map_err(|_| {
                    (
                        field::TRANSACTION,
                        "Choose an active transaction.".to_owned(),
                    )
                })?,
        },
        Pick::UnlockConnector => StationAction::UnlockConnector {
            connector: Connector::parse(&form.connector)
                .map_err(|e| (field::CONNECTOR, e.to_string()))?,
        },
        Pick::Reset => StationAction::Reset {
            kind: match option {
                "soft" => ResetKind::Soft,
                "hard" => ResetKind::Hard,
                _ => return Err((field::OPTION, "Choose a soft or a hard reset.".into())),
            },
        },
        Pick::ChangeAvailability => StationAction::ChangeAvailability {
            connector: Connector::parse_or_station(&form.connector)
                .map_err(|e| (field::CONNECTOR, e.to_string()))?,
            availability: match option {
                "operative" => Availability::Operative,
                "inoperative" => Availability::Inoperative,
                _ => return Err((field::OPTION, "Choose operative or inoperative.".into())),
            },
        },
        Pick::ClearCache => StationAction::ClearCache,
        Pick::TriggerMessage => StationAction::TriggerMessage {
            message: TriggerKind::parse(option)
                .ok_or_else(|| (field::OPTION, "Choose the message to trigger.".to_owned()))?,
            connector: optional_connector(&form.connector)?,
        },
        Pick::GetConfiguration => StationAction::GetConfiguration,
        Pick::ChangeConfiguration => StationAction::ChangeConfiguration {
            key: ConfigKey::parse(&form.key).map_err(|e| (field::KEY, e.to_string()))?,
            value: ConfigValue::parse(&form.value).map_err(|e| (field::VALUE, e.to_string()))?,
        },
    })
}

/// The server function's arguments for `pick` with `form`.
pub fn dispatch_args(
    org: OrgId,
    station: StationId,
    pick: Pick,
    form: CommandForm,
) -> SendStationCommand {
    SendStationCommand {
        org,
        station,
        command: pick.as_str().to_owned(),
        card: form.card,
        connector: form.connector,
        option: form.option,
        key: form.key,
        value: form.value,
        transaction: form.transaction,
    }
}

/// A command being followed: the organization it was sent in, its station, and its id.
pub type Watched = (OrgId, StationId, CommandId);

/// Follows the command `watched` (asking the server every second until it ended) and shows where it is, in a
/// live region; `on_end` runs once it ended.
#[component]
pub fn CommandProgress(
    watched: RwSignal<Option<Watched>>,
    on_end: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let tick = RwSignal::new(0usize);
    let current = LocalResource::new(move || {
        let (watched, _) = (watched.get(), tick.get());
        async move {
            match watched {
                Some((org, station, command)) => {
                    Some(get_station_command(org, station, command).await)
                }
                None => None,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Some(Ok(command))) = current.get() {
            if command.state.is_final() {
                on_end();
            } else {
                set_timeout(move || tick.update(|t| *t += 1), Duration::from_secs(1));
            }
        }
    });
    view! {
        <div role="status" aria-live="polite" class="min-h-6 text-sm">
            {move || match current.get() {
                Some(Some(Ok(command))) => {
                    let status = command.status_text();
                    let detail = command.detail.clone();
                    view! {
                        <p class="rounded-md bg-slate-100 px-3 py-2 text-slate-800">
                            <span class="font-medium">{command.summary.clone()}</span>": "{status}
                            {detail.map(|d| view! { <span class="block text-slate-700">{d}</span> })}
                        </p>
                    }.into_any()
                }
                Some(Some(Err(e))) => view! { <p class="text-red-700">{e.to_string()}</p> }.into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}

/// The dialog of one command: its fields, what it does, "Send" and "Cancel".
#[component]
fn CommandDialog(
    pick: Pick,
    station_name: String,
    send: ServerAction<SendStationCommand>,
    on_close: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let form = RwSignal::new(CommandForm {
        connector: match pick {
            Pick::UnlockConnector => "1".into(),
            Pick::ChangeAvailability => "0".into(),
            _ => String::new(),
        },
        option: match pick {
            Pick::Reset => "soft".into(),
            Pick::ChangeAvailability => "inoperative".into(),
            Pick::TriggerMessage => TriggerKind::StatusNotification.as_str().into(),
            _ => String::new(),
        },
        ..CommandForm::default()
    });
    let local_error = RwSignal::new(None::<(&'static str, String)>);
    let error_for = move |name: &'static str| {
        Signal::derive(move || {
            local_error
                .get()
                .filter(|(f, _)| *f == name)
                .map(|(_, m)| m)
                .or_else(|| {
                    send.value()
                        .get()
                        .and_then(|r| r.err())
                        .and_then(|e| e.for_field(name))
                })
        })
    };
    let banner = Signal::derive(move || {
        send.value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| !e.is_field_error())
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = form.get_untracked();
        match build_action(pick, &typed) {
            Err(error) => local_error.set(Some(error)),
            Ok(_) => {
                local_error.set(None);
                if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
                    send.dispatch(dispatch_args(org, station, pick, typed));
                }
            }
        }
    };
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    let text_input = move |name: &'static str,
                           label: &'static str,
                           hint: Option<&'static str>,
                           value: fn(&CommandForm) -> String,
                           set: fn(&mut CommandForm, String),
                           numeric: bool| {
        let id = format!("command-{name}");
        let error = error_for(name);
        let error_id = format!("{id}-error");
        let described = error_id.clone();
        view! {
            <div>
                <label for=id.clone() class=LABEL_CLASS>{label}</label>
                <input id=id name=name type="text" inputmode=if numeric { "numeric" } else { "text" }
                    class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby=described
                    prop:value=move || form.with(value)
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)); }/>
                {hint.map(|h| view! { <p class="mt-1 text-xs text-slate-700">{h}</p> })}
                <p id=error_id class="mt-1 text-sm text-red-700">{move || error.get()}</p>
            </div>
        }
    };
    let fields = match pick {
        Pick::RemoteStart => view! {
            {text_input(field::CARD, "Pass (Public Card ID or Hidden ID)", None, |f| f.card.clone(), |f, v| f.card = v, false)}
            {text_input(field::CONNECTOR, "Connector", Some("Empty: the station chooses."), |f| f.connector.clone(), |f, v| f.connector = v, true)}
        }.into_any(),
        Pick::UnlockConnector => text_input(field::CONNECTOR, "Connector", None, |f| f.connector.clone(), |f, v| f.connector = v, true).into_any(),
        Pick::Reset => view! {
            <fieldset>
                <legend class=LABEL_CLASS>"Reset type"</legend>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="radio" name="reset" value="soft" checked=move || form.get().option == "soft" on:change=move |_| form.update(|f| f.option = "soft".into())/>
                    "Soft (restart the software)"
                </label>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="radio" name="reset" value="hard" checked=move || form.get().option == "hard" on:change=move |_| form.update(|f| f.option = "hard".into())/>
                    "Hard (reboot the station)"
                </label>
            </fieldset>
        }.into_any(),
        Pick::ChangeAvailability => view! {
            {text_input(field::CONNECTOR, "Connector", Some("0: the whole station."), |f| f.connector.clone(), |f, v| f.connector = v, true)}
            <fieldset>
                <legend class=LABEL_CLASS>"Availability"</legend>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="radio" name="availability" value="operative" checked=move || form.get().option == "operative" on:change=move |_| form.update(|f| f.option = "operative".into())/>
                    "Operative"
                </label>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="radio" name="availability" value="inoperative" checked=move || form.get().option == "inoperative" on:change=move |_| form.update(|f| f.option = "inoperative".into())/>
                    "Inoperative"
                </label>
            </fieldset>
        }.into_any(),
        // No fields (the others have dialogs of their own elsewhere).
        Pick::ClearCache | Pick::RemoteStop | Pick::GetConfiguration | Pick::ChangeConfiguration => {
            ().into_any()
        }
        Pick::TriggerMessage => view! {
            <div>
                <label for="command-message" class=LABEL_CLASS>"Message"</label>
                <select id="command-message" name="message" class=INPUT_CLASS
                    on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| f.option = v); }>
                    {TriggerKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || form.get().option == k.as_str()>{k.as_str()}</option>
                    }).collect_view()}
                </select>
            </div>
            {text_input(field::CONNECTOR, "Connector", Some("Empty: the whole station, or every connector."), |f| f.connector.clone(), |f, v| f.connector = v, true)}
        }.into_any(),
    };
    Effect::new(move |_| {
        if let Some(button) = cancel_ref.get() {
            let _ = button.focus();
        }
    });
    let title_id = "command-dialog-title";
    view! {
        <div class="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 px-4"
            on:keydown=move |ev| if ev.key() == "Escape" { on_close() }>
            <div role="dialog" aria-modal="true" aria-labelledby=title_id aria-describedby="command-dialog-text"
                class="w-full max-w-md rounded-lg bg-white p-6 shadow-xl">
                <h2 id=title_id class="text-lg font-semibold">{pick.label()}</h2>
                <p id="command-dialog-text" class="mt-2 text-sm text-slate-700">
                    "Station: "<span class="font-medium">{station_name}</span><br/>{pick.explanation()}
                </p>
                <form on:submit=submit aria-label=pick.label() class="mt-4 space-y-3" novalidate=true>
                    {fields}
                    <FormBanner error=banner/>
                    <div class="mt-6 flex justify-end gap-2">
                        <button type="button" class=SECONDARY_BUTTON node_ref=cancel_ref on:click=move |_| on_close()>"Cancel"</button>
                        <button type="submit" class=DANGER_BUTTON disabled=move || send.pending().get()>
                            {format!("Send {}", pick.label().to_lowercase())}
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
}

/// The "Commands" tab.
#[component]
pub fn StationCommandsTab() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let send = ServerAction::<SendStationCommand>::new();
    let open = RwSignal::new(None::<Pick>);
    let watched = RwSignal::new(None::<Watched>);
    let ended = RwSignal::new(0usize);
    let history = station_resource(move || send.version().get() + ended.get(), station_commands);
    let active = station_resource(move || ended.get(), station_active_transactions);
    let detail = station_resource(|| 0, super::get_station);
    let stop_asked = RwSignal::new(None::<TransactionSummary>);
    Effect::new(move |_| {
        if let Some(Ok(command)) = send.value().get() {
            open.set(None);
            stop_asked.set(None);
            if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
                watched.set(Some((org, station, command.id)));
            }
        }
    });
    let station_name = move || {
        detail
            .get()
            .and_then(|d| d.ok())
            .map(|d| format!("{} ({})", d.summary.name, d.summary.charge_point_id))
            .unwrap_or_default()
    };
    view! {
        <div class="space-y-6">
            {view! {<section aria-labelledby="commands-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                <h2 id="commands-title" class="text-lg font-semibold">"Send a command"</h2>
                <p class="mb-4 mt-1 text-sm text-slate-600">
                    "ChargeDesk sends one command at a time and waits up to 30 seconds for the station's answer. A station that is offline gets a configuration change, a change of availability or clearing its cache when it connects again (within 24 hours); the other commands are only sent to a connected station."
                </p>
                <div class="flex flex-wrap gap-2">
                    {Pick::BUTTONS.into_iter().map(|pick| view! {
                        <button type="button" class=SECONDARY_BUTTON on:click=move |_| { send.clear(); open.set(Some(pick)); }>{pick.label()}</button>
                    }).collect_view()}
                </div>
                <div class="mt-4">
                    <CommandProgress watched=watched on_end=move || ended.update(|n| *n += 1)/>
                </div>
            </section>}.into_any()}
            {move || open.get().map(|pick| view! {
                <CommandDialog pick=pick station_name=station_name() send=send on_close=move || open.set(None)/>
            }.into_any())}
            {view! {<section aria-labelledby="active-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                <h2 id="active-title" class="text-lg font-semibold">"Active transactions"</h2>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match active.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="mt-2 text-sm text-slate-700">"No session is running at this station."</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="mt-2 divide-y divide-slate-200">
                                    {list.into_iter().map(|t| {
                                        let asked = t.clone();
                                        view! {
                                            <li class="flex items-center justify-between gap-4 py-2 text-sm">
                                                <span>{format!("Transaction {} on connector {} with {}, since {}", t.id, t.connector_id, t.id_tag, with_seconds(t.started_at))}</span>
                                                <button type="button" class=SECONDARY_BUTTON on:click=move |_| { send.clear(); stop_asked.set(Some(asked.clone())); }>"Remote stop"</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>}.into_any()}
            {move || stop_asked.get().map(|t| {
                let transaction: TransactionId = t.id;
                view! {
                    <ConfirmDialog id="remote-stop" title="Remote stop"
                        summary=format!("Transaction {} on connector {} at {}.", t.id, t.connector_id, station_name())
                        consequence="The station ends the session and sends its final meter reading.".to_owned()
                        confirm_label="Send remote stop"
                        on_confirm=move || {
                            if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
                                send.dispatch(dispatch_args(org, station, Pick::RemoteStop, CommandForm { transaction: transaction.to_string(), ..CommandForm::default() }));
                            }
                        }
                        on_cancel=move || stop_asked.set(None)/>
                }.into_any()
            })}
            {view! {<section aria-labelledby="history-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                <h2 id="history-title" class="text-lg font-semibold">"Command history"</h2>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match history.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="mt-2 text-sm text-slate-700">"No command was sent to this station yet."</p> }.into_any(),
                            Ok(list) => view! { <CommandTable commands=list/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>}.into_any()}
        </div>
    }
    .into_any()
}

/// A station's commands, newest first.
#[component]
fn CommandTable(commands: Vec<StationCommand>) -> impl IntoView {
    view! {
        <div class="mt-2 overflow-x-auto">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Commands sent to this station, newest first"</caption>
                <thead>
                    <tr class="text-left text-slate-700">
                        <th scope="col" class="py-2 pr-4 font-medium">"Requested"</th>
                        <th scope="col" class="py-2 pr-4 font-medium">"Command"</th>
                        <th scope="col" class="py-2 pr-4 font-medium">"By"</th>
                        <th scope="col" class="py-2 font-medium">"Answer"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {commands.into_iter().map(|c| {
                        let status = c.status_text();
                        view! {
                            <tr>
                                <td class="whitespace-nowrap py-2 pr-4 text-slate-700">{with_seconds(c.requested_at)}</td>
                                <td class="py-2 pr-4">{c.summary}</td>
                                <td class="py-2 pr-4">{c.requested_by}</td>
                                <td class="py-2">
                                    <span class="font-medium">{status}</span>
                                    {c.detail.map(|d| view! { <span class="block text-slate-700">{d}</span> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The "Configuration" tab: "Read configuration" (GetConfiguration) and the keys as last read, each writable
/// one with "Change" (ChangeConfiguration, confirmed with the new value).
#[component]
pub fn StationConfigurationTab() -> impl IntoView {
    let org = use_org_id();
    let station = use_station_id();
    let send = ServerAction::<SendStationCommand>::new();
    let watched = RwSignal::new(None::<Watched>);
    let ended = RwSignal::new(0usize);
    let configuration = station_resource(move || ended.get(), get_station_configuration);
    let editing = RwSignal::new(None::<(String, String)>);
    let edit_error = RwSignal::new(None::<(&'static str, String)>);
    Effect::new(move |_| {
        if let Some(Ok(command)) = send.value().get() {
            editing.set(None);
            if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
                watched.set(Some((org, station, command.id)));
            }
        }
    });
    let read = move |_| {
        if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
            send.clear();
            send.dispatch(dispatch_args(
                org,
                station,
                Pick::GetConfiguration,
                CommandForm::default(),
            ));
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((key, value)) = editing.get_untracked() else {
            return;
        };
        let typed = CommandForm {
            key,
            value,
            ..CommandForm::default()
        };
        match build_action(Pick::ChangeConfiguration, &typed) {
            Err(error) => edit_error.set(Some(error)),
            Ok(_) => {
                edit_error.set(None);
                if let (Some(org), Some(station)) = (org.get_untracked(), station.get_untracked()) {
                    send.dispatch(dispatch_args(
                        org,
                        station,
                        Pick::ChangeConfiguration,
                        typed,
                    ));
                }
            }
        }
    };
    let value_error = Signal::derive(move || {
        edit_error.get().map(|(_, m)| m).or_else(|| {
            send.value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field::VALUE).or(e.for_field(field::KEY)))
        })
    });
    view! {
        <div class="space-y-6">
            {view! {<section aria-labelledby="configuration-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
                <h2 id="configuration-title" class="text-lg font-semibold">"Configuration"</h2>
                <p class="mb-4 mt-1 text-sm text-slate-600">
                    "The station's OCPP configuration keys, as it reported them when last asked. Changing a key sends it to the station, which accepts it, rejects it or needs a reboot for it to count."
                </p>
                <button type="button" class=PRIMARY_BUTTON on:click=read disabled=move || send.pending().get()>"Read configuration"</button>
                <div class="mt-4 space-y-2">
                    <FormBanner error=Signal::derive(move || send.value().get().and_then(|r| r.err()).filter(|e| !e.is_field_error()))/>
                    <CommandProgress watched=watched on_end=move || ended.update(|n| *n += 1)/>
                </div>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match configuration.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(None) => view! { <p class="mt-4 text-sm text-slate-700">"Not read yet: choose “Read configuration” while the station is online."</p> }.into_any(),
                            Ok(Some(config)) => view! {
                                <p class="mt-4 text-sm text-slate-700">{format!("Read {}: {} keys.", with_seconds(config.read_at), config.entries.len())}</p>
                                <div class="mt-2 overflow-x-auto">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                                        <caption class="sr-only">"Configuration keys"</caption>
                                        <thead>
                                            <tr class="text-left text-slate-700">
                                                <th scope="col" class="py-2 pr-4 font-medium">"Key"</th>
                                                <th scope="col" class="py-2 pr-4 font-medium">"Value"</th>
                                                <th scope="col" class="py-2 font-medium"><span class="sr-only">"Actions"</span></th>
                                            </tr>
                                        </thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {config.entries.into_iter().map(|entry| {
                                                let key = entry.key.clone();
                                                let value = entry.value.clone().unwrap_or_default();
                                                view! {
                                                    <tr>
                                                        <td class="py-2 pr-4 font-mono">{entry.key.clone()}</td>
                                                        <td class="py-2 pr-4 font-mono break-all">{entry.value.clone().unwrap_or_default()}</td>
                                                        <td class="py-2 text-right">
                                                            {if entry.readonly {
                                                                view! { <span class="text-xs text-slate-700">"read-only"</span> }.into_any()
                                                            } else {
                                                                let label = format!("Change {}", entry.key);
                                                                view! {
                                                                    <button type="button" class=SECONDARY_BUTTON aria-label=label
                                                                        on:click=move |_| { send.clear(); edit_error.set(None); editing.set(Some((key.clone(), value.clone()))); }>"Change"</button>
                                                                }.into_any()
                                                            }}
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>}.into_any()}
            {move || editing.get().map(|(key, _)| view! {
                <div class="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 px-4"
                    on:keydown=move |ev| if ev.key() == "Escape" { editing.set(None) }>
                    <div role="dialog" aria-modal="true" aria-labelledby="change-key-title"
                        class="w-full max-w-md rounded-lg bg-white p-6 shadow-xl">
                        <h2 id="change-key-title" class="text-lg font-semibold">{format!("Change {key}")}</h2>
                        <form on:submit=save aria-label="Change configuration" class="mt-4 space-y-3" novalidate=true>
                            <div>
                                <label for="config-value" class=LABEL_CLASS>"New value"</label>
                                <input id="config-value" name=field::VALUE type="text"
                                    class=move || if value_error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                                    aria-invalid=move || value_error.get().is_some().to_string()
                                    aria-describedby="config-value-error"
                                    prop:value=move || editing.get().map(|(_, v)| v).unwrap_or_default()
                                    on:input=move |ev| { let v = event_target_value(&ev); editing.update(|e| if let Some(e) = e { e.1 = v }); }/>
                                <p id="config-value-error" class="mt-1 text-sm text-red-700">{move || value_error.get()}</p>
                            </div>
                            <div class="mt-6 flex justify-end gap-2">
                                <button type="button" class=SECONDARY_BUTTON on:click=move |_| editing.set(None)>"Cancel"</button>
                                <button type="submit" class=DANGER_BUTTON disabled=move || send.pending().get()>"Send change"</button>
                            </div>
                        </form>
                    </div>
                </div>
            }.into_any())}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialog_builds_the_command_or_names_the_field_in_error() {
        let form = |card: &str, connector: &str, option: &str| CommandForm {
            card: card.into(),
            connector: connector.into(),
            option: option.into(),
            ..CommandForm::default()
        };
        assert_eq!(
            build_action(Pick::RemoteStart, &form(" 04AAAB11CD2345 ", "", "")),
            Ok(StationAction::RemoteStart {
                card: "04AAAB11CD2345".into(),
                connector: None
            })
        );
        assert_eq!(
            build_action(Pick::RemoteStart, &form("", "1", ""))
                .unwrap_err()
                .0,
            field::CARD
        );
        assert_eq!(
            build_action(Pick::RemoteStart, &form("04AAAB11CD2345", "0", "")),
            Err((field::CONNECTOR, "Choose a connector from 1 to 64.".into()))
        );
        assert_eq!(
            build_action(Pick::UnlockConnector, &form("", "", ""))
                .unwrap_err()
                .0,
            field::CONNECTOR
        );
        assert!(matches!(
            build_action(Pick::ChangeAvailability, &form("", "0", "inoperative")),
            Ok(StationAction::ChangeAvailability {
                availability: Availability::Inoperative,
                ..
            })
        ));
        assert_eq!(
            build_action(Pick::ChangeAvailability, &form("", "0", "broken"))
                .unwrap_err()
                .0,
            field::OPTION
        );
        assert_eq!(
            build_action(Pick::Reset, &form("", "", "hard")),
            Ok(StationAction::Reset {
                kind: ResetKind::Hard
            })
        );
        assert_eq!(
            build_action(Pick::Reset, &form("", "", "")).unwrap_err().0,
            field::OPTION
        );
        assert_eq!(
            build_action(Pick::TriggerMessage, &form("", "", "Heartbeat")),
            Ok(StationAction::TriggerMessage {
                message: TriggerKind::Heartbeat,
                connector: None
            })
        );
        assert_eq!(
            build_action(
                Pick::RemoteStop,
                &CommandForm {
                    transaction: "x".into(),
                    ..CommandForm::default()
                }
            )
            .unwrap_err()
            .0,
            field::TRANSACTION
        );
        assert_eq!(
            build_action(
                Pick::ChangeConfiguration,
                &CommandForm {
                    key: String::new(),
                    ..CommandForm::default()
                }
            )
            .unwrap_err()
            .0,
            field::KEY
        );
        for pick in Pick::ALL {
            assert_eq!(Pick::parse(pick.as_str()), Some(pick));
        }
    }
}
