//! `testserver`: run the deliberately flawed test app from the command line.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use testserver::{Flaw, FlawSet, Options};

/// A deliberately flawed multi-tenant SaaS app for prodready demos and tests.
#[derive(Parser, Debug)]
#[command(name = "testserver", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// Flaws to switch on: `none`, `all`, or comma-separated names (see --list-flaws).
    #[arg(long, default_value = "none", value_name = "LIST", value_parser = parse_flaws)]
    flaws: FlawSet,
    /// Where the landing page's partner link and /go/partner point.
    #[arg(
        long,
        default_value = "https://partner.example.com/",
        value_name = "URL"
    )]
    partner_url: String,
    /// Generated tenant-scoped endpoints for the scaling benchmark: about N more
    /// (method, pattern) pairs, listed in /openapi.json.
    #[arg(long, default_value_t = 0, value_name = "N")]
    size: usize,
    /// Also serve the workspace single-page app at /work: its routes and API calls live
    /// only in script, for browser discovery (`prodready scan --browser`).
    #[arg(long)]
    spa: bool,
    /// Also serve the help desk single-page app at /desk, which keeps its session in
    /// memory: only a browser that signs in through its own sign-in form (`prodready
    /// scan --browser`) reaches its API.
    #[arg(long)]
    spa_memory_session: bool,
    /// Write the notes' edit and delete forms as Rails and Laravel do: a POST to the
    /// note's URL with a hidden `_method` of `patch` or `delete`.
    #[arg(long)]
    method_override_forms: bool,
    /// Serve the app as a single-page front end on a backend-as-a-service instead
    /// (`supabase` or `firebase`: the backend listens on a second port, printed at start).
    #[arg(long, value_name = "NAME", value_parser = parse_backend)]
    backend: Option<testserver::Backend>,
    /// Where the backend of --backend listens (default: a free port on --listen's
    /// address; 127.0.0.1:9099, the Auth emulator's port, matches testserver/scan-firebase.toml).
    #[arg(long, value_name = "ADDR")]
    backend_listen: Option<SocketAddr>,
    /// Print every flaw as `NAME ITEM-KEY` and exit.
    #[arg(long)]
    list_flaws: bool,
}

fn parse_flaws(list: &str) -> Result<FlawSet, String> {
    FlawSet::parse(list).map_err(|e| e.to_string())
}

fn parse_backend(name: &str) -> Result<testserver::Backend, String> {
    testserver::Backend::from_name(name).ok_or_else(|| format!("unknown backend `{name}`"))
}

/// `PRODREADY_A_ADMIN` for `a-admin`.
fn env_prefix(key: &str) -> String {
    format!("PRODREADY_{}", key.to_uppercase().replace('-', "_"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_flaws {
        for flaw in Flaw::ALL {
            println!("{} {}", flaw.name(), flaw.item().key());
        }
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("testserver: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("testserver: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // `all` means the chosen app's own flaws; another app's flaw named alone is refused.
    let mode = args.backend;
    if let Some(f) = args.flaws.iter().find(|f| f.backend() != mode)
        && args.flaws != FlawSet::all()
    {
        match f.backend() {
            Some(b) => anyhow::bail!(
                "flaw `{f}` belongs to the {} mode: add --backend {}",
                b.name(),
                b.name()
            ),
            None => anyhow::bail!("flaw `{f}` belongs to the main app, not to a --backend mode"),
        }
    }
    let flaws: FlawSet = args.flaws.iter().filter(|f| f.backend() == mode).collect();
    let server = testserver::spawn(Options {
        listen: args.listen,
        flaws,
        partner_url: args.partner_url,
        size: args.size,
        spa: args.spa,
        spa_memory_session: args.spa_memory_session,
        method_override_forms: args.method_override_forms,
        backend: args.backend,
        backend_listen: args.backend_listen,
        ..Default::default()
    })
    .await?;
    println!(
        "# testserver {} listening on {} with flaws: {flaws}",
        env!("CARGO_PKG_VERSION"),
        server.base_url()
    );
    println!("export PRODREADY_BASE_URL={}", server.base_url());
    if let Some(backend) = server.backend_url() {
        println!("# the backend listens on {backend}");
    }
    if let Some(key) = server.firebase_api_key() {
        println!("export PRODREADY_FIREBASE_API_KEY={key}");
    }
    for account in server.accounts() {
        let prefix = env_prefix(account.key);
        println!("export {prefix}_EMAIL={}", account.email);
        println!("export {prefix}_PASSWORD={}", account.password);
    }
    tokio::signal::ctrl_c().await?;
    eprintln!("testserver: shutting down");
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_prefix("a-admin"), "PRODREADY_A_ADMIN");
        assert_eq!(env_prefix("b-member"), "PRODREADY_B_MEMBER");
    }

    #[test]
    fn cli_parses() {
        let args =
            Args::try_parse_from(["testserver", "--flaws", "stack-trace,sql-error"]).unwrap();
        assert!(args.flaws.contains(Flaw::SqlError));
        assert_eq!(args.listen.port(), 8080);
        let err = Args::try_parse_from(["testserver", "--flaws", "bogus"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("bogus"));
    }
}
