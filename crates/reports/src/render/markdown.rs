//! The report as Markdown: headings and tables, each number a link to its search.

use std::fmt::Write;

use super::words::word;
use super::{percent, signed_percent};
use crate::{Report, Section, TermRow, TriageRow};

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let w = |k| word(&report.lang, k);
    let mut out = String::new();
    let p = &report.period;
    let _ = writeln!(out, "# {}\n", escape(&report.title));
    let _ = writeln!(
        out,
        "{}: {} – {} ({}), {} {} – {}. {}: {}\n",
        w("period"),
        p.from,
        p.to,
        p.timezone,
        w("baseline"),
        p.baseline_from,
        p.baseline_to,
        w("generated"),
        report.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(out, "## {}\n", w("all"));
    section(&mut out, &report.lang, &report.all, 3);
    for topic in &report.topics {
        let _ = writeln!(out, "## {}: {}\n", w("topic"), escape(&topic.name));
        if !topic.query.is_empty() {
            let _ = writeln!(out, "{}: `{}`\n", w("query"), topic.query.replace('`', "'"));
        }
        section(&mut out, &report.lang, &topic.section, 3);
    }
    let _ = writeln!(out, "## {}\n", w("triage"));
    let header =
        [w("raised"), w("confirmed"), w("escalated"), w("dismissed"), w("open"), w("to_claim"), w("to_verdict")];
    let _ = writeln!(out, "| | {} |\n|---|{}", header.join(" | "), "---:|".repeat(header.len()));
    triage_line(&mut out, w("all"), &report.triage.all);
    for row in &report.triage.by_team {
        triage_line(&mut out, &format!("{} {}", w("team"), row.key), row);
    }
    for row in &report.triage.by_rule {
        triage_line(&mut out, &format!("{} {}", w("rule"), row.key), row);
    }
    out
}

fn section(out: &mut String, lang: &str, s: &Section, level: usize) {
    let w = |k| word(lang, k);
    let h = "#".repeat(level);
    let v = &s.volume;
    let _ = writeln!(out, "{h} {}\n", w("volume"));
    let _ = writeln!(
        out,
        "- {}: [{}]({})\n- {}: {} ({} {})\n- {}: {}\n",
        w("items"),
        v.total,
        v.search,
        w("previous"),
        v.baseline_total,
        w("change"),
        signed_percent(v.change),
        w("share"),
        percent(v.share)
    );
    let _ = writeln!(out, "| {} | {} | {} |\n|---|---:|---:|", w("day"), w("items"), w("share"));
    for d in &v.days {
        let _ = writeln!(out, "| {} | [{}]({}) | {} |", d.date, d.items, d.search, percent(d.share));
    }
    let se = &s.sentiment;
    let _ = writeln!(out, "\n{h} {}\n", w("sentiment"));
    let _ = writeln!(
        out,
        "- {}: [{}]({}) ({}; {} {})\n- {}: {} ({})\n- {}: {} ({})\n- {}: {:.3}\n",
        w("negative"),
        se.negative,
        se.search_negative,
        percent(se.negative_share),
        w("previous"),
        percent(se.baseline_negative_share),
        w("neutral"),
        se.neutral,
        percent(se.neutral_share),
        w("positive"),
        se.positive,
        percent(se.positive_share),
        w("mean_score"),
        se.mean_score
    );
    if !se.negative_terms.is_empty() {
        let _ = writeln!(out, "{}:\n", w("negative_terms"));
        terms(out, lang, &se.negative_terms);
    }
    let r = &s.rising_terms;
    let _ = writeln!(out, "{h} {}\n", w("rising"));
    let _ = writeln!(out, "{} {} {} {}.\n", w("sample"), r.sample_size, w("of"), r.matched);
    terms(out, lang, &r.terms);
    let _ = writeln!(out, "{h} {}\n", w("sources"));
    let _ = writeln!(out, "| {} | {} | % |\n|---|---:|---:|", w("source"), w("items"));
    for c in &s.top_sources {
        let _ = writeln!(out, "| {} | [{}]({}) | {} |", escape(&c.key), c.count, c.search, percent(c.share));
    }
    let _ = writeln!(out, "\n{h} {}\n", w("stories"));
    let _ = writeln!(out, "| {} | {} | {} |\n|---|---:|---:|", w("story"), w("items"), w("n_sources"));
    for st in &s.top_stories {
        let _ = writeln!(out, "| [{}]({}) | {} | {} |", escape(&st.title), st.url, st.items, st.sources);
    }
    let _ = writeln!(out, "\n{h} {}\n", w("spikes"));
    if s.spikes.is_empty() {
        let _ = writeln!(out, "{}\n", w("none"));
    }
    for sp in &s.spikes {
        let drivers: Vec<String> = sp.top_terms.iter().take(5).map(|t| escape(&t.term.term)).collect();
        let sources: Vec<String> =
            sp.top_sources.iter().take(3).map(|c| format!("{} ({})", escape(&c.key), c.count)).collect();
        let _ = writeln!(
            out,
            "- **{}**: {} [{}]({}), {} {:.1} (×{:.1}, z = {:.1}); {}: {}; {}: {}; {}: {} → {}",
            sp.date,
            w("observed"),
            sp.check.observed,
            sp.search,
            w("expected"),
            sp.check.expected,
            sp.check.ratio,
            sp.check.z,
            w("drivers"),
            drivers.join(", "),
            w("source"),
            sources.join(", "),
            w("negative"),
            percent(sp.baseline_negative_share),
            percent(sp.negative_share)
        );
    }
    out.push('\n');
}

fn terms(out: &mut String, lang: &str, rows: &[TermRow]) {
    let w = |k| word(lang, k);
    if rows.is_empty() {
        let _ = writeln!(out, "{}\n", w("none"));
        return;
    }
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n|---|---:|---:|---:|",
        w("term"),
        w("count"),
        w("baseline_count"),
        w("llr")
    );
    for t in rows {
        let _ = writeln!(
            out,
            "| {} | [{}]({}) | {} | {:.1} |",
            escape(&t.term.term),
            t.term.count,
            t.search,
            t.term.baseline_count,
            t.term.llr
        );
    }
    out.push('\n');
}

fn triage_line(out: &mut String, label: &str, r: &TriageRow) {
    let m = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        escape(label),
        r.raised,
        r.confirmed,
        r.escalated,
        r.dismissed,
        r.open,
        m(r.median_minutes_to_claim),
        m(r.median_minutes_to_verdict)
    );
}

/// Crawled text in a table cell or link label: no Markdown or HTML comes through.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '[' | ']' | '*' | '_' | '`' | '<' | '>' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
