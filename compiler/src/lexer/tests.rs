//! Lexer unit tests: the newline rule, comments, literals and escapes, interpolation ranges, the
//! nesting limit.

use super::string::{decode, Piece};
use super::{tokenize, Mode, Tok};

/// The tokens of `src` (module mode, marker left out) in a compact spelling.
fn toks(src: &str) -> String {
    toks_in(src, Mode::Module)
}

fn toks_in(src: &str, mode: Mode) -> String {
    let (toks, _) = tokenize(src, mode);
    toks.iter()
        .skip(1)
        .map(|(_, t, _)| match t {
            Tok::Ident(n) => format!("id:{n}"),
            Tok::Int(v) => format!("int:{v}"),
            Tok::Float(v) => format!("float:{v:?}"),
            Tok::Str(_) => "str".to_string(),
            Tok::Newline => "NL".to_string(),
            other => other.text().unwrap_or("?").to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn messages(src: &str) -> Vec<(String, u32, u32)> {
    tokenize(src, Mode::Module).1.into_iter().map(|d| (d.message, d.span.start, d.span.end)).collect()
}

#[test]
fn newline_ends_statement_after_qualifying_tokens() {
    assert_eq!(toks("a\nb"), "id:a NL id:b NL");
    assert_eq!(toks("1\n2.5\n\"s\"\n"), "int:1 NL float:2.5 NL str NL");
    for t in ["return", "break", "continue", "self", "nil", "true", "false"] {
        assert_eq!(toks(&format!("{t}\nx")), format!("{t} NL id:x NL"));
    }
    for t in [")", "]", "}", "?", ">"] {
        assert!(toks(&format!("{t}\nx")).starts_with(&format!("{t} NL")), "{t}");
    }
}

#[test]
fn newline_continues_after_operators_and_openers() {
    assert_eq!(toks("a +\nb"), "id:a + id:b NL");
    assert_eq!(toks("a ??\nb"), "id:a ?? id:b NL");
    assert_eq!(toks("a,\nb"), "id:a , id:b NL");
    assert_eq!(toks("a.\nb"), "id:a . id:b NL");
    assert_eq!(toks("{\na\n}"), "{ id:a NL } NL");
    // Blank lines give one terminator.
    assert_eq!(toks("a\n\n\nb"), "id:a NL id:b NL");
    // Go's rule: a line starting with `else` or `.` does not continue the statement.
    assert_eq!(toks("}\n\n  else {"), "} NL else {");
    assert_eq!(toks("xs\n  .len()\ny"), "id:xs NL . id:len ( ) NL id:y NL");
    assert_eq!(toks("a\n..b"), "id:a NL .. id:b NL");
}

#[test]
fn newlines_inside_parens_and_brackets_never_count() {
    assert_eq!(toks("f(a\n,b\n)"), "id:f ( id:a , id:b ) NL");
    assert_eq!(toks("[1\n2]"), "[ int:1 int:2 ] NL");
    // A `{` opened inside parens makes newlines count again, until it closes.
    assert_eq!(toks("f(fn() {\na\nb\n}\n)"), "id:f ( fn ( ) { id:a NL id:b NL } ) NL");
    // A mismatched closer does not unbalance the stack.
    assert_eq!(toks("(a]\nb)\nc"), "( id:a ] id:b ) NL id:c NL");
}

#[test]
fn comments_and_newlines() {
    assert_eq!(toks("a // comment\nb"), "id:a NL id:b NL");
    assert_eq!(toks("a /* one line */ b"), "id:a id:b NL");
    assert_eq!(toks("a /* two\nlines */ b"), "id:a NL id:b NL");
    assert_eq!(toks("a /* nested /* comment */ still */ b"), "id:a id:b NL");
    assert_eq!(messages("a /* open /* */"), vec![("unterminated comment".to_string(), 2, 4)]);
    // A stray `*/` is just two operators; the parser reports them.
    assert_eq!(toks("/* a */ */"), "* /");
}

#[test]
fn numbers() {
    assert_eq!(toks("123 1_000 0xff 0XFF 0x_1"), "int:123 int:1000 int:255 int:255 int:1 NL");
    assert_eq!(
        toks("1.5 2e9 1.0e-3 6.02E+23 1_0.2_5"),
        "float:1.5 float:2000000000.0 float:0.001 float:6.02e23 float:10.25 NL"
    );
    // Ranges, method calls on literals.
    assert_eq!(toks("0..10"), "int:0 .. int:10 NL");
    assert_eq!(toks("1.abs() 2.5.fixed(0)"), "int:1 . id:abs ( ) float:2.5 . id:fixed ( int:0 ) NL");
    assert_eq!(toks("9223372036854775808"), "int:9223372036854775808 NL");
    assert_eq!(messages("9223372036854775809"), vec![("integer literal out of range".to_string(), 0, 19)]);
    assert_eq!(messages("0x"), vec![("invalid number literal".to_string(), 0, 2)]);
    assert_eq!(
        messages("12ab + 1e"),
        vec![("invalid number literal".to_string(), 0, 4), ("invalid number literal".to_string(), 7, 9),]
    );
    assert_eq!(messages("1e999"), vec![("invalid number literal".to_string(), 0, 5)]);
}

#[test]
fn operators() {
    assert_eq!(
        toks("?? .. :: -> => ? += -= *= /= %= == != <= >= && || ! = < >"),
        "?? .. :: -> => ? += -= *= /= %= == != <= >= && || ! = < > NL"
    );
    // `>>` is two tokens, so that nested generics close.
    assert_eq!(toks("List<List<int>>"), "id:List < id:List < id:int > > NL");
}

#[test]
fn script_keywords_only_in_scripts() {
    let src = "update migrate validate remap reboot lazy each old";
    assert_eq!(toks(src), "id:update id:migrate id:validate id:remap id:reboot id:lazy id:each id:old NL");
    assert_eq!(toks_in(src, Mode::Script), "update migrate validate remap reboot lazy each old NL");
}

#[test]
fn unexpected_characters_are_reported_once_per_run() {
    assert_eq!(messages("a ### b"), vec![("unexpected character '#'".to_string(), 2, 5)]);
    assert_eq!(toks("a ### b"), "id:a id:b NL");
    assert_eq!(
        messages("a & b | c"),
        vec![("unexpected character '&'".to_string(), 2, 3), ("unexpected character '|'".to_string(), 6, 7),]
    );
    assert_eq!(messages("é"), vec![("unexpected character 'é'".to_string(), 0, 2)]);
}

#[test]
fn strings_end_at_their_quote_and_not_inside_interpolations() {
    assert_eq!(toks(r#""a" "b{"}"}" "c""#), "str str str NL");
    assert_eq!(toks(r#""{ {"k": 1}["k"] }" x"#), "str id:x NL");
    assert_eq!(toks(r#""\"" x"#), "str id:x NL");
    assert_eq!(toks(r#""\u{1F600}" x"#), "str id:x NL");
}

#[test]
fn unterminated_string_stops_at_end_of_line() {
    assert_eq!(messages("let s = \"abc\nlet t = 1"), vec![("unterminated string".to_string(), 8, 9)]);
    assert_eq!(toks("let s = \"abc\nlet t = 1"), "let id:s = str NL let id:t = int:1 NL");
    assert_eq!(messages("\"abc {x"), vec![("unterminated string".to_string(), 0, 1)]);
}

fn lits(src: &str) -> (Vec<Piece>, Vec<(u32, u32)>) {
    let (pieces, errors) = decode(src, 0, src.len(), src.len() > 1 && src.ends_with('"'));
    (pieces, errors.into_iter().map(|e| (e.start, e.end)).collect())
}

#[test]
fn escapes() {
    let (p, e) = lits(r#""a\n\t\r\\\"\{\u{1F600}\u{41}""#);
    assert_eq!(p, vec![Piece::Lit("a\n\t\r\\\"{😀A".into())]);
    assert!(e.is_empty());
    assert_eq!(lits(r#""\q""#).1, vec![(1, 3)]);
    assert_eq!(lits(r#""\u{110000}""#).1, vec![(1, 11)]);
    assert_eq!(lits(r#""\u{D800}""#).1, vec![(1, 9)]);
    assert_eq!(lits(r#""\u{}""#).1, vec![(1, 5)]);
    assert_eq!(lits(r#""\u41""#).1, vec![(1, 3)]);
    assert_eq!(lits(r#""\é""#).1, vec![(1, 4)]);
    assert_eq!(lits(r#""""#).0, vec![Piece::Lit(String::new())]);
}

#[test]
fn interpolation_ranges_are_file_offsets() {
    let src = r#"x = "total: {a + b}!""#;
    let start = src.find('"').unwrap_or(0);
    let (pieces, _) = decode(src, start, src.len(), true);
    let code_start = src.find("a +").unwrap_or(0) as u32;
    assert_eq!(
        pieces,
        vec![
            Piece::Lit("total: ".into()),
            Piece::Code { start: code_start, end: code_start + 5 },
            Piece::Lit("!".into()),
        ]
    );
    // Nested strings and braces stay inside one interpolation.
    let src = r#""{f("}", {"a": 1})}{x}""#;
    let (pieces, _) = decode(src, 0, src.len(), true);
    assert_eq!(pieces, vec![Piece::Code { start: 2, end: 18 }, Piece::Code { start: 20, end: 21 }]);
}

#[test]
fn nesting_limit_stops_the_stream() {
    let src = "(".repeat(10_000);
    let (toks, diags) = tokenize(&src, Mode::Module);
    assert_eq!(toks.len(), 1 + super::MAX_NESTING as usize);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "nesting too deep");
    assert_eq!(diags[0].span.start, super::MAX_NESTING);
    // Strings nested in interpolations are limited too, without recursion in the scanner.
    let deep = "\"{".repeat(5_000);
    let (_, diags) = tokenize(&deep, Mode::Module);
    assert_eq!(diags.iter().filter(|d| d.message == "nesting too deep").count(), 1);
}

#[test]
fn right_nesting_operators_count_towards_the_limit() {
    let limit = super::MAX_NESTING as usize;
    let deep = |unit: &str, n: usize| {
        let (_, diags) = tokenize(&format!("x = {}y", unit.repeat(n)), Mode::Module);
        diags.iter().any(|d| d.message == "nesting too deep")
    };
    for unit in ["- ", "!", "a ?? ", "List<", "fn() = ", "} else "] {
        assert!(!deep(unit, limit - 10), "{unit}");
        assert!(deep(unit, limit + 10), "{unit}");
    }
    // Binary minus and operators after a terminator do not accumulate.
    assert!(!deep("a - ", 10 * limit));
    assert!(!deep("-a\n", 10 * limit));
    assert!(!deep("a ?? b; ", 10 * limit));
}
