//! The `str` methods of language.md ("Built-in operations") as pure functions on Rust strings, so
//! their edge cases are decided and tested once, away from the interpreter.
//!
//! Decisions where the spec is silent:
//! - `split("")` is the runtime error `empty separator` (as Python's `str.split`).
//! - `replace("", b)` inserts `b` between every pair of characters and at both ends (as Rust's
//!   `str::replace`).
//! - `to_int` accepts an optional `+`/`-` and ASCII digits only: no whitespace, no `_`, no `0x`;
//!   out-of-range values are `nil`.
//! - `to_float` accepts the decimal forms Python's `float()` accepts (`1`, `-1.5`, `.5`, `1.`,
//!   `2e9`, `1E-3`) and `inf`/`infinity`/`nan` in any case with an optional sign, but, like
//!   `to_int`, no surrounding whitespace and no `_`. Overflow gives `inf`, as in Python.
//! - `repeat(n)` with `n <= 0` is `""`.
//! - Results longer than [`MAX_STR_LEN`] bytes are the runtime error `string too large` rather
//!   than an allocation failure that would abort the process.

/// The longest string (in bytes) that `repeat` and `replace` will build.
pub const MAX_STR_LEN: usize = 1 << 30;

/// The error for a result over [`MAX_STR_LEN`].
const TOO_LARGE: &str = "string too large";

/// `s.split(sep)`: every piece between separators, empty ones included (`"".split(" ")` is `[""]`,
/// `"a,,b".split(",")` is `["a", "", "b"]`). An empty separator is an error.
pub fn split(s: &str, sep: &str) -> Result<Vec<String>, String> {
    if sep.is_empty() {
        return Err("empty separator".to_string());
    }
    Ok(s.split(sep).map(str::to_string).collect())
}

/// `s.chars()`: each Unicode scalar value as a one-character string.
pub fn chars(s: &str) -> Vec<String> {
    s.chars().map(String::from).collect()
}

/// `s.trim()`: without leading and trailing Unicode white space.
pub fn trim(s: &str) -> String {
    s.trim().to_string()
}

/// `s.upper()`: Unicode upper case (`"straße"` → `"STRASSE"`).
pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// `s.lower()`: Unicode lower case.
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `s.find(pat)`: byte offset of the first occurrence; `Some(0)` for an empty pattern.
pub fn find(s: &str, pat: &str) -> Option<usize> {
    s.find(pat)
}

/// `s.replace(from, to)`: every non-overlapping occurrence, left to right. Errors only when the
/// result would pass [`MAX_STR_LEN`].
pub fn replace(s: &str, from: &str, to: &str) -> Result<String, String> {
    if to.len() > from.len() {
        // An empty pattern matches at every character boundary: chars + 1 times.
        let count = if from.is_empty() { s.chars().count() + 1 } else { s.matches(from).count() };
        let growth = count.checked_mul(to.len() - from.len()).ok_or_else(|| TOO_LARGE.to_string())?;
        match s.len().checked_add(growth) {
            Some(n) if n <= MAX_STR_LEN => {}
            _ => return Err(TOO_LARGE.to_string()),
        }
    }
    Ok(s.replace(from, to))
}

/// `s.slice(start, end)`: the bytes `start..end`. Errors: `index out of range` unless
/// `0 <= start <= end <= len`, and `slice index not on a character boundary`.
pub fn slice(s: &str, start: i64, end: i64) -> Result<String, String> {
    let len = s.len();
    let (a, b) = match (usize::try_from(start), usize::try_from(end)) {
        (Ok(a), Ok(b)) if a <= b && b <= len => (a, b),
        _ => return Err(format!("index out of range: slice {start}..{end} of a string of {len} bytes")),
    };
    match s.get(a..b) {
        Some(piece) => Ok(piece.to_string()),
        None => Err("slice index not on a character boundary".to_string()),
    }
}

/// `s.to_int()`: an optional sign and one or more ASCII digits; `None` for anything else or a value
/// outside the 64-bit range.
pub fn to_int(s: &str) -> Option<i64> {
    // Rust's parser accepts exactly that grammar (no whitespace, no `_`).
    s.parse::<i64>().ok()
}

/// `s.to_float()`: see the module docs for the accepted forms.
pub fn to_float(s: &str) -> Option<f64> {
    // Rust's grammar is Python's minus whitespace and `_` (both rejected here too), so it is used
    // as is; the guard keeps out anything non-ASCII before parsing.
    if !s.is_ascii() {
        return None;
    }
    s.parse::<f64>().ok()
}

/// `s.repeat(n)`: `s` written `n` times; `""` when `n <= 0`. Errors when the result would pass
/// [`MAX_STR_LEN`].
pub fn repeat(s: &str, n: i64) -> Result<String, String> {
    let Ok(n) = usize::try_from(n) else { return Ok(String::new()) };
    match s.len().checked_mul(n) {
        Some(total) if total <= MAX_STR_LEN => Ok(s.repeat(n)),
        _ => Err(TOO_LARGE.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_empty_pieces() {
        assert_eq!(split("", " ").unwrap(), [""]);
        assert_eq!(split("a,,b", ",").unwrap(), ["a", "", "b"]);
        assert_eq!(split(",a,", ",").unwrap(), ["", "a", ""]);
        assert_eq!(split("a--b--c", "--").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("no sep", ";").unwrap(), ["no sep"]);
        assert_eq!(split("héllo wörld", "ö").unwrap(), ["héllo w", "rld"]);
        assert_eq!(split("x", ""), Err("empty separator".to_string()));
    }

    #[test]
    fn chars_are_scalar_values() {
        assert_eq!(chars("aé😀"), ["a", "é", "😀"]);
        assert!(chars("").is_empty());
    }

    #[test]
    fn trim_upper_lower() {
        assert_eq!(trim("  a b \t\n"), "a b");
        assert_eq!(trim("\u{a0}x\u{3000}"), "x");
        assert_eq!(trim(""), "");
        assert_eq!(upper("abc é straße"), "ABC É STRASSE");
        assert_eq!(lower("ABC É"), "abc é");
    }

    #[test]
    fn find_gives_byte_offsets() {
        assert_eq!(find("hello", "l"), Some(2));
        assert_eq!(find("héllo", "l"), Some(3));
        assert_eq!(find("hello", "z"), None);
        assert_eq!(find("hello", ""), Some(0));
        assert_eq!(find("", "a"), None);
    }

    #[test]
    fn replace_every_occurrence() {
        assert_eq!(replace("a.b.c", ".", "::").unwrap(), "a::b::c");
        assert_eq!(replace("aaa", "aa", "b").unwrap(), "ba");
        assert_eq!(replace("abc", "", "-").unwrap(), "-a-b-c-");
        assert_eq!(replace("", "", "-").unwrap(), "-");
        assert_eq!(replace("abc", "x", "y").unwrap(), "abc");
        assert_eq!(replace("abcabc", "bc", "").unwrap(), "aa");
    }

    #[test]
    fn replace_guards_huge_results() {
        let big = "a".repeat(1 << 16);
        let to = "b".repeat(1 << 15);
        assert_eq!(replace(&big, "a", &to), Err("string too large".to_string()));
        assert_eq!(replace(&big, "", &to), Err("string too large".to_string()));
    }

    #[test]
    fn slice_checks_range_and_boundaries() {
        assert_eq!(slice("hello", 1, 3).unwrap(), "el");
        assert_eq!(slice("hello", 0, 5).unwrap(), "hello");
        assert_eq!(slice("hello", 5, 5).unwrap(), "");
        assert_eq!(slice("héllo", 1, 3).unwrap(), "é");
        for (a, b) in [(-1, 2), (0, 6), (3, 2), (i64::MIN, i64::MAX)] {
            let err = slice("hello", a, b).unwrap_err();
            assert!(err.contains("index out of range"), "{err}");
        }
        assert_eq!(slice("héllo", 0, 2), Err("slice index not on a character boundary".to_string()));
        assert_eq!(slice("héllo", 2, 3), Err("slice index not on a character boundary".to_string()));
    }

    #[test]
    fn to_int_accepts_sign_and_digits_only() {
        assert_eq!(to_int("42"), Some(42));
        assert_eq!(to_int("-42"), Some(-42));
        assert_eq!(to_int("+7"), Some(7));
        assert_eq!(to_int("007"), Some(7));
        assert_eq!(to_int("9223372036854775807"), Some(i64::MAX));
        assert_eq!(to_int("-9223372036854775808"), Some(i64::MIN));
        for bad in ["", "-", "+", " 1", "1 ", "1_000", "0x10", "1.0", "9223372036854775808", "١٢", "--1", "1e3"] {
            assert_eq!(to_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn to_float_accepts_pythons_decimal_forms() {
        let ok = [
            ("1", 1.0),
            ("-1.5", -1.5),
            ("+.5", 0.5),
            ("1.", 1.0),
            ("2e9", 2e9),
            ("1E-3", 1e-3),
            ("1.e5", 1e5),
            ("6.02E+23", 6.02e23),
            ("1e400", f64::INFINITY),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("INF", f64::INFINITY),
            ("0.1", 0.1),
        ];
        for (text, want) in ok {
            assert_eq!(to_float(text), Some(want), "{text:?}");
        }
        assert!(to_float("nan").is_some_and(f64::is_nan));
        assert!(to_float("-NaN").is_some_and(f64::is_nan));
        for bad in ["", ".", "e5", "1e", "1_0", " 1", "1 ", "0x10", "nan(1)", "1,5", "--1", "infinit", "１"] {
            assert_eq!(to_float(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn repeat_and_its_limits() {
        assert_eq!(repeat("ab", 3).unwrap(), "ababab");
        assert_eq!(repeat("ab", 0).unwrap(), "");
        assert_eq!(repeat("ab", -5).unwrap(), "");
        assert_eq!(repeat("", i64::MAX).unwrap(), "");
        assert_eq!(repeat("ab", i64::MAX), Err("string too large".to_string()));
        assert_eq!(repeat("ab", (MAX_STR_LEN as i64) / 2 + 1), Err("string too large".to_string()));
    }
}
