//! The pages as lazy routes (issue #9: a light first visit). Each group of pages below is one `#[lazy]`
//! function, which `cargo leptos build --split` compiles into WebAssembly of its own (the group's chunk plus the
//! chunks of code it shares with other groups), loaded when the browser first shows one of its pages, instead
//! of into the main module every visit downloads. The main module keeps the router, the current user and what
//! every page needs. The server names the chunks of the page it rendered in `<link rel="preload">`s, so they
//! load together with the main module; hydration waits for them (`frontend::hydrate`).
//!
//! Pages are grouped by what a visit uses together, because every split point multiplies the small chunks of
//! code shared between some of them (more files, each compressed on its own): the pages before log-in, a
//! person's own pages, the organization frame with its start page, and one group per menu entry.
//!
//! A page loads its own data (its resources are created in its view, as before), so a route's `data()` has
//! nothing to do. On the server a `#[lazy]` function is an ordinary one that also records which chunks the
//! page needs.

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::account::{AccountPage, ForgotPasswordPage, SetPasswordPage};
use crate::auth::LoginPage;
use crate::invoices::{BillingTab, InvoicesPage};
use crate::layout::OrgShell;
use crate::orgs::OrganizationsPage;
use crate::passes::import::ImportPassesPage;
use crate::passes::{MyPassesPage, PassesPage};
use crate::settings::{AccessModeTab, AuditLogTab, PassModesTab, SecurityTab, SettingsPage};
use crate::stations::{
    AssetsPage, StationCommandsTab, StationConfigurationTab, StationLogsTab, StationOverviewTab,
    StationPage, StationSettingsTab,
};
use crate::tariffs::TariffTab;
use crate::transactions::TransactionsPage;
use crate::users::UsersPage;

/// For each group: an enum `$group` of its pages, the `#[lazy]` function `$load` that renders one of them, and
/// for each page `$route => $page` a unit struct `$route` (used as `Lazy::<$route>::new()` in [`crate::App`])
/// whose view is `$page` loaded through `$load`.
macro_rules! page_groups {
    ($(
        $(#[$doc:meta])*
        $group:ident, $load:ident, $preload:ident {
            $($route:ident => $page:ident,)*
        }
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub enum $group {
            $($route,)*
        }

        #[leptos::lazy]
        fn $load(page: $group) -> AnyView {
            match page {
                $($group::$route => view! { <$page/> }.into_any(),)*
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_this: Self) -> AnyView {
                    $load($group::$route).await
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*
    )*};
}

page_groups! {
    /// Before log-in: `/login`, `/set-password`, `/forgot-password`.
    PublicPages, public_page, __preload_public_page {
        Login => LoginPage,
        SetPassword => SetPasswordPage,
        ForgotPassword => ForgotPasswordPage,
    }
    /// A person's own pages: `/account` ("My account"), `/my/passes`.
    OwnPages, own_page, __preload_own_page {
        Account => AccountPage,
        MyPasses => MyPassesPage,
    }
    /// `/orgs/:org/…`: the menu frame and breadcrumb around an organization's pages, and its start page
    /// "Organizations".
    OrgPages, org_page, __preload_org_page {
        Org => OrgShell,
        Organizations => OrganizationsPage,
    }
    /// `/orgs/:org/users`
    UserPages, user_page, __preload_user_page {
        Users => UsersPage,
    }
    /// `/orgs/:org/assets` and a station's tabs `/orgs/:org/assets/:station/…`.
    StationPages, station_page, __preload_station_page {
        Assets => AssetsPage,
        Station => StationPage,
        StationOverview => StationOverviewTab,
        StationLogs => StationLogsTab,
        StationCommands => StationCommandsTab,
        StationConfiguration => StationConfigurationTab,
        StationSettings => StationSettingsTab,
    }
    /// `/orgs/:org/passes` and "Import passes" `/orgs/:org/passes/import`.
    PassPages, pass_page, __preload_pass_page {
        Passes => PassesPage,
        PassImport => ImportPassesPage,
    }
    /// `/orgs/:org/transactions`
    TransactionPages, transaction_page, __preload_transaction_page {
        Transactions => TransactionsPage,
    }
    /// `/orgs/:org/invoices`
    InvoicePages, invoice_page, __preload_invoice_page {
        Invoices => InvoicesPage,
    }
    /// "Organization settings" `/orgs/:org/settings/…` and its tabs.
    SettingsPages, settings_page, __preload_settings_page {
        Settings => SettingsPage,
        PassModes => PassModesTab,
        AccessMode => AccessModeTab,
        Tariff => TariffTab,
        Billing => BillingTab,
        Security => SecurityTab,
        AuditLog => AuditLogTab,
    }
}
