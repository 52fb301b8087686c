//! JWT checks (item 2), wherever an identity's credential looks like a JWT (bearer
//! header, custom header or cookie): decoded lifetime, forgeries the server must refuse
//! (`alg: none`, stripped signature, tampered claim), and an offline search for the
//! HMAC secret (framework placeholders, common weak secrets, words taken from the app,
//! an English dictionary; no request spent on that).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::secret_guesses::{
    AppWords, COMMON_WEAK, Dictionary, FRAMEWORK_PLACEHOLDERS, Guesses, WordSource, list_entries,
};
use super::secret_search::{self, SignedInput};
use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response, Session};
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::{
    Confidence, Evidence, Finding, FindingBuilder, Location, RequestExcerpt, Severity,
};

/// The short built-in list: framework placeholders, then common weak secrets. The full
/// search ([`secret_search::search`]) tries these first, then app and dictionary words.
pub fn weak_secrets() -> impl Iterator<Item = &'static str> {
    list_entries(FRAMEWORK_PLACEHOLDERS).chain(list_entries(COMMON_WEAK))
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

    /// The signing input and signature, decoded once for a secret search; `None` unless
    /// the token is HMAC-signed.
    pub fn signed_input(&self) -> Option<SignedInput> {
        let (h, p, s) = self.parts();
        let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
        SignedInput::new(self.alg(), format!("{h}.{p}").as_bytes(), &signature)
    }

    /// The secret among `secrets` that produced this token's HMAC signature, if one did.
    pub fn crack<'a>(&self, secrets: impl Iterator<Item = &'a str>) -> Option<&'a str> {
        let target = self.signed_input()?;
        secrets
            .take(MAX_SECRETS)
            .find(|secret| target.verifies(secret.as_bytes()))
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
        // A Supabase project key (the `apikey` header) is the project's public API key,
        // valid for years by design: no session of the identity's.
        if crate::families::baas::detect::classify_key(value).is_some() {
            continue;
        }
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
    let mut secrets = SecretSearch::new(app_words(ctx));
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
                &mut secrets,
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

/// One token under test: whose it is, where it travels, the check request's answer to
/// it, and where its findings are located.
struct TokenUnderTest<'a> {
    ctx: &'a Context,
    identity: &'a Identity,
    placement: &'a Placement,
    token: &'a Jwt,
    /// The check request sent with the token itself, when the identity has one.
    baseline: Option<Response>,
    location: Location,
    /// What the token's header and times say, shown instead of the token.
    summary: String,
    where_: String,
}

impl TokenUnderTest<'_> {
    /// Evidence of a decoded token: the exchange that presented it (credential redacted)
    /// and what its header and times say; never the token itself.
    fn evidence(&self, label: &str) -> Evidence {
        match &self.baseline {
            Some(r) => self
                .ctx
                .http
                .evidence(label, r, None)
                .with_matched(&self.summary),
            None => Evidence {
                label: label.to_string(),
                request: RequestExcerpt {
                    identity: self.identity.id,
                    method: "-".into(),
                    url: self.location.url.clone(),
                    headers: Vec::new(),
                    body: None,
                },
                response: None,
                matched: Some(self.summary.clone()),
            },
        }
    }

    /// A finding about this token, located at its check request.
    fn finding(
        &self,
        probe_id: &str,
        severity: Severity,
        confidence: Confidence,
    ) -> FindingBuilder {
        Finding::builder(Item::Authentication, probe_id)
            .rated(severity, confidence)
            .at(self.location.clone())
            .discriminator(&self.where_)
    }
}

async fn check_token(
    ctx: &Context,
    identity: &Identity,
    placement: &Placement,
    token: &Jwt,
    run: &mut ProbeRun,
    seen: &mut Vec<&'static str>,
    secrets: &mut SecretSearch,
) {
    let baseline = check_with(ctx, identity, placement, &token.raw).await;
    let location = match &baseline {
        Some(r) => Location {
            method: r.sent.method.clone(),
            url: ctx.http.redactor().url(&r.sent.url),
        },
        None => Location {
            method: "GET".into(),
            url: ctx.http.redactor().url(&ctx.config.target),
        },
    };
    let t = TokenUnderTest {
        ctx,
        identity,
        placement,
        token,
        baseline,
        location,
        summary: token_summary(token),
        where_: placement.describe(),
    };
    check_lifetime(&t, run, seen);
    check_weak_secret(&t, secrets, run, seen).await;
    check_forgeries(&t, run, seen).await;
}

/// The token's `exp`: missing, or further ahead than the configured maximum.
fn check_lifetime(t: &TokenUnderTest<'_>, run: &mut ProbeRun, seen: &mut Vec<&'static str>) {
    run.checks += 1;
    let id = t.identity.id;
    let where_ = &t.where_;
    let max = t.ctx.config.auth_checks.max_token_lifetime.as_secs() as i64;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match lifetime(t.token, now, max) {
        Lifetime::NoExpiry => {
            let f = t
                .finding("jwt.no-expiry", Severity::Medium, Confidence::Firm)
                .title("Access token never expires")
                .detail(format!(
                    "The JWT of identity `{id}` ({where_}) has no `exp` claim: \
                     a stolen token works forever."
                ))
                .evidence(t.evidence("token without exp"))
                .remediation(
                    "Issue access tokens with an `exp` claim, minutes to an hour ahead; \
                     use refresh tokens for longer sessions.",
                )
                .build();
            push_once(run, seen, "no-expiry", f);
        }
        Lifetime::TooLong { secs } => {
            let f = t
                .finding("jwt.long-lived", Severity::Medium, Confidence::Firm)
                .title("Access token lives too long")
                .detail(format!(
                    "The JWT of identity `{id}` ({where_}) is valid for {secs} seconds; \
                     the configured maximum is {max} (auth.max_token_lifetime_secs)."
                ))
                .evidence(t.evidence("long-lived token"))
                .remediation(
                    "Shorten access-token lifetimes to an hour or less \
                     and renew them with refresh tokens.",
                )
                .build();
            push_once(run, seen, "long-lived", f);
        }
        Lifetime::Fine { secs } => run
            .notes
            .push(format!("{id}'s JWT lives {secs} s (max {max} s)")),
    }
}

/// What the app says about itself, for the secret search's app-derived guesses: the
/// host names in scope, the names its pages and manifest declare, its page titles, the
/// identifiers in its scripts and their file names.
fn app_words(ctx: &Context) -> AppWords {
    let mut words = AppWords::default();
    let origins = ctx.http.scope().origins();
    let hosts = std::iter::once(ctx.config.target.clone())
        .chain(origins.iter().filter_map(|o| url::Url::parse(o).ok()));
    for url in hosts {
        if let Some(host) = url.host_str() {
            words.add(host, WordSource::Host);
        }
    }
    let names = &ctx.inventory.app_names;
    for name in &names.declared {
        words.add(name, WordSource::DeclaredName);
    }
    for title in &names.titles {
        words.add(title, WordSource::Title);
    }
    for name in &names.bundle {
        words.add(name, WordSource::Bundle);
    }
    for script in &ctx.inventory.scripts {
        if let Ok(url) = url::Url::parse(script)
            && let Some(file) = url.path_segments().and_then(|mut s| s.next_back())
        {
            words.add(file, WordSource::Bundle);
        }
    }
    words
}

/// The words of a token's `iss` and `aud` claims (a URL's host name, or the text).
fn add_claim_words(words: &mut AppWords, claims: &Value) {
    let mut values: Vec<&str> = Vec::new();
    for key in ["iss", "aud"] {
        match claims.get(key) {
            Some(Value::String(v)) => values.push(v),
            Some(Value::Array(list)) => {
                values.extend(list.iter().take(5).filter_map(Value::as_str))
            }
            _ => {}
        }
    }
    for value in values {
        match url::Url::parse(value)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        {
            Some(host) => words.add(&host, WordSource::Host),
            None => words.add(value, WordSource::TokenClaim),
        }
    }
}

/// The secret search over one run: the word list (decompressed at the first HMAC
/// token), what the app says about itself, and the signers already searched.
struct SecretSearch {
    dictionary: Option<Arc<Dictionary>>,
    app: AppWords,
    /// `alg`, `kid` and `iss` of tokens already searched: one signer's tokens share a
    /// key, so one search per signer is enough (the identities' tokens usually do).
    searched: Vec<String>,
}

impl SecretSearch {
    fn new(app: AppWords) -> SecretSearch {
        SecretSearch {
            dictionary: None,
            app,
            searched: Vec::new(),
        }
    }

    /// Searches `token`'s secret on a blocking thread (it costs up to a few hundred
    /// milliseconds of CPU, which must not stall the scan's other probes).
    async fn run(
        &mut self,
        token: &Jwt,
        target: SignedInput,
    ) -> Result<secret_search::Outcome, String> {
        let dictionary = match &self.dictionary {
            Some(d) => Arc::clone(d),
            None => {
                let d = tokio::task::spawn_blocking(Dictionary::builtin)
                    .await
                    .map_err(|e| format!("the word list could not be read: {e}"))?;
                Arc::clone(self.dictionary.insert(Arc::new(d)))
            }
        };
        let mut words = self.app.clone();
        add_claim_words(&mut words, &token.claims);
        let words = words.ranked();
        tokio::task::spawn_blocking(move || {
            secret_search::search(&target, &Guesses::new(&dictionary, words))
        })
        .await
        .map_err(|e| format!("the secret search stopped: {e}"))
    }
}

/// Who signed a token, as far as the token says.
fn signer(token: &Jwt) -> String {
    let text = |v: Option<&Value>| v.map_or(String::new(), Value::to_string);
    format!(
        "{} {} {}",
        token.alg(),
        text(token.header.get("kid")),
        text(token.claims.get("iss"))
    )
}

/// An HMAC signature tried offline against framework placeholders, common weak secrets,
/// the app's own words and an English dictionary, with mutations (no request spent).
async fn check_weak_secret(
    t: &TokenUnderTest<'_>,
    secrets: &mut SecretSearch,
    run: &mut ProbeRun,
    seen: &mut Vec<&'static str>,
) {
    if !t.token.alg().starts_with("HS") {
        return;
    }
    run.checks += 1;
    let id = t.identity.id;
    let Some(target) = t.token.signed_input() else {
        run.notes.push(format!(
            "{id}: the token's {} signature is malformed; its secret was not searched",
            t.token.alg()
        ));
        return;
    };
    let signer = signer(t.token);
    if secrets.searched.contains(&signer) {
        return;
    }
    secrets.searched.push(signer);
    let outcome = match secrets.run(t.token, target).await {
        Ok(o) => o,
        Err(why) => {
            run.notes.push(format!("{id}: {why}"));
            return;
        }
    };
    let guesses = if outcome.tried == 1 {
        "1 HMAC secret guess".to_string()
    } else {
        format!("{} HMAC secret guesses", outcome.tried)
    };
    run.notes.push(format!(
        "{id}: {guesses} tried offline in {} ms",
        outcome.elapsed.as_millis()
    ));
    let Some(found) = outcome.found else {
        return;
    };
    t.ctx.http.redactor().add(&found.secret);
    let f = t
        .finding("jwt.weak-secret", Severity::Critical, Confidence::Confirmed)
        .title("JWT signed with a guessable secret")
        .detail(format!(
            "The {} signature of identity `{id}`'s token verifies with a secret guessed \
             offline: {} ({}), guess number {} of the search. Anyone can run the same \
             search and mint tokens for any user.",
            t.token.alg(),
            found.kind.describe(),
            mask(&found.secret),
            outcome.tried,
        ))
        .evidence(t.evidence("token signed with a guessable secret"))
        .remediation(
            "Sign tokens with a random secret of at least 256 bits kept out of the code \
             (or an asymmetric key), and rotate it now.",
        )
        .build();
    push_once(run, seen, "weak-secret", f);
}

/// Forged tokens the server must refuse: `alg: none`, a stripped signature, a tampered
/// claim. Sent only when the check request tells a good token from a bad one.
async fn check_forgeries(t: &TokenUnderTest<'_>, run: &mut ProbeRun, seen: &mut Vec<&'static str>) {
    if let Err(why) = forgeries_judgeable(t).await {
        run.notes.push(why);
        return;
    }
    let token = t.token;
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
        let Some(resp) = check_with(t.ctx, t.identity, t.placement, &forged).await else {
            continue;
        };
        if !accepted(t.identity, &resp) {
            continue;
        }
        let f = t
            .finding(probe_id, Severity::Critical, Confidence::Confirmed)
            .title(format!("Server accepts {what}"))
            .detail(format!(
                "Identity `{}`'s check request succeeded with {what} ({}): the server does not \
                 verify token signatures properly, so anyone can forge a session.",
                t.identity.id, t.where_
            ))
            .evidence(
                t.ctx
                    .http
                    .evidence(&format!("{what}, accepted"), &resp, None),
            )
            .remediation(
                "Verify every token's signature with a fixed algorithm allowlist (never `none`) \
                 before reading its claims.",
            )
            .build();
        push_once(run, seen, check, f);
    }
}

/// Whether forgeries can be judged: the check request accepts the identity's own token
/// and refuses an invalid one. The error is the run's note saying why not.
async fn forgeries_judgeable(t: &TokenUnderTest<'_>) -> Result<(), String> {
    let id = t.identity.id;
    let Some(baseline) = &t.baseline else {
        return Err(format!(
            "{id}: no check request, forged tokens not tried (set identities.{id}.check)"
        ));
    };
    if !accepted(t.identity, baseline) {
        return Err(format!(
            "{id}: the check request refused the identity's own token; forgeries not tried"
        ));
    }
    let garbage = format!(
        "{}.{}.AAAA",
        t.token.parts().0,
        encode(&json!({"sub": "prodready"}))
    );
    match check_with(t.ctx, t.identity, t.placement, &garbage).await {
        Some(r) if !accepted(t.identity, &r) => Ok(()),
        _ => Err(format!(
            "{id}: the check request accepts an invalid token too; forgeries cannot be judged"
        )),
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
    use hmac::{Hmac, Mac};

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
