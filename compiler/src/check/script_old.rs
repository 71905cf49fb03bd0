//! `old.` in update scripts: names of the running version (types, globals, functions) and the
//! fields and methods of old objects. Everything old is read through the running version at run
//! time, so each access becomes a native call that the engine answers in the staging area:
//! - a field of an old object: `__dsu_old_field(obj, slot)` (the old object behind a migrated
//!   handle, laid out as the running version laid it out);
//! - a method of an old object: `__dsu_old_method(obj, slot, [args])` (the running vtable entry,
//!   run in the running version);
//! - an old global: `__dsu_old_global(slot)`; an old function: `__dsu_old_call(slot, [args])`.
//!
//! Old objects are read-only: a script cannot assign their fields or construct old classes.

use super::calls::Callee;
use super::expr::{err_expr, mk};
use super::running::RunningGlobalKind;
use super::types::subst;
use super::{Checker, Def};
use crate::ast;
use crate::builtins::Builtin;
use crate::diag::Span;
use crate::hir::{self, ExprKind};
use crate::types::Type;

impl<'a> Checker<'a> {
    /// The module `e` names when it is `old` (the target) or `old.M` (`M` a module of the
    /// program, dotted, or a name the script binds to one), in the script.
    pub(super) fn old_module_expr(&mut self, e: &ast::Expr<'_>) -> Option<String> {
        let segs = self.old_path(e)?;
        if segs.is_empty() {
            return self.old_module(&segs);
        }
        let s = self.script.as_ref()?;
        if let [one] = segs.as_slice() {
            if let Some(Def::Module(t)) = self.modules[s.module].scope.get(one.as_str()) {
                return Some(self.modules[*t].name.clone());
            }
        }
        let joined = segs.join(".");
        self.modules.iter().any(|m| m.name == joined).then_some(joined)
    }

    /// The segments after `old` when `e` is `old.a.b` (`old` not being a local), in the script.
    fn old_path(&mut self, e: &ast::Expr<'_>) -> Option<Vec<String>> {
        let m = self.ctx().module;
        if !self.is_script_module(m) {
            return None;
        }
        let mut segs = Vec::new();
        let mut cur = e;
        loop {
            match cur.kind {
                ast::ExprKind::Field { obj, name, type_args: [] } => {
                    segs.push(name.name.to_string());
                    cur = obj;
                }
                ast::ExprKind::Name { ident, type_args } if ident.name == "old" && type_args.is_empty() => {
                    if self.lookup_var("old").is_some() || self.modules[m].scope.contains_key("old") {
                        return None;
                    }
                    segs.reverse();
                    return Some(segs);
                }
                _ => return None,
            }
        }
    }

    /// The module a path after `old.` names (the target when empty): a module name, dotted, or
    /// a name the script binds to a module.
    pub(super) fn old_module(&self, segs: &[String]) -> Option<String> {
        let s = self.script.as_ref()?;
        if segs.is_empty() {
            return Some(s.target_name.clone());
        }
        let joined = segs.join(".");
        if let [one] = segs {
            if let Some(Def::Module(t)) = self.modules[s.module].scope.get(one.as_str()) {
                return Some(self.modules[*t].name.clone());
            }
        }
        Some(joined)
    }

    /// `old.C`, `old.M.C` as a type.
    pub(super) fn resolve_old_type(&mut self, segs: &[ast::Ident<'_>], args: Vec<Type>, span: Span) -> Type {
        let names: Vec<String> = segs.iter().map(|i| i.name.to_string()).collect();
        let Some((last, path)) = names.split_last() else {
            self.error(span, "expected a class after `old.`");
            return Type::Error;
        };
        let module = self.old_module(path).unwrap_or_default();
        let qualified = format!("{module}.{last}");
        let Some(view) = self.old_view_named(&qualified) else {
            self.error(span, format!("module {module} has no class {last} in the running version"));
            return Type::Error;
        };
        let want = self.prog.classes[view.0 as usize].type_params.len();
        if args.is_empty() {
            return Type::Class(view, vec![Type::Any; want]);
        }
        if args.len() != want {
            self.error(span, format!("expected {}, found {}", super::calls::plural(want, "type argument"), args.len()));
            return Type::Class(view, vec![Type::Error; want]);
        }
        Type::Class(view, args)
    }

    /// The running global `old.[M.]name`.
    fn old_global(&mut self, module: &str, name: &str, span: Span) -> Option<(u32, RunningGlobalKind, Type)> {
        let qualified = format!("{module}.{name}");
        let v = self.old.as_ref()?;
        let found = v.running.globals.iter().find(|g| g.name == qualified).map(|g| (g.slot, g.kind, g.ty.clone()));
        let Some((slot, kind, ty)) = found else {
            self.error(span, format!("the running version has no {qualified}"));
            return None;
        };
        let ty = super::running::replace_classes(&ty, &mut |c| v.class_of.get(&c.0).copied());
        Some((slot, kind, ty))
    }

    /// `old.[M.]g` used as a value.
    pub(super) fn check_old_value(&mut self, module: &str, name: ast::Ident<'_>, span: Span) -> hir::Expr {
        match self.old_global(module, name.name, name.span) {
            Some((_, RunningGlobalKind::Function, _)) => {
                self.error(span, format!("old.{} is a function of the running version: call it", name.name));
                err_expr(span)
            }
            Some((slot, _, ty)) => {
                let arg = mk(ExprKind::Int(i64::from(slot)), Type::Int, span);
                mk(ExprKind::CallBuiltin { builtin: Builtin::DsuOldGlobal, args: vec![arg] }, ty, span)
            }
            None => err_expr(span),
        }
    }

    /// `old.[M.]f(args)`: the running version's function, run in the running version.
    pub(super) fn call_old_function(
        &mut self,
        module: &str,
        name: ast::Ident<'a>,
        args: &'a [ast::Expr<'a>],
        span: Span,
    ) -> hir::Expr {
        let Some((slot, kind, ty)) = self.old_global(module, name.name, name.span) else {
            self.check_args_alone(args);
            return err_expr(span);
        };
        let (params, ret) = match (kind, ty) {
            (RunningGlobalKind::Function, Type::Fn(p, r)) => (p, *r),
            (_, t) => {
                // A function-typed var: its value is old code, which runs only in the old version.
                let shown = self.show(&t);
                self.error(span, format!("old.{} is a {shown}, not a function of the running version", name.name));
                self.check_args_alone(args);
                return err_expr(span);
            }
        };
        let params: Vec<Type> = params.iter().map(erase_params).collect();
        let ret = erase_params(&ret);
        let callee = Callee { name: name.name, type_params: &[], params: &params, ret: &ret };
        let (args, ty) = self.check_call_args(&callee, &[], args, None, span);
        let slot = mk(ExprKind::Int(i64::from(slot)), Type::Int, span);
        let list = mk(ExprKind::List(args), Type::List(Box::new(Type::Any)), span);
        mk(ExprKind::CallBuiltin { builtin: Builtin::DsuOldCall, args: vec![slot, list] }, ty, span)
    }

    /// `recv.f` where `recv` is an old object: its field as the running version laid it out.
    pub(super) fn old_field(&mut self, recv: hir::Expr, slot: usize, span: Span) -> hir::Expr {
        let Type::Class(c, cargs) = recv.ty.clone() else { return err_expr(span) };
        let cls = &self.prog.classes[c.0 as usize];
        let ty = subst(&cls.fields[slot].ty, &cls.type_params, &cargs);
        let s = mk(ExprKind::Int(slot as i64), Type::Int, span);
        mk(ExprKind::CallBuiltin { builtin: Builtin::DsuOldField, args: vec![recv, s] }, erase_params(&ty), span)
    }

    /// `recv.m(args)` where `recv` is an old object: the running version's method.
    pub(super) fn call_old_method(
        &mut self,
        recv: hir::Expr,
        slot: usize,
        args: &'a [ast::Expr<'a>],
        span: Span,
    ) -> hir::Expr {
        let Type::Class(c, cargs) = recv.ty.clone() else { return err_expr(span) };
        let tps = self.prog.classes[c.0 as usize].type_params.clone();
        let sig = &self.classes[c.0 as usize].methods[slot];
        let name = sig.name.clone();
        let params: Vec<Type> = sig.params.iter().map(|p| erase_params(&subst(p, &tps, &cargs))).collect();
        let ret = erase_params(&subst(&sig.ret, &tps, &cargs));
        let callee = Callee { name: &name, type_params: &[], params: &params, ret: &ret };
        let (args, ty) = self.check_call_args(&callee, &[], args, None, span);
        let s = mk(ExprKind::Int(slot as i64), Type::Int, span);
        let list = mk(ExprKind::List(args), Type::List(Box::new(Type::Any)), span);
        mk(ExprKind::CallBuiltin { builtin: Builtin::DsuOldMethod, args: vec![recv, s, list] }, ty, span)
    }
}

/// A type with the type parameters of generic old code (which the script cannot name) as `any`.
fn erase_params(t: &Type) -> Type {
    match t {
        Type::Param(_) => Type::Any,
        Type::List(e) => Type::List(Box::new(erase_params(e))),
        Type::Chan(e) => Type::Chan(Box::new(erase_params(e))),
        Type::Optional(e) => erase_params(e).optional(),
        Type::Map(k, v) => Type::Map(Box::new(erase_params(k)), Box::new(erase_params(v))),
        Type::Fn(ps, r) => Type::Fn(ps.iter().map(erase_params).collect(), Box::new(erase_params(r))),
        Type::Class(c, args) => Type::Class(*c, args.iter().map(erase_params).collect()),
        other => other.clone(),
    }
}
