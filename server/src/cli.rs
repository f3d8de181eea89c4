//! Command line: `server serve` (the default), `server create-partner`, `server set-password`.

use clap::{Parser, Subcommand};
use std::num::NonZeroU32;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "server",
    about = "ChargeDesk: charging-station management",
    version
)]
pub struct Cli {
    /// Directory for the embedded SQLite database (`chargedesk.db`), created if missing.
    #[arg(
        long,
        env = "CHARGEDESK_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// A database URL (`sqlite://…`) instead of the file in --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub serve: ServeSettings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings of `serve` (also read when no command is given, which serves).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeSettings {
    /// The address users open in their browser, e.g. `https://csms.example.com` (behind a TLS proxy). With an
    /// https URL the session cookie is `Secure` with the `__Host-` prefix and answers carry HSTS; `/api/*`
    /// accepts only this origin. Without it ChargeDesk serves plain http and only on a loopback address.
    #[arg(long, env = "CHARGEDESK_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Minutes a session may go unused before it has to log in again (sessions end after 14 days anyway).
    #[arg(long, env = "CHARGEDESK_SESSION_IDLE_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub session_idle_minutes: u64,
    /// Password hashes (log-in, station Basic auth) computed at once; more wait briefly or are answered
    /// "busy". Default: the number of available cores.
    #[arg(long, env = "CHARGEDESK_HASH_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub hash_concurrency: Option<u32>,
    /// Log-in attempts a minute from one client address before it is answered "too many attempts".
    #[arg(long, env = "CHARGEDESK_LOGIN_PER_IP_PER_MINUTE", default_value_t = NonZeroU32::new(crate::http::DEFAULT_LOGIN_PER_IP_PER_MINUTE).expect("non-zero"), global = true)]
    pub login_per_ip_per_minute: NonZeroU32,
    /// Log-in attempts a minute for one account (e-mail address) before it is answered "too many attempts".
    #[arg(long, env = "CHARGEDESK_LOGIN_PER_ACCOUNT_PER_MINUTE", default_value_t = NonZeroU32::new(crate::http::DEFAULT_LOGIN_PER_ACCOUNT_PER_MINUTE).expect("non-zero"), global = true)]
    pub login_per_account_per_minute: NonZeroU32,
    /// Addresses of reverse proxies (e.g. the TLS proxy), comma-separated, whose `X-Forwarded-For` header
    /// names the client for per-client limits. Without them every client behind the proxy shares its address.
    #[arg(
        long,
        env = "CHARGEDESK_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve {
        /// Load the demo dataset if the database has no organizations yet, and print its logins.
        #[arg(long, env = "CHARGEDESK_DEMO")]
        demo: bool,
    },
    /// Create the first partner organization and its administrator (on an empty database, or another partner).
    CreatePartner {
        /// Name of the partner organization.
        #[arg(long)]
        organization: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: String,
        /// The password; read from standard input when not given.
        #[arg(long, env = "CHARGEDESK_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set the password of an existing user (users added in the app have none until then).
    SetPassword {
        #[arg(long)]
        email: String,
        /// The password; read from standard input when not given.
        #[arg(long, env = "CHARGEDESK_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}
