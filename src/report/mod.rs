//! Reports: one model ([`Report`]), one renderer per format.
//!
//! The scanner builds a [`Report`] from its probe runs with [`Report::new`]. Every
//! renderer reads the same model, so the formats cannot disagree about a verdict.

mod model;

pub use model::{
    Gate, IdentitySummary, InventoryCounts, ItemReport, MAX_MERGED_EVIDENCE, ProbeReport,
    ProbeState, Report, ReportError, ReportInput, SCHEMA_ID, Tool,
};

#[cfg(test)]
pub(crate) mod fixture;
