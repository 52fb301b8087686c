//! Runs the declarative probes of the catalog: each request against each in-scope
//! origin, as the identities the probe names, judged by its matcher.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use url::Url;

use crate::auth::Identity;
use crate::catalog::declarative::{DeclarativeProbe, IdentityMode};
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::Item;
use crate::model::{Finding, Location};
use crate::model::{ProbeRun, RunState, family_of};

/// Not a family of its own: it runs the catalog's declarative probes (built-in
/// `probes/http/*.toml` plus `--probes DIR`), and each probe's run is named by its
/// family (`debug`, `exposed`). Its errors are recorded per probe, in those runs.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "catalog",
    items: &[],
    ids: &[],
    runs_last: false,
};

/// Runs the declarative probes.
pub struct CatalogRunner;

impl Family for CatalogRunner {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(run(ctx).await) })
    }
}

struct Outcome<'a> {
    probe: &'a DeclarativeProbe,
    finding: Option<Finding>,
    error: Option<String>,
}

/// One request of one probe against one origin as one identity, by indices into the
/// catalog: indices, not references, keep the futures below free of higher-ranked
/// lifetimes.
type Work = (usize, Url, usize, Arc<Identity>);

async fn run(ctx: &Context) -> Vec<ProbeRun> {
    let (shared, mut outcomes) = share(ctx, plan(ctx));
    let parallel = ctx.http.settings().concurrency.max(1);
    let answered: Vec<Vec<Outcome<'_>>> = futures_util::stream::iter(shared)
        .map(|s| send(ctx, s))
        .buffer_unordered(parallel)
        .collect()
        .await;
    outcomes.extend(answered.into_iter().flatten());
    into_runs(ctx, outcomes)
}

/// Each probe's requests against each in-scope origin, as each identity it names.
fn plan(ctx: &Context) -> Vec<Work> {
    let origins: Vec<Url> = ctx
        .http
        .scope()
        .origins()
        .iter()
        .filter_map(|o| Url::parse(o).ok())
        .collect();
    let mut work = Vec::new();
    for (pi, probe) in ctx.catalog.probes.iter().enumerate() {
        let identities: Vec<_> = match probe.identity {
            IdentityMode::Anonymous => vec![ctx.identities.anonymous().clone()],
            IdentityMode::Each => ctx.identities.all().to_vec(),
        };
        for origin in &origins {
            for ri in 0..probe.requests().len() {
                for identity in &identities {
                    work.push((pi, origin.clone(), ri, identity.clone()));
                }
            }
        }
    }
    work
}

/// One request on the wire for every probe that asks it alike (two probes of
/// `/debug`, each with its own matcher, as the same visitor): by probe indices.
struct Shared {
    probes: Vec<usize>,
    req: Request,
    identity: Arc<Identity>,
}

/// Groups the planned requests that are the same request (identity, method, URL,
/// headers, body, redirects); a request whose path does not resolve is its probe's
/// error at once.
fn share(ctx: &Context, work: Vec<Work>) -> (Vec<Shared>, Vec<Outcome<'_>>) {
    let mut shared: Vec<Shared> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut bad = Vec::new();
    for (pi, origin, ri, identity) in work {
        let probe = &ctx.catalog.probes[pi];
        let request = &probe.requests()[ri];
        let req = match request.to_request(&origin) {
            Ok(r) => r,
            Err(e) => {
                bad.push(Outcome {
                    probe,
                    finding: None,
                    error: Some(format!("{}: bad path {}: {e}", probe.id, request.path)),
                });
                continue;
            }
        };
        let key = format!(
            "{}\n{}\n{}\n{:?}\n{:?}\n{}",
            identity.id,
            req.method,
            req.url,
            req.headers,
            req.body.as_ref().map(|b| (&b.content_type, &b.bytes)),
            req.follow_redirects
        );
        match index.get(&key) {
            Some(&i) if !shared[i].probes.contains(&pi) => shared[i].probes.push(pi),
            Some(_) => {}
            None => {
                index.insert(key, shared.len());
                shared.push(Shared {
                    probes: vec![pi],
                    req,
                    identity,
                });
            }
        }
    }
    (shared, bad)
}

/// Sends one shared request and judges the answer by each asking probe's matcher.
async fn send(ctx: &Context, shared: Shared) -> Vec<Outcome<'_>> {
    let result = shared.identity.send(&ctx.http, shared.req).await;
    shared
        .probes
        .into_iter()
        .map(|pi| {
            let probe = &ctx.catalog.probes[pi];
            match &result {
                Err(e) => Outcome {
                    probe,
                    finding: None,
                    error: Some(format!("{}: {e}", probe.id)),
                },
                Ok(resp) => Outcome {
                    probe,
                    finding: judge(ctx, probe, resp),
                    error: None,
                },
            }
        })
        .collect()
}

/// The finding a response deserves when the probe's matcher matches it.
fn judge(ctx: &Context, probe: &DeclarativeProbe, resp: &Response) -> Option<Finding> {
    let matched = probe.evaluate(resp)?;
    let location = Location {
        method: resp.sent.method.clone(),
        url: ctx.http.redactor().url(&resp.url),
    };
    let detail = format!(
        "{} {} {} answered {}.",
        probe.detail, location.method, location.url, resp.status
    );
    let f = Finding::builder(probe.item, &probe.id)
        .rated(probe.severity, probe.confidence)
        .title(&probe.title)
        .detail(detail)
        .at(location)
        .evidence(
            ctx.http
                .evidence(&format!("{} matched", probe.id), resp, Some(&matched)),
        )
        .remediation(&probe.remediation)
        .build();
    Some(f)
}

/// One run per family and item (`debug` and `exposed` are families of their own): a
/// check per answered request, each finding once, and errored when nothing answered.
fn into_runs(ctx: &Context, outcomes: Vec<Outcome<'_>>) -> Vec<ProbeRun> {
    let mut runs: BTreeMap<(&str, Item), ProbeRun> = BTreeMap::new();
    let mut errors: BTreeMap<(&str, Item), Vec<String>> = BTreeMap::new();
    for o in outcomes {
        let key = (family_of(&o.probe.id), o.probe.item);
        let run = runs
            .entry(key)
            .or_insert_with(|| ProbeRun::new(key.0, key.1));
        match o.error {
            Some(e) => errors.entry(key).or_default().push(e),
            None => run.checks += 1,
        }
        if let Some(f) = o.finding
            && !run.findings.iter().any(|x| x.id == f.id)
        {
            run.findings.push(f);
        }
    }
    for (key, run) in runs.iter_mut() {
        let errs = errors.remove(key).unwrap_or_default();
        let probes = ctx
            .catalog
            .probes
            .iter()
            .filter(|p| (family_of(&p.id), p.item) == *key)
            .count();
        run.notes.push(format!(
            "{probes} declarative probes sent {} requests",
            run.checks
        ));
        if !errs.is_empty() && run.checks == 0 {
            run.state = RunState::Errored {
                error: format!("{} requests failed, e.g. {}", errs.len(), errs[0]),
            };
        } else if !errs.is_empty() {
            run.notes
                .push(format!("{} requests got no response", errs.len()));
        }
    }
    runs.into_values().collect()
}
