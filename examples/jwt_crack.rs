//! Benchmark (5): the JWT weak-secret search, offline. Signs a token with a random
//! 256-bit secret (so no guess matches and the search runs to its end), then runs the
//! scanner's own search (`secret_search::search` over `Guesses`: built-in lists, app
//! words, the English dictionary) on one thread and reports guesses per second.
//! `scripts/bench-jwt-crack.sh` runs it for each algorithm.
//!
//! Usage: `jwt_crack [--alg HS256|HS384|HS512] [--runs N]`
//! Prints one line per run: `ALG GUESSES WALL_MS CPU_MS GUESSES_PER_CPU_SEC` (CPU time
//! of this thread, from Linux's `/proc/thread-self/stat`, at the kernel's tick
//! resolution; on a loaded machine wall time runs ahead of it), then the cost of
//! decompressing the word list.

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use prodready::families::auth::secret_guesses::{AppWords, Dictionary, Guesses, WordSource};
use prodready::families::auth::secret_search::{self, SignedInput};

fn parse_args() -> Result<(String, usize), String> {
    let mut alg = "HS256".to_string();
    let mut runs = 3;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--alg" => alg = value,
            "--runs" => runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok((alg, runs))
}

/// A token shaped like a real access token (about 230 bytes of signing input).
fn signed_input(alg: &str, key: &[u8]) -> SignedInput {
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
    let claims = URL_SAFE_NO_PAD.encode(
        r#"{"sub":"4711","org":42,"role":"member","iss":"https://auth.acme-notes.example",
        "iat":1764400000,"exp":1764400900,"jti":"8f14e45fceea167a5a36dedd4bea2543"}"#,
    );
    let input = format!("{header}.{claims}");
    macro_rules! sign {
        ($d:ty) => {{
            let mut mac = <Hmac<$d> as Mac>::new_from_slice(key).expect("any key length");
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }};
    }
    let signature = match alg {
        "HS256" => sign!(sha2::Sha256),
        "HS384" => sign!(sha2::Sha384),
        "HS512" => sign!(sha2::Sha512),
        _ => panic!("--alg must be HS256, HS384 or HS512"),
    };
    SignedInput::new(alg, input.as_bytes(), &signature).expect("an HMAC token")
}

/// CPU time this thread has used (user + system), in milliseconds; `None` off Linux.
fn thread_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces) closed by ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // The kernel reports USER_HZ ticks, 100 per second on Linux.
    Some(ticks * 10.0)
}

fn main() {
    let (alg, runs) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("jwt_crack: {e}");
            std::process::exit(2);
        }
    };
    let target = signed_input(&alg, &rand::random::<[u8; 32]>());
    let start = Instant::now();
    let dictionary = Dictionary::builtin();
    let load_ms = start.elapsed().as_secs_f64() * 1000.0;
    // What a typical app shows: a host, a declared name, a few titles, a bundle id.
    let mut app = AppWords::default();
    app.add("staging.acme-notes.example", WordSource::Host);
    app.add("Acme Notes", WordSource::DeclaredName);
    for title in ["Projects · Acme Notes", "Invoices · Acme Notes", "Sign in"] {
        app.add(title, WordSource::Title);
    }
    app.add("com.acmecorp.notes", WordSource::Bundle);
    app.add("auth.acme-notes.example", WordSource::Host);
    for _ in 0..runs {
        let guesses = Guesses::new(&dictionary, app.ranked());
        let cpu_before = thread_cpu_ms();
        let outcome = secret_search::search(&target, &guesses);
        let cpu_ms = match (cpu_before, thread_cpu_ms()) {
            (Some(a), Some(b)) => b - a,
            _ => outcome.elapsed.as_secs_f64() * 1000.0,
        };
        assert!(outcome.found.is_none(), "a random key was guessed");
        println!(
            "{alg} {} {:.1} {cpu_ms:.0} {:.0}",
            outcome.tried,
            outcome.elapsed.as_secs_f64() * 1000.0,
            outcome.tried as f64 / (cpu_ms.max(1.0) / 1000.0)
        );
    }
    println!("word list decompressed in {load_ms:.1} ms");
}
