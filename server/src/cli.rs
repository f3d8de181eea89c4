//! Command line: `server serve` (the default), `server create-partner`, `server set-password`.

use clap::{Parser, Subcommand};
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
    #[command(subcommand)]
    pub command: Option<Command>,
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
