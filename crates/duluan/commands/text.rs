//! `duluan text normalize|fold|lang|date`: line in, line out.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::TextOp;

pub(crate) fn run(op: TextOp) -> Result<ExitCode> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let now = chrono::Utc::now();
    for line in stdin.lock().split(b'\n') {
        let bytes = line?;
        // Invalid UTF-8 is decoded like a page would be, never rejected.
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => duluan_text::decode(e.as_bytes(), None, None).text,
        };
        let text = text.strip_suffix('\r').unwrap_or(&text);
        let result = match op {
            TextOp::Normalize => duluan_text::normalize(text).replace('\n', " "),
            TextOp::Fold => duluan_text::fold(text),
            TextOp::Lang => {
                let l = duluan_text::detect_language(text, None);
                format!("{}\t{:.2}", l.code, l.confidence)
            }
            TextOp::Date => duluan_text::parse_date_at(text, now)
                .map(|d| d.with_timezone(&vietnam()).to_rfc3339())
                .unwrap_or_default(),
        };
        writeln!(out, "{result}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!("+07:00 is valid"))
}
