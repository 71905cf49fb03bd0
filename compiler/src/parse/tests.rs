//! Parser unit tests: robustness (random input, truncated programs, hostile nesting: nothing may
//! panic, overflow the stack or loop) and exact spans, including inside interpolations.

use super::{parse_expr, parse_module, parse_repl_input, parse_script};
use crate::ast::*;
use crate::diag::{Diagnostic, FileId};
use bumpalo::Bump;

const OK_FILES: [&str; 4] = [
    include_str!("../../tests/parser/ok/declarations.newt"),
    include_str!("../../tests/parser/ok/statements.newt"),
    include_str!("../../tests/parser/ok/expressions.newt"),
    include_str!("../../tests/parser/script/update_shop.newt"),
];

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Parses `text` with every entry point; returns the module diagnostics.
fn parse_all(text: &str) -> Vec<Diagnostic> {
    let arena = Bump::new();
    let (_, diags) = parse_module(&arena, FileId(0), text);
    let _ = parse_script(&arena, FileId(0), text);
    let _ = parse_repl_input(&arena, FileId(0), text);
    let _ = parse_expr(&arena, FileId(0), text);
    diags
}

/// Runs `f` on a thread with a 1 MiB stack: deep input must not need more.
fn small_stack(f: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new().stack_size(1 << 20).spawn(f);
    assert!(handle.is_ok_and(|h| h.join().is_ok()), "parser thread failed");
}

#[test]
fn ok_files_parse_without_errors() {
    let arena = Bump::new();
    for text in &OK_FILES[..3] {
        let (m, diags) = parse_module(&arena, FileId(0), text);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(!m.items.is_empty());
    }
    let (s, diags) = parse_script(&arena, FileId(0), OK_FILES[3]);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(s.is_some());
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..1500 {
        let len = rng.below(120);
        let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        parse_all(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soup_never_panics() {
    const VOCAB: &[&str] = &[
        "fn",
        "class",
        "let",
        "var",
        "const",
        "if",
        "else",
        "while",
        "for",
        "in",
        "return",
        "break",
        "import",
        "module",
        "as",
        "is",
        "spawn",
        "super",
        "self",
        "nil",
        "true",
        "update",
        "migrate",
        "validate",
        "remap",
        "reboot",
        "lazy",
        "each",
        "old",
        "x",
        "Foo",
        "1",
        "2.5",
        "\"s\"",
        "\"a{x}b\"",
        "\"{",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        "..",
        ":",
        "::",
        ";",
        "->",
        "=>",
        "?",
        "??",
        "+",
        "-",
        "*",
        "<",
        ">",
        "=",
        "==",
        "!",
        "&&",
        "+=",
        "\n",
        "\n",
        "/*",
        "*/",
        "//",
    ];
    let mut rng = Rng(42);
    for _ in 0..3000 {
        let n = rng.below(40);
        let text: Vec<&str> = (0..n).map(|_| VOCAB[rng.below(VOCAB.len())]).collect();
        parse_all(&text.join(" "));
    }
}

#[test]
fn truncated_and_damaged_programs_never_panic() {
    let mut rng = Rng(7);
    for text in OK_FILES {
        let cuts: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for &cut in cuts.iter().step_by(7) {
            let diags = parse_all(&text[..cut]);
            // Errors are always inside (or at the end of) the text.
            assert!(diags.iter().all(|d| d.span.start as usize <= cut && d.span.end as usize <= cut + 1));
        }
        // Delete one random character at a time.
        for _ in 0..150 {
            let at = cuts[rng.below(cuts.len() - 1)];
            let next = cuts.iter().find(|&&c| c > at).copied().unwrap_or(text.len());
            parse_all(&format!("{}{}", &text[..at], &text[next..]));
        }
    }
}

/// Hostile nesting: each must give exactly one `nesting too deep`, on a small stack.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 10_000;
    let cases: Vec<String> = vec![
        format!("fn f() {{ let x = {}1{} }}", "(".repeat(n), ")".repeat(n)),
        format!("fn f() {{ let x = {}1{} }}", "[".repeat(n), "]".repeat(n)),
        format!("fn f() {}{}", "{".repeat(n), "}".repeat(n)),
        format!("fn f() {{ let x = {}x }}", "- ".repeat(n)),
        format!("fn f() {{ let x = {}x }}", "!".repeat(n)),
        format!("fn f() {{ let x = x{} }}", " + x".repeat(n)),
        format!("fn f() {{ let x = x{} }}", " ?? x".repeat(n)),
        format!("fn f() {{ let x = x{} }}", " as int".repeat(n)),
        format!("fn f() {{ let x = x{} }}", ".y".repeat(n)),
        format!("fn f() {{ let x = f{} }}", "()".repeat(n)),
        format!("var x: int{} = nil", "? ".repeat(n)),
        format!("var x: {}int{} = nil", "List<".repeat(n), ">".repeat(n)),
        format!("fn f() {{ if a {{ }}{} }}", " else if a { }".repeat(n)),
        format!("fn f() {{ let x = {}1 }}", "fn() = ".repeat(n)),
        format!("fn f() {{ let s = {}{} }}", "\"{".repeat(n), "}\"".repeat(n)),
        format!("fn f() {{ let s = {}", "\"{".repeat(n)),
        "(".repeat(n),
        "fn f() { ".to_string() + &"{".repeat(n),
    ];
    small_stack(move || {
        for (i, text) in cases.iter().enumerate() {
            let arena = Bump::new();
            let (m, diags) = parse_module(&arena, FileId(0), text);
            let deep = diags.iter().filter(|d| d.message == "nesting too deep").count();
            assert_eq!(deep, 1, "case {i}: {:?}", diags.iter().map(|d| &d.message).collect::<Vec<_>>());
            assert!(m.items.is_empty(), "case {i}: the too-deep item must be dropped");
            let _ = parse_repl_input(&arena, FileId(0), text);
            let _ = parse_script(&arena, FileId(0), text);
        }
    });
}

#[test]
fn moderate_nesting_is_fine() {
    small_stack(|| {
        let arena = Bump::new();
        let text = format!("fn f() {{ let x = {}1{} }}", "(".repeat(200), ")".repeat(200));
        assert!(parse_module(&arena, FileId(0), &text).1.is_empty());
        let text = format!("fn f() {{ let x = x{} }}", " + x".repeat(200));
        assert!(parse_module(&arena, FileId(0), &text).1.is_empty());
        // Strings nested 16 deep in interpolations are allowed; 17 are not.
        let nested = |k: usize| format!("fn f() {{ let s = {}x{} }}", "\"{".repeat(k), "}\"".repeat(k));
        assert!(parse_module(&arena, FileId(0), &nested(16)).1.is_empty());
        let diags = parse_module(&arena, FileId(0), &nested(17)).1;
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "nesting too deep");
    });
}

/// The text a span covers.
fn text_of(text: &str, span: crate::diag::Span) -> &str {
    text.get(span.start as usize..span.end as usize).unwrap_or("<bad span>")
}

fn first_init<'a>(m: &Module<'a>) -> &'a Expr<'a> {
    let Some(Item::Fn(f)) = m.items.first() else { panic!("no fn") };
    let FnBody::Block(b) = f.body else { panic!("no block") };
    let Some(StmtKind::Let { init, .. }) = b.stmts.first().map(|s| s.kind) else { panic!("no let") };
    init
}

#[test]
fn interpolation_spans_are_positions_in_the_file() {
    let arena = Bump::new();
    let text = "fn f() {\n    let s = \"sum: {a + b} and {g(\"{x}\")}!\"\n}\n";
    let (m, diags) = parse_module(&arena, FileId(0), text);
    assert!(diags.is_empty());
    let init = first_init(&m);
    assert_eq!(text_of(text, init.span), "\"sum: {a + b} and {g(\"{x}\")}!\"");
    let ExprKind::Interp(parts) = init.kind else { panic!("not interp") };
    let exprs: Vec<&Expr> =
        parts.iter().filter_map(|p| if let InterpPart::Expr(e) = p { Some(*e) } else { None }).collect();
    assert_eq!(exprs.len(), 2);
    assert_eq!(text_of(text, exprs[0].span), "a + b");
    let ExprKind::Binary { rhs, .. } = exprs[0].kind else { panic!("not binary") };
    assert_eq!(text_of(text, rhs.span), "b");
    assert_eq!(text_of(text, exprs[1].span), "g(\"{x}\")");
    let ExprKind::Call { args, .. } = exprs[1].kind else { panic!("not call") };
    let ExprKind::Interp(inner) = args[0].kind else { panic!("not interp") };
    let InterpPart::Expr(x) = inner[0] else { panic!("not expr") };
    assert_eq!(text_of(text, x.span), "x");
}

#[test]
fn errors_inside_interpolations_point_into_the_string() {
    let arena = Bump::new();
    let text = "fn f() {\n    print(\"a {1 +} b {} c {x y}\")\n}\n";
    let (_, diags) = parse_module(&arena, FileId(0), text);
    let got: Vec<(&str, &str)> = diags.iter().map(|d| (d.message.as_str(), &text[d.span.start as usize..])).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, "expected expression, found '}'");
    assert!(got[0].1.starts_with("} b"));
    assert_eq!(got[1].0, "expected expression, found '}'");
    assert!(got[1].1.starts_with("} c"));
    assert_eq!(got[2].0, "expected '}', found 'y'");
    assert!(got[2].1.starts_with("y}"));
}

#[test]
fn statement_spans() {
    let arena = Bump::new();
    let text = "fn f() {\n    let x: int = 1 + 2\n    x += 3; return x\n}\n";
    let (m, diags) = parse_module(&arena, FileId(0), text);
    assert!(diags.is_empty());
    let Some(Item::Fn(f)) = m.items.first() else { panic!("no fn") };
    assert_eq!(text_of(text, f.span), &text[..text.len() - 1]);
    let FnBody::Block(b) = f.body else { panic!("no block") };
    let spans: Vec<&str> = b.stmts.iter().map(|s| text_of(text, s.span)).collect();
    assert_eq!(spans, ["let x: int = 1 + 2", "x += 3", "return x"]);
}

#[test]
fn integer_literal_limits() {
    let arena = Bump::new();
    let (e, diags) = parse_expr(&arena, FileId(0), "-9223372036854775808");
    assert!(diags.is_empty());
    assert!(matches!(e.map(|e| e.kind), Some(ExprKind::Int(i64::MIN))));
    let (_, diags) = parse_expr(&arena, FileId(0), "9223372036854775808");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "integer literal out of range");
    let (e, diags) = parse_expr(&arena, FileId(0), "-9223372036854775807");
    assert!(diags.is_empty());
    assert!(matches!(e.map(|e| e.kind), Some(ExprKind::Unary { op: UnaryOp::Neg, .. })));
}

#[test]
fn repl_input_mixes_items_and_statements() {
    let arena = Bump::new();
    let r = parse_repl_input(&arena, FileId(0), "import std.math\nfn f() = 1\nlet x = f()\nx + 1");
    assert!(r.diags.is_empty());
    assert!(!r.incomplete);
    assert!(matches!(
        r.pieces.as_slice(),
        [super::ReplPiece::Import(_), super::ReplPiece::Item(_), super::ReplPiece::Stmt(_), super::ReplPiece::Stmt(_)]
    ));
    for open in ["fn f() {", "let x = (1 +", "let s = \"abc", "/* comment", "let x = [1,"] {
        assert!(parse_repl_input(&arena, FileId(0), open).incomplete, "{open}");
    }
    assert!(!parse_repl_input(&arena, FileId(0), "let x = )").incomplete);
}

#[test]
fn script_needs_its_update_line() {
    let arena = Bump::new();
    let (s, diags) = parse_script(&arena, FileId(0), "// comment\nmigrate A = p\n");
    assert!(s.is_none());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "expected 'update MODULE' at the start of the update script");
    assert_eq!(diags[0].span.start, 11);
    let (s, diags) = parse_script(&arena, FileId(0), "update a\nupdate b\n");
    assert!(s.is_some());
    assert_eq!(diags.len(), 1);
}
