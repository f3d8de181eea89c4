//! `chargepoint-sim load`: many simulated stations in one process, for load tests of a local central system.
//!
//! Each station is a task (not a thread) owning one [`ChargePoint`]: it connects at its moment of the ramp,
//! boots, then heartbeats every `heartbeat` and sends the Authorize requests given to it. Authorize is
//! open-loop: the send times are scheduled at the requested rate over all stations (round robin) whatever the
//! answers do, and each latency is measured from its scheduled time, so a stalled server shows up in the
//! latencies instead of slowing the senders down (no coordinated omission). Heartbeats likewise keep their
//! schedule and are measured from it. Every call has a timeout, counted as a timeout, never a hang.
//!
//! The `storm` scenario connects every station at once (the reconnect storm after a server restart) and ends
//! when each station is booted or failed: it reports the time until the last BootNotification was Accepted.
//!
//! Load goes to loopback addresses only ([`check_loopback`]): this is a benchmark tool, not a way to flood
//! someone else's server.

use crate::client::{ChargePoint, SimError};
use crate::script::password_from;
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use ocpp::messages::{AuthorizationStatus, RegistrationStatus};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::fmt;
use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The largest latency the histograms hold (longer ones are recorded as this): one hour, in microseconds.
const MAX_LATENCY_MICROS: u64 = 3_600_000_000;

/// Simulates many OCPP 1.6J charge points at once against a ChargeDesk server on this machine (load test).
///
/// The stations are <ID_PREFIX>00001, <ID_PREFIX>00002, … (as `server seed-load-test` creates them), all
/// logging in with one password from CHARGEDESK_STATION_PASSWORD or --password-stdin. They connect and boot
/// spread over --ramp-secs, heartbeat every --heartbeat-secs, and send Authorize requests at --authorize-rate
/// per second in all, with the idTags <ID_TAG_PREFIX>0000000001 … (--id-tags of them, as seeded). At the end
/// it prints throughput, latency percentiles per action, errors and timeouts (one JSON object with --json).
///
/// Exit codes: 0 no errors or timeouts; 1 some (see the report); 2 bad arguments or a non-loopback URL.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(name = "chargepoint-sim load", version, verbatim_doc_comment)]
pub struct LoadArgs {
    /// The central system's OCPP endpoint (a loopback address).
    #[arg(
        long,
        value_name = "URL",
        env = "CHARGEDESK_OCPP_URL",
        default_value = "ws://127.0.0.1:3000/ocpp"
    )]
    pub url: String,

    /// How many stations.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=99_999))]
    pub stations: u32,

    /// The charge point IDs: this prefix and the station's number in 5 digits.
    #[arg(long, value_name = "PREFIX", default_value = "CP-LOAD-")]
    pub id_prefix: String,

    /// The stations' password (visible in `ps`: prefer the environment variable or --password-stdin).
    #[arg(
        long,
        value_name = "SECRET",
        env = "CHARGEDESK_STATION_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,

    /// Seconds over which the stations connect and boot, evenly spread (0: all at once).
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub ramp_secs: f64,

    /// Seconds between a station's heartbeats.
    #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: u64,

    /// Authorize requests per second over all stations, from the end of the ramp (0: none).
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    pub authorize_rate: f64,

    /// The idTags: this prefix and the card's number in 10 digits.
    #[arg(long, value_name = "PREFIX", default_value = "10AD")]
    pub id_tag_prefix: String,

    /// How many idTags to use in turn (the seeded passes).
    #[arg(long, value_name = "M", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub id_tags: u32,

    /// Seconds the run lasts from the start (for the storm: the longest it waits for the last boot).
    #[arg(long, value_name = "S", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub duration_secs: u64,

    /// steady: ramp, heartbeats and Authorize; storm: every station connects and boots at once.
    #[arg(long, value_enum, default_value_t = Scenario::Steady)]
    pub scenario: Scenario,

    /// Seconds to wait for each handshake and each answer before counting a timeout.
    #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,

    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// What the load does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Connect over the ramp, heartbeat, Authorize at the rate, until the duration is over.
    Steady,
    /// Connect every station at once; done when each one booted or failed.
    Storm,
}

impl Scenario {
    fn as_str(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::Storm => "storm",
        }
    }
}

/// The station number's digits in a charge point ID.
pub const ID_DIGITS: usize = 5;
/// The card number's digits in an idTag.
pub const ID_TAG_DIGITS: usize = 10;

impl LoadArgs {
    /// Parses `chargepoint-sim load …` (`args` starting with `load`, which stands for the program name).
    pub fn parse_from_args<I, T>(args: I) -> Result<LoadArgs, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args = LoadArgs::try_parse_from(args)?;
        let invalid = |message: String| {
            <LoadArgs as clap::CommandFactory>::command()
                .error(clap::error::ErrorKind::ValueValidation, message)
        };
        if !(args.ramp_secs.is_finite() && (0.0..=3_600.0).contains(&args.ramp_secs)) {
            return Err(invalid(format!(
                "--ramp-secs must be from 0 to 3600 (got {})",
                args.ramp_secs
            )));
        }
        if !(args.authorize_rate.is_finite() && (0.0..=1_000_000.0).contains(&args.authorize_rate))
        {
            return Err(invalid(format!(
                "--authorize-rate must be from 0 to 1000000 per second (got {})",
                args.authorize_rate
            )));
        }
        Ok(args)
    }

    /// The run these arguments describe, with the password resolved (see [`crate::script::password_from`]).
    pub fn config(&self, stdin: impl BufRead) -> Result<LoadConfig, String> {
        let password = password_from(self.password.as_deref(), self.password_stdin, stdin)?;
        Ok(LoadConfig {
            url: self.url.clone(),
            station_ids: (1..=self.stations)
                .map(|n| format!("{}{n:0width$}", self.id_prefix, width = ID_DIGITS))
                .collect(),
            password,
            ramp: Duration::from_secs_f64(self.ramp_secs),
            heartbeat: Duration::from_secs(self.heartbeat_secs),
            authorize_rate: self.authorize_rate,
            id_tags: (1..=self.id_tags)
                .map(|n| format!("{}{n:0width$}", self.id_tag_prefix, width = ID_TAG_DIGITS))
                .collect(),
            duration: Duration::from_secs(self.duration_secs),
            scenario: self.scenario,
            timeout: Duration::from_secs(self.timeout_secs),
        })
    }
}

/// One load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The OCPP endpoint (must be loopback).
    pub url: String,
    /// The stations' charge point IDs.
    pub station_ids: Vec<String>,
    /// Their password.
    pub password: Option<String>,
    /// Connects spread over this (ignored by the storm: all at once).
    pub ramp: Duration,
    /// Between a station's heartbeats.
    pub heartbeat: Duration,
    /// Authorize requests per second over all stations (0: none; ignored by the storm).
    pub authorize_rate: f64,
    /// The idTags, used in turn.
    pub id_tags: Vec<String>,
    /// From the start to the end of the run (the storm's longest wait).
    pub duration: Duration,
    /// What the load does.
    pub scenario: Scenario,
    /// Per handshake and per call.
    pub timeout: Duration,
}

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Refuses a URL whose host is not loopback, or resolves to any non-loopback address (a name such as
/// `localhost` must resolve to loopback addresses only).
pub async fn check_loopback(url: &str) -> Result<(), LoadError> {
    use tokio_tungstenite::tungstenite::http::Uri;
    let refuse = |why: String| {
        LoadError(format!(
            "chargepoint-sim load only targets this machine (a loopback address such as ws://127.0.0.1:3000/ocpp): {why}"
        ))
    };
    let uri: Uri = url
        .parse()
        .map_err(|e| refuse(format!("{url:?} is not a URL ({e})")))?;
    let port = match (uri.scheme_str(), uri.port_u16()) {
        (_, Some(port)) => port,
        (Some("ws"), None) => 80,
        (Some("wss"), None) => 443,
        _ => return Err(refuse(format!("{url:?} is not a ws:// or wss:// URL"))),
    };
    if !matches!(uri.scheme_str(), Some("ws" | "wss")) {
        return Err(refuse(format!("{url:?} is not a ws:// or wss:// URL")));
    }
    let host = uri
        .host()
        .ok_or_else(|| refuse(format!("{url:?} has no host")))?;
    let addresses: Vec<_> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| refuse(format!("{host} does not resolve ({e})")))?
        .collect();
    if addresses.is_empty() {
        return Err(refuse(format!("{host} resolves to no address")));
    }
    if let Some(outside) = addresses.iter().find(|a| !a.ip().is_loopback()) {
        return Err(refuse(format!(
            "{host} resolves to {}, which is not a loopback address",
            outside.ip()
        )));
    }
    Ok(())
}

/// Raises this process's soft limit of open files to its hard limit (each station is a socket). Returns the
/// limit in force, or why it could not be read.
pub fn raise_open_files_limit() -> Result<Option<u64>, String> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return Ok(limit.current);
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    )
    .map_err(|e| format!("raising the open files limit: {e}"))?;
    Ok(limit.maximum)
}

/// The calls measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// BootNotification (from sending it).
    Boot,
    /// Heartbeat (from its scheduled time).
    Heartbeat,
    /// Authorize (from its scheduled time).
    Authorize,
}

impl Action {
    /// Every action, in report order.
    pub const ALL: [Action; 3] = [Action::Boot, Action::Heartbeat, Action::Authorize];

    /// The OCPP action's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Boot => "BootNotification",
            Action::Heartbeat => "Heartbeat",
            Action::Authorize => "Authorize",
        }
    }
}

/// The outcomes and latencies of one action.
#[derive(Debug, Clone)]
pub struct ActionStats {
    /// Answered with a CALLRESULT.
    pub answered: u64,
    /// Of those, not `Accepted` (a rejected boot, a refused card).
    pub not_accepted: u64,
    /// Answered with a CALLERROR.
    pub call_errors: u64,
    /// No answer within the timeout.
    pub timeouts: u64,
    /// The connection closed, or the answer was invalid.
    pub failed: u64,
    /// Scheduled but not sent: the station was not connected (Authorize only).
    pub unsent: u64,
    /// Latencies of the answered calls, in microseconds.
    pub latency: Histogram<u64>,
}

impl ActionStats {
    fn new() -> ActionStats {
        ActionStats {
            answered: 0,
            not_accepted: 0,
            call_errors: 0,
            timeouts: 0,
            failed: 0,
            unsent: 0,
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_MICROS, 3)
                .expect("valid histogram bounds"),
        }
    }

    /// Everything that went wrong but timeouts.
    pub fn errors(&self) -> u64 {
        self.not_accepted + self.call_errors + self.failed + self.unsent
    }

    fn percentile_ms(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.value_at_quantile(quantile) as f64 / 1_000.0
    }

    fn max_ms(&self) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.max() as f64 / 1_000.0
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The scenario run.
    pub scenario: Scenario,
    /// Stations simulated.
    pub stations: u64,
    /// From the start to the end of the run.
    pub elapsed: Duration,
    /// Stations whose WebSocket opened.
    pub connected: u64,
    /// Stations whose handshake was refused (HTTP error, connection refused, no `ocpp1.6`).
    pub refused: u64,
    /// Stations whose handshake did not finish within the timeout.
    pub connect_timeouts: u64,
    /// Stations whose BootNotification was Accepted.
    pub booted: u64,
    /// From the start until the last station's BootNotification was Accepted.
    pub last_boot_after: Option<Duration>,
    /// Connections the central system closed (or that failed) while the station was in use.
    pub unexpected_closes: u64,
    /// Per action, in [`Action::ALL`] order.
    pub actions: [ActionStats; 3],
}

impl LoadReport {
    fn new(scenario: Scenario, stations: u64) -> LoadReport {
        LoadReport {
            scenario,
            stations,
            elapsed: Duration::ZERO,
            connected: 0,
            refused: 0,
            connect_timeouts: 0,
            booted: 0,
            last_boot_after: None,
            unexpected_closes: 0,
            actions: [ActionStats::new(), ActionStats::new(), ActionStats::new()],
        }
    }

    /// The statistics of `action`.
    pub fn action(&self, action: Action) -> &ActionStats {
        &self.actions[action as usize]
    }

    fn action_mut(&mut self, action: Action) -> &mut ActionStats {
        &mut self.actions[action as usize]
    }

    /// Every error: refused handshakes, unexpected closes, CALLERRORs, failed or unsent calls, answers other
    /// than Accepted.
    pub fn errors(&self) -> u64 {
        self.refused
            + self.unexpected_closes
            + self.actions.iter().map(ActionStats::errors).sum::<u64>()
    }

    /// Every timeout: handshakes and calls.
    pub fn timeouts(&self) -> u64 {
        self.connect_timeouts + self.actions.iter().map(|a| a.timeouts).sum::<u64>()
    }

    /// The report as one JSON object (latencies in milliseconds, throughput in answered calls per second).
    pub fn to_json(&self) -> Value {
        let secs = self.elapsed.as_secs_f64().max(f64::EPSILON);
        let actions: serde_json::Map<String, Value> = Action::ALL
            .iter()
            .map(|&action| {
                let stats = self.action(action);
                (
                    action.as_str().to_owned(),
                    json!({
                        "answered": stats.answered,
                        "perSecond": stats.answered as f64 / secs,
                        "notAccepted": stats.not_accepted,
                        "callErrors": stats.call_errors,
                        "timeouts": stats.timeouts,
                        "failed": stats.failed,
                        "unsent": stats.unsent,
                        "p50Ms": stats.percentile_ms(0.5),
                        "p99Ms": stats.percentile_ms(0.99),
                        "p999Ms": stats.percentile_ms(0.999),
                        "maxMs": stats.max_ms(),
                    }),
                )
            })
            .collect();
        json!({
            "scenario": self.scenario.as_str(),
            "stations": self.stations,
            "elapsedSecs": self.elapsed.as_secs_f64(),
            "connected": self.connected,
            "refused": self.refused,
            "connectTimeouts": self.connect_timeouts,
            "booted": self.booted,
            "lastBootAcceptedSecs": self.last_boot_after.map(|d| d.as_secs_f64()),
            "unexpectedCloses": self.unexpected_closes,
            "errors": self.errors(),
            "timeouts": self.timeouts(),
            "actions": actions,
        })
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(f64::EPSILON);
        writeln!(
            f,
            "scenario {}: {} stations, {:.1} s",
            self.scenario.as_str(),
            self.stations,
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "connected {}, refused {}, handshake timeouts {}, booted {}, unexpected closes {}",
            self.connected,
            self.refused,
            self.connect_timeouts,
            self.booted,
            self.unexpected_closes
        )?;
        if let Some(last) = self.last_boot_after {
            writeln!(
                f,
                "last BootNotification Accepted {:.2} s after the start",
                last.as_secs_f64()
            )?;
        }
        writeln!(
            f,
            "{:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>8} {:>7}",
            "action",
            "answered",
            "per s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "errors",
            "timeouts",
            "unsent"
        )?;
        for action in Action::ALL {
            let s = self.action(action);
            writeln!(
                f,
                "{:<17} {:>9} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7} {:>8} {:>7}",
                action.as_str(),
                s.answered,
                s.answered as f64 / secs,
                s.percentile_ms(0.5),
                s.percentile_ms(0.99),
                s.percentile_ms(0.999),
                s.max_ms(),
                s.not_accepted + s.call_errors + s.failed,
                s.timeouts,
                s.unsent
            )?;
        }
        write!(f, "errors {}, timeouts {}", self.errors(), self.timeouts())
    }
}

type Shared = Arc<Mutex<LoadReport>>;

fn with_report<T>(report: &Shared, f: impl FnOnce(&mut LoadReport) -> T) -> T {
    f(&mut report
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Counts a failed call of `action`; true when the connection is gone.
fn count_failure(report: &Shared, action: Action, error: &SimError) -> bool {
    with_report(report, |r| {
        let stats = r.action_mut(action);
        match error {
            SimError::Timeout { .. } => stats.timeouts += 1,
            SimError::CallError { .. } => stats.call_errors += 1,
            _ => stats.failed += 1,
        }
        if let SimError::Closed(_) = error {
            r.unexpected_closes += 1;
            true
        } else {
            false
        }
    })
}

fn record_latency(report: &Shared, action: Action, latency: Duration) {
    let micros = u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    with_report(report, |r| {
        r.action_mut(action).latency.saturating_record(micros)
    });
}

/// Runs the load of `config` and reports what it measured. Refuses a non-loopback URL, and a steady run
/// with an Authorize rate but no idTags.
pub async fn run_load(config: &LoadConfig) -> Result<LoadReport, LoadError> {
    check_loopback(&config.url).await?;
    if config.station_ids.is_empty() {
        return Err(LoadError("the load needs at least one station".to_owned()));
    }
    let storm = config.scenario == Scenario::Storm;
    let authorize_rate = if storm { 0.0 } else { config.authorize_rate };
    if authorize_rate > 0.0 && config.id_tags.is_empty() {
        return Err(LoadError(
            "an Authorize rate needs at least one idTag".to_owned(),
        ));
    }
    let ramp = if storm { Duration::ZERO } else { config.ramp };
    let count = config.station_ids.len();
    let report: Shared = Arc::new(Mutex::new(LoadReport::new(config.scenario, count as u64)));
    let (stop_sender, stop) = watch::channel(false);
    let (resolved_sender, mut resolved) = mpsc::unbounded_channel::<()>();
    let start = Instant::now();
    let end = start + config.duration;
    let password: Option<Arc<str>> = config.password.as_deref().map(Arc::from);
    let url: Arc<str> = Arc::from(config.url.as_str());

    let mut stations = JoinSet::new();
    let mut senders = Vec::with_capacity(count);
    for (k, id) in config.station_ids.iter().enumerate() {
        let (sender, commands) = mpsc::unbounded_channel();
        senders.push(sender);
        let offset = ramp.mul_f64(k as f64 / count as f64);
        stations.spawn(station(Station {
            id: id.clone(),
            url: url.clone(),
            password: password.clone(),
            connect_at: start + offset,
            start,
            heartbeat: config.heartbeat,
            timeout: config.timeout,
            report: report.clone(),
            commands,
            stop: stop.clone(),
            resolved: resolved_sender.clone(),
        }));
    }
    drop(resolved_sender);

    let id_tags: Arc<Vec<String>> = Arc::new(config.id_tags.clone());
    let dispatch = async {
        if authorize_rate <= 0.0 {
            return;
        }
        let first = start + ramp;
        let mut k: u64 = 0;
        loop {
            let at = first + Duration::from_secs_f64(k as f64 / authorize_rate);
            if at >= end {
                return;
            }
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            let tag = id_tags[(k % id_tags.len() as u64) as usize].clone();
            if senders[(k % count as u64) as usize]
                .send((at, tag))
                .is_err()
            {
                with_report(&report, |r| r.action_mut(Action::Authorize).unsent += 1);
            }
            k += 1;
        }
    };
    let wait = async {
        if storm {
            // Done when every station booted or failed (each reports once), or at the end.
            let all = async {
                let mut seen = 0;
                while seen < count && resolved.recv().await.is_some() {
                    seen += 1;
                }
            };
            let _ = tokio::time::timeout_at(end, all).await;
        } else {
            tokio::time::sleep_until(end).await;
        }
    };
    tokio::join!(dispatch, wait);
    let elapsed = start.elapsed();
    let _ = stop_sender.send(true);
    drop(senders);
    while stations.join_next().await.is_some() {}
    let mut report = Arc::try_unwrap(report)
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .unwrap_or_else(|shared| with_report(&shared, |r| r.clone()));
    report.elapsed = elapsed;
    Ok(report)
}

/// Sends one scheduled Authorize and records it; false when the connection is gone. The timeout runs from the
/// scheduled time: a request still queued behind slow answers when its timeout has passed counts as a timeout
/// without being sent, so that a saturated server cannot stretch the run by its backlog.
async fn authorize(
    cp: &mut ChargePoint,
    report: &Shared,
    scheduled: Instant,
    timeout: Duration,
    tag: &str,
) -> bool {
    let Some(left) = timeout
        .checked_sub(scheduled.elapsed())
        .filter(|left| !left.is_zero())
    else {
        with_report(report, |r| r.action_mut(Action::Authorize).timeouts += 1);
        return true;
    };
    cp.set_timeout(left);
    let outcome = cp.authorize(tag).await;
    cp.set_timeout(timeout);
    match outcome {
        Ok(status) => {
            record_latency(report, Action::Authorize, scheduled.elapsed());
            with_report(report, |r| {
                let stats = r.action_mut(Action::Authorize);
                stats.answered += 1;
                if status != AuthorizationStatus::Accepted {
                    stats.not_accepted += 1;
                }
            });
            true
        }
        Err(error) => !count_failure(report, Action::Authorize, &error),
    }
}

/// One station's task: what it needs.
struct Station {
    id: String,
    url: Arc<str>,
    password: Option<Arc<str>>,
    connect_at: Instant,
    start: Instant,
    heartbeat: Duration,
    timeout: Duration,
    report: Shared,
    /// Authorize requests: their scheduled time and idTag.
    commands: mpsc::UnboundedReceiver<(Instant, String)>,
    stop: watch::Receiver<bool>,
    /// Told once when the station booted or failed.
    resolved: mpsc::UnboundedSender<()>,
}

async fn station(mut s: Station) {
    tokio::time::sleep_until(s.connect_at).await;
    // The handshake's own timeout is left longer, so that ours decides and counts it.
    let connecting =
        ChargePoint::connect_with_timeout(&s.url, &s.id, s.password.as_deref(), s.timeout * 2);
    let mut cp = match tokio::time::timeout(s.timeout, connecting).await {
        Err(_) => {
            with_report(&s.report, |r| r.connect_timeouts += 1);
            let _ = s.resolved.send(());
            return;
        }
        Ok(Err(_)) => {
            with_report(&s.report, |r| r.refused += 1);
            let _ = s.resolved.send(());
            return;
        }
        Ok(Ok(cp)) => cp,
    };
    cp.set_timeout(s.timeout);
    with_report(&s.report, |r| r.connected += 1);

    let sent = Instant::now();
    let booted = match cp.boot().await {
        Ok(answer) => {
            record_latency(&s.report, Action::Boot, sent.elapsed());
            let accepted = answer.status == RegistrationStatus::Accepted;
            with_report(&s.report, |r| {
                r.action_mut(Action::Boot).answered += 1;
                if accepted {
                    r.booted += 1;
                    let after = s.start.elapsed();
                    r.last_boot_after =
                        Some(r.last_boot_after.map_or(after, |last| last.max(after)));
                } else {
                    r.action_mut(Action::Boot).not_accepted += 1;
                }
            });
            accepted
        }
        Err(error) => {
            count_failure(&s.report, Action::Boot, &error);
            false
        }
    };
    let _ = s.resolved.send(());
    if !booted {
        cp.close().await;
        return;
    }

    let mut next_heartbeat = Instant::now() + s.heartbeat;
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            _ = s.stop.changed() => break,
            command = s.commands.recv() => {
                let Some((scheduled, tag)) = command else { break };
                if !authorize(&mut cp, &s.report, scheduled, s.timeout, &tag).await {
                    open = false;
                    break;
                }
            }
            _ = tokio::time::sleep_until(next_heartbeat) => {
                let scheduled = next_heartbeat;
                next_heartbeat += s.heartbeat;
                match cp.heartbeat().await {
                    Ok(_) => {
                        record_latency(&s.report, Action::Heartbeat, scheduled.elapsed());
                        with_report(&s.report, |r| r.action_mut(Action::Heartbeat).answered += 1);
                    }
                    Err(error) => {
                        if count_failure(&s.report, Action::Heartbeat, &error) {
                            open = false;
                            break;
                        }
                    }
                }
            }
        }
    }
    // The requests scheduled before the end are still sent; a closed connection leaves them unsent.
    s.commands.close();
    let mut unsent = 0;
    while let Ok((scheduled, tag)) = s.commands.try_recv() {
        if open {
            open = authorize(&mut cp, &s.report, scheduled, s.timeout, &tag).await;
        } else {
            unsent += 1;
        }
    }
    if unsent > 0 {
        with_report(&s.report, |r| {
            r.action_mut(Action::Authorize).unsent += unsent
        });
    }
    cp.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_loopback_targets_are_accepted() {
        for url in [
            "ws://127.0.0.1:3000/ocpp",
            "ws://127.0.0.2/ocpp",
            "ws://[::1]:3000/ocpp",
            "wss://127.0.0.1/ocpp",
        ] {
            assert_eq!(check_loopback(url).await, Ok(()), "{url}");
        }
        for (url, why) in [
            (
                "ws://10.0.0.1:3000/ocpp",
                "10.0.0.1, which is not a loopback address",
            ),
            (
                "ws://192.0.2.7/ocpp",
                "192.0.2.7, which is not a loopback address",
            ),
            (
                "ws://[2001:db8::1]:3000/ocpp",
                "2001:db8::1, which is not a loopback address",
            ),
            (
                "ws://0.0.0.0:3000/ocpp",
                "0.0.0.0, which is not a loopback address",
            ),
            ("http://127.0.0.1:3000/ocpp", "is not a ws:// or wss:// URL"),
            ("127.0.0.1:3000", "is not a ws:// or wss:// URL"),
            ("ws://no-such-host.invalid/ocpp", "does not resolve"),
        ] {
            let refused = check_loopback(url).await.unwrap_err().0;
            assert!(
                refused.starts_with("chargepoint-sim load only targets this machine"),
                "{url}: {refused}"
            );
            assert!(refused.contains(why), "{url}: {refused}");
        }
    }

    #[tokio::test]
    async fn a_run_against_another_machine_is_refused_before_connecting() {
        let args =
            LoadArgs::parse_from_args(["load", "--url", "ws://192.0.2.7:3000/ocpp"]).unwrap();
        let config = args.config(std::io::empty()).unwrap();
        let refused = run_load(&config).await.unwrap_err();
        assert!(refused.0.contains("not a loopback address"), "{refused}");
    }

    #[test]
    fn the_ids_and_id_tags_match_the_seeded_ones() {
        let args = LoadArgs::parse_from_args([
            "load",
            "--stations",
            "12",
            "--id-tags",
            "3",
            "--authorize-rate",
            "50",
        ])
        .unwrap();
        let config = args.config(std::io::empty()).unwrap();
        assert_eq!(config.station_ids.len(), 12);
        assert_eq!(config.station_ids[0], "CP-LOAD-00001");
        assert_eq!(config.station_ids[11], "CP-LOAD-00012");
        assert_eq!(
            config.id_tags,
            ["10AD0000000001", "10AD0000000002", "10AD0000000003"]
        );
        assert_eq!(config.scenario, Scenario::Steady);
        assert_eq!(config.timeout, Duration::from_secs(10));
    }

    #[test]
    fn bad_rates_and_ramps_are_refused() {
        for bad in [
            ["load", "--authorize-rate", "-1"],
            ["load", "--authorize-rate", "NaN"],
            ["load", "--ramp-secs", "-2"],
            ["load", "--ramp-secs", "inf"],
        ] {
            assert!(LoadArgs::parse_from_args(bad).is_err(), "{bad:?}");
        }
        assert!(LoadArgs::parse_from_args(["load", "--stations", "0"]).is_err());
        assert!(LoadArgs::parse_from_args(["load", "--scenario", "flood"]).is_err());
    }

    #[test]
    fn the_report_counts_errors_and_timeouts_and_prints_percentiles() {
        let mut report = LoadReport::new(Scenario::Steady, 2);
        report.elapsed = Duration::from_secs(2);
        report.refused = 1;
        let auth = report.action_mut(Action::Authorize);
        auth.answered = 4;
        auth.not_accepted = 1;
        auth.timeouts = 2;
        for micros in [1_000, 2_000, 3_000, 40_000] {
            auth.latency.record(micros).unwrap();
        }
        assert_eq!(report.errors(), 2);
        assert_eq!(report.timeouts(), 2);
        let json = report.to_json();
        assert_eq!(json["actions"]["Authorize"]["answered"], 4);
        assert_eq!(json["actions"]["Authorize"]["perSecond"], 2.0);
        let max = json["actions"]["Authorize"]["maxMs"].as_f64().unwrap();
        assert!((max - 40.0).abs() < 0.1, "{max}");
        let p50 = json["actions"]["Authorize"]["p50Ms"].as_f64().unwrap();
        assert!((p50 - 2.0).abs() < 0.01, "{p50}");
        assert_eq!(json["errors"], 2);
        let text = report.to_string();
        assert!(text.contains("Authorize"), "{text}");
        assert!(text.ends_with("errors 2, timeouts 2"), "{text}");
    }
}
