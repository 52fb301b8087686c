//! Privileged fields at signup: a fresh, scanner-named account signed up with `role:
//! "admin"`, `is_admin: true` and the privilege fields the app's own answers name must
//! not get them. The new account is read back the ways the app hands a role out: the
//! signup answer, the login answer, the token's claims and the profile (`/me`).
//!
//! A value that shows is compared with a plain signup's account, since many apps make
//! every new account the admin of its own new organisation: only a privilege the body
//! chose is a finding. Accounts cannot be deleted by the scan: each one the app takes
//! is recorded as a leftover (the report's warnings, the scorecard). At most
//! [`MAX_SIGNUPS`] signup requests are sent; a body refused for naming a field is
//! retried without it, so a strict app costs no account at all.

use serde_json::{Map, Value};
use url::Url;

use super::Outcome;
use super::privilege::{self, Field};
use crate::auth::{login, token};
use crate::config::{ConfigRequest, IdentityConfig, Login, Secret};
use crate::discover::Endpoint;
use crate::engine::Context;
use crate::families::ratelimit;
use crate::http::{Request, Response, Session};
use crate::model::{Confidence, Finding, IdentityId, Item, Location, Severity};

/// Signup requests one scan sends at most: the privileged one, its retries without the
/// fields a refusal named, and one plain signup to compare with.
const MAX_SIGNUPS: usize = 5;

/// The account a signup makes: scanner-named, with a fresh strong password.
struct Account {
    email: String,
    username: String,
    password: String,
}

impl Account {
    /// An address at the domain of `like` (a test identity's username), which the app
    /// is known to take, else at `example.com`.
    fn new(like: Option<&str>) -> Account {
        let tag = format!("{:010x}", rand::random::<u64>() & 0xff_ffff_ffff);
        let domain = like
            .and_then(|l| l.rsplit_once('@'))
            .map(|(_, d)| d)
            .filter(|d| d.contains('.') && !d.starts_with('.'))
            .unwrap_or("example.com");
        Account {
            email: format!("prodready-signup-{tag}@{domain}"),
            username: format!("prodready{tag}"),
            password: format!("Pr0d!{:016x}x", rand::random::<u64>()),
        }
    }
}

/// Where signups go, and how the new account logs in.
struct Plan {
    method: String,
    url: Url,
    endpoint: Option<Endpoint>,
    /// A test identity's password login, reused with the new account's credentials.
    template: Option<IdentityConfig>,
    /// A test identity's check request: the profile (`/me`) the new account reads.
    profile: Option<ConfigRequest>,
}

impl Plan {
    /// The username the new account logs in with: its address when the test
    /// identities log in with one, else its user name.
    fn login_name<'a>(&self, account: &'a Account) -> &'a str {
        let by_email = self
            .template
            .as_ref()
            .and_then(crate::auth::flow::username)
            .is_none_or(|u| u.contains('@'));
        if by_email {
            &account.email
        } else {
            &account.username
        }
    }

    fn login_field(&self) -> Option<&str> {
        match self.template.as_ref().map(|t| &t.login) {
            Some(Login::Json { username_field, .. }) => Some(username_field),
            Some(Login::Form { username_field, .. }) => username_field.as_deref(),
            _ => None,
        }
    }
}

/// The password login of a test identity, JSON first (no page to fetch), tenants
/// before the admin.
fn login_template(ctx: &Context) -> Option<IdentityConfig> {
    let mut configs: Vec<&IdentityConfig> = ctx
        .identities
        .authenticated()
        .filter_map(|i| i.config.as_ref())
        .filter(|c| crate::auth::flow::has_password_flow(c))
        .collect();
    configs.sort_by_key(|c| {
        (
            !matches!(c.login, Login::Json { .. }),
            c.id == IdentityId::Admin,
        )
    });
    configs.first().map(|c| (*c).clone())
}

/// A valid signup body for `account`: the fields the endpoint is known to take, each
/// with a value of its kind (the password twice where it is confirmed, terms accepted).
fn signup_body(plan: &Plan, account: &Account) -> Map<String, Value> {
    let example = plan
        .endpoint
        .as_ref()
        .and_then(|e| e.body_example.as_ref())
        .and_then(Value::as_object)
        .cloned();
    let mut keys: Vec<(String, Value)> = match example {
        Some(m) => m.into_iter().collect(),
        None => plan
            .endpoint
            .as_ref()
            .map(|e| ratelimit::field_names(e).0)
            .unwrap_or_default()
            .into_iter()
            .map(|k| (k, Value::Null))
            .collect(),
    };
    let login_field = plan.login_field().unwrap_or("email").to_string();
    for needed in [login_field.as_str(), "password"] {
        let n = privilege::normalized(needed);
        if !keys
            .iter()
            .any(|(k, _)| privilege::normalized(k).contains(&n))
        {
            keys.push((needed.to_string(), Value::Null));
        }
    }
    let tag = account.username.trim_start_matches("prodready");
    let mut body = Map::new();
    for (k, example) in keys {
        let n = privilege::normalized(&k);
        let v = if n.contains("pass") {
            Value::from(account.password.clone())
        } else if k == login_field {
            Value::from(plan.login_name(account))
        } else if n.contains("email") || n == "login" {
            Value::from(account.email.clone())
        } else if n.contains("user") && n.contains("name") {
            Value::from(account.username.clone())
        } else if let Value::Bool(b) = example {
            let consent = ["terms", "accept", "agree", "consent", "tos", "privacy"];
            Value::from(b || consent.iter().any(|c| n.contains(c)))
        } else if example.is_number() {
            example
        } else if n.contains("name") {
            Value::from("Prodready Check")
        } else {
            Value::from(format!("prodready-{tag}"))
        };
        body.insert(k, v);
    }
    body
}

fn with_fields(base: &Map<String, Value>, fields: &[Field]) -> Value {
    let mut m = base.clone();
    for f in fields {
        m.insert(f.name.clone(), f.value.clone());
    }
    Value::Object(m)
}

/// Where a read-back of the new account came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Signup,
    Login,
    Token,
    Profile,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Signup => "the signup answer",
            Source::Login => "the login answer",
            Source::Token => "the token's claims",
            Source::Profile => "the profile",
        }
    }
}

/// What the app says about one new account, each with the response it came in.
struct Readback {
    answers: Vec<(Source, Value, Response)>,
    /// Why the new account could not log in, when it could not.
    note: Option<String>,
}

impl Readback {
    /// The answers that decide a field: those read after the signup when one of them
    /// names it (the signup answer may merely echo the request), else the signup answer.
    fn decisive(&self, field: &Field) -> &'static [Source] {
        const LATER: &[Source] = &[Source::Profile, Source::Token, Source::Login];
        let settled = self
            .answers
            .iter()
            .any(|(s, v, _)| LATER.contains(s) && privilege::names_key(v, &field.name));
        if settled { LATER } else { &[Source::Signup] }
    }

    /// The first deciding answer holding the field's injected value.
    fn shows(&self, field: &Field) -> Option<&(Source, Value, Response)> {
        self.decisive(field)
            .iter()
            .find_map(|s| self.shows_in(*s, field))
    }

    fn shows_in(&self, source: Source, field: &Field) -> Option<&(Source, Value, Response)> {
        self.answers
            .iter()
            .find(|(s, v, _)| *s == source && privilege::shows(v, field))
    }

    fn has(&self, source: Source) -> bool {
        self.answers.iter().any(|(s, _, _)| *s == source)
    }

    fn sources(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for (s, _, _) in &self.answers {
            if !seen.contains(&s.describe()) {
                seen.push(s.describe());
            }
        }
        seen.join(", ")
    }
}

/// Reads the new account back: the signup answer, a login as it (its answer and token
/// claims), and the profile the test identities' check request reads, in the login's
/// session (else the signup's own: apps that log a new account in at once).
async fn read_back(
    ctx: &Context,
    plan: &Plan,
    account: &Account,
    signup: &Response,
    signed_up: &Session,
) -> Readback {
    let mut rb = Readback {
        answers: Vec::new(),
        note: None,
    };
    if let Some(json) = signup.json() {
        rb.answers.push((Source::Signup, json, signup.clone()));
    }
    let fresh = Session::scratch(IdentityId::Anonymous, "signup check");
    let session = match login_as(ctx, plan, account, &fresh).await {
        Ok(landing) => {
            if let Some(json) = landing.json() {
                rb.answers.push((Source::Login, json, landing.clone()));
            }
            for claims in token::session_claims(&fresh) {
                rb.answers.push((Source::Token, claims, landing.clone()));
            }
            &fresh
        }
        Err(why) => {
            rb.note = Some(why);
            signed_up
        }
    };
    if let Some(check) = &plan.profile {
        let req =
            Request::new(&check.method, check.url.clone()).header("Accept", "application/json");
        if let Ok(resp) = ctx.http.send(session, req).await
            && resp.is_success()
            && let Some(json) = resp.json()
        {
            rb.answers.push((Source::Profile, json, resp));
        }
    }
    rb
}

/// Logs the new account in through a test identity's password login, in `session`.
async fn login_as(
    ctx: &Context,
    plan: &Plan,
    account: &Account,
    session: &Session,
) -> Result<Response, String> {
    let mut cfg = plan
        .template
        .clone()
        .ok_or("no test identity logs in with a password to log in the same way")?;
    match &mut cfg.login {
        Login::Json {
            username, password, ..
        }
        | Login::Form {
            username, password, ..
        }
        | Login::Basic {
            username, password, ..
        } => {
            *username = plan.login_name(account).to_string();
            *password = Secret::new(account.password.clone());
        }
        Login::Token { .. }
        | Login::Cookie { .. }
        | Login::Supabase { .. }
        | Login::Firebase { .. } => {
            return Err("no password login to reuse".into());
        }
    }
    match login::login(&ctx.http, session, &cfg).await {
        Ok(Some(landing)) => Ok(landing),
        Ok(None) => Err("the login gave no answer".into()),
        Err(e) => Err(ctx.http.redactor().text(&e.to_string())),
    }
}

/// Counts signup requests against [`MAX_SIGNUPS`] and records every account the app took.
struct Signups<'a> {
    ctx: &'a Context,
    plan: &'a Plan,
    session: Session,
    sent: usize,
}

impl Signups<'_> {
    /// Signs `account` up with `fields` added; `None` when the budget is spent or the
    /// request failed.
    async fn send(&mut self, account: &Account, fields: &[Field]) -> Option<Response> {
        if self.sent >= MAX_SIGNUPS {
            return None;
        }
        self.sent += 1;
        let body = with_fields(&signup_body(self.plan, account), fields);
        let req = Request::new(&self.plan.method, self.plan.url.clone())
            .json(&body)
            .header("Accept", "application/json");
        // A fresh cookie jar per signup: one account's session never carries into the next.
        self.session = Session::scratch(IdentityId::Anonymous, "signup check");
        let resp = self.ctx.http.send(&self.session, req).await.ok()?;
        if resp.is_success() {
            remember_secrets(self.ctx, &self.session, &resp);
            let what = if fields.is_empty() {
                "a plain signup by the mass-assignment check, to compare with"
            } else {
                "signed up by the mass-assignment check with privileged fields in its body"
            };
            let what = format!("account {} ({what})", account.email);
            self.ctx.owned.strand(
                &self.ctx.http.redactor().text(&what),
                "the scan cannot delete accounts; delete it in the app",
            );
        }
        Some(resp)
    }
}

/// Registers what a signup answer handed the new account (its cookies, tokens in its
/// JSON) with the redactor, so no report shows them.
fn remember_secrets(ctx: &Context, session: &Session, resp: &Response) {
    for c in session.with_jar(|j| j.cookies().to_vec()) {
        ctx.http.redactor().add(&c.value);
    }
    let secret_words = ["token", "secret", "session", "jwt", "apikey"];
    for (k, v) in resp
        .json()
        .as_ref()
        .map(privilege::leaves)
        .unwrap_or_default()
    {
        let n = privilege::normalized(&k);
        // Long values only: a short word redacted would shred the report's text.
        if let Value::String(text) = v
            && text.len() >= 16
            && secret_words.iter().any(|w| n.contains(w))
        {
            ctx.http.redactor().add(&text);
        }
    }
}

/// Tries privileged fields at signup, if the app has a signup endpoint.
pub(super) async fn check(ctx: &Context, fields: &[Field], out: &mut Outcome) {
    let Some((method, url, endpoint)) = ratelimit::signup_endpoint(ctx) else {
        out.notes.push(
            "signup: no signup endpoint (rate_limit.signup, or one found by discovery)".into(),
        );
        return;
    };
    if endpoint
        .as_ref()
        .is_some_and(|e| ratelimit::field_names(e).1)
    {
        out.notes.push(
            "signup: the signup endpoint takes an HTML form; only JSON signups are tried".into(),
        );
        return;
    }
    let template = login_template(ctx);
    let profile = template.as_ref().and_then(|t| t.check.clone()).or_else(|| {
        ctx.identities
            .authenticated()
            .find_map(|i| i.config.as_ref()?.check.clone())
    });
    let plan = Plan {
        method,
        url,
        endpoint,
        template,
        profile,
    };
    let like = plan
        .template
        .as_ref()
        .and_then(crate::auth::flow::username)
        .map(str::to_string);
    let mut signups = Signups {
        ctx,
        plan: &plan,
        session: Session::scratch(IdentityId::Anonymous, "signup check"),
        sent: 0,
    };
    let account = Account::new(like.as_deref());
    ctx.http.redactor().add(&account.password);
    let Some((resp, sent)) = privileged_signup(&mut signups, &account, fields, out).await else {
        return;
    };
    let privileged = read_back(ctx, &plan, &account, &resp, &signups.session).await;
    if let Some(why) = &privileged.note {
        out.notes.push(format!(
            "signup: the new account could not log in ({why}); read back: {}",
            privileged.sources()
        ));
    }
    let shown: Vec<&Field> = sent
        .iter()
        .filter(|f| privileged.shows(f).is_some())
        .collect();
    if shown.is_empty() {
        out.checks += 1;
        out.notes.push(format!(
            "signup: an account signed up with {} shows none of them ({})",
            privilege::names(&sent),
            privileged.sources()
        ));
        return;
    }
    // Values every new account gets (the admin of its own new organisation) are no finding.
    let control = Account::new(like.as_deref());
    ctx.http.redactor().add(&control.password);
    let Some(plain) = signups
        .send(&control, &[])
        .await
        .filter(Response::is_success)
    else {
        out.notes.push(format!(
            "signup: {} showed on the new account, but a plain signup to compare with failed: not judged",
            privilege::names(shown)
        ));
        return;
    };
    let baseline = read_back(ctx, &plan, &control, &plain, &signups.session).await;
    out.checks += 1;
    let mut hits: Vec<Hit> = Vec::new();
    let mut defaults: Vec<&Field> = Vec::new();
    for f in shown {
        match compare(&privileged, &baseline, f) {
            Some(source) => hits.push(Hit { field: f, source }),
            None => defaults.push(f),
        }
    }
    if !defaults.is_empty() {
        out.notes.push(format!(
            "signup: {} showed on a plain signup's account too, or could not be compared \
             with it (the app's default for new accounts)",
            privilege::names(defaults)
        ));
    }
    if !hits.is_empty() {
        out.findings
            .push(finding(ctx, &plan, &account, &hits, &privileged, &baseline));
    }
}

/// A privileged field the body chose, and the answer that shows it.
struct Hit<'f> {
    field: &'f Field,
    source: Source,
}

/// The deciding answer (see [`Readback::decisive`]) that shows `field` on the
/// privileged account while the same answer for the plain signup's account does not.
fn compare(privileged: &Readback, baseline: &Readback, field: &Field) -> Option<Source> {
    privileged.decisive(field).iter().copied().find(|s| {
        privileged.shows_in(*s, field).is_some()
            && baseline.has(*s)
            && baseline.shows_in(*s, field).is_none()
    })
}

/// Signs up with the privileged fields, leaving out those a refusal names. Returns the
/// answer and the fields it was sent with, or `None` (with a note, and a check when the
/// refusal itself is the verdict).
async fn privileged_signup(
    signups: &mut Signups<'_>,
    account: &Account,
    fields: &[Field],
    out: &mut Outcome,
) -> Option<(Response, Vec<Field>)> {
    let ordinary: Vec<String> = signup_body(signups.plan, account).keys().cloned().collect();
    let mut fields = fields.to_vec();
    let mut refused: Vec<Field> = Vec::new();
    // One signup is kept for the plain signup to compare with.
    while signups.sent + 1 < MAX_SIGNUPS {
        let Some(resp) = signups.send(account, &fields).await else {
            out.notes
                .push("signup: the signup request got no answer: not judged".into());
            return None;
        };
        if resp.is_success() {
            return Some((resp, fields));
        }
        if matches!(resp.status, 400 | 422) {
            let named: Vec<Field> = privilege::named_in_refusal(&resp.text(), &fields, &ordinary)
                .into_iter()
                .cloned()
                .collect();
            if !named.is_empty() {
                fields.retain(|f| !named.contains(f));
                refused.extend(named);
                if fields.is_empty() {
                    out.checks += 1;
                    out.notes.push(format!(
                        "signup: refused every privileged field by name ({})",
                        privilege::names(&refused)
                    ));
                    return None;
                }
                continue;
            }
        }
        return refused_signup(signups, &resp, &fields, out).await;
    }
    // Every refusal named a privileged field: the app rejects fields it does not take.
    out.checks += 1;
    out.notes.push(format!(
        "signup: refused the privileged fields by name ({})",
        privilege::names(&refused)
    ));
    None
}

/// A privileged signup was refused without naming a field: a plain signup tells
/// whether the fields or the signup itself were refused.
async fn refused_signup(
    signups: &mut Signups<'_>,
    refusal: &Response,
    fields: &[Field],
    out: &mut Outcome,
) -> Option<(Response, Vec<Field>)> {
    let status = refusal.status;
    if status == 429 || status >= 500 {
        out.notes.push(format!(
            "signup: answered {status} to a signup with {}: not judged",
            privilege::names(fields)
        ));
        return None;
    }
    let like = signups
        .plan
        .template
        .as_ref()
        .and_then(crate::auth::flow::username)
        .map(str::to_string);
    let control = Account::new(like.as_deref());
    signups.ctx.http.redactor().add(&control.password);
    match signups.send(&control, &[]).await {
        Some(plain) if plain.is_success() => {
            out.checks += 1;
            out.notes.push(format!(
                "signup: refused a body with {} ({status}) and took a plain one",
                privilege::names(fields)
            ));
        }
        Some(plain) => out.notes.push(format!(
            "signup: refused a plain body too ({}): not judged; check rate_limit.signup",
            plain.status
        )),
        None => out
            .notes
            .push("signup: a plain signup got no answer: not judged".into()),
    }
    None
}

fn finding(
    ctx: &Context,
    plan: &Plan,
    account: &Account,
    hits: &[Hit<'_>],
    privileged: &Readback,
    baseline: &Readback,
) -> Finding {
    let location = Location {
        method: plan.method.clone(),
        url: ctx.http.redactor().url(&plan.url),
    };
    let seen: Vec<String> = hits
        .iter()
        .map(|h| {
            format!(
                "{} = {} in {}",
                h.field.name,
                h.field.value,
                h.source.describe()
            )
        })
        .collect();
    // Read after the signup, not an echo of the request: confirmed.
    let confirmed = hits.iter().any(|h| h.source != Source::Signup);
    let first = &hits[0];
    let name = first.field.name.as_str();
    let mut f = Finding::builder(Item::InputValidation, "mass.privileged-field-accepted")
        .rated(
            Severity::High,
            if confirmed {
                Confidence::Confirmed
            } else {
                Confidence::Firm
            },
        )
        .title("Signup takes privileged fields from the request body (mass assignment)")
        .detail(format!(
            "{} {} signed up a new account with {} in the body, and the account has them ({}); \
             a plain signup's account does not. Anyone can sign up with privileges of their \
             choosing. The account {} was left in the app: delete it.",
            plan.method,
            location.url,
            privilege::names(hits.iter().map(|h| h.field)),
            seen.join("; "),
            account.email
        ))
        .at(location)
        .discriminator("signup")
        .build();
    if let Some((s, _, r)) = privileged.shows_in(first.source, first.field) {
        f = f.with_evidence(ctx.http.evidence(
            &format!("{} of the account signed up with {name}", s.describe()),
            r,
            Some(name),
        ));
    }
    if let Some((s, _, r)) = baseline.answers.iter().find(|(s, _, _)| *s == first.source) {
        f = f.with_evidence(ctx.http.evidence(
            &format!("{} of a plain signup's account", s.describe()),
            r,
            Some(name),
        ));
    }
    f.with_remediation(
        "Bind signup bodies to an explicit allowlist (email, password, name); set roles, admin \
         and verification flags on the server, never from the request. Remove the accounts \
         this scan made.",
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::discover::Origin;

    fn plan(example: Option<Value>) -> Plan {
        let url = Url::parse("http://127.0.0.1:1/api/auth/signup").unwrap();
        Plan {
            method: "POST".into(),
            url: url.clone(),
            endpoint: Some(Endpoint {
                method: "POST".into(),
                pattern: "/api/auth/signup".into(),
                origins: [Origin::OpenApi].into(),
                examples: vec![url],
                params: Vec::new(),
                body_example: example,
                requires_auth: Some(false),
                observations: Vec::new(),
                sent_as: None,
            }),
            template: None,
            profile: None,
        }
    }

    #[test]
    fn a_signup_body_fills_every_known_field_by_kind() {
        let p = plan(Some(json!({"organization": "string", "name": "string",
            "email": "user@example.com", "password": "string", "password_confirmation": "x",
            "accept_terms": false, "seats": 3})));
        let a = Account::new(Some("alice@acme.example"));
        let body = signup_body(&p, &a);
        assert!(body["email"].as_str().unwrap().ends_with("@acme.example"));
        assert!(
            body["email"]
                .as_str()
                .unwrap()
                .starts_with("prodready-signup-")
        );
        assert_eq!(body["password"], json!(a.password));
        assert_eq!(body["password_confirmation"], json!(a.password));
        assert_eq!(body["accept_terms"], json!(true));
        assert_eq!(body["seats"], json!(3));
        assert_eq!(body["name"], json!("Prodready Check"));
        assert!(
            body["organization"]
                .as_str()
                .unwrap()
                .starts_with("prodready-")
        );
        // Nothing known: an address and a password.
        let bare = signup_body(&plan(None), &a);
        assert_eq!(bare.keys().collect::<Vec<_>>(), vec!["email", "password"]);
    }

    fn readback(answers: Vec<(Source, Value)>) -> Readback {
        let url = Url::parse("http://127.0.0.1:1/api/me").unwrap();
        Readback {
            answers: answers
                .into_iter()
                .map(|(s, v)| {
                    let r = Response::synthetic(url.clone(), 200, Vec::new(), v.to_string());
                    (s, v, r)
                })
                .collect(),
            note: None,
        }
    }

    #[test]
    fn only_what_a_plain_signup_lacks_is_a_privilege_the_body_chose() {
        let field = |name: &str, value: Value| Field {
            name: name.into(),
            value,
            learned: None,
        };
        let privileged = readback(vec![
            (
                Source::Signup,
                json!({"user": {"role": "admin", "staff": true, "verified": true}}),
            ),
            (Source::Profile, json!({"role": "admin", "staff": true})),
        ]);
        let plain = readback(vec![
            (
                Source::Signup,
                json!({"user": {"role": "admin", "staff": false}}),
            ),
            (Source::Profile, json!({"role": "admin", "staff": false})),
        ]);
        // Every new account is an admin (of its own organisation): no finding.
        assert_eq!(
            compare(&privileged, &plain, &field("role", json!("admin"))),
            None
        );
        // Read after the signup first.
        assert_eq!(
            compare(&privileged, &plain, &field("staff", json!(true))),
            Some(Source::Profile)
        );
        assert_eq!(
            compare(&privileged, &plain, &field("verified", json!(true))),
            Some(Source::Signup)
        );
        // A signup answer that echoes the body is overruled by the profile.
        let echo = readback(vec![
            (Source::Signup, json!({"staff": true})),
            (Source::Profile, json!({"staff": false})),
        ]);
        assert!(echo.shows(&field("staff", json!(true))).is_none());
        // Nothing to compare with: not judged.
        let nothing = readback(Vec::new());
        assert_eq!(
            compare(&privileged, &nothing, &field("staff", json!(true))),
            None
        );
    }

    #[test]
    fn passwords_are_strong_and_addresses_fall_back_to_a_reserved_domain() {
        let a = Account::new(Some("not-an-email"));
        assert!(a.email.ends_with("@example.com"), "{}", a.email);
        assert!(a.password.len() >= 20);
        assert!(a.password.chars().any(|c| c.is_ascii_uppercase()));
        assert!(a.password.chars().any(|c| c.is_ascii_digit()));
        assert!(a.password.chars().any(|c| !c.is_ascii_alphanumeric()));
        assert_ne!(a.password, Account::new(None).password);
    }
}
