//! Small SVG charts drawn by hand: no script, no external file, readable when printed.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// A named series of values.
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) color: &'a str,
    pub(crate) values: Vec<f64>,
}

/// Escape text for SVG/HTML.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn open(out: &mut String, label: &str, height: f64) {
    let _ = write!(
        out,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}">"#,
        esc(label)
    );
}

fn x_at(i: usize, n: usize) -> f64 {
    let span = WIDTH - LEFT - RIGHT;
    if n <= 1 { LEFT + span / 2.0 } else { LEFT + span * i as f64 / (n - 1) as f64 }
}

fn y_at(v: f64, max: f64) -> f64 {
    let span = HEIGHT - TOP - BOTTOM;
    HEIGHT - BOTTOM - if max > 0.0 { span * (v / max).clamp(0.0, 1.0) } else { 0.0 }
}

/// `steps` gridlines above zero, evenly up to `max` (see [`scale`]).
fn axes(out: &mut String, labels: &[String], max: f64, steps: u32, format: &dyn Fn(f64) -> String) {
    let steps = steps.max(1);
    for step in 0..=steps {
        let v = max * f64::from(step) / f64::from(steps);
        let y = y_at(v, max);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            esc(&format(v))
        );
    }
    let every = (labels.len() / 8).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#555">{}</text>"##,
            x_at(i, labels.len()),
            HEIGHT - 10.0,
            esc(label)
        );
    }
}

fn legend(out: &mut String, series: &[Series<'_>]) {
    for (i, s) in series.iter().enumerate() {
        let x = LEFT + 8.0 + 150.0 * i as f64;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{TOP}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
            s.color,
            x + 14.0,
            TOP + 9.0,
            esc(s.name)
        );
    }
}

/// Lines over days; `markers` are indices of days to flag (spikes).
pub(crate) fn lines(label: &str, days: &[String], series: &[Series<'_>], markers: &[usize], percent: bool) -> String {
    let max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0, f64::max);
    // Percentages are scaled in whole percents, as they are labelled.
    let unit = if percent { 100.0 } else { 1.0 };
    let (top, steps) = scale(max * unit);
    let max = top / unit;
    let mut out = String::new();
    open(&mut out, label, HEIGHT);
    let format = |v: f64| if percent { format!("{:.0}%", v * 100.0) } else { format!("{v:.0}") };
    axes(&mut out, days, max, steps, &format);
    for &i in markers {
        let x = x_at(i, days.len());
        let _ = write!(
            out,
            r##"<line class="spike" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#d33" stroke-dasharray="4 3"/>"##,
            HEIGHT - BOTTOM
        );
    }
    for s in series {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_at(i, s.values.len()), y_at(*v, max)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            s.color,
            points.join(" "),
            esc(s.name)
        );
    }
    legend(&mut out, series);
    out.push_str("</svg>");
    out
}

/// Layers stacked to 100 % per day (each day's values are divided by their sum).
pub(crate) fn stacked(label: &str, days: &[String], layers: &[Series<'_>]) -> String {
    let n = days.len();
    let totals: Vec<f64> =
        (0..n).map(|i| layers.iter().map(|l| l.values.get(i).copied().unwrap_or(0.0)).sum()).collect();
    let mut out = String::new();
    open(&mut out, label, HEIGHT);
    axes(&mut out, days, 1.0, 4, &|v| format!("{:.0}%", v * 100.0));
    let mut below = vec![0.0f64; n];
    for layer in layers {
        let above: Vec<f64> = (0..n)
            .map(|i| {
                below[i] + if totals[i] > 0.0 { layer.values.get(i).copied().unwrap_or(0.0) / totals[i] } else { 0.0 }
            })
            .collect();
        let mut points: Vec<String> = (0..n).map(|i| format!("{:.1},{:.1}", x_at(i, n), y_at(above[i], 1.0))).collect();
        points.extend((0..n).rev().map(|i| format!("{:.1},{:.1}", x_at(i, n), y_at(below[i], 1.0))));
        let _ = write!(
            out,
            r#"<polygon fill="{}" fill-opacity="0.85" points="{}"><title>{}</title></polygon>"#,
            layer.color,
            points.join(" "),
            esc(layer.name)
        );
        below = above;
    }
    legend(&mut out, layers);
    out.push_str("</svg>");
    out
}

/// Horizontal bars, largest first as given; each label may link to its search.
pub(crate) fn bars(label: &str, rows: &[(String, f64, String)]) -> String {
    let row_h = 22.0;
    let height = TOP + row_h * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let label_w = 180.0;
    let span = WIDTH - label_w - 70.0;
    let mut out = String::new();
    open(&mut out, label, height);
    for (i, (name, value, link)) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let w = if max > 0.0 { span * value / max } else { 0.0 };
        let _ = write!(
            out,
            r##"<a href="{}"><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text></a><rect x="{label_w}" y="{:.1}" width="{w:.1}" height="14" fill="#3b6ea8"/><text x="{:.1}" y="{:.1}" font-size="11">{value:.0}</text>"##,
            esc(link),
            label_w - 6.0,
            y + 11.0,
            esc(&truncate(name, 28)),
            y + 1.0,
            label_w + w + 4.0,
            y + 11.0
        );
    }
    out.push_str("</svg>");
    out
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    }
}

/// A round upper bound for an axis.
/// The top of a value axis at or above `max` and its number of gridlines, each at a whole
/// number, as the labels show them: `0 1 2` for a top count of 2 (four lines at 0.5 steps were
/// labelled `0 0 1 2 2`), `0 20 40 60 80` for 70.
fn scale(max: f64) -> (f64, u32) {
    if max <= 4.0 {
        let top = max.ceil().max(1.0);
        return (top, top as u32);
    }
    let quarter = max / 4.0;
    let magnitude = 10f64.powf(quarter.log10().floor());
    let step = [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|s| s * magnitude)
        .find(|&step| step >= quarter && step.fract() == 0.0)
        .unwrap_or(10.0 * magnitude);
    (4.0 * step, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_text_and_scale() {
        let days: Vec<String> = (1..=3).map(|d| format!("{d:02}")).collect();
        let s = lines("<b>", &days, &[Series { name: "a&b", color: "#000", values: vec![1.0, 5.0, 3.0] }], &[1], false);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;b&gt;") && s.contains("a&amp;b") && !s.contains("<b>"));
        assert!(s.contains("class=\"spike\""));
        let st = stacked("s", &days, &[Series { name: "x", color: "#111", values: vec![0.0, 1.0, 2.0] }]);
        assert_eq!(st.matches("<polygon").count(), 1);
        let b = bars("b", &[("<script>".into(), 3.0, "/search?q=\"x\"".into())]);
        assert!(!b.contains("<script>") && b.contains("&quot;x&quot;"));
    }

    #[test]
    fn gridlines_fall_on_whole_numbers() {
        assert_eq!(scale(0.0), (1.0, 1));
        assert_eq!(scale(1.0), (1.0, 1));
        assert_eq!(scale(2.0), (2.0, 2));
        assert_eq!(scale(3.5), (4.0, 4));
        assert_eq!(scale(7.0), (8.0, 4));
        assert_eq!(scale(10.0), (12.0, 4));
        assert_eq!(scale(70.0), (80.0, 4));
        assert_eq!(scale(230.0), (240.0, 4));
        for max in [0.3, 1.0, 2.0, 3.0, 5.0, 7.0, 9.0, 13.0, 37.0, 99.0, 101.0, 230.0, 1234.0, 98_765.0] {
            let (top, steps) = scale(max);
            assert!(top >= max, "{max}");
            let step = top / f64::from(steps);
            assert_eq!(step.fract(), 0.0, "{max}: step {step}");
        }
        let days: Vec<String> = (1..=2).map(|d| format!("{d:02}")).collect();
        let chart = lines("c", &days, &[Series { name: "a", color: "#000", values: vec![1.0, 2.0] }], &[], false);
        let labels: Vec<&str> = chart.split("fill=\"#555\">").skip(1).filter_map(|t| t.split('<').next()).collect();
        assert_eq!(labels[..3], ["0", "1", "2"]);
    }
}
