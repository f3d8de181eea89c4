//! The one error type of the storage layer.

use std::error::Error as StdError;

/// Why a storage operation did not happen. The `Display` texts are safe to show to the person who asked:
/// they never contain database text (that stays in the [`StorageError::Internal`] source, for the logs).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The caller may not act on that target. Used identically whether or not the target exists, so that
    /// nothing about other organizations is revealed.
    #[error("You do not have access to that.")]
    NoAccess,
    /// The thing asked for does not exist (within the caller's scope).
    #[error("The {what} was not found.")]
    NotFound {
        /// What was looked for, e.g. `"user"` or `"pass"`.
        what: &'static str,
    },
    /// The change contradicts existing data; `message` is written for the user.
    #[error("{message}")]
    Conflict {
        /// A user-readable explanation.
        message: String,
    },
    /// Too many failed attempts; try again after this many seconds.
    #[error("Too many failed attempts. Try again in {retry_after_secs} seconds.")]
    Throttled {
        /// Seconds until the next attempt is accepted (at least 1).
        retry_after_secs: u64,
    },
    /// The caller administers organizations of which one (or one above it) requires two-factor authentication of
    /// its administrators, and the caller has not set it up: administrator work is refused until they do (their
    /// own account's functions keep working, so that they can).
    #[error(
        "Your organization requires two-factor authentication for administrators. Set it up under “My account”."
    )]
    TwoFactorRequired,
    /// The server is saturated (e.g. every password-hashing slot is taken) and refused the work rather than
    /// queue it: the caller may try again in a moment.
    #[error("The server is busy. Please try again in a moment.")]
    Busy,
    /// Anything else (database unreachable, corrupt data, a bug). Log the source; show only the message.
    #[error("Internal storage error.")]
    Internal(#[source] Box<dyn StdError + Send + Sync + 'static>),
}

impl StorageError {
    /// An internal error carrying our own explanation (for the logs, not the user).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into().into())
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }
}

/// The single place where database errors are translated.
impl From<sqlx::Error> for StorageError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => Self::NotFound { what: "record" },
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                tracing::debug!(error = %db, "unique violation reported as conflict");
                Self::conflict("That already exists.")
            }
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Internal(Box::new(error))
    }
}
