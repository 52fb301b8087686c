//! The `prodready` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use prodready::cli::{Cli, Outcome, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    // Ctrl-C drops the scan: whatever it holds is released on the way out (the browser
    // of `discovery.browser` is killed and its profile removed), then exit 130 as shells do.
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = run(cli) => Some(outcome),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(outcome) = outcome else {
        drop(runtime);
        eprintln!("interrupted");
        return ExitCode::from(130);
    };
    // Exit codes: 0 gate passed, 1 gate failed, 2 usage or config error, 3 scan could not run.
    match outcome {
        Outcome::Passed => ExitCode::SUCCESS,
        Outcome::GateFailed => ExitCode::from(1),
        Outcome::Usage(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Outcome::CouldNotRun(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(3)
        }
    }
}

/// Libraries capped at `info` whatever `PRODREADY_LOG` says (see `init_logging`).
const RAW_CONTENT_LOGGERS: &[&str] = &[
    "html5ever",
    "markup5ever",
    "selectors",
    "scraper",
    "cssparser",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
];

/// Libraries never logged: the DevTools client prints whole protocol commands even at
/// `error` (the session's cookies and token handed to the browser, page content).
const SILENCED_LOGGERS: &[&str] = &[
    "chromiumoxide",
    "chromiumoxide_cdp",
    "async_tungstenite",
    "tungstenite",
];

fn init_logging(verbose: u8) {
    // The demo's in-process test app logs its own (deliberate) errors; keep them out
    // of the scanner's output unless asked for with -vv.
    // The platform verifier logs every certificate it refuses at error level; the
    // scan's own error says the same once, with the fix, so keep it for -vv.
    let default = match verbose {
        0 => "warn,testserver=off,rustls_platform_verifier=off",
        1 => "prodready=info,warn,testserver=off,rustls_platform_verifier=off",
        _ => "prodready=debug,info",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("PRODREADY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // These libraries log raw response content (html5ever every parsed token, CSRF
    // tokens in forms included) or wire details below `info`; no filter may let that out.
    for lib in RAW_CONTENT_LOGGERS {
        if let Ok(d) = format!("{lib}=info").parse() {
            filter = filter.add_directive(d);
        }
    }
    for lib in SILENCED_LOGGERS {
        if let Ok(d) = format!("{lib}=off").parse() {
            filter = filter.add_directive(d);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
