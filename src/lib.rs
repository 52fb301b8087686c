//! prodready: a black-box scanner that scores a live multi-tenant web app on a
//! 12-point production-readiness checklist, with evidence for every verdict.

pub mod auth;
pub mod catalog;
pub mod checklist;
pub mod cli;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod discover;
pub mod engine;
pub mod families;
pub mod fuzzing;
pub mod html;
pub mod http;
/// The leaf types every layer shares; a crate of its own so the test app uses them too.
pub use prodready_model as model;
pub mod report;
