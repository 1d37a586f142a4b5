//! Pages out of WARC files (ISO 28500, as wget, Heritrix, warcio and Browsertrix write them), for
//! `duluan ingest` of archives made elsewhere.
//!
//! A WARC file is a sequence of records, each a block of `Name: value` headers and a body of
//! `Content-Length` bytes; `.warc.gz` files are the same, gzip-compressed record by record
//! ([`WarcReader::open`] reads both). The pages are the `response` records of HTTP exchanges that
//! answered 200 with HTML, and `resource` records of HTML; each gives its `WARC-Target-URI` and
//! body (chunked transfer and gzip or deflate content encoding undone). Every other record
//! (requests, metadata, revisits, images) is read past.
//!
//! Hostile input is bounded: a header line is at most 8 KiB and a record at most 64 headers, a
//! page body at most [`MAX_BODY`] once decoded (a larger record is read past, not held), and a
//! record that breaks the format ends the file with an error naming the record.

use std::io::{BufRead, Read};

/// Largest page body kept, decoded; larger records are skipped.
pub const MAX_BODY: u64 = 16 << 20;
const MAX_LINE: usize = 8 << 10;
const MAX_HEADERS: usize = 64;

/// A page found in a WARC file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcPage {
    /// `WARC-Target-URI`.
    pub url: String,
    /// `WARC-Date` as written (RFC 3339), when the record has one.
    pub date: Option<String>,
    /// The page as served (its bytes, in whatever charset it declares).
    pub html: Vec<u8>,
    /// Place of its record in the file, from 1.
    pub record: usize,
}

/// Why a WARC file could not be read on.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    /// Reading failed.
    #[error("record {record}: {source}")]
    Io {
        /// Place of the record.
        record: usize,
        /// The error.
        source: std::io::Error,
    },
    /// The record is not WARC.
    #[error("record {record}: {message}")]
    Format {
        /// Place of the record.
        record: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads the pages of a WARC file one record at a time.
pub struct WarcReader<R> {
    input: R,
    record: usize,
    done: bool,
}

impl WarcReader<Box<dyn BufRead + Send>> {
    /// A reader of `input`, plain or gzip-compressed (told by its first bytes).
    pub fn open(mut input: impl BufRead + Send + 'static) -> std::io::Result<Self> {
        let gzip = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + Send> = if gzip {
            Box::new(std::io::BufReader::new(flate2::bufread::MultiGzDecoder::new(input)))
        } else {
            Box::new(input)
        };
        Ok(WarcReader::new(input))
    }
}

impl<R: BufRead> WarcReader<R> {
    /// A reader of uncompressed WARC records.
    pub fn new(input: R) -> Self {
        WarcReader { input, record: 0, done: false }
    }

    fn format(&self, message: impl Into<String>) -> WarcError {
        WarcError::Format { record: self.record, message: message.into() }
    }

    fn io(&self, source: std::io::Error) -> WarcError {
        WarcError::Io { record: self.record, source }
    }

    /// The next page, `None` at the end, or why the file cannot be read on (then `None` after).
    fn next_page(&mut self) -> Result<Option<WarcPage>, WarcError> {
        loop {
            let Some(headers) = self.record_headers()? else { return Ok(None) };
            let length = header(&headers, "content-length")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| self.format("no Content-Length"))?;
            let kind = header(&headers, "warc-type").unwrap_or_default().to_ascii_lowercase();
            let url = header(&headers, "warc-target-uri").map(|u| u.trim().trim_matches(['<', '>']).to_string());
            let content_type = header(&headers, "content-type").unwrap_or_default().to_ascii_lowercase();
            let wanted = match kind.as_str() {
                // The block's type is only a SHOULD: without one, the block says what it is.
                "response" => content_type.is_empty() || content_type.starts_with("application/http"),
                "resource" => content_type.contains("html"),
                _ => false,
            };
            let block = if wanted && length <= MAX_BODY + MAX_LINE as u64 * MAX_HEADERS as u64 {
                let mut block = Vec::with_capacity(length.min(1 << 20) as usize);
                (&mut self.input).take(length).read_to_end(&mut block).map_err(|e| self.io(e))?;
                if block.len() as u64 != length {
                    return Err(self.format(format!("{} bytes where Content-Length says {length}", block.len())));
                }
                Some(block)
            } else {
                let skipped =
                    std::io::copy(&mut (&mut self.input).take(length), &mut std::io::sink()).map_err(|e| self.io(e))?;
                if skipped != length {
                    return Err(self.format(format!("{skipped} bytes where Content-Length says {length}")));
                }
                None
            };
            self.end_of_record()?;
            let (Some(block), Some(url)) = (block, url) else { continue };
            let html = if kind == "response" { http_html(&block) } else { Some(block) };
            if let Some(html) = html.filter(|h| !h.is_empty()) {
                let date = header(&headers, "warc-date").map(|d| d.trim().to_string());
                return Ok(Some(WarcPage { url, date, html, record: self.record }));
            }
        }
    }

    /// The headers of the next record (after its `WARC/` version line), or `None` at the end.
    fn record_headers(&mut self) -> Result<Option<Vec<(String, String)>>, WarcError> {
        // What goes wrong from here on is the next record's.
        self.record += 1;
        let version = loop {
            match self.line()? {
                None => {
                    self.record -= 1;
                    return Ok(None);
                }
                // Blank lines between records are tolerated (some writers add more than two).
                Some(line) if line.trim().is_empty() => continue,
                Some(line) => break line,
            }
        };
        if !version.starts_with("WARC/") {
            return Err(self.format(format!("expected a WARC/ version line, found `{}`", shown(&version))));
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        // Lines, continuations included: folded lines add to a value, and must not grow it forever.
        for _ in 0..MAX_HEADERS * 2 {
            let line = self.line()?.ok_or_else(|| self.format("the file ends inside the record's headers"))?;
            if line.is_empty() {
                return Ok(Some(headers));
            }
            // A line that starts with a space or tab continues the header before it (WARC/1.0).
            if line.starts_with([' ', '\t'])
                && let Some((_, value)) = headers.last_mut()
            {
                value.push(' ');
                value.push_str(line.trim());
                continue;
            }
            if headers.len() == MAX_HEADERS {
                return Err(self.format(format!("more than {MAX_HEADERS} headers")));
            }
            let (name, value) =
                line.split_once(':').ok_or_else(|| self.format(format!("not a header: `{}`", shown(&line))))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        Err(self.format(format!("more than {} header lines", MAX_HEADERS * 2)))
    }

    /// One line without its line break, at most [`MAX_LINE`] bytes; `None` at the end of input.
    fn line(&mut self) -> Result<Option<String>, WarcError> {
        let mut bytes = Vec::new();
        // The line break is no part of the line: two bytes more for it.
        let read = (&mut self.input).take(MAX_LINE as u64 + 3).read_until(b'\n', &mut bytes).map_err(|e| self.io(e))?;
        if read == 0 {
            return Ok(None);
        }
        while bytes.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            bytes.pop();
        }
        if bytes.len() > MAX_LINE {
            return Err(self.format(format!("a header line longer than {MAX_LINE} bytes")));
        }
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The two line breaks that end a record (tolerated missing at the end of the file).
    fn end_of_record(&mut self) -> Result<(), WarcError> {
        for _ in 0..2 {
            match self.peek()? {
                Some(b'\r') => {
                    self.input.consume(1);
                    if self.peek()? == Some(b'\n') {
                        self.input.consume(1);
                    }
                }
                Some(b'\n') => self.input.consume(1),
                _ => break,
            }
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<Option<u8>, WarcError> {
        let record = self.record;
        let buffered = self.input.fill_buf().map_err(|source| WarcError::Io { record, source })?;
        Ok(buffered.first().copied())
    }
}

impl<R: BufRead> Iterator for WarcReader<R> {
    type Item = Result<WarcPage, WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_page();
        self.done = !matches!(next, Ok(Some(_)));
        next.transpose()
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A line of input as shown in an error: at most 60 characters.
fn shown(line: &str) -> String {
    line.chars().take(60).collect()
}

/// The HTML body of an HTTP response, if it answered 200 with HTML (or with no content type).
fn http_html(block: &[u8]) -> Option<Vec<u8>> {
    // The headers end at the first blank line, however its line breaks are written: the body
    // may hold the other kind.
    let crlf = memchr::memmem::find(block, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = memchr::memmem::find(block, b"\n\n").map(|i| (i, i + 2));
    let split = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let head = String::from_utf8_lossy(block.get(..split.0)?);
    let body = block.get(split.1..)?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?;
    if status != "200" {
        return None;
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
        .collect();
    let content_type = header(&headers, "content-type").unwrap_or("text/html");
    if !(content_type.contains("html") || content_type.contains("xml") && content_type.contains("xhtml")) {
        return None;
    }
    let body = if header(&headers, "transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    match header(&headers, "content-encoding").unwrap_or("identity") {
        "gzip" | "x-gzip" => inflate(flate2::read::MultiGzDecoder::new(body.as_slice())),
        "deflate" => inflate(flate2::read::ZlibDecoder::new(body.as_slice())),
        "identity" | "" => Some(body),
        // Brotli and the rest: not readable here.
        _ => None,
    }
}

/// Decoded, at most [`MAX_BODY`] bytes; `None` past it or when the stream is broken.
fn inflate(decoder: impl Read) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decoder.take(MAX_BODY + 1).read_to_end(&mut out).ok()?;
    (out.len() as u64 <= MAX_BODY).then_some(out)
}

/// A chunked HTTP body joined; `None` when the chunks are broken.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = memchr::memchr(b'\n', body)?;
        let size_line = String::from_utf8_lossy(&body[..end]);
        let size = usize::from_str_radix(size_line.trim().split(';').next()?.trim(), 16).ok()?;
        body = &body[end + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        if out.len() as u64 > MAX_BODY {
            return None;
        }
        body = body.get(size..)?;
        body = body.strip_prefix(b"\r\n").or_else(|| body.strip_prefix(b"\n")).unwrap_or(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
        let head = format!(
            "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2026-11-20T01:02:03Z\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        );
        [head.as_bytes(), block, b"\r\n\r\n"].concat()
    }

    fn pages(bytes: Vec<u8>) -> Vec<Result<WarcPage, String>> {
        let reader = WarcReader::open(std::io::Cursor::new(bytes)).expect("opens");
        reader.map(|r| r.map_err(|e| e.to_string())).collect()
    }

    const PAGE: &[u8] = "<html><body><p>Giá xăng tăng</p></body></html>".as_bytes();

    fn response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
        [format!("HTTP/1.1 {status}\r\n{headers}\r\n").as_bytes(), body].concat()
    }

    #[test]
    fn responses_and_resources_of_html_are_pages_and_the_rest_is_read_past() {
        let gzipped = {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut gz, PAGE).expect("gzip");
            gz.finish().expect("gzip")
        };
        let chunked = [
            b"5\r\n".as_slice(),
            &PAGE[..5],
            b"\r\n",
            format!("{:x}\r\n", PAGE.len() - 5).as_bytes(),
            &PAGE[5..],
            b"\r\n0\r\n\r\n",
        ]
        .concat();
        let file = [
            record("warcinfo", "", "application/warc-fields", b"software: test\r\n"),
            record("request", "https://a.vn/1", "application/http; msgtype=request", b"GET /1 HTTP/1.1\r\n\r\n"),
            record(
                "response",
                "https://a.vn/1",
                "application/http; msgtype=response",
                &response("200 OK", "Content-Type: text/html; charset=utf-8\r\n", PAGE),
            ),
            record(
                "response",
                "https://a.vn/404",
                "application/http; msgtype=response",
                &response("404 Not Found", "Content-Type: text/html\r\n", PAGE),
            ),
            record(
                "response",
                "https://a.vn/img",
                "application/http; msgtype=response",
                &response("200 OK", "Content-Type: image/png\r\n", b"\x89PNG"),
            ),
            record(
                "response",
                "<https://a.vn/gz>",
                "application/http; msgtype=response",
                &response("200 OK", "Content-Encoding: gzip\r\n", &gzipped),
            ),
            record(
                "response",
                "https://a.vn/chunked",
                "application/http; msgtype=response",
                &response("200 OK", "Transfer-Encoding: chunked\r\n", &chunked),
            ),
            record("resource", "https://a.vn/r", "text/html", PAGE),
            record("metadata", "https://a.vn/1", "application/warc-fields", b"via: x\r\n"),
        ]
        .concat();
        for bytes in [file.clone(), {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut gz, &file).expect("gzip");
            gz.finish().expect("gzip")
        }] {
            let found: Vec<(String, usize)> =
                pages(bytes).into_iter().map(|p| p.map(|p| (p.url, p.record)).expect("a page")).collect();
            let urls: Vec<&str> = found.iter().map(|(u, _)| u.as_str()).collect();
            assert_eq!(urls, ["https://a.vn/1", "https://a.vn/gz", "https://a.vn/chunked", "https://a.vn/r"]);
            assert_eq!(found[0].1, 3, "records are counted from 1");
        }
        let first = pages(file).remove(0).expect("a page");
        assert_eq!((first.html.as_slice(), first.date.as_deref()), (PAGE, Some("2026-11-20T01:02:03Z")));
    }

    #[test]
    fn broken_files_end_with_an_error_naming_the_record() {
        let good = record("resource", "https://a.vn/r", "text/html", PAGE);
        for (broken, expected) in [
            (b"<html>not warc</html>".to_vec(), "record 1: expected a WARC/ version line"),
            (
                [good.clone(), b"WARC/1.0\r\nWARC-Type: resource\r\n\r\n".to_vec()].concat(),
                "record 2: no Content-Length",
            ),
            ([good.clone(), b"WARC/1.0\r\nWARC-Type".to_vec()].concat(), "record 2: not a header"),
            ([good.clone(), b"WARC/1.0\r\n".to_vec(), vec![b'a'; MAX_LINE + 10]].concat(), "longer than"),
            ([good.clone(), b"WARC/1.0\r\nX: a\r\n".to_vec(), b" more\r\n".repeat(1000)].concat(), "header lines"),
        ] {
            let got = pages(broken);
            let error = got.last().and_then(|r| r.as_ref().err()).cloned().unwrap_or_default();
            assert!(error.contains(expected), "{expected}: {got:?}");
        }
        // A record cut short is an error, not a page of what is there, whether it is a page or not.
        let cut = good[..good.len() - 10].to_vec();
        assert!(pages(cut).iter().all(Result::is_err));
        let request = record("request", "https://a.vn/r", "application/http; msgtype=request", &[b'x'; 100]);
        let got = pages([good.clone(), request[..request.len() - 30].to_vec()].concat());
        assert!(got[0].is_ok() && got[1].as_ref().is_err_and(|e| e.starts_with("record 2: ")), "{got:?}");
        // An error between records is the next record's.
        let gz = |bytes: &[u8]| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut gz, bytes).expect("gzip");
            gz.finish().expect("gzip")
        };
        let got = pages([gz(&good), gz(&good)[..20].to_vec()].concat());
        assert!(got[0].is_ok() && got[1].as_ref().is_err_and(|e| e.starts_with("record 2: ")), "{got:?}");
    }

    #[test]
    fn real_world_variations_are_read() {
        // HTTP headers ending in bare line feeds, before a body with a CRLF blank line.
        let body = b"<html><head><title>B\xc3\xa3o</title></head><body><p>a</p>\r\n\r\n<p>b</p></body></html>";
        let lf = [b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n".as_slice(), body].concat();
        let got = pages(record("response", "https://a.vn/lf", "application/http", &lf));
        assert_eq!(got[0].as_ref().map(|p| p.html.as_slice()), Ok(body.as_slice()));
        // No Content-Type on the record: the block says it is HTTP.
        let block = response("200 OK", "", PAGE);
        let untyped = format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://a.vn/n\r\nContent-Length: {}\r\n\r\n",
            block.len()
        );
        let got = pages([untyped.as_bytes(), &block, b"\r\n\r\n"].concat());
        assert_eq!(got[0].as_ref().map(|p| p.url.as_str()), Ok("https://a.vn/n"));
        // A header folded onto a second line, and a target URI of the longest line allowed.
        let long = format!("https://a.vn/{}", "x".repeat(MAX_LINE - "WARC-Target-URI: https://a.vn/".len()));
        let folded = format!(
            "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: {long}\r\nContent-Type: text/html;\r\n charset=utf-8\r\nContent-Length: {}\r\n\r\n",
            PAGE.len()
        );
        let got = pages([folded.as_bytes(), PAGE, b"\r\n\r\n"].concat());
        assert_eq!(got[0].as_ref().map(|p| p.url.len()), Ok(long.len()), "{got:?}");
    }
}
