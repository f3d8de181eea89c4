//! "Organizations": the customer tiles of the organization being worked in, and adding one.

use crate::components::*;
use crate::error::AppError;
use crate::layout::{org_resource, use_org_id};
use leptos::prelude::*;
use shared::model::{OrgContext, OrgSummary};
use shared::names::OrgName;
use shared::OrgId;

/// Name and breadcrumb of an organization the caller administers.
#[server(prefix = "/api", endpoint = "get_org_context")]
pub async fn get_org_context(org: OrgId) -> Result<OrgContext, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.context().await?)
}

/// The direct sub-organizations (customers) of `org`, as tiles.
#[server(prefix = "/api", endpoint = "list_organizations")]
pub async fn list_organizations(org: OrgId) -> Result<Vec<OrgSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.sub_organizations().await?)
}

/// Adds a sub-organization (a customer of a partner, or a department of a customer) below `org`.
#[server(prefix = "/api", endpoint = "add_organization")]
pub async fn add_organization(org: OrgId, name: String) -> Result<OrgId, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let name = OrgName::parse(&name).map_err(|e| AppError::invalid("name", e))?;
    org.add_sub_organization(&name).await.map_err(|e| {
        let e = AppError::from(e);
        match e {
            AppError::Conflict { message, .. } => AppError::Conflict {
                field: Some("name".into()),
                message,
            },
            other => other,
        }
    })
}

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let org = use_org_id();
    let add = ServerAction::<AddOrganization>::new();
    let tiles = org_resource(move || add.version().get(), list_organizations);
    let context = org_resource(|| 0, get_org_context);
    let (show_form, set_show_form) = signal(false);

    view! {
        <PageHeader title="Organizations">
            <button type="button" class=PRIMARY_BUTTON on:click=move |_| set_show_form.update(|v| *v = !*v)
                aria-expanded=move || show_form.get().to_string()>
                "+ Add Organization"
            </button>
        </PageHeader>
        <Show when=move || show_form.get()>
            <AddOrganizationForm action=add org=org on_done=move || set_show_form.set(false)/>
        </Show>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let name = context.await.map(|c| c.name).unwrap_or_default();
                match tiles.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title=format!("{name} has no sub-organizations")
                            hint="Use Users and Passes in the menu to manage this organization's cardholders and charging passes, or add a sub-organization."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Sub-organizations">
                            {list.into_iter().map(|o| view! { <OrgTile org=o/> }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrgTile(org: OrgSummary) -> impl IntoView {
    view! {
        <li>
            <a href=format!("/orgs/{}/organizations", org.id)
                class="block rounded-lg border border-slate-200 bg-white p-5 shadow-sm hover:border-emerald-600 hover:shadow focus:outline-none focus:ring-2 focus:ring-emerald-600/50">
                <span class="block text-lg font-medium text-slate-900">{org.name.clone()}</span>
                <span class="mt-2 block text-sm text-slate-600">
                    {format!(
                        "{} · {} · {}",
                        count(org.user_count, "user", "users"),
                        count(org.pass_count, "pass", "passes"),
                        count(org.sub_org_count, "sub-organization", "sub-organizations"),
                    )}
                </span>
            </a>
        </li>
    }
}

#[component]
fn AddOrganizationForm(
    action: ServerAction<AddOrganization>,
    org: Memo<Option<OrgId>>,
    on_done: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let (name, set_name) = signal(String::new());
    let (touched, set_touched) = signal(false);
    let live_error = move || {
        touched
            .get()
            .then(|| OrgName::parse(&name.get()).err().map(|e| e.to_string()))
            .flatten()
    };
    let server_error = move || action.value().get().and_then(|r| r.err());
    // Close only after a save made while this form is open: the action still holds the result of the previous
    // save when "+ Add …" opens the form again.
    let saves_before = action.version().get_untracked();
    Effect::new(move |_| {
        if action.version().get() > saves_before && matches!(action.value().get(), Some(Ok(_))) {
            set_name.set(String::new());
            set_touched.set(false);
            on_done();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set_touched.set(true);
        if OrgName::parse(&name.get_untracked()).is_err() {
            return;
        }
        if let Some(org) = org.get_untracked() {
            action.dispatch(AddOrganization {
                org,
                name: name.get_untracked(),
            });
        }
    };
    view! {
        <form on:submit=submit aria-label="Add organization" class="mb-6 space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" novalidate>
            <div>
                <label for="org-name" class=LABEL_CLASS>"Organization name"</label>
                <input id="org-name" name="name" type="text" required
                    class=move || if live_error().is_some() { INPUT_INVALID_CLASS } else { INPUT_CLASS }
                    prop:value=name
                    on:input=move |ev| { set_name.set(event_target_value(&ev)); set_touched.set(true); }/>
                <FieldError error=Signal::derive(move || live_error().or_else(|| server_error().and_then(|e| e.for_field("name"))))/>
            </div>
            <FormBanner error=Signal::derive(move || server_error().filter(|e| !e.is_field_error()))/>
            <div class="flex gap-2">
                <button type="submit" class=PRIMARY_BUTTON disabled=action.pending()>"Save"</button>
                <button type="button" class=SECONDARY_BUTTON on:click=move |_| on_done()>"Cancel"</button>
            </div>
        </form>
    }
}
