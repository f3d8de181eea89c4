//! `server`: starts ChargeDesk, or administers its database from the command line (see `server --help`).

use anyhow::{bail, Context};
use clap::Parser;
use server::cli::{Cli, Command, ServeSettings};
use shared::names::{Email, OrgName, Password, PersonName};
use storage::Db;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let cli = Cli::parse();
    storage::set_postgres_max_connections(
        cli.db_max_connections()
            .unwrap_or_else(|line| refuse(&line)),
    );

    match cli
        .command
        .clone()
        .unwrap_or(Command::Serve { demo: false })
    {
        Command::Serve { demo } => serve(open_database(&cli).await, demo, &cli.serve).await,
        Command::Migrate => migrate(&cli).await,
        Command::CopySqliteToPostgres { from } => copy_sqlite_to_postgres(&cli, &from).await,
        Command::CreatePartner {
            organization,
            first_name,
            last_name,
            email,
            password,
        } => {
            let db = open_database(&cli).await;
            let org = OrgName::parse(&organization).context("--organization")?;
            let first = PersonName::parse(&first_name).context("--first-name")?;
            let last = PersonName::parse(&last_name).context("--last-name")?;
            let email = Email::parse(&email).context("--email")?;
            let password = Password::parse(&password_or_stdin(password)?).context("password")?;
            let (org_id, _) = db
                .create_partner(&org, &first, &last, &email, &password)
                .await?;
            println!("Created partner organization {org_id} \"{org}\" with administrator {email}. Log in at http://127.0.0.1:3000/login");
            Ok(())
        }
        Command::Outbox { limit, show } => {
            let db = open_database(&cli).await;
            match show {
                Some(id) => show_outbox_message(&db, id).await,
                None => list_outbox(&db, limit).await,
            }
        }
        Command::SetPassword { email, password } => {
            let db = open_database(&cli).await;
            let email = Email::parse(&email).context("--email")?;
            let password = Password::parse(&password_or_stdin(password)?).context("password")?;
            db.set_password(&email, &password).await?;
            println!("Password set for {email}: their sessions ended and their open invitation and password-reset links no longer work.");
            Ok(())
        }
        Command::MonthEnd { month } => {
            let db = open_database(&cli)
                .await
                .with_statement_vat(cli.serve.statement_vat);
            let now = storage::now();
            let month = month.unwrap_or_else(|| {
                shared::period::Month::containing(now, &shared::time::TimeZoneName::default())
                    .previous()
            });
            let report = db.run_month_end(month, now).await?;
            println!(
                "Month-end of {}: {} statement(s) issued.",
                month.label(),
                report.issued.len()
            );
            for (org, number) in &report.issued {
                println!("  {number} for organization {org}");
            }
            for (org, reason) in &report.skipped {
                println!("  organization {org}: not issued, {reason}");
            }
            Ok(())
        }
        Command::SeedLoadTest {
            stations,
            passes,
            station_password,
        } => {
            let db = open_database(&cli).await;
            let password = match station_password {
                Some(password) => password,
                None => password_or_stdin(None)?,
            };
            let password =
                shared::station::StationPassword::parse(&password).context("station password")?;
            let seed = db.seed_load_test(stations, passes, &password).await?;
            println!(
                "Seeded the load test: partner organization {} \"{}\" (default access mode Whitelisting) with {} stations {} … {} logging in with the given password, and {} whitelisted passes with the idTags {} … {}.",
                seed.org,
                storage::load_test::PARTNER,
                seed.station_count,
                seed.stations.0,
                seed.stations.1,
                seed.pass_count,
                seed.id_tags.0,
                seed.id_tags.1
            );
            Ok(())
        }
    }
}

fn password_or_stdin(password: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = password {
        return Ok(p);
    }
    eprintln!("Password (at least 10 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        bail!("no password given");
    }
    Ok(line)
}

/// `server outbox`: the newest `limit` messages, one a line (queued time, status, recipient, subject), and
/// the last error under a message that has one.
async fn list_outbox(db: &Db, limit: i64) -> anyhow::Result<()> {
    let messages = db.outbox(limit).await?;
    if messages.is_empty() {
        println!("The outbox is empty: no e-mail has been queued.");
        return Ok(());
    }
    println!(
        "{:>5}  {:<20}  {:<8}  {:<32}  SUBJECT",
        "ID", "QUEUED", "STATUS", "RECIPIENT"
    );
    for message in &messages {
        println!(
            "{:>5}  {:<20}  {:<8}  {:<32}  {}",
            message.id,
            message.created_at.to_string(),
            message.status().as_str(),
            message.recipient,
            message.subject
        );
        if message.sent_at.is_none() {
            if let Some(error) = &message.last_error {
                println!("{:>5}  after {} attempt(s): {error}", "", message.attempts);
            }
        }
    }
    println!("\nShow one with its text: server outbox --show <ID>");
    Ok(())
}

/// `server outbox --show ID`: one message's details and its text body (erased once it was sent).
async fn show_outbox_message(db: &Db, id: i64) -> anyhow::Result<()> {
    let Some(message) = db.outbox_message(id).await? else {
        bail!("there is no message {id} in the outbox (list them with: server outbox)");
    };
    println!("To:       {}", message.recipient);
    println!("Subject:  {}", message.subject);
    println!("Kind:     {}", message.kind);
    println!("Queued:   {}", message.created_at);
    match (message.sent_at, message.failed_at) {
        (Some(sent), _) => println!("Status:   sent {sent}"),
        (None, Some(failed)) => println!("Status:   failed (given up {failed})"),
        (None, None) if message.attempts == 0 => println!("Status:   queued"),
        (None, None) => println!("Status:   queued, next attempt {}", message.next_attempt_at),
    }
    println!("Attempts: {}", message.attempts);
    if let Some(error) = &message.last_error {
        println!("Error:    {error}");
    }
    println!();
    if message.sent_at.is_some() {
        println!("(The body was erased when the message was delivered: it may have held a single-use link.)");
    } else {
        println!("{}", message.body_text);
    }
    Ok(())
}

/// Ends the process over a setting that must be changed: the reason on one line, exit status 2.
fn refuse(line: &str) -> ! {
    eprintln!("{line}");
    std::process::exit(2)
}

/// Logs go to standard output: as text for people (the default), or with `CHARGEDESK_LOG_FORMAT=json` one JSON
/// object a line with the fields of the spans they happened in (the request's id, the station's id). The level
/// comes from `RUST_LOG` (default `info`, sqlx's own only from `warn`).
fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    match std::env::var("CHARGEDESK_LOG_FORMAT") {
        Err(std::env::VarError::NotPresent) => {
            tracing_subscriber::fmt().with_env_filter(filter).init()
        }
        Ok(format) if format.eq_ignore_ascii_case("text") || format.is_empty() => {
            tracing_subscriber::fmt().with_env_filter(filter).init()
        }
        Ok(format) if format.eq_ignore_ascii_case("json") => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_env_filter(filter)
            .init(),
        Ok(other) => refuse(&format!(
            "CHARGEDESK_LOG_FORMAT={other}: expected text or json"
        )),
        Err(std::env::VarError::NotUnicode(_)) => {
            refuse("CHARGEDESK_LOG_FORMAT: expected text or json")
        }
    }
}

/// Opens the database the settings name, or ends the process with one line saying which setting to fix and
/// why (exit status 2): a URL of another kind, a PostgreSQL server that refuses connections or the log-in, a
/// data directory that cannot be created or written, a file that is not a ChargeDesk database, a database
/// migrated by a newer version.
async fn open_database(cli: &Cli) -> Db {
    let setting = check_database_setting(cli).await;
    match &cli.database_url {
        Some(url) => Db::connect(url).await,
        None => Db::open_sqlite_in(&cli.data_dir).await,
    }
    .unwrap_or_else(|e| refuse_open(&setting, &e))
}

/// The database setting in use, as named in refusals (`DATABASE_URL …` without its password, or `data
/// directory …`), after refusing the mistakes that can be seen before connecting.
async fn check_database_setting(cli: &Cli) -> String {
    match &cli.database_url {
        Some(url) => {
            let setting = format!("DATABASE_URL {}", without_password(url));
            let postgres = url.starts_with("postgres:") || url.starts_with("postgresql:");
            if !postgres && !url.starts_with("sqlite:") {
                refuse(&format!("{setting}: expected sqlite://… or postgres://…"));
            }
            if postgres {
                if let Err(reason) = postgres_listening(url).await {
                    refuse(&format!("{setting}: {reason}"));
                }
            } else if let Some(reason) = storage::sqlite_url_problem(url) {
                refuse(&format!("{setting}: {reason}"));
            }
            setting
        }
        None => {
            let setting = format!("data directory {}", cli.data_dir.display());
            if let Some(reason) = storage::sqlite_dir_problem(&cli.data_dir) {
                refuse(&format!("{setting}: {reason}"));
            }
            setting
        }
    }
}

/// `server migrate`: applies the missing migrations to the configured database and says which, or that there
/// were none. A database that cannot be opened, or was migrated by a newer ChargeDesk, is refused like at
/// `serve`'s start (one line, exit status 2). Several instances may run this (or start) at once: see
/// `storage::Db::migrate`.
async fn migrate(cli: &Cli) -> anyhow::Result<()> {
    let setting = check_database_setting(cli).await;
    let run = match &cli.database_url {
        Some(url) => Db::migrate(url).await,
        None => Db::migrate_sqlite_in(&cli.data_dir).await,
    }
    .unwrap_or_else(|e| refuse_open(&setting, &e));
    let latest = format!("{:04} {}", run.latest.version, run.latest.description);
    if run.applied.is_empty() {
        println!("{setting}: already up to date (migration {latest}).");
    } else {
        for migration in &run.applied {
            println!(
                "Applied migration {:04} {}",
                migration.version, migration.description
            );
        }
        println!("{setting}: now at migration {latest}.");
    }
    run.db.close().await;
    Ok(())
}

/// `server copy-sqlite-to-postgres --from FILE`: copies the SQLite database `from` into the empty PostgreSQL
/// database of `DATABASE_URL` (see `storage::Db::copy_from_sqlite`) and prints each table's row count.
/// Anything that stops it before writing (a missing or outdated source, a target that is not PostgreSQL or not
/// empty) is refused in one line with exit status 2; a failure during the copy (rolled back) is one line with
/// exit status 1.
async fn copy_sqlite_to_postgres(cli: &Cli, from: &std::path::Path) -> anyhow::Result<()> {
    let Some(url) = &cli.database_url else {
        refuse("copy-sqlite-to-postgres: name the PostgreSQL database to copy into with DATABASE_URL or --database-url (postgres://…)");
    };
    if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
        refuse(&format!(
            "DATABASE_URL {}: the copy's target must be a PostgreSQL database (postgres://…)",
            without_password(url)
        ));
    }
    let source = storage::CopySource::open(from)
        .await
        .unwrap_or_else(|e| refuse(&e.to_string()));
    let db = open_database(cli).await;
    let tables = match db.copy_from_sqlite(source).await {
        Ok(tables) => tables,
        Err(refusal @ storage::CopyError::Refused(_)) => refuse(&refusal.to_string()),
        Err(failure) => {
            eprintln!("{}", failure.to_string().replace(['\r', '\n'], " "));
            std::process::exit(1)
        }
    };
    db.close().await;
    println!("Copied {} into {}:", from.display(), without_password(url));
    println!("  {:<28} {:>12}", "TABLE", "ROWS");
    for table in &tables {
        println!("  {:<28} {:>12}", table.table, table.rows);
    }
    println!(
        "  {:<28} {:>12}",
        "(all tables)",
        tables.iter().map(|t| t.rows).sum::<u64>()
    );
    println!(
        "Each table has as many rows in PostgreSQL as in the SQLite file, which is unchanged. Start ChargeDesk \
         with this DATABASE_URL now."
    );
    Ok(())
}

/// [`refuse`] over a failure to open the database: what to fix when we recognise the mistake, otherwise the
/// causes themselves, on one line.
fn refuse_open(setting: &str, error: &storage::StorageError) -> ! {
    let reason = storage::open_failure_reason(error).unwrap_or_else(|| {
        // "Internal storage error." says nothing here: its causes do.
        let mut causes = Vec::new();
        let mut cause = std::error::Error::source(error);
        while let Some(e) = cause {
            let text = e.to_string();
            // sqlx's errors repeat their source's text.
            if !causes
                .last()
                .is_some_and(|last: &String| last.ends_with(&text))
            {
                causes.push(text);
            }
            cause = e.source();
        }
        if causes.is_empty() {
            causes.push(error.to_string());
        }
        format!("the database could not be opened: {}", causes.join(": "))
    });
    refuse(&format!("{setting}: {}", reason.replace(['\r', '\n'], " ")))
}

/// `url` as it may be shown: its password replaced by `***` (and, when it cannot be read as a URL, anything
/// before an `@`).
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &url[..start + 3], &url[at..])
            }
            (None, Some(at)) => format!("***{}", &url[at..]),
            _ => url.to_owned(),
        },
    }
}

/// Whether the PostgreSQL server of `url` accepts TCP connections, so that a server that is down or a wrong
/// host or port is said at once (sqlx's pool retries refused connections until its acquire timeout and then
/// reports only a timeout). URLs it cannot read here (a Unix socket, several hosts) are left to the driver.
async fn postgres_listening(url: &str) -> Result<(), String> {
    const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(());
    };
    let host = match parsed.host_str() {
        Some(host) if !host.is_empty() && !host.contains(',') => host.trim_matches(['[', ']']),
        _ => return Ok(()),
    };
    if parsed
        .query_pairs()
        .any(|(key, _)| key == "host" || key == "hostaddr")
    {
        return Ok(());
    }
    let port = parsed.port().unwrap_or(5432);
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(format!(
            "connection refused by {host}:{port}: is PostgreSQL running there, and are host and port right?"
        )),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(format!(
            "connecting to {host}:{port} is not permitted (firewall?)"
        )),
        Ok(Err(e)) => Err(format!("cannot connect to {host}:{port}: {e}")),
        Err(_) => Err(format!(
            "{host}:{port} did not answer within {} s: is the host reachable?",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// The address `serve` listens on: `LEPTOS_SITE_ADDR` (default `127.0.0.1:3000`), refused with one line when
/// it is not an address and port.
fn listen_options() -> leptos::config::LeptosOptions {
    if let Ok(addr) = std::env::var("LEPTOS_SITE_ADDR") {
        if addr.parse::<std::net::SocketAddr>().is_err() {
            refuse(&format!(
                "LEPTOS_SITE_ADDR={addr}: expected an IP address and port such as 127.0.0.1:3000"
            ));
        }
    }
    server::leptos_options().unwrap_or_else(|e| {
        refuse(&format!(
            "Leptos settings (LEPTOS_* environment variables): {}",
            format!("{e:#}").replace(['\r', '\n'], " ")
        ))
    })
}

/// Binds `addr`, or ends the process with one line saying why not.
async fn bind(addr: std::net::SocketAddr) -> tokio::net::TcpListener {
    use std::io::ErrorKind;
    tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| {
            let why = match e.kind() {
                ErrorKind::AddrInUse => {
                    "the address is already in use (another ChargeDesk?)".to_owned()
                }
                ErrorKind::AddrNotAvailable => {
                    "that IP address is not one of this machine's".to_owned()
                }
                ErrorKind::PermissionDenied => {
                    "permission denied (ports below 1024 need privileges)".to_owned()
                }
                _ => e.to_string(),
            };
            refuse(&format!(
                "LEPTOS_SITE_ADDR {addr}: cannot listen there: {why}"
            ))
        })
}

async fn serve(db: Db, demo: bool, settings: &ServeSettings) -> anyhow::Result<()> {
    let options = listen_options();
    let addr = options.site_addr;
    // Refused before anything is loaded or bound, with one line saying what to set.
    let site = match &settings.public_url {
        Some(url) => app::auth::server::PublicSite::parse(url).unwrap_or_else(|line| refuse(&line)),
        None => app::auth::server::PublicSite::local(),
    };
    if let Err(line) = server::http::check_listen_address(addr, &site, demo) {
        refuse(&line);
    }
    let smtp =
        server::mail::SmtpSettings::from_settings(settings).unwrap_or_else(|line| refuse(&line));
    storage::set_session_idle_limit(std::time::Duration::from_secs(
        settings.session_idle_minutes.saturating_mul(60),
    ));
    storage::set_hash_concurrency(
        settings
            .hash_concurrency
            .map_or_else(storage::default_hash_concurrency, |n| n as usize),
    );
    let web = server::http::WebConfig {
        site,
        login_per_ip_per_minute: settings.login_per_ip_per_minute,
        login_per_account_per_minute: settings.login_per_account_per_minute,
        trusted_proxies: settings.trusted_proxies.clone(),
        ..server::http::WebConfig::default()
    };
    if demo {
        if let Some(logins) = db.seed_demo().await? {
            println!(
                "\nDemo data loaded. Log in as one of these (e-mail, password, who they are):"
            );
            for login in logins {
                println!(
                    "  {:<36} {:<18} {}",
                    login.email, login.password, login.description
                );
            }
            println!(
                "\nDemo charging stations (charge point ID, OCPP password, where), e.g. for chargepoint-sim --id <ID> with\nthe password in CHARGEDESK_STATION_PASSWORD:"
            );
            for station in storage::DEMO_STATIONS {
                println!(
                    "  {:<16} {:<30} {}",
                    station.charge_point_id, station.password, station.description
                );
            }
            println!();
        } else {
            println!("The database already has organizations: demo data not loaded again.");
        }
    } else if !db.has_organizations().await? {
        println!("The database is empty. Create the first partner administrator with:\n  server create-partner --organization \"…\" --first-name … --last-name … --email …");
    }
    match &smtp {
        Some(smtp) => println!("E-mails are sent through {smtp}."),
        None => println!(
            "E-mails are not sent (no CHARGEDESK_SMTP_HOST): they are kept in the outbox. List them with\n  server outbox\nand read one (e.g. to follow an invitation link) with\n  server outbox --show <ID>"
        ),
    }
    // Stations recorded as connected to instances that are gone (a crash leaves the record; its lease passed)
    // are marked offline until they reconnect; those of other live instances on the database stay online.
    db.clean_up_instances().await?;
    let listener = bind(addr).await;
    // The address bound (with port 0 in LEPTOS_SITE_ADDR, the one the system chose).
    let addr = listener.local_addr().unwrap_or(addr);
    let public = web.site.origin().map(str::to_owned);
    // Links in e-mails lead to the public address, or to where this server listens.
    let db = db
        .with_public_url(&public.clone().unwrap_or_else(|| format!("http://{addr}")))
        .with_platform_caps(settings.platform_caps())
        .with_statement_vat(settings.statement_vat);
    // Credit statements are issued once a month has ended in each organization's time zone.
    server::month_end::start(db.clone());
    let mailer =
        server::mail::MailSender::start(db.clone(), smtp, server::mail::MailerConfig::default());
    let (app, hub) = server::router_and_hub(
        db.clone(),
        options,
        server::central_system::OcppConfig::from_env(),
        web,
    );
    match public {
        Some(public) => println!("ChargeDesk is listening on {addr} for {public}"),
        None => println!("ChargeDesk is listening on http://{addr}"),
    }
    let config = server::http::ServeConfig {
        shutdown_grace: std::time::Duration::from_secs(settings.shutdown_grace_secs),
        ..server::http::ServeConfig::default()
    };
    // Returns once a SIGTERM or Ctrl-C was handled: connections closed, station sessions ended, frame log stored
    // (see serve_until_stopped), within the grace period.
    let deadline = server::http::serve_until_stopped(
        listener,
        app,
        &hub,
        server::http::shutdown_signal(),
        config,
    )
    .await?;
    if tokio::time::timeout_at(deadline, mailer.stop())
        .await
        .is_err()
    {
        tracing::warn!("the e-mail sender did not stop within the shutdown grace period");
    }
    // Last: nothing uses the database any more.
    db.close().await;
    tracing::info!("ChargeDesk stopped");
    Ok(())
}
