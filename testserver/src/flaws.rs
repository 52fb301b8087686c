//! The deliberate flaws the app can be started with, one per checklist failure mode.
//!
//! A flaw is switched on for the whole process. Code that behaves differently
//! under a flaw asks `state.flaw(Flaw::X)` at the one place where the hardened
//! and the flawed behaviour part ways, so each flaw stays easy to find.

use prodready_model::Item;
use std::fmt;

/// One deliberate weakness of the test app. Each flaw makes exactly one
/// checklist item of the scanner fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flaw {
    /// Internal errors and request-body errors are rendered with the error
    /// chain and a real backtrace; panics show their message and location.
    StackTrace,
    /// Debug mode: a developer 404 page listing the route table and build
    /// versions, and runtime internals at `/debug/vars` and `/debug/routes`.
    DebugPage,
    /// Search endpoints build SQL by string concatenation and answer with the
    /// SQLite error text and the failing query.
    SqlError,
    /// Login (JSON and form) looks the email up with SQL built by concatenation; a quote
    /// in the email breaks the statement, answered with the SQLite error, the query and
    /// a backtrace.
    LoginSqlError,
    /// Reading one invoice (id in the path or the query) or one document (slug in
    /// a lookup body) does not check the caller's organisation.
    IdorRead,
    /// Updating and deleting a project does not check the caller's organisation.
    IdorWrite,
    /// Reading and replacing a cart (whose id only the owner's login answer hands out)
    /// does not check the caller.
    IdorCart,
    IdorForm,
    /// List and search queries drop the organisation condition ("the UI filters").
    ListAllTenants,
    /// `/api/me` and the admin user list serialise the password hash.
    SensitiveFields,
    /// Admin endpoints check that the caller is logged in, not that it is an admin.
    MissingRoleCheck,
    /// Orders are written row by row without a transaction: a bad later item
    /// leaves the order and its earlier items behind.
    NonAtomicOrder,
    /// Coupon redemption checks, then (after a slow step) sets: concurrent
    /// requests all see the coupon unredeemed.
    DoubleRedeem,
    /// Audit logging is switched off in the app's settings.
    NoAuditTrail,
    /// No security headers at all: no CSP, HSTS, nosniff, frame or referrer policy.
    NoSecurityHeaders,
    /// A CSP that lets inline scripts, eval and any https: script run.
    WeakCsp,
    /// CORS reflects any Origin with `Access-Control-Allow-Credentials: true`.
    CorsReflectOrigin,
    /// CORS allows the `null` origin (sandboxed iframes, data: URLs) with credentials.
    CorsNullOrigin,
    /// The CORS allowlist matches origins by suffix (`ends_with("ledgerline.example")`),
    /// so `https://evil-app.ledgerline.example`-style hosts get in with credentials.
    CorsSuffixMatch,
    /// The CSP trusts a script nonce written once into the config: the same on every
    /// response, so an injected script can carry it.
    StaticCspNonce,
    /// The session cookie is readable by scripts (no HttpOnly) and sent cross-site.
    InsecureSessionCookie,
    /// A sliding-expiry middleware re-issues the session cookie on every page a logged-in
    /// user visits, without the HttpOnly and SameSite flags the login set.
    RollingSessionCookie,
    /// The token verifier accepts tokens whose header says `alg: none`, unsigned.
    JwtAlgNone,
    /// Access tokens are signed with a secret from every public weak-secret list.
    WeakJwtSecret,
    /// Access tokens live 30 days instead of 15 minutes.
    LongLivedToken,
    /// Logout clears the cookie but the token or server-side session stays valid.
    NoLogoutRevocation,
    /// Login says whether the email exists (different status and message).
    UserEnumeration,
    /// Login attempts are never throttled.
    NoLoginRateLimit,
    /// Signups are never throttled.
    NoSignupRateLimit,
    /// Limiters key on `X-Forwarded-For`/`X-Real-IP` when sent, so a client resets them at will.
    RateLimitXffBypass,
    /// The main bundle carries a Stripe live secret key next to the publishable one.
    SecretInBundle,
    /// A lazily loaded chunk (named only in the bundle's webpack chunk map) carries an
    /// OpenAI API key.
    SecretInLazyChunk,
    /// The bundle's demo-login helper carries a real account's e-mail and password, as
    /// an end-to-end smoke test left them.
    CredentialsInBundle,
    /// The bundle points to its source map, served with the original sources, one of
    /// which holds a GitLab token the minified bundle no longer contains.
    SourceMapExposed,
    /// `/.env` is served with the production environment file.
    DotenvExposed,
    /// Resource bodies (projects, invoices, documents) are read without validation:
    /// any content type, and a body that does not decode crashes into a (safe) 500.
    NoInputValidation,
    /// Project bodies are bound leniently (unknown fields ignored) and `owner_id` is
    /// taken from the client.
    MassAssignment,
    /// Signup binds its body onto the new user: `role` and the platform `staff` flag
    /// come from the client and show in `/api/me`, the login answer and the token.
    SignupRole,
    /// Supabase mode: the `notes` table has Row Level Security switched off, so the
    /// anon key alone reads and writes every user's notes.
    RlsOffNotes,
    /// Supabase mode: `notes` restricts SELECT to the owner, but its INSERT and UPDATE
    /// policies check nothing (`with check (true)`): anyone signed in writes rows in
    /// another user's name.
    RlsOwnerOnlyOnSelect,
    /// Supabase mode: the `attachments` bucket's SELECT policy on `storage.objects` is
    /// `using (true)`: anyone lists and downloads every user's files.
    PublicBucket,
    /// Supabase mode: the bundle also builds an admin client with the `service_role`
    /// key, which bypasses every row policy.
    ServiceRoleKeyInBundle,
    /// Firebase app: the Realtime Database rules grant `".read": true` at the root (the
    /// read half of "test mode"), so anyone can read every user's notes.
    RtdbOpen,
    /// Firebase app: the Realtime Database rules grant `".read": "auth != null"` at the
    /// root, so any signed-in user reads every other user's notes.
    RtdbAnyUserReads,
    /// Firebase app: the Firestore rules for `notes` say `allow read: if true`.
    FirestoreOpenNotes,
    /// Firebase app: the Firestore rules for `notes` check the owner on create and read
    /// but let any signed-in user update or delete a note.
    FirestoreAnyUserWrites,
    /// Firebase app: the Storage rules say `allow read: if true`, so anyone lists the bucket.
    FirebasePublicStorage,
}

impl Flaw {
    /// Every flaw, in the order `--list-flaws` prints them.
    pub const ALL: &'static [Flaw] = &[
        Flaw::StackTrace,
        Flaw::DebugPage,
        Flaw::SqlError,
        Flaw::LoginSqlError,
        Flaw::IdorRead,
        Flaw::IdorWrite,
        Flaw::IdorCart,
        Flaw::IdorForm,
        Flaw::ListAllTenants,
        Flaw::SensitiveFields,
        Flaw::MissingRoleCheck,
        Flaw::NonAtomicOrder,
        Flaw::DoubleRedeem,
        Flaw::NoAuditTrail,
        Flaw::NoSecurityHeaders,
        Flaw::WeakCsp,
        Flaw::CorsReflectOrigin,
        Flaw::CorsNullOrigin,
        Flaw::CorsSuffixMatch,
        Flaw::StaticCspNonce,
        Flaw::InsecureSessionCookie,
        Flaw::RollingSessionCookie,
        Flaw::JwtAlgNone,
        Flaw::WeakJwtSecret,
        Flaw::LongLivedToken,
        Flaw::NoLogoutRevocation,
        Flaw::UserEnumeration,
        Flaw::NoLoginRateLimit,
        Flaw::NoSignupRateLimit,
        Flaw::RateLimitXffBypass,
        Flaw::SecretInBundle,
        Flaw::SecretInLazyChunk,
        Flaw::CredentialsInBundle,
        Flaw::SourceMapExposed,
        Flaw::DotenvExposed,
        Flaw::NoInputValidation,
        Flaw::MassAssignment,
        Flaw::SignupRole,
        Flaw::RlsOffNotes,
        Flaw::RlsOwnerOnlyOnSelect,
        Flaw::PublicBucket,
        Flaw::ServiceRoleKeyInBundle,
        Flaw::RtdbOpen,
        Flaw::RtdbAnyUserReads,
        Flaw::FirestoreOpenNotes,
        Flaw::FirestoreAnyUserWrites,
        Flaw::FirebasePublicStorage,
    ];

    /// The name used on the command line and in `--list-flaws`.
    pub fn name(self) -> &'static str {
        match self {
            Flaw::StackTrace => "stack-trace",
            Flaw::DebugPage => "debug-page",
            Flaw::SqlError => "sql-error",
            Flaw::LoginSqlError => "login-sql-error",
            Flaw::IdorRead => "idor-read",
            Flaw::IdorWrite => "idor-write",
            Flaw::IdorCart => "idor-cart",
            Flaw::IdorForm => "idor-form",
            Flaw::ListAllTenants => "list-all-tenants",
            Flaw::SensitiveFields => "sensitive-fields",
            Flaw::MissingRoleCheck => "missing-role-check",
            Flaw::NonAtomicOrder => "non-atomic-order",
            Flaw::DoubleRedeem => "double-redeem",
            Flaw::NoAuditTrail => "no-audit-trail",
            Flaw::NoSecurityHeaders => "no-security-headers",
            Flaw::WeakCsp => "weak-csp",
            Flaw::CorsReflectOrigin => "cors-reflect-origin",
            Flaw::CorsNullOrigin => "cors-null-origin",
            Flaw::CorsSuffixMatch => "cors-suffix-match",
            Flaw::StaticCspNonce => "static-csp-nonce",
            Flaw::InsecureSessionCookie => "insecure-session-cookie",
            Flaw::RollingSessionCookie => "rolling-session-cookie",
            Flaw::JwtAlgNone => "jwt-alg-none",
            Flaw::WeakJwtSecret => "weak-jwt-secret",
            Flaw::LongLivedToken => "long-lived-token",
            Flaw::NoLogoutRevocation => "no-logout-revocation",
            Flaw::UserEnumeration => "user-enumeration",
            Flaw::NoLoginRateLimit => "no-login-rate-limit",
            Flaw::NoSignupRateLimit => "no-signup-rate-limit",
            Flaw::RateLimitXffBypass => "rate-limit-xff-bypass",
            Flaw::SecretInBundle => "secret-in-bundle",
            Flaw::SecretInLazyChunk => "secret-in-lazy-chunk",
            Flaw::CredentialsInBundle => "credentials-in-bundle",
            Flaw::SourceMapExposed => "source-map-exposed",
            Flaw::DotenvExposed => "dotenv-exposed",
            Flaw::NoInputValidation => "no-input-validation",
            Flaw::MassAssignment => "mass-assignment",
            Flaw::SignupRole => "signup-role",
            Flaw::RlsOffNotes => "rls-off-notes",
            Flaw::RlsOwnerOnlyOnSelect => "rls-owner-only-on-select",
            Flaw::PublicBucket => "public-bucket",
            Flaw::ServiceRoleKeyInBundle => "service-role-key-in-bundle",
            Flaw::RtdbOpen => "rtdb-open",
            Flaw::RtdbAnyUserReads => "rtdb-any-user-reads",
            Flaw::FirestoreOpenNotes => "firestore-open-notes",
            Flaw::FirestoreAnyUserWrites => "firestore-any-user-writes",
            Flaw::FirebasePublicStorage => "firebase-public-storage",
        }
    }

    /// The checklist item this flaw makes fail.
    pub fn item(self) -> Item {
        match self {
            Flaw::StackTrace | Flaw::DebugPage | Flaw::SqlError | Flaw::LoginSqlError => {
                Item::ErrorHandling
            }
            Flaw::IdorRead | Flaw::IdorWrite | Flaw::IdorCart | Flaw::IdorForm => {
                Item::TenantIsolation
            }
            Flaw::ListAllTenants | Flaw::SensitiveFields => Item::ServerSideFiltering,
            Flaw::MissingRoleCheck => Item::Authorization,
            Flaw::NonAtomicOrder | Flaw::DoubleRedeem => Item::TransactionIntegrity,
            Flaw::NoAuditTrail => Item::AuditLogging,
            Flaw::NoSecurityHeaders
            | Flaw::WeakCsp
            | Flaw::CorsReflectOrigin
            | Flaw::CorsNullOrigin
            | Flaw::CorsSuffixMatch
            | Flaw::StaticCspNonce => Item::SecurityHeaders,
            Flaw::InsecureSessionCookie | Flaw::RollingSessionCookie => Item::Authentication,
            Flaw::JwtAlgNone
            | Flaw::WeakJwtSecret
            | Flaw::LongLivedToken
            | Flaw::NoLogoutRevocation
            | Flaw::UserEnumeration => Item::Authentication,
            Flaw::NoLoginRateLimit | Flaw::NoSignupRateLimit | Flaw::RateLimitXffBypass => {
                Item::RateLimiting
            }
            Flaw::SecretInBundle
            | Flaw::SecretInLazyChunk
            | Flaw::CredentialsInBundle
            | Flaw::SourceMapExposed
            | Flaw::DotenvExposed => Item::Secrets,
            Flaw::NoInputValidation | Flaw::MassAssignment | Flaw::SignupRole => {
                Item::InputValidation
            }
            Flaw::RlsOffNotes | Flaw::RlsOwnerOnlyOnSelect => Item::TenantIsolation,
            Flaw::PublicBucket => Item::ServerSideFiltering,
            Flaw::ServiceRoleKeyInBundle => Item::Secrets,
            // What anyone can read is item 5; what another signed-in user reaches is item 1.
            Flaw::RtdbOpen | Flaw::FirestoreOpenNotes | Flaw::FirebasePublicStorage => {
                Item::ServerSideFiltering
            }
            Flaw::RtdbAnyUserReads | Flaw::FirestoreAnyUserWrites => Item::TenantIsolation,
        }
    }

    /// One sentence on what the flaw does, for help texts and reports.
    pub fn description(self) -> &'static str {
        match self {
            Flaw::StackTrace => {
                "error responses carry the internal error chain and a backtrace; bad ids and \
                 malformed bodies reach unwrap/? paths that answer 500 with the trace"
            }
            Flaw::DebugPage => {
                "debug mode: unknown routes answer a developer 404 page with the route table and \
                 versions, and /debug/vars exposes runtime internals"
            }
            Flaw::SqlError => {
                "search endpoints (the API's and the projects page's search form) concatenate the \
                 query text into SQL and return the SQLite error and the query on failure"
            }
            Flaw::LoginSqlError => {
                "login (JSON and form) concatenates the email into SQL; a quote in it answers with \
                 the SQLite error, the query and a backtrace"
            }
            Flaw::IdorRead => {
                "invoices by id (path or query) and documents by slug (lookup body) are read \
                 without checking the caller's organisation"
            }
            Flaw::IdorWrite => {
                "projects are updated and deleted without checking the caller's organisation"
            }
            Flaw::IdorCart => {
                "carts, whose ids only the login answer hands out, are read and replaced \
                 without checking the caller"
            }
            Flaw::IdorForm => {
                "a note's page and its edit and delete forms (HTML only, no JSON API) look it up by id alone, across organisations"
            }
            Flaw::ListAllTenants => "list and search queries return every organisation's rows",
            Flaw::SensitiveFields => "/api/me and the admin user list include the password hash",
            Flaw::MissingRoleCheck => "admin endpoints accept any logged-in user",
            Flaw::NonAtomicOrder => {
                "orders are written without a transaction, so a bad later item leaves a partial order"
            }
            Flaw::DoubleRedeem => {
                "coupon redemption is check-then-set, so concurrent requests redeem one coupon several times"
            }
            Flaw::NoAuditTrail => {
                "audit logging is switched off: sensitive actions leave no record"
            }
            Flaw::NoSecurityHeaders => {
                "responses carry no CSP, HSTS, X-Content-Type-Options, X-Frame-Options, \
                 Referrer-Policy, Permissions-Policy or COOP/CORP"
            }
            Flaw::WeakCsp => {
                "the CSP allows 'unsafe-inline', 'unsafe-eval' and any https: script, with no \
                 object-src or base-uri"
            }
            Flaw::CorsReflectOrigin => {
                "CORS echoes any Origin back with Access-Control-Allow-Credentials: true"
            }
            Flaw::CorsNullOrigin => {
                "CORS allows the `null` origin with Access-Control-Allow-Credentials: true"
            }
            Flaw::CorsSuffixMatch => {
                "the CORS allowlist accepts any origin ending in ledgerline.example (meant for \
                 the company's subdomains), with Access-Control-Allow-Credentials: true"
            }
            Flaw::StaticCspNonce => {
                "the CSP trusts inline scripts carrying a nonce that is the same on every response"
            }
            Flaw::InsecureSessionCookie => {
                "the session cookie is set without HttpOnly and with SameSite=None"
            }
            Flaw::RollingSessionCookie => {
                "every page a logged-in user visits re-issues the session cookie without \
                 HttpOnly and SameSite (a sliding-expiry middleware)"
            }
            Flaw::JwtAlgNone => {
                "the bearer-token verifier accepts unsigned tokens whose header says alg: none"
            }
            Flaw::WeakJwtSecret => {
                "access tokens are signed with HS256 and a secret found on public weak-secret lists"
            }
            Flaw::LongLivedToken => "access tokens expire after 30 days instead of 15 minutes",
            Flaw::NoLogoutRevocation => {
                "logout clears the cookie but the bearer token and the server-side session stay valid"
            }
            Flaw::UserEnumeration => {
                "login answers an unknown email and a wrong password with different statuses and messages"
            }
            Flaw::NoLoginRateLimit => "login attempts (JSON and form) are never throttled",
            Flaw::NoSignupRateLimit => "signups (JSON and form) are never throttled",
            Flaw::RateLimitXffBypass => {
                "rate limiters key on X-Forwarded-For / X-Real-IP when a client sends them"
            }
            Flaw::SecretInBundle => {
                "the main JavaScript bundle ships a Stripe live secret key (sk_live_) beside the \
                 publishable key"
            }
            Flaw::SecretInLazyChunk => {
                "a lazily loaded reports chunk, named only in the bundle's webpack chunk map, \
                 ships an OpenAI API key"
            }
            Flaw::CredentialsInBundle => {
                "the main bundle's demo-login helper carries an e-mail and password pair left \
                 by an end-to-end smoke test"
            }
            Flaw::SourceMapExposed => {
                "the bundle links its source map, which embeds the original sources including a \
                 config module with a GitLab token"
            }
            Flaw::DotenvExposed => {
                "/.env serves the production environment file (database URL, session secret)"
            }
            Flaw::NoInputValidation => {
                "project, invoice and document bodies are not validated: any content type is \
                 read and a body that does not decode answers 500"
            }
            Flaw::MassAssignment => {
                "project bodies ignore unknown fields and take owner_id from the client"
            }
            Flaw::SignupRole => {
                "signup ignores unknown fields and takes role and the platform staff flag from \
                 the body; they show in /api/me, the login answer and the token's claims"
            }
            Flaw::RlsOffNotes => {
                "Supabase mode: RLS is off on the notes table; the anon key reads and writes \
                 every user's notes"
            }
            Flaw::RlsOwnerOnlyOnSelect => {
                "Supabase mode: notes restricts SELECT to the owner but INSERT and UPDATE check \
                 nothing, so users write rows in other users' names"
            }
            Flaw::PublicBucket => {
                "Supabase mode: anyone may list and download every object of the attachments \
                 bucket"
            }
            Flaw::ServiceRoleKeyInBundle => {
                "Supabase mode: the bundle carries the service_role key for an admin client"
            }
            Flaw::RtdbOpen => {
                "Firebase app: Realtime Database rules allow `.read: true` at the root, so \
                 anyone reads every user's notes and profiles"
            }
            Flaw::RtdbAnyUserReads => {
                "Firebase app: Realtime Database rules allow `.read: \"auth != null\"` at the \
                 root, so any signed-in user reads every other user's data"
            }
            Flaw::FirestoreOpenNotes => {
                "Firebase app: Firestore rules for notes say `allow read: if true`, so anyone \
                 lists every note"
            }
            Flaw::FirestoreAnyUserWrites => {
                "Firebase app: Firestore rules for notes let any signed-in user update or \
                 delete any note"
            }
            Flaw::FirebasePublicStorage => {
                "Firebase app: Storage rules say `allow read: if true`, so anyone lists the \
                 bucket's files"
            }
        }
    }

    /// The backend mode the flaw lives in (`None`: the Ledgerline app itself). A flaw of
    /// a backend mode changes nothing in the other modes.
    pub fn backend(self) -> Option<crate::baas::Kind> {
        match self {
            Flaw::RlsOffNotes
            | Flaw::RlsOwnerOnlyOnSelect
            | Flaw::PublicBucket
            | Flaw::ServiceRoleKeyInBundle => Some(crate::baas::Kind::Supabase),
            Flaw::RtdbOpen
            | Flaw::RtdbAnyUserReads
            | Flaw::FirestoreOpenNotes
            | Flaw::FirestoreAnyUserWrites
            | Flaw::FirebasePublicStorage => Some(crate::baas::Kind::Firebase),
            _ => None,
        }
    }

    /// Look a flaw up by its command-line name.
    pub fn from_name(name: &str) -> Option<Flaw> {
        Flaw::ALL.iter().copied().find(|f| f.name() == name)
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A flaw name that `FlawSet::parse` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flaw `{name}`; valid names: none, all, {}", valid_names())]
pub struct UnknownFlaw {
    /// The name as given.
    pub name: String,
}

fn valid_names() -> String {
    Flaw::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The set of flaws a server runs with. The default is no flaw: the hardened app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlawSet {
    bits: u64,
}

impl FlawSet {
    /// No flaw: the hardened app.
    pub fn none() -> Self {
        FlawSet { bits: 0 }
    }

    /// Every known flaw.
    pub fn all() -> Self {
        Flaw::ALL.iter().copied().collect()
    }

    /// Parse `none`, `all`, or a comma-separated list of flaw names
    /// (whitespace around names and empty items are ignored).
    pub fn parse(list: &str) -> Result<Self, UnknownFlaw> {
        let mut set = FlawSet::none();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "none" => {}
                "all" => set = set.union(FlawSet::all()),
                _ => match Flaw::from_name(name) {
                    Some(flaw) => set.insert(flaw),
                    None => {
                        return Err(UnknownFlaw {
                            name: name.to_string(),
                        });
                    }
                },
            }
        }
        Ok(set)
    }

    /// Whether `f` is switched on.
    pub fn contains(&self, f: Flaw) -> bool {
        self.bits & f.bit() != 0
    }

    /// Switch `f` on.
    pub fn insert(&mut self, f: Flaw) {
        self.bits |= f.bit();
    }

    /// Whether no flaw is switched on.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The flaws switched on, in `Flaw::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = Flaw> + use<> {
        let set = *self;
        Flaw::ALL.iter().copied().filter(move |f| set.contains(*f))
    }

    fn union(self, other: FlawSet) -> FlawSet {
        FlawSet {
            bits: self.bits | other.bits,
        }
    }
}

impl FromIterator<Flaw> for FlawSet {
    fn from_iter<I: IntoIterator<Item = Flaw>>(iter: I) -> Self {
        let mut set = FlawSet::none();
        for f in iter {
            set.insert(f);
        }
        set
    }
}

impl fmt::Display for FlawSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(Flaw::name).collect();
        f.write_str(&names.join(","))
    }
}

impl std::str::FromStr for FlawSet {
    type Err = UnknownFlaw;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FlawSet::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_none_all_and_lists() {
        assert!(FlawSet::parse("none").unwrap().is_empty());
        assert!(FlawSet::parse("").unwrap().is_empty());
        let all = FlawSet::parse("all").unwrap();
        assert!(Flaw::ALL.iter().all(|f| all.contains(*f)));
        let two = FlawSet::parse("sql-error, stack-trace").unwrap();
        assert_eq!(
            two.iter().collect::<Vec<_>>(),
            vec![Flaw::StackTrace, Flaw::SqlError]
        );
        assert!(!two.contains(Flaw::DebugPage));
        assert_eq!(two.to_string(), "stack-trace,sql-error");
    }

    #[test]
    fn unknown_names_are_reported_with_the_valid_ones() {
        let err = FlawSet::parse("stack-trace,nope").unwrap_err();
        assert_eq!(err.name, "nope");
        let msg = err.to_string();
        assert!(msg.contains("`nope`"), "{msg}");
        for f in Flaw::ALL {
            assert!(msg.contains(f.name()), "{msg}");
        }
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for f in Flaw::ALL {
            assert_eq!(Flaw::from_name(f.name()), Some(*f));
            assert!(!f.description().is_empty());
            assert_ne!(f.item(), Item::CodeOwnership, "item 12 cannot be observed");
        }
        let mut names: Vec<_> = Flaw::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Flaw::ALL.len());
    }
}
