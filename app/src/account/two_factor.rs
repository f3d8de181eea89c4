//! "Two-factor authentication" in "My account": set up with an authenticator app (QR code or key, confirmed
//! with a code), one-time recovery codes shown once, new recovery codes, and turning it off. Every function here
//! acts on the caller's own account only (`auth::server::caller`), so it keeps working for an administrator whom
//! an organization requires to set it up before anything else.

use crate::components::*;
use crate::error::AppError;
use leptos::prelude::*;
use shared::model::{TwoFactorEnrolment, TwoFactorStatus};

/// Whether the caller's account has two-factor authentication, and whether an organization requires it.
#[server(prefix = "/api", endpoint = "my_two_factor")]
pub async fn my_two_factor() -> Result<TwoFactorStatus, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    Ok(caller.two_factor_status(&db).await?)
}

/// Starts setting up two-factor authentication: a new secret (pending until confirmed) as a QR code and a key.
#[server(prefix = "/api", endpoint = "start_two_factor")]
pub async fn start_two_factor() -> Result<TwoFactorEnrolment, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    Ok(caller.start_two_factor(&db).await?)
}

/// Confirms the set-up with a code from the app; returns the recovery codes (shown this once).
///
/// Attempts count against the in-memory log-in limits (per address and per account) like log-ins do.
#[server(prefix = "/api", endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    require_code(&code)?;
    limit(&caller)?;
    caller
        .confirm_two_factor(&db, &code)
        .await?
        .ok_or_else(wrong_code)
}

/// New recovery codes (the old ones stop working), after a current code from the app; shown this once.
#[server(prefix = "/api", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    require_code(&code)?;
    limit(&caller)?;
    caller
        .new_recovery_codes(&db, &code)
        .await?
        .ok_or_else(wrong_code)
}

/// Turns two-factor authentication off, with the current password and a code (from the app or a recovery code).
/// Refused while an organization requires it of the caller.
#[server(prefix = "/api", endpoint = "turn_off_two_factor")]
pub async fn turn_off_two_factor(password: String, code: String) -> Result<(), AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    require_code(&code)?;
    limit(&caller)?;
    match caller.turn_off_two_factor(&db, &password, &code).await? {
        storage::TurnOffOutcome::TurnedOff => Ok(()),
        storage::TurnOffOutcome::WrongPassword => Err(AppError::invalid(
            "password",
            "The password is not correct.",
        )),
        storage::TurnOffOutcome::WrongCode => Err(wrong_code()),
    }
}

#[cfg(feature = "ssr")]
fn require_code(code: &str) -> Result<(), AppError> {
    if code.trim().is_empty() {
        Err(AppError::invalid(
            "code",
            "Enter the code from your authenticator app.",
        ))
    } else {
        Ok(())
    }
}

/// Guessing codes (or the password) from a session is limited like log-ins: per address and per account.
#[cfg(feature = "ssr")]
fn limit(caller: &storage::Caller) -> Result<(), AppError> {
    crate::auth::server::login_limits()?.check(crate::auth::server::caller_ip(), &caller.me().email)
}

#[cfg(feature = "ssr")]
fn wrong_code() -> AppError {
    AppError::invalid(
        "code",
        "The code is not correct. Enter the current code from your authenticator app.",
    )
}

const INPUT: &str = "mt-1 w-full max-w-xs rounded-md border border-slate-300 px-3 py-2 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30";

/// The "Two-factor authentication" section of "My account".
#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let start = ServerAction::<StartTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let turn_off = ServerAction::<TurnOffTwoFactor>::new();
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                renew.version().get(),
                turn_off.version().get(),
            )
        },
        |_| my_two_factor(),
    );
    // Recovery codes just handed out: shown once, never fetched again.
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    Effect::new(move |_| {
        if let Some(Ok(codes)) = confirm.value().get() {
            fresh_codes.set(Some(codes));
            // The enrolment is done: its QR code and key are not shown again.
            start.value().set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(codes)) = renew.value().get() {
            fresh_codes.set(Some(codes));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = turn_off.value().get() {
            fresh_codes.set(None);
            start.value().set(None);
        }
    });

    view! {
        <section aria-labelledby="two-factor-title" class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="two-factor-title" class="text-lg font-semibold">"Two-factor authentication"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match status.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(s) => view! {
                            <TwoFactorBody status=s start confirm renew turn_off fresh_codes/>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TwoFactorBody(
    status: TwoFactorStatus,
    start: ServerAction<StartTwoFactor>,
    confirm: ServerAction<ConfirmTwoFactor>,
    renew: ServerAction<NewRecoveryCodes>,
    turn_off: ServerAction<TurnOffTwoFactor>,
    fresh_codes: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let state = if status.enabled { "On" } else { "Off" };
    view! {
        <p class="mt-2 text-sm text-slate-800">"Status: " <strong data-two-factor-status=state>{state}</strong></p>
        {(status.required && !status.enabled).then(|| view! {
            <p class="mt-2 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" role="alert">
                "Your organization requires two-factor authentication for administrators. Set it up to keep working as an administrator."
            </p>
        })}
        {move || fresh_codes.get().map(|codes| view! { <RecoveryCodes codes/> })}
        {if status.enabled {
            view! { <Enabled status=status.clone() renew turn_off/> }.into_any()
        } else {
            view! { <Enrolment start confirm/> }.into_any()
        }}
    }
}

/// "Recovery codes", shown once after they were generated.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let all = codes.join("\n");
    view! {
        <div class="mt-4 rounded-md border border-emerald-200 bg-emerald-50 p-4" role="region" aria-labelledby="recovery-codes-title">
            <h3 id="recovery-codes-title" class="font-semibold text-emerald-950">"Recovery codes"</h3>
            <p class="mt-1 text-sm text-emerald-950">
                "Keep these codes somewhere safe. Each works once, instead of a code from your app."
            </p>
            <ul class="mt-3 grid grid-cols-2 gap-1 font-mono text-sm text-slate-900" aria-label="Your recovery codes">
                {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
            </ul>
            <div class="mt-3"><CopyButton text=all label="Copy recovery codes"/></div>
        </div>
    }
}

/// Off: "Set up two-factor authentication", then the QR code, the key and "Confirm".
#[component]
fn Enrolment(
    start: ServerAction<StartTwoFactor>,
    confirm: ServerAction<ConfirmTwoFactor>,
) -> impl IntoView {
    let enrolment = move || start.value().get().and_then(|r| r.ok());
    let start_error = move || start.value().get().and_then(|r| r.err());
    let confirm_error = move || confirm.value().get().and_then(|r| r.err());
    view! {
        <p class="mt-2 text-sm text-slate-600">
            "After your password, logging in asks for a code from an authenticator app on your phone."
        </p>
        <FormBanner error=Signal::derive(start_error)/>
        {move || match enrolment() {
            None => view! {
                <button type="button" class="mt-4 rounded-md bg-emerald-700 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-800 focus:outline-none focus:ring-2 focus:ring-emerald-600/50 disabled:opacity-60"
                    disabled=start.pending()
                    on:click=move |_| { start.dispatch(StartTwoFactor {}); }>
                    "Set up two-factor authentication"
                </button>
            }.into_any(),
            Some(TwoFactorEnrolment { qr_svg, key }) => view! {
                <div class="mt-4 space-y-3">
                    <p class="text-sm text-slate-800">"Scan this QR code with your authenticator app:"</p>
                    <div class="h-52 w-52 bg-white [&>svg]:h-full [&>svg]:w-full" role="img" aria-label="QR code for your authenticator app" inner_html=qr_svg></div>
                    <p class="text-sm text-slate-800">
                        "Or enter this key: " <code class="break-all rounded bg-slate-100 px-1 font-mono">{key.clone()}</code>
                    </p>
                    <CopyButton text=key label="Copy key"/>
                    <ActionForm action=confirm attr:class="space-y-3" attr:aria-label="Confirm two-factor authentication">
                        <div>
                            <label for="two-factor-confirm-code" class="block text-sm font-medium text-slate-700">"Authentication code"</label>
                            <input id="two-factor-confirm-code" name="code" type="text" autocomplete="one-time-code"
                                inputmode="numeric" required class=INPUT/>
                            <FieldError error=Signal::derive(move || confirm_error().and_then(|e| e.for_field("code")))/>
                        </div>
                        <FormBanner error=Signal::derive(move || confirm_error().filter(|e| !e.is_field_error()))/>
                        <button type="submit" disabled=confirm.pending() class=PRIMARY_BUTTON>"Confirm"</button>
                    </ActionForm>
                </div>
            }.into_any(),
        }}
    }
}

/// On: how many recovery codes are left, "Generate new recovery codes" and "Turn off two-factor authentication".
#[component]
fn Enabled(
    status: TwoFactorStatus,
    renew: ServerAction<NewRecoveryCodes>,
    turn_off: ServerAction<TurnOffTwoFactor>,
) -> impl IntoView {
    let renew_error = move || renew.value().get().and_then(|r| r.err());
    let off_error = move || turn_off.value().get().and_then(|r| r.err());
    view! {
        <p class="mt-1 text-sm text-slate-600">
            {count(status.recovery_codes_left, "recovery code left", "recovery codes left")}
        </p>
        <ActionForm action=renew attr:class="mt-5 space-y-3 border-t border-slate-100 pt-4" attr:aria-label="Generate new recovery codes">
            <h3 class="font-medium text-slate-900">"New recovery codes"</h3>
            <p class="text-sm text-slate-600">"Your current recovery codes stop working."</p>
            <div>
                <label for="two-factor-renew-code" class="block text-sm font-medium text-slate-700">"Authentication code"</label>
                <input id="two-factor-renew-code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric" required class=INPUT/>
                <FieldError error=Signal::derive(move || renew_error().and_then(|e| e.for_field("code")))/>
            </div>
            <FormBanner error=Signal::derive(move || renew_error().filter(|e| !e.is_field_error()))/>
            <button type="submit" disabled=renew.pending() class=SECONDARY_BUTTON>"Generate new recovery codes"</button>
        </ActionForm>
        {if status.required {
            view! {
                <p class="mt-5 border-t border-slate-100 pt-4 text-sm text-slate-600">
                    "An organization you administer requires two-factor authentication for administrators, so it cannot be turned off."
                </p>
            }.into_any()
        } else {
            view! {
                <ActionForm action=turn_off attr:class="mt-5 space-y-3 border-t border-slate-100 pt-4" attr:aria-label="Turn off two-factor authentication">
                    <h3 class="font-medium text-slate-900">"Turn off"</h3>
                    <div>
                        <label for="two-factor-off-password" class="block text-sm font-medium text-slate-700">"Current password"</label>
                        <input id="two-factor-off-password" name="password" type="password" autocomplete="current-password" required class=INPUT/>
                        <FieldError error=Signal::derive(move || off_error().and_then(|e| e.for_field("password")))/>
                    </div>
                    <div>
                        <label for="two-factor-off-code" class="block text-sm font-medium text-slate-700">"Authentication code"</label>
                        <input id="two-factor-off-code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required class=INPUT/>
                        <FieldError error=Signal::derive(move || off_error().and_then(|e| e.for_field("code")))/>
                    </div>
                    <FormBanner error=Signal::derive(move || off_error().filter(|e| !e.is_field_error()))/>
                    <button type="submit" disabled=turn_off.pending() class=SECONDARY_BUTTON>"Turn off two-factor authentication"</button>
                </ActionForm>
            }.into_any()
        }}
    }
}
