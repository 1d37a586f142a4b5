//! Reading JSONL and text input line by line with a cap on a line's length, so that a hostile
//! or broken file (one line of gigabytes) is answered with an error, never held in memory.

use std::io::BufRead;

/// Longest line the commands read (16 MiB, past any page the crawler keeps: `max_body_bytes` is
/// 10 MiB): a longer one is answered with an error and skipped without being held in memory.
/// The text analysis of a line costs tens of bytes a syllable, so 64 MiB of `a a a …` took
/// 2 to 5 GB to match.
pub(crate) const MAX_LINE: usize = 16 << 20;

/// One line of input, without its line end.
#[derive(Debug, PartialEq)]
pub(crate) enum Line<'b> {
    Bytes(&'b [u8]),
    /// Longer than the limit; skipped.
    TooLong,
}

/// The next line of `input` (`None`: end of input), holding at most `limit` bytes of it in `buf`.
pub(crate) fn next_line<'b, R: BufRead>(
    input: &mut R,
    buf: &'b mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<Line<'b>>> {
    buf.clear();
    let read = <&mut R as std::io::Read>::take(input, limit as u64 + 1).read_until(b'\n', buf)?;
    if read == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if buf.len() > limit {
        skip_line(input)?;
        return Ok(Some(Line::TooLong));
    }
    Ok(Some(Line::Bytes(buf)))
}

/// Reads past the end of the current line.
fn skip_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = chunk.len();
                input.consume(n);
            }
        }
    }
}

/// What a line past [`MAX_LINE`] is answered with.
pub(crate) fn too_long() -> String {
    format!("longer than {} MiB; skipped", MAX_LINE >> 20)
}

/// A line without the byte-order mark that files saved on Windows often begin with (`n` is the
/// line's number from 1), which is no JSON.
pub(crate) fn without_bom(n: usize, line: &str) -> &str {
    if n == 1 { line.strip_prefix('\u{feff}').unwrap_or(line) } else { line }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<Option<Vec<u8>>> {
        let mut input = std::io::Cursor::new(input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = next_line(&mut input, &mut buf, limit).expect("reads") {
            out.push(match line {
                Line::Bytes(b) => Some(b.to_vec()),
                Line::TooLong => None,
            });
        }
        out
    }

    #[test]
    fn lines_end_at_newlines_and_long_ones_are_skipped_whole() {
        let got = lines(b"abc\r\n\n0123456789\nxy\xff\n12345", 5);
        let want: Vec<Option<Vec<u8>>> =
            vec![Some(b"abc".to_vec()), Some(Vec::new()), None, Some(b"xy\xff".to_vec()), Some(b"12345".to_vec())];
        assert_eq!(got, want);
        // A long last line without a newline, and a line of exactly the limit.
        assert_eq!(lines(b"12345\n123456", 5), vec![Some(b"12345".to_vec()), None]);
        assert_eq!(lines(b"", 5), Vec::<Option<Vec<u8>>>::new());
    }
}
