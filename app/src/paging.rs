//! Paged lists ("Passes", "Transactions"): the page is in the address (`?after=` / `?before=` a cursor, plus the
//! list's filter), so that the server renders the same page the browser shows, "Previous" and "Next" are plain
//! links (reachable with the keyboard, usable before the wasm has loaded), and the browser's back button goes
//! back a page. The cursors are [`shared::paging`]'s; the server checks them.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_query_map};
use shared::paging::{Cursor, PageError, PageRequest, PAGE_FIELD};

/// The query-string names of a page's start.
pub const AFTER: &str = "after";
pub const BEFORE: &str = "before";

/// The cursors the address holds (`after`, `before`): text for the server function, which checks them.
pub fn use_page_params() -> Memo<(Option<String>, Option<String>)> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| (q.get(AFTER), q.get(BEFORE))))
}

/// A value of the address's query string (a list's filter), `None` when missing or empty.
pub fn use_query_value(name: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get(name).filter(|v| !v.is_empty())))
}

/// The page a server function was asked for, or the readable refusal of a damaged page link.
pub fn page_request(
    after: Option<String>,
    before: Option<String>,
    size: Option<u32>,
) -> Result<PageRequest, AppError> {
    PageRequest::parse(after.as_deref(), before.as_deref(), size)
        .map_err(|e: PageError| AppError::invalid(PAGE_FIELD, e))
}

/// `path` with the query string `filter` (name, value; empty values left out) and, if given, a page start.
pub fn list_href(
    path: &str,
    filter: &[(&str, Option<String>)],
    start: Option<(&str, Cursor)>,
) -> String {
    let mut parts: Vec<String> = filter
        .iter()
        .filter_map(|(name, value)| {
            value
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{name}={}", encode(v)))
        })
        .collect();
    if let Some((name, cursor)) = start {
        parts.push(format!("{name}={cursor}"));
    }
    if parts.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// A query-string value, percent-encoded but for the unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The current path (without the query string), for [`list_href`].
pub fn use_path() -> Memo<String> {
    let location = use_location();
    Memo::new(move |_| location.pathname.get())
}

const PAGE_LINK: &str = "inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-emerald-600/40";
const PAGE_LINK_OFF: &str = "inline-flex items-center rounded-md border border-slate-200 bg-slate-50 px-3 py-1.5 text-sm font-medium text-slate-400";

/// "1–50 of 1,234" with "Previous" and "Next": links to the neighbouring pages, or greyed out (not links) on the
/// first and last page. `label` names the list for screen readers ("Pages of passes").
#[component]
pub fn Pager(
    #[prop(into)] label: String,
    /// "1–50 of 1,234".
    range: String,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let link = |href: Option<String>, text: &'static str, rel: &'static str| match href {
        Some(href) => {
            view! { <A href=href attr:class=PAGE_LINK attr:rel=rel>{text}</A> }.into_any()
        }
        None => view! { <span class=PAGE_LINK_OFF aria-disabled="true">{text}</span> }.into_any(),
    };
    view! {
        <nav aria-label=label class="mt-3 flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
            <p role="status">{range}</p>
            <div class="flex gap-2">
                {link(previous, "Previous", "prev")}
                {link(next, "Next", "next")}
            </div>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_the_filter_and_add_the_page() {
        let cursor = Cursor {
            key: 1_795_511_130_000,
            id: 42,
            position: 50,
        };
        assert_eq!(list_href("/orgs/3/passes", &[], None), "/orgs/3/passes");
        assert_eq!(
            list_href("/orgs/3/passes", &[("mode", None)], Some((AFTER, cursor))),
            "/orgs/3/passes?after=1795511130000.42.50"
        );
        assert_eq!(
            list_href(
                "/orgs/3/transactions",
                &[("station", Some("12".into())), ("x", Some("a b&c".into()))],
                Some((BEFORE, cursor))
            ),
            "/orgs/3/transactions?station=12&x=a%20b%26c&before=1795511130000.42.50"
        );
    }

    #[test]
    fn damaged_page_links_are_refused_readably() {
        assert_eq!(
            page_request(Some("x".into()), None, None),
            Err(AppError::invalid(PAGE_FIELD, PageError::Malformed))
        );
        assert!(page_request(None, None, Some(9_999_999)).is_ok());
    }
}
