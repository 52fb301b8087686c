//! A self-contained HTML report: inline CSS, no scripts, no external assets. The
//! scorecard, then every finding with its evidence (request and response excerpts) and a
//! `curl` line that reproduces it with secrets as shell variables.
//!
//! Built with a small escaping writer instead of a template engine: every piece of text
//! from the target goes through [`esc`], which is easy to audit in one place.

use std::fmt::Write as _;

use super::{ItemReport, Report, SuppressionState, reproduce};
use crate::model::Status;
use crate::model::{Evidence, Finding};

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--line:#dde1e8;--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--grey:#6e7781;--code:#f6f8fa}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:2em;border-bottom:1px solid var(--line);padding-bottom:4px}h3{margin:0 0 6px;font-size:1.1em}
.meta{color:var(--muted)}.gate{padding:10px 14px;border-radius:6px;margin:16px 0;font-weight:600}
.gate.passed{background:#dafbe1;color:var(--pass)}.gate.failed{background:#ffebe9;color:var(--fail)}.gate ul{font-weight:400;margin:6px 0 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
.status{font-weight:600;white-space:nowrap;text-transform:uppercase;font-size:.85em}
.s-pass{color:var(--pass)}.s-warn{color:var(--warn)}.s-fail{color:var(--fail)}.s-inconclusive,.s-not-tested,.s-manual{color:var(--grey)}
.finding{border:1px solid var(--line);border-radius:6px;padding:12px 14px;margin:14px 0}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:.8em;font-weight:600;color:#fff;background:var(--grey)}
.sev-critical{background:#8c1515}.sev-high{background:var(--fail)}.sev-medium{background:#bc4c00}.sev-low{background:var(--warn)}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 8px;font-size:.8em;margin-left:4px}
pre{background:var(--code);padding:8px 10px;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:.85em;margin:4px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}details{margin:6px 0}summary{cursor:pointer;color:var(--muted)}
.muted{color:var(--muted)}
"#;

/// Renders the report as one HTML document followed by a newline.
pub(super) fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>prodready report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&report.target)
    );
    let _ = writeln!(
        out,
        "<h1>Production readiness of <code>{}</code></h1>\n<p class=\"meta\">Scanned {} in {:.1} s with {} requests · prodready {}</p>",
        esc(&report.target),
        esc(&report
            .started_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()),
        report.duration_ms as f64 / 1000.0,
        report.requests_sent,
        esc(&report.tool.version)
    );
    gate(&mut out, report);
    scorecard(&mut out, report);
    baseline(&mut out, report);
    findings(&mut out, report);
    backends(&mut out, report);
    probes(&mut out, report);
    out.push_str("</body>\n</html>\n");
    out
}

fn gate(out: &mut String, report: &Report) {
    let (class, text) = if report.gate.passed {
        ("passed", "Gate passed")
    } else {
        ("failed", "Gate failed")
    };
    let _ = write!(out, "<div class=\"gate {class}\" id=\"gate\">{text}");
    if !report.gate.reasons.is_empty() || !report.gate.notes.is_empty() {
        out.push_str("<ul>");
        for r in &report.gate.reasons {
            let _ = write!(out, "<li>{}</li>", esc(r));
        }
        for n in &report.gate.notes {
            let _ = write!(out, "<li class=\"muted\">{}</li>", esc(n));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>\n");
}

fn scorecard(out: &mut String, report: &Report) {
    out.push_str(
        "<h2>Checklist</h2>\n<table id=\"scorecard\">\n<thead><tr><th>#</th><th>Item</th><th>Status</th><th>Summary</th><th>Findings</th></tr></thead>\n<tbody>\n",
    );
    for item in &report.items {
        item_row(out, item);
    }
    out.push_str("</tbody>\n</table>\n");
}

fn item_row(out: &mut String, item: &ItemReport) {
    // The worst finding is named first and marked; the rest follow in report order.
    let worst = item.worst.as_deref();
    let links: Vec<String> = worst
        .into_iter()
        .map(|id| {
            format!(
                "<a class=\"worst\" href=\"#{0}\" title=\"worst finding\"><strong><code>{0}</code></strong></a>",
                esc(id)
            )
        })
        .chain(
            item.findings
                .iter()
                .filter(|id| Some(id.as_str()) != worst)
                .map(|id| format!("<a href=\"#{0}\"><code>{0}</code></a>", esc(id))),
        )
        .collect();
    let _ = writeln!(
        out,
        "<tr class=\"item\" id=\"item-{}\" data-key=\"{}\" data-status=\"{}\"><td>{}</td><td>{}</td><td class=\"status s-{}\">{}</td><td>{}</td><td>{}</td></tr>",
        item.id,
        esc(item.key.key()),
        item.status.as_str(),
        item.id,
        esc(&item.title),
        item.status.as_str(),
        status_word(item.status),
        esc(&item.summary),
        links.join(" ")
    );
}

fn baseline(out: &mut String, report: &Report) {
    let Some(b) = &report.baseline else { return };
    let _ = writeln!(
        out,
        "<h2>Since the baseline</h2>\n<p id=\"baseline\">Compared with the scan of {}: <strong>{} new</strong>, {} unchanged, <strong>{} fixed</strong>.</p>",
        esc(&b.started_at),
        b.new.len(),
        b.unchanged.len(),
        b.fixed.len()
    );
    if !b.fixed.is_empty() {
        out.push_str("<ul class=\"fixed\">");
        for f in &b.fixed {
            let _ = write!(
                out,
                "<li data-finding=\"{}\">fixed <code>{}</code> {} <span class=\"muted\">({}, {})</span></li>",
                esc(&f.id),
                esc(&f.id),
                esc(&f.title),
                esc(&f.probe),
                f.severity.as_str()
            );
        }
        out.push_str("</ul>\n");
    }
    let expired: Vec<_> = report
        .suppressions
        .iter()
        .filter(|s| s.state == SuppressionState::Expired)
        .collect();
    if !expired.is_empty() {
        out.push_str(
            "<p>Expired suppressions (the findings count again):</p><ul class=\"expired\">",
        );
        for s in expired {
            let _ = write!(
                out,
                "<li><code>{}</code> expired {}: {}</li>",
                esc(&s.id),
                esc(&s.expires),
                esc(&s.reason)
            );
        }
        out.push_str("</ul>\n");
    }
}

fn findings(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2>Findings ({})</h2>", report.findings.len());
    out.push_str(
        "<p class=\"muted\">The <code>curl</code> lines replay the evidence as the identity that sent it; \
         secrets were redacted, so set <code>PRODREADY_TOKEN</code> (its bearer token or API key), \
         <code>SESSION_COOKIE</code> (its whole Cookie header), <code>CSRF_TOKEN</code> and \
         <code>PRODREADY_SECRET</code> (any other redacted value) first.</p>\n",
    );
    if report.findings.is_empty() {
        out.push_str("<p class=\"muted\">No findings.</p>\n");
    }
    for f in &report.findings {
        finding(out, report, f);
    }
}

fn finding(out: &mut String, report: &Report, f: &Finding) {
    let _ = write!(
        out,
        "<section class=\"finding\" id=\"{}\">\n<h3><span class=\"sev sev-{}\">{}</span> {}",
        esc(&f.id),
        f.severity.as_str(),
        f.severity.as_str(),
        esc(&f.title)
    );
    if let Some(state) = report.baseline_state(&f.id) {
        let _ = write!(
            out,
            "<span class=\"tag baseline-{0}\">{0}</span>",
            state.as_str()
        );
    }
    if let Some(s) = report.suppression_of(f) {
        let _ = write!(
            out,
            "<span class=\"tag suppressed\" title=\"{}\">suppressed until {}</span>",
            esc(&s.reason),
            esc(&s.expires)
        );
    }
    let _ = writeln!(
        out,
        "</h3>\n<p class=\"meta\"><code>{}</code> · <code>{}</code> · item {} {} · {} confidence · <code>{} {}</code></p>",
        esc(&f.id),
        esc(&f.probe),
        f.item.id(),
        esc(f.item.title()),
        f.confidence.as_str(),
        esc(&f.location.method),
        esc(&f.location.url)
    );
    if !f.detail.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(&f.detail));
    }
    if f.is_grouped() {
        routes(out, report, f);
    }
    if !f.remediation.is_empty() {
        let _ = writeln!(out, "<p><strong>Fix:</strong> {}</p>", esc(&f.remediation));
    }
    for (n, e) in f.evidence.iter().enumerate() {
        evidence(out, e, n == 0);
    }
    out.push_str("</section>\n");
}

/// A grouped finding's routes, each with the id it had alone (what older suppressions
/// name) and its own rating.
fn routes(out: &mut String, report: &Report, f: &Finding) {
    let _ = writeln!(
        out,
        "<details class=\"routes\"{}><summary>Seen on {} routes</summary><ul>",
        if f.route_count() <= 5 { " open" } else { "" },
        f.route_count()
    );
    for o in &f.locations {
        let _ = write!(
            out,
            "<li data-finding=\"{}\"><code>{} {}</code> <span class=\"muted\">{} · {} {}</span>",
            esc(&o.id),
            esc(&o.method),
            esc(&o.url),
            esc(&o.id),
            o.severity.as_str(),
            o.confidence.as_str()
        );
        if let Some(s) = report.suppression(&o.id) {
            let _ = write!(
                out,
                "<span class=\"tag suppressed\" title=\"{}\">suppressed until {}</span>",
                esc(&s.reason),
                esc(&s.expires)
            );
        }
        out.push_str("</li>\n");
    }
    if f.more_locations > 0 {
        let _ = writeln!(
            out,
            "<li class=\"muted\">and {} more, not listed</li>",
            f.more_locations
        );
    }
    out.push_str("</ul></details>\n");
}

fn evidence(out: &mut String, e: &Evidence, open: bool) {
    let _ = writeln!(
        out,
        "<details class=\"evidence\"{}><summary>{} <span class=\"muted\">(as {})</span></summary>",
        if open { " open" } else { "" },
        esc(&e.label),
        esc(e.request.identity.as_str())
    );
    let _ = writeln!(
        out,
        "<p>Reproduce:</p><pre class=\"curl\"><code>{}</code></pre>",
        esc(&reproduce::curl(&e.request))
    );
    let mut req = format!("{} {}\n", e.request.method, e.request.url);
    for (n, v) in &e.request.headers {
        let _ = writeln!(req, "{n}: {v}");
    }
    if let Some(b) = &e.request.body {
        req.push('\n');
        req.push_str(b);
    }
    let _ = writeln!(
        out,
        "<p>Request:</p><pre class=\"request\">{}</pre>",
        esc(&req)
    );
    if let Some(r) = &e.response {
        let mut resp = format!("HTTP {}\n", r.status);
        for (n, v) in &r.headers {
            let _ = writeln!(resp, "{n}: {v}");
        }
        resp.push('\n');
        resp.push_str(&r.body);
        if r.truncated {
            resp.push_str("\n[... truncated]");
        }
        let _ = writeln!(
            out,
            "<p>Response:</p><pre class=\"response\">{}</pre>",
            esc(&resp)
        );
    }
    if let Some(m) = &e.matched {
        let _ = writeln!(
            out,
            "<p>Matched: <code class=\"matched\">{}</code></p>",
            esc(m)
        );
    }
    out.push_str("</details>\n");
}

/// The backends the client talks to, and per table what each identity read and wrote.
fn backends(out: &mut String, report: &Report) {
    if report.backends.is_empty() {
        return;
    }
    out.push_str("<h2>Backends</h2>\n<ul id=\"backends\">");
    for b in &report.backends {
        let reach = b.reach();
        let _ = write!(
            out,
            "<li>{} <code>{}</code> (found in <code>{}</code>{}) · {}</li>",
            esc(&b.kind),
            esc(&b.origin),
            esc(&b.found_in),
            esc(&b
                .key
                .as_deref()
                .map(|k| format!(", {k}"))
                .unwrap_or_default()),
            esc(&reach)
        );
    }
    out.push_str("</ul>\n");
    let tables: Vec<_> = report
        .probes
        .iter()
        .flat_map(|p| p.tables.iter().map(move |t| (p, t)))
        .collect();
    if tables.is_empty() {
        return;
    }
    out.push_str("<table id=\"tables\">\n<thead><tr><th>Probe</th><th>Table</th><th>Rows read</th><th>Writes on canaries</th><th>Cleaned up</th></tr></thead>\n<tbody>\n");
    for (p, t) in tables {
        let [reads, writes, cleanup] = super::table_row(t);
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{} <code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.probe),
            esc(&t.kind),
            esc(&t.name),
            esc(&reads),
            esc(&writes),
            esc(&cleanup)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn probes(out: &mut String, report: &Report) {
    out.push_str("<h2>What ran</h2>\n<table id=\"probes\">\n<thead><tr><th>Probe</th><th>Item</th><th>State</th><th>Checks</th><th>Notes</th></tr></thead>\n<tbody>\n");
    for p in &report.probes {
        let why = p
            .error
            .as_deref()
            .or(p.reason.as_deref())
            .map(|w| match &p.config_key {
                Some(k) => format!("{w} (config: {k})"),
                None => w.to_string(),
            });
        let notes: Vec<String> = why.into_iter().chain(p.notes.iter().cloned()).collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.probe),
            esc(p.item.key()),
            p.state.as_str(),
            p.checks,
            esc(&notes.join("; "))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if !report.warnings.is_empty() {
        out.push_str("<h2>Scan warnings</h2>\n<ul>");
        for w in &report.warnings {
            let _ = write!(out, "<li>{}</li>", esc(w));
        }
        out.push_str("</ul>\n");
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "✔ pass",
        Status::Warn => "⚠ warn",
        Status::Fail => "✘ fail",
        Status::Inconclusive => "? inconclusive",
        Status::NotTested => "– not tested",
        Status::Manual => "✎ manual",
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::IdentityId;
    use scraper::{Html, Selector};

    use super::*;
    use crate::model::{Confidence, Location, RequestExcerpt, ResponseExcerpt, Severity};
    use crate::report::fixture;

    #[test]
    fn every_item_renders_and_response_text_is_escaped() {
        let mut report = Report::new(fixture::input());
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        let f = Finding::builder(crate::model::Item::ErrorHandling, "errors.stack-trace")
            .rated(Severity::Medium, Confidence::Firm)
            .title("title <b>bold</b>")
            .detail("detail")
            .at(Location {
                method: "GET".into(),
                url: "http://127.0.0.1:4000/x?a=<i>".into(),
            })
            .discriminator("x")
            .build()
            .with_evidence(Evidence {
                label: "label".into(),
                request: RequestExcerpt {
                    identity: IdentityId::A,
                    method: "GET".into(),
                    url: "http://127.0.0.1:4000/x".into(),
                    headers: vec![("authorization".into(), "Bearer [REDACTED]".into())],
                    body: None,
                },
                response: Some(ResponseExcerpt {
                    status: 500,
                    headers: vec![],
                    body: hostile.into(),
                    truncated: false,
                }),
                matched: None,
            });
        report.findings.push(f.clone());

        let html = render(&report);
        let doc = Html::parse_document(&html);
        let sel = |s: &str| Selector::parse(s).unwrap();
        assert_eq!(doc.select(&sel("tr.item")).count(), 12);
        for item in &report.items {
            let row = doc
                .select(&sel(&format!("tr#item-{}", item.id)))
                .next()
                .unwrap_or_else(|| panic!("item {} missing", item.id));
            assert_eq!(row.value().attr("data-status"), Some(item.status.as_str()));
        }
        assert_eq!(
            doc.select(&sel("script")).count(),
            0,
            "response markup ran as HTML"
        );
        assert_eq!(doc.select(&sel("img")).count(), 0);
        let section = doc
            .select(&sel(&format!("section#{}", f.id)))
            .next()
            .unwrap();
        let response: String = section
            .select(&sel("pre.response"))
            .next()
            .unwrap()
            .text()
            .collect();
        assert!(response.contains(hostile), "{response}");
        let curl: String = section
            .select(&sel("pre.curl"))
            .next()
            .unwrap()
            .text()
            .collect();
        assert!(curl.contains("${PRODREADY_TOKEN}"), "{curl}");
        assert!(!html.contains("<link") && !html.contains("src=\"http"));
    }

    #[test]
    fn grouped_findings_list_their_routes_and_items_name_their_worst() {
        let report = Report::new(fixture::input());
        let html = render(&report);
        let doc = Html::parse_document(&html);
        let sel = |s: &str| Selector::parse(s).unwrap();
        let grouped = report
            .findings
            .iter()
            .find(|f| f.locations.len() > 1)
            .expect("the fixture groups routes");
        let section = doc
            .select(&sel(&format!("section#{}", grouped.id)))
            .next()
            .unwrap();
        let listed: Vec<&str> = section
            .select(&sel("details.routes li"))
            .filter_map(|li| li.value().attr("data-finding"))
            .collect();
        let ids: Vec<&str> = grouped.locations.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(listed, ids);
        let headers = report.item(crate::model::Item::SecurityHeaders).unwrap();
        let row = doc.select(&sel("tr#item-6")).next().unwrap();
        let worst = row.select(&sel("a.worst")).next().unwrap();
        assert_eq!(
            worst.value().attr("href"),
            Some(format!("#{}", headers.worst.as_deref().unwrap()).as_str())
        );
        let text: String = row.text().collect();
        assert!(
            text.contains(&format!("on {} routes", headers.routes)),
            "{text}"
        );
    }
}
