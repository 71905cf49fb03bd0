//! Calls and constructions: module functions, methods (virtual), `super` calls, function values,
//! built-in functions and methods, and `C { field: value }`. Type arguments of generic functions,
//! methods and classes come from `::<...>`, else from the arguments, else from the expected type
//! (`let c: Chan<int> = Chan(1)`).

use super::expr::{context_sensitive, err_expr, mk, receiver_of, var_expr, Named};
use super::types::{mentions_unbound, subst, subst_vars, Vars};
use super::{Checker, Def};
use crate::ast;
use crate::builtins::Builtin;
use crate::diag::Span;
use crate::hir::{self, ExprKind};
use crate::types::{ClassId, FuncId, Type};

/// `N argument(s)` with the right number.
pub(super) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("{n} {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What is being called, for the shared argument checking.
pub(super) struct Callee<'s> {
    /// Name for messages (`f`, `push`, `Stack`).
    pub name: &'s str,
    pub type_params: &'s [String],
    pub params: &'s [Type],
    pub ret: &'s Type,
}

impl<'a> Checker<'a> {
    /// Checks `callee(args)`.
    pub(super) fn check_call(
        &mut self,
        callee: &'a ast::Expr<'a>,
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        match callee.kind {
            ast::ExprKind::Name { ident, type_args } => match self.resolve_value_name(ident.name) {
                Some(Named::Var(v, ty)) => {
                    if !type_args.is_empty() {
                        self.error(callee.span, format!("'{}' takes no type arguments", ident.name));
                    }
                    let f = var_expr(v, ty, callee.span);
                    self.call_value(f, args, span)
                }
                Some(Named::Def(def)) => self.call_def(def, ident, type_args, args, expected, span),
                Some(Named::Builtin(b)) => self.call_builtin_fn(b, type_args, args, expected, span),
                None => {
                    self.error(ident.span, format!("unknown name '{}'", ident.name));
                    self.check_args_alone(args);
                    err_expr(span)
                }
            },
            ast::ExprKind::Field { obj, name, type_args } => {
                if let Some(module) = self.old_module_expr(obj) {
                    return self.call_old_function(&module, name, args, span);
                }
                if let Some(m) = self.module_of(obj) {
                    return match self.modules[m].defs.get(name.name).copied() {
                        Some(def) => self.call_def(def, name, type_args, args, expected, span),
                        None => {
                            let mname = self.modules[m].name.clone();
                            self.error(name.span, format!("module '{mname}' has no '{}'", name.name));
                            self.check_args_alone(args);
                            err_expr(span)
                        }
                    };
                }
                let recv = self.check_expr(obj, None);
                self.call_method(recv, name, type_args, args, expected, span)
            }
            ast::ExprKind::Super { name } => self.call_super(name, args, expected, span),
            _ => {
                let f = self.check_expr(callee, None);
                self.call_value(f, args, span)
            }
        }
    }

    /// Checks arguments only for their own errors (the call itself is already reported).
    pub(super) fn check_args_alone(&mut self, args: &'a [ast::Expr<'a>]) {
        for a in args {
            self.check_expr(a, None);
        }
    }

    fn call_def(
        &mut self,
        def: Def,
        ident: ast::Ident<'a>,
        type_args: &'a [ast::TypeExpr<'a>],
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        match def {
            Def::Func(f) => self.call_func(f, ident.name, type_args, args, expected, span),
            Def::Global(g) => {
                let ty = self.global_type(g, ident.span);
                let f = mk(ExprKind::Global(g), ty, ident.span);
                self.call_value(f, args, span)
            }
            Def::Class(_) => {
                self.error(
                    ident.span,
                    format!("'{}' is a class: construct it with {} {{ ... }}", ident.name, ident.name),
                );
                self.check_args_alone(args);
                err_expr(span)
            }
            Def::Module(m) => {
                let mname = self.modules[m].name.clone();
                self.error(ident.span, format!("expected a value, found module '{mname}'"));
                self.check_args_alone(args);
                err_expr(span)
            }
        }
    }

    fn call_func(
        &mut self,
        f: FuncId,
        name: &str,
        type_args: &'a [ast::TypeExpr<'a>],
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let func = &self.prog.functions[f.0 as usize];
        let (tps, params, ret) = (func.type_params.clone(), func.params.clone(), func.ret.clone());
        let callee = Callee { name, type_params: &tps, params: &params, ret: &ret };
        let (args, ty) = self.check_call_args(&callee, type_args, args, expected, span);
        mk(ExprKind::CallFunc { func: f, args }, ty, span)
    }

    /// Calls a function value (local, global, field, any expression).
    pub(super) fn call_value(&mut self, f: hir::Expr, args: &'a [ast::Expr<'a>], span: Span) -> hir::Expr {
        match f.ty.clone() {
            Type::Fn(params, ret) => {
                let callee = Callee { name: "function", type_params: &[], params: &params, ret: &ret };
                let (args, ty) = self.check_call_args(&callee, &[], args, None, span);
                mk(ExprKind::CallValue { callee: Box::new(f), args }, ty, span)
            }
            Type::Error | Type::Never => {
                self.check_args_alone(args);
                err_expr(span)
            }
            t => {
                let shown = self.show(&t);
                self.error(f.span, format!("cannot call a value of type {shown}"));
                self.check_args_alone(args);
                err_expr(span)
            }
        }
    }

    /// Checks `recv.name(args)`: a method, a function-typed field, or a built-in method.
    fn call_method(
        &mut self,
        recv: hir::Expr,
        name: ast::Ident<'a>,
        type_args: &'a [ast::TypeExpr<'a>],
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let recv_ty = recv.ty.clone();
        match &recv_ty {
            Type::Class(c, cargs) => {
                let ci = c.0 as usize;
                if self.prog.classes[ci].old.is_some() {
                    if let Some(slot) = self.classes[ci].methods.iter().position(|m| m.name == name.name) {
                        return self.call_old_method(recv, slot, args, span);
                    }
                    if let Some(slot) = self.prog.classes[ci].fields.iter().position(|f| f.name == name.name) {
                        let field = self.old_field(recv, slot, name.span);
                        return self.call_value(field, args, span);
                    }
                }
                if let Some(slot) = self.classes[ci].methods.iter().position(|m| m.name == name.name) {
                    let tps = self.prog.classes[ci].type_params.clone();
                    let sig = &self.classes[ci].methods[slot];
                    let params: Vec<Type> = sig.params.iter().map(|p| subst(p, &tps, cargs)).collect();
                    let ret = subst(&sig.ret, &tps, cargs);
                    let own = sig.type_params.clone();
                    let callee = Callee { name: name.name, type_params: &own, params: &params, ret: &ret };
                    let (args, ty) = self.check_call_args(&callee, type_args, args, expected, span);
                    return mk(ExprKind::CallMethod { recv: Box::new(recv), slot: slot as u32, args }, ty, span);
                }
                let cls = &self.prog.classes[ci];
                if let Some(slot) = cls.fields.iter().position(|f| f.name == name.name) {
                    let ty = subst(&cls.fields[slot].ty, &cls.type_params, cargs);
                    let field = mk(ExprKind::Field { obj: Box::new(recv), slot: slot as u32 }, ty, name.span);
                    return self.call_value(field, args, span);
                }
                let shown = self.show(&recv_ty);
                self.error(name.span, format!("unknown method '{}' on {shown}", name.name));
                self.check_args_alone(args);
                err_expr(span)
            }
            Type::Optional(_) => {
                self.optional_access(name, &recv_ty);
                self.check_args_alone(args);
                err_expr(span)
            }
            Type::Error | Type::Never => {
                self.check_args_alone(args);
                err_expr(span)
            }
            t => {
                let found = receiver_of(t).and_then(|(r, n, a)| Builtin::method(r, name.name).map(|b| (b, n, a)));
                let Some((b, names, targs)) = found else {
                    let shown = self.show(t);
                    self.error(name.span, format!("unknown method '{}' on {shown}", name.name));
                    self.check_args_alone(args);
                    return err_expr(span);
                };
                self.call_builtin_method(b, recv, &names, &targs, type_args, args, span)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_builtin_method(
        &mut self,
        b: Builtin,
        recv: hir::Expr,
        names: &[String],
        targs: &[Type],
        type_args: &'a [ast::TypeExpr<'a>],
        args: &'a [ast::Expr<'a>],
        span: Span,
    ) -> hir::Expr {
        let elem = targs.first().cloned().unwrap_or(Type::Error);
        match b {
            Builtin::ListJoin if !matches!(elem, Type::Str | Type::Error) => {
                let shown = self.show(&recv.ty);
                self.error(span, format!("join needs a List<str>, found {shown}"));
            }
            Builtin::ListSort if !matches!(elem, Type::Int | Type::Float | Type::Str | Type::Error) => {
                let shown = self.show(&recv.ty);
                self.error(span, format!("sort needs a list of int, float or str, found {shown}"));
            }
            _ => {}
        }
        let sig = self.builtin_sigs.get(b);
        let params: Vec<Type> = sig.params.iter().map(|p| subst(p, names, targs)).collect();
        let ret = subst(&sig.ret, names, targs);
        let callee = Callee { name: b.name(), type_params: &[], params: &params, ret: &ret };
        let (rest, ty) = self.check_call_args(&callee, type_args, args, None, span);
        let mut all = Vec::with_capacity(rest.len() + 1);
        all.push(recv);
        all.extend(rest);
        mk(ExprKind::CallBuiltin { builtin: b, args: all }, ty, span)
    }

    /// Calls a prelude function or native.
    fn call_builtin_fn(
        &mut self,
        b: Builtin,
        type_args: &'a [ast::TypeExpr<'a>],
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        match b {
            Builtin::ToInt | Builtin::ToFloat => {
                if let [a] = args {
                    if !type_args.is_empty() {
                        self.error(span, format!("'{}' takes no type arguments", b.name()));
                    }
                    let x = self.check_expr(a, None);
                    if !matches!(x.ty, Type::Int | Type::Float | Type::Error | Type::Never) {
                        let msg = if x.ty == Type::Void {
                            format!("cannot convert nothing to {}", b.name())
                        } else {
                            format!("cannot convert {} to {}", self.show(&x.ty), b.name())
                        };
                        self.error(x.span, msg);
                    }
                    let ty = if b == Builtin::ToInt { Type::Int } else { Type::Float };
                    return mk(ExprKind::CallBuiltin { builtin: b, args: vec![x] }, ty, span);
                }
            }
            _ => {}
        }
        let sig = self.builtin_sigs.get(b);
        let callee = Callee { name: b.name(), type_params: &sig.type_params, params: &sig.params, ret: &sig.ret };
        let (args, ty) = self.check_call_args(&callee, type_args, args, expected, span);
        mk(ExprKind::CallBuiltin { builtin: b, args }, ty, span)
    }

    fn call_super(
        &mut self,
        name: ast::Ident<'a>,
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let class = self.enclosing_class();
        let sup = class.and_then(|c| {
            let cls = &self.prog.classes[c.0 as usize];
            cls.superclass.zip(cls.superclass_type.clone())
        });
        let (Some((sup, Type::Class(_, sargs))), Some((v, self_ty))) = (sup, self.lookup_var("self")) else {
            self.error(span, "'super' outside of a method of a subclass");
            self.check_args_alone(args);
            return err_expr(span);
        };
        let si = sup.0 as usize;
        let Some(slot) = self.classes[si].methods.iter().position(|m| m.name == name.name) else {
            let sname = self.prog.classes[si].short_name.clone();
            self.error(name.span, format!("unknown method '{}' on superclass {sname}", name.name));
            self.check_args_alone(args);
            return err_expr(span);
        };
        let tps = self.prog.classes[si].type_params.clone();
        let sig = &self.classes[si].methods[slot];
        let params: Vec<Type> = sig.params.iter().map(|p| subst(p, &tps, &sargs)).collect();
        let ret = subst(&sig.ret, &tps, &sargs);
        let own = sig.type_params.clone();
        let callee = Callee { name: name.name, type_params: &own, params: &params, ret: &ret };
        let (rest, ty) = self.check_call_args(&callee, &[], args, expected, span);
        let mut all = vec![var_expr(v, self_ty, span)];
        all.extend(rest);
        mk(ExprKind::CallSuper { class: sup, slot: slot as u32, args: all }, ty, span)
    }

    /// Type-argument variables of a generic callee, bound from `::<...>` when written.
    pub(super) fn explicit_vars(
        &mut self,
        name: &str,
        tps: &[String],
        type_args: &'a [ast::TypeExpr<'a>],
        span: Span,
    ) -> Vars {
        let mut vars: Vars = tps.iter().map(|t| (t.clone(), None)).collect();
        if type_args.is_empty() {
            return vars;
        }
        let targs = self.resolve_type_args(type_args);
        if tps.is_empty() {
            self.error(span, format!("'{name}' takes no type arguments"));
        } else if targs.len() != tps.len() {
            self.error(span, format!("expected {}, found {}", plural(tps.len(), "type argument"), targs.len()));
            for v in &mut vars {
                v.1 = Some(Type::Error);
            }
        } else {
            for (v, t) in vars.iter_mut().zip(targs) {
                v.1 = Some(t);
            }
        }
        vars
    }

    /// Reports type arguments nothing determined, and makes them `Error`.
    pub(super) fn report_unbound(&mut self, name: &str, vars: &mut Vars, span: Span) {
        let mut reported = false;
        for (n, b) in vars.iter_mut() {
            if b.is_none() {
                if !reported {
                    self.diags.push(crate::diag::Diagnostic::error(
                        span,
                        format!("cannot infer type argument '{n}' of {name}; write it with ::<...>"),
                    ));
                    reported = true;
                }
                *b = Some(Type::Error);
            }
        }
    }

    /// Checks a call's arguments against its callee: count, type arguments (written, inferred from
    /// the arguments, then from the expected result type), and each argument's type. Returns the
    /// checked arguments and the call's result type.
    pub(super) fn check_call_args(
        &mut self,
        callee: &Callee<'_>,
        type_args: &'a [ast::TypeExpr<'a>],
        args: &'a [ast::Expr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> (Vec<hir::Expr>, Type) {
        if args.len() != callee.params.len() {
            self.error(span, format!("expected {}, found {}", plural(callee.params.len(), "argument"), args.len()));
            let checked = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let hint = callee.params.get(i).filter(|_| callee.type_params.is_empty()).cloned();
                    self.check_expr(a, hint.as_ref())
                })
                .collect();
            let ret = if callee.type_params.is_empty() { callee.ret.clone() } else { Type::Error };
            return (checked, ret);
        }
        let mut vars = self.explicit_vars(callee.name, callee.type_params, type_args, span);
        let pairs: Vec<(&'a ast::Expr<'a>, &Type)> = args.iter().zip(callee.params.iter()).collect();
        let checked = self.check_inferred(&pairs, &mut vars, Some((callee.ret, expected)));
        self.report_unbound(callee.name, &mut vars, span);
        let out = checked
            .into_iter()
            .zip(callee.params)
            .map(|(e, p)| {
                let want = subst_vars(p, &vars);
                self.coerce(e, &want)
            })
            .collect();
        (out, subst_vars(callee.ret, &vars))
    }

    /// Checks expressions against formal types that may mention the inference variables `vars`,
    /// learning them as it goes: first the expressions that do not need a context, then the result
    /// against the expected type, then `nil`/list/map literals. Does not coerce.
    pub(super) fn check_inferred(
        &mut self,
        pairs: &[(&'a ast::Expr<'a>, &Type)],
        vars: &mut Vars,
        ret: Option<(&Type, Option<&Type>)>,
    ) -> Vec<hir::Expr> {
        let mut out: Vec<Option<hir::Expr>> = vec![None; pairs.len()];
        for pass in 0..2 {
            if pass == 1 {
                if let Some((ret, Some(exp))) = ret {
                    if mentions_unbound(ret, vars) && !matches!(exp, Type::Any | Type::Error) {
                        self.unify(ret, exp, vars);
                    }
                }
            }
            for (i, (e, formal)) in pairs.iter().enumerate() {
                if context_sensitive(e) != (pass == 1) {
                    continue;
                }
                let checked = if !mentions_unbound(formal, vars) {
                    self.check_expr(e, Some(&subst_vars(formal, vars)))
                } else if is_empty_literal(e) {
                    // Nothing to learn from `[]`, `{}` or `nil`: check against what is known.
                    self.check_expr(e, Some(&subst_vars(formal, vars)))
                } else {
                    let x = self.check_expr(e, None);
                    self.unify(formal, &x.ty, vars);
                    x
                };
                out[i] = Some(checked);
            }
        }
        out.into_iter().zip(pairs).map(|(e, (a, _))| e.unwrap_or_else(|| err_expr(a.span))).collect()
    }

    /// Checks `C { field: value, ... }` (also `m.C { ... }` and `C::<T> { ... }`).
    pub(super) fn check_construct(
        &mut self,
        path: &ast::Path<'a>,
        type_args: &'a [ast::TypeExpr<'a>],
        fields: &'a [(ast::Ident<'a>, ast::Expr<'a>)],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let Some(c) = self.resolve_class_path(path) else {
            for (_, e) in fields {
                self.check_expr(e, None);
            }
            return err_expr(span);
        };
        let ci = c.0 as usize;
        let cname = self.prog.classes[ci].short_name.clone();
        let tps = self.prog.classes[ci].type_params.clone();
        let mut vars = self.explicit_vars(&cname, &tps, type_args, span);
        if let Some(Type::Class(ec, eargs)) = expected.map(strip_optional) {
            if *ec == c {
                for ((_, v), a) in vars.iter_mut().zip(eargs) {
                    if v.is_none() && !matches!(a, Type::Error) {
                        *v = Some(a.clone());
                    }
                }
            }
        }
        let field_types: Vec<(String, Type)> =
            self.prog.classes[ci].fields.iter().map(|f| (f.name.clone(), f.ty.clone())).collect();
        let mut given: Vec<Option<usize>> = vec![None; field_types.len()];
        let mut pairs: Vec<(&'a ast::Expr<'a>, &Type)> = Vec::new();
        let mut slots: Vec<usize> = Vec::new();
        for (i, (name, e)) in fields.iter().enumerate() {
            match field_types.iter().position(|(n, _)| n == name.name) {
                Some(slot) if given[slot].is_some() => {
                    self.error(name.span, format!("field '{}' given twice", name.name));
                    self.check_expr(e, None);
                }
                Some(slot) => {
                    given[slot] = Some(i);
                    pairs.push((e, &field_types[slot].1));
                    slots.push(slot);
                }
                None => {
                    let shown = self.show(&Type::Class(c, tps.iter().map(|t| Type::Param(t.clone())).collect()));
                    let shown = if tps.is_empty() { shown } else { cname.clone() };
                    self.error(name.span, format!("unknown field '{}' on {shown}", name.name));
                    self.check_expr(e, None);
                }
            }
        }
        let checked = self.check_inferred(&pairs, &mut vars, None);
        self.report_unbound(&cname, &mut vars, span);
        let mut values: Vec<Option<hir::Expr>> = vec![None; field_types.len()];
        for ((e, slot), (_, formal)) in checked.into_iter().zip(&slots).zip(&pairs) {
            let want = subst_vars(formal, &vars);
            values[*slot] = Some(self.coerce(e, &want));
        }
        for (slot, (name, _)) in field_types.iter().enumerate() {
            if given[slot].is_none() && !self.field_has_default(c, slot) {
                self.error(span, format!("missing field '{name}' in {cname}"));
            }
        }
        let args: Vec<Type> = vars.into_iter().map(|(_, t)| t.unwrap_or(Type::Error)).collect();
        let hoisted = self.hoist_out_of_order(&slots, &mut values, &field_types);
        let construct = mk(ExprKind::Construct { class: c, fields: values }, Type::Class(c, args), span);
        if hoisted.is_empty() {
            construct
        } else {
            let ty = construct.ty.clone();
            mk(ExprKind::Seq(hoisted, Box::new(construct)), ty, span)
        }
    }

    /// Field values are stored in slot order; when the construction wrote fields with effects in
    /// another order, they are first evaluated into temporaries in the written order (so
    /// `P { b: f(), a: g() }` calls `f` first).
    fn hoist_out_of_order(
        &mut self,
        slots: &[usize],
        values: &mut [Option<hir::Expr>],
        field_types: &[(String, Type)],
    ) -> Vec<hir::Stmt> {
        let effectful: Vec<usize> =
            slots.iter().copied().filter(|&s| values[s].as_ref().is_some_and(|e| !is_pure_literal(e))).collect();
        if effectful.windows(2).all(|w| w[0] < w[1]) {
            return Vec::new();
        }
        let mut stmts = Vec::new();
        for slot in effectful {
            let Some(e) = values[slot].take() else { continue };
            let (ty, espan) = (e.ty.clone(), e.span);
            let name = format!("<field {}>", field_types[slot].0);
            let tmp = self.declare_local(&name, ty.clone(), espan);
            stmts.push(hir::Stmt::Let { local: tmp, init: e, span: espan });
            values[slot] = Some(mk(ExprKind::Local(tmp), ty, espan));
        }
        stmts
    }

    /// Whether the field in `slot` of class `c` was declared with a default (by its declaring
    /// class), whether or not the default has been checked yet.
    fn field_has_default(&self, c: ClassId, slot: usize) -> bool {
        let Some(f) = self.prog.classes[c.0 as usize].fields.get(slot) else { return false };
        let owner = f.declared_in.0 as usize;
        self.classes[owner].decl.fields.iter().any(|fd| fd.name.name == f.name && fd.default.is_some())
    }

    /// The class a construction names.
    fn resolve_class_path(&mut self, path: &ast::Path<'a>) -> Option<ClassId> {
        let m = self.ctx().module;
        let def = match path.segments {
            [one] => self.modules[m].scope.get(one.name).copied(),
            [first, second] => match self.resolve_value_name(first.name) {
                Some(Named::Def(Def::Module(t))) => self.modules[t].defs.get(second.name).copied(),
                _ => None,
            },
            _ => None,
        };
        match def {
            Some(Def::Class(c)) => Some(c),
            _ => {
                let name = super::modules::path_name(path);
                self.error(path.span, format!("unknown type '{name}'"));
                None
            }
        }
    }
}

/// `T` of `T?`, else the type itself.
fn strip_optional(t: &Type) -> &Type {
    match t {
        Type::Optional(inner) => inner,
        other => other,
    }
}

/// Expressions whose evaluation neither has effects nor depends on other evaluations.
fn is_pure_literal(e: &hir::Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Nil
            | ExprKind::Lambda { .. }
    ) && e.ty != Type::Error
}

/// `[]`, `{}` and `nil`: literals that carry no type information.
fn is_empty_literal(e: &ast::Expr<'_>) -> bool {
    match e.kind {
        ast::ExprKind::Nil => true,
        ast::ExprKind::List(items) => items.is_empty(),
        ast::ExprKind::Map(entries) => entries.is_empty(),
        _ => false,
    }
}
