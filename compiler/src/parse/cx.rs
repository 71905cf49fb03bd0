//! The parser's context, passed to every grammar action: the arena the tree is built in, the
//! source text, and the diagnostics found along the way. The helpers here keep the actions in
//! `grammar.lalrpop` to one line each.

use crate::ast::*;
use crate::diag::{Diagnostic, FileId, Span};
use crate::lexer::string::{decode, Piece};
use crate::lexer::{Lexer, StrTok, Tok};
use bumpalo::Bump;
use lalrpop_util::ErrorRecovery;
use std::cell::{Cell, RefCell};
use std::convert::Infallible;

/// A syntax error recovered from by the grammar (`!`), as lalrpop hands it to the action.
pub type Recovery<'a> = ErrorRecovery<u32, Tok<'a>, Infallible>;

/// One top-level entry as parsed, before the entry points sort them into a `Module`, a `Script`
/// or REPL input.
#[derive(Debug, Clone, Copy)]
pub enum Top<'a> {
    /// `module a.b`, with the keyword's start.
    ModuleLine(Path<'a>, u32),
    /// `update a.b` (scripts), with the keyword's start.
    Update(Path<'a>, u32),
    Import(Import<'a>),
    Item(Item<'a>),
    /// REPL only.
    Stmt(Stmt<'a>),
}

/// What the grammar's single start symbol produces, depending on the marker token.
#[derive(Debug)]
pub enum Parsed<'a> {
    Tops(Vec<Top<'a>>),
    Expr(&'a Expr<'a>),
}

/// A class member, before fields and methods are separated.
#[derive(Debug, Clone, Copy)]
pub enum Member<'a> {
    Field(FieldDecl<'a>),
    Method(FnDecl<'a>),
}

/// Shared state of one parse (and of the nested parses of its interpolations).
pub struct Cx<'a> {
    pub arena: &'a Bump,
    pub file: FileId,
    /// The source, copied into the arena so that names can point into it.
    pub src: &'a str,
    /// Whether the update-script keywords are keywords.
    pub script: bool,
    /// Where `found end of file` is reported: after the last non-blank character, so that the
    /// error sits on the last line that has content.
    pub eof: u32,
    diags: RefCell<Vec<Diagnostic>>,
    /// Ranges of `9223372036854775808` literals not (yet) seen under a unary minus.
    min_literals: RefCell<Vec<(u32, u32)>>,
    /// Where the last reported syntax error was: later ones on its line are its echoes.
    last_syntax_error: Cell<Option<u32>>,
}

impl<'a> Cx<'a> {
    /// A context for parsing `src` (already in the arena).
    pub fn new(arena: &'a Bump, file: FileId, src: &'a str, script: bool) -> Cx<'a> {
        Cx {
            arena,
            file,
            src,
            script,
            eof: src.trim_end().len() as u32,
            diags: RefCell::new(Vec::new()),
            min_literals: RefCell::new(Vec::new()),
            last_syntax_error: Cell::new(None),
        }
    }

    /// Takes the diagnostics reported through this context, including out-of-range literals.
    pub fn take_diags(&self) -> Vec<Diagnostic> {
        let mut out = std::mem::take(&mut *self.diags.borrow_mut());
        for (l, r) in self.min_literals.borrow_mut().drain(..) {
            let span = self.span(l, r);
            out.push(Diagnostic::error(span, "integer literal out of range"));
        }
        out
    }

    /// Reports a problem.
    pub fn error(&self, span: Span, message: impl Into<String>) {
        self.diags.borrow_mut().push(Diagnostic::error(span, message));
    }

    /// Adds diagnostics found elsewhere (a nested lexer).
    pub fn extend(&self, diags: Vec<Diagnostic>) {
        self.diags.borrow_mut().extend(diags);
    }

    pub fn span(&self, l: u32, r: u32) -> Span {
        Span::new(self.file, l, r)
    }

    pub fn alloc<T>(&self, value: T) -> &'a T {
        self.arena.alloc(value)
    }

    pub fn slice<T: Copy>(&self, items: Vec<T>) -> &'a [T] {
        self.arena.alloc_slice_copy(&items)
    }

    /// Any sequence of items, in the arena.
    pub fn list<T>(&self, items: impl IntoIterator<Item = T>) -> &'a [T] {
        bumpalo::collections::Vec::from_iter_in(items, self.arena).into_bump_slice()
    }

    /// The `Some` items of a list where errors left `None`s.
    pub fn flat<T>(&self, items: Vec<Option<T>>) -> &'a [T] {
        self.list(items.into_iter().flatten())
    }

    /// Copies of nodes built separately (`Vec<&Expr>` to `&[Expr]`).
    pub fn copies<T: Copy + 'a>(&self, items: Vec<&'a T>) -> &'a [T] {
        self.list(items.into_iter().copied())
    }

    /// Records a syntax error the grammar recovered from.
    ///
    /// Recovery skips tokens up to the next terminator, `}` or block, and what it skips can raise
    /// new errors; only the first error of a line is reported, the others being its consequences.
    pub fn recover(&self, rec: Recovery<'a>) {
        let diag = super::errors::syntax_error(self, rec.error, None, false);
        let at = diag.span.start;
        if let Some(last) = self.last_syntax_error.get() {
            let between = self.src.get(last.min(at) as usize..last.max(at) as usize).unwrap_or("\n");
            if !between.contains('\n') {
                return;
            }
        }
        self.last_syntax_error.set(Some(at));
        self.diags.borrow_mut().push(diag);
    }

    pub fn ident(&self, name: &'a str, l: u32, r: u32) -> Ident<'a> {
        Ident { name, span: self.span(l, r) }
    }

    pub fn path(&self, segments: Vec<Ident<'a>>, l: u32, r: u32) -> Path<'a> {
        Path { segments: self.slice(segments), span: self.span(l, r) }
    }

    pub fn expr(&self, kind: ExprKind<'a>, l: u32, r: u32) -> &'a Expr<'a> {
        self.alloc(Expr { kind, span: self.span(l, r) })
    }

    pub fn stmt(&self, kind: StmtKind<'a>, l: u32, r: u32) -> Stmt<'a> {
        Stmt { kind, span: self.span(l, r) }
    }

    pub fn ty(&self, kind: TypeExprKind<'a>, l: u32, r: u32) -> &'a TypeExpr<'a> {
        self.alloc(TypeExpr { kind, span: self.span(l, r) })
    }

    pub fn binary(&self, op: BinaryOp, lhs: &'a Expr<'a>, rhs: &'a Expr<'a>, l: u32, r: u32) -> &'a Expr<'a> {
        self.expr(ExprKind::Binary { op, lhs, rhs }, l, r)
    }

    /// An integer literal; 2^63 is remembered and reported unless a unary minus claims it.
    pub fn int(&self, v: u64, l: u32, r: u32) -> &'a Expr<'a> {
        if v > i64::MAX as u64 {
            self.min_literals.borrow_mut().push((l, r));
            return self.expr(ExprKind::Int(i64::MIN), l, r);
        }
        self.expr(ExprKind::Int(v as i64), l, r)
    }

    /// `-e`; `-9223372036854775808` becomes the literal `i64::MIN`.
    pub fn neg(&self, e: &'a Expr<'a>, l: u32, r: u32) -> &'a Expr<'a> {
        if let ExprKind::Int(i64::MIN) = e.kind {
            let mut pending = self.min_literals.borrow_mut();
            if let Some(i) = pending.iter().position(|&(s, _)| s == e.span.start) {
                pending.swap_remove(i);
                return self.expr(ExprKind::Int(i64::MIN), l, r);
            }
        }
        self.expr(ExprKind::Unary { op: UnaryOp::Neg, expr: e }, l, r)
    }

    /// A block from its statements (with `None` for recovered errors).
    pub fn block(&self, stmts: Vec<Option<Stmt<'a>>>, l: u32, r: u32) -> Block<'a> {
        Block { stmts: self.flat(stmts), span: self.span(l, r) }
    }

    /// A function, method or lambda.
    #[allow(clippy::too_many_arguments)]
    pub fn func(
        &self,
        name: Option<Ident<'a>>,
        type_params: Option<Vec<Ident<'a>>>,
        params: (bool, Vec<Param<'a>>),
        ret: Option<&'a TypeExpr<'a>>,
        body: FnBody<'a>,
        l: u32,
        r: u32,
    ) -> FnDecl<'a> {
        FnDecl {
            name,
            type_params: self.slice(type_params.unwrap_or_default()),
            has_self: params.0,
            params: self.slice(params.1),
            ret,
            body,
            span: self.span(l, r),
        }
    }

    /// A class from its members.
    pub fn class(
        &self,
        name: Ident<'a>,
        type_params: Option<Vec<Ident<'a>>>,
        extends: Option<&'a TypeExpr<'a>>,
        members: Vec<Option<Member<'a>>>,
        l: u32,
        r: u32,
    ) -> Item<'a> {
        let members: Vec<Member<'a>> = members.into_iter().flatten().collect();
        let fields = members.iter().filter_map(|m| if let Member::Field(f) = m { Some(*f) } else { None });
        let methods = members.iter().filter_map(|m| if let Member::Method(f) = m { Some(*f) } else { None });
        Item::Class(self.alloc(ClassDecl {
            name,
            type_params: self.slice(type_params.unwrap_or_default()),
            extends,
            fields: self.list(fields),
            methods: self.list(methods),
            span: self.span(l, r),
        }))
    }

    /// `C { f: e }` written after any postfix expression: only a (dotted) name, optionally with
    /// `::<...>`, can be constructed.
    pub fn construct(&self, callee: &'a Expr<'a>, fields: Vec<(Ident<'a>, Expr<'a>)>, l: u32, r: u32) -> &'a Expr<'a> {
        let fields = self.slice(fields);
        let mut segments = Vec::new();
        let mut type_args: &'a [TypeExpr<'a>] = &[];
        let mut cur = callee;
        let mut first = true;
        loop {
            match cur.kind {
                ExprKind::Name { ident, type_args: ta } if first || ta.is_empty() => {
                    if first {
                        type_args = ta;
                    }
                    segments.push(ident);
                    break;
                }
                ExprKind::Field { obj, name, type_args: ta } if first || ta.is_empty() => {
                    if first {
                        type_args = ta;
                    }
                    segments.push(name);
                    cur = obj;
                }
                _ => {
                    self.error(callee.span, "expected a class name before '{'");
                    return callee;
                }
            }
            first = false;
        }
        segments.reverse();
        let span = match (segments.first(), segments.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => callee.span,
        };
        let class = Path { segments: self.slice(segments), span };
        self.expr(ExprKind::Construct { class, type_args, fields }, l, r)
    }

    /// A string literal token as an expression: `Str` without interpolation, else `Interp`, whose
    /// code parts are parsed (recursively) as expressions with spans in this file.
    pub fn string(&self, tok: StrTok) -> &'a Expr<'a> {
        let (pieces, errors) = decode(self.src, tok.start as usize, tok.end as usize, tok.closed);
        for e in errors {
            self.error(self.span(e.start, e.end), "invalid escape sequence");
        }
        let (l, r) = (tok.start, tok.end);
        if let [Piece::Lit(s)] = pieces.as_slice() {
            return self.expr(ExprKind::Str(self.arena.alloc_str(s)), l, r);
        }
        let parts: Vec<InterpPart<'a>> = pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => InterpPart::Lit(self.arena.alloc_str(s)),
                Piece::Code { start, end } => InterpPart::Expr(self.interpolation(*start, *end, tok.depth)),
            })
            .collect();
        self.expr(ExprKind::Interp(self.slice(parts)), l, r)
    }

    /// The plain text of a string token (for `validate "name"`): interpolation is not allowed.
    pub fn plain_string(&self, tok: StrTok) -> &'a str {
        match self.string(tok).kind {
            ExprKind::Str(s) => s,
            _ => {
                self.error(self.span(tok.start, tok.end), "expected a string without interpolation");
                ""
            }
        }
    }

    /// Parses one interpolation's code. A failed parse stands as an empty string (with its error
    /// reported), so that the surrounding literal keeps its shape.
    fn interpolation(&self, start: u32, end: u32, depth: u32) -> &'a Expr<'a> {
        let mut lexer = Lexer::interpolation(self.src, self.file, self.script, start, end, depth);
        let result = super::grammar::StartParser::new().parse(self, &mut lexer);
        let stopped = lexer.stopped_at;
        self.extend(std::mem::take(&mut lexer.diags));
        match result {
            Ok(Parsed::Expr(e)) => e,
            Ok(Parsed::Tops(_)) => self.expr(ExprKind::Str(""), start, end),
            Err(err) => {
                if stopped.is_none() {
                    self.diags.borrow_mut().push(super::errors::syntax_error(self, err, Some(end), true));
                }
                self.expr(ExprKind::Str(""), start, end)
            }
        }
    }
}
