//! The scan engine: config -> identities -> discovery -> canaries -> probes ->
//! cleanup -> report. Phases run in that order; the families within the probe phase
//! run concurrently (those whose descriptor says `runs_last` after the cleanup).

pub mod canaries;
mod context;
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
use crate::http::{HttpError, HttpLayer, HttpSettings, Redactor, Request, labelled};
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

/// Runs a whole scan.
pub async fn scan(
    config: ScanConfig,
    events: Option<UnboundedSender<Event>>,
) -> Result<ScanResult, ScanError> {
    let started_at = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let catalog = Arc::new(load_catalog(&config)?);

    let redactor = Redactor::new();
    for s in config.secrets() {
        redactor.add(&s);
    }
    let http = HttpLayer::new(
        HttpSettings::from(&config.limits),
        config.scope.clone(),
        redactor.clone(),
    )
    .map_err(ScanError::Client)?;
    let passive = Arc::new(PassiveScanner::new(
        Arc::new(catalog.signatures.clone()),
        redactor.clone(),
    ));
    http.add_observer(passive.clone());

    // Reachability first, so an unreachable target is one clear error, not twelve.
    emit(&events, Event::Phase("connect"));
    let identities = Identities::from_config(&config);
    identities
        .anonymous()
        .send(&http, Request::get(config.target.clone()))
        .await
        .map_err(|e| ScanError::Unreachable {
            url: redactor.url(&config.target),
            reason: e.to_string(),
        })?;

    emit(&events, Event::Phase("login"));
    labelled("login", identities.login_all(&http)).await?;
    tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "logged in");
    let identities = Arc::new(identities);

    emit(&events, Event::Phase("discovery"));
    let mut inventory =
        labelled("discovery", discover::discover(&http, &identities, &config)).await;
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "discovered"
    );
    let mut warnings: Vec<String> = inventory.truncated.clone();
    emit(&events, Event::Phase("canaries"));
    let owned = Arc::new(OwnedObjects::new());
    warnings.extend(
        labelled(
            "canaries",
            create_canaries(&http, &identities, &config, &mut inventory, &owned),
        )
        .await,
    );
    let inventory = Arc::new(inventory);
    emit(&events, Event::Requests(http.requests_sent()));

    emit(&events, Event::Phase("probes"));
    let config = Arc::new(config);
    let ctx = Context {
        http: http.clone(),
        identities: Arc::clone(&identities),
        inventory: Arc::clone(&inventory),
        config: Arc::clone(&config),
        catalog,
        owned: Arc::clone(&owned),
    };
    let families = crate::engine::families();
    emit(&events, Event::ProbesPlanned(families.len()));
    // Families that must run last (rate-limit bursts) run after the cleanup, so the
    // limits they trip cannot throttle the deletes, and the scan need not wait them out.
    let (last, first): (Vec<_>, Vec<_>) =
        families.into_iter().partition(|f| f.descriptor().runs_last);
    let mut runs = run_phase(&ctx, first, &events).await;
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "probes done"
    );

    emit(&events, Event::Phase("cleanup"));
    warnings.extend(labelled("cleanup", owned.cleanup(&http, &identities)).await);
    runs.extend(run_phase(&ctx, last, &events).await);
    runs.extend(passive.runs());
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        requests = ?http.requests_by_label(),
        "requests per phase and family"
    );
    let refused = http.refused();
    warnings.extend(
        refused
            .iter()
            .take(20)
            .map(|r| format!("scope guard refused: {r}")),
    );

    emit(&events, Event::Phase("report"));
    let identity_summaries = identities
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
        .collect();
    let report = Report::new(ReportInput {
        target: redactor.url(&config.target),
        started_at,
        duration: clock.elapsed(),
        requests_sent: http.requests_sent(),
        runs,
        attestation: config.attestation.clone(),
        identities: identity_summaries,
        inventory: InventoryCounts {
            pages: inventory.pages.len() as u64,
            endpoints: inventory.endpoints.len() as u64,
            scripts: inventory.scripts.len() as u64,
        },
        warnings,
    });
    // The last line of defence: nothing the scan used as a credential leaves it.
    let report = report.redact_with(&redactor.secrets());
    Ok(ScanResult {
        report,
        refused: http.refused(),
    })
}

/// Canary sources tried per scan, so a large API does not get hundreds of writes.
const MAX_CANARY_SOURCES: usize = 4;

/// Creates one canary per source for each tenant identity; their markers join the
/// identity's private markers. Returns warnings for sources that did not work.
async fn create_canaries(
    http: &HttpLayer,
    identities: &Identities,
    config: &ScanConfig,
    inventory: &mut discover::Inventory,
    owned: &OwnedObjects,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let sources = canaries::canary_sources(inventory, &config.canaries, MAX_CANARY_SOURCES);
    let tenants: Vec<_> = identities
        .authenticated()
        .filter(|i| i.id.own_tenant().is_some())
        .cloned()
        .collect();
    for source in &sources {
        for identity in &tenants {
            let marker = canaries::new_marker();
            let Some(body) = source.body_for(&marker) else {
                continue;
            };
            match owned
                .create(
                    http,
                    identity,
                    &source.create,
                    body,
                    &marker,
                    source.id_pointer.as_deref(),
                )
                .await
            {
                Ok(object) => {
                    inventory
                        .markers
                        .entry(identity.id)
                        .or_default()
                        .add(&object.marker);
                    inventory.add("GET", &object.url, discover::Origin::Seed);
                }
                Err(why) => warnings.push(format!(
                    "canary as {} through {}: {why}",
                    identity.id,
                    source.create.path()
                )),
            }
        }
    }
    warnings
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
