//! The one error type of every server function, and the only place where storage errors become messages.
//!
//! A server function is a public HTTP endpoint: what it returns is shown to whoever called it. So an error
//! carries a message written for a person, optionally the form field it belongs to, and never database text.
//! Internal failures are logged on the server and reach the browser as a generic sentence.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the browser is sent to the log-in page.
    #[error("Your session has ended. Please log in again.")]
    Unauthenticated,
    /// Refused. Deliberately the same for "not yours" and "does not exist", so nothing is revealed.
    #[error("This page does not exist or you do not have access to it.")]
    NoAccess,
    /// An organization requires two-factor authentication of its administrators and the caller has not set it
    /// up: administrator work is refused until they do, under "My account" (which keeps working).
    #[error("Your organization requires two-factor authentication for administrators. Set it up under “My account”.")]
    TwoFactorRequired,
    /// Not found inside the caller's own organization (e.g. a pass that was deleted meanwhile).
    #[error("That {what} was not found in this organization. It may have been deleted; reload the page.")]
    NotFound { what: String },
    /// Bad input in one form field (`field` is the input's `name`).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The request contradicts what is stored, e.g. the same pass ID twice in one organization.
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// Too many attempts (log-ins, codes, password changes or reset requests from this address, for this
    /// account, or failed in a row); nothing was checked.
    #[error("Too many attempts. Wait {retry_after_secs} seconds and try again.")]
    Throttled { retry_after_secs: u64 },
    /// The server refused the work for now (e.g. too many log-ins being checked at once); nothing was saved.
    #[error("The server is busy. Please try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side and nothing was saved. Please try again; if it keeps happening, contact support.")]
    Internal,
    /// The request itself could not be made or read (network down, malformed arguments).
    #[error("The request could not be completed: {0}")]
    Transport(ServerFnErrorErr),
}

impl AppError {
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.to_string(),
        }
    }

    /// The first of a form's field errors (as the browser-side `parse` functions return them, keyed by the
    /// input's `name`), for a server function that refuses the form with it. An empty list is a bug in the
    /// caller: `parse` returns `Err` only with at least one error.
    pub fn first_invalid(errors: Vec<(&'static str, String)>) -> Self {
        let (field, message) = errors.into_iter().next().expect("at least one error");
        Self::invalid(field, message)
    }

    /// The message to show beside form field `field`, if this error belongs there.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid { field: f, message } if f == field => Some(message.clone()),
            Self::Conflict {
                field: Some(f),
                message,
            } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The HTTP status a server function answers with when it returns this error (applied in one place, the
    /// server's `/api` middleware): refusals and bad input are 4xx, "busy" 503, and only a fault on our side
    /// is 500, so monitoring can tell them apart. `NoAccess` is 404 like a missing thing: it reveals nothing.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::Unauthenticated => S::UNAUTHORIZED,
            Self::NoAccess | Self::NotFound { .. } => S::NOT_FOUND,
            Self::TwoFactorRequired => S::FORBIDDEN,
            Self::Invalid { .. } => S::UNPROCESSABLE_ENTITY,
            Self::Conflict { .. } => S::CONFLICT,
            Self::Throttled { .. } => S::TOO_MANY_REQUESTS,
            Self::Busy => S::SERVICE_UNAVAILABLE,
            Self::Transport(_) => S::BAD_REQUEST,
            Self::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds to send as `Retry-After` with [`AppError::status`], for the refusals that pass with time.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after_secs } => Some(*retry_after_secs),
            Self::Busy => Some(1),
            _ => None,
        }
    }

    /// Whether the error belongs to a specific field (and is therefore shown there, not in the form's banner).
    pub fn is_field_error(&self) -> bool {
        matches!(
            self,
            Self::Invalid { .. } | Self::Conflict { field: Some(_), .. }
        )
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value)
    }
}

#[cfg(feature = "ssr")]
impl From<storage::StorageError> for AppError {
    fn from(e: storage::StorageError) -> Self {
        use storage::StorageError as S;
        match e {
            S::NoAccess => Self::NoAccess,
            S::NotFound { what } => Self::NotFound {
                what: what.to_owned(),
            },
            S::Conflict { message } => Self::Conflict {
                field: None,
                message,
            },
            S::Throttled { retry_after_secs } => Self::Throttled { retry_after_secs },
            S::Busy => Self::Busy,
            S::TwoFactorRequired => Self::TwoFactorRequired,
            other => {
                tracing::error!(error = ?other, "storage failure");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_shown_only_at_their_field() {
        let e = AppError::invalid("nickname", "Give the pass a nickname.");
        assert_eq!(
            e.for_field("nickname").as_deref(),
            Some("Give the pass a nickname.")
        );
        assert_eq!(e.for_field("email"), None);
        assert!(e.is_field_error());
        assert!(!AppError::NoAccess.is_field_error());
    }

    #[test]
    fn only_our_own_faults_are_500() {
        use http::StatusCode as S;
        let cases = [
            (AppError::Unauthenticated, S::UNAUTHORIZED),
            (AppError::NoAccess, S::NOT_FOUND),
            (AppError::TwoFactorRequired, S::FORBIDDEN),
            (
                AppError::NotFound {
                    what: "pass".into(),
                },
                S::NOT_FOUND,
            ),
            (AppError::invalid("email", "x"), S::UNPROCESSABLE_ENTITY),
            (
                AppError::Conflict {
                    field: None,
                    message: "x".into(),
                },
                S::CONFLICT,
            ),
            (
                AppError::Throttled {
                    retry_after_secs: 7,
                },
                S::TOO_MANY_REQUESTS,
            ),
            (AppError::Busy, S::SERVICE_UNAVAILABLE),
            (
                AppError::Transport(ServerFnErrorErr::Args("x".into())),
                S::BAD_REQUEST,
            ),
            (AppError::Internal, S::INTERNAL_SERVER_ERROR),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
        }
        assert_eq!(
            AppError::Throttled {
                retry_after_secs: 7
            }
            .retry_after_secs(),
            Some(7)
        );
        assert_eq!(AppError::NoAccess.retry_after_secs(), None);
    }
}
