//! The one HTTP layer every probe uses: rate limit, scope, caps, identities, evidence.

mod message;
mod scope;

pub use message::{Body, Request, Response};
pub use scope::{Scope, ScopeError};
