//! A short Markdown scorecard for a pull request comment or a CI job summary
//! (`$GITHUB_STEP_SUMMARY`): the gate, the 12 items, then the top findings by id.

use std::fmt::Write as _;

use super::{BaselineState, Report, SuppressionState};
use crate::model::Status;

/// How many findings the summary lists; the full list is in the other formats.
const TOP_FINDINGS: usize = 10;

/// Renders the scorecard as GitHub-flavoured Markdown followed by a newline.
pub(super) fn render(report: &Report) -> String {
    let mut out = String::new();
    let gate = if report.gate.passed {
        "✅ gate passed"
    } else {
        "❌ gate failed"
    };
    let _ = writeln!(out, "## prodready: {gate}\n");
    let _ = writeln!(
        out,
        "Target `{}` · {} requests · {:.1} s · prodready {}\n",
        code(&report.target),
        report.requests_sent,
        report.duration_ms as f64 / 1000.0,
        report.tool.version
    );
    if report.tls_insecure {
        out.push_str(
            "⚠️ TLS certificates were not verified (`target.tls.insecure = true`): any server could have answered this scan.\n\n",
        );
    }
    for reason in &report.gate.reasons {
        let _ = writeln!(out, "- {}", cell(reason));
    }
    for note in &report.gate.notes {
        let _ = writeln!(out, "- ℹ️ {}", cell(note));
    }
    if !report.gate.reasons.is_empty() || !report.gate.notes.is_empty() {
        out.push('\n');
    }

    out.push_str("| # | Item | Status | Summary |\n|---:|---|---|---|\n");
    for item in &report.items {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            item.id,
            cell(&item.title),
            status(item.status),
            cell(&item.summary)
        );
    }

    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "\nSince the baseline of {}: **{} new**, {} unchanged, **{} fixed**.",
            b.started_at,
            b.new.len(),
            b.unchanged.len(),
            b.fixed.len()
        );
        for f in &b.fixed {
            let _ = writeln!(out, "- fixed `{}` {} ({})", f.id, cell(&f.title), f.probe);
        }
    }

    if !report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\n### Top findings ({} of {})\n",
            report.findings.len().min(TOP_FINDINGS),
            report.findings.len()
        );
        out.push_str("| Id | Severity | Probe | Finding | Where |\n|---|---|---|---|---|\n");
        for f in report.findings.iter().take(TOP_FINDINGS) {
            let mut tags = String::new();
            if report.baseline_state(&f.id) == Some(BaselineState::New) {
                tags.push_str(" 🆕");
            }
            if report.suppression_of(f).is_some() {
                tags.push_str(" (suppressed)");
            }
            let more = match f.route_count() {
                0 | 1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            let _ = writeln!(
                out,
                "| `{}`{} | {} | `{}` | {} | `{} {}`{more} |",
                f.id,
                tags,
                f.severity.as_str(),
                f.probe,
                cell(&f.title),
                f.location.method,
                code(&f.location.url)
            );
        }
    }

    backends(&mut out, report);

    let expired: Vec<_> = report
        .suppressions
        .iter()
        .filter(|s| s.state == SuppressionState::Expired)
        .collect();
    if !expired.is_empty() {
        out.push_str("\n### Expired suppressions\n\n");
        for s in expired {
            let _ = writeln!(
                out,
                "- `{}` expired {}: {}",
                s.id,
                s.expires,
                cell(&s.reason)
            );
        }
    }
    out
}

/// The backends the client talks to, and per table what each identity read and wrote.
fn backends(out: &mut String, report: &Report) {
    if report.backends.is_empty() {
        return;
    }
    out.push_str("\n### Backends\n\n");
    for b in &report.backends {
        let reach = b.reach();
        let _ = writeln!(
            out,
            "- {} `{}` (found in `{}`{}) · {}",
            b.kind,
            code(&b.origin),
            code(&b.found_in),
            b.key
                .as_deref()
                .map(|k| format!(", {k}"))
                .unwrap_or_default(),
            cell(&reach)
        );
    }
    let tables: Vec<_> = report
        .probes
        .iter()
        .flat_map(|p| p.tables.iter().map(move |t| (p, t)))
        .collect();
    if tables.is_empty() {
        return;
    }
    out.push_str("\n| Probe | Table | Rows read | Writes on canaries | Cleaned up |\n|---|---|---|---|---|\n");
    for (p, t) in tables {
        let [reads, writes, cleanup] = super::table_row(t);
        let _ = writeln!(
            out,
            "| `{}` | {} `{}` | {} | {} | {} |",
            p.probe,
            t.kind,
            code(&t.name),
            cell(&reads),
            cell(&writes),
            cell(&cleanup)
        );
    }
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
        Status::Inconclusive => "❔ inconclusive",
        Status::NotTested => "⏭️ not tested",
        Status::Manual => "📝 manual",
    }
}

/// Table-cell text: one line, pipes escaped, HTML-significant characters neutralised so
/// a response snippet in a title cannot inject markup into a PR comment.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Text inside backticks: backticks and pipes would end the span or the cell.
fn code(s: &str) -> String {
    s.replace('`', "'")
        .replace('|', "%7C")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn twelve_rows_and_the_top_findings_by_id() {
        let report = Report::new(fixture::input());
        let md = render(&report);
        let rows = md
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains(" | "))
            .count();
        assert!(rows > 12, "{md}");
        for item in &report.items {
            assert!(
                md.contains(&format!("| {} | {} |", item.id, item.title)),
                "{md}"
            );
        }
        assert!(md.contains(&format!("`{}`", report.findings[0].id)));
        // A grouped finding shows its first route and how many more.
        assert!(md.contains("` and 2 more |"), "{md}");
        assert!(md.contains("❌ gate failed"));
    }

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(cell("a|b\n<img src=x>"), "a\\|b &lt;img src=x&gt;");
    }
}
