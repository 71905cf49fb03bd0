//! The parser: tokens from [`crate::lexer`] to the syntax tree of [`crate::ast`], built in a
//! caller-owned `bumpalo` arena.
//!
//! The grammar is LALRPOP (`src/parser/grammar.lalrpop`) over the external logos lexer. One start
//! symbol serves every entry point; the lexer's first token says which one. Every entry point
//! returns a tree — partial when the input has errors — together with all diagnostics: the grammar
//! recovers at statements, class members and top-level items, so several syntax errors of a file
//! are reported at once.
//!
//! **Invariants** the later stages can rely on: parsing never panics or loops on any input; a
//! returned tree is never nested more than [`depth::MAX_DEPTH`] expression/statement/type nodes
//! deep (deeper items are dropped with `nesting too deep`); every span is a byte range of the
//! parsed text, interpolated expressions included.
//!
//! Representation notes for the checker:
//! - `"a {b} c"` is `ExprKind::Interp` with `Lit` and `Expr` parts; a string without
//!   interpolation is `ExprKind::Str`. An interpolation that failed to parse is `Str("")`.
//! - `old` (update scripts) is an ordinary first path segment in types (`old.Product` is a
//!   `Named` type whose path is `[old, Product]`) and an ordinary `Name` in expressions
//!   (`old.company` is `Field { obj: Name(old), name: company }`). Only scripts can contain it: in
//!   scripts `old` is a keyword, elsewhere a normal identifier.
//! - Parenthesised expressions leave no node; `-9223372036854775808` is the literal `Int(i64::MIN)`.

mod cx;
pub mod depth;
mod errors;
pub mod sexp;
#[cfg(test)]
mod tests;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, dead_code)]
    grammar,
    "/parser/grammar.rs"
);

use crate::ast::{Expr, Import, Item, Module, Path, Script, Stmt};
use crate::diag::{Diagnostic, FileId, Span};
use crate::lexer::{Lexer, Mode};
use bumpalo::Bump;
use cx::{Cx, Parsed, Top};

/// Parses one module file. Always returns a module (empty or partial on errors).
pub fn parse_module<'a>(arena: &'a Bump, file: FileId, text: &str) -> (Module<'a>, Vec<Diagnostic>) {
    let out = run(arena, file, text, Mode::Module);
    let mut diags = out.diags;
    let mut name = None;
    let mut imports = Vec::new();
    let mut items = Vec::new();
    for (i, top) in out.tops.iter().enumerate() {
        match *top {
            Top::ModuleLine(path, at) => {
                if i == 0 && name.is_none() {
                    name = Some(path);
                } else {
                    diags.push(Diagnostic::error(
                        Span::new(file, at, path.span.end),
                        "the module line must come first in the file",
                    ));
                }
            }
            Top::Import(import) => imports.push(import),
            Top::Item(item) => items.push(item),
            Top::Update(..) | Top::Stmt(_) => {}
        }
    }
    let module =
        Module { file, name, imports: arena.alloc_slice_copy(&imports), items: arena.alloc_slice_copy(&items) };
    (module, sorted(diags))
}

/// Parses an update script: `update MODULE` first (comments may precede it), then imports, helper
/// functions and classes, and script items. `None` when the `update` line is missing.
pub fn parse_script<'a>(arena: &'a Bump, file: FileId, text: &str) -> (Option<Script<'a>>, Vec<Diagnostic>) {
    let out = run(arena, file, text, Mode::Script);
    let mut diags = out.diags;
    let mut target: Option<Path<'a>> = None;
    let mut imports = Vec::new();
    let mut items = Vec::new();
    for (i, top) in out.tops.iter().enumerate() {
        match *top {
            Top::Update(path, at) => {
                if i == 0 && target.is_none() {
                    target = Some(path);
                } else {
                    diags.push(Diagnostic::error(
                        Span::new(file, at, path.span.end),
                        "'update MODULE' must come first in an update script",
                    ));
                }
            }
            Top::Import(import) => imports.push(import),
            Top::Item(item) => items.push(item),
            Top::ModuleLine(..) | Top::Stmt(_) => {}
        }
    }
    let script = target.map(|target| Script {
        file,
        target,
        imports: arena.alloc_slice_copy(&imports),
        items: arena.alloc_slice_copy(&items),
    });
    if script.is_none() {
        // When the script does start with `update`, the syntax error after it says enough.
        let (toks, _) = crate::lexer::tokenize(text, Mode::Script);
        match toks.get(1) {
            Some((_, crate::lexer::Tok::Update, _)) => {}
            first => {
                let (at, end) = first.map_or((0, 0), |t| (t.0, t.2));
                diags.push(Diagnostic::error(
                    Span::new(file, at, end),
                    "expected 'update MODULE' at the start of the update script",
                ));
            }
        }
    }
    (script, sorted(diags))
}

/// One top-level piece of REPL input, in the order written.
#[derive(Debug, Clone, Copy)]
pub enum ReplPiece<'a> {
    Import(Import<'a>),
    /// A declaration: function, class, `var` or `const`.
    Item(Item<'a>),
    /// A statement; an expression statement's value is what the REPL shows.
    Stmt(Stmt<'a>),
}

/// The result of parsing REPL input.
#[derive(Debug)]
pub struct ReplInput<'a> {
    pub pieces: Vec<ReplPiece<'a>>,
    pub diags: Vec<Diagnostic>,
    /// True when the input stopped in the middle of something (an open bracket, an unterminated
    /// comment, or a syntax error at the very end): the REPL should read another line and retry.
    pub incomplete: bool,
}

/// Parses a REPL input: any mix of imports, declarations and statements (an expression on its own
/// is an expression statement).
pub fn parse_repl_input<'a>(arena: &'a Bump, file: FileId, text: &str) -> ReplInput<'a> {
    let out = run(arena, file, text, Mode::Repl);
    let pieces = out
        .tops
        .iter()
        .filter_map(|top| match *top {
            Top::Import(i) => Some(ReplPiece::Import(i)),
            Top::Item(i) => Some(ReplPiece::Item(i)),
            Top::Stmt(s) => Some(ReplPiece::Stmt(s)),
            Top::ModuleLine(..) | Top::Update(..) => None,
        })
        .collect();
    ReplInput { pieces, diags: sorted(out.diags), incomplete: out.incomplete }
}

/// Parses a standalone expression (the REPL's `:type`, tools, tests).
pub fn parse_expr<'a>(arena: &'a Bump, file: FileId, text: &str) -> (Option<&'a Expr<'a>>, Vec<Diagnostic>) {
    let out = run(arena, file, text, Mode::Expr);
    (out.expr, sorted(out.diags))
}

/// What one run of the grammar produced.
struct RunOutput<'a> {
    tops: Vec<Top<'a>>,
    expr: Option<&'a Expr<'a>>,
    diags: Vec<Diagnostic>,
    incomplete: bool,
}

/// Lexes and parses `text` in `mode`, then enforces the depth limit.
fn run<'a>(arena: &'a Bump, file: FileId, text: &str, mode: Mode) -> RunOutput<'a> {
    let mut out = RunOutput { tops: Vec::new(), expr: None, diags: Vec::new(), incomplete: false };
    if text.len() >= u32::MAX as usize {
        out.diags.push(Diagnostic::error(Span::new(file, 0, 0), "source file too large"));
        return out;
    }
    let src: &'a str = arena.alloc_str(text);
    let cx = Cx::new(arena, file, src, mode == Mode::Script);
    let mut lexer = Lexer::new(src, file, mode);
    let result = grammar::StartParser::new().parse(&cx, &mut lexer);
    let stopped = lexer.stopped_at;
    out.diags.append(&mut lexer.diags);
    match result {
        Ok(Parsed::Tops(tops)) => out.tops = tops,
        Ok(Parsed::Expr(e)) => out.expr = Some(e),
        Err(err) => out.diags.push(errors::syntax_error(&cx, err, None, false)),
    }
    let mut parse_diags = cx.take_diags();
    out.incomplete =
        lexer.ended_open() || out.diags.iter().chain(&parse_diags).any(|d| d.message.ends_with("found end of file"));
    // Once the lexer gave up on deep nesting, the errors after that point are its echo.
    if let Some(at) = stopped {
        parse_diags.retain(|d| d.span.start < at && !d.message.ends_with("found end of file"));
        out.diags.retain(|d| d.span.start <= at && !d.message.ends_with("found end of file"));
    }
    out.diags.extend(parse_diags);
    depth::enforce(&mut out.tops, &mut out.expr, &mut out.diags);
    out
}

/// Diagnostics in source order, without repeats at the same position.
fn sorted(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags.dedup_by(|a, b| a.span.start == b.span.start && a.message == b.message);
    diags
}
