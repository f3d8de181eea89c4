//! Logging in and out, and who the current user is.

#[cfg(feature = "ssr")]
pub mod server;

use crate::components::{FieldError, FormBanner};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::model::Me;

/// The signed-in user; `Unauthenticated` without a valid session.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<Me, AppError> {
    let (_db, caller) = server::caller().await?;
    Ok(caller.me().clone())
}

/// Where a log-in stands after the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginStep {
    /// Logged in (the session cookie is set): go to this page.
    Done { path: String },
    /// The password was right and the account has two-factor authentication: send a code with this challenge to
    /// [`login_second_factor`]. The challenge travels in the answer and back in the next request rather than in a
    /// cookie: it is worthless without a code, expires in minutes after a few wrong codes, and `/api` refuses
    /// cross-site requests, so a second cookie would add state without adding protection.
    SecondFactor { challenge: String },
}

/// A finished second step of a log-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginDone {
    /// The page to go to.
    pub path: String,
    /// `Some(unused recovery codes left)` when a recovery code was used.
    pub recovery_codes_left: Option<i64>,
}

/// Checks e-mail and password and either starts a session (HttpOnly cookie) and returns the page to go to, or,
/// for an account with two-factor authentication, asks for a code.
///
/// Attempts beyond the in-memory per-address and per-account limits are refused (`Throttled`) before anything
/// is read, hashed or written; see [`server::LoginLimits`].
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<LoginStep, AppError> {
    if email.trim().is_empty() {
        return Err(AppError::invalid("email", "Enter your e-mail address."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    server::login_limits()?.check(server::caller_ip(), &email)?;
    let db = server::db()?;
    match db.login(&email, &password).await? {
        storage::LoginOutcome::LoggedIn {
            session_token,
            expires_at,
        } => {
            server::set_session_cookie(&session_token, expires_at);
            let caller = db.caller(&session_token).await?.ok_or(AppError::Internal)?;
            Ok(LoginStep::Done {
                path: home_path(caller.me()),
            })
        }
        storage::LoginOutcome::SecondFactor { challenge } => {
            Ok(LoginStep::SecondFactor { challenge })
        }
        storage::LoginOutcome::WrongCredentials => Err(AppError::invalid(
            "password",
            "The e-mail address or password is not correct.",
        )),
        storage::LoginOutcome::Throttled { retry_after_secs } => {
            Err(AppError::Throttled { retry_after_secs })
        }
    }
}

/// The form field a void log-in challenge is reported at: the page goes back to the password.
pub const CHALLENGE_FIELD: &str = "challenge";

/// The second step of a log-in: a code from the authenticator app, or a recovery code, for the challenge that
/// [`login`] returned. Right: the session starts exactly as after a password. Wrong: a field error at `code`;
/// an unknown, expired or void challenge (after 5 wrong codes): an error at [`CHALLENGE_FIELD`].
///
/// Attempts count against the in-memory per-address limit (and per challenge) before anything is read, and wrong
/// codes against the account's persistent backoff in storage.
#[server(prefix = "/api", endpoint = "login_second_factor")]
pub async fn login_second_factor(challenge: String, code: String) -> Result<LoginDone, AppError> {
    if code.trim().is_empty() {
        return Err(AppError::invalid(
            "code",
            "Enter the code from your authenticator app.",
        ));
    }
    server::login_limits()?.check(server::caller_ip(), &challenge)?;
    let db = server::db()?;
    let start_again = || AppError::Conflict {
        field: Some(CHALLENGE_FIELD.to_owned()),
        message: "This log-in took too long or had too many wrong codes. Log in again.".to_owned(),
    };
    match db.login_second_factor(&challenge, &code).await? {
        storage::SecondFactorOutcome::LoggedIn {
            session_token,
            expires_at,
            recovery_codes_left,
        } => {
            server::set_session_cookie(&session_token, expires_at);
            let caller = db.caller(&session_token).await?.ok_or(AppError::Internal)?;
            Ok(LoginDone {
                path: home_path(caller.me()),
                recovery_codes_left,
            })
        }
        storage::SecondFactorOutcome::WrongCode { attempts_left: 0 }
        | storage::SecondFactorOutcome::StartAgain => Err(start_again()),
        storage::SecondFactorOutcome::WrongCode { .. } => Err(AppError::invalid(
            "code",
            "The code is not correct. Try the current code from your app, or a recovery code.",
        )),
        storage::SecondFactorOutcome::Throttled { retry_after_secs } => {
            Err(AppError::Throttled { retry_after_secs })
        }
    }
}

/// Ends the session (also on the server) and clears the cookie.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    if let Some(token) = server::session_token() {
        server::db()?.logout(&token).await?;
    }
    server::clear_session_cookie();
    Ok(())
}

/// Where a user starts: administrators in their organization's "Organizations", cardholders at their passes, and
/// an administrator who must first set up two-factor authentication at "My account".
pub fn home_path(me: &Me) -> String {
    if me.two_factor_setup_required {
        return "/account".to_owned();
    }
    match &me.home_org {
        Some(org) => format!("/orgs/{}/organizations", org.id),
        None => "/my/passes".to_owned(),
    }
}

/// Full page load, so that everything is fetched again for the new session.
pub fn go_to(path: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = path;
}

const INPUT: &str = "mt-1 w-full rounded-md border border-slate-300 px-3 py-2 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30";
const SUBMIT: &str = "w-full rounded-md bg-emerald-700 px-4 py-2 font-medium text-white hover:bg-emerald-800 focus:outline-none focus:ring-2 focus:ring-emerald-600/50 disabled:opacity-60";

/// The log-in page: e-mail and password, then, for an account with two-factor authentication, on the same page,
/// "Authentication code".
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let second = ServerAction::<LoginSecondFactor>::new();
    let pending = login.pending();
    let result = login.value();
    // The challenge of a log-in waiting for its code; None: the password step is shown.
    let challenge = RwSignal::new(None::<String>);
    // Why the second step was abandoned (shown on the password step).
    let restarted = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match result.get() {
        Some(Ok(LoginStep::Done { path })) => go_to(&path),
        Some(Ok(LoginStep::SecondFactor { challenge: c })) => {
            restarted.set(None);
            challenge.set(Some(c));
        }
        _ => {}
    });
    Effect::new(move |_| match second.value().get() {
        Some(Ok(LoginDone {
            path,
            recovery_codes_left: None,
        })) => go_to(&path),
        Some(Err(e)) if e.for_field(CHALLENGE_FIELD).is_some() => {
            challenge.set(None);
            restarted.set(Some(e));
        }
        _ => {}
    });
    let error = move || {
        result
            .get()
            .and_then(|r| r.err())
            .or_else(|| restarted.get())
    };

    view! {
        <main class="min-h-screen flex items-center justify-center bg-slate-100 px-4">
            <div class="w-full max-w-sm rounded-xl bg-white p-8 shadow">
                <h1 class="text-2xl font-semibold text-slate-900">"ChargeDesk"</h1>
                {move || match challenge.get() {
                    None => view! {
                        <p class="mt-1 text-sm text-slate-600">"Log in to manage your charging stations and passes."</p>
                        <ActionForm action=login attr:class="mt-6 space-y-4" attr:aria-label="Log in">
                            <div>
                                <label for="login-email" class="block text-sm font-medium text-slate-700">"E-mail"</label>
                                <input id="login-email" name="email" type="email" autocomplete="username" required class=INPUT/>
                                <FieldError error=Signal::derive(move || error().and_then(|e| e.for_field("email")))/>
                            </div>
                            <div>
                                <label for="login-password" class="block text-sm font-medium text-slate-700">"Password"</label>
                                <input id="login-password" name="password" type="password" autocomplete="current-password" required class=INPUT/>
                                <FieldError error=Signal::derive(move || error().and_then(|e| e.for_field("password")))/>
                            </div>
                            <FormBanner error=Signal::derive(move || error().filter(|e| !e.is_field_error() || e.for_field(CHALLENGE_FIELD).is_some()))/>
                            <button type="submit" disabled=pending class=SUBMIT>
                                {move || if pending.get() { "Logging in…" } else { "Log in" }}
                            </button>
                        </ActionForm>
                        <p class="mt-4 text-sm">
                            <a href="/forgot-password" class="text-emerald-800 underline hover:text-emerald-900">"Forgot your password?"</a>
                        </p>
                    }.into_any(),
                    Some(token) => view! { <SecondFactorStep action=second challenge=token/> }.into_any(),
                }}
            </div>
        </main>
    }
}

/// The second step of the log-in page: "Authentication code" and "Verify"; after a recovery code, how many are
/// left and "Continue".
#[component]
fn SecondFactorStep(action: ServerAction<LoginSecondFactor>, challenge: String) -> impl IntoView {
    let pending = action.pending();
    let error = move || action.value().get().and_then(|r| r.err());
    let done = move || {
        action
            .value()
            .get()
            .and_then(|r| r.ok())
            .filter(|d| d.recovery_codes_left.is_some())
    };
    view! {
        {move || match done() {
            Some(LoginDone { path, recovery_codes_left: Some(left) }) => view! {
                <div class="mt-6 space-y-4" role="status">
                    <p class="text-sm text-slate-800">
                        {format!(
                            "You logged in with a recovery code. {}",
                            match left {
                                0 => "You have no recovery codes left: generate new ones under My account.".to_owned(),
                                1 => "You have 1 recovery code left.".to_owned(),
                                n => format!("You have {n} recovery codes left."),
                            }
                        )}
                    </p>
                    <a href=path rel="external" class="block w-full rounded-md bg-emerald-700 px-4 py-2 text-center font-medium text-white hover:bg-emerald-800 focus:outline-none focus:ring-2 focus:ring-emerald-600/50">"Continue"</a>
                </div>
            }.into_any(),
            _ => {
                let challenge = challenge.clone();
                view! {
                    <p class="mt-1 text-sm text-slate-600">
                        "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
                    </p>
                    <ActionForm action=action attr:class="mt-6 space-y-4" attr:aria-label="Second step of the log-in">
                        <input type="hidden" name="challenge" value=challenge/>
                        <div>
                            <label for="login-code" class="block text-sm font-medium text-slate-700">"Authentication code"</label>
                            <input id="login-code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none"
                                spellcheck="false" required autofocus class=INPUT/>
                            <FieldError error=Signal::derive(move || error().and_then(|e| e.for_field("code")))/>
                        </div>
                        <FormBanner error=Signal::derive(move || error().filter(|e| !e.is_field_error()))/>
                        <button type="submit" disabled=pending class=SUBMIT>
                            {move || if pending.get() { "Verifying…" } else { "Verify" }}
                        </button>
                    </ActionForm>
                }.into_any()
            }
        }}
    }
}

/// "Log out" button for the sidebar.
#[component]
pub fn LogoutButton() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            go_to("/login");
        }
    });
    view! {
        <button type="button" on:click=move |_| { logout.dispatch(Logout {}); }
            class="text-sm text-slate-300 hover:text-white focus:outline-none focus:ring-2 focus:ring-white/50 rounded px-1">
            "Log out"
        </button>
    }
}
