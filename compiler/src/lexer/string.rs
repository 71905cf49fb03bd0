//! Decoding of string literals: escapes are resolved and `{...}` interpolations are cut out as byte
//! ranges of the original file, which the parser then parses as expressions (so their spans, and
//! the spans of any errors inside them, are positions in the file itself).

use super::raw::{scan, Frame, StrEnd};

/// One piece of a decoded string literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Literal text, escapes decoded.
    Lit(String),
    /// An interpolation: the code between `{` and `}`, as a byte range of the source.
    Code { start: u32, end: u32 },
}

/// A problem found while decoding: `invalid escape sequence` at a byte range.
#[derive(Debug, Clone, PartialEq)]
pub struct EscapeError {
    pub start: u32,
    pub end: u32,
}

/// Decodes the literal `src[start..end]` (which begins with its opening quote, and ends with its
/// closing one when `closed`). Empty literal pieces are left out, except that a literal with no
/// pieces at all yields one empty `Lit`. An interpolation left open (only possible in an
/// unterminated literal, which has already been reported) is dropped.
pub fn decode(src: &str, start: usize, end: usize, closed: bool) -> (Vec<Piece>, Vec<EscapeError>) {
    let body_end = if closed { end.saturating_sub(1) } else { end };
    let bytes = src.as_bytes().get(..body_end).unwrap_or(&[]);
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut lit = String::new();
    let mut i = start + 1;
    while i < body_end {
        let Some(c) = src.get(i..).and_then(|s| s.chars().next()) else { break };
        match c {
            '\\' => {
                let (decoded, len) = escape(src, i, body_end);
                match decoded {
                    Some(ch) => lit.push(ch),
                    None => errors.push(EscapeError { start: i as u32, end: (i + len) as u32 }),
                }
                i += len;
            }
            '{' => {
                let (close, how) = scan(bytes, i + 1, Frame::Code(0));
                if how != StrEnd::Closed {
                    break;
                }
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Code { start: (i + 1) as u32, end: close as u32 });
                i = close + 1;
            }
            _ => {
                lit.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !lit.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    (pieces, errors)
}

/// Decodes the escape at `src[i]` (a backslash); returns the character (or `None` when invalid)
/// and the escape's length in bytes, which is at least 1 and never crosses `limit`.
fn escape(src: &str, i: usize, limit: usize) -> (Option<char>, usize) {
    let Some(next) = src.get(i + 1..limit).and_then(|s| s.chars().next()) else { return (None, 1) };
    let simple = match next {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '\\' => Some('\\'),
        '"' => Some('"'),
        '{' => Some('{'),
        _ => None,
    };
    if let Some(ch) = simple {
        return (Some(ch), 2);
    }
    if next != 'u' {
        return (None, 1 + next.len_utf8());
    }
    // `\u{1F600}`: one to six hex digits naming a Unicode scalar value.
    let rest = src.get(i + 2..limit).unwrap_or("");
    if !rest.starts_with('{') {
        return (None, 2);
    }
    let Some(close) = rest.find('}') else { return (None, 2) };
    let len = 2 + close + 1;
    let hex = &rest[1..close];
    let valid = !hex.is_empty() && hex.len() <= 6 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let ch = if valid { u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) } else { None };
    (ch, len)
}
