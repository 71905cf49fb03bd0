//! Syntax errors in the wording of docs/errors.md: `expected X, found Y`, where X summarises what
//! the grammar would have accepted (`expression`, `a declaration (...)`, `'{'`, ...) and Y names the
//! token that was there (`')'`, `'foo'`, `newline`, `end of file`).

use super::cx::Cx;
use crate::diag::Diagnostic;
use crate::lexer::Tok;
use lalrpop_util::ParseError;
use std::convert::Infallible;

/// Turns a parser error into a diagnostic. The end of input is reported after the last
/// non-blank character of the file, or at `eof` when given (the closing `}` of an interpolation,
/// named `'}'` when `interpolation` is set).
pub fn syntax_error(
    cx: &Cx<'_>,
    err: ParseError<u32, Tok<'_>, Infallible>,
    eof: Option<u32>,
    interpolation: bool,
) -> Diagnostic {
    match err {
        ParseError::UnrecognizedEof { expected, .. } => {
            let at = eof.unwrap_or(cx.eof);
            let found = if interpolation { "'}'" } else { "end of file" };
            Diagnostic::error(cx.span(at, at), format!("expected {}, found {found}", describe_expected(&expected)))
        }
        ParseError::UnrecognizedToken { token: (l, tok, r), expected } => {
            // In an interpolation, a complete expression can only be followed by its `}`.
            let complete = expected.iter().any(|e| terminal(e).1 == Class::Operator);
            let what = if interpolation && complete { "'}'".to_string() } else { describe_expected(&expected) };
            Diagnostic::error(cx.span(l, r), format!("expected {what}, found {tok}"))
        }
        ParseError::ExtraToken { token: (l, tok, r) } => {
            Diagnostic::error(cx.span(l, r), format!("expected end of input, found {tok}"))
        }
        ParseError::InvalidToken { location } => Diagnostic::error(cx.span(location, location + 1), "invalid token"),
        ParseError::User { error } => match error {},
    }
}

/// What a grammar terminal is, for summarising an expected set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Only ever starts an expression (literals, prefix operators, ...).
    ExprStart,
    /// Continues an expression that is already complete (binary and postfix operators).
    Operator,
    /// Ends a statement.
    Terminator,
    /// Starts a statement that is not an expression.
    StmtStart,
    Other,
}

/// The display name and class of a terminal as lalrpop names it (`"\"(\""`, `IDENT`).
fn terminal(name: &str) -> (String, Class) {
    let bare = name.trim_matches('"');
    let class = match bare {
        "INT" | "FLOAT" | "STR" | "!" | "spawn" | "self" | "nil" | "true" | "false" | "super" => Class::ExprStart,
        "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "??" | "as" | "is"
        | "." | "::" | "(" | "[" | "+=" | "-=" | "*=" | "/=" | "%=" | ".." | "?" => Class::Operator,
        "NL" | ";" => Class::Terminator,
        "let" | "if" | "while" | "for" | "return" | "break" | "continue" => Class::StmtStart,
        _ => Class::Other,
    };
    let shown = match bare {
        "IDENT" => "identifier".to_string(),
        "INT" => "integer literal".to_string(),
        "FLOAT" => "float literal".to_string(),
        "STR" => "string literal".to_string(),
        "NL" => "newline".to_string(),
        other => format!("'{other}'"),
    };
    (shown, class)
}

/// Summarises the set of acceptable terminals in a few words.
fn describe_expected(expected: &[String]) -> String {
    let terms: Vec<(String, Class)> = expected.iter().map(|n| terminal(n)).collect();
    let has = |name: &str| expected.iter().any(|e| e.trim_matches('"') == name);
    let expr = terms.iter().any(|(_, c)| *c == Class::ExprStart);
    // `return` only ever starts a statement; `let` also follows `if` and `while`.
    let stmt = has("return");
    let decl = has("class");
    let terminator = terms.iter().any(|(_, c)| *c == Class::Terminator);
    let operator = terms.iter().any(|(_, c)| *c == Class::Operator);
    // `old` starts a type path or an expression: without expressions, a type is wanted.
    let ty = has("old") && !expr;

    let mut words: Vec<String> = Vec::new();
    if ty {
        words.push("type".into());
    } else if decl && expr {
        words.push("a declaration or statement".into());
    } else if decl {
        return "a declaration (fn, class, var, const, import)".into();
    } else if stmt && expr {
        words.push("statement".into());
    } else if expr {
        words.push("expression".into());
    }
    if terminator {
        words.push("newline".into());
    }
    for (shown, class) in &terms {
        let hidden = match class {
            Class::ExprStart | Class::Terminator => true,
            Class::StmtStart => stmt || (expr && shown == "'let'"),
            // After a complete expression nearly every operator could follow: name the other
            // tokens, and the operators only when nothing else is possible.
            Class::Operator => !words.is_empty() || terms.iter().any(|(_, c)| *c == Class::Other),
            Class::Other => match shown.as_str() {
                // These start expressions (or types) too: "expression" / "type" says it.
                "identifier" | "'('" | "'['" | "'fn'" | "'-'" | "'old'" => expr || decl || ty,
                // `{` after a complete expression would be a construction: only worth naming
                // when nothing else could follow (the block after an `if` condition).
                "'{'" => expr || (operator && terms.iter().any(|(s, c)| *c != Class::Operator && s != "'{'")),
                // An assignment is possible after an expression statement, but so is its end.
                "'='" => terminator,
                // After a dot, `module` is accepted as a member name; "identifier" says it.
                "'module'" => has("IDENT"),
                _ => false,
            },
        };
        if !hidden && !words.contains(shown) {
            words.push(shown.clone());
        }
    }
    if words.is_empty() {
        return "something else".into();
    }
    let shown_max = 6;
    if words.len() > shown_max {
        words.truncate(shown_max);
        return format!("one of {}, ...", words.join(", "));
    }
    match words.len() {
        1 => words.remove(0),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}
