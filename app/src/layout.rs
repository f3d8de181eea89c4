//! The frame around every page: the left-hand menu ("Organizations", "Users", "Assets", "Passes",
//! "Transactions", "Invoices", "Organization settings"), "My organization" at the bottom left, and the breadcrumb of the
//! organization being worked in.

use crate::auth::{current_user, home_path, LogoutButton};
use crate::components::{ErrorPanel, Loading};
use crate::error::AppError;
use crate::orgs::get_org_context;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_params_map;
use shared::model::Me;
use shared::OrgId;

/// The signed-in user, loaded once per page load and shared through context.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Me, AppError>>);

pub fn provide_current_user() {
    provide_context(CurrentUser(Resource::new(|| (), |_| current_user())));
}

pub fn use_current_user() -> Resource<Result<Me, AppError>> {
    expect_context::<CurrentUser>().0
}

/// The organization id in the URL (`/orgs/:org/...`); `None` if it is not a number.
pub fn use_org_id() -> Memo<Option<OrgId>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("org").and_then(|s| s.parse().ok()))
}

/// A resource that loads `fetch(org)` for the organization in the URL, refetching when `version` changes.
pub fn org_resource<T, Fut>(
    version: impl Fn() -> usize + Send + Sync + 'static,
    fetch: impl Fn(OrgId) -> Fut + Send + Sync + Copy + 'static,
) -> Resource<Result<T, AppError>>
where
    T: Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let org = use_org_id();
    Resource::new(
        move || (org.get(), version()),
        move |(org, _)| async move {
            match org {
                Some(org) => fetch(org).await,
                None => Err(AppError::NoAccess),
            }
        },
    )
}

/// `/`: sends the user to where they start, or to the log-in page.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = use_current_user();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me) => view! { <Redirect path=home_path(&me)/> }.into_any(),
                    Err(_) => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main class="mx-auto max-w-lg p-8">
            <ErrorPanel error=AppError::NoAccess/>
            <a href="/" class="mt-4 inline-block text-emerald-800 underline">"Go to the start page"</a>
        </main>
    }
}

const NAV_LINK: &str = "block rounded-md px-3 py-2 text-sm font-medium text-slate-200 hover:bg-slate-700 hover:text-white focus:outline-none focus:ring-2 focus:ring-white/50 aria-[current=page]:bg-slate-700 aria-[current=page]:text-white";

/// Left-hand menu plus page content, used by every signed-in page.
#[component]
pub fn AppFrame(
    /// The organization the menu works in; `None` for a cardholder's own pages.
    #[prop(into)]
    org: Signal<Option<OrgId>>,
    children: Children,
) -> impl IntoView {
    let me = use_current_user();
    let link = move |section: &'static str| {
        move || {
            org.get()
                .map(|o| format!("/orgs/{o}/{section}"))
                .unwrap_or_default()
        }
    };
    view! {
        <div class="min-h-screen md:flex">
            <nav aria-label="Main menu" class="flex flex-col bg-slate-800 md:min-h-screen md:w-60 md:shrink-0">
                <a href="/" class="block px-5 py-4 text-lg font-semibold text-white">"ChargeDesk"</a>
                <div class="flex-1 space-y-1 px-2">
                    <Show when=move || org.get().is_some()
                        fallback=|| view! { <A href="/my/passes" attr:class=NAV_LINK>"My passes"</A> }>
                        <A href=link("organizations") attr:class=NAV_LINK>"Organizations"</A>
                        <A href=link("users") attr:class=NAV_LINK>"Users"</A>
                        <A href=link("assets") attr:class=NAV_LINK>"Assets"</A>
                        <A href=link("passes") attr:class=NAV_LINK>"Passes"</A>
                        <A href=link("transactions") attr:class=NAV_LINK>"Transactions"</A>
                        <A href=link("invoices") attr:class=NAV_LINK>"Invoices"</A>
                        <A href=link("settings") attr:class=NAV_LINK>"Organization settings"</A>
                    </Show>
                </div>
                <div class="border-t border-slate-700 px-2 py-3">
                    <A href="/account" attr:class=NAV_LINK>"My account"</A>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            me.await.ok().map(|me| {
                                let home = me.home_org.clone();
                                view! {
                                    {home.map(|h| view! {
                                        <a href=format!("/orgs/{}/settings", h.id) class=NAV_LINK>"My organization"</a>
                                    })}
                                    <div class="flex items-center justify-between px-3 pt-2">
                                        <span class="truncate text-sm text-slate-300" title=me.email.clone()>
                                            {format!("{} {}", me.first_name, me.last_name)}
                                        </span>
                                        <LogoutButton/>
                                    </div>
                                }
                            })
                        })}
                    </Transition>
                </div>
            </nav>
            <main class="min-w-0 flex-1 p-4 md:p-8">{children()}</main>
        </div>
    }
}

/// `/orgs/:org/...`: the menu, the breadcrumb of the organization, and the selected page.
#[component]
pub fn OrgShell() -> impl IntoView {
    let org = use_org_id();
    let context = org_resource(|| 0, get_org_context);
    view! {
        <AppFrame org=org>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    context.await.ok().map(|ctx| view! {
                        <nav aria-label="Breadcrumb" class="mb-4 text-sm text-slate-600">
                            <ol class="flex flex-wrap items-center gap-1">
                                {ctx.path.iter().enumerate().map(|(i, step)| view! {
                                    <li class="flex items-center gap-1">
                                        {(i > 0).then(|| view! { <span aria-hidden="true">"›"</span> })}
                                        <a href=format!("/orgs/{}/organizations", step.id)
                                            class="hover:text-emerald-800 hover:underline"
                                            aria-current=(step.id == ctx.id).then_some("page")>
                                            {step.name.clone()}
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ol>
                        </nav>
                    })
                })}
            </Transition>
            <Outlet/>
        </AppFrame>
    }
}
