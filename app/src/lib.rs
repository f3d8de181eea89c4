//! ChargeDesk's user interface and server functions.
//!
//! One module per feature, each holding its server functions (`#[server]`, public HTTP endpoints under `/api`)
//! and its components: [`auth`], [`account`] ("My account", setting a password by a mailed link), [`orgs`],
//! [`users`], [`stations`] ("Assets"), [`passes`], [`transactions`], [`settings`]; [`browser`] holds the few browser-only helpers (clipboard, file download). Every server function
//! starts by turning the session into a typed authorization value (`auth::server::admin_of`), see
//! ARCHITECTURE.md.
//! Compiled twice: with `ssr` into the server, with `hydrate` into the browser's wasm; never both at once.

pub mod account;
pub mod auth;
pub mod browser;
pub mod components;
pub mod error;
pub mod layout;
pub mod orgs;
pub mod paging;
pub mod passes;
pub mod settings;
pub mod stations;
pub mod transactions;
pub mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

pub use error::AppError;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // The CSS, wasm and JavaScript under the names the build gave them (with their content's hash
                // when the site was built with `hash-files`: see server::leptos_options).
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="bg-slate-100 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    layout::provide_current_user();

    // Set only in the browser once the wasm has taken over the page: end-to-end tests wait for it, because
    // clicks before hydration would be lost.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text="ChargeDesk"/>
        <div id="chargedesk" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=|| view! { <layout::NotFoundPage/> }>
                    <Route path=path!("/login") view=auth::LoginPage/>
                    <Route path=path!("/set-password") view=account::SetPasswordPage/>
                    <Route path=path!("/forgot-password") view=account::ForgotPasswordPage/>
                    <Route path=path!("/account") view=account::AccountPage/>
                    <Route path=path!("/") view=layout::HomePage/>
                    <Route path=path!("/my/passes") view=passes::MyPassesPage/>
                    <ParentRoute path=path!("/orgs/:org") view=layout::OrgShell>
                        <Route path=path!("") view=orgs::OrganizationsPage/>
                        <Route path=path!("organizations") view=orgs::OrganizationsPage/>
                        <Route path=path!("users") view=users::UsersPage/>
                        <Route path=path!("assets") view=stations::AssetsPage/>
                        <ParentRoute path=path!("assets/:station") view=stations::StationPage>
                            <Route path=path!("") view=stations::StationOverviewTab/>
                            <Route path=path!("logs") view=stations::StationLogsTab/>
                            <Route path=path!("settings") view=stations::StationSettingsTab/>
                        </ParentRoute>
                        <Route path=path!("passes") view=passes::PassesPage/>
                        <Route path=path!("transactions") view=transactions::TransactionsPage/>
                        <ParentRoute path=path!("settings") view=settings::SettingsPage>
                            <Route path=path!("") view=settings::PassModesTab/>
                            <Route path=path!("passes") view=settings::PassModesTab/>
                            <Route path=path!("access") view=settings::AccessModeTab/>
                            <Route path=path!("security") view=settings::SecurityTab/>
                            <Route path=path!("audit") view=settings::AuditLogTab/>
                        </ParentRoute>
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}
