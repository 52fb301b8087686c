//! The one HTTP layer every probe uses: rate limit, scope, caps, identities, evidence.

mod client;
mod jar;
mod message;
mod redact;
mod scope;
mod tally;

pub use client::{HttpError, HttpLayer, HttpSettings, Observer, Session, evidence};
pub use jar::{CookieJar, StoredCookie};
pub use message::{Body, Request, Response, SentRequest};
pub use redact::{REDACTED, Redactor, is_sensitive_header};
pub use scope::{Scope, ScopeError};
pub use tally::labelled;
