//! Reports: one model ([`Report`]), one renderer per [`Format`].
//!
//! The scanner builds a [`Report`] from its probe runs with [`Report::new`], scrubs it
//! with [`Report::redact_with`], and hands it to [`render`]. Every renderer reads the
//! same model, so the formats cannot disagree about a verdict.

pub mod gate;
mod group;
mod html;
mod json;
mod junit;
mod markdown;
mod model;
mod redact;
mod reproduce;
mod sarif;
mod table;

pub use group::{Grouping, MAX_LOCATIONS, MAX_MERGED_EVIDENCE, grouping};
pub use model::{
    BackendSummary, BaselineReport, BaselineState, FixedFinding, Gate, IdentitySummary,
    InventoryCounts, ItemReport, ProbeReport, ProbeState, Report, ReportError, ReportInput,
    SCHEMA_ID, SuppressionReport, SuppressionState, Tool,
};

/// An output format for a [`Report`].
///
/// Each variant has its own renderer module.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The terminal scorecard: 12 rows, top findings and the gate.
    #[default]
    Table,
    /// The machine-readable report `prodready.report/v1`, pretty-printed.
    Json,
    /// SARIF 2.1.0, one rule per probe id; uploadable to GitHub code scanning.
    Sarif,
    /// JUnit XML, one test case per checklist item, for CI test reporters.
    Junit,
    /// A short Markdown scorecard for a pull request or a CI job summary.
    Markdown,
    /// A self-contained HTML report with evidence and `curl` lines to reproduce.
    Html,
}

impl Format {
    /// The stable name used by `--format` and in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a human-facing renderer may decorate its output.
///
/// The caller decides: colour only when writing to a terminal and `NO_COLOR` is unset.
/// Machine formats (JSON) ignore the style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colours and Unicode borders. When false the output is plain ASCII
    /// layout with no escape sequences at all.
    pub color: bool,
    /// The terminal width in columns that text is wrapped or truncated to.
    pub width: u16,
}

impl Style {
    /// The width used when the terminal's is unknown (CI logs, files).
    pub const DEFAULT_WIDTH: u16 = 100;

    /// No colour, [`Style::DEFAULT_WIDTH`] columns: what CI logs and files get.
    pub fn plain() -> Style {
        Style {
            color: false,
            width: Style::DEFAULT_WIDTH,
        }
    }
}

impl Default for Style {
    fn default() -> Style {
        Style::plain()
    }
}

/// Renders `report` in `format`. The text ends with a newline.
pub fn render(report: &Report, format: Format, style: &Style) -> String {
    match format {
        Format::Json => json::render(report),
        Format::Table => table::render(report, style),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
    }
}

#[cfg(test)]
pub(crate) mod fixture;

/// One table of a backend as a report row: rows read per identity (`anonymous 0 · a 2 ·
/// b 2`, `refused` for a refused read, with other users' rows in parentheses), the
/// writes tried, and the cleanup, each one line.
pub(crate) fn table_row(t: &crate::model::TableCheck) -> [String; 3] {
    let reads: Vec<String> = t
        .reads
        .iter()
        .map(|r| {
            let rows = r.rows.map_or("refused".to_string(), |n| n.to_string());
            let others = if r.others > 0 {
                format!(" ({} of other users)", r.others)
            } else {
                String::new()
            };
            format!("{} {rows}{others}", r.identity)
        })
        .collect();
    let writes: Vec<String> = t
        .writes
        .iter()
        .map(|w| format!("{} {}: {}", w.identity, w.action, w.outcome))
        .collect();
    [reads.join(" · "), writes.join("; "), t.cleanup.join("; ")]
}
