//! The nesting limit on parsed trees. Later stages (checker, code generator, printers) walk the
//! tree recursively; bounding its depth here means no source file can make them overflow the
//! stack. The lexer already bounds brackets; this catches what needs no brackets (`- - - x`,
//! `a + b + ... + z`, `int??????`, long `else if` chains).
//!
//! A top-level item or REPL statement that nests deeper than [`MAX_DEPTH`] is removed from the
//! tree and reported as `nesting too deep` at the node where the limit was crossed. The walk
//! itself stops at the limit, so it recurses at most [`MAX_DEPTH`] levels.

use super::cx::Top;
use crate::ast::*;
use crate::diag::{Diagnostic, Span};

/// The deepest an expression, statement or type may nest (counting each node on the way down).
pub const MAX_DEPTH: u32 = 256;

/// Removes too-deep items from `tops` (and a too-deep `expr`), reporting each.
pub(super) fn enforce<'a>(tops: &mut Vec<Top<'a>>, expr: &mut Option<&'a Expr<'a>>, diags: &mut Vec<Diagnostic>) {
    tops.retain(|top| {
        let result = match top {
            Top::Item(item) => item_depth(item),
            Top::Stmt(stmt) => Walk::new().stmt(stmt),
            Top::Import(_) | Top::ModuleLine(..) | Top::Update(..) => Ok(()),
        };
        report(result, diags)
    });
    if let Some(e) = *expr {
        if !report(Walk::new().expr(e), diags) {
            *expr = None;
        }
    }
}

fn report(result: Result<(), Span>, diags: &mut Vec<Diagnostic>) -> bool {
    match result {
        Ok(()) => true,
        Err(span) => {
            diags.push(Diagnostic::error(span, "nesting too deep"));
            false
        }
    }
}

/// Checks one item against the limit; `Err` carries where it was exceeded.
pub fn item_depth(item: &Item<'_>) -> Result<(), Span> {
    let mut w = Walk::new();
    match item {
        Item::Fn(f) => w.func(f),
        Item::Class(c) => {
            if let Some(t) = c.extends {
                w.ty(t)?;
            }
            for f in c.fields {
                w.ty(f.ty)?;
                if let Some(d) = f.default {
                    w.expr(d)?;
                }
            }
            c.methods.iter().try_for_each(|m| w.func(m))
        }
        Item::Global(g) | Item::MigrateVar(g) => {
            if let Some(t) = g.ty {
                w.ty(t)?;
            }
            w.expr(g.init)
        }
        Item::Migrate(m) => match m.body {
            MigrateBody::Block { param, body } => {
                w.ty(param.ty)?;
                w.block(&body)
            }
            MigrateBody::Policy(e) => w.expr(e),
        },
        Item::Validate(v) => match v {
            ValidateDecl::Named { body, .. } => w.block(body),
            ValidateDecl::Each { param, body, .. } => {
                w.ty(param.ty)?;
                w.block(body)
            }
        },
        Item::Remap(r) => r.body.as_ref().map_or(Ok(()), |b| w.block(b)),
        Item::Reboot(r) => w.expr(r.call),
    }
}

/// A depth-bounded recursive walk.
struct Walk {
    depth: u32,
}

impl Walk {
    fn new() -> Walk {
        Walk { depth: 0 }
    }

    /// Runs `f` one level deeper, failing at `span` past the limit.
    fn nested(&mut self, span: Span, f: impl FnOnce(&mut Walk) -> Result<(), Span>) -> Result<(), Span> {
        if self.depth >= MAX_DEPTH {
            return Err(span);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn func(&mut self, f: &FnDecl<'_>) -> Result<(), Span> {
        for p in f.params {
            self.ty(p.ty)?;
        }
        if let Some(t) = f.ret {
            self.ty(t)?;
        }
        match &f.body {
            FnBody::Block(b) => self.block(b),
            FnBody::Expr(e) => self.expr(e),
        }
    }

    fn block(&mut self, b: &Block<'_>) -> Result<(), Span> {
        b.stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &Stmt<'_>) -> Result<(), Span> {
        self.nested(s.span, |w| match &s.kind {
            StmtKind::Let { ty, init, .. } => {
                if let Some(t) = ty {
                    w.ty(t)?;
                }
                w.expr(init)
            }
            StmtKind::Assign { target, value, .. } => {
                w.expr(target)?;
                w.expr(value)
            }
            StmtKind::If { cond, then, else_ } => {
                w.expr(cond)?;
                w.block(then)?;
                w.else_(else_)
            }
            StmtKind::IfLet { value, then, else_, .. } => {
                w.expr(value)?;
                w.block(then)?;
                w.else_(else_)
            }
            StmtKind::While { cond: e, body } | StmtKind::WhileLet { value: e, body, .. } => {
                w.expr(e)?;
                w.block(body)
            }
            StmtKind::ForIn { iter, body, .. } => {
                w.expr(iter)?;
                w.block(body)
            }
            StmtKind::ForRange { start, end, body, .. } => {
                w.expr(start)?;
                w.expr(end)?;
                w.block(body)
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => Ok(()),
            StmtKind::Return(Some(e)) | StmtKind::Expr(e) => w.expr(e),
            StmtKind::Block(b) => w.block(b),
        })
    }

    fn else_(&mut self, e: &Option<Else<'_>>) -> Result<(), Span> {
        match e {
            None => Ok(()),
            Some(Else::Block(b)) => self.block(b),
            Some(Else::If(s)) => self.stmt(s),
        }
    }

    fn expr(&mut self, e: &Expr<'_>) -> Result<(), Span> {
        self.nested(e.span, |w| match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Nil
            | ExprKind::SelfRef
            | ExprKind::Super { .. } => Ok(()),
            ExprKind::Interp(parts) => parts.iter().try_for_each(|p| match p {
                InterpPart::Lit(_) => Ok(()),
                InterpPart::Expr(e) => w.expr(e),
            }),
            ExprKind::Name { type_args, .. } => type_args.iter().try_for_each(|t| w.ty(t)),
            ExprKind::Field { obj, type_args, .. } => {
                w.expr(obj)?;
                type_args.iter().try_for_each(|t| w.ty(t))
            }
            ExprKind::Index { obj, index } => {
                w.expr(obj)?;
                w.expr(index)
            }
            ExprKind::Call { callee, args } => {
                w.expr(callee)?;
                args.iter().try_for_each(|a| w.expr(a))
            }
            ExprKind::Unary { expr, .. } | ExprKind::Spawn(expr) => w.expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                w.expr(lhs)?;
                w.expr(rhs)
            }
            ExprKind::Is { expr, ty } | ExprKind::As { expr, ty } => {
                w.expr(expr)?;
                w.ty(ty)
            }
            ExprKind::List(items) => items.iter().try_for_each(|i| w.expr(i)),
            ExprKind::Map(entries) => entries.iter().try_for_each(|(k, v)| {
                w.expr(k)?;
                w.expr(v)
            }),
            ExprKind::Construct { type_args, fields, .. } => {
                type_args.iter().try_for_each(|t| w.ty(t))?;
                fields.iter().try_for_each(|(_, v)| w.expr(v))
            }
            ExprKind::Lambda(f) => w.func(f),
        })
    }

    fn ty(&mut self, t: &TypeExpr<'_>) -> Result<(), Span> {
        self.nested(t.span, |w| match &t.kind {
            TypeExprKind::Named { args, .. } => args.iter().try_for_each(|a| w.ty(a)),
            TypeExprKind::Optional(inner) => w.ty(inner),
            TypeExprKind::Fn { params, ret } => {
                params.iter().try_for_each(|p| w.ty(p))?;
                ret.map_or(Ok(()), |r| w.ty(r))
            }
        })
    }
}
