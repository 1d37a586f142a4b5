//! The report as one self-contained HTML page: inline CSS with a print stylesheet, SVG charts,
//! every number a link to the search that produces it. Crawled text is always escaped.

use std::fmt::Write;

use super::svg::{Series, bars, esc, lines, stacked};
use super::words::word;
use super::{percent, signed_percent};
use crate::{Report, Section, TermRow, TriageRow};

const STYLE: &str = "body{font-family:system-ui,'Segoe UI',Roboto,'Noto Sans',sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{border-bottom:2px solid #3b6ea8;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
td.n,th.n{text-align:right}a{color:#1b4f8a;text-decoration:none}a:hover{text-decoration:underline}\
.kpi{display:flex;gap:1em;flex-wrap:wrap}.kpi div{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:9em}\
.kpi b{display:block;font-size:1.4em}.chart{width:100%;height:auto;margin:.5em 0}.muted{color:#666;font-size:.9em}\
@media print{body{margin:0;max-width:none}a{color:inherit}h2{break-before:page}h2:first-of-type{break-before:auto}\
.chart,table{break-inside:avoid}}";

/// The stylesheet of the report page (also served to the dashboard by the web UI).
pub fn stylesheet() -> &'static str {
    STYLE
}

/// The report as a self-contained HTML page.
pub fn html(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&report.lang),
        esc(&report.title)
    );
    out.push_str(&body(report));
    out.push_str("</body></html>");
    out
}

/// The report's content without page, head or style: for embedding in another page. Every
/// piece of crawled text in it is escaped.
pub fn body(report: &Report) -> String {
    let w = |k| word(&report.lang, k);
    let p = &report.period;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"muted\">{}: {} – {} ({}); {} {} – {}. {}: {}</p>",
        esc(&report.title),
        w("period"),
        p.from,
        p.to,
        esc(&p.timezone),
        w("baseline"),
        p.baseline_from,
        p.baseline_to,
        w("generated"),
        report.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    if !report.topics.is_empty() {
        topics_overview(&mut out, report);
    }
    let _ = write!(out, "<h2 id=\"all\">{}</h2>", w("all"));
    section(&mut out, &report.lang, &report.all, false);
    for topic in &report.topics {
        let _ = write!(out, "<h2 id=\"topic-{}\">{}: {}</h2>", esc(&topic.id), w("topic"), esc(&topic.name));
        if !topic.query.is_empty() {
            let _ = write!(out, "<p class=\"muted\">{}: <code>{}</code></p>", w("query"), esc(&topic.query));
        }
        section(&mut out, &report.lang, &topic.section, true);
    }
    triage(&mut out, report);
    out
}

pub(crate) const COLORS: [&str; 5] = ["#3b6ea8", "#d9822b", "#4a9d5b", "#a83b6e", "#7a5fb5"];

/// All topics' share of coverage on one chart.
fn topics_overview(out: &mut String, report: &Report) {
    let w = |k| word(&report.lang, k);
    let days: Vec<String> = report.all.volume.days.iter().map(|d| d.date.format("%d/%m").to_string()).collect();
    let series: Vec<Series<'_>> = report
        .topics
        .iter()
        .take(COLORS.len())
        .zip(COLORS)
        .map(|(t, color)| Series {
            name: &t.name,
            color,
            values: t.section.volume.days.iter().map(|d| d.share).collect(),
        })
        .collect();
    let _ = write!(out, "<h2>{}</h2>", w("topics"));
    out.push_str(&lines(w("share"), &days, &series, &[], true));
    let _ = write!(
        out,
        "<table><tr><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr>",
        w("topic"),
        w("items"),
        w("change"),
        w("share"),
        w("negative")
    );
    for t in &report.topics {
        let v = &t.section.volume;
        let _ = write!(
            out,
            "<tr><td><a href=\"#topic-{}\">{}</a></td><td class=\"n\"><a href=\"{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&t.id),
            esc(&t.name),
            esc(&v.search),
            v.total,
            signed_percent(v.change),
            percent(v.share),
            percent(t.section.sentiment.negative_share)
        );
    }
    out.push_str("</table>");
}

/// `share_chart`: draw the share of coverage (always 100 % for all items, so not for them).
fn section(out: &mut String, lang: &str, s: &Section, share_chart: bool) {
    let w = |k| word(lang, k);
    let v = &s.volume;
    let se = &s.sentiment;
    let _ = write!(
        out,
        "<div class=\"kpi\"><div>{}<b><a href=\"{}\">{}</a></b></div><div>{}<b>{}</b>{} {}</div><div>{}<b>{}</b></div><div>{}<b><a href=\"{}\">{}</a></b>{} {}</div></div>",
        w("items"),
        esc(&v.search),
        v.total,
        w("change"),
        signed_percent(v.change),
        w("previous"),
        v.baseline_total,
        w("share"),
        percent(v.share),
        w("negative"),
        esc(&se.search_negative),
        percent(se.negative_share),
        w("previous"),
        percent(se.baseline_negative_share)
    );
    let days: Vec<String> = v.days.iter().map(|d| d.date.format("%d/%m").to_string()).collect();
    let markers: Vec<usize> = s.spikes.iter().filter_map(|sp| v.days.iter().position(|d| d.date == sp.date)).collect();
    let _ = write!(out, "<h3>{}</h3>", w("volume"));
    out.push_str(&lines(
        w("volume"),
        &days,
        &[Series { name: w("items"), color: COLORS[0], values: v.days.iter().map(|d| d.items as f64).collect() }],
        &markers,
        false,
    ));
    if share_chart {
        out.push_str(&lines(
            w("share"),
            &days,
            &[Series { name: w("share"), color: COLORS[1], values: v.days.iter().map(|d| d.share).collect() }],
            &markers,
            true,
        ));
    }
    let _ = write!(out, "<h3>{}</h3>", w("sentiment"));
    out.push_str(&stacked(
        w("sentiment"),
        &days,
        &[
            Series {
                name: w("negative"),
                color: "#c0392b",
                values: se.days.iter().map(|d| d.negative as f64).collect(),
            },
            Series { name: w("neutral"), color: "#aab2bd", values: se.days.iter().map(|d| d.neutral as f64).collect() },
            Series {
                name: w("positive"),
                color: "#27ae60",
                values: se.days.iter().map(|d| d.positive as f64).collect(),
            },
        ],
    ));
    let _ = write!(
        out,
        "<p>{} {} ({}) · {} {} ({}) · {} {} ({}) · {} {:.3}</p>",
        w("negative"),
        se.negative,
        percent(se.negative_share),
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
        let _ = write!(out, "<h4>{}</h4>", w("negative_terms"));
        terms(out, lang, &se.negative_terms);
    }
    let r = &s.rising_terms;
    let _ = write!(
        out,
        "<h3>{}</h3><p class=\"muted\">{} {} {} {}</p>",
        w("rising"),
        w("sample"),
        r.sample_size,
        w("of"),
        r.matched
    );
    terms(out, lang, &r.terms);
    let _ = write!(out, "<h3>{}</h3>", w("sources"));
    let rows: Vec<(String, f64, String)> =
        s.top_sources.iter().map(|c| (c.key.clone(), c.count as f64, c.search.clone())).collect();
    out.push_str(&bars(w("sources"), &rows));
    let _ = write!(
        out,
        "<h3>{}</h3><table><tr><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr>",
        w("stories"),
        w("story"),
        w("items"),
        w("n_sources")
    );
    for st in &s.top_stories {
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&safe_url(&st.url)),
            esc(&st.title),
            st.items,
            st.sources
        );
    }
    out.push_str("</table>");
    spikes(out, lang, s);
}

fn spikes(out: &mut String, lang: &str, s: &Section) {
    let w = |k| word(lang, k);
    let _ = write!(out, "<h3>{}</h3>", w("spikes"));
    if s.spikes.is_empty() {
        let _ = write!(out, "<p>{}</p>", w("none"));
        return;
    }
    for sp in &s.spikes {
        let drivers: Vec<String> = sp
            .top_terms
            .iter()
            .take(5)
            .map(|t| format!("<a href=\"{}\">{}</a>", esc(&t.search), esc(&t.term.term)))
            .collect();
        let sources: Vec<String> =
            sp.top_sources.iter().take(3).map(|c| format!("{} ({})", esc(&c.key), c.count)).collect();
        let stories: Vec<String> = sp.top_stories.iter().take(3).map(|st| esc(&st.title)).collect();
        let _ = write!(
            out,
            "<p class=\"spike\"><b>{}</b>: {} <a href=\"{}\">{}</a>, {} {:.1} (×{:.1}, z = {:.1}). {}: {}. {}: {}. {}: {}. {}: {} → {}</p>",
            sp.date,
            w("observed"),
            esc(&sp.search),
            sp.check.observed,
            w("expected"),
            sp.check.expected,
            sp.check.ratio,
            sp.check.z,
            w("drivers"),
            drivers.join(", "),
            w("source"),
            sources.join(", "),
            w("stories"),
            stories.join("; "),
            w("negative"),
            percent(sp.baseline_negative_share),
            percent(sp.negative_share)
        );
    }
}

fn terms(out: &mut String, lang: &str, rows: &[TermRow]) {
    let w = |k| word(lang, k);
    if rows.is_empty() {
        let _ = write!(out, "<p>{}</p>", w("none"));
        return;
    }
    let _ = write!(
        out,
        "<table class=\"terms\"><tr><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr>",
        w("term"),
        w("count"),
        w("baseline_count"),
        w("llr")
    );
    for t in rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\"><a href=\"{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
            esc(&t.term.term),
            esc(&t.search),
            t.term.count,
            t.term.baseline_count,
            t.term.llr
        );
    }
    out.push_str("</table>");
}

fn triage(out: &mut String, report: &Report) {
    let w = |k| word(&report.lang, k);
    let _ = write!(out, "<h2>{}</h2><table><tr><th></th>", w("triage"));
    for k in ["raised", "confirmed", "escalated", "dismissed", "open", "to_claim", "to_verdict"] {
        let _ = write!(out, "<th class=\"n\">{}</th>", w(k));
    }
    out.push_str("</tr>");
    triage_row(out, w("all"), &report.triage.all);
    for r in &report.triage.by_team {
        triage_row(out, &format!("{} {}", w("team"), r.key), r);
    }
    for r in &report.triage.by_rule {
        triage_row(out, &format!("{} {}", w("rule"), r.key), r);
    }
    out.push_str("</table>");
}

fn triage_row(out: &mut String, label: &str, r: &TriageRow) {
    let m = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
    let _ = write!(
        out,
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
        esc(label),
        r.raised,
        r.confirmed,
        r.escalated,
        r.dismissed,
        r.open,
        m(r.median_minutes_to_claim),
        m(r.median_minutes_to_verdict)
    );
}

/// Only http(s) links from crawled pages are made clickable.
fn safe_url(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") { url.to_string() } else { "#".to_string() }
}
