//! Logging in and out, and who the current user is.

#[cfg(feature = "ssr")]
pub mod server;

use crate::components::{FieldError, FormBanner};
use crate::error::AppError;
use leptos::prelude::*;
use shared::model::Me;

/// The signed-in user; `Unauthenticated` without a valid session.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<Me, AppError> {
    let (_db, caller) = server::caller().await?;
    Ok(caller.me().clone())
}

/// Checks e-mail and password, starts a session (HttpOnly cookie) and returns the page to go to.
///
/// Attempts beyond the in-memory per-address and per-account limits are refused (`Throttled`) before anything
/// is read, hashed or written; see [`server::LoginLimits`].
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<String, AppError> {
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
            Ok(home_path(caller.me()))
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

/// Ends the session (also on the server) and clears the cookie.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    if let Some(token) = server::session_token() {
        server::db()?.logout(&token).await?;
    }
    server::clear_session_cookie();
    Ok(())
}

/// Where a user starts: administrators in their organization's "Organizations", cardholders at their passes.
pub fn home_path(me: &Me) -> String {
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

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let result = login.value();
    Effect::new(move |_| {
        if let Some(Ok(path)) = result.get() {
            go_to(&path);
        }
    });
    let error = move || result.get().and_then(|r| r.err());

    view! {
        <main class="min-h-screen flex items-center justify-center bg-slate-100 px-4">
            <div class="w-full max-w-sm rounded-xl bg-white p-8 shadow">
                <h1 class="text-2xl font-semibold text-slate-900">"ChargeDesk"</h1>
                <p class="mt-1 text-sm text-slate-600">"Log in to manage your charging stations and passes."</p>
                <ActionForm action=login attr:class="mt-6 space-y-4" attr:aria-label="Log in">
                    <div>
                        <label for="login-email" class="block text-sm font-medium text-slate-700">"E-mail"</label>
                        <input id="login-email" name="email" type="email" autocomplete="username" required
                            class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30"/>
                        <FieldError error=Signal::derive(move || error().and_then(|e| e.for_field("email")))/>
                    </div>
                    <div>
                        <label for="login-password" class="block text-sm font-medium text-slate-700">"Password"</label>
                        <input id="login-password" name="password" type="password" autocomplete="current-password" required
                            class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30"/>
                        <FieldError error=Signal::derive(move || error().and_then(|e| e.for_field("password")))/>
                    </div>
                    <FormBanner error=Signal::derive(move || error().filter(|e| !e.is_field_error()))/>
                    <button type="submit" disabled=pending
                        class="w-full rounded-md bg-emerald-700 px-4 py-2 font-medium text-white hover:bg-emerald-800 focus:outline-none focus:ring-2 focus:ring-emerald-600/50 disabled:opacity-60">
                        {move || if pending.get() { "Logging in…" } else { "Log in" }}
                    </button>
                </ActionForm>
            </div>
        </main>
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
