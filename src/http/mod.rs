//! The one HTTP layer every probe uses: rate limit, scope, caps, identities, evidence.

mod client;
mod jar;
mod message;
mod redact;
mod tally;
mod tls;

pub use client::{HttpError, HttpLayer, HttpSettings, Observer, Session, evidence};
pub use jar::{CookieJar, StoredCookie};
pub use message::{Body, Request, Response, SentRequest};
pub use redact::{REDACTED, Redactor, is_sensitive_header};
// The scope is a value the config builds and this layer enforces; it lives in the
// model so the config does not depend on the HTTP layer.
pub use crate::model::{Scope, ScopeError};
pub use tally::labelled;
pub use tls::TlsProblem;
