//! prodready: a black-box scanner that scores a live multi-tenant web app on a
//! 12-point production-readiness checklist, with evidence for every verdict.

pub mod auth;
pub mod checklist;
pub mod cli;
pub mod config;
pub mod demo;
pub mod discover;
pub mod finding;
pub mod fuzzing;
pub mod http;
pub mod probe;
pub mod report;
pub mod scan;
