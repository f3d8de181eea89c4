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
pub mod invoices;
pub mod layout;
pub mod orgs;
pub mod paging;
pub mod passes;
pub mod routes;
pub mod settings;
pub mod stations;
pub mod tariffs;
pub mod transactions;
pub mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, Lazy};
use routes::*;

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

    view! {
        <Title text="ChargeDesk"/>
        // `data-hydrated` becomes "true" only in the browser, once the wasm has taken over the whole page including
        // the lazily loaded page (`browser::mark_hydrated`, called by the frontend crate): end-to-end tests wait for
        // it, because clicks before hydration would be lost.
        <div id="chargedesk" data-hydrated="false">
            <Router>
                <Routes fallback=|| view! { <layout::NotFoundPage/> }>
                    <Route path=path!("/login") view={Lazy::<Login>::new()}/>
                    <Route path=path!("/set-password") view={Lazy::<SetPassword>::new()}/>
                    <Route path=path!("/forgot-password") view={Lazy::<ForgotPassword>::new()}/>
                    <Route path=path!("/account") view={Lazy::<Account>::new()}/>
                    <Route path=path!("/") view=layout::HomePage/>
                    <Route path=path!("/my/passes") view={Lazy::<MyPasses>::new()}/>
                    <ParentRoute path=path!("/orgs/:org") view={Lazy::<Org>::new()}>
                        <Route path=path!("") view={Lazy::<Organizations>::new()}/>
                        <Route path=path!("organizations") view={Lazy::<Organizations>::new()}/>
                        <Route path=path!("users") view={Lazy::<Users>::new()}/>
                        <Route path=path!("assets") view={Lazy::<Assets>::new()}/>
                        <ParentRoute path=path!("assets/:station") view={Lazy::<Station>::new()}>
                            <Route path=path!("") view={Lazy::<StationOverview>::new()}/>
                            <Route path=path!("logs") view={Lazy::<StationLogs>::new()}/>
                            <Route path=path!("commands") view={Lazy::<StationCommands>::new()}/>
                            <Route path=path!("configuration") view={Lazy::<StationConfiguration>::new()}/>
                            <Route path=path!("settings") view={Lazy::<StationSettings>::new()}/>
                        </ParentRoute>
                        <Route path=path!("passes") view={Lazy::<Passes>::new()}/>
                        <Route path=path!("passes/import") view={Lazy::<PassImport>::new()}/>
                        <Route path=path!("transactions") view={Lazy::<Transactions>::new()}/>
                        <Route path=path!("invoices") view={Lazy::<Invoices>::new()}/>
                        <ParentRoute path=path!("settings") view={Lazy::<Settings>::new()}>
                            <Route path=path!("") view={Lazy::<PassModes>::new()}/>
                            <Route path=path!("passes") view={Lazy::<PassModes>::new()}/>
                            <Route path=path!("access") view={Lazy::<AccessMode>::new()}/>
                            <Route path=path!("tariff") view={Lazy::<Tariff>::new()}/>
                            <Route path=path!("billing") view={Lazy::<Billing>::new()}/>
                            <Route path=path!("security") view={Lazy::<Security>::new()}/>
                            <Route path=path!("audit") view={Lazy::<AuditLog>::new()}/>
                        </ParentRoute>
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}
