//! Small building blocks shared by the feature pages: field messages, banners, page headers, empty states.

use crate::error::AppError;
use leptos::prelude::*;

pub const INPUT_CLASS: &str = "mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-slate-900 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30";
pub const INPUT_INVALID_CLASS: &str = "mt-1 w-full rounded-md border border-red-500 px-3 py-2 text-slate-900 focus:border-red-600 focus:outline-none focus:ring-2 focus:ring-red-600/30";
pub const LABEL_CLASS: &str = "block text-sm font-medium text-slate-700";
pub const PRIMARY_BUTTON: &str = "inline-flex items-center gap-1 rounded-md bg-emerald-700 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-800 focus:outline-none focus:ring-2 focus:ring-emerald-600/50 disabled:opacity-60";
pub const SECONDARY_BUTTON: &str = "inline-flex items-center gap-1 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-emerald-600/40";
pub const DANGER_BUTTON: &str = "inline-flex items-center gap-1 rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-600/50 disabled:opacity-60";

/// "1 pass", "2 passes".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The message under a form field (`role="alert"` so screen readers announce it).
#[component]
pub fn FieldError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|message| {
            view! { <p class="mt-1 text-sm text-red-700" role="alert">{message}</p> }
        })
    }
}

/// A warning under a form field that does not block saving by itself.
#[component]
pub fn FieldWarning(#[prop(into)] warning: Signal<Option<String>>) -> impl IntoView {
    move || {
        warning.get().map(|message| {
            view! { <p class="mt-1 text-sm text-amber-700" role="status">{message}</p> }
        })
    }
}

/// An error that belongs to the whole form rather than one field.
#[component]
pub fn FormBanner(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" role="alert">
                    {e.to_string()}
                </div>
            }
        })
    }
}

/// A success message after a form was saved.
#[component]
pub fn Notice(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <div class="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" role="status">
                    {m}
                </div>
            }
        })
    }
}

/// Page title with an optional action on the right (e.g. "+ Add Pass").
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="mb-6 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-slate-900">{title}</h1>
            <div class="flex items-center gap-2">{children.map(|c| c())}</div>
        </div>
    }
}

#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] hint: String) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
            <p class="font-medium text-slate-800">{title}</p>
            <p class="mt-1 text-sm text-slate-600">{hint}</p>
        </div>
    }
}

/// A page-level error (no access, not found, server trouble), shown where the content would be.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    if error == AppError::Unauthenticated {
        return view! { <leptos_router::components::Redirect path="/login"/> }.into_any();
    }
    view! {
        <div class="rounded-lg border border-red-200 bg-red-50 px-6 py-6 text-red-900" role="alert">
            <p class="font-medium">{error.to_string()}</p>
        </div>
    }
    .into_any()
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="text-sm text-slate-500" role="status">"Loading…"</p> }
}

/// A button that copies `text` to the clipboard, with visible feedback ("Copied") next to it.
#[component]
pub fn CopyButton(
    #[prop(into)] text: String,
    /// The button's text, e.g. "Copy idTag".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    // None: not clicked yet; Some(true): copied; Some(false): the browser refused.
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let ok = crate::browser::copy_to_clipboard(text).await;
            copied.set(Some(ok));
        });
    };
    view! {
        <span class="inline-flex items-center gap-2">
            <button type="button" class=SECONDARY_BUTTON on:click=copy>{label}</button>
            <span role="status" class="text-sm">
                {move || match copied.get() {
                    Some(true) => view! { <span class="font-medium text-emerald-800">"Copied"</span> }.into_any(),
                    Some(false) => view! {
                        <span class="text-amber-800">"The browser did not allow copying: select the text and copy it yourself."</span>
                    }.into_any(),
                    None => ().into_any(),
                }}
            </span>
        </span>
    }
}
