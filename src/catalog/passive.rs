//! Passive scanning: every response any probe receives is matched against the
//! signatures (stack traces, debug pages, SQL errors, paths, banners...).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::catalog::secret;
use crate::catalog::signatures::{SignatureMatch, SignatureSet};
use crate::http::{Observer, Redactor, Response, evidence};
use crate::model::Item;
use crate::model::path_pattern;
use crate::model::{Finding, Location};
use crate::model::{ProbeRun, family_of};

/// Evidence kept per finding: enough to replay, not a log of every hit.
const EVIDENCE_PER_FINDING: usize = 2;

#[derive(Default)]
struct State {
    scanned: u32,
    /// One finding per signature and route pattern.
    findings: BTreeMap<(String, String, String), Finding>,
}

/// An [`Observer`] that turns signature matches into findings.
pub struct PassiveScanner {
    signatures: Arc<SignatureSet>,
    redactor: Redactor,
    state: Mutex<State>,
}

impl PassiveScanner {
    pub fn new(signatures: Arc<SignatureSet>, redactor: Redactor) -> PassiveScanner {
        PassiveScanner {
            signatures,
            redactor,
            state: Mutex::new(State::default()),
        }
    }

    /// One run per family and item the signatures score (`errors`, `secrets`), with
    /// every response scanned as its checks.
    pub fn runs(&self) -> Vec<ProbeRun> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut scored: Vec<(&str, Item)> = self
            .signatures
            .signatures()
            .iter()
            .map(|s| (family_of(&s.id), s.item))
            .collect();
        scored.sort();
        scored.dedup();
        scored
            .into_iter()
            .map(|(family, item)| {
                let mut run = ProbeRun::new(family, item);
                run.checks = state.scanned;
                run.findings = state
                    .findings
                    .values()
                    .filter(|f| f.item == item && f.family() == family)
                    .cloned()
                    .collect();
                run.notes.push(format!(
                    "{} responses scanned for {family}.* signatures",
                    state.scanned
                ));
                run
            })
            .collect()
    }
}

/// The string values of a JSON body, one per line: errors often travel inside JSON
/// (`{"stack": "Error\n    at ..."}`, or frames as an array of strings), where the raw
/// body shows escaped newlines and quotes that line-based signatures cannot see.
fn json_strings(response: &Response) -> Option<String> {
    let looks_json = response.is_json() || matches!(response.body.first(), Some(b'{' | b'['));
    // A cut body cannot parse, and trying builds a tree of everything before the cut.
    if !looks_json || response.truncated || response.body.len() > 1024 * 1024 {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let mut out = String::new();
    collect_strings(&value, &mut out, 0);
    (!out.is_empty()).then_some(out)
}

fn collect_strings(v: &serde_json::Value, out: &mut String, depth: usize) {
    if depth > 32 || out.len() > 1024 * 1024 {
        return;
    }
    match v {
        serde_json::Value::String(s) => {
            out.push('\n');
            out.push_str(s);
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth + 1)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out, depth + 1)),
        _ => {}
    }
}

/// A copy of `response` whose body and headers show `secrets` only redacted; a body in
/// which a piece of a secret survives (an encoding scrubbing does not know) is withheld.
fn scrub_response(response: &Response, secrets: &[String]) -> Response {
    let mut out = response.clone();
    let body = secret::scrub(&response.text(), secrets);
    out.body = if secrets.iter().any(|s| secret::still_shows(&body, s)) {
        bytes::Bytes::from_static(
            b"[body withheld: it carries a secret in a form that could not be redacted]",
        )
    } else {
        bytes::Bytes::from(body)
    };
    for (_, value) in &mut out.headers {
        *value = secret::scrub(value, secrets);
    }
    out
}

/// Every signature that matches `response`: in its headers, its body, and the string
/// values of a JSON body; each signature once.
pub fn matches<'a>(signatures: &'a SignatureSet, response: &Response) -> Vec<SignatureMatch<'a>> {
    let mut matches = signatures.scan(response);
    if let Some(decoded) = json_strings(response) {
        for m in signatures.scan_text_of(response, decoded.as_bytes()) {
            if !matches.iter().any(|x| x.signature.id == m.signature.id) {
                matches.push(m);
            }
        }
    }
    matches
}

impl Observer for PassiveScanner {
    fn observe(&self, response: &Response) {
        let matches = matches(&self.signatures, response);
        // Secrets are scrubbed from everything kept (evidence bodies, headers, URLs) and
        // registered with the redactor, the report's last line of defence.
        let secrets: Vec<String> = matches.iter().filter_map(|m| m.secret.clone()).collect();
        let scrubbed;
        let response = if secrets.is_empty() {
            response
        } else {
            for s in &secrets {
                self.redactor.add(s);
            }
            scrubbed = scrub_response(response, &secrets);
            &scrubbed
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.scanned += 1;
        for m in matches {
            let sig = m.signature;
            let pattern = path_pattern(response.url.path());
            let key = (sig.id.clone(), response.sent.method.clone(), pattern);
            let ev = evidence(
                &self.redactor,
                &format!("response matched {}", sig.id),
                response,
                Some(&m.excerpt),
            );
            if let Some(existing) = state.findings.get_mut(&key) {
                if existing.evidence.len() < EVIDENCE_PER_FINDING {
                    existing.evidence.push(ev);
                }
                continue;
            }
            let location = Location {
                method: response.sent.method.clone(),
                url: self.redactor.url(&response.url),
            };
            let detail = format!(
                "{} The response to {} {} (status {}) contains: {}",
                sig.detail,
                response.sent.method,
                location.url,
                response.status,
                self.redactor.text(&m.excerpt)
            );
            let finding = Finding::builder(sig.item, &sig.id)
                .rated(sig.severity, sig.confidence)
                .title(&sig.title)
                .detail(detail)
                .at(location)
                .discriminator(&key.2)
                .build()
                .with_evidence(ev)
                .with_remediation(&sig.remediation);
            state.findings.insert(key, finding);
        }
    }
}
