//! The one HTTP layer every probe uses: rate limit, scope, caps, identities, evidence.

mod message;

pub use message::{Body, Request, Response};
