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
    /// Print every flaw as `NAME ITEM-KEY` and exit.
    #[arg(long)]
    list_flaws: bool,
    /// Run a backend-as-a-service app instead: `firebase` (a single-page front end on
    /// --listen, its Firebase-style backend on --backend-listen). MERGE NOTE (issue 16):
    /// the supabase branch adds its value here.
    #[arg(long, value_name = "BACKEND", value_parser = ["firebase"])]
    backend: Option<String>,
    /// Where the backend of --backend listens (9099, the Auth emulator's port, matches
    /// testserver/firebase.toml).
    #[arg(long, default_value = "127.0.0.1:9099", value_name = "ADDR")]
    backend_listen: SocketAddr,
}

fn parse_flaws(list: &str) -> Result<FlawSet, String> {
    FlawSet::parse(list).map_err(|e| e.to_string())
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
    if args.backend.as_deref() == Some("firebase") {
        return run_firebase(args).await;
    }
    // `all` means the main app's flaws here; a backend app's flaw named alone is refused.
    if let Some(f) = args.flaws.iter().find(|f| f.backend().is_some())
        && args.flaws != FlawSet::all()
    {
        anyhow::bail!("flaw `{f}` belongs to the Firebase-style app: add --backend firebase");
    }
    let flaws: FlawSet = args
        .flaws
        .iter()
        .filter(|f| f.backend().is_none())
        .collect();
    let server = testserver::spawn(Options {
        listen: args.listen,
        flaws,
        partner_url: args.partner_url,
        size: args.size,
        ..Default::default()
    })
    .await?;
    println!(
        "# testserver {} listening on {} with flaws: {flaws}",
        env!("CARGO_PKG_VERSION"),
        server.base_url()
    );
    println!("export PRODREADY_BASE_URL={}", server.base_url());
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

/// The Firebase-style app: `all` means its own flaws.
async fn run_firebase(args: Args) -> anyhow::Result<()> {
    if let Some(f) = args.flaws.iter().find(|f| f.backend().is_none())
        && args.flaws != FlawSet::all()
    {
        anyhow::bail!("flaw `{f}` belongs to the main app, not to --backend firebase");
    }
    let flaws: FlawSet = args
        .flaws
        .iter()
        .filter(|f| f.backend().is_some())
        .collect();
    let server = testserver::baas::firebase::spawn(testserver::baas::firebase::FirebaseOptions {
        listen: args.listen,
        backend_listen: args.backend_listen,
        flaws,
    })
    .await?;
    println!(
        "# testserver {} (Firebase-style app) on {}, backend on {}, with flaws: {flaws}",
        env!("CARGO_PKG_VERSION"),
        server.base_url(),
        server.backend_url()
    );
    println!("export PRODREADY_BASE_URL={}", server.base_url());
    println!("export PRODREADY_FIREBASE_API_KEY={}", server.api_key());
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
