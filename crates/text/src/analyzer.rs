//! Tantivy tokenizers built from the same tokenisation and normalisation as rules use.
//!
//! Register [`VI_EXACT`] and [`VI_FOLDED`] on every index open; the schema stores only the names.
//! Tokens carry byte offsets into the original text, so snippets and highlights point at what the
//! page said, and positions, so phrases (`"khẩu trang"`) are adjacency queries.

use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

use crate::tokens::ViewScanner;

/// Name of the exact analyzer: lower case, canonical tone marks.
pub const VI_EXACT: &str = "vi_exact";
/// Name of the folded analyzer: lower case, no diacritics.
pub const VI_FOLDED: &str = "vi_folded";

/// Longest token indexed, in bytes; longer runs (base64, URLs glued together) are skipped.
const MAX_TOKEN_BYTES: usize = 64;

/// The syllable tokenizer, in exact or folded mode.
#[derive(Clone, Copy, Debug)]
pub struct SyllableTokenizer {
    folded: bool,
}

impl SyllableTokenizer {
    /// Exact mode.
    pub fn exact() -> Self {
        SyllableTokenizer { folded: false }
    }

    /// Folded mode.
    pub fn folded() -> Self {
        SyllableTokenizer { folded: true }
    }
}

/// Lazy token stream: one reused [`Token`] whose text buffer is overwritten for every syllable, so
/// indexing allocates nothing per token.
pub struct SyllableStream<'a> {
    spans: ViewScanner<'a>,
    folded: bool,
    token: Token,
    next_position: usize,
}

impl Tokenizer for SyllableTokenizer {
    type TokenStream<'a> = SyllableStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SyllableStream<'a> {
        SyllableStream { spans: ViewScanner::new(text), folded: self.folded, token: Token::default(), next_position: 0 }
    }
}

impl TokenStream for SyllableStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let token = &mut self.token;
            token.text.clear();
            let span = if self.folded {
                self.spans.next_into(None, Some(&mut token.text))
            } else {
                self.spans.next_into(Some(&mut token.text), None)
            };
            let Some((start, end)) = span else { return false };
            if end - start > MAX_TOKEN_BYTES {
                // Not indexed, but it still stands between its neighbours: a phrase must not
                // find them next to each other.
                self.next_position += 1;
                continue;
            }
            token.offset_from = start;
            token.offset_to = end;
            token.position = self.next_position;
            token.position_length = 1;
            self.next_position += 1;
            return true;
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mut t: SyllableTokenizer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = t.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let tok = stream.token();
            out.push((tok.text.clone(), tok.offset_from, tok.offset_to, tok.position));
        }
        out
    }

    #[test]
    fn exact_and_folded_tokens() {
        let text = "Khẩu trang HOÀ";
        let exact = run(SyllableTokenizer::exact(), text);
        assert_eq!(exact[0], ("khẩu".to_string(), 0, 6, 0));
        assert_eq!(exact[2].0, "hòa");
        let folded = run(SyllableTokenizer::folded(), text);
        let words: Vec<&str> = folded.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(words, ["khau", "trang", "hoa"]);
        assert_eq!(&text[folded[2].1..folded[2].2], "HOÀ");
    }

    /// A token too long to index still takes its place, so the words on either side of it are
    /// not found as a phrase.
    #[test]
    fn a_token_left_out_keeps_its_position() {
        for long in ["a".repeat(MAX_TOKEN_BYTES + 1), "đ".repeat(MAX_TOKEN_BYTES / 2 + 1)] {
            let text = format!("tin {long} giả");
            for tokenizer in [SyllableTokenizer::exact(), SyllableTokenizer::folded()] {
                let positions: Vec<usize> = run(tokenizer, &text).iter().map(|t| t.3).collect();
                assert_eq!(positions, [0, 2], "{text}");
            }
        }
    }
}
