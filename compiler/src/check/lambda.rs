//! Lambdas, and the lambdas the checker makes itself: a method or prelude function used as a value
//! (`let f = obj.area`, `let p = print`) becomes a small closure calling it, so that code generation
//! knows only one kind of function value.
//!
//! A lambda is its own `Function` (`FunctionKind::Lambda { parent, index }`, named
//! `parent.<lambda index>`); its body is checked with its context pushed on top of the enclosing
//! function's, so names of enclosing functions become captures (see `scope.rs`).

use super::expr::{err_expr, mk};
use super::scope::FnCtx;
use super::types::{subst, subst_vars};
use super::Checker;
use crate::ast;
use crate::builtins::Builtin;
use crate::diag::Span;
use crate::hir::{self, Capture, ExprKind, FunctionKind, LocalId};
use crate::types::{FuncId, Type};

/// How a synthesized wrapper calls its target.
enum Target {
    Method { slot: u32 },
    Builtin { builtin: Builtin },
}

impl<'a> Checker<'a> {
    /// Allocates the function of a new lambda made in the innermost function.
    fn new_lambda(&mut self, span: Span) -> FuncId {
        let ctx = self.ctx();
        let index = ctx.lambda_count;
        ctx.lambda_count += 1;
        let name = format!("{}.<lambda {index}>", ctx.qual_name);
        let (parent, module, own_parent) = (ctx.func, ctx.module, ctx.is_field_default);
        let fid = self.new_function(name, module, FunctionKind::Lambda { parent, index }, span);
        if own_parent {
            self.prog.functions[fid.0 as usize].kind = FunctionKind::Lambda { parent: fid, index };
        }
        fid
    }

    /// Checks `fn(x: T) -> R { ... }` (or `= expr`).
    pub(super) fn check_lambda(&mut self, decl: &'a ast::FnDecl<'a>, span: Span) -> hir::Expr {
        let fid = self.new_lambda(decl.span);
        let outer = self.ctx();
        let module = outer.module;
        let mut tps = outer.type_params.clone();
        let qual = self.prog.functions[fid.0 as usize].name.clone();
        let own = self.type_param_names(decl.type_params);
        tps.extend(own.iter().cloned());
        let (params, ret) = self.resolve_fn_sig(decl, module, &tps);
        let mut ctx = FnCtx::new(fid, "lambda".into(), qual, module, ret.clone());
        ctx.type_params = tps;
        self.fns.push(ctx);
        for (p, ty) in decl.params.iter().zip(&params) {
            self.declare_local(p.name.name, ty.clone(), p.name.span);
        }
        let saved_depth = self.depth;
        let body = self.check_fn_body(decl, &ret);
        self.depth = saved_depth;
        let ctx = self.fns.pop();
        let f = &mut self.prog.functions[fid.0 as usize];
        f.type_params = own;
        f.arity = params.len() as u32;
        f.params = params.clone();
        f.ret = ret.clone();
        f.body = body;
        if let Some(ctx) = ctx {
            f.locals = ctx.locals;
            f.captures = ctx.captures;
        }
        mk(ExprKind::Lambda { func: fid }, Type::Fn(params, Box::new(ret)), span)
    }

    /// `recv.m` without a call: a closure over the receiver (evaluated once, here) that calls the
    /// method (or built-in method) with its own arguments.
    pub(super) fn bound_method_value(
        &mut self,
        recv: hir::Expr,
        name: ast::Ident<'a>,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let (params, ret, own, target) = match &recv.ty {
            Type::Class(c, cargs) => {
                let ci = c.0 as usize;
                let Some(slot) = self.classes[ci].methods.iter().position(|m| m.name == name.name) else {
                    return err_expr(span);
                };
                let tps = &self.prog.classes[ci].type_params;
                let sig = &self.classes[ci].methods[slot];
                let params: Vec<Type> = sig.params.iter().map(|p| subst(p, tps, cargs)).collect();
                (params, subst(&sig.ret, tps, cargs), sig.type_params.clone(), Target::Method { slot: slot as u32 })
            }
            t => {
                let Some((r, names, targs)) = super::expr::receiver_of(t) else { return err_expr(span) };
                let Some(b) = Builtin::method(r, name.name) else { return err_expr(span) };
                let sig = self.builtin_sigs.get(b);
                let params = sig.params.iter().map(|p| subst(p, &names, &targs)).collect();
                (params, subst(&sig.ret, &names, &targs), Vec::new(), Target::Builtin { builtin: b })
            }
        };
        let fty = Type::Fn(params, Box::new(ret));
        let fty = self.instantiate_value(name.name, &own, &fty, type_args, expected, span);
        let tmp = self.declare_local("<receiver>", recv.ty.clone(), span);
        if let Some(l) = self.ctx().locals.get_mut(tmp.0 as usize) {
            l.captured = true;
        }
        let recv_span = recv.span;
        let lambda = self.wrapper(fty.clone(), Some((tmp, recv.ty.clone())), target, span);
        let let_stmt = hir::Stmt::Let { local: tmp, init: recv, span: recv_span };
        mk(ExprKind::Seq(vec![let_stmt], Box::new(lambda)), fty, span)
    }

    /// A prelude function used as a value.
    pub(super) fn builtin_fn_value(
        &mut self,
        b: Builtin,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let sig = self.builtin_sigs.get(b);
        let fty = Type::Fn(sig.params.clone(), Box::new(sig.ret.clone()));
        let fty = self.instantiate_value(b.name(), &sig.type_params, &fty, type_args, expected, span);
        self.wrapper(fty, None, Target::Builtin { builtin: b }, span)
    }

    /// Binds the type parameters of a function used as a value from `::<...>` or the expected type.
    fn instantiate_value(
        &mut self,
        name: &str,
        tps: &[String],
        fty: &Type,
        type_args: &'a [ast::TypeExpr<'a>],
        expected: Option<&Type>,
        span: Span,
    ) -> Type {
        let mut vars = self.explicit_vars(name, tps, type_args, span);
        if let Some(exp) = expected {
            self.unify(fty, exp, &mut vars);
        }
        self.report_unbound(name, &mut vars, span);
        subst_vars(fty, &vars)
    }

    /// Makes the closure `fn(params) -> ret { return target(receiver?, params...) }`, capturing the
    /// receiver local when there is one.
    fn wrapper(&mut self, fty: Type, receiver: Option<(LocalId, Type)>, target: Target, span: Span) -> hir::Expr {
        let Type::Fn(params, ret) = fty.clone() else { return err_expr(span) };
        let fid = self.new_lambda(span);
        let mut locals = Vec::new();
        let mut args = Vec::new();
        for (i, p) in params.iter().enumerate() {
            locals.push(hir::Local { name: format!("<arg {i}>"), ty: p.clone(), captured: false, span });
            args.push(mk(ExprKind::Local(LocalId(i as u32)), p.clone(), span));
        }
        let mut captures = Vec::new();
        if let Some((tmp, ty)) = &receiver {
            captures.push(Capture::Local(*tmp));
            args.insert(0, mk(ExprKind::Capture(0), ty.clone(), span));
        }
        let call = match target {
            Target::Method { slot } => {
                let recv = if args.is_empty() { err_expr(span) } else { args.remove(0) };
                ExprKind::CallMethod { recv: Box::new(recv), slot, args }
            }
            Target::Builtin { builtin } => ExprKind::CallBuiltin { builtin, args },
        };
        let call = mk(call, (*ret).clone(), span);
        let body = if *ret == Type::Void {
            hir::Block { stmts: vec![hir::Stmt::Expr(call)] }
        } else {
            hir::Block { stmts: vec![hir::Stmt::Return { value: Some(call), span }] }
        };
        let f = &mut self.prog.functions[fid.0 as usize];
        f.arity = params.len() as u32;
        f.params = params;
        f.ret = *ret;
        f.locals = locals;
        f.captures = captures;
        f.body = body;
        mk(ExprKind::Lambda { func: fid }, fty, span)
    }
}
