//! JWT checks (item 2), wherever an identity's credential looks like a JWT (bearer
//! header, custom header or cookie): decoded lifetime, forgeries the server must refuse
//! (`alg: none`, stripped signature, tampered claim), and an offline test of HMAC
//! signatures against a bounded list of weak secrets (no request spent on that).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response, Session};
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::{Confidence, Evidence, Finding, Location, RequestExcerpt, Severity};

/// Weak HMAC secrets, one per line (data, so it can grow without code changes).
pub const WEAK_SECRETS: &str = include_str!("../../../probes/data/jwt-secrets.txt");

/// The secrets of [`WEAK_SECRETS`], comments and blank lines skipped.
pub fn weak_secrets() -> impl Iterator<Item = &'static str> {
    WEAK_SECRETS
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A token split into its parts, header and claims decoded.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub raw: String,
    pub header: Value,
    pub claims: Value,
}

impl Jwt {
    /// Decodes a compact JWS (`header.payload.signature`) whose header names an `alg`.
    pub fn decode(token: &str) -> Option<Jwt> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || h.len() < 10 || p.is_empty() {
            return None;
        }
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
        header.get("alg")?.as_str()?;
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
        claims.is_object().then(|| Jwt {
            raw: token.to_string(),
            header,
            claims,
        })
    }

    pub fn alg(&self) -> &str {
        self.header["alg"].as_str().unwrap_or("")
    }

    fn parts(&self) -> (&str, &str, &str) {
        let mut it = self.raw.splitn(3, '.');
        (
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
        )
    }

    /// The same claims, unsigned, with the header's `alg` set to `alg` (`none`, `None`...).
    pub fn with_alg_none(&self, alg: &str) -> String {
        let mut header = self.header.clone();
        header["alg"] = Value::String(alg.to_string());
        format!("{}.{}.", encode(&header), self.parts().1)
    }

    /// Header and claims kept, signature removed.
    pub fn stripped(&self) -> String {
        let (h, p, _) = self.parts();
        format!("{h}.{p}.")
    }

    /// One harmless claim added, the original signature kept: only a server that does
    /// not verify signatures accepts it.
    pub fn tampered(&self) -> String {
        let mut claims = self.claims.clone();
        claims["prodready_tampered"] = Value::Bool(true);
        let (h, _, s) = self.parts();
        format!("{h}.{}.{s}", encode(&claims))
    }

    /// The weak secret that produced this token's HMAC signature, if one did.
    pub fn crack<'a>(&self, secrets: impl Iterator<Item = &'a str>) -> Option<&'a str> {
        let (h, p, s) = self.parts();
        let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
        let input = format!("{h}.{p}");
        let alg = self.alg().to_string();
        secrets
            .take(MAX_SECRETS)
            .find(|secret| hmac_matches(&alg, secret.as_bytes(), input.as_bytes(), &signature))
    }

    /// `exp` and `iat` as Unix seconds, when present and numeric.
    pub fn times(&self) -> (Option<i64>, Option<i64>) {
        let n = |k: &str| self.claims.get(k).and_then(Value::as_f64).map(|v| v as i64);
        (n("exp"), n("iat"))
    }
}

/// At most this many secrets are tried per token, whatever the data file holds.
const MAX_SECRETS: usize = 10_000;

fn encode(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn hmac_matches(alg: &str, key: &[u8], input: &[u8], signature: &[u8]) -> bool {
    macro_rules! check {
        ($d:ty) => {{
            let Ok(mut mac) = <Hmac<$d> as Mac>::new_from_slice(key) else {
                return false;
            };
            mac.update(input);
            mac.verify_slice(signature).is_ok()
        }};
    }
    match alg {
        "HS256" => check!(sha2::Sha256),
        "HS384" => check!(sha2::Sha384),
        "HS512" => check!(sha2::Sha512),
        _ => false,
    }
}

/// A cracked secret as it may appear in a report: its first two characters and length.
pub fn mask(secret: &str) -> String {
    let shown: String = secret.chars().take(2).collect();
    format!("{shown}… ({} characters)", secret.chars().count())
}

/// What the token's lifetime says, against the configured maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifetime {
    NoExpiry,
    TooLong { secs: i64 },
    Fine { secs: i64 },
}

/// Judges `exp` (against `iat`, or `now` when the token has no `iat`).
pub fn lifetime(token: &Jwt, now: i64, max_secs: i64) -> Lifetime {
    match token.times() {
        (None, _) => Lifetime::NoExpiry,
        (Some(exp), iat) => {
            // Claims come from the target: huge or negative times must not overflow.
            let secs = exp.saturating_sub(iat.unwrap_or(now));
            if secs > max_secs {
                Lifetime::TooLong { secs }
            } else {
                Lifetime::Fine { secs }
            }
        }
    }
}

/// Where an identity's JWT travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Header(String),
    Cookie(String),
}

impl Placement {
    fn describe(&self) -> String {
        match self {
            Placement::Header(h) => format!("header {h}"),
            Placement::Cookie(c) => format!("cookie {c}"),
        }
    }
}

/// The JWTs an identity's session carries.
pub fn session_tokens(session: &Session) -> Vec<(Placement, Jwt)> {
    let mut found = Vec::new();
    for (name, value) in session.headers() {
        let value = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or(&value);
        if let Some(t) = Jwt::decode(value) {
            found.push((Placement::Header(name.clone()), t));
        }
    }
    for c in session.with_jar(|j| j.cookies().to_vec()) {
        if let Some(t) = Jwt::decode(&c.value) {
            found.push((Placement::Cookie(c.name.clone()), t));
        }
    }
    found
}

/// What the `jwt` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "jwt",
    items: &[Item::Authentication],
    ids: &[
        "jwt.alg-none-accepted",
        "jwt.long-lived",
        "jwt.no-expiry",
        "jwt.signature-not-verified",
        "jwt.tampered-claims-accepted",
        "jwt.weak-secret",
    ],
    runs_last: false,
};

/// The `jwt` family.
pub struct JwtFamily;

impl Family for JwtFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await]) })
    }
}

async fn run(ctx: &Context) -> ProbeRun {
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::Authentication);
    let mut seen_checks: Vec<&'static str> = Vec::new();
    let mut tested = 0;
    for identity in ctx.identities.authenticated() {
        for (placement, token) in session_tokens(&identity.session) {
            if tested >= 4 {
                break;
            }
            tested += 1;
            check_token(
                ctx,
                identity,
                &placement,
                &token,
                &mut run,
                &mut seen_checks,
            )
            .await;
        }
    }
    if tested == 0 {
        run.notes
            .push("no identity's credential is a JWT; JWT checks did not apply".into());
    }
    run
}

/// Adds `f` unless a finding of the same check was already reported for another identity.
fn push_once(run: &mut ProbeRun, seen: &mut Vec<&'static str>, check: &'static str, f: Finding) {
    if !seen.contains(&check) {
        seen.push(check);
        run.findings.push(f);
    }
}

/// Sends `identity`'s check request with `token` in place of its credential.
async fn check_with(
    ctx: &Context,
    identity: &Identity,
    placement: &Placement,
    token: &str,
) -> Option<Response> {
    let check = identity.config.as_ref()?.check.as_ref()?;
    ctx.http.redactor().add(token);
    let session = Session::scratch(identity.id, "jwt test");
    match placement {
        Placement::Header(name) => {
            let original = identity
                .session
                .headers()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .unwrap_or_default();
            let value = if original.to_ascii_lowercase().starts_with("bearer ") {
                format!("Bearer {token}")
            } else {
                token.to_string()
            };
            session.set_header(name, &value);
        }
        Placement::Cookie(name) => session.with_jar(|j| j.insert(&check.url, name, token)),
    }
    let req = Request::new(&check.method, check.url.clone())
        .header("Accept", "application/json, text/html;q=0.9")
        .no_redirects();
    ctx.http.send(&session, req).await.ok()
}

fn accepted(identity: &Identity, resp: &Response) -> bool {
    let expect = identity
        .config
        .as_ref()
        .and_then(|c| c.check.as_ref())
        .map(|c| c.expect_status.clone())
        .unwrap_or_default();
    if expect.is_empty() {
        resp.is_success()
    } else {
        expect.contains(&resp.status)
    }
}

fn token_summary(token: &Jwt) -> String {
    let (exp, iat) = token.times();
    format!(
        "header {}; exp {}; iat {}",
        token.header,
        exp.map_or("absent".to_string(), |v| v.to_string()),
        iat.map_or("absent".to_string(), |v| v.to_string())
    )
}

async fn check_token(
    ctx: &Context,
    identity: &Identity,
    placement: &Placement,
    token: &Jwt,
    run: &mut ProbeRun,
    seen: &mut Vec<&'static str>,
) {
    let http = &ctx.http;
    let baseline = check_with(ctx, identity, placement, &token.raw).await;
    let location = match &baseline {
        Some(r) => Location {
            method: r.sent.method.clone(),
            url: http.redactor().url(&r.sent.url),
        },
        None => Location {
            method: "GET".into(),
            url: http.redactor().url(&ctx.config.target),
        },
    };
    let summary = token_summary(token);
    // Evidence of a decoded token: the exchange that presented it (credential redacted)
    // and what its header and times say; never the token itself.
    let token_evidence = |label: &str| match &baseline {
        Some(r) => http.evidence(label, r, None).with_matched(&summary),
        None => Evidence {
            label: label.to_string(),
            request: RequestExcerpt {
                identity: identity.id,
                method: "-".into(),
                url: location.url.clone(),
                headers: Vec::new(),
                body: None,
            },
            response: None,
            matched: Some(summary.clone()),
        },
    };
    let where_ = placement.describe();

    // Lifetime.
    run.checks += 1;
    let max = ctx.config.auth_checks.max_token_lifetime.as_secs() as i64;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match lifetime(token, now, max) {
        Lifetime::NoExpiry => push_once(run, seen, "no-expiry", Finding::builder(Item::Authentication, "jwt.no-expiry")
                .rated(Severity::Medium, Confidence::Firm)
                .title("Access token never expires")
                .detail(format!("The JWT of identity `{}` ({where_}) has no `exp` claim: a stolen token works forever.", identity.id))
                .at(location.clone())
                .discriminator(&where_)
                .build().with_evidence(token_evidence("token without exp"))
        .with_remediation("Issue access tokens with an `exp` claim, minutes to an hour ahead; use refresh tokens for longer sessions.")),
        Lifetime::TooLong { secs } => push_once(run, seen, "long-lived", Finding::builder(Item::Authentication, "jwt.long-lived")
                .rated(Severity::Medium, Confidence::Firm)
                .title("Access token lives too long")
                .detail(format!("The JWT of identity `{}` ({where_}) is valid for {secs} seconds; the configured maximum is {max} (auth.max_token_lifetime_secs).", identity.id))
                .at(location.clone())
                .discriminator(&where_)
                .build().with_evidence(token_evidence("long-lived token"))
        .with_remediation("Shorten access-token lifetimes to an hour or less and renew them with refresh tokens.")),
        Lifetime::Fine { secs } => run.notes.push(format!("{}'s JWT lives {secs} s (max {max} s)", identity.id)),
    }

    // Weak HMAC secret, offline.
    if token.alg().starts_with("HS") {
        run.checks += 1;
        if let Some(secret) = token.crack(weak_secrets()) {
            http.redactor().add(secret);
            push_once(run, seen, "weak-secret", Finding::builder(Item::Authentication, "jwt.weak-secret")
                    .rated(Severity::Critical, Confidence::Confirmed)
                    .title("JWT signed with a well-known weak secret")
                    .detail(format!("The {} signature of identity `{}`'s token verifies with a secret from the public weak-secret list ({}); anyone can mint tokens for any user.", token.alg(), identity.id, mask(secret)))
                    .at(location.clone())
                    .discriminator(&where_)
                    .build().with_evidence(token_evidence("token signed with a weak secret"))
            .with_remediation("Sign tokens with a random secret of at least 256 bits kept out of the code (or an asymmetric key), and rotate it now."));
        }
    }

    // Forgeries: only meaningful when the check request tells a good token from a bad one.
    let Some(baseline) = baseline else {
        run.notes.push(format!(
            "{}: no check request, forged tokens not tried (set identities.{}.check)",
            identity.id, identity.id
        ));
        return;
    };
    if !accepted(identity, &baseline) {
        run.notes.push(format!(
            "{}: the check request refused the identity's own token; forgeries not tried",
            identity.id
        ));
        return;
    }
    let garbage = format!(
        "{}.{}.AAAA",
        token.parts().0,
        encode(&json!({"sub": "prodready"}))
    );
    match check_with(ctx, identity, placement, &garbage).await {
        Some(r) if !accepted(identity, &r) => {}
        _ => {
            run.notes.push(format!(
                "{}: the check request accepts an invalid token too; forgeries cannot be judged",
                identity.id
            ));
            return;
        }
    }
    let forgeries: [(&'static str, &'static str, String, &str); 4] = [
        (
            "alg-none",
            "jwt.alg-none-accepted",
            token.with_alg_none("none"),
            "a token re-signed with alg none",
        ),
        (
            "alg-none",
            "jwt.alg-none-accepted",
            token.with_alg_none("None"),
            "a token re-signed with alg None",
        ),
        (
            "stripped",
            "jwt.signature-not-verified",
            token.stripped(),
            "the token with its signature stripped",
        ),
        (
            "tampered",
            "jwt.tampered-claims-accepted",
            token.tampered(),
            "the token with a claim changed and the old signature",
        ),
    ];
    for (check, probe_id, forged, what) in forgeries {
        if seen.contains(&check) {
            continue;
        }
        run.checks += 1;
        let Some(resp) = check_with(ctx, identity, placement, &forged).await else {
            continue;
        };
        if accepted(identity, &resp) {
            push_once(run, seen, check, Finding::builder(Item::Authentication, probe_id)
                    .rated(Severity::Critical, Confidence::Confirmed)
                    .title(format!("Server accepts {what}"))
                    .detail(format!("Identity `{}`'s check request succeeded with {what} ({where_}): the server does not verify token signatures properly, so anyone can forge a session.", identity.id))
                    .at(location.clone())
                    .discriminator(&where_)
                    .build().with_evidence(http.evidence(&format!("{what}, accepted"), &resp, None))
            .with_remediation("Verify every token's signature with a fixed algorithm allowlist (never `none`) before reading its claims."));
        }
    }
}

trait WithMatched {
    fn with_matched(self, text: &str) -> Self;
}

impl WithMatched for Evidence {
    fn with_matched(mut self, text: &str) -> Self {
        self.matched = Some(text.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(header: &Value, claims: &Value, secret: &[u8]) -> String {
        let input = format!("{}.{}", encode(header), encode(claims));
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn decodes_and_forges() {
        let t = sign(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &json!({"sub": "1", "iat": 100, "exp": 1000}),
            b"a-long-random-secret-nobody-guesses-0192837465",
        );
        let jwt = Jwt::decode(&t).unwrap();
        assert_eq!(jwt.alg(), "HS256");
        assert_eq!(jwt.times(), (Some(1000), Some(100)));
        let none = Jwt::decode(&jwt.with_alg_none("none")).unwrap();
        assert_eq!(none.alg(), "none");
        assert!(none.raw.ends_with('.'));
        assert_eq!(none.claims, jwt.claims);
        assert!(jwt.stripped().ends_with('.'));
        let tampered = Jwt::decode(&jwt.tampered()).unwrap();
        assert_eq!(tampered.claims["prodready_tampered"], true);
        assert!(jwt.crack(weak_secrets()).is_none());
        assert!(Jwt::decode("not.a.jwt").is_none());
        assert!(Jwt::decode("abc").is_none());
    }

    #[test]
    fn cracks_weak_secrets_offline_and_masks_them() {
        let t = sign(
            &json!({"alg": "HS256"}),
            &json!({"sub": "1"}),
            b"your-256-bit-secret",
        );
        let jwt = Jwt::decode(&t).unwrap();
        let secret = jwt.crack(weak_secrets()).unwrap();
        assert_eq!(secret, "your-256-bit-secret");
        let masked = mask(secret);
        assert!(!masked.contains("256-bit"), "{masked}");
        assert!(masked.starts_with("yo"));
        assert!(weak_secrets().all(|s| !s.starts_with('#') && !s.is_empty()));
    }

    #[test]
    fn judges_lifetimes() {
        let t =
            |claims: Value| Jwt::decode(&sign(&json!({"alg": "HS256"}), &claims, b"k")).unwrap();
        assert_eq!(
            lifetime(&t(json!({"sub": "1"})), 0, 3600),
            Lifetime::NoExpiry
        );
        assert_eq!(
            lifetime(&t(json!({"iat": 0, "exp": 900})), 0, 3600),
            Lifetime::Fine { secs: 900 }
        );
        assert_eq!(
            lifetime(&t(json!({"iat": 0, "exp": 2_592_000})), 0, 3600),
            Lifetime::TooLong { secs: 2_592_000 }
        );
        assert_eq!(
            lifetime(&t(json!({"exp": 7200})), 0, 3600),
            Lifetime::TooLong { secs: 7200 }
        );
    }

    /// Found by the `jwt` fuzz target (corpus `seed-float-exp.txt`): `exp - iat`
    /// overflowed on extreme claims and panicked in debug builds.
    #[test]
    fn extreme_times_do_not_overflow() {
        let t =
            |claims: Value| Jwt::decode(&sign(&json!({"alg": "HS256"}), &claims, b"k")).unwrap();
        assert_eq!(
            lifetime(&t(json!({"iat": -1e300, "exp": 1e300})), 0, 3600),
            Lifetime::TooLong { secs: i64::MAX }
        );
        assert_eq!(
            lifetime(&t(json!({"exp": i64::MIN})), i64::MAX, 3600),
            Lifetime::Fine { secs: i64::MIN }
        );
    }
}
