//! The simulator's command line and the script it runs: boot, connector statuses, heartbeats, then the
//! `--tap`, `--tap-offline`, `--charge`, `--raw` and `--serve-secs` steps in the order given, then
//! `--hold-secs`. Throughout, the station answers the central system's commands as `--commands`,
//! `--answer-delay-ms` and `--local-list` say (see [`crate::station`]).

use crate::client::{now, ChargePoint, Event, Observer, SimError};
use crate::meter::{energy_meter_value, ramp};
use crate::station::{
    CommandBehaviour, LocalListSupport, Station, StationSetup, DEFAULT_LOCAL_LIST_MAX,
    DEFAULT_SEND_LOCAL_LIST_MAX,
};
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use ocpp::messages::{AuthorizationStatus, ChargePointStatus, ReadingContext, Reason};
use std::ffi::OsString;
use std::io::BufRead;
use std::time::Duration;
use tokio::time::Instant;

/// The energy of a `--charge` without `--energy-wh`.
pub const DEFAULT_ENERGY_WH: u64 = 5000;
/// The duration of a `--charge` without `--duration-secs`.
pub const DEFAULT_DURATION_SECS: u64 = 5;
/// The connector the script charges on.
pub const CONNECTOR: i64 = 1;

/// The largest energy reading accepted on the command line (1 GWh), so meter arithmetic cannot overflow.
const MAX_WH: u64 = 1_000_000_000;

/// Simulates one OCPP 1.6J charge point: connects to the central system, boots, reports connector 1 (and 0)
/// Available, optionally sends heartbeats, then runs the --tap / --tap-offline / --charge / --raw /
/// --serve-secs steps in the order given.
///
/// A station logs in with its password (shown once in ChargeDesk when it was generated; `serve --demo` prints
/// the demo stations' passwords). Give it in CHARGEDESK_STATION_PASSWORD or on standard input with
/// --password-stdin rather than with --password, which other users of the machine can see in `ps`:
///
///     CHARGEDESK_STATION_PASSWORD=... chargepoint-sim --id CP-KROON-1 --tap 04AAAB11CD2345
///
/// Every exchange is printed as one line (→ request  ← answer), or as one JSON object per line with --json.
///
/// The station answers the central system's commands like a real one (--commands accept): RemoteStart/Stop
/// (and then runs or stops the session), UnlockConnector, Reset (then reconnects and boots again),
/// ChangeAvailability, Get/ChangeConfiguration, ClearCache, TriggerMessage (then sends the message),
/// GetLocalListVersion and SendLocalList (it keeps a Local Authorization List and an authorization cache in
/// memory, and --tap-offline decides from them). Each command is printed with the answer (JSON: "event":
/// "command"). Commands are carried out while the station waits: between steps, during --serve-secs,
/// --hold-secs and a --charge's samples. To keep it connected for commands:
///
///     chargepoint-sim --id CP-KROON-1 --serve-secs 60 --tap-offline 04AAAB11CD2345
///
/// `chargepoint-sim load --help`: many stations at once, for load tests.
///
/// Exit codes: 0 done; 1 other failure (connection closed, invalid answer, boot not accepted); 2 bad
/// arguments (or URL); 3 could not connect (refused, HTTP 401/404, handshake); 4 a CALLERROR answer; 5 no
/// answer within --timeout-secs.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "chargepoint-sim", version, verbatim_doc_comment)]
pub struct Args {
    /// The central system's OCPP endpoint; the charge point connects to <URL>/<ID> (ID percent-encoded).
    /// Defaults to the server that `bash scripts/run.sh` starts.
    #[arg(
        long,
        value_name = "URL",
        env = "CHARGEDESK_OCPP_URL",
        default_value = "ws://127.0.0.1:3000/ocpp"
    )]
    pub url: String,

    /// The charge point ID (chargeBoxIdentity).
    #[arg(long, value_name = "ID")]
    pub id: String,

    /// The station's password (its AuthorizationKey), sent with HTTP Basic authentication as ID:PASSWORD
    /// (OCPP security profile 1). Visible in `ps` when given here: prefer the environment variable or
    /// --password-stdin.
    #[arg(
        long,
        value_name = "SECRET",
        env = "CHARGEDESK_STATION_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Read the password from the first line of standard input (instead of CHARGEDESK_STATION_PASSWORD).
    #[arg(long)]
    pub password_stdin: bool,

    /// Step: present card ID_TAG (Authorize) and print the answer.
    #[arg(long, value_name = "ID_TAG")]
    pub tap: Vec<String>,

    /// Step: a charging session for ID_TAG: Authorize, Preparing, StartTransaction, Charging, MeterValues
    /// every second, StopTransaction (Local), Finishing, Available.
    #[arg(long, value_name = "ID_TAG")]
    pub charge: Vec<String>,

    /// Energy of the --charge before it (given before any --charge: the default for all) [default: 5000].
    #[arg(long, value_name = "WH", value_parser = clap::value_parser!(u64).range(0..=MAX_WH))]
    pub energy_wh: Vec<u64>,

    /// Duration of the --charge before it (given before any --charge: the default for all) [default: 5].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub duration_secs: Vec<u64>,

    /// Step: send FRAME as it is (any text) and print the next frame received.
    #[arg(long, value_name = "FRAME")]
    pub raw: Vec<String>,

    /// Step: present card ID_TAG and decide locally, as when the central system is unreachable: the Local
    /// Authorization List first, then the authorization cache, else Invalid. Prints the decision.
    #[arg(long, value_name = "ID_TAG")]
    pub tap_offline: Vec<String>,

    /// Step: stay connected N seconds answering the central system's commands (heartbeating).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub serve_secs: Vec<u64>,

    /// How the station answers the central system's commands: accept (like a real station), reject (every
    /// change refused), not-supported (CALLERROR NotSupported), silent (never answers).
    #[arg(long, value_name = "HOW", value_enum, default_value_t = CommandBehaviour::Accept)]
    pub commands: CommandBehaviour,

    /// Wait this long before answering each command (a slow station).
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub answer_delay_ms: u64,

    /// Whether the station has a Local Authorization List; unsupported: GetLocalListVersion answers -1 and
    /// SendLocalList NotSupported.
    #[arg(long, value_name = "SUPPORT", value_enum, default_value_t = LocalListSupport::Supported)]
    pub local_list: LocalListSupport,

    /// LocalAuthListMaxLength: the most idTags the local list holds.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LOCAL_LIST_MAX as u64, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub local_list_max: u64,

    /// SendLocalListMaxLength: the most idTags one SendLocalList may carry.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEND_LOCAL_LIST_MAX as u64, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub send_local_list_max: u64,

    /// NumberOfConnectors (the script charges on connector 1).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..=10))]
    pub connectors: i64,

    /// When the connection is lost during --serve-secs or --hold-secs, reconnect (every second) and boot
    /// again instead of failing; the local list, cache and configuration are kept.
    #[arg(long)]
    pub reconnect: bool,

    /// Heartbeats to send after booting, before the steps.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub heartbeats: u32,

    /// Seconds between heartbeats [default: the interval in BootNotification.conf].
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(1..))]
    pub interval_secs: Option<u64>,

    /// After the steps, keep the connection open (heartbeating) this long; Ctrl-C ends it early.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub hold_secs: u64,

    /// Seconds to wait for the WebSocket handshake and for each answer.
    #[arg(long, value_name = "S", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,

    /// The meter's register reading (Wh) when the simulator starts.
    #[arg(long, value_name = "WH", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_WH))]
    pub meter_start: u64,

    /// Print each exchange as a JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One scripted step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Authorize the idTag and print the answer.
    Tap(String),
    /// A charging session.
    Charge {
        /// Who charges.
        id_tag: String,
        /// Energy charged, in Wh.
        energy_wh: u64,
        /// Seconds from StartTransaction to StopTransaction (one MeterValues per second).
        duration_secs: u64,
    },
    /// Send this text frame and print the next frame received.
    Raw(String),
    /// Decide on the idTag locally (local list, cache) and print the decision.
    TapOffline(String),
    /// Stay connected this many seconds, answering commands.
    Serve(u64),
}

/// Parses the command line into the options and the steps in the order given. A clap error (including
/// `--help` and `--version`) is for the caller to print and exit with (`error.exit()`).
pub fn parse_args<I, T>(args: I) -> Result<(Args, Vec<Step>), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = Args::command().try_get_matches_from(args)?;
    let args = Args::from_arg_matches(&matches)?;
    if args.password_stdin && matches.value_source("password") == Some(ValueSource::CommandLine) {
        return Err(Args::command().error(
            ErrorKind::ArgumentConflict,
            "give the password either with --password or with --password-stdin, not both",
        ));
    }
    let steps = steps(&args, &matches)?;
    Ok((args, steps))
}

impl Args {
    /// The station these options describe (behaviour, local list, connectors), with default keys and empty
    /// lists, its meter at --meter-start.
    pub fn station(&self) -> Station {
        let mut station = Station::new(StationSetup {
            behaviour: self.commands,
            answer_delay: Duration::from_millis(self.answer_delay_ms),
            local_list: self.local_list,
            local_list_max: usize::try_from(self.local_list_max).unwrap_or(usize::MAX),
            send_local_list_max: usize::try_from(self.send_local_list_max).unwrap_or(usize::MAX),
            connectors: self.connectors,
        });
        station.set_meter_wh(i64::try_from(self.meter_start).unwrap_or(0));
        station
    }

    /// The password to log in with: with --password-stdin the first line of `stdin` (without its line end),
    /// else --password or CHARGEDESK_STATION_PASSWORD, else none. An error (for the user) when standard input
    /// has no password.
    pub fn resolve_password(&self, stdin: impl BufRead) -> Result<Option<String>, String> {
        password_from(self.password.as_deref(), self.password_stdin, stdin)
    }
}

/// The password to log in with, for the scripted and the load mode alike: with `password_stdin` the first line
/// of `stdin` (without its line end), else `password` (--password or CHARGEDESK_STATION_PASSWORD), else none.
/// An error (for the user) when standard input has no password.
pub fn password_from(
    password: Option<&str>,
    password_stdin: bool,
    mut stdin: impl BufRead,
) -> Result<Option<String>, String> {
    if !password_stdin {
        return Ok(password.map(str::to_owned));
    }
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(
            "--password-stdin: standard input has no password on its first line".to_owned(),
        );
    }
    Ok(Some(password.to_owned()))
}

/// A command-line flag that shapes the step list, at its position on the command line.
enum Flag<'a> {
    Tap(&'a str),
    Charge(&'a str),
    Raw(&'a str),
    TapOffline(&'a str),
    Serve(u64),
    Energy(u64),
    Duration(u64),
}

fn steps(args: &Args, matches: &ArgMatches) -> Result<Vec<Step>, clap::Error> {
    fn positioned<'a, V>(
        matches: &ArgMatches,
        id: &str,
        values: &'a [V],
        flag: impl Fn(&'a V) -> Flag<'a>,
    ) -> Vec<(usize, Flag<'a>)> {
        matches
            .indices_of(id)
            .map(|indices| indices.zip(values.iter().map(flag)).collect())
            .unwrap_or_default()
    }
    let mut flags = Vec::new();
    flags.extend(positioned(matches, "tap", &args.tap, |v| Flag::Tap(v)));
    flags.extend(positioned(matches, "charge", &args.charge, |v| {
        Flag::Charge(v)
    }));
    flags.extend(positioned(matches, "raw", &args.raw, |v| Flag::Raw(v)));
    flags.extend(positioned(matches, "tap_offline", &args.tap_offline, |v| {
        Flag::TapOffline(v)
    }));
    flags.extend(positioned(matches, "serve_secs", &args.serve_secs, |v| {
        Flag::Serve(*v)
    }));
    flags.extend(positioned(matches, "energy_wh", &args.energy_wh, |v| {
        Flag::Energy(*v)
    }));
    flags.extend(positioned(
        matches,
        "duration_secs",
        &args.duration_secs,
        |v| Flag::Duration(*v),
    ));
    flags.sort_by_key(|(index, _)| *index);

    if args.charge.is_empty() && (!args.energy_wh.is_empty() || !args.duration_secs.is_empty()) {
        return Err(Args::command().error(
            ErrorKind::ArgumentConflict,
            "--energy-wh and --duration-secs shape a --charge, and there is none",
        ));
    }

    let mut default_energy = DEFAULT_ENERGY_WH;
    let mut default_duration = DEFAULT_DURATION_SECS;
    let mut steps = Vec::new();
    // The index in `steps` of the latest --charge, which a following --energy-wh/--duration-secs shapes.
    let mut last_charge: Option<usize> = None;
    for (_, flag) in flags {
        match flag {
            Flag::Tap(id_tag) => steps.push(Step::Tap(id_tag.to_owned())),
            Flag::Raw(text) => steps.push(Step::Raw(text.to_owned())),
            Flag::TapOffline(id_tag) => steps.push(Step::TapOffline(id_tag.to_owned())),
            Flag::Serve(secs) => steps.push(Step::Serve(secs)),
            Flag::Charge(id_tag) => {
                last_charge = Some(steps.len());
                steps.push(Step::Charge {
                    id_tag: id_tag.to_owned(),
                    energy_wh: default_energy,
                    duration_secs: default_duration,
                });
            }
            Flag::Energy(wh) => match last_charge.map(|index| &mut steps[index]) {
                Some(Step::Charge { energy_wh, .. }) => *energy_wh = wh,
                _ => default_energy = wh,
            },
            Flag::Duration(secs) => match last_charge.map(|index| &mut steps[index]) {
                Some(Step::Charge { duration_secs, .. }) => *duration_secs = secs,
                _ => default_duration = secs,
            },
        }
    }
    Ok(steps)
}

/// Connects, boots, runs the steps and holds the connection as `args` say, reporting every event to
/// `observer`. Returns the first error, which ends the run.
pub async fn run(args: &Args, steps: &[Step], observer: Observer) -> Result<(), SimError> {
    let mut station = ChargePoint::connect_as(
        &args.url,
        &args.id,
        args.password.as_deref(),
        Duration::from_secs(args.timeout_secs),
        args.station(),
    )
    .await?;
    station.set_observer(observer);
    station.emit(&Event::Connected {
        url: station.url().to_owned(),
    });

    station.start_up().await?;
    let heartbeat = args.interval_secs.map(Duration::from_secs);
    let interval = heartbeat.unwrap_or_else(|| station.station().heartbeat_interval());
    for beat in 0..args.heartbeats {
        if beat > 0 {
            station.idle(interval).await?;
        }
        station.heartbeat().await?;
    }

    for step in steps {
        match step {
            Step::Tap(id_tag) => {
                station.authorize(id_tag).await?;
            }
            Step::TapOffline(id_tag) => {
                station.authorize_offline(id_tag);
            }
            Step::Raw(text) => {
                station.call_raw(text).await?;
            }
            Step::Serve(secs) => {
                station.note(format!(
                    "serving the central system's commands for {secs} s"
                ));
                let end = Instant::now() + Duration::from_secs(*secs);
                if !serve(&mut station, end, heartbeat, args.reconnect).await? {
                    station.close().await;
                    return Ok(());
                }
            }
            Step::Charge {
                id_tag,
                energy_wh,
                duration_secs,
            } => {
                charge(&mut station, id_tag, *energy_wh, *duration_secs).await?;
            }
        }
        // Commands that arrived during the step are carried out before the next one.
        if !station.is_closed() {
            station.idle(Duration::ZERO).await?;
        }
    }

    if args.hold_secs > 0 {
        station.note(format!(
            "holding the connection for {} s (heartbeat every {} s; Ctrl-C ends it)",
            args.hold_secs,
            interval.as_secs()
        ));
        let end = Instant::now() + Duration::from_secs(args.hold_secs);
        serve(&mut station, end, heartbeat, args.reconnect).await?;
    }
    station.close().await;
    Ok(())
}

/// [`ChargePoint::serve_until`] `end`, or until Ctrl-C (then false).
async fn serve(
    station: &mut ChargePoint,
    end: Instant,
    heartbeat: Option<Duration>,
    reconnect: bool,
) -> Result<bool, SimError> {
    tokio::select! {
        served = station.serve_until(end, heartbeat, reconnect) => served.map(|()| true),
        _ = tokio::signal::ctrl_c() => {
            station.note("interrupted");
            Ok(false)
        }
    }
}

/// One charging session on [`CONNECTOR`] starting at the station's register reading, which follows the
/// samples. Not started when the connector is busy or out of service, or the idTag is refused; ended early
/// when the central system stops the transaction (RemoteStopTransaction, UnlockConnector, Reset).
async fn charge(
    station: &mut ChargePoint,
    id_tag: &str,
    energy_wh: u64,
    duration_secs: u64,
) -> Result<(), SimError> {
    let meter = station.station().meter_wh();
    let busy = station.station().connector(CONNECTOR).map(|state| {
        (
            state.transaction.is_some() || state.starting,
            state.idle_status(),
        )
    });
    match busy {
        Some((false, ChargePointStatus::Available)) => {}
        Some((true, _)) => {
            station.note(format!("connector {CONNECTOR} is busy: not charging"));
            return Ok(());
        }
        _ => {
            station.note(format!(
                "connector {CONNECTOR} is out of service: not charging"
            ));
            return Ok(());
        }
    }
    let authorized = station.authorize(id_tag).await?;
    if authorized != AuthorizationStatus::Accepted {
        station.note(format!(
            "{id_tag} is not authorized ({authorized}): not charging"
        ));
        return Ok(());
    }
    station
        .status(CONNECTOR, ChargePointStatus::Preparing)
        .await?;
    let started_at = now();
    let (transaction, verdict) = station.start_transaction(CONNECTOR, id_tag, meter).await?;
    let begin = energy_meter_value(&started_at, meter, ReadingContext::TransactionBegin);

    if verdict != AuthorizationStatus::Accepted {
        // As a station with StopTransactionOnInvalidId: end it at once.
        station.note(format!(
            "StartTransaction refused {id_tag} ({verdict}): stopping transaction {transaction}"
        ));
        let end = energy_meter_value(&now(), meter, ReadingContext::TransactionEnd);
        station
            .stop_transaction(
                transaction,
                meter,
                Some(id_tag),
                Some(Reason::DeAuthorized),
                vec![begin, end],
            )
            .await?;
        station
            .status(CONNECTOR, ChargePointStatus::Finishing)
            .await?;
        station
            .status(CONNECTOR, ChargePointStatus::Available)
            .await?;
        return Ok(());
    }

    station
        .status(CONNECTOR, ChargePointStatus::Charging)
        .await?;
    let charging_since = Instant::now();
    let still_running = |station: &ChargePoint| {
        station
            .station()
            .transaction_on(CONNECTOR)
            .is_some_and(|running| running.transaction_id == transaction)
    };
    for (second, reading) in ramp(meter, energy_wh, duration_secs) {
        station
            .idle_until(charging_since + Duration::from_secs(second))
            .await?;
        if !still_running(station) {
            station.note(format!(
                "transaction {transaction} was stopped by the central system"
            ));
            return Ok(());
        }
        station
            .meter_values(CONNECTOR, Some(transaction), reading)
            .await?;
        station.station().set_meter_wh(reading);
    }
    if !still_running(station) {
        station.note(format!(
            "transaction {transaction} was stopped by the central system"
        ));
        return Ok(());
    }
    let stop = meter.saturating_add(i64::try_from(energy_wh).unwrap_or(i64::MAX));
    let end = energy_meter_value(&now(), stop, ReadingContext::TransactionEnd);
    station
        .stop_transaction(
            transaction,
            stop,
            Some(id_tag),
            Some(Reason::Local),
            vec![begin, end],
        )
        .await?;
    station.station().set_meter_wh(stop);
    station
        .status(CONNECTOR, ChargePointStatus::Finishing)
        .await?;
    let idle = station.station().idle_status(CONNECTOR);
    station.status(CONNECTOR, idle).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Result<(Args, Vec<Step>), clap::Error> {
        let mut args = vec![
            "chargepoint-sim",
            "--url",
            "ws://127.0.0.1:3000/ocpp",
            "--id",
            "CP-1",
        ];
        args.extend_from_slice(extra);
        parse_args(args)
    }

    fn charge(id_tag: &str, energy_wh: u64, duration_secs: u64) -> Step {
        Step::Charge {
            id_tag: id_tag.to_owned(),
            energy_wh,
            duration_secs,
        }
    }

    #[test]
    fn options_and_defaults() {
        let (args, steps) = parse(&[]).unwrap();
        assert_eq!(args.url, "ws://127.0.0.1:3000/ocpp");
        assert_eq!(args.id, "CP-1");
        assert_eq!(args.password, None);
        assert_eq!(args.heartbeats, 0);
        assert_eq!(args.interval_secs, None);
        assert_eq!(args.hold_secs, 0);
        assert_eq!(args.timeout_secs, 30);
        assert!(!args.json);
        assert_eq!(steps, vec![]);

        let (args, _) = parse(&[
            "--password",
            "SECRET",
            "--heartbeats",
            "3",
            "--interval-secs",
            "2",
            "--hold-secs",
            "60",
            "--timeout-secs",
            "5",
            "--json",
        ])
        .unwrap();
        assert_eq!(args.password.as_deref(), Some("SECRET"));
        assert_eq!(
            (
                args.heartbeats,
                args.interval_secs,
                args.hold_secs,
                args.timeout_secs
            ),
            (3, Some(2), 60, 5)
        );
        assert!(args.json);
    }

    #[test]
    fn steps_run_in_the_order_given() {
        let (_, steps) = parse(&[
            "--tap",
            "04AAAB11CD2345",
            "--charge",
            "04AAAB11CD2345",
            "--energy-wh",
            "5000",
            "--duration-secs",
            "5",
            "--raw",
            "[2,\"x\",\"Heartbeat\",{}]",
            "--tap",
            "DEADBEEF",
        ])
        .unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Tap("04AAAB11CD2345".into()),
                charge("04AAAB11CD2345", 5000, 5),
                Step::Raw("[2,\"x\",\"Heartbeat\",{}]".into()),
                Step::Tap("DEADBEEF".into()),
            ]
        );
    }

    #[test]
    fn energy_and_duration_shape_the_charge_before_them() {
        let (_, steps) = parse(&[
            "--charge",
            "A",
            "--energy-wh",
            "1000",
            "--charge",
            "B",
            "--duration-secs",
            "2",
            "--energy-wh",
            "300",
            "--charge",
            "C",
        ])
        .unwrap();
        assert_eq!(
            steps,
            vec![
                charge("A", 1000, DEFAULT_DURATION_SECS),
                charge("B", 300, 2),
                charge("C", DEFAULT_ENERGY_WH, DEFAULT_DURATION_SECS),
            ]
        );
    }

    #[test]
    fn energy_and_duration_before_any_charge_are_defaults() {
        let (_, steps) = parse(&[
            "--energy-wh",
            "700",
            "--duration-secs",
            "0",
            "--charge",
            "A",
            "--tap",
            "T",
            "--charge",
            "B",
            "--energy-wh",
            "1",
        ])
        .unwrap();
        assert_eq!(
            steps,
            vec![
                charge("A", 700, 0),
                Step::Tap("T".into()),
                charge("B", 1, 0)
            ]
        );
    }

    #[test]
    fn refuses_bad_arguments() {
        for bad in [
            &["--energy-wh", "10"][..],
            &["--tap"],
            &["--energy-wh", "-5", "--charge", "A"],
            &["--charge", "A", "--energy-wh", "2000000000"],
            &["--interval-secs", "0"],
            &["--timeout-secs", "0"],
            &["--heartbeats", "many"],
            &["--bogus"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse_args(["chargepoint-sim", "--url", "ws://x/ocpp"]).is_err());
    }

    #[test]
    fn the_password_comes_from_the_environment_or_standard_input() {
        // The environment variable is the password option's (not set here: tests share the environment).
        let command = Args::command();
        let password = command
            .get_arguments()
            .find(|a| a.get_id() == "password")
            .unwrap();
        assert_eq!(
            password.get_env(),
            Some(std::ffi::OsStr::new("CHARGEDESK_STATION_PASSWORD"))
        );
        assert!(password.is_hide_env_values_set());

        let (args, _) = parse(&["--password-stdin"]).unwrap();
        assert!(args.password_stdin);
        let from_stdin =
            |input: &str| args.resolve_password(std::io::Cursor::new(input.to_owned()));
        assert_eq!(
            from_stdin("kroon-1-demo-station-key\r\nignored\n"),
            Ok(Some("kroon-1-demo-station-key".to_owned()))
        );
        assert_eq!(
            from_stdin("with trailing space \n"),
            Ok(Some("with trailing space ".to_owned()))
        );
        assert!(from_stdin("").is_err());
        assert!(from_stdin("\n").is_err());

        // Without --password-stdin standard input is not read.
        let (args, _) = parse(&["--password", "SECRET"]).unwrap();
        assert_eq!(
            args.resolve_password(std::io::Cursor::new("other\n")),
            Ok(Some("SECRET".to_owned()))
        );
        let (args, _) = parse(&[]).unwrap();
        assert_eq!(
            args.resolve_password(std::io::Cursor::new("other\n")),
            Ok(None)
        );

        // Both on the command line is a mistake.
        assert!(parse(&["--password", "SECRET", "--password-stdin"]).is_err());
    }

    #[test]
    fn the_station_and_its_steps() {
        let (args, steps) = parse(&[]).unwrap();
        assert_eq!(args.station(), Station::default());
        assert!(!args.reconnect);

        let (args, steps_given) = parse(&[
            "--commands",
            "not-supported",
            "--answer-delay-ms",
            "250",
            "--local-list",
            "unsupported",
            "--local-list-max",
            "5",
            "--send-local-list-max",
            "2",
            "--connectors",
            "2",
            "--meter-start",
            "1000",
            "--reconnect",
            "--serve-secs",
            "30",
            "--tap-offline",
            "04AAAB11CD2345",
            "--tap",
            "T",
            "--serve-secs",
            "0",
        ])
        .unwrap();
        assert!(steps.is_empty());
        assert!(args.reconnect);
        assert_eq!(
            steps_given,
            vec![
                Step::Serve(30),
                Step::TapOffline("04AAAB11CD2345".into()),
                Step::Tap("T".into()),
                Step::Serve(0),
            ]
        );
        let station = args.station();
        assert_eq!(
            station.setup(),
            &StationSetup {
                behaviour: CommandBehaviour::NotSupported,
                answer_delay: Duration::from_millis(250),
                local_list: LocalListSupport::Unsupported,
                local_list_max: 5,
                send_local_list_max: 2,
                connectors: 2,
            }
        );
        assert_eq!(station.meter_wh(), 1000);
        assert_eq!(station.configuration().get("NumberOfConnectors"), Some("2"));
        for behaviour in ["accept", "reject", "silent"] {
            assert!(parse(&["--commands", behaviour]).is_ok(), "{behaviour}");
        }
        for bad in [
            &["--commands", "maybe"][..],
            &["--local-list", "sometimes"],
            &["--connectors", "0"],
            &["--answer-delay-ms", "-1"],
            &["--serve-secs", "forever"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_url_defaults_to_the_local_server() {
        let (args, steps) =
            parse_args(["chargepoint-sim", "--id", "CP-1", "--tap", "04AAAB11CD2345"]).unwrap();
        assert_eq!(args.url, "ws://127.0.0.1:3000/ocpp");
        assert_eq!(steps.len(), 1);
    }
}
