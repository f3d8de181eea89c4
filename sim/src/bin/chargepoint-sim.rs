//! `chargepoint-sim`: one simulated OCPP 1.6J charge point, scripted from the command line.
//!
//! ```text
//! CHARGEDESK_STATION_PASSWORD=kroon-1-demo-station-key \
//! cargo run -p sim --bin chargepoint-sim -- --url ws://127.0.0.1:3000/ocpp --id CP-KROON-1 \
//!     --tap 04AAAB11CD2345 --charge 04AAAB11CD2345 --energy-wh 5000 --duration-secs 5
//! ```
//!
//! `chargepoint-sim load --help`: many stations at once (load tests, `scripts/bench.sh`).
//!
//! See `--help`, and the `sim` library for the [`sim::client::ChargePoint`] API the binary is built on.

use ocpp::Frame;
use serde_json::{json, Value};
use sim::client::{Event, Observer};
use sim::load::{check_loopback, raise_open_files_limit, run_load, LoadArgs};
use sim::script::{parse_args, run};
use sim::station::DecisionSource;
use std::process::ExitCode;
use std::sync::Arc;

// One thread drives everything, also the load mode's thousands of stations (tasks, not threads).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|first| first == "load")
    {
        return load().await;
    }
    let (mut args, steps) = match parse_args(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(error) => error.exit(),
    };
    args.password = match args.resolve_password(std::io::stdin().lock()) {
        Ok(password) => password,
        Err(message) => {
            eprintln!("chargepoint-sim: {message}");
            return ExitCode::from(2);
        }
    };
    let json_lines = args.json;
    let observer: Observer = Arc::new(move |event: &Event| {
        if json_lines {
            println!("{}", event_json(event));
        } else {
            println!("{}", event_line(event));
        }
    });
    match run(&args, &steps, observer).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            if json_lines {
                println!(
                    "{}",
                    json!({ "event": "error", "message": error.to_string(), "exitCode": code })
                );
            }
            eprintln!("chargepoint-sim: {error}");
            ExitCode::from(code)
        }
    }
}

/// `chargepoint-sim load …`: the load mode (see `sim::load`).
async fn load() -> ExitCode {
    let args = match LoadArgs::parse_from_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    let config = match args.config(std::io::stdin().lock()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("chargepoint-sim load: {message}");
            return ExitCode::from(2);
        }
    };
    if let Err(message) = check_loopback(&config.url).await {
        eprintln!("chargepoint-sim load: {message}");
        return ExitCode::from(2);
    }
    if let Err(message) = raise_open_files_limit() {
        eprintln!("chargepoint-sim load: {message}");
    }
    let report = match run_load(&config).await {
        Ok(report) => report,
        Err(message) => {
            eprintln!("chargepoint-sim load: {message}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{report}");
    }
    if report.errors() == 0 && report.timeouts() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One readable line: `→ Authorize 04AAAB11CD2345  ← Accepted`.
fn event_line(event: &Event) -> String {
    match event {
        Event::Connected { url } => format!("connected to {url} ({})", ocpp::SUBPROTOCOL),
        Event::Exchange(exchange) => {
            let request = if exchange.request.is_empty() {
                exchange.action.clone()
            } else {
                format!("{} {}", exchange.action, exchange.request)
            };
            match &exchange.outcome {
                Ok(answer) => format!("→ {request}  ← {answer}"),
                Err(problem) => format!("→ {request}  ✗ {problem}"),
            }
        }
        Event::Command(command) => {
            let payload = command
                .payload
                .as_ref()
                .map(|payload| format!(" {payload}"))
                .unwrap_or_default();
            let delay = if command.delay.is_zero() || command.answer.is_none() {
                String::new()
            } else {
                format!(" (after {} ms)", command.delay.as_millis())
            };
            format!(
                "← {}{payload} from the central system  → {}{delay}",
                command.action, command.outcome
            )
        }
        Event::OfflineDecision {
            id_tag,
            decision,
            state,
        } => format!(
            "offline: {id_tag} → {} (from the {}; {state})",
            decision.status,
            match decision.source {
                DecisionSource::Unknown => "unknown idTag rule".to_owned(),
                source => source.to_string(),
            }
        ),
        Event::Ignored { frame } => format!("← (ignored) {frame}"),
        Event::Note(text) => format!("· {text}"),
    }
}

/// One JSON object per event, for tests and load tools. Frames are embedded as JSON when they parse.
fn event_json(event: &Event) -> Value {
    let frame = |text: &str| serde_json::from_str(text).unwrap_or_else(|_| Value::from(text));
    match event {
        Event::Connected { url } => json!({ "event": "connected", "url": url }),
        Event::Exchange(exchange) => {
            let mut line = json!({
                "event": "exchange",
                "action": exchange.action,
                "messageId": exchange.message_id,
                "request": exchange.request,
                "ok": exchange.outcome.is_ok(),
                "ms": (exchange.elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
                "sent": frame(&exchange.sent),
                "received": exchange.received.as_deref().map(frame),
            });
            match &exchange.outcome {
                Ok(answer) => line["response"] = Value::from(answer.as_str()),
                Err(problem) => line["error"] = Value::from(problem.as_str()),
            }
            line
        }
        Event::Command(command) => {
            // The answer's payload (CALLRESULT), or its error (CALLERROR), or null (not answered).
            let answer = match &command.answer {
                Some(Frame::CallResult { payload, .. }) => payload.clone(),
                Some(Frame::CallError {
                    code, description, ..
                }) => json!({ "errorCode": code, "errorDescription": description }),
                Some(Frame::Call { .. }) | None => Value::Null,
            };
            json!({
                "event": "command",
                "messageId": command.message_id,
                "action": command.action,
                "payload": command.payload,
                "answer": answer,
                "outcome": command.outcome,
                "delayMs": command.delay.as_millis() as u64,
                "received": frame(&command.received),
                "localListVersion": command.local_list_version,
                "localListSize": command.local_list_size,
                "cacheSize": command.cache_size,
            })
        }
        Event::OfflineDecision {
            id_tag,
            decision,
            state,
        } => json!({
            "event": "offline-authorize",
            "idTag": id_tag,
            "status": decision.status.as_str(),
            "source": decision.source.to_string(),
            "state": state,
        }),
        Event::Ignored { frame: text } => json!({ "event": "ignored", "received": frame(text) }),
        Event::Note(text) => json!({ "event": "note", "text": text }),
    }
}
