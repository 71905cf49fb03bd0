//! Statements: `let`, assignment (places, constants, compound operators), `if`/`if let`,
//! loops (`while`, `while let`, `for` over lists, maps and ranges, each iteration declaring fresh
//! locals), `break`/`continue` (only in loops), `return` (against the function's result), and the
//! fall-through analysis behind `missing return`.

use super::expr::{var_expr, Named};
use super::ops::typed_op;
use super::types::subst;
use super::{Checker, Def};
use crate::ast::{self, AssignOp, BinaryOp};
use crate::hir::{self, ExprKind, IndexKind, Place};
use crate::types::Type;

/// True when control can reach the end of the block (no `return`, `panic`-like call, or endless
/// loop on every path).
pub(super) fn block_falls_through(b: &hir::Block) -> bool {
    !b.stmts.iter().any(stmt_terminates)
}

fn stmt_terminates(s: &hir::Stmt) -> bool {
    match s {
        hir::Stmt::Return { .. } => true,
        hir::Stmt::Expr(e) => e.ty == Type::Never,
        hir::Stmt::Let { init, .. } => init.ty == Type::Never,
        hir::Stmt::Assign { value, .. } => value.ty == Type::Never,
        hir::Stmt::If { then, else_: Some(e), .. } | hir::Stmt::IfLet { then, else_: Some(e), .. } => {
            !block_falls_through(then) && !block_falls_through(e)
        }
        hir::Stmt::While { cond, body, .. } => matches!(cond.kind, ExprKind::Bool(true)) && !breaks(body),
        hir::Stmt::Block(b) => !block_falls_through(b),
        _ => false,
    }
}

/// Whether a loop body contains a `break` that leaves this loop (not an inner one).
fn breaks(b: &hir::Block) -> bool {
    b.stmts.iter().any(|s| match s {
        hir::Stmt::Break { .. } => true,
        hir::Stmt::If { then, else_, .. } | hir::Stmt::IfLet { then, else_, .. } => {
            breaks(then) || else_.as_ref().is_some_and(breaks)
        }
        hir::Stmt::Block(b) => breaks(b),
        _ => false,
    })
}

fn assign_binop(op: AssignOp) -> Option<BinaryOp> {
    match op {
        AssignOp::Set => None,
        AssignOp::Add => Some(BinaryOp::Add),
        AssignOp::Sub => Some(BinaryOp::Sub),
        AssignOp::Mul => Some(BinaryOp::Mul),
        AssignOp::Div => Some(BinaryOp::Div),
        AssignOp::Rem => Some(BinaryOp::Rem),
    }
}

impl<'a> Checker<'a> {
    /// Checks a block in its own scope.
    pub(super) fn check_block(&mut self, b: &ast::Block<'a>) -> hir::Block {
        self.push_scope();
        let mut stmts = Vec::with_capacity(b.stmts.len());
        for s in b.stmts {
            if let Some(s) = self.check_stmt(s) {
                stmts.push(s);
            }
        }
        self.pop_scope();
        hir::Block { stmts }
    }

    fn check_stmt(&mut self, s: &'a ast::Stmt<'a>) -> Option<hir::Stmt> {
        if self.depth >= super::MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.error(s.span, "nesting too deep");
            }
            return None;
        }
        self.depth += 1;
        let out = self.check_stmt_inner(s);
        self.depth -= 1;
        out
    }

    fn check_stmt_inner(&mut self, s: &'a ast::Stmt<'a>) -> Option<hir::Stmt> {
        let span = s.span;
        Some(match s.kind {
            ast::StmtKind::Let { name, ty, init } => {
                let (init, ty) = match ty {
                    Some(te) => {
                        let t = self.resolve_body_type(te);
                        (self.check_expr_as(init, &t), t)
                    }
                    None => {
                        let e = self.check_expr(init, None);
                        self.value_type_check(&e);
                        self.nil_type_check(&e);
                        let t = match &e.ty {
                            Type::Void | Type::Never => Type::Error,
                            t => t.clone(),
                        };
                        (e, t)
                    }
                };
                let local = self.declare_local(name.name, ty, name.span);
                hir::Stmt::Let { local, init, span }
            }
            ast::StmtKind::Assign { target, op, value } => return self.check_assign(target, op, value, span),
            ast::StmtKind::If { cond, then, else_ } => {
                let cond = self.check_expr_as(cond, &Type::Bool);
                let then = self.check_block(&then);
                let else_ = self.check_else(else_);
                hir::Stmt::If { cond, then, else_, span }
            }
            ast::StmtKind::IfLet { name, value, then, else_ } => {
                let (value, inner) = self.check_optional_value(value);
                self.push_scope();
                let local = self.declare_local(name.name, inner, name.span);
                let then = self.check_block(&then);
                self.pop_scope();
                let else_ = self.check_else(else_);
                hir::Stmt::IfLet { local, value, then, else_, span }
            }
            ast::StmtKind::While { cond, body } => {
                let cond = self.check_expr_as(cond, &Type::Bool);
                let body = self.check_loop_body(&body, &[]);
                hir::Stmt::While { cond, body: body.0, span }
            }
            ast::StmtKind::WhileLet { name, value, body } => {
                let (value, inner) = self.check_optional_value(value);
                let (body, locals) = self.check_loop_body(&body, &[(name, inner)]);
                let local = locals.first().copied().unwrap_or(hir::LocalId(0));
                hir::Stmt::WhileLet { local, value, body, span }
            }
            ast::StmtKind::ForIn { first, second, iter, body } => {
                let it = self.check_expr(iter, None);
                match (it.ty.clone(), second) {
                    (Type::List(elem), None) => {
                        let (body, locals) = self.check_loop_body(&body, &[(first, *elem)]);
                        let var = locals.first().copied().unwrap_or(hir::LocalId(0));
                        hir::Stmt::ForList { var, list: it, body, span }
                    }
                    (Type::Map(k, v), second) => {
                        let mut vars = vec![(first, *k)];
                        if let Some(second) = second {
                            vars.push((second, *v));
                        }
                        let (body, locals) = self.check_loop_body(&body, &vars);
                        let key = locals.first().copied().unwrap_or(hir::LocalId(0));
                        let value = locals.get(1).copied();
                        hir::Stmt::ForMap { key, value, map: it, body, span }
                    }
                    (t, second) => {
                        if !matches!(t, Type::Error | Type::Never) {
                            let shown = self.show(&t);
                            let msg = if matches!(t, Type::List(_)) {
                                format!("cannot iterate over {shown} with two variables")
                            } else {
                                format!("cannot iterate over {shown}")
                            };
                            self.error(it.span, msg);
                        }
                        let mut vars = vec![(first, Type::Error)];
                        if let Some(second) = second {
                            vars.push((second, Type::Error));
                        }
                        let (body, locals) = self.check_loop_body(&body, &vars);
                        let var = locals.first().copied().unwrap_or(hir::LocalId(0));
                        hir::Stmt::ForList { var, list: it, body, span }
                    }
                }
            }
            ast::StmtKind::ForRange { var, start, end, body } => {
                let start = self.check_expr_as(start, &Type::Int);
                let end = self.check_expr_as(end, &Type::Int);
                let (body, locals) = self.check_loop_body(&body, &[(var, Type::Int)]);
                let var = locals.first().copied().unwrap_or(hir::LocalId(0));
                hir::Stmt::ForRange { var, start, end, body, span }
            }
            ast::StmtKind::Break => {
                if self.ctx().loop_depth == 0 {
                    self.error(span, "'break' outside of a loop");
                }
                hir::Stmt::Break { span }
            }
            ast::StmtKind::Continue => {
                if self.ctx().loop_depth == 0 {
                    self.error(span, "'continue' outside of a loop");
                }
                hir::Stmt::Continue { span }
            }
            ast::StmtKind::Return(value) => self.check_return(value, span),
            ast::StmtKind::Expr(e) => hir::Stmt::Expr(self.check_expr(e, None)),
            ast::StmtKind::Block(b) => hir::Stmt::Block(self.check_block(&b)),
        })
    }

    fn check_else(&mut self, else_: Option<ast::Else<'a>>) -> Option<hir::Block> {
        match else_? {
            ast::Else::Block(b) => Some(self.check_block(&b)),
            ast::Else::If(stmt) => {
                let s = self.check_stmt(stmt);
                Some(hir::Block { stmts: s.into_iter().collect() })
            }
        }
    }

    /// Checks the value of `if let`/`while let`; returns it with the type its binding gets.
    fn check_optional_value(&mut self, value: &'a ast::Expr<'a>) -> (hir::Expr, Type) {
        let v = self.check_expr(value, None);
        let inner = match &v.ty {
            Type::Optional(inner) => (**inner).clone(),
            Type::Error | Type::Never | Type::Nil => Type::Error,
            t => {
                let shown = self.show(t);
                self.error(v.span, format!("expected an optional, found {shown}"));
                Type::Error
            }
        };
        (v, inner)
    }

    /// Checks a loop body with the loop's own variables declared in a scope around it.
    fn check_loop_body(
        &mut self,
        body: &ast::Block<'a>,
        vars: &[(ast::Ident<'a>, Type)],
    ) -> (hir::Block, Vec<hir::LocalId>) {
        self.push_scope();
        let locals = vars.iter().map(|(n, t)| self.declare_local(n.name, t.clone(), n.span)).collect();
        self.ctx().loop_depth += 1;
        let block = self.check_block(body);
        self.ctx().loop_depth -= 1;
        self.pop_scope();
        (block, locals)
    }

    fn check_return(&mut self, value: Option<&'a ast::Expr<'a>>, span: crate::diag::Span) -> hir::Stmt {
        let ret = self.ctx().ret.clone();
        let name = self.ctx().display_name.clone();
        let value = match value {
            None => {
                if ret != Type::Void && ret != Type::Error {
                    let shown = self.show(&ret);
                    self.error(span, format!("missing return value: '{name}' returns {shown}"));
                }
                None
            }
            Some(v) if ret == Type::Void => {
                let e = self.check_expr(v, None);
                if !matches!(e.ty, Type::Void | Type::Never | Type::Error) {
                    self.error(e.span, format!("unexpected return value in '{name}', which returns nothing"));
                }
                Some(e)
            }
            Some(v) => Some(self.check_expr_as(v, &ret)),
        };
        hir::Stmt::Return { value, span }
    }

    fn check_assign(
        &mut self,
        target: &'a ast::Expr<'a>,
        op: AssignOp,
        value: &'a ast::Expr<'a>,
        span: crate::diag::Span,
    ) -> Option<hir::Stmt> {
        let place = self.check_place(target);
        let Some((place, ty)) = place else {
            self.check_expr(value, None);
            return None;
        };
        let (op, value) = match assign_binop(op) {
            None => (None, self.check_expr_as(value, &ty)),
            Some(bop) => {
                let v = self.check_expr(value, Some(&ty));
                if matches!(ty, Type::Error) || matches!(v.ty, Type::Error | Type::Never) {
                    (None, v)
                } else {
                    match typed_op(bop, &ty, &v.ty) {
                        Some((hop, _)) => (Some(hop), v),
                        None => {
                            let msg = format!(
                                "cannot apply '{}' to {} and {}",
                                bop.symbol(),
                                self.show(&ty),
                                self.show(&v.ty)
                            );
                            self.error(span, msg);
                            (None, v)
                        }
                    }
                }
            }
        };
        Some(hir::Stmt::Assign { target: place, op, value, span })
    }

    /// The place an assignment writes, with its type (`None` after reporting a bad target).
    fn check_place(&mut self, target: &'a ast::Expr<'a>) -> Option<(Place, Type)> {
        match target.kind {
            ast::ExprKind::Name { ident, type_args: [] } => match self.resolve_value_name(ident.name) {
                Some(Named::Var(v, ty)) => match var_expr(v, ty.clone(), target.span).kind {
                    ExprKind::Local(id) => Some((Place::Local(id), ty)),
                    ExprKind::Capture(i) => Some((Place::Capture(i), ty)),
                    _ => None,
                },
                Some(Named::Def(Def::Global(g))) => self.global_place(g, ident.name, target.span),
                Some(_) => {
                    self.error(target.span, "cannot assign to this expression");
                    None
                }
                None => {
                    self.error(ident.span, format!("unknown name '{}'", ident.name));
                    None
                }
            },
            ast::ExprKind::Field { obj, name, type_args: [] } => {
                if let Some(m) = self.module_of(obj) {
                    return match self.modules[m].defs.get(name.name).copied() {
                        Some(Def::Global(g)) => self.global_place(g, name.name, target.span),
                        Some(_) => {
                            self.error(target.span, "cannot assign to this expression");
                            None
                        }
                        None => {
                            let mname = self.modules[m].name.clone();
                            self.error(name.span, format!("module '{mname}' has no '{}'", name.name));
                            None
                        }
                    };
                }
                if self.old_module_expr(obj).is_some() {
                    self.error(target.span, "the running version cannot be changed: `old.` is read-only");
                    return None;
                }
                let o = self.check_expr(obj, None);
                match o.ty.clone() {
                    Type::Class(c, args) => {
                        let cls = &self.prog.classes[c.0 as usize];
                        if cls.old.is_some() {
                            let shown = self.show(&o.ty);
                            self.error(
                                target.span,
                                format!("old objects are read-only: cannot assign a field of {shown}"),
                            );
                            return None;
                        }
                        if let Some(slot) = cls.fields.iter().position(|f| f.name == name.name) {
                            let ty = subst(&cls.fields[slot].ty, &cls.type_params, &args);
                            return Some((Place::Field { obj: Box::new(o), slot: slot as u32 }, ty));
                        }
                        if cls.methods.iter().any(|m| m.name == name.name) {
                            self.error(target.span, "cannot assign to this expression");
                            return None;
                        }
                        let shown = self.show(&o.ty);
                        self.error(name.span, format!("unknown field '{}' on {shown}", name.name));
                        None
                    }
                    Type::Optional(_) => {
                        self.optional_access(name, &o.ty);
                        None
                    }
                    Type::Error | Type::Never => None,
                    t => {
                        let shown = self.show(&t);
                        self.error(name.span, format!("unknown field '{}' on {shown}", name.name));
                        None
                    }
                }
            }
            ast::ExprKind::Index { obj, index } => {
                let o = self.check_expr(obj, None);
                match o.ty.clone() {
                    Type::List(elem) => {
                        let i = self.check_expr_as(index, &Type::Int);
                        Some((Place::Index { obj: Box::new(o), index: Box::new(i), kind: IndexKind::List }, *elem))
                    }
                    Type::Map(k, v) => {
                        let i = self.check_expr_as(index, &k);
                        Some((Place::Index { obj: Box::new(o), index: Box::new(i), kind: IndexKind::Map }, *v))
                    }
                    Type::Error | Type::Never => {
                        self.check_expr(index, None);
                        None
                    }
                    t => {
                        let shown = self.show(&t);
                        self.error(o.span, format!("cannot index a value of type {shown}"));
                        self.check_expr(index, None);
                        None
                    }
                }
            }
            _ => {
                self.error(target.span, "cannot assign to this expression");
                None
            }
        }
    }

    fn global_place(
        &mut self,
        g: crate::types::GlobalId,
        name: &str,
        span: crate::diag::Span,
    ) -> Option<(Place, Type)> {
        if self.prog.globals[g.0 as usize].is_const {
            self.error(span, format!("cannot assign to constant '{name}'"));
            return None;
        }
        let ty = self.global_type(g, span);
        Some((Place::Global(g), ty))
    }
}
