//! The scan engine: config -> identities -> discovery -> canaries -> probes ->
//! cleanup -> report. Phases run in that order; the families within the probe phase
//! run concurrently (those whose descriptor says `runs_last` after the cleanup).

pub mod canaries;
mod context;
pub mod form_objects;
pub mod object_id;
mod registry;

pub use context::Context;
pub use registry::{Descriptor, Family, FamilyInfo, families, family_infos, probed_items};

use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::auth::{AuthError, Identities};
use crate::catalog::passive::PassiveScanner;
use crate::catalog::{CatalogError, ProbeCatalog};
use crate::config::ScanConfig;
use crate::discover;
use crate::families::baas::{self, detect::Detector};
use crate::http::{HttpError, HttpLayer, HttpSettings, Redactor, Request, TlsProblem, labelled};
use crate::model::ProbeRun;
use crate::report::{IdentitySummary, InventoryCounts, Report, ReportInput};
use canaries::OwnedObjects;

/// Why a scan could not run at all (as opposed to findings, which are results).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("probe catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("target {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The target answered, but its certificate (or the server's view of ours) stopped
    /// the TLS handshake; `fix` names the setting that helps.
    #[error("TLS with target {url} failed: {reason}. {fix}")]
    Tls {
        url: String,
        reason: String,
        fix: String,
    },
    #[error(transparent)]
    Login(#[from] AuthError),
    #[error("cannot start the HTTP client: {0}")]
    Client(HttpError),
}

/// Progress of a scan, for whoever displays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A phase started: `login`, `discovery`, `probes`, `report`.
    Phase(&'static str),
    /// The number of probe families that will run.
    ProbesPlanned(usize),
    /// A probe family finished.
    ProbeFinished(&'static str),
    /// Requests sent so far.
    Requests(u64),
}

/// A finished scan: the report and what the scan itself observed.
pub struct ScanResult {
    pub report: Report,
    /// Requests the scope guard refused (off-scope links and redirects), redacted.
    pub refused: Vec<String>,
    /// What discovery found, one entry per endpoint (`scan --inventory FILE`).
    pub endpoints: Vec<EndpointSummary>,
}

/// One discovered endpoint as `scan --inventory` writes it: where it was learned, who
/// was answered how, and one example URL (redacted).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EndpointSummary {
    pub method: String,
    pub pattern: String,
    pub sources: Vec<discover::Origin>,
    /// The first status each identity got from it.
    pub statuses: std::collections::BTreeMap<crate::model::IdentityId, u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

fn endpoint_summaries(
    inventory: &discover::Inventory,
    redactor: &Redactor,
) -> Vec<EndpointSummary> {
    inventory
        .endpoints()
        .map(|ep| {
            let mut statuses = std::collections::BTreeMap::new();
            for o in &ep.observations {
                statuses.entry(o.identity).or_insert(o.status);
            }
            EndpointSummary {
                method: ep.method.clone(),
                pattern: ep.pattern.clone(),
                sources: ep.origins.iter().copied().collect(),
                statuses,
                example: ep.examples.first().map(|u| redactor.url(u)),
            }
        })
        .collect()
}

fn emit(events: &Option<UnboundedSender<Event>>, event: Event) {
    if let Some(tx) = events {
        let _ = tx.send(event);
    }
}

/// Loads the built-in catalog plus the config's extra probe folder.
pub fn load_catalog(config: &ScanConfig) -> Result<ProbeCatalog, CatalogError> {
    let catalog = ProbeCatalog::builtin()?;
    match &config.probes_dir {
        Some(dir) => catalog.load_dir(dir),
        None => Ok(catalog),
    }
}

/// Runs a whole scan, phase after phase.
pub async fn scan(
    mut config: ScanConfig,
    events: Option<UnboundedSender<Event>>,
) -> Result<ScanResult, ScanError> {
    let started_at = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let catalog = Arc::new(load_catalog(&config)?);
    let redactor = Redactor::new();
    for s in config.secrets() {
        redactor.add(&s);
    }
    let settings = HttpSettings {
        tls: config.tls.clone(),
        ..HttpSettings::from(&config.limits)
    };
    let http = HttpLayer::new(settings, config.scope.clone(), redactor.clone())
        .map_err(ScanError::Client)?;
    let passive = Arc::new(PassiveScanner::new(
        Arc::new(catalog.signatures.clone()),
        redactor.clone(),
    ));
    http.add_observer(passive.clone());
    // Finds the backend the client talks to (Supabase, Firebase) in whatever the app's
    // own origins serve, from the first request on.
    let detector = Arc::new(Detector::new(config.scope.origins()));
    http.add_observer(detector.clone());

    let identities = Arc::new(connect_and_login(&http, &mut config, &detector, &events).await?);
    tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "logged in");

    emit(&events, Event::Phase("discovery"));
    let mut inventory =
        labelled("discovery", discover::discover(&http, &identities, &config)).await;
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "discovered"
    );
    let backends = Arc::new(baas::admit(&http, &config, &detector));
    let mut warnings: Vec<String> = inventory.truncated.clone();
    emit(&events, Event::Phase("canaries"));
    let owned = Arc::new(OwnedObjects::new());
    warnings.extend(
        labelled(
            "canaries",
            canaries::create(&http, &identities, &config, &mut inventory, &owned),
        )
        .await,
    );
    emit(&events, Event::Requests(http.requests_sent()));

    let ctx = Context {
        http: http.clone(),
        identities,
        inventory: Arc::new(inventory),
        backends,
        config: Arc::new(config),
        catalog,
        owned,
    };
    let (mut runs, cleanup_warnings) = probe_and_clean_up(&ctx, &events).await;
    warnings.extend(cleanup_warnings);
    runs.extend(passive.runs());
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        requests = ?http.requests_by_label(),
        "requests per phase and family"
    );
    warnings.extend(
        http.refused()
            .iter()
            .take(20)
            .map(|r| format!("scope guard refused: {r}")),
    );

    emit(&events, Event::Phase("report"));
    let report = Report::new(ReportInput {
        target: redactor.url(&ctx.config.target),
        started_at,
        duration: clock.elapsed(),
        requests_sent: http.requests_sent(),
        runs,
        attestation: ctx.config.attestation.clone(),
        identities: identity_summaries(&ctx.identities),
        inventory: InventoryCounts {
            pages: ctx.inventory.pages.len() as u64,
            endpoints: ctx.inventory.endpoints.len() as u64,
            scripts: ctx.inventory.scripts.len() as u64,
            by_identity: ctx.inventory.reached_by_identity(),
            by_source: ctx.inventory.endpoints_by_source(),
            browser: ctx.inventory.browser.summary.clone(),
        },
        backends: ctx.backends.known.iter().map(backend_summary).collect(),
        warnings,
    });
    // The last line of defence: nothing the scan used as a credential leaves it.
    let mut report = report.redact_with(&redactor.secrets());
    if ctx.config.tls.insecure {
        report.tls_insecure = true;
        report.warnings.insert(0, INSECURE_WARNING.to_string());
    }
    Ok(ScanResult {
        report,
        refused: http.refused(),
        endpoints: endpoint_summaries(&ctx.inventory, &redactor),
    })
}

/// Reachability first, so an unreachable target is one clear error, not twelve; then
/// every identity logs in.
async fn connect_and_login(
    http: &HttpLayer,
    config: &mut ScanConfig,
    detector: &Detector,
    events: &Option<UnboundedSender<Event>>,
) -> Result<Identities, ScanError> {
    emit(events, Event::Phase("connect"));
    let anonymous = crate::auth::Identity::anonymous();
    anonymous
        .send(http, Request::get(config.target.clone()))
        .await
        .map_err(|e| {
            let url = http.redactor().url(&config.target);
            match e {
                HttpError::Tls { problem, .. } => ScanError::Tls {
                    url,
                    reason: e.to_string(),
                    fix: tls_fix(problem),
                },
                e => ScanError::Unreachable {
                    url,
                    reason: e.to_string(),
                },
            }
        })?;
    // A Supabase login may need the project the client names, found before it logs in;
    // a Firebase login needs Auth's host admitted.
    labelled("login", baas::ready_logins(http, config, detector))
        .await
        .map_err(|detail| {
            let identity = config
                .identities
                .iter()
                .find(|i| matches!(i.login.kind(), "supabase" | "firebase"))
                .map_or(crate::model::IdentityId::A, |i| i.id);
            ScanError::Login(AuthError::LoginFailed { identity, detail })
        })?;
    let identities = Identities::from_config(config);
    emit(events, Event::Phase("login"));
    labelled("login", identities.login_all(http)).await?;
    Ok(identities)
}

/// The report's warning for a scan that accepted any certificate.
const INSECURE_WARNING: &str = "TLS certificates were not verified (target.tls.insecure = true): \
     any certificate was accepted, so the scan cannot tell it reached the real server";

/// What to change when the handshake fails on a certificate, in the config's words.
fn tls_fix(problem: TlsProblem) -> String {
    const INSECURE: &str = "for a throwaway staging box, `insecure = true` under [target.tls] \
         (or --insecure) accepts any certificate";
    match problem {
        TlsProblem::UnknownIssuer | TlsProblem::OtherCertificate => format!(
            "If the server's certificate comes from an internal CA or is self-signed, set \
             `target.tls.ca` to that CA's certificate (a PEM file; --ca-cert FILE on the \
             command line); {INSECURE}"
        ),
        TlsProblem::CaAsServerCertificate => format!(
            "The server presents a CA certificate (CA:TRUE, as `openssl req -x509` makes by \
             default) as its own, which is refused even when trusted: serve a leaf certificate \
             (CA:FALSE) signed by a CA and set `target.tls.ca` to that CA's PEM file; {INSECURE}"
        ),
        TlsProblem::Expired => format!(
            "The server's certificate has expired or is not valid yet: renew it \
             (`target.tls.ca` cannot help); {INSECURE}"
        ),
        TlsProblem::WrongName => format!(
            "The server's certificate is not issued for this host name: scan a URL with a name \
             the certificate carries; {INSECURE}"
        ),
        TlsProblem::ClientCertificateRequired => "The server requires a client certificate \
             (mTLS): set `target.tls.client_cert` and `target.tls.client_key` to the PEM files \
             of a certificate it accepts"
            .to_string(),
        TlsProblem::ClientCertificateRejected => "The server refused the client certificate: \
             check that `target.tls.client_cert` is signed by a CA the server trusts, is not \
             expired, and is paired with `target.tls.client_key`"
            .to_string(),
    }
}

/// Runs the families, then removes the scanner's objects. Families that must run
/// last (rate-limit bursts) run after the cleanup, so the limits they trip cannot
/// throttle the deletes and the scan need not wait them out.
async fn probe_and_clean_up(
    ctx: &Context,
    events: &Option<UnboundedSender<Event>>,
) -> (Vec<ProbeRun>, Vec<String>) {
    emit(events, Event::Phase("probes"));
    let families = families();
    emit(events, Event::ProbesPlanned(families.len()));
    let (last, first): (Vec<_>, Vec<_>) =
        families.into_iter().partition(|f| f.descriptor().runs_last);
    let mut runs = run_phase(ctx, first, events).await;
    emit(events, Event::Phase("cleanup"));
    let mut warnings = labelled("cleanup", ctx.owned.cleanup(&ctx.http, &ctx.identities)).await;
    runs.extend(run_phase(ctx, last, events).await);
    // What no cleanup can remove (accounts a signup took), from every phase.
    warnings.extend(ctx.owned.stranded());
    (runs, warnings)
}

/// How the report names a backend (never its key's value).
fn backend_summary(b: &baas::KnownBackend) -> crate::report::BackendSummary {
    use baas::detect::Backend;
    let key = match &b.backend {
        Backend::Supabase(p) => p.key.as_ref().map(|k| k.kind.label().to_string()),
        Backend::Firebase(p) => p.api_key.as_ref().map(|_| "web API key".to_string()),
    };
    crate::report::BackendSummary {
        kind: b.backend.kind().to_string(),
        origin: b
            .origins
            .first()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default(),
        found_in: b.backend.found_in().to_string(),
        key,
        in_scope: b.in_scope,
        note: b.note.clone(),
    }
}

fn identity_summaries(identities: &Identities) -> Vec<IdentitySummary> {
    identities
        .all()
        .iter()
        .map(|i| IdentitySummary {
            name: i.id,
            login: i.login_kind().to_string(),
            status: if i.is_anonymous() {
                "anonymous".to_string()
            } else {
                "logged-in".to_string()
            },
        })
        .collect()
}

/// Runs families concurrently; a family that errors or panics is recorded as an
/// errored run for each of its items and the others go on.
async fn run_phase(
    ctx: &Context,
    families: Vec<Box<dyn crate::engine::Family>>,
    events: &Option<UnboundedSender<Event>>,
) -> Vec<ProbeRun> {
    let mut set = tokio::task::JoinSet::new();
    for family in families {
        let ctx = ctx.clone();
        let events = events.clone();
        set.spawn(async move {
            let name = family.descriptor().name;
            let items = family.descriptor().items;
            // A panicking probe is a bug; the scan records it instead of dying with it.
            let started = Instant::now();
            let result = labelled(
                name,
                std::panic::AssertUnwindSafe(family.run(&ctx)).catch_unwind(),
            )
            .await
            .unwrap_or_else(|panic| Err(format!("the probe panicked: {}", panic_message(&panic))));
            tracing::debug!(
                family = name,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "family done"
            );
            emit(&events, Event::ProbeFinished(name));
            emit(&events, Event::Requests(ctx.http.requests_sent()));
            (name, items, result)
        });
    }
    let mut runs = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, _, Ok(r))) => runs.extend(r),
            Ok((name, items, Err(e))) => {
                runs.extend(
                    items
                        .iter()
                        .map(|i| ProbeRun::errored(name, *i, ctx.http.redactor().text(&e))),
                );
            }
            Err(e) => {
                // A panicking probe is a bug; the scan reports it instead of dying with it.
                runs.push(ProbeRun::errored(
                    "unknown",
                    crate::model::Item::ErrorHandling,
                    format!("a probe task failed: {e}"),
                ));
            }
        }
    }
    runs
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
