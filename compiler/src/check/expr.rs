//! Expressions: names, members, indexing, literals, casts, `spawn`. Calls and constructions are
//! in `calls.rs`, operators in `ops.rs`, lambdas in `lambda.rs`.
//!
//! `check_expr(e, expected)` takes the expected type as a hint (list and map literals, `nil`,
//! generic calls and constructions use it); callers that need the type then `coerce`, which reports
//! `expected A, found B`.

use super::scope::Var;
use super::types::subst;
use super::{Checker, Def};
use crate::ast;
use crate::builtins::{Builtin, Receiver};
use crate::diag::Span;
use crate::hir::{self, ExprKind, IndexKind};
use crate::types::Type;

/// What a name used as a value denotes.
pub(super) enum Named {
    Var(Var, Type),
    Def(Def),
    Builtin(Builtin),
}

/// A typed HIR expression.
pub(super) fn mk(kind: ExprKind, ty: Type, span: Span) -> hir::Expr {
    hir::Expr { kind, ty, span }
}

/// The placeholder for an expression that could not be checked (already reported).
pub(super) fn err_expr(span: Span) -> hir::Expr {
    mk(ExprKind::Nil, Type::Error, span)
}

/// The HIR of a variable reference.
pub(super) fn var_expr(v: Var, ty: Type, span: Span) -> hir::Expr {
    match v {
        Var::Local(id) => mk(ExprKind::Local(id), ty, span),
        Var::Capture(i) => mk(ExprKind::Capture(i), ty, span),
    }
}

/// The built-in receiver kind of a type, with its type arguments named as in the signatures.
pub(super) fn receiver_of(t: &Type) -> Option<(Receiver, Vec<String>, Vec<Type>)> {
    let one = |e: &Type| (vec!["T".to_string()], vec![e.clone()]);
    Some(match t {
        Type::Int => (Receiver::Int, vec![], vec![]),
        Type::Float => (Receiver::Float, vec![], vec![]),
        Type::Str => (Receiver::Str, vec![], vec![]),
        Type::Fiber => (Receiver::Fiber, vec![], vec![]),
        Type::Frame => (Receiver::Frame, vec![], vec![]),
        Type::List(e) => {
            let (n, a) = one(e);
            (Receiver::List, n, a)
        }
        Type::Chan(e) => {
            let (n, a) = one(e);
            (Receiver::Chan, n, a)
        }
        Type::Map(k, v) => (Receiver::Map, vec!["K".into(), "V".into()], vec![(**k).clone(), (**v).clone()]),
        _ => return None,
    })
}

/// True for expressions whose type comes from the context: `nil`, list and map literals.
pub(super) fn context_sensitive(e: &ast::Expr<'_>) -> bool {
    matches!(e.kind, ast::ExprKind::Nil | ast::ExprKind::List(_) | ast::ExprKind::Map(_))
}

impl<'a> Checker<'a> {
    /// Checks an expression; `expected` is a hint, not enforced (see `coerce`).
    pub(super) fn check_expr(&mut self, e: &'a ast::Expr<'a>, expected: Option<&Type>) -> hir::Expr {
        if self.depth >= super::MAX_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                self.error(e.span, "nesting too deep");
            }
            return err_expr(e.span);
        }
        self.depth += 1;
        let out = self.check_expr_inner(e, expected);
        self.depth -= 1;
        out
    }

    /// Checks an expression that must have type `ty`.
    pub(super) fn check_expr_as(&mut self, e: &'a ast::Expr<'a>, ty: &Type) -> hir::Expr {
        let out = self.check_expr(e, Some(ty));
        self.coerce(out, ty)
    }

    /// Reports `expected A, found B` unless the expression's type fits.
    pub(super) fn coerce(&mut self, e: hir::Expr, ty: &Type) -> hir::Expr {
        if !self.assignable(&e.ty, ty) {
            let msg = if e.ty == Type::Void {
                format!("expected {}, found nothing", self.show(ty))
            } else {
                format!("expected {}, found {}", self.show(ty), self.show(&e.ty))
            };
            self.error(e.span, msg);
        }
        e
    }

    fn check_expr_inner(&mut self, e: &'a ast::Expr<'a>, expected: Option<&Type>) -> hir::Expr {
        let span = e.span;
        match e.kind {
            ast::ExprKind::Int(v) => mk(ExprKind::Int(v), Type::Int, span),
            ast::ExprKind::Float(v) => mk(ExprKind::Float(v), Type::Float, span),
            ast::ExprKind::Str(s) => mk(ExprKind::Str(s.to_string()), Type::Str, span),
            ast::ExprKind::Bool(b) => mk(ExprKind::Bool(b), Type::Bool, span),
            ast::ExprKind::Nil => mk(ExprKind::Nil, Type::Nil, span),
            ast::ExprKind::Interp(parts) => {
                let mut out = Vec::with_capacity(parts.len());
                for p in parts {
                    match p {
                        ast::InterpPart::Lit(s) => out.push(mk(ExprKind::Str(s.to_string()), Type::Str, span)),
                        ast::InterpPart::Expr(x) => {
                            let x = self.check_expr(x, None);
                            self.value_type_check(&x);
                            out.push(x);
                        }
                    }
                }
                mk(ExprKind::Interp(out), Type::Str, span)
            }
            ast::ExprKind::SelfRef => match self.lookup_var("self") {
                Some((v, ty)) => var_expr(v, ty, span),
                None => {
                    self.error(span, "'self' outside of a method");
                    err_expr(span)
                }
            },
            ast::ExprKind::Name { ident, type_args } => self.check_name_value(ident, type_args, expected, span),
            ast::ExprKind::Field { obj, name, type_args } => {
                self.check_field_value(obj, name, type_args, expected, span)
            }
            ast::ExprKind::Super { name } => {
                self.error(span, format!("'super' can only call a method: write super.{}(...)", name.name));
                err_expr(span)
            }
            ast::ExprKind::Index { obj, index } => self.check_index(obj, index, span),
            ast::ExprKind::Call { callee, args } => self.check_call(callee, args, expected, span),
            ast::ExprKind::Unary { op, expr } => self.check_unary(op, expr, span),
            ast::ExprKind::Binary { op, lhs, rhs } => self.check_binary(op, lhs, rhs, expected, span),
            ast::ExprKind::Is { expr, ty } => self.check_is_as(expr, ty, false, span),
            ast::ExprKind::As { expr, ty } => self.check_is_as(expr, ty, true, span),
            ast::ExprKind::List(items) => self.check_list(items, expected, span),
            ast::ExprKind::Map(entries) => self.check_map(entries, expected, span),
            ast::ExprKind::Construct { class, type_args, fields } => {
                self.check_construct(&class, type_args, fields, expected, span)
            }
            ast::ExprKind::Lambda(decl) => self.check_lambda(decl, span),
            ast::ExprKind::Spawn(inner) => self.check_spawn(inner, span),
        }
    }

    /// Resolves a name used as a value: locals (capturing as needed), then the module's names,
    /// then the prelude (natives only inside `std.*`).
    pub(super) fn resolve_value_name(&mut self, name: &str) -> Option<Named> {
        if let Some((v, ty)) = self.lookup_var(name) {
            return Some(Named::Var(v, ty));
        }
        let m = self.ctx().module;
        if let Some(def) = self.modules[m].scope.get(name).copied() {
            return Some(Named::Def(def));
        }
        let b = Builtin::function(name)?;
        if b.std_only() && !self.modules[m].is_std {
            return None;
        }
        Some(Named::Builtin(b))
    }

    /// The module an expression names, when it is a bare name bound to an import.
    pub(super) fn module_of(&mut self, e: &ast::Expr<'_>) -> Option<usize> {
        let ast::ExprKind::Name { ident, type_args } = e.kind else { return None };
        if !type_args.is_empty() || self.lookup_var(ident.name).is_some() {
            return None;
        }
        let m = self.ctx().module;
        match self.modules[m].scope.get(ident.name) {
            Some(Def::Module(t)) => Some(*t),
            _ => None,
        }
    }

    /// Resolves the written type arguments of an expression in the current function's scope.
    pub(super) fn resolve_type_args(&mut self, targs: &[ast::TypeExpr<'_>]) -> Vec<Type> {
        let m = self.ctx().module;
        let tps = self.ctx().type_params.clone();
        targs.iter().map(|t| self.resolve_type(t, m, &tps)).collect()
    }

    /// Resolves a written type inside a body.
    pub(super) fn resolve_body_type(&mut self, te: &ast::TypeExpr<'_>) -> Type {
        let m = self.ctx().module;
        let tps = self.ctx().type_params.clone();
        self.resolve_type(te, m, &tps)
    }

    fn check_name_value(
        &mut self,
        ident: ast::Ident<'a>,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        match self.resolve_value_name(ident.name) {
            Some(Named::Var(v, ty)) => {
                if !type_args.is_empty() {
                    self.error(span, format!("'{}' takes no type arguments", ident.name));
                }
                var_expr(v, ty, span)
            }
            Some(Named::Def(def)) => self.def_value(def, ident.name, type_args, expected, span),
            Some(Named::Builtin(b)) => self.builtin_fn_value(b, type_args, expected, span),
            None => {
                self.error(ident.span, format!("unknown name '{}'", ident.name));
                err_expr(span)
            }
        }
    }

    /// A module-level definition used as a value.
    fn def_value(
        &mut self,
        def: Def,
        name: &str,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        match def {
            Def::Global(g) => {
                if !type_args.is_empty() {
                    self.error(span, format!("'{name}' takes no type arguments"));
                }
                let ty = self.global_type(g, span);
                mk(ExprKind::Global(g), ty, span)
            }
            Def::Func(f) => self.func_value(f, name, type_args, expected, span),
            Def::Class(_) => {
                self.error(span, format!("expected a value, found class '{name}'"));
                err_expr(span)
            }
            Def::Module(m) => {
                let mname = self.modules[m].name.clone();
                self.error(span, format!("expected a value, found module '{mname}'"));
                err_expr(span)
            }
        }
    }

    /// A module function used as a value (type arguments written or taken from the expected type).
    fn func_value(
        &mut self,
        f: crate::types::FuncId,
        name: &str,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let func = &self.prog.functions[f.0 as usize];
        let tps = func.type_params.clone();
        let fty = Type::Fn(func.params.clone(), Box::new(func.ret.clone()));
        let mut vars = self.explicit_vars(name, &tps, type_args, span);
        if let Some(exp) = expected {
            self.unify(&fty, exp, &mut vars);
        }
        self.report_unbound(name, &mut vars, span);
        let ty = super::types::subst_vars(&fty, &vars);
        mk(ExprKind::FuncRef(f), ty, span)
    }

    fn check_field_value(
        &mut self,
        obj: &'a ast::Expr<'a>,
        name: ast::Ident<'a>,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        if let Some(module) = self.old_module_expr(obj) {
            return self.check_old_value(&module, name, span);
        }
        if let Some(m) = self.module_of(obj) {
            return match self.modules[m].defs.get(name.name).copied() {
                Some(def) => self.def_value(def, name.name, type_args, expected, span),
                None => {
                    let mname = self.modules[m].name.clone();
                    self.error(name.span, format!("module '{mname}' has no '{}'", name.name));
                    err_expr(span)
                }
            };
        }
        let recv = self.check_expr(obj, None);
        let recv_ty = recv.ty.clone();
        match &recv_ty {
            Type::Error | Type::Never => err_expr(span),
            Type::Class(c, args) => {
                let cls = &self.prog.classes[c.0 as usize];
                if let Some(slot) = cls.fields.iter().position(|f| f.name == name.name) {
                    if cls.old.is_some() {
                        return self.old_field(recv, slot, span);
                    }
                    let ty = subst(&cls.fields[slot].ty, &cls.type_params, args);
                    return mk(ExprKind::Field { obj: Box::new(recv), slot: slot as u32 }, ty, span);
                }
                if cls.old.is_some() && cls.methods.iter().any(|m| m.name == name.name) {
                    let shown = self.show(&recv_ty);
                    self.error(name.span, format!("method '{}' of {shown} can only be called", name.name));
                    return err_expr(span);
                }
                if cls.methods.iter().any(|m| m.name == name.name) {
                    return self.bound_method_value(recv, name, type_args, expected, span);
                }
                let shown = self.show(&recv_ty);
                self.error(name.span, format!("unknown field '{}' on {shown}", name.name));
                err_expr(span)
            }
            Type::Optional(_) => {
                self.optional_access(name, &recv_ty);
                err_expr(span)
            }
            t => {
                if let Some((r, _, _)) = receiver_of(t) {
                    if Builtin::method(r, name.name).is_some() {
                        return self.bound_method_value(recv, name, type_args, expected, span);
                    }
                }
                let shown = self.show(t);
                self.error(name.span, format!("unknown field '{}' on {shown}", name.name));
                err_expr(span)
            }
        }
    }

    /// Reports a member access on an optional value.
    pub(super) fn optional_access(&mut self, name: ast::Ident<'_>, ty: &Type) {
        let shown = self.show(ty);
        self.error(
            name.span,
            format!("cannot access '{}' on optional {shown}; unwrap it with ?? or if let", name.name),
        );
    }

    fn check_index(&mut self, obj: &'a ast::Expr<'a>, index: &'a ast::Expr<'a>, span: Span) -> hir::Expr {
        let o = self.check_expr(obj, None);
        match o.ty.clone() {
            Type::List(elem) => {
                let i = self.check_expr_as(index, &Type::Int);
                mk(ExprKind::Index { obj: Box::new(o), index: Box::new(i), kind: IndexKind::List }, *elem, span)
            }
            Type::Map(k, v) => {
                let i = self.check_expr_as(index, &k);
                mk(ExprKind::Index { obj: Box::new(o), index: Box::new(i), kind: IndexKind::Map }, *v, span)
            }
            Type::Error | Type::Never => {
                self.check_expr(index, None);
                err_expr(span)
            }
            t => {
                let shown = self.show(&t);
                self.error(o.span, format!("cannot index a value of type {shown}"));
                self.check_expr(index, None);
                err_expr(span)
            }
        }
    }

    fn check_list(&mut self, items: &'a [ast::Expr<'a>], expected: Option<&Type>, span: Span) -> hir::Expr {
        let want = match expected {
            Some(Type::List(t)) => Some((**t).clone()),
            Some(Type::Optional(o)) => match &**o {
                Type::List(t) => Some((**t).clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(t) = want {
            let out: Vec<hir::Expr> = items.iter().map(|x| self.check_expr_as(x, &t)).collect();
            return mk(ExprKind::List(out), Type::List(Box::new(t)), span);
        }
        if items.is_empty() {
            if !matches!(expected, Some(Type::Error)) {
                self.error(span, "cannot infer type of empty list; write its type");
            }
            return mk(ExprKind::List(Vec::new()), Type::List(Box::new(Type::Error)), span);
        }
        let (out, elem) = self.check_elements(items.iter());
        mk(ExprKind::List(out), Type::List(Box::new(elem)), span)
    }

    /// Checks elements without an expected type: the first gives the type, later ones may widen it
    /// to a superclass or to an optional.
    fn check_elements<I>(&mut self, items: I) -> (Vec<hir::Expr>, Type)
    where
        I: Iterator<Item = &'a ast::Expr<'a>>,
    {
        let mut out: Vec<hir::Expr> = Vec::new();
        let mut elem: Option<Type> = None;
        for x in items {
            let e = self.check_expr(x, elem.as_ref());
            self.value_type_check(&e);
            elem = Some(match elem {
                None => e.ty.clone(),
                Some(t) => self.join(t, &e),
            });
            out.push(e);
        }
        let elem = match elem {
            Some(Type::Never) | Some(Type::Void) | None => Type::Error,
            Some(t) => t,
        };
        (out, elem)
    }

    /// The type of a collection element so far (`t`) joined with the next element's.
    fn join(&mut self, t: Type, e: &hir::Expr) -> Type {
        if self.assignable(&e.ty, &t) {
            if t == Type::Nil && e.ty != Type::Nil {
                return e.ty.clone().optional();
            }
            return t;
        }
        if self.assignable(&t, &e.ty) {
            return e.ty.clone();
        }
        if e.ty == Type::Nil {
            return t.optional();
        }
        if t == Type::Nil || t == Type::Never {
            return e.ty.clone().optional();
        }
        let msg = format!("expected {}, found {}", self.show(&t), self.show(&e.ty));
        self.error(e.span, msg);
        t
    }

    fn check_map(
        &mut self,
        entries: &'a [(ast::Expr<'a>, ast::Expr<'a>)],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let want = match expected {
            Some(Type::Map(k, v)) => Some(((**k).clone(), (**v).clone())),
            Some(Type::Optional(o)) => match &**o {
                Type::Map(k, v) => Some(((**k).clone(), (**v).clone())),
                _ => None,
            },
            _ => None,
        };
        if let Some((k, v)) = want {
            let out: Vec<(hir::Expr, hir::Expr)> =
                entries.iter().map(|(a, b)| (self.check_expr_as(a, &k), self.check_expr_as(b, &v))).collect();
            return mk(ExprKind::Map(out), Type::Map(Box::new(k), Box::new(v)), span);
        }
        if entries.is_empty() {
            if !matches!(expected, Some(Type::Error)) {
                self.error(span, "cannot infer type of empty map; write its type");
            }
            return mk(ExprKind::Map(Vec::new()), Type::Map(Box::new(Type::Error), Box::new(Type::Error)), span);
        }
        let (keys, kt) = self.check_elements(entries.iter().map(|(a, _)| a));
        if !matches!(kt, Type::Int | Type::Str | Type::Bool | Type::Param(_) | Type::Error) {
            let shown = self.show(&kt);
            self.error(span, format!("map keys must be int, str or bool, found {shown}"));
        }
        let (vals, vt) = self.check_elements(entries.iter().map(|(_, b)| b));
        let out = keys.into_iter().zip(vals).collect();
        mk(ExprKind::Map(out), Type::Map(Box::new(kt), Box::new(vt)), span)
    }

    fn check_is_as(
        &mut self,
        expr: &'a ast::Expr<'a>,
        te: &'a ast::TypeExpr<'a>,
        is_as: bool,
        span: Span,
    ) -> hir::Expr {
        let x = self.check_expr(expr, None);
        self.value_type_check(&x);
        let target = self.resolve_body_type(te);
        let result_ty = if is_as { target.clone() } else { Type::Bool };
        if matches!(target, Type::Error) || matches!(x.ty, Type::Void) {
            return mk(ExprKind::Nil, if is_as { Type::Error } else { Type::Bool }, span);
        }
        let Some(rt) = self.rt_type(&target) else {
            let shown = self.show(&target);
            self.error(te.span, format!("cannot test for {shown} at run time (type parameters are erased)"));
            return err_expr(span);
        };
        if !self.can_cast(&x.ty, rt) {
            let msg = format!("cannot cast {} to {}: the cast can never succeed", self.show(&x.ty), self.show(&target));
            self.error(span, msg);
        }
        if is_as {
            let nullable = matches!(target, Type::Optional(_));
            mk(ExprKind::As { expr: Box::new(x), ty: rt, nullable }, result_ty, span)
        } else {
            mk(ExprKind::Is { expr: Box::new(x), ty: rt }, result_ty, span)
        }
    }

    fn check_spawn(&mut self, inner: &'a ast::Expr<'a>, span: Span) -> hir::Expr {
        let ast::ExprKind::Call { callee, args } = inner.kind else {
            self.error(inner.span, "spawn needs a function call");
            self.check_expr(inner, None);
            return mk(ExprKind::Nil, Type::Fiber, span);
        };
        let call = self.check_call(callee, args, None, inner.span);
        match call.kind {
            ExprKind::CallFunc { .. }
            | ExprKind::CallMethod { .. }
            | ExprKind::CallValue { .. }
            | ExprKind::CallBuiltin { .. } => mk(ExprKind::Spawn(Box::new(call)), Type::Fiber, span),
            _ if call.ty == Type::Error => mk(ExprKind::Nil, Type::Fiber, span),
            _ => {
                self.error(inner.span, "spawn needs a function call");
                mk(ExprKind::Nil, Type::Fiber, span)
            }
        }
    }
}
