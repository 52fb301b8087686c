//! The pure function that scores the 12-point checklist from probe runs.

mod score;

pub use score::{ItemVerdict, score, weight};
