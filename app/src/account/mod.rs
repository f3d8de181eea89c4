//! A person's own account: "My account" (name, password, organizations, two-factor authentication), the page a
//! mailed link opens to set a password (`/set-password`, invitation or reset), and "Forgot your password?"
//! (`/forgot-password`).
//!
//! The link's token travels in the URL's fragment (`/set-password#token=…`), which browsers never send to a
//! server or proxy: the page reads it in the browser and hands it to [`check_account_link`] and
//! [`set_password_with_link`] in a POST body.

#[cfg(feature = "ssr")]
pub mod server;
pub mod two_factor;

use crate::auth::go_to;
use crate::components::*;
use crate::error::AppError;
use crate::layout::{use_current_user, AppFrame};
use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};
use shared::model::{AccountLinkInfo, AccountLinkPurpose, AccountOverview};
use shared::names::{Password, PersonName};
use shared::role::Role;

/// What `/set-password` says about a link that cannot be used (unknown, used, revoked or expired alike).
pub const LINK_UNUSABLE: &str =
    "This link has expired or was already used. Ask your administrator to send a new \
                                 invitation, or use “Forgot your password?”.";
/// The one answer of "Forgot your password?", whether or not the address has an account.
pub const RESET_REQUESTED: &str =
    "If an account exists for that address, we have sent it a link to reset the \
                                   password. The link is valid for 1 hour.";
/// Shown at "Current password" when it is wrong.
pub const WRONG_CURRENT_PASSWORD: &str = "The current password is not correct.";
/// Shown at "Repeat new password" when the two differ.
pub const PASSWORDS_DIFFER: &str = "The two passwords are not the same.";

/// The usable link behind `token` (its person's first name and e-mail, and what it is for), or `None` for
/// anything else, alike. Public: the token is the credential (32 random bytes; only its hash is stored), and
/// this is one database read without password hashing.
#[server(prefix = "/api", endpoint = "check_account_link")]
pub async fn check_account_link(token: String) -> Result<Option<AccountLinkInfo>, AppError> {
    let db = crate::auth::server::db()?;
    Ok(db.account_link(&token).await?)
}

/// What setting a password through a link did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordSet {
    /// A session was started (the cookie is set): go to `go_to`. `false` for an account with two-factor
    /// authentication, which logs in with its code at `go_to` (the log-in page).
    pub logged_in: bool,
    pub go_to: String,
}

/// Sets the password of the person the link behind `token` was mailed to, and logs them in (unless their account
/// has two-factor authentication). Public like [`check_account_link`]; the link works once.
#[server(prefix = "/api", endpoint = "set_password_with_link")]
pub async fn set_password_with_link(
    token: String,
    password: String,
) -> Result<PasswordSet, AppError> {
    let password = Password::parse(&password).map_err(|e| AppError::invalid("password", e))?;
    let db = crate::auth::server::db()?;
    match db.set_password_with_link(&token, &password).await? {
        storage::LinkPasswordOutcome::LoggedIn {
            session_token,
            expires_at,
        } => {
            crate::auth::server::set_session_cookie(&session_token, expires_at);
            let caller = db.caller(&session_token).await?.ok_or(AppError::Internal)?;
            Ok(PasswordSet {
                logged_in: true,
                go_to: crate::auth::home_path(caller.me()),
            })
        }
        storage::LinkPasswordOutcome::TwoFactorRequired => Ok(PasswordSet {
            logged_in: false,
            go_to: "/login".into(),
        }),
        storage::LinkPasswordOutcome::InvalidLink => Err(AppError::Conflict {
            field: None,
            message: LINK_UNUSABLE.into(),
        }),
    }
}

/// "Forgot your password?": mails a reset link if the address has an account. The answer is the same either
/// way; requests beyond the in-memory limits per client address and per address typed are refused (`Throttled`)
/// before anything is read, see [`server::ResetLimits`].
#[server(prefix = "/api", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    if email.trim().is_empty() {
        return Err(AppError::invalid("email", "Enter your e-mail address."));
    }
    let email = shared::names::Email::parse(&email).map_err(|e| AppError::invalid("email", e))?;
    server::reset_limits()?.check(crate::auth::server::caller_ip(), email.as_str())?;
    crate::auth::server::db()?
        .request_password_reset(&email)
        .await?;
    Ok(())
}

/// The caller's own account: name, e-mail and organizations.
#[server(prefix = "/api", endpoint = "my_account")]
pub async fn my_account() -> Result<AccountOverview, AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    let me = caller.me();
    Ok(AccountOverview {
        first_name: me.first_name.clone(),
        last_name: me.last_name.clone(),
        email: me.email.clone(),
        home_org: me.home_org.clone(),
        organizations: caller.organizations(&db).await?,
    })
}

/// The "Your name" form, validated by the browser while typing and again by the server with the same code.
pub fn parse_name(
    first: &str,
    last: &str,
) -> Result<(PersonName, PersonName), Vec<(&'static str, String)>> {
    match (PersonName::parse(first), PersonName::parse(last)) {
        (Ok(first), Ok(last)) => Ok((first, last)),
        (f, l) => Err([
            ("first_name", f.err().map(|e| e.to_string())),
            ("last_name", l.err().map(|e| e.to_string())),
        ]
        .into_iter()
        .filter_map(|(field, e)| e.map(|e| (field, e)))
        .collect()),
    }
}

/// Changes the caller's own name.
#[server(prefix = "/api", endpoint = "change_name")]
pub async fn change_name(first_name: String, last_name: String) -> Result<(), AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    let (first, last) = parse_name(&first_name, &last_name).map_err(AppError::first_invalid)?;
    Ok(caller.set_name(&db, &first, &last).await?)
}

/// A new password typed twice: the policy's error at `new_field`, a mismatch at `repeat_field`.
pub fn check_new_password(
    new: &str,
    repeat: &str,
    new_field: &'static str,
    repeat_field: &'static str,
) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if let Err(e) = Password::parse(new) {
        errors.push((new_field, e.to_string()));
    }
    if new != repeat {
        errors.push((repeat_field, PASSWORDS_DIFFER.to_owned()));
    }
    errors
}

/// Changes the caller's password after checking the current one. A wrong current password counts like a failed
/// log-in (the in-memory log-in limits first, then the account's persistent backoff). On success every other
/// session of the account ends (this one stays) and a notice is mailed.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let (db, caller) = crate::auth::server::caller().await?;
    let new = Password::parse(&new_password).map_err(|e| AppError::invalid("new_password", e))?;
    if current_password.is_empty() {
        return Err(AppError::invalid(
            "current_password",
            "Enter your current password.",
        ));
    }
    crate::auth::server::login_limits()?
        .check(crate::auth::server::caller_ip(), &caller.me().email)?;
    let session = crate::auth::server::session_token().ok_or(AppError::Unauthenticated)?;
    match caller
        .change_password(&db, &session, &current_password, &new)
        .await?
    {
        storage::PasswordChange::Changed => Ok(()),
        storage::PasswordChange::WrongCurrentPassword => Err(AppError::invalid(
            "current_password",
            WRONG_CURRENT_PASSWORD,
        )),
        storage::PasswordChange::Throttled { retry_after_secs } => {
            Err(AppError::Throttled { retry_after_secs })
        }
    }
}

/// The token in the page's fragment (`#token=…`), read in the browser only.
fn token_from_fragment() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let hash = web_sys::window()?.location().hash().ok()?;
        hash.trim_start_matches('#')
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

/// Replaces the address bar's URL by `path` without a page load (drops the link's fragment from the address bar
/// and the history).
fn replace_address(path: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = path;
}

/// The frame of the pages one reaches without a session (set a password, forgot password).
#[component]
fn PublicCard(children: Children) -> impl IntoView {
    view! {
        <main class="min-h-screen flex items-center justify-center bg-slate-100 px-4">
            <div class="w-full max-w-sm rounded-xl bg-white p-8 shadow">
                <p class="text-sm font-semibold text-emerald-900">"ChargeDesk"</p>
                {children()}
            </div>
        </main>
    }
}

/// A password input with its label and message.
#[component]
fn PasswordField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    fields: FormFields,
) -> impl IntoView {
    let error = fields.error_for(name);
    view! {
        <div>
            <label for=id class=LABEL_CLASS>{label}</label>
            <input id=id name=name type="password" autocomplete=autocomplete required
                class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                aria-invalid=move || error.get().is_some().to_string()
                prop:value=value
                on:input=move |ev| { value.set(event_target_value(&ev)); fields.touch(name); }
                on:blur=move |_| fields.touch(name)/>
            <FieldError error=error/>
        </div>
    }
}

/// `/set-password#token=…`: the page an invitation or reset link opens.
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let token = RwSignal::new(None::<String>);
    // None: not checked yet (also while rendered on the server, which never sees the fragment).
    let link = RwSignal::new(None::<Result<Option<AccountLinkInfo>, AppError>>);
    Effect::new(move |_| match token_from_fragment() {
        Some(t) => {
            token.set(Some(t.clone()));
            leptos::task::spawn_local(async move {
                link.set(Some(check_account_link(t).await));
            });
        }
        None => link.set(Some(Ok(None))),
    });
    view! {
        <PublicCard>
            {move || match link.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <div class="mt-4"><FormBanner error=Some(e)/></div> }.into_any(),
                Some(Ok(None)) => view! { <LinkUnusable/> }.into_any(),
                Some(Ok(Some(info))) => view! { <SetPasswordForm info token/> }.into_any(),
            }}
        </PublicCard>
    }
}

#[component]
fn LinkUnusable() -> impl IntoView {
    view! {
        <h1 class="mt-2 text-2xl font-semibold text-slate-900">"This link cannot be used"</h1>
        <p class="mt-3 text-sm text-slate-700" role="alert">{LINK_UNUSABLE}</p>
        <p class="mt-4 flex gap-4 text-sm">
            <a href="/forgot-password" class="text-emerald-800 underline">"Forgot your password?"</a>
            <a href="/login" class="text-emerald-800 underline">"Log in"</a>
        </p>
    }
}

#[component]
fn SetPasswordForm(info: AccountLinkInfo, token: RwSignal<Option<String>>) -> impl IntoView {
    let action = ServerAction::<SetPasswordWithLink>::new();
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let server_error = move || action.value().get().and_then(|r| r.err());
    let fields = FormFields::new(
        move || {
            check_new_password(
                &password.get(),
                &repeat.get(),
                "password",
                "password_repeat",
            )
        },
        server_error,
    );
    // Set when the password is set but the account logs in with a second factor.
    let two_factor = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(done)) = action.value().get() {
            replace_address("/set-password");
            if done.logged_in {
                go_to(&done.go_to);
            } else {
                two_factor.set(true);
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !fields.touch_all(&["password", "password_repeat"]) {
            return;
        }
        if let Some(token) = token.get_untracked() {
            action.dispatch(SetPasswordWithLink {
                token,
                password: password.get_untracked(),
            });
        }
    };
    let (title, intro) = match info.purpose {
        AccountLinkPurpose::Invitation => (
            format!("Welcome, {}", info.first_name),
            format!("Set a password for {} to log in to ChargeDesk.", info.email),
        ),
        AccountLinkPurpose::PasswordReset => (
            "Choose a new password".to_owned(),
            format!("For your account {}.", info.email),
        ),
    };
    view! {
        <h1 class="mt-2 text-2xl font-semibold text-slate-900">{title}</h1>
        <p class="mt-1 text-sm text-slate-600">{intro}</p>
        <Show when=move || two_factor.get() fallback=move || view! {
            <form on:submit=submit aria-label="Set password" novalidate class="mt-6 space-y-4">
                <PasswordField id="set-password-new" name="password" label="New password"
                    autocomplete="new-password" value=password fields/>
                <PasswordField id="set-password-repeat" name="password_repeat" label="Repeat new password"
                    autocomplete="new-password" value=repeat fields/>
                <p class="text-xs text-slate-500">"At least 10 characters. A few unrelated words make a strong password that is easy to remember."</p>
                <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
                <button type="submit" class=format!("w-full justify-center {PRIMARY_BUTTON}") disabled=action.pending()>
                    "Set password and log in"
                </button>
            </form>
        }>
            <div class="mt-6 space-y-4">
                <Notice message=Some("Your password is set. Your account uses two-factor authentication: log in with your password and a code from your authenticator app.".to_owned())/>
                <a href="/login" class=PRIMARY_BUTTON>"Log in"</a>
            </div>
        </Show>
    }
}

/// `/forgot-password`: "Reset your password".
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <PublicCard>
            <h1 class="mt-2 text-2xl font-semibold text-slate-900">"Reset your password"</h1>
            <p class="mt-1 text-sm text-slate-600">"Enter the e-mail address of your account. We will send it a link to choose a new password."</p>
            <ActionForm action=action attr:class="mt-6 space-y-4" attr:aria-label="Reset your password">
                <div>
                    <label for="forgot-email" class=LABEL_CLASS>"E-mail"</label>
                    <input id="forgot-email" name="email" type="email" autocomplete="username" required class=INPUT_CLASS/>
                    <FieldError error=Signal::derive(move || error().and_then(|e| e.for_field("email")))/>
                </div>
                <FormBanner error=Signal::derive(move || error().filter(|e| !e.is_field_error()))/>
                <Notice message=Signal::derive(move || sent().then(|| RESET_REQUESTED.to_owned()))/>
                <button type="submit" class=format!("w-full justify-center {PRIMARY_BUTTON}") disabled=action.pending()>
                    "Send reset link"
                </button>
            </ActionForm>
            <p class="mt-4 text-sm"><a href="/login" class="text-emerald-800 underline">"Back to log in"</a></p>
        </PublicCard>
    }
}

/// A titled section of "My account" (a region named by its heading).
#[component]
fn AccountSection(id: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let heading = format!("{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section aria-labelledby=labelled_by class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id=heading class="text-lg font-semibold text-slate-900">{title}</h2>
            {children()}
        </section>
    }
}

/// `/account`: "My account", for every signed-in person. The menu works in the person's own organization
/// (administrators) or shows their passes (cardholders).
#[component]
pub fn AccountPage() -> impl IntoView {
    let account = Resource::new(|| (), |_| my_account());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match account.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(account) => {
                        let org = account.home_org.as_ref().map(|o| o.id);
                        view! {
                            <AppFrame org=Signal::derive(move || org)>
                                <PageHeader title="My account"/>
                                <div class="max-w-3xl space-y-6">
                                    <NameSection account=account.clone()/>
                                    <PasswordSection/>
                                    <OrganizationsSection account/>
                                    // Two-factor authentication (app/src/account/two_factor.rs): the last section.
                                    <two_factor::TwoFactorSection/>
                                </div>
                            </AppFrame>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn NameSection(account: AccountOverview) -> impl IntoView {
    let action = ServerAction::<ChangeName>::new();
    let me = use_current_user();
    let first = RwSignal::new(account.first_name.clone());
    let last = RwSignal::new(account.last_name.clone());
    let server_error = move || action.value().get().and_then(|r| r.err());
    let fields = FormFields::new(
        move || {
            parse_name(&first.get(), &last.get())
                .err()
                .unwrap_or_default()
        },
        server_error,
    );
    let saves_before = action.version().get_untracked();
    let saved = move || {
        action.version().get() > saves_before && matches!(action.value().get(), Some(Ok(())))
    };
    Effect::new(move |_| {
        if saved() {
            me.refetch();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !fields.touch_all(&["first_name", "last_name"]) {
            return;
        }
        action.dispatch(ChangeName {
            first_name: first.get_untracked(),
            last_name: last.get_untracked(),
        });
    };
    let text_field = move |id: &'static str,
                           name: &'static str,
                           label: &'static str,
                           value: RwSignal<String>| {
        let error = fields.error_for(name);
        view! {
            <div>
                <label for=id class=LABEL_CLASS>{label}</label>
                <input id=id name=name type="text" required
                    class=move || if error.get().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                    aria-invalid=move || error.get().is_some().to_string()
                    prop:value=value
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| fields.touch(name)/>
                <FieldError error=error/>
            </div>
        }
    };
    view! {
        <AccountSection id="account-name" title="Your name">
            <p class="mt-1 text-sm text-slate-600">{format!("You log in as {}.", account.email)}</p>
            <form on:submit=submit aria-label="Your name" novalidate class="mt-4 grid gap-4 sm:grid-cols-2">
                {text_field("account-first-name", "first_name", "First name", first)}
                {text_field("account-last-name", "last_name", "Last name", last)}
                <div class="sm:col-span-2 space-y-2">
                    <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
                    <Notice message=Signal::derive(move || saved().then(|| "Your name was saved.".to_owned()))/>
                    <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save name"</button>
                </div>
            </form>
        </AccountSection>
    }
}

#[component]
fn PasswordSection() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let server_error = move || action.value().get().and_then(|r| r.err());
    let fields = FormFields::new(
        move || {
            let mut errors = check_new_password(
                &new.get(),
                &repeat.get(),
                "new_password",
                "new_password_repeat",
            );
            if current.get().is_empty() {
                errors.push((
                    "current_password",
                    "Enter your current password.".to_owned(),
                ));
            }
            errors
        },
        server_error,
    );
    let changed = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            changed.set(true);
            current.set(String::new());
            new.set(String::new());
            repeat.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changed.set(false);
        if !fields.touch_all(&["current_password", "new_password", "new_password_repeat"]) {
            return;
        }
        action.dispatch(ChangePassword {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        });
    };
    view! {
        <AccountSection id="account-password" title="Password">
            <form on:submit=submit aria-label="Change password" novalidate class="mt-4 grid gap-4 sm:max-w-sm">
                <PasswordField id="account-current-password" name="current_password" label="Current password"
                    autocomplete="current-password" value=current fields/>
                <PasswordField id="account-new-password" name="new_password" label="New password"
                    autocomplete="new-password" value=new fields/>
                <PasswordField id="account-new-password-repeat" name="new_password_repeat" label="Repeat new password"
                    autocomplete="new-password" value=repeat fields/>
                <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
                <Notice message=Signal::derive(move || changed.get().then(|| "Your password was changed. Every other session of your account was logged out, and we sent you an e-mail about it.".to_owned()))/>
                <div>
                    <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Change password"</button>
                </div>
            </form>
        </AccountSection>
    }
}

#[component]
fn OrganizationsSection(account: AccountOverview) -> impl IntoView {
    view! {
        <AccountSection id="account-organizations" title="Your organizations">
            {if account.organizations.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"You are not a member of any organization."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-3 min-w-full divide-y divide-slate-200 text-sm">
                        <caption class="sr-only">"Your organizations"</caption>
                        <thead class="text-left text-slate-600">
                            <tr>
                                <th scope="col" class="py-2 pr-4 font-medium">"Organization"</th>
                                <th scope="col" class="py-2 font-medium">"Role"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {account.organizations.into_iter().map(|m| view! {
                                <tr>
                                    <td class="py-2 pr-4 text-slate-900">
                                        {if m.role == Role::Administrator {
                                            view! {
                                                <A href=format!("/orgs/{}/organizations", m.org.id)
                                                    attr:class="text-emerald-800 underline">{m.org.name.clone()}</A>
                                            }.into_any()
                                        } else {
                                            view! { <span>{m.org.name.clone()}</span> }.into_any()
                                        }}
                                    </td>
                                    <td class="py-2 text-slate-700">{m.role.label()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </AccountSection>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_is_checked_by_the_policy_and_against_its_repetition() {
        assert!(
            check_new_password("correct horse", "correct horse", "password", "repeat").is_empty()
        );
        let errors = check_new_password("short", "short", "password", "repeat");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "password");
        let errors = check_new_password("correct horse", "correct hors", "password", "repeat");
        assert_eq!(errors, vec![("repeat", PASSWORDS_DIFFER.to_owned())]);
    }

    #[test]
    fn names_are_checked_field_by_field() {
        assert!(parse_name("Jan", "Jansen").is_ok());
        let errors = parse_name("", "Jansen").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "first_name");
    }
}
