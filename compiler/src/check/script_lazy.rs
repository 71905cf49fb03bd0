//! What a `migrate lazy` block may read (updates.md, "Lazy migration": "its migration may read
//! only the old object"). A lazy migration runs at its object's first access after the commit,
//! at a moment nobody chooses, so it may depend on nothing that can change in between. The rule,
//! checked on the checked tree of the block:
//!
//! - it may read the old object's fields (`o.f`, through the parameter itself), its own fields
//!   (`self.f`) and its locals, and assign its own fields and locals;
//! - it may compute with built-in operations, functions and methods (`str`, `float`, `len()`,
//!   `push`, string methods, ...) and the functions of `std.math`, and construct objects;
//! - it may not read or assign a global (new or `old.`, constants included), call another
//!   function (the script's helpers, the program's, `old.` ones), call a method of a class (new
//!   or old: `o.m()`, `self.m()`), read the fields of any object but `self` and `o`
//!   (`o.owner.name`), call a function value, make a lambda or `spawn`.
//!
//! Everything it needs beyond that must be in the old object, or the migration must be eager.

use super::Checker;
use crate::builtins::Builtin;
use crate::diag::Span;
use crate::hir::{self, ExprKind, Place, Stmt};
use crate::types::FuncId;

/// The local slots of a migration block's parameters.
const SELF: u32 = 0;
const OLD: u32 = 1;

impl Checker<'_> {
    /// Reports every read of the lazy migration `func` (of class `class`) beyond the old object.
    pub(super) fn check_lazy_block(&mut self, func: FuncId, class: &str) {
        let Some(f) = self.prog.functions.get(func.0 as usize) else { return };
        let mut found = Vec::new();
        let w = Walk { prog: &self.prog, found: &mut found };
        w.block(&f.body);
        for (span, what) in found {
            self.error(
                span,
                format!(
                    "`migrate lazy {class}` may read only the old object, but {what}; a lazy migration runs at the object's first access, at any later time (use an eager `migrate {class}` to read more)"
                ),
            );
        }
    }
}

struct Walk<'a> {
    prog: &'a hir::Program,
    found: &'a mut Vec<(Span, String)>,
}

impl Walk<'_> {
    fn no(&mut self, span: Span, what: impl Into<String>) {
        self.found.push((span, what.into()));
    }

    fn block(mut self, b: &hir::Block) {
        self.stmts(b);
    }

    fn stmts(&mut self, b: &hir::Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { init, .. } => self.expr(init),
            Stmt::Assign { target, value, span, .. } => {
                self.place(target, *span);
                self.expr(value);
            }
            Stmt::If { cond, then, else_, .. } => {
                self.expr(cond);
                self.stmts(then);
                if let Some(e) = else_ {
                    self.stmts(e);
                }
            }
            Stmt::IfLet { value, then, else_, .. } => {
                self.expr(value);
                self.stmts(then);
                if let Some(e) = else_ {
                    self.stmts(e);
                }
            }
            Stmt::While { cond, body, .. } => {
                self.expr(cond);
                self.stmts(body);
            }
            Stmt::WhileLet { value, body, .. } => {
                self.expr(value);
                self.stmts(body);
            }
            Stmt::ForList { list, body, .. } => {
                self.expr(list);
                self.stmts(body);
            }
            Stmt::ForMap { map, body, .. } => {
                self.expr(map);
                self.stmts(body);
            }
            Stmt::ForRange { start, end, body, .. } => {
                self.expr(start);
                self.expr(end);
                self.stmts(body);
            }
            Stmt::Return { value: Some(e), .. } | Stmt::Expr(e) => self.expr(e),
            Stmt::Block(b) => self.stmts(b),
            Stmt::Break { .. } | Stmt::Continue { .. } | Stmt::Return { value: None, .. } => {}
        }
    }

    fn place(&mut self, p: &Place, span: Span) {
        match p {
            Place::Local(l) if l.0 == OLD => self.no(span, "it assigns the old object's parameter"),
            Place::Local(_) | Place::Capture(_) => {}
            Place::Global(g) => {
                let name = self.global_name(g.0);
                self.no(span, format!("it assigns global `{name}`"))
            }
            Place::Field { obj, .. } => {
                if !matches!(obj.kind, ExprKind::Local(l) if l.0 == SELF) {
                    self.no(obj.span, "it assigns a field of another object than `self`");
                    self.expr(obj);
                }
            }
            Place::Index { obj, index, .. } => {
                self.expr(obj);
                self.expr(index);
            }
        }
    }

    fn global_name(&self, g: u32) -> String {
        let name = self.prog.globals.get(g as usize).map(|g| g.name.as_str()).unwrap_or("?");
        name.rsplit('.').next().unwrap_or(name).to_string()
    }

    fn exprs(&mut self, es: &[hir::Expr]) {
        for e in es {
            self.expr(e);
        }
    }

    fn expr(&mut self, e: &hir::Expr) {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Nil
            | ExprKind::Local(_)
            | ExprKind::Capture(_) => {}
            ExprKind::Interp(parts) | ExprKind::List(parts) => self.exprs(parts),
            ExprKind::Global(g) => {
                let name = self.global_name(g.0);
                self.no(e.span, format!("it reads global `{name}`"))
            }
            ExprKind::FuncRef(_) => self.no(e.span, "it uses a function as a value"),
            ExprKind::Field { obj, .. } => {
                if !matches!(obj.kind, ExprKind::Local(l) if l.0 == SELF) {
                    self.no(e.span, "it reads a field of another object than `self` and the old object");
                }
                self.expr(obj);
            }
            ExprKind::Index { obj, index, .. } => {
                self.expr(obj);
                self.expr(index);
            }
            ExprKind::CallFunc { func, args } => {
                let f = self.prog.functions.get(func.0 as usize);
                if f.is_none_or(|f| f.module != "std.math") {
                    let name = f.map(|f| f.name.rsplit('.').next().unwrap_or(&f.name).to_string()).unwrap_or_default();
                    self.no(e.span, format!("it calls function `{name}`"));
                }
                self.exprs(args);
            }
            ExprKind::CallMethod { recv, args, .. } => {
                self.no(e.span, "it calls a method of a class");
                self.expr(recv);
                self.exprs(args);
            }
            ExprKind::CallSuper { args, .. } => {
                self.no(e.span, "it calls a method of a class");
                self.exprs(args);
            }
            ExprKind::CallValue { callee, args } => {
                self.no(e.span, "it calls a function value");
                self.expr(callee);
                self.exprs(args);
            }
            ExprKind::CallBuiltin { builtin, args } => {
                match builtin {
                    Builtin::DsuOldField => {
                        // `o.f`: only through the parameter itself.
                        match args.first().map(|a| &a.kind) {
                            Some(ExprKind::Local(l)) if l.0 == OLD => {}
                            _ => self.no(e.span, "it reads a field of another object than the old one"),
                        }
                    }
                    Builtin::DsuOldMethod => self.no(e.span, "it calls a method of the old version"),
                    Builtin::DsuOldGlobal => self.no(e.span, "it reads a global of the old version"),
                    Builtin::DsuOldCall => self.no(e.span, "it calls a function of the old version"),
                    b if b.std_only() => self.no(e.span, format!("it calls `{}`", b.name())),
                    _ => {}
                }
                self.exprs(args);
            }
            ExprKind::Construct { fields, .. } => {
                for f in fields.iter().flatten() {
                    self.expr(f);
                }
            }
            ExprKind::Map(pairs) => {
                for (k, v) in pairs {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Unary { expr, .. } | ExprKind::Is { expr, .. } | ExprKind::As { expr, .. } => self.expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Coalesce(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Lambda { .. } => self.no(e.span, "it makes a function (a lambda)"),
            ExprKind::Spawn(call) => {
                self.no(e.span, "it spawns a fiber");
                self.expr(call);
            }
            ExprKind::Seq(stmts, value) => {
                for s in stmts {
                    self.stmt(s);
                }
                self.expr(value);
            }
        }
    }
}
