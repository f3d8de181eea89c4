//! "Users": the cardholders and administrators of an organization with their status ("Active", "Invited",
//! "Invitation expired"), adding one (which invites them by e-mail), resending or revoking an invitation, and
//! removing one.

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::model::{MemberStatus, UserSummary};
use shared::names::{Email, PersonName};
use shared::role::Role;
use shared::{MemberId, OrgId};

/// The members of `org`.
#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users(org: OrgId) -> Result<Vec<UserSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.users().await?)
}

/// Removes a member from `org` (kept in the audit log): their passes in `org` are deleted with them, and they no
/// longer see or administer anything through it. Nobody can remove themself; a person can be added again later.
/// `user` is the [`MemberId`] of a row of "Users", resolved within `org` (anything else: "not found").
#[server(prefix = "/api", endpoint = "remove_user")]
pub async fn remove_user(org: OrgId, user: MemberId) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let user = org.member(user).await?;
    Ok(org.remove_user(user).await?)
}

/// "Resend invitation": the member `user` of `org` (not active yet) gets a new 7-day link (or, if their account
/// has a password, the notice again); their earlier links for `org` stop working. Audited.
#[server(prefix = "/api", endpoint = "resend_invitation")]
pub async fn resend_invitation(org: OrgId, user: MemberId) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let user = org.member(user).await?;
    Ok(org.resend_invitation(user).await?)
}

/// "Revoke invitation": the open invitation links of the member `user` of `org` (not active yet) stop working;
/// "Users" shows "Invitation expired". They stay a member. Audited.
#[server(prefix = "/api", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(org: OrgId, user: MemberId) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let user = org.member(user).await?;
    Ok(org.revoke_invitation(user).await?)
}

/// What adding a user did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedUser {
    /// An account with this e-mail existed already in the caller's own tree (this organization's, or one below
    /// an organization they administer) and was reused. An account elsewhere is never revealed: adding its
    /// e-mail looks exactly like adding a new person.
    pub reused_existing_account: bool,
    /// Only with `reused_existing_account`: that account has a password, so it was mailed a notice rather than an
    /// invitation to set one. Otherwise an invitation link went out (as far as the caller can tell).
    pub notice_instead_of_link: bool,
}

/// The notice after "+ Add User" saved `email`.
pub fn added_message(added: &AddedUser, email: &str) -> String {
    let invitation = format!(
        "We sent an invitation to {email} to set a password; the link is valid for 7 days."
    );
    match (added.reused_existing_account, added.notice_instead_of_link) {
        (false, _) => format!("The user was added. {invitation}"),
        (true, true) => format!("{REUSED} We sent them a notice."),
        (true, false) => format!("{REUSED} {invitation}"),
    }
}

/// The notice after adding an account of the caller's own tree.
const REUSED: &str =
    "An account with this e-mail address already existed. It was reused (not duplicated) and \
                      added to this organization; its name is unchanged.";

/// The form's fields, validated by the browser while typing and again by the server with the same code.
pub struct NewUser {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
}

impl NewUser {
    /// Every field's error at once, keyed by the input's `name`.
    pub fn parse(
        first: &str,
        last: &str,
        email: &str,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        // The names by exactly the "Your name" form's rule; the e-mail's error after theirs.
        let names = crate::account::parse_name(first, last);
        let email = Email::parse(email);
        match (names, email) {
            (Ok((first_name, last_name)), Ok(email)) => Ok(Self {
                first_name,
                last_name,
                email,
            }),
            (names, email) => {
                let mut errors = names.err().unwrap_or_default();
                errors.extend(email.err().map(|e| ("email", e.to_string())));
                Err(errors)
            }
        }
    }
}

/// Adds a cardholder or administrator to `org`. An e-mail that already has an account reuses that account (see
/// [`AddedUser`] for what the caller learns about it).
#[server(prefix = "/api", endpoint = "add_user")]
pub async fn add_user(
    org: OrgId,
    first_name: String,
    last_name: String,
    email: String,
    role: Role,
) -> Result<AddedUser, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let new = NewUser::parse(&first_name, &last_name, &email).map_err(AppError::first_invalid)?;
    let outcome = org
        .add_user(&new.first_name, &new.last_name, &new.email, role)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { message, .. } => AppError::Conflict {
                field: Some("email".into()),
                message,
            },
            other => other,
        })?;
    Ok(AddedUser {
        reused_existing_account: outcome.reused_existing_account,
        notice_instead_of_link: outcome.notice_instead_of_link,
    })
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let remove = ServerAction::<RemoveUser>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let users = org_resource(
        move || {
            add.version().get()
                + remove.version().get()
                + resend.version().get()
                + revoke.version().get()
        },
        list_users,
    );
    // The e-mail of the last "+ Add User" sent, for the notice.
    let added_email = RwSignal::new(String::new());
    // The last invitation action, for its notice.
    let (invitation_notice, set_invitation_notice) = signal(None::<String>);
    let (show_form, set_show_form) = signal(false);
    let (pending_remove, set_pending_remove) = signal(None::<UserSummary>);
    let org = use_org_id();

    view! {
        <PageHeader title="Users">
            <button type="button" class=PRIMARY_BUTTON on:click=move |_| set_show_form.update(|v| *v = !*v)
                aria-expanded=move || show_form.get().to_string()>
                "+ Add User"
            </button>
        </PageHeader>
        <Notice message=Signal::derive(move || add.value().get().and_then(|r| r.ok()).map(|added| {
            added_message(&added, &added_email.get())
        }))/>
        <div class="space-y-2">
            <Notice message=Signal::derive(move || {
                let ok = |v: Option<Result<(), AppError>>| matches!(v, Some(Ok(())));
                invitation_notice.get().filter(|_| ok(resend.value().get()) || ok(revoke.value().get()))
            })/>
            <FormBanner error=Signal::derive(move || resend.value().get().and_then(|r| r.err()))/>
            <FormBanner error=Signal::derive(move || revoke.value().get().and_then(|r| r.err()))/>
        </div>
        <div class="space-y-2">
            <Notice message=Signal::derive(move || matches!(remove.value().get(), Some(Ok(()))).then(|| "The user was removed from this organization, with their passes here. The audit log keeps a record of it.".to_owned()))/>
            <FormBanner error=Signal::derive(move || remove.value().get().and_then(|r| r.err()))/>
        </div>
        <Show when=move || show_form.get()>
            <AddUserForm action=add added_email on_done=move || set_show_form.set(false)/>
        </Show>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No users yet" hint="Add the people who charge here with “+ Add User”."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <UsersTable users=list on_remove=move |u| set_pending_remove.set(Some(u))
                            on_resend=move |u: UserSummary| {
                                if let Some(org) = org.get_untracked() {
                                    set_invitation_notice.set(Some(format!(
                                        "We sent the invitation to {} again; it is valid for 7 days. Earlier links no longer work.",
                                        u.email
                                    )));
                                    revoke.clear();
                                    resend.dispatch(ResendInvitation { org, user: u.id });
                                }
                            }
                            on_revoke=move |u: UserSummary| {
                                if let Some(org) = org.get_untracked() {
                                    set_invitation_notice.set(Some(format!(
                                        "The invitation for {} was revoked: its link no longer works.",
                                        u.full_name()
                                    )));
                                    resend.clear();
                                    revoke.dispatch(RevokeInvitation { org, user: u.id });
                                }
                            }/>
                    }.into_any(),
                }
            })}
        </Transition>
        {move || pending_remove.get().map(|user| view! {
            <ConfirmRemove user=user
                on_confirm=move |u: UserSummary| {
                    if let Some(org) = org.get_untracked() {
                        remove.dispatch(RemoveUser { org, user: u.id });
                    }
                    set_pending_remove.set(None);
                }
                on_cancel=move || set_pending_remove.set(None)/>
        })}
    }
}

#[component]
fn UsersTable(
    users: Vec<UserSummary>,
    on_remove: impl Fn(UserSummary) + Send + Sync + Copy + 'static,
    on_resend: impl Fn(UserSummary) + Send + Sync + Copy + 'static,
    on_revoke: impl Fn(UserSummary) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    view! {
        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Users of this organization"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-3 font-medium">"Name"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"E-mail"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Role"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Passes"</th>
                        <th scope="col" class="px-4 py-3 font-medium">"Status"</th>
                        <th scope="col" class="px-4 py-3 font-medium"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {users.into_iter().map(|u| {
                        let label = format!("Remove {}", u.full_name());
                        let resend_label = format!("Resend invitation to {}", u.full_name());
                        let revoke_label = format!("Revoke invitation for {}", u.full_name());
                        let for_remove = u.clone();
                        let (for_resend, for_revoke) = (u.clone(), u.clone());
                        let status = u.status;
                        let status_title = match status {
                            MemberStatus::Invited { expires_at } => Some(format!("The invitation link is valid until {expires_at}")),
                            _ => None,
                        };
                        view! {
                            <tr>
                                <td class="px-4 py-3 font-medium text-slate-900">{u.full_name()}</td>
                                <td class="px-4 py-3 text-slate-700">{u.email.clone()}</td>
                                <td class="px-4 py-3 text-slate-700">{u.role.label()}</td>
                                <td class="px-4 py-3 text-slate-700">{u.pass_count}</td>
                                <td class="px-4 py-3">
                                    <span title=status_title class=match status {
                                        MemberStatus::Active => "rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800",
                                        MemberStatus::Invited { .. } => "rounded-full bg-sky-50 px-2 py-0.5 text-xs font-medium text-sky-800",
                                        MemberStatus::InvitationExpired => "rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800",
                                    }>{status.label()}</span>
                                </td>
                                <td class="px-4 py-3 text-right whitespace-nowrap">
                                    {(!status.is_active()).then(|| view! {
                                        <button type="button" aria-label=resend_label.clone() title=resend_label
                                            on:click=move |_| on_resend(for_resend.clone())
                                            class="rounded px-2 py-1 text-sm text-emerald-800 hover:bg-emerald-50 focus:outline-none focus:ring-2 focus:ring-emerald-600/40">
                                            "Resend invitation"
                                        </button>
                                    })}
                                    {matches!(status, MemberStatus::Invited { .. }).then(|| view! {
                                        <button type="button" aria-label=revoke_label.clone() title=revoke_label
                                            on:click=move |_| on_revoke(for_revoke.clone())
                                            class="rounded px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-slate-600/40">
                                            "Revoke invitation"
                                        </button>
                                    })}
                                    <button type="button" aria-label=label.clone() title=label
                                        on:click=move |_| on_remove(for_remove.clone())
                                        class="rounded px-2 py-1 text-sm text-red-700 hover:bg-red-50 focus:outline-none focus:ring-2 focus:ring-red-600/40">
                                        "Remove"
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// "Remove this user?": names the person and says what happens to their passes; Cancel has the focus.
#[component]
fn ConfirmRemove(
    user: UserSummary,
    on_confirm: impl Fn(UserSummary) + Send + Sync + 'static,
    on_cancel: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let summary = format!(
        "{} · {} · {}",
        user.full_name(),
        user.email,
        user.role.label()
    );
    let passes = match user.pass_count {
        0 => "They have no passes here.".to_owned(),
        1 => "Their pass in this organization will be deleted.".to_owned(),
        n => format!("Their {n} passes in this organization will be deleted."),
    };
    let consequence = format!(
        "{passes} They will no longer belong to this organization. The audit log keeps a record. You can add \
         them again later."
    );
    view! {
        <ConfirmDialog id="remove" title="Remove this user?" summary consequence confirm_label="Remove"
            on_confirm=move || on_confirm(user.clone()) on_cancel/>
    }
}

#[component]
fn AddUserForm(
    action: ServerAction<AddUser>,
    /// Set to the e-mail sent, for the notice after saving.
    added_email: RwSignal<String>,
    on_done: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let org = use_org_id();
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Cardholder);
    let server_error = move || action.value().get().and_then(|r| r.err());
    let fields = FormFields::new(
        move || {
            NewUser::parse(&first.get(), &last.get(), &email.get())
                .err()
                .unwrap_or_default()
        },
        server_error,
    );
    when_saved(action, on_done);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !fields.touch_all(&["first_name", "last_name", "email"]) {
            return;
        }
        if let Some(org) = org.get_untracked() {
            added_email.set(email.get_untracked().trim().to_owned());
            action.dispatch(AddUser {
                org,
                first_name: first.get_untracked(),
                last_name: last.get_untracked(),
                email: email.get_untracked(),
                role: role.get_untracked(),
            });
        }
    };
    let text_field = move |id: &'static str,
                           name: &'static str,
                           label: &'static str,
                           kind: &'static str,
                           value: RwSignal<String>| {
        let error = fields.error_for(name);
        view! {
            <div>
                <label for=id class=LABEL_CLASS>{label}</label>
                <input id=id name=name type=kind required
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
        <form on:submit=submit aria-label="Add user" novalidate
            class="mb-6 grid gap-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm sm:grid-cols-2">
            {text_field("user-first-name", "first_name", "First name", "text", first)}
            {text_field("user-last-name", "last_name", "Last name", "text", last)}
            {text_field("user-email", "email", "E-mail", "email", email)}
            <div>
                <label for="user-role" class=LABEL_CLASS>"Role"</label>
                <select id="user-role" name="role" class=INPUT_CLASS
                    on:change=move |ev| {
                        if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }
                    }>
                    {Role::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=move || role.get() == r>{r.label()}</option>
                    }).collect_view()}
                </select>
                <p class="mt-1 text-xs text-slate-500">
                    "Cardholders see their own passes. Administrators manage this organization and everything below it."
                </p>
            </div>
            <div class="sm:col-span-2">
                <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
            </div>
            <div class="flex gap-2 sm:col-span-2">
                <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save"</button>
                <button type="button" class=SECONDARY_BUTTON on:click=move |_| on_done()>"Cancel"</button>
            </div>
        </form>
    }
}
