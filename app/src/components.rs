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
    // An administrator whose organization requires two-factor authentication is sent where to set it up.
    let set_up = (error == AppError::TwoFactorRequired).then(|| {
        view! {
            <a href="/account" class="mt-3 inline-block font-medium text-red-900 underline hover:text-red-950">
                "Set up two-factor authentication"
            </a>
        }
    });
    view! {
        <div class="rounded-lg border border-red-200 bg-red-50 px-6 py-6 text-red-900" role="alert">
            <p class="font-medium">{error.to_string()}</p>
            {set_up}
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

/// The state every "+ Add …" form keeps about its fields: which ones the person has been through, and the
/// message to show at each — the browser's live check (the same `shared` rules the server applies) once the
/// field was touched or the form submitted, else what the server answered for that field.
#[derive(Clone, Copy)]
pub struct FormFields {
    touched: RwSignal<Vec<&'static str>>,
    live: Signal<Vec<(&'static str, String)>>,
    server: Signal<Option<AppError>>,
}

impl FormFields {
    /// `live`: the current input's errors by field name; `server`: the last answer's error, if any.
    pub fn new(
        live: impl Fn() -> Vec<(&'static str, String)> + Send + Sync + 'static,
        server: impl Fn() -> Option<AppError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            touched: RwSignal::new(Vec::new()),
            live: Signal::derive(live),
            server: Signal::derive(server),
        }
    }

    /// From now on, `field` shows its live message.
    pub fn touch(&self, field: &'static str) {
        self.touched.update(|t| {
            if !t.contains(&field) {
                t.push(field)
            }
        })
    }

    /// On submit: every field shows its message. Returns whether the live check passed.
    pub fn touch_all(&self, fields: &[&'static str]) -> bool {
        for field in fields {
            self.touch(field);
        }
        self.live.with_untracked(|errors| errors.is_empty())
    }

    /// The message to show at `field`.
    pub fn error_for(&self, field: &'static str) -> Signal<Option<String>> {
        let this = *self;
        Signal::derive(move || {
            let live = this
                .touched
                .with(|t| t.contains(&field))
                .then(|| {
                    this.live.with(|errors| {
                        errors
                            .iter()
                            .find(|(f, _)| *f == field)
                            .map(|(_, m)| m.clone())
                    })
                })
                .flatten();
            live.or_else(|| this.server.get().and_then(|e| e.for_field(field)))
        })
    }
}

/// Calls `on_done` after a successful save made while the calling form is open. (The action still holds the
/// previous save's result when "+ Add …" opens the form again, so "has a successful result" is not enough.)
pub fn when_saved<S>(action: ServerAction<S>, on_done: impl Fn() + Send + Sync + 'static)
where
    S: server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let saves_before = action.version().get_untracked();
    Effect::new(move |_| {
        if action.version().get() > saves_before
            && action.value().with(|v| matches!(v, Some(Ok(_))))
        {
            on_done();
        }
    });
}

/// The question before a destructive action: an `alertdialog` titled `title`, naming what it is about (`summary`)
/// and what will happen (`consequence`). Cancel has the focus and Escape cancels. `id` prefixes the ids of the
/// title and the text (unique on the page).
#[component]
pub fn ConfirmDialog(
    id: &'static str,
    title: &'static str,
    summary: String,
    consequence: String,
    confirm_label: &'static str,
    on_confirm: impl Fn() + Send + Sync + 'static,
    on_cancel: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel_ref.get() {
            let _ = button.focus();
        }
    });
    let title_id = format!("{id}-title");
    let text_id = format!("{id}-text");
    let (labelled_by, described_by) = (title_id.clone(), text_id.clone());
    view! {
        <div class="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 px-4"
            on:keydown=move |ev| if ev.key() == "Escape" { on_cancel() }>
            <div role="alertdialog" aria-modal="true" aria-labelledby=labelled_by aria-describedby=described_by
                class="w-full max-w-md rounded-lg bg-white p-6 shadow-xl">
                <h2 id=title_id class="text-lg font-semibold">{title}</h2>
                <p id=text_id class="mt-2 text-sm text-slate-700">
                    {summary}<br/>
                    {consequence}
                </p>
                <div class="mt-6 flex justify-end gap-2">
                    <button type="button" class=SECONDARY_BUTTON node_ref=cancel_ref on:click=move |_| on_cancel()>"Cancel"</button>
                    <button type="button" class=DANGER_BUTTON on:click=move |_| on_confirm()>{confirm_label}</button>
                </div>
            </div>
        </div>
    }
}
