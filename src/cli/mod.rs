//! Command-line types and their conversion into the engine's inputs. clap stops here.

mod progress;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Overrides, ProcessSource};
use crate::engine::{self, ScanError, ScanResult};
use crate::report::gate::{self, GatePolicy};
use crate::report::{self, Format, Report, Style};

/// prodready: score a live multi-tenant web app on the 12-point production-readiness checklist.
#[derive(Debug, Parser)]
#[command(
    name = "prodready",
    version,
    about,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v info, -vv debug). Secrets are redacted.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

// Parsed once per process, so the size of `Scan` costs nothing; boxing its fields
// would only fight clap's flatten.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a target: `scan --config FILE`, or `scan URL` for anonymous checks only.
    Scan {
        /// The scan config (TOML). See the README for its keys.
        #[arg(long, short = 'c', conflicts_with = "url")]
        config: Option<PathBuf>,
        /// A base URL to scan anonymously (no identities, so fewer items can be tested).
        #[arg(required_unless_present = "config")]
        url: Option<String>,
        #[command(flatten)]
        tuning: Tuning,
        #[command(flatten)]
        tls: TlsArgs,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        gate: GateArgs,
    },
    /// Start the bundled flawed test app in-process and scan it with its bundled config.
    #[cfg(feature = "demo")]
    Demo {
        /// Flaws to switch on: `all`, `none`, or comma-separated names (see `testserver --list-flaws`).
        #[arg(long, default_value = "all")]
        flaws: String,
        /// Run the app as a single-page front end on a backend-as-a-service instead:
        /// `supabase` (a Supabase-compatible backend on a second loopback port) or `firebase`
        /// (Firebase Auth, Realtime Database, Firestore and Storage, likewise).
        #[arg(long, value_name = "supabase|firebase", value_parser = parse_backend)]
        backend: Option<testserver::Backend>,
        #[command(flatten)]
        tuning: Tuning,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        gate: GateArgs,
    },
    /// Stands in for `demo` in a build without the test app: hidden from --help, it takes
    /// any arguments and says how to get the demo instead of clap's "unrecognized subcommand".
    #[cfg(not(feature = "demo"))]
    #[command(hide = true, disable_help_flag = true)]
    Demo {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Compare two JSON reports: what is new, fixed and unchanged (exit 1 when anything is new).
    Diff {
        /// The earlier report (`--format json`).
        old: PathBuf,
        /// The later report.
        new: PathBuf,
    },
    /// Render a saved JSON report in another format (one scan, many outputs).
    Render {
        /// A report written with `--format json`.
        report: PathBuf,
        #[arg(long, short = 'f', value_enum)]
        format: FormatArg,
        /// Write to this file instead of stdout.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Write a commented starting config for a target.
    Init {
        /// The target's base URL.
        url: String,
        /// Where to write it.
        #[arg(long, short = 'o', default_value = "prodready.toml")]
        output: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Work with the declarative probes and signatures.
    Probes {
        #[command(subcommand)]
        action: ProbesAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProbesAction {
    /// Lint the built-in catalog (and `--probes DIR`): ids, regexes, and every example.
    Check {
        /// A folder of extra probe and signature files to check with the built-in ones.
        #[arg(long)]
        probes: Option<PathBuf>,
    },
}

/// Scan knobs that override the config file.
#[derive(Debug, Args, Clone, Default)]
pub struct Tuning {
    /// Requests per second per host (overrides `limits.rate`).
    #[arg(long)]
    pub rate: Option<u32>,
    /// Requests in flight at once (overrides `limits.concurrency`).
    #[arg(long)]
    pub concurrency: Option<u32>,
    /// A folder of extra declarative probes and signatures (`*.toml`).
    #[arg(long)]
    pub probes: Option<PathBuf>,
    /// Also discover through a headless Chromium, logged in as each identity (as
    /// `discovery.browser = true`). Without Chromium the scan runs without it and says so.
    #[arg(long)]
    pub browser: bool,
}

/// TLS for a staging target (override `[target.tls]`).
#[derive(Debug, Args, Clone, Default)]
pub struct TlsArgs {
    /// A PEM bundle of CA certificates to trust besides the system's (overrides `target.tls.ca`).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate (throwaway staging only; shown on the scorecard).
    #[arg(long)]
    pub insecure: bool,
}

/// Where and how the report goes.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Write the report to this file instead of stdout (the scorecard still prints unless -q).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// No progress bar and no scorecard; only errors (and the report when no --output).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also write what discovery found to this file (JSON: one entry per endpoint, with
    /// its sources and the status each identity got).
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
}

/// How the release gate decides the exit code.
#[derive(Debug, Args, Clone, Default)]
pub struct GateArgs {
    /// Fail the gate on findings at this severity or worse (critical, high, medium, low,
    /// info), or `warn` for anything that fails or warns its item. Default: failing items.
    #[arg(long, value_name = "SEVERITY|warn")]
    pub fail_on: Option<String>,
    /// A TOML policy file: an optional `fail_on` threshold and `[rules]` mapping item
    /// keys, probe families or probe ids to `fail`, `warn` or `ignore`.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A TOML suppressions file: `[[suppress]]` tables with `id`, `reason`, `expires`.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// An earlier JSON report: each finding is marked new, unchanged or fixed.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Only findings new since --baseline fail the gate (for nightly scans).
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
}

impl GateArgs {
    /// Reads the files the flags name; a bad one is a usage error naming the flag.
    fn load(&self) -> Result<GatePolicy, String> {
        GatePolicy::load(
            self.fail_on.as_deref(),
            self.policy.as_deref(),
            self.suppressions.as_deref(),
            self.baseline.as_deref(),
            self.fail_on_new,
        )
        .map_err(|e| e.to_string())
    }
}

/// The report formats this version renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Junit => Format::Junit,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
        }
    }
}

/// How a command ended; `main` maps it to the exit code.
#[derive(Debug)]
pub enum Outcome {
    /// Work done, gate passed (or a command without a gate succeeded).
    Passed,
    /// The gate failed: an item failed or a probe was lost to an error.
    GateFailed,
    /// Bad usage or config (exit 2).
    Usage(String),
    /// The scan could not run: unreachable target, failed login (exit 3).
    CouldNotRun(String),
}

impl From<&Tuning> for Overrides {
    fn from(t: &Tuning) -> Overrides {
        Overrides {
            rate: t.rate,
            concurrency: t.concurrency,
            probes_dir: t.probes.clone(),
            browser: t.browser,
            ..Overrides::default()
        }
    }
}

/// Whether stderr/stdout are interactive and colour is allowed.
struct Terminal {
    stdout_color: bool,
    stderr_tty: bool,
    width: u16,
}

fn terminal() -> Terminal {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ci = std::env::var_os("CI").is_some();
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    Terminal {
        stdout_color: std::io::stdout().is_terminal() && !no_color,
        stderr_tty: std::io::stderr().is_terminal() && !ci,
        width,
    }
}

/// Runs one command.
pub async fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Scan {
            config,
            url,
            tuning,
            tls,
            output,
            gate,
        } => {
            let policy = match gate.load() {
                Ok(p) => p,
                Err(e) => return Outcome::Usage(e),
            };
            let overrides = Overrides {
                ca_cert: tls.ca_cert,
                insecure: tls.insecure,
                ..Overrides::from(&tuning)
            };
            let loaded = match (config, url) {
                (Some(path), _) => config::load(&path, &ProcessSource, &overrides),
                (None, Some(url)) => config::for_url(&url, &overrides),
                (None, None) => return Outcome::Usage("give --config FILE or a URL".into()),
            };
            match loaded {
                Ok(c) => scan_and_report(c, &output, &policy).await,
                Err(e) => Outcome::Usage(e.to_string()),
            }
        }
        #[cfg(feature = "demo")]
        Command::Demo {
            flaws: flaw_list,
            backend,
            tuning,
            output,
            gate,
        } => {
            let policy = match gate.load() {
                Ok(p) => p,
                Err(e) => return Outcome::Usage(e),
            };
            let mut flaws = match testserver::FlawSet::parse(&flaw_list) {
                Ok(f) => f,
                Err(e) => return Outcome::Usage(format!("--flaws: {e}")),
            };
            // `all` means the chosen app's own flaws; another app's flaw is refused by name.
            if flaw_list.split(',').any(|n| n.trim() == "all") {
                flaws = crate::demo::flaws_of(flaws, backend);
            }
            if let Err(e) = crate::demo::check_flaws_fit(flaws, backend) {
                return Outcome::Usage(format!("--flaws: {e}"));
            }
            let server = match crate::demo::start_with(flaws, backend, tuning.browser).await {
                Ok(s) => s,
                Err(e) => return Outcome::CouldNotRun(format!("cannot start the test app: {e:#}")),
            };
            let outcome = match crate::demo::config(&server, &Overrides::from(&tuning)) {
                Ok(c) => scan_and_report(c, &output, &policy).await,
                Err(e) => Outcome::Usage(e.to_string()),
            };
            server.shutdown().await;
            outcome
        }
        #[cfg(not(feature = "demo"))]
        Command::Demo { .. } => Outcome::Usage(NO_DEMO.into()),
        Command::Diff { old, new } => diff(&old, &new),
        Command::Render {
            report,
            format,
            output,
        } => render_saved(&report, format, output.as_deref()),
        Command::Init { url, output, force } => init(&url, &output, force),
        Command::Probes {
            action: ProbesAction::Check { probes },
        } => {
            let catalog = crate::catalog::ProbeCatalog::builtin().and_then(|c| match &probes {
                Some(dir) => c.load_dir(dir),
                None => Ok(c),
            });
            match catalog {
                Err(e) => Outcome::Usage(e.to_string()),
                Ok(c) => {
                    let report = c.check();
                    println!("{report}");
                    if report.is_ok() {
                        Outcome::Passed
                    } else {
                        Outcome::GateFailed
                    }
                }
            }
        }
    }
}

/// `--backend NAME` of `prodready demo`.
#[cfg(feature = "demo")]
fn parse_backend(name: &str) -> Result<testserver::Backend, String> {
    testserver::Backend::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = testserver::Backend::ALL.iter().map(|b| b.name()).collect();
        format!("unknown backend `{name}`; use one of: {}", names.join(", "))
    })
}

/// What `prodready demo` says in a build without the test app.
#[cfg(not(feature = "demo"))]
const NO_DEMO: &str = "this build has no demo; build with the default `demo` feature";

/// `prodready diff OLD NEW`: exit 1 when the newer report has findings the older lacks.
fn read_report(p: &std::path::Path) -> Result<Report, String> {
    let text =
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    Report::from_json(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn render_saved(
    path: &std::path::Path,
    format: FormatArg,
    output: Option<&std::path::Path>,
) -> Outcome {
    let report = match read_report(path) {
        Ok(r) => r,
        Err(e) => return Outcome::Usage(e),
    };
    let term = terminal();
    let style = Style {
        color: term.stdout_color && output.is_none(),
        width: term.width,
    };
    let text = report::render(&report, Format::from(format), &style);
    match output {
        None => {
            print!("{text}");
            Outcome::Passed
        }
        Some(out) => match std::fs::write(out, text) {
            Ok(()) => Outcome::Passed,
            Err(e) => Outcome::Usage(format!("cannot write {}: {e}", out.display())),
        },
    }
}

fn diff(old: &std::path::Path, new: &std::path::Path) -> Outcome {
    let (old, new) = match (read_report(old), read_report(new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => return Outcome::Usage(e),
    };
    let d = gate::diff(&old, &new);
    print!("{}", gate::render_diff(&old, &new, &d));
    if d.new.is_empty() {
        Outcome::Passed
    } else {
        Outcome::GateFailed
    }
}

async fn scan_and_report(
    config: config::ScanConfig,
    out: &OutputArgs,
    policy: &GatePolicy,
) -> Outcome {
    let term = terminal();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let bar = (!out.quiet && term.stderr_tty).then(|| tokio::spawn(progress::show(rx)));
    let result = engine::scan(config, Some(tx)).await;
    if let Some(bar) = bar {
        let _ = bar.await;
    }
    match result {
        Err(e @ ScanError::Catalog(_)) => Outcome::Usage(e.to_string()),
        Err(e) => Outcome::CouldNotRun(e.to_string()),
        Ok(ScanResult {
            report,
            refused,
            endpoints,
        }) => {
            if let Some(path) = &out.inventory {
                let json = serde_json::to_string_pretty(&endpoints).unwrap_or_default();
                if let Err(e) = std::fs::write(path, json + "\n") {
                    return Outcome::CouldNotRun(format!(
                        "cannot write the inventory to {} (--inventory): {e}",
                        path.display()
                    ));
                }
            }
            let today = time::OffsetDateTime::now_utc().date();
            let report = gate::apply(report, policy, today);
            for r in refused.iter().take(5) {
                tracing::info!("scope guard: {r}");
            }
            let format = Format::from(out.format);
            let style = Style {
                color: term.stdout_color && out.output.is_none(),
                width: term.width,
            };
            let rendered = report::render(&report, format, &style);
            match &out.output {
                Some(path) => {
                    if let Err(e) = std::fs::write(path, &rendered) {
                        return Outcome::CouldNotRun(format!(
                            "cannot write {}: {e}",
                            path.display()
                        ));
                    }
                    if !out.quiet {
                        let table_style = Style {
                            color: term.stdout_color,
                            width: term.width,
                        };
                        print!("{}", report::render(&report, Format::Table, &table_style));
                    }
                }
                None if out.quiet && format == Format::Table => {}
                None => print!("{rendered}"),
            }
            if report.gate.passed {
                Outcome::Passed
            } else {
                Outcome::GateFailed
            }
        }
    }
}

fn init(url: &str, output: &std::path::Path, force: bool) -> Outcome {
    let text = match config::template::render(url) {
        Ok(t) => t,
        Err(e) => return Outcome::Usage(e.to_string()),
    };
    if output.exists() && !force {
        return Outcome::Usage(format!(
            "{} exists; pass --force to replace it or -o another path",
            output.display()
        ));
    }
    match std::fs::write(output, text) {
        Ok(()) => {
            println!(
                "wrote {}: set the PRODREADY_* variables it names, then run `prodready scan --config {}`",
                output.display(),
                output.display()
            );
            Outcome::Passed
        }
        Err(e) => Outcome::Usage(format!("cannot write {}: {e}", output.display())),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// The subcommands `prodready --help` lists.
    fn listed_commands() -> Vec<String> {
        Cli::command()
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name().to_string())
            .collect()
    }

    #[cfg(feature = "demo")]
    #[test]
    fn demo_is_listed_with_the_feature() {
        assert!(listed_commands().iter().any(|c| c == "demo"));
    }

    #[test]
    fn the_browser_flag_reaches_the_config_on_scan_and_demo() {
        let cli = Cli::try_parse_from(["prodready", "scan", "http://127.0.0.1:1", "--browser"])
            .expect("parses");
        let Command::Scan { tuning, .. } = cli.command else {
            panic!("scan")
        };
        assert!(Overrides::from(&tuning).browser);
        #[cfg(feature = "demo")]
        {
            let cli = Cli::try_parse_from(["prodready", "demo", "--browser"]).expect("parses");
            let Command::Demo { tuning, .. } = cli.command else {
                panic!("demo")
            };
            assert!(Overrides::from(&tuning).browser);
        }
    }

    // Runs only in `--no-default-features` builds; .ci/run runs it there.
    #[cfg(not(feature = "demo"))]
    #[tokio::test]
    async fn without_the_feature_demo_is_not_listed_and_names_the_fix() {
        assert!(!listed_commands().iter().any(|c| c == "demo"));
        let help = Cli::command().render_help().to_string();
        assert!(!help.contains("demo"), "{help}");
        for args in [
            &["prodready", "demo"][..],
            &[
                "prodready",
                "demo",
                "--flaws",
                "none",
                "-q",
                "--format",
                "json",
            ],
            &["prodready", "demo", "--help"],
        ] {
            let cli = Cli::try_parse_from(args).expect("`demo` parses whatever follows");
            match run(cli).await {
                Outcome::Usage(msg) => assert_eq!(
                    msg,
                    "this build has no demo; build with the default `demo` feature"
                ),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }
}
