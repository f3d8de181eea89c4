//! Command line: `server serve` (the default), `server create-partner`, `server set-password`, `server outbox`,
//! `server migrate`, `server copy-sqlite-to-postgres`.

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
    /// A database URL (`sqlite://…` or `postgres://…`) instead of the file in --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Connections to PostgreSQL this process keeps open at most (default 10). With several instances their
    /// sum must stay below the PostgreSQL server's `max_connections`. SQLite keeps its own pool size.
    #[arg(
        long,
        env = "CHARGEDESK_DB_MAX_CONNECTIONS",
        value_name = "N",
        global = true
    )]
    pub db_max_connections: Option<String>,
    #[command(flatten)]
    pub serve: ServeSettings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A calendar month ("2026-11").
fn month_arg(input: &str) -> Result<shared::period::Month, String> {
    shared::period::Month::parse(input).map_err(|e| e.to_string())
}

/// A price as the tariff form reads it ("0.79").
fn price_arg(input: &str) -> Result<shared::tariff::Price, String> {
    shared::tariff::Price::parse(input, "cap", "The cap").map_err(|e| e.message)
}

/// A VAT rate in percent ("21", "5.5") as basis points.
fn vat_arg(input: &str) -> Result<u32, String> {
    let form = shared::tariff::TariffForm {
        per_kwh_ac: "0".into(),
        per_kwh_dc: "0".into(),
        vat_percent: input.to_owned(),
        ..Default::default()
    };
    form.parse(&shared::tariff::PlatformCaps::default())
        .map(|t| t.vat_basis_points)
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ")
        })
}

/// An amount as the tariff form reads it ("1.00").
fn money_arg(input: &str) -> Result<shared::tariff::Money, String> {
    shared::tariff::Money::parse(input, "cap", "The cap").map_err(|e| e.message)
}

impl ServeSettings {
    /// The platform's caps on tariffs.
    pub fn platform_caps(&self) -> shared::tariff::PlatformCaps {
        shared::tariff::PlatformCaps {
            per_kwh_ac: self.cap_per_kwh_ac,
            per_kwh_dc: self.cap_per_kwh_dc,
            start_fee: self.cap_start_fee,
        }
    }
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
    /// The platform's cap on a tariff's price per kWh at AC stations, excluding VAT (a tariff above it is
    /// refused at its field).
    #[arg(long, env = "CHARGEDESK_CAP_PER_KWH_AC", default_value = "0.79", value_parser = price_arg, global = true)]
    pub cap_per_kwh_ac: shared::tariff::Price,
    /// The platform's cap on a tariff's price per kWh at DC stations, excluding VAT.
    #[arg(long, env = "CHARGEDESK_CAP_PER_KWH_DC", default_value = "0.90", value_parser = price_arg, global = true)]
    pub cap_per_kwh_dc: shared::tariff::Price,
    /// The platform's cap on a tariff's start fee per session, excluding VAT.
    #[arg(long, env = "CHARGEDESK_CAP_START_FEE", default_value = "1.00", value_parser = money_arg, global = true)]
    pub cap_start_fee: shared::tariff::Money,
    /// The VAT rate in percent on the credit statements of companies (private persons' carry none).
    #[arg(long, env = "CHARGEDESK_STATEMENT_VAT_PERCENT", default_value = "21", value_parser = vat_arg, global = true)]
    pub statement_vat: u32,
    /// Password hashes (log-in, station Basic auth) computed at once; more wait briefly or are answered
    /// "busy". Default: the number of available cores.
    #[arg(long, env = "CHARGEDESK_HASH_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub hash_concurrency: Option<u32>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) may take: open requests finish, station connections are closed so
    /// that they reconnect to another instance, the OCPP frame log is stored, the e-mail sender stops. Keep it
    /// below the time your service manager waits before it kills the process.
    #[arg(long, env = "CHARGEDESK_SHUTDOWN_GRACE_SECS", default_value_t = crate::http::SHUTDOWN_GRACE.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub shutdown_grace_secs: u64,
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
    /// The SMTP server that delivers ChargeDesk's e-mails (invitations, password resets). Without it e-mails
    /// are kept in the outbox (`server outbox`).
    #[arg(long, env = "CHARGEDESK_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// Its port. Default: 587 with starttls, 465 with tls, 25 with none.
    #[arg(long, env = "CHARGEDESK_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    /// How the connection to the SMTP server is encrypted.
    #[arg(long, env = "CHARGEDESK_SMTP_TLS", value_enum, default_value_t = crate::mail::SmtpTls::Starttls, global = true)]
    pub smtp_tls: crate::mail::SmtpTls,
    /// User name for the SMTP server (with --smtp-password).
    #[arg(long, env = "CHARGEDESK_SMTP_USER", global = true)]
    pub smtp_user: Option<String>,
    /// Password for the SMTP server.
    #[arg(
        long,
        env = "CHARGEDESK_SMTP_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub smtp_password: Option<String>,
    /// The sender of ChargeDesk's e-mails, e.g. `ChargeDesk <noreply@example.com>` (required with an SMTP host).
    #[arg(long, env = "CHARGEDESK_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
}

impl Cli {
    /// The PostgreSQL pool size: `CHARGEDESK_DB_MAX_CONNECTIONS` (or `--db-max-connections`), by default
    /// [`storage::DEFAULT_POSTGRES_MAX_CONNECTIONS`]; `Err` is the line that refuses an invalid value.
    pub fn db_max_connections(&self) -> Result<u32, String> {
        /// More would exceed any PostgreSQL server's connection limit (its maximum is 262,143).
        const MAX: u32 = 10_000;
        match &self.db_max_connections {
            None => Ok(storage::DEFAULT_POSTGRES_MAX_CONNECTIONS),
            Some(value) => match value.trim().parse::<u32>() {
                Ok(n) if (1..=MAX).contains(&n) => Ok(n),
                _ => Err(format!(
                    "CHARGEDESK_DB_MAX_CONNECTIONS={value}: expected a number of connections from 1 to {MAX}"
                )),
            },
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
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
    /// List the e-mails in the outbox (queued, sent, failed), newest first, or show one.
    Outbox {
        /// How many messages to list.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
        /// Print this message (by its ID in the list) with its text body, e.g. to follow an invitation link.
        #[arg(long, value_name = "ID")]
        show: Option<i64>,
    },
    /// Apply the database migrations that are missing and exit, printing which (or that it was up to date).
    /// `serve` applies them at start too; this is for upgrading before starting instances, or a copy's source.
    Migrate,
    /// Copy everything from a ChargeDesk SQLite database file into the new, empty PostgreSQL database of
    /// --database-url / DATABASE_URL, in one transaction; the SQLite file is only read. Stop ChargeDesk first.
    CopySqliteToPostgres {
        /// The SQLite database file, e.g. data/chargedesk.db (at this version's migrations: `server migrate`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Set the password of an existing user (users added in the app have none until then).
    SetPassword {
        #[arg(long)]
        email: String,
        /// The password; read from standard input when not given.
        #[arg(long, env = "CHARGEDESK_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Issue the monthly credit statements of a month (what the server does by itself each hour once a month
    /// has ended in an organization's time zone): for operators catching up and for tests. Issuing again
    /// changes nothing.
    MonthEnd {
        /// The month, e.g. 2026-11; the previous month when not given.
        #[arg(long, value_parser = month_arg)]
        month: Option<shared::period::Month>,
    },
    /// Seed the load test's data into a database that does not have it yet (for `chargepoint-sim load` and
    /// scripts/bench.sh): a partner "Load test" with stations CP-LOAD-00001… all logging in with one station
    /// password, and whitelisted passes with the idTags 10AD0000000001…, all Accepted at those stations.
    SeedLoadTest {
        /// How many stations.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(storage::load_test::MAX_STATIONS)))]
        stations: u32,
        /// How many passes.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(storage::load_test::MAX_PASSES)))]
        passes: u32,
        /// The stations' password (what `chargepoint-sim load` reads from the same variable); read from
        /// standard input when not given.
        #[arg(long, env = "CHARGEDESK_STATION_PASSWORD", hide_env_values = true)]
        station_password: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn the_pool_size_defaults_to_ten_and_refuses_what_is_not_a_count() {
        assert_eq!(cli(&["migrate"]).db_max_connections(), Ok(10));
        assert_eq!(
            cli(&["--db-max-connections", "25", "migrate"]).db_max_connections(),
            Ok(25)
        );
        for bad in ["0", "-1", "ten", "", "10001", "4294967296"] {
            assert_eq!(
                cli(&[&format!("--db-max-connections={bad}"), "migrate"]).db_max_connections(),
                Err(format!(
                    "CHARGEDESK_DB_MAX_CONNECTIONS={bad}: expected a number of connections from 1 to 10000"
                ))
            );
        }
    }

    #[test]
    fn the_copy_needs_its_source() {
        match cli(&["copy-sqlite-to-postgres", "--from", "data/chargedesk.db"]).command {
            Some(Command::CopySqliteToPostgres { from }) => {
                assert_eq!(from, PathBuf::from("data/chargedesk.db"))
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["server", "copy-sqlite-to-postgres"]).is_err());
    }
}
