//! `server`: starts ChargeDesk, or administers its database from the command line (see `server --help`).

use anyhow::{bail, Context};
use clap::Parser;
use server::cli::{Cli, Command, ServeSettings};
use shared::names::{Email, OrgName, Password, PersonName};
use storage::Db;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    let db = match &cli.database_url {
        Some(url) => Db::connect(url).await,
        None => Db::open_sqlite_in(&cli.data_dir).await,
    }
    .context("opening the database")?;

    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(db, demo, &cli.serve).await,
        Command::CreatePartner {
            organization,
            first_name,
            last_name,
            email,
            password,
        } => {
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
        Command::Outbox { limit, show } => match show {
            Some(id) => show_outbox_message(&db, id).await,
            None => list_outbox(&db, limit).await,
        },
        Command::SetPassword { email, password } => {
            let email = Email::parse(&email).context("--email")?;
            let password = Password::parse(&password_or_stdin(password)?).context("password")?;
            db.set_password(&email, &password).await?;
            println!("Password set for {email}: their sessions ended and their open invitation and password-reset links no longer work.");
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

async fn serve(db: Db, demo: bool, settings: &ServeSettings) -> anyhow::Result<()> {
    let options = server::leptos_options()?;
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
    // Nothing is connected before we listen: stations shown online by a previous run (a crash leaves the
    // flag set) are offline until they reconnect.
    db.clear_station_connections().await?;
    let public = web.site.origin().map(str::to_owned);
    // Links in e-mails lead to the public address, or to where this server listens.
    let db = db.with_public_url(&public.clone().unwrap_or_else(|| format!("http://{addr}")));
    let mailer =
        server::mail::MailSender::start(db.clone(), smtp, server::mail::MailerConfig::default());
    let app = server::router_for(
        db,
        options,
        server::central_system::OcppConfig::from_env(),
        web,
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    match public {
        Some(public) => println!("ChargeDesk is listening on {addr} for {public}"),
        None => println!("ChargeDesk is listening on http://{addr}"),
    }
    let served = server::http::serve(listener, app, server::http::shutdown_signal()).await;
    mailer.stop().await;
    served?;
    Ok(())
}
