//! The terminal scorecard: a header, the 12 items as a table, the top findings, probe
//! errors and the gate line.

use std::fmt::Write as _;

use comfy_table::presets::{ASCII_FULL, UTF8_FULL};
use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Row, Table, Width,
};

use super::{Report, Style};
use crate::model::Status;
use crate::model::{Finding, Severity};

/// How many findings the scorecard lists below the table.
const TOP_FINDINGS: usize = 10;
/// How many lines a summary may wrap to before it is cut.
const SUMMARY_LINES: usize = 3;
/// The item title column never gets narrower than this.
const ITEM_MIN_WIDTH: u16 = 14;
/// The summary column never gets narrower than this.
const SUMMARY_MIN_WIDTH: u16 = 20;
/// Narrower than this and the table stops being readable, so wrap as if it were this.
const MIN_WIDTH: u16 = 72;
/// The scorecard's warning for a scan that accepted any certificate.
const INSECURE_LINE: &str = "WARNING: TLS certificates were not verified (target.tls.insecure = true); \
     any server could have answered this scan";
/// Findings are listed as "  severity  probe  title", details indented under the title.
const FINDING_INDENT: &str = "            ";

/// Renders the scorecard. With `style.color` off the text is ASCII layout without escapes.
pub(super) fn render(report: &Report, style: &Style) -> String {
    let width = style.width.max(MIN_WIDTH);
    let cols = usize::from(width);
    let paint = Painter { on: style.color };
    let mut out = String::new();

    for line in header(report) {
        push_wrapped(&mut out, &line, cols, "  ");
    }
    // Above the verdicts, where nobody reads past it: they rest on an unverified peer.
    if report.tls_insecure {
        for line in wrap(INSECURE_LINE, cols, "    ") {
            let _ = writeln!(out, "{}", paint.paint("1;33", &line));
        }
    }
    out.push('\n');
    out.push_str(&scorecard(report, style.color, width));
    out.push('\n');

    let top = top_findings(&report.findings);
    if !top.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "Top findings ({} of {}, most severe first):",
            top.len(),
            report.findings.len()
        );
        for f in top {
            let severity = format!("{:<8}", f.severity.as_str());
            let head = format!("  {severity}  {}  {}", f.probe, f.title);
            let head = truncate(&head, cols);
            // Paint only the severity word so truncation counts plain characters.
            let painted = head.replacen(&severity, &paint.severity(f.severity, &severity), 1);
            let _ = writeln!(out, "{painted}");
            let place = format!(
                "{FINDING_INDENT}{} {}{}  [{}]",
                f.location.method,
                f.location.url,
                more_routes(f),
                f.id
            );
            let _ = writeln!(out, "{}", paint.dim(&truncate(&place, cols)));
        }
    }

    // What the scan made and could not remove is the user's to clean up: say it here,
    // not only in the report's warnings.
    let left: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("was not removed"))
        .collect();
    if !left.is_empty() {
        out.push('\n');
        out.push_str("Left in the app by the scan (remove by hand):\n");
        for w in left {
            push_wrapped(&mut out, &format!("  - {w}"), cols, "    ");
        }
    }

    if !report.errors.is_empty() {
        out.push('\n');
        out.push_str("Probe errors (their items are inconclusive):\n");
        for e in &report.errors {
            push_wrapped(&mut out, &format!("  - {e}"), cols, "    ");
        }
    }

    if let Some(b) = &report.baseline {
        out.push('\n');
        let line = format!(
            "Since the baseline of {}: {} new, {} unchanged, {} fixed",
            b.started_at,
            b.new.len(),
            b.unchanged.len(),
            b.fixed.len()
        );
        push_wrapped(&mut out, &line, cols, "  ");
    }
    if !report.gate.notes.is_empty() {
        out.push('\n');
        for n in &report.gate.notes {
            push_wrapped(&mut out, &format!("  note: {n}"), cols, "    ");
        }
    }

    out.push('\n');
    let gate = if report.gate.passed {
        "gate: passed".to_string()
    } else {
        format!("gate: FAILED ({})", report.gate.reasons.join("; "))
    };
    for line in wrap(&gate, cols, "  ") {
        let painted = if report.gate.passed {
            paint.paint("1;32", &line)
        } else {
            paint.paint("1;31", &line)
        };
        let _ = writeln!(out, "{painted}");
    }
    out
}

fn header(report: &Report) -> Vec<String> {
    let identities = if report.identities.is_empty() {
        "none".to_string()
    } else {
        report
            .identities
            .iter()
            .map(|i| format!("{} ({}, {})", i.name, i.login, i.status))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let started = report
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let inv = &report.inventory;
    let mut lines = vec![
        format!(
            "prodready {} scan of {} | {} | {} requests",
            report.tool.version,
            report.target,
            human_duration(report.duration_ms),
            report.requests_sent
        ),
        format!("identities: {identities}"),
        format!(
            "discovered: {} pages, {} endpoints, {} scripts | started {started}",
            inv.pages, inv.endpoints, inv.scripts
        ),
    ];
    if !inv.by_identity.is_empty() {
        lines.push(format!(
            "endpoints answered per identity: {}",
            inv.by_identity
                .iter()
                .map(|(id, n)| format!("{id} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(b) = &inv.browser {
        lines.push(match b.status.as_str() {
            "ran" => format!(
                "browser: {} pages, API calls per identity {}, {} requests forwarded, {} blocked, {} writes held back",
                b.pages,
                b.api_calls
                    .iter()
                    .map(|(id, n)| format!("{id} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                b.forwarded,
                b.blocked,
                b.held_writes
            ) + &signed_in(&b.signed_in),
            status => format!(
                "browser: {status} ({})",
                b.reason.as_deref().unwrap_or("no reason given")
            ),
        });
    }
    lines
}

/// The identities the browser signed in through the app's own form, as a clause.
fn signed_in(ids: &[crate::model::IdentityId]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
    format!(", signed in through the app's form as {}", names.join(", "))
}

fn scorecard(report: &Report, color: bool, width: u16) -> String {
    let mut table = Table::new();
    // The caller decided about colour; never let comfy-table probe the terminal.
    table.force_no_tty();
    if color {
        table.enforce_styling();
        table.load_style(UTF8_FULL.with_rounded_corners());
    } else {
        table.load_style(ASCII_FULL);
    }
    table
        .set_truncation_indicator("...")
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);

    let heading = ["#", "Item", "Status", "Findings", "Summary"].map(|h| {
        let cell = Cell::new(h);
        if color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    });
    table.set_header(heading.to_vec());

    for item in &report.items {
        let mut status = Cell::new(item.status.as_str());
        if color {
            status = match status_color(item.status) {
                Some(c) => status.fg(c).add_attribute(Attribute::Bold),
                None => status.add_attribute(Attribute::Dim),
            };
        }
        let mut row = Row::from(vec![
            Cell::new(item.id).set_alignment(CellAlignment::Right),
            Cell::new(&item.title),
            status,
            Cell::new(item.findings.len()).set_alignment(CellAlignment::Right),
            // The summary names the worst finding and the routes the verdict rests on.
            Cell::new(&item.summary),
        ]);
        row.max_height(SUMMARY_LINES);
        table.add_row(row);
    }
    // Number, status and count keep their natural width; the title wraps only when the
    // terminal is narrow, and the summary always keeps room enough to be read.
    for (n, constraint) in [
        (0, ColumnConstraint::ContentWidth),
        (
            1,
            ColumnConstraint::LowerBoundary(Width::Fixed(ITEM_MIN_WIDTH)),
        ),
        (2, ColumnConstraint::ContentWidth),
        (3, ColumnConstraint::ContentWidth),
        (
            4,
            ColumnConstraint::LowerBoundary(Width::Fixed(SUMMARY_MIN_WIDTH)),
        ),
    ] {
        if let Some(column) = table.column_mut(n) {
            column.set_constraint(constraint);
        }
    }
    table.to_string()
}

fn status_color(status: Status) -> Option<Color> {
    match status {
        Status::Pass => Some(Color::Green),
        Status::Warn => Some(Color::Yellow),
        Status::Fail => Some(Color::Red),
        Status::Inconclusive => Some(Color::Magenta),
        Status::NotTested | Status::Manual => None,
    }
}

/// " and 3 more routes" after a grouped finding's first location; empty otherwise.
fn more_routes(f: &Finding) -> String {
    match f.route_count() {
        0 | 1 => String::new(),
        2 => " and 1 more route".to_string(),
        n => format!(" and {} more routes", n - 1),
    }
}

/// The most severe findings first; equal severity keeps report order (by item).
fn top_findings(findings: &[Finding]) -> Vec<&Finding> {
    let mut top: Vec<&Finding> = findings.iter().collect();
    top.sort_by_key(|f| {
        (
            std::cmp::Reverse(f.severity),
            std::cmp::Reverse(f.confidence),
        )
    });
    top.truncate(TOP_FINDINGS);
    top
}

/// Adds ANSI colour when the caller asked for it, and nothing otherwise.
struct Painter {
    on: bool,
}

impl Painter {
    fn paint(&self, sgr: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn severity(&self, severity: Severity, text: &str) -> String {
        let sgr = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(sgr, text)
    }
}

fn human_duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1_000..=59_999 => format!("{}.{}s", ms / 1000, ms % 1000 / 100),
        _ => format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// Cuts `text` to `width` characters, marking the cut with `...`.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(3);
    let mut cut: String = text.chars().take(keep).collect();
    cut.push_str("...");
    cut
}

fn push_wrapped(out: &mut String, text: &str, width: usize, indent: &str) {
    for line in wrap(text, width, indent) {
        out.push_str(&line);
        out.push('\n');
    }
}

/// Greedy word wrap to `width` characters; continuation lines start with `indent`.
/// Words longer than a line are split.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    // Keep the text's own leading indentation on its first line.
    let mut line: String = text.chars().take_while(|c| c.is_whitespace()).collect();
    let mut len = line.chars().count();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let sep = usize::from(len > 0 && !line.trim().is_empty());
            if len + sep + word.len() <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                len += sep + word.len();
                break;
            }
            if !line.trim().is_empty() {
                lines.push(std::mem::take(&mut line));
                line.push_str(indent);
                len = indent.chars().count();
                continue;
            }
            // The word alone is wider than a line: split it.
            let room = width.saturating_sub(len).max(1);
            let rest = word.split_off(room.min(word.len()));
            line.extend(word.iter());
            lines.push(std::mem::take(&mut line));
            line.push_str(indent);
            len = indent.chars().count();
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn plain(width: u16) -> Style {
        Style {
            color: false,
            width,
        }
    }

    #[test]
    fn objects_the_scan_could_not_remove_are_on_the_scorecard() {
        let mut report = Report::new(fixture::input());
        let before = render(&report, &plain(100));
        assert!(!before.contains("Left in the app"));
        report
            .warnings
            .push("canary a (/api/projects/7) was not removed: DELETE answered 403".into());
        let out = render(&report, &plain(100));
        assert!(out.contains("Left in the app by the scan"), "{out}");
        assert!(out.contains("/api/projects/7"), "{out}");
    }

    #[test]
    fn scorecard_snapshot() {
        let mut report = Report::new(fixture::input());
        // Pin the version so a release does not churn the snapshot.
        report.tool.version = "0.0.0-test".into();
        insta::assert_snapshot!(render(&report, &plain(100)));
    }

    #[test]
    fn an_insecure_scan_is_flagged_above_the_verdicts_only_when_it_was() {
        let mut report = Report::new(fixture::input());
        assert!(!render(&report, &plain(100)).contains("not verified"));
        report.tls_insecure = true;
        let text = render(&report, &plain(72));
        let warning = text
            .find("WARNING: TLS certificates were not verified")
            .unwrap();
        assert!(warning < text.find("Tenant isolation").unwrap(), "{text}");
        assert!(text.contains("(target.tls.insecure ="), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 72), "{text}");
    }

    #[test]
    fn plain_output_has_no_escapes_and_stays_within_the_width() {
        let report = Report::new(fixture::input());
        for width in [72, 80, 100, 160] {
            let text = render(&report, &plain(width));
            assert!(!text.contains('\x1b'), "escape at width {width}");
            assert!(text.is_ascii(), "non-ASCII at width {width}");
            for line in text.lines() {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{width}: {line:?} is {} wide",
                    line.chars().count()
                );
            }
        }
    }

    #[test]
    fn colour_output_colours_statuses_and_the_gate() {
        let report = Report::new(fixture::input());
        let text = render(
            &report,
            &Style {
                color: true,
                width: 100,
            },
        );
        assert!(text.contains('\x1b'));
        assert!(text.contains("\x1b[1;31mgate: FAILED"));
        // Colour does not change the words.
        let stripped = strip_ansi(&text);
        for word in [
            "pass",
            "warn",
            "fail",
            "inconclusive",
            "not-tested",
            "manual",
        ] {
            assert!(stripped.contains(word), "{word}");
        }
    }

    #[test]
    fn narrower_than_the_minimum_is_laid_out_at_the_minimum() {
        let report = Report::new(fixture::input());
        assert_eq!(
            render(&report, &plain(40)),
            render(&report, &plain(MIN_WIDTH))
        );
    }

    #[test]
    fn a_passing_gate_says_so() {
        let mut report = Report::new(fixture::input());
        report.gate.passed = true;
        report.gate.reasons.clear();
        let text = render(&report, &plain(100));
        assert!(text.ends_with("gate: passed\n"), "{text}");
    }

    #[test]
    fn wrap_and_truncate_respect_the_width() {
        assert_eq!(
            wrap("aaa bbb ccc", 7, "  "),
            vec!["aaa bbb".to_string(), "  ccc".to_string()]
        );
        assert_eq!(wrap("  - a b", 5, "    "), vec!["  - a", "    b"]);
        assert_eq!(
            wrap("abcdefghij", 4, ""),
            vec!["abcd".to_string(), "efgh".to_string(), "ij".to_string()]
        );
        assert_eq!(truncate("abcdefghij", 6), "abc...");
        assert_eq!(truncate("abc", 6), "abc");
        assert_eq!(human_duration(850), "850ms");
        assert_eq!(human_duration(42_517), "42.5s");
        assert_eq!(human_duration(192_000), "3m12s");
    }

    fn strip_ansi(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
