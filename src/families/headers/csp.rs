//! A Content-Security-Policy parser and evaluator.
//!
//! Policies come from `Content-Security-Policy` headers (a header value may hold several
//! policies separated by commas), `<meta http-equiv>` tags (which ignore
//! `frame-ancestors`, `report-uri` and `sandbox`) and `Content-Security-Policy-Report-Only`
//! headers (which enforce nothing). A browser enforces every enforcing policy at once,
//! so a weakness counts only when *every* enforcing policy has it: one strict policy is
//! enough to block an inline script that a lax one allows.
//!
//! A nonce protects only while an attacker cannot know it: the caller may name nonces
//! it saw repeated across responses ([`evaluate_with`]), and a policy whose scripts run
//! with such a static nonce is as open to injected scripts as `'unsafe-inline'`.

use std::collections::{BTreeMap, BTreeSet};

/// Where a policy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    Header,
    Meta,
    ReportOnly,
}

/// One parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub source: PolicySource,
    /// Directive name (lower-case) -> source expressions, first occurrence wins.
    pub directives: BTreeMap<String, Vec<String>>,
    /// Problems that make (part of) the policy invalid.
    pub problems: Vec<String>,
}

/// Directives a `<meta>` policy cannot carry; browsers ignore them there.
const META_IGNORED: &[&str] = &["frame-ancestors", "report-uri", "sandbox"];
/// Keywords that only work quoted; unquoted they are host names that never match.
const KEYWORDS: &[&str] = &[
    "self",
    "none",
    "unsafe-inline",
    "unsafe-eval",
    "strict-dynamic",
    "unsafe-hashes",
    "report-sample",
    "wasm-unsafe-eval",
];
/// Sources that allow (almost) any origin.
const BROAD: &[&str] = &[
    "*",
    "http:",
    "https:",
    "ftp:",
    "http://*",
    "https://*",
    "http://*.*",
    "https://*.*",
];

/// Parses one serialized policy.
pub fn parse_policy(text: &str, source: PolicySource) -> Policy {
    let mut policy = Policy {
        source,
        directives: BTreeMap::new(),
        problems: Vec::new(),
    };
    for part in text.split(';') {
        let mut tokens = part.split_ascii_whitespace();
        let Some(name) = tokens.next() else { continue };
        let name = name.to_ascii_lowercase();
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            policy
                .problems
                .push(format!("`{name}` is not a directive name"));
            continue;
        }
        if source == PolicySource::Meta && META_IGNORED.contains(&name.as_str()) {
            continue;
        }
        let values: Vec<String> = tokens.map(normalise_source).collect();
        for v in &values {
            if KEYWORDS.contains(&v.as_str()) {
                policy.problems.push(format!(
                    "`{v}` in {name} must be quoted ('{v}'); unquoted it names a host"
                ));
            }
        }
        if policy.directives.contains_key(&name) {
            policy
                .problems
                .push(format!("{name} appears twice; browsers ignore the second"));
            continue;
        }
        policy.directives.insert(name, values);
    }
    if policy.directives.is_empty() && policy.problems.is_empty() && !text.trim().is_empty() {
        policy.problems.push("no directive could be parsed".into());
    }
    policy
}

/// Keywords and schemes are case-insensitive; nonces and hashes are not.
fn normalise_source(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("'nonce-") || lower.starts_with("'sha") {
        let (prefix, rest) = s.split_at(s.find('-').map_or(0, |i| i + 1));
        format!("{}{rest}", prefix.to_ascii_lowercase())
    } else if s.starts_with('\'') || s.ends_with(':') || s == "*" {
        lower
    } else {
        s.to_string()
    }
}

/// Every policy of one response: header values (comma-separated policies), report-only
/// header values and `<meta>` contents.
pub fn collect(headers: &[&str], report_only: &[&str], metas: &[String]) -> Vec<Policy> {
    let mut out = Vec::new();
    let split = |v: &str| {
        v.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for h in headers {
        out.extend(
            split(h)
                .iter()
                .map(|p| parse_policy(p, PolicySource::Header)),
        );
    }
    for m in metas {
        out.extend(split(m).iter().map(|p| parse_policy(p, PolicySource::Meta)));
    }
    for h in report_only {
        out.extend(
            split(h)
                .iter()
                .map(|p| parse_policy(p, PolicySource::ReportOnly)),
        );
    }
    out
}

/// A weakness of the enforced policy set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weakness {
    /// No enforcing policy at all (`report_only` says whether one was only reported).
    Missing {
        report_only: bool,
    },
    /// A policy could not be parsed as written.
    Invalid(String),
    /// Inline scripts run: `'unsafe-inline'` without a nonce or hash, or no script
    /// restriction at all.
    UnsafeInline(String),
    UnsafeEval,
    /// Scripts load from (almost) anywhere: `*`, a bare scheme, `data:`.
    BroadScriptSource(String),
    /// Plugins load from anywhere: no `object-src` (nor `default-src`) or a broad one.
    ObjectSrcUnrestricted,
    /// No `base-uri`: an injected `<base>` redirects relative script URLs.
    MissingBaseUri,
    /// `'strict-dynamic'` without a nonce or hash: no script can be trusted to load others.
    StrictDynamicWithoutNonce,
    /// A script nonce that is the same on every response: an injected script carries it.
    StaticNonce(String),
    /// `http:` sources on an https page.
    InsecureScheme(String),
}

/// What the evaluator concluded for one response.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub weaknesses: Vec<Weakness>,
    /// Enforcing header policies forbid framing by other origins (`frame-ancestors`).
    pub frame_ancestors_protect: bool,
    /// Some enforcing header policy has `frame-ancestors`.
    pub frame_ancestors_set: bool,
    /// An enforcing policy restricts scripts with a nonce or hash plus `'strict-dynamic'`.
    pub strict_dynamic: bool,
    /// `default-src 'none'` is the whole default.
    pub default_none: bool,
    /// Style sources allow inline styles or broad origins (graded, not a finding).
    pub unsafe_style: bool,
    /// `http:` only in img-src/media-src on an https page (graded, not a finding).
    pub insecure_passive: bool,
}

/// The nonce of a `'nonce-...'` source expression, if it is one.
fn nonce_of(source: &str) -> Option<&str> {
    source.strip_prefix("'nonce-")?.strip_suffix('\'')
}

/// Every nonce the policies name, in any directive.
pub fn nonces(policies: &[Policy]) -> BTreeSet<String> {
    policies
        .iter()
        .flat_map(|p| p.directives.values().flatten())
        .filter_map(|s| nonce_of(s))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

fn has_nonce_or_hash(sources: &[String]) -> bool {
    sources.iter().any(|s| {
        s.starts_with("'nonce-")
            || s.starts_with("'sha256-")
            || s.starts_with("'sha384-")
            || s.starts_with("'sha512-")
    })
}

fn is_broad(s: &str) -> bool {
    BROAD.contains(&s)
}

/// The effective source list of a fetch directive: itself, else `default-src`.
fn effective<'a>(p: &'a Policy, names: &[&str]) -> Option<&'a Vec<String>> {
    names
        .iter()
        .find_map(|n| p.directives.get(*n))
        .or_else(|| p.directives.get("default-src"))
}

/// Weaknesses of one enforcing policy; `static_nonces` are nonces known to repeat.
fn policy_weaknesses(p: &Policy, https: bool, static_nonces: &BTreeSet<String>) -> Vec<Weakness> {
    let mut out = Vec::new();
    match effective(p, &["script-src-elem", "script-src"]) {
        None => out.push(Weakness::UnsafeInline(
            "no script-src and no default-src: every script runs".into(),
        )),
        Some(script) => {
            let nonce = has_nonce_or_hash(script);
            if let Some(n) = script
                .iter()
                .filter_map(|s| nonce_of(s))
                .find(|n| static_nonces.contains(*n))
            {
                out.push(Weakness::StaticNonce(n.to_string()));
            }
            let strict_dynamic = script.iter().any(|s| s == "'strict-dynamic'");
            if strict_dynamic && !nonce {
                out.push(Weakness::StrictDynamicWithoutNonce);
            }
            // With a nonce or hash, browsers ignore 'unsafe-inline'; with
            // 'strict-dynamic' they also ignore hosts, schemes and 'self'.
            let allowlist_ignored = strict_dynamic && nonce;
            if script.iter().any(|s| s == "'unsafe-inline'") && !nonce {
                out.push(Weakness::UnsafeInline(
                    "script-src allows 'unsafe-inline' without a nonce or hash".into(),
                ));
            }
            if script.iter().any(|s| s == "'unsafe-eval'") {
                out.push(Weakness::UnsafeEval);
            }
            if !allowlist_ignored {
                if let Some(b) = script.iter().find(|s| is_broad(s) || *s == "data:") {
                    out.push(Weakness::BroadScriptSource(b.clone()));
                }
                if https && let Some(h) = script.iter().find(|s| s.starts_with("http:")) {
                    out.push(Weakness::InsecureScheme(h.clone()));
                }
            }
        }
    }
    match effective(p, &["object-src"]) {
        None => out.push(Weakness::ObjectSrcUnrestricted),
        Some(obj) if obj.iter().any(|s| is_broad(s)) => out.push(Weakness::ObjectSrcUnrestricted),
        _ => {}
    }
    match p.directives.get("base-uri") {
        None => out.push(Weakness::MissingBaseUri),
        Some(b) if b.iter().any(|s| is_broad(s)) => out.push(Weakness::MissingBaseUri),
        _ => {}
    }
    out
}

/// Evaluates every policy of a response. `https` says whether the page came over https.
pub fn evaluate(policies: &[Policy], https: bool) -> Evaluation {
    evaluate_with(policies, https, &BTreeSet::new())
}

/// Inline script injection is one class whether `'unsafe-inline'` or a static nonce
/// lets it through: each policy must block it by one means or another.
fn same_class(a: &Weakness, b: &Weakness) -> bool {
    let inline = |w: &Weakness| matches!(w, Weakness::UnsafeInline(_) | Weakness::StaticNonce(_));
    (inline(a) && inline(b)) || std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// [`evaluate`], knowing which nonces were seen unchanged on more than one response.
pub fn evaluate_with(
    policies: &[Policy],
    https: bool,
    static_nonces: &BTreeSet<String>,
) -> Evaluation {
    let enforcing: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.source != PolicySource::ReportOnly && !p.directives.is_empty())
        .collect();
    let mut ev = Evaluation::default();
    for p in policies {
        for problem in &p.problems {
            ev.weaknesses.push(Weakness::Invalid(problem.clone()));
        }
    }
    if enforcing.is_empty() {
        let report_only = policies
            .iter()
            .any(|p| p.source == PolicySource::ReportOnly);
        ev.weaknesses.push(Weakness::Missing { report_only });
        return ev;
    }
    // A weakness counts when every enforcing policy has it (compared by kind).
    let per_policy: Vec<Vec<Weakness>> = enforcing
        .iter()
        .map(|p| policy_weaknesses(p, https, static_nonces))
        .collect();
    for w in &per_policy[0] {
        if per_policy[1..]
            .iter()
            .all(|ws| ws.iter().any(|x| same_class(w, x)))
        {
            ev.weaknesses.push(w.clone());
        }
    }
    let header_fa: Vec<&Vec<String>> = enforcing
        .iter()
        .filter(|p| p.source == PolicySource::Header)
        .filter_map(|p| p.directives.get("frame-ancestors"))
        .collect();
    ev.frame_ancestors_set = !header_fa.is_empty();
    ev.frame_ancestors_protect = header_fa.iter().any(|fa| !fa.iter().any(|s| is_broad(s)));
    ev.strict_dynamic = enforcing.iter().any(|p| {
        effective(p, &["script-src"])
            .is_some_and(|s| has_nonce_or_hash(s) && s.iter().any(|x| x == "'strict-dynamic'"))
    });
    ev.default_none = enforcing.iter().any(|p| {
        p.directives
            .get("default-src")
            .is_some_and(|d| d.len() == 1 && d[0] == "'none'")
    });
    ev.unsafe_style = enforcing
        .iter()
        .all(|p| match effective(p, &["style-src"]) {
            None => true,
            Some(s) => {
                (s.iter().any(|x| x == "'unsafe-inline'") && !has_nonce_or_hash(s))
                    || s.iter().any(|x| is_broad(x) || x == "data:")
            }
        });
    ev.insecure_passive = https
        && enforcing.iter().all(|p| {
            ["img-src", "media-src"].iter().any(|d| {
                effective(p, &[d]).is_some_and(|s| s.iter().any(|x| x.starts_with("http:")))
            })
        });
    ev.weaknesses.sort();
    ev.weaknesses.dedup();
    ev
}

impl Weakness {
    /// Probe id, severity-relevant class and a sentence for the finding.
    pub fn describe(&self) -> (&'static str, String) {
        match self {
            Weakness::Missing { report_only: true } => (
                "headers.csp-report-only",
                "only a Content-Security-Policy-Report-Only policy is sent; it reports and enforces nothing".into(),
            ),
            Weakness::Missing { report_only: false } => (
                "headers.csp-missing",
                "no Content-Security-Policy is enforced (header or <meta>)".into(),
            ),
            Weakness::Invalid(p) => ("headers.csp-invalid", format!("the policy is invalid: {p}")),
            Weakness::UnsafeInline(why) => ("headers.csp-unsafe-inline", why.clone()),
            Weakness::UnsafeEval => (
                "headers.csp-unsafe-eval",
                "script-src allows 'unsafe-eval': eval() of injected strings runs".into(),
            ),
            Weakness::BroadScriptSource(s) => (
                "headers.csp-broad-source",
                format!("script-src allows `{s}`: scripts load from any origin an attacker controls"),
            ),
            Weakness::ObjectSrcUnrestricted => (
                "headers.csp-object-src",
                "object-src is missing (and no default-src) or broad: plugins load from anywhere".into(),
            ),
            Weakness::MissingBaseUri => (
                "headers.csp-base-uri",
                "base-uri is missing: an injected <base> tag re-points relative script URLs".into(),
            ),
            Weakness::StrictDynamicWithoutNonce => (
                "headers.csp-strict-dynamic",
                "'strict-dynamic' without a nonce or hash: it discards the allowlist and trusts no script".into(),
            ),
            Weakness::StaticNonce(n) => (
                "headers.csp-static-nonce",
                format!(
                    "script-src trusts the nonce `{n}`, which is the same on every response: an injected script carries it and runs"
                ),
            ),
            Weakness::InsecureScheme(s) => (
                "headers.csp-insecure-scheme",
                format!("script-src allows `{s}` on an https page: scripts load over plain http"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(headers: &[&str]) -> Evaluation {
        evaluate(&collect(headers, &[], &[]), true)
    }

    fn kinds(e: &Evaluation) -> Vec<&'static str> {
        e.weaknesses.iter().map(|w| w.describe().0).collect()
    }

    const STRICT: &str = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    #[test]
    fn a_strict_policy_has_no_weakness() {
        let e = eval(&[STRICT]);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        assert!(e.frame_ancestors_protect);
    }

    #[test]
    fn nonce_cancels_unsafe_inline() {
        let e = eval(&[
            "script-src 'nonce-R4nd0m' 'unsafe-inline'; object-src 'none'; base-uri 'self'",
        ]);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        let e =
            eval(&["script-src 'sha256-abc=' 'unsafe-inline'; object-src 'none'; base-uri 'self'"]);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        let e = eval(&["script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'"]);
        assert_eq!(kinds(&e), ["headers.csp-unsafe-inline"]);
    }

    #[test]
    fn strict_dynamic_needs_a_nonce_and_ignores_the_allowlist() {
        let e = eval(&["script-src 'strict-dynamic' https:; object-src 'none'; base-uri 'none'"]);
        assert!(
            kinds(&e).contains(&"headers.csp-strict-dynamic"),
            "{:?}",
            e.weaknesses
        );
        assert!(kinds(&e).contains(&"headers.csp-broad-source"));
        // With a nonce, https: and 'unsafe-inline' are fallbacks for old browsers only.
        let e = eval(&[
            "script-src 'nonce-abc' 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'; base-uri 'none'",
        ]);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        assert!(e.strict_dynamic);
    }

    #[test]
    fn fallbacks_to_default_src() {
        let e = eval(&["default-src 'self' 'unsafe-inline'; base-uri 'self'"]);
        assert_eq!(kinds(&e), ["headers.csp-unsafe-inline"]);
        let e = eval(&["img-src 'self'"]);
        let k = kinds(&e);
        assert!(k.contains(&"headers.csp-unsafe-inline") && k.contains(&"headers.csp-object-src"));
    }

    #[test]
    fn broad_sources_and_wildcard_subdomains() {
        for src in ["*", "https:", "data:", "http:", "https://*"] {
            let e = eval(&[&format!(
                "script-src {src}; object-src 'none'; base-uri 'none'"
            )]);
            assert!(
                kinds(&e).contains(&"headers.csp-broad-source"),
                "{src}: {:?}",
                e.weaknesses
            );
        }
        // A wildcard subdomain of one site is an allowlist, not a broad source.
        let e = eval(&["script-src https://*.cdn.example; object-src 'none'; base-uri 'none'"]);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        let e = eval(&["script-src 'self'; object-src *; base-uri 'none'"]);
        assert_eq!(kinds(&e), ["headers.csp-object-src"]);
    }

    #[test]
    fn a_policy_split_across_two_headers_enforces_both() {
        // The second header blocks inline scripts the first allows: no weakness.
        let e = eval(&[
            "script-src 'self' 'unsafe-inline'; object-src 'none'",
            "script-src 'self'; base-uri 'none'",
        ]);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        // Two policies in one header value, comma-separated.
        let e = eval(&["script-src 'unsafe-inline', object-src 'none'; base-uri 'none'"]);
        assert_eq!(kinds(&e), ["headers.csp-unsafe-inline"]);
    }

    #[test]
    fn frame_ancestors_only_from_headers_and_report_only_enforces_nothing() {
        let meta = vec![STRICT.to_string()];
        let e = evaluate(&collect(&[], &[], &meta), true);
        assert!(e.weaknesses.is_empty(), "{:?}", e.weaknesses);
        assert!(!e.frame_ancestors_set);
        let e = evaluate(&collect(&[], &[STRICT], &[]), true);
        assert_eq!(kinds(&e), ["headers.csp-report-only"]);
        let e = evaluate(&collect(&[], &[], &[]), true);
        assert_eq!(kinds(&e), ["headers.csp-missing"]);
    }

    #[test]
    fn invalid_policies_are_reported() {
        let e = eval(&["script-src self; object-src 'none'; base-uri 'none'"]);
        assert!(
            kinds(&e).contains(&"headers.csp-invalid"),
            "{:?}",
            e.weaknesses
        );
        let e = eval(&["script-src 'self'; script-src *; object-src 'none'; base-uri 'none'"]);
        assert_eq!(kinds(&e), ["headers.csp-invalid"]);
        let e = eval(&["scr{ipt 'self'"]);
        assert!(kinds(&e).contains(&"headers.csp-invalid"));
    }

    #[test]
    fn a_static_nonce_is_as_open_as_unsafe_inline() {
        let policy =
            "script-src 'nonce-Zm9vYmFy' 'strict-dynamic'; object-src 'none'; base-uri 'none'";
        let policies = collect(&[policy], &[], &[]);
        assert_eq!(
            nonces(&policies).into_iter().collect::<Vec<_>>(),
            ["Zm9vYmFy"]
        );
        // One fetch cannot tell; a nonce seen again is known to attackers.
        assert!(evaluate(&policies, true).weaknesses.is_empty());
        let repeated: BTreeSet<String> = ["Zm9vYmFy".to_string()].into();
        let e = evaluate_with(&policies, true, &repeated);
        assert_eq!(kinds(&e), ["headers.csp-static-nonce"]);
        // A second policy that blocks inline scripts outright still protects the page.
        let two = collect(
            &[
                policy,
                "script-src 'self'; object-src 'none'; base-uri 'none'",
            ],
            &[],
            &[],
        );
        assert!(evaluate_with(&two, true, &repeated).weaknesses.is_empty());
        // A second policy that allows inline scripts does not.
        let two = collect(
            &[
                policy,
                "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'",
            ],
            &[],
            &[],
        );
        assert_eq!(
            kinds(&evaluate_with(&two, true, &repeated)),
            ["headers.csp-static-nonce"]
        );
        // Nonces of a <meta> policy count too.
        let meta = vec![policy.to_string()];
        assert_eq!(nonces(&collect(&[], &[], &meta)).len(), 1);
    }

    #[test]
    fn http_sources_on_https_pages() {
        let e = eval(&["script-src 'self' http://cdn.example; object-src 'none'; base-uri 'none'"]);
        assert_eq!(kinds(&e), ["headers.csp-insecure-scheme"]);
        let e = evaluate(
            &collect(
                &["script-src 'self' http://cdn.example; object-src 'none'; base-uri 'none'"],
                &[],
                &[],
            ),
            false,
        );
        assert!(e.weaknesses.is_empty());
    }
}
