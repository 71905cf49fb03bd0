//! Phase 3 driver: checks every body into HIR — field defaults, methods, module functions and
//! global initialisers — once every signature is known. Globals declared without a type get it
//! from their initialiser, on demand when a body uses them before their turn.

use super::scope::FnCtx;
use super::{Checker, GlobalState};
use crate::ast;
use crate::hir;
use crate::types::{ClassId, FuncId, GlobalId, Type};

impl<'a> Checker<'a> {
    /// Checks every body of every module that parsed cleanly.
    pub(super) fn check_bodies(&mut self) {
        for i in 0..self.order.len() {
            let m = self.order[i];
            if self.modules[m].parse_failed {
                continue;
            }
            let items: &'a [ast::Item<'a>] = self.modules[m].ast.items;
            for item in items {
                match item {
                    ast::Item::Fn(f) => {
                        if let Some(fid) = self.decl_id(f) {
                            self.check_function(fid, f, m, None);
                        }
                    }
                    ast::Item::Class(c) => self.check_class_bodies(m, c),
                    ast::Item::Global(g) => {
                        if let Some(gid) = self.module_global_id(g) {
                            self.check_global(gid);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.propagate_defaults();
    }

    fn check_class_bodies(&mut self, m: usize, c: &'a ast::ClassDecl<'a>) {
        let Some(cid) = self.class_id(c) else {
            return;
        };
        let ci = cid.0 as usize;
        let tps = self.prog.classes[ci].type_params.clone();
        for fd in c.fields {
            let Some(default) = fd.default else { continue };
            let Some(slot) =
                self.prog.classes[ci].fields.iter().position(|f| f.name == fd.name.name && f.declared_in == cid)
            else {
                continue;
            };
            let ty = self.prog.classes[ci].fields[slot].ty.clone();
            let qual = format!("{}.<default {}>", self.prog.classes[ci].name, fd.name.name);
            let mut ctx = FnCtx::new(FuncId(u32::MAX), fd.name.name.to_string(), qual, m, ty.clone());
            ctx.type_params = tps.clone();
            ctx.is_field_default = true;
            let saved = std::mem::replace(&mut self.fns, vec![ctx]);
            let e = self.check_expr_as(default, &ty);
            self.fns = saved;
            self.prog.classes[ci].fields[slot].default = Some(e);
        }
        for md in c.methods {
            if let Some(fid) = self.decl_id(md) {
                self.check_function(fid, md, m, Some(cid));
            }
        }
    }

    /// Copies each inherited field's default from the class that declares it (superclasses first,
    /// iteratively: inheritance chains may be long).
    fn propagate_defaults(&mut self) {
        let n = self.prog.classes.len();
        let mut done = vec![false; n];
        for c in 0..n {
            let mut chain = Vec::new();
            let mut cur = Some(c);
            while let Some(x) = cur {
                if done[x] || chain.len() > n {
                    break;
                }
                chain.push(x);
                cur = self.prog.classes[x].superclass.map(|s| s.0 as usize);
            }
            for x in chain.into_iter().rev() {
                done[x] = true;
                let Some(s) = self.prog.classes[x].superclass else { continue };
                let inherited: Vec<Option<hir::Expr>> =
                    self.prog.classes[s.0 as usize].fields.iter().map(|f| f.default.clone()).collect();
                for (slot, d) in inherited.into_iter().enumerate() {
                    if let Some(f) = self.prog.classes[x].fields.get_mut(slot) {
                        if f.default.is_none() {
                            f.default = d;
                        }
                    }
                }
            }
        }
    }

    /// Checks the body of a module function or method.
    pub(super) fn check_function(&mut self, fid: FuncId, decl: &'a ast::FnDecl<'a>, m: usize, class: Option<ClassId>) {
        let func = &self.prog.functions[fid.0 as usize];
        let params = func.params.clone();
        let ret = func.ret.clone();
        let qual = func.name.clone();
        let display = decl.name.map(|n| n.name.to_string()).unwrap_or_else(|| "lambda".into());
        let mut ctx = FnCtx::new(fid, display, qual, m, ret.clone());
        ctx.type_params = func.type_params.clone();
        ctx.class = class;
        if let Some(c) = class {
            let mut tps = self.prog.classes[c.0 as usize].type_params.clone();
            tps.extend(ctx.type_params.iter().cloned());
            ctx.type_params = tps;
        }
        let saved = std::mem::replace(&mut self.fns, vec![ctx]);
        let mut it = params.into_iter();
        if class.is_some() {
            let self_ty = it.next().unwrap_or(Type::Error);
            self.declare_local("self", self_ty, decl.span);
        }
        for (p, ty) in decl.params.iter().zip(it) {
            self.declare_local(p.name.name, ty, p.name.span);
        }
        let body = self.check_fn_body(decl, &ret);
        let ctx = self.fns.pop();
        self.fns = saved;
        if let Some(ctx) = ctx {
            let f = &mut self.prog.functions[fid.0 as usize];
            f.locals = ctx.locals;
            f.captures = ctx.captures;
            f.body = body;
        }
    }

    /// Checks a function body against its result type (including the missing-return rule); the
    /// function's context is the innermost one, with its parameters declared.
    pub(super) fn check_fn_body(&mut self, decl: &'a ast::FnDecl<'a>, ret: &Type) -> hir::Block {
        match decl.body {
            ast::FnBody::Block(b) => {
                let block = self.check_block(&b);
                if *ret != Type::Void && !matches!(ret, Type::Error) && super::stmt::block_falls_through(&block) {
                    let name = self.ctx().display_name.clone();
                    let span = decl.name.map(|n| n.span).unwrap_or(decl.span);
                    let shown = self.show(ret);
                    self.error(span, format!("missing return in '{name}' (returns {shown})"));
                }
                block
            }
            ast::FnBody::Expr(e) => {
                if *ret == Type::Void {
                    let e = self.check_expr(e, None);
                    hir::Block { stmts: vec![hir::Stmt::Expr(e)] }
                } else {
                    let span = e.span;
                    let e = self.check_expr_as(e, ret);
                    hir::Block { stmts: vec![hir::Stmt::Return { value: Some(e), span }] }
                }
            }
        }
    }

    /// The type of a global, inferring it from the initialiser when it was declared without one.
    pub(super) fn global_type(&mut self, gid: GlobalId, use_span: crate::diag::Span) -> Type {
        let gi = gid.0 as usize;
        match self.globals[gi].state {
            GlobalState::Pending => {
                if self.modules[self.globals[gi].module].parse_failed {
                    return Type::Error;
                }
                self.check_global(gid);
                self.prog.globals[gi].ty.clone()
            }
            GlobalState::InProgress => {
                let name = self.globals[gi].decl.name.name;
                self.error(use_span, format!("cannot infer the type of '{name}': its initializer uses it"));
                Type::Error
            }
            GlobalState::Typed | GlobalState::Done => self.prog.globals[gi].ty.clone(),
        }
    }

    /// Checks a global's initialiser (once) into its `GlobalInit` function.
    fn check_global(&mut self, gid: GlobalId) {
        let gi = gid.0 as usize;
        let state = self.globals[gi].state;
        if matches!(state, GlobalState::Done | GlobalState::InProgress) {
            return;
        }
        self.globals[gi].state = GlobalState::InProgress;
        let decl = self.globals[gi].decl;
        let m = self.globals[gi].module;
        let init = self.prog.globals[gi].init;
        let declared = if state == GlobalState::Typed { Some(self.prog.globals[gi].ty.clone()) } else { None };
        let qual = self.prog.functions[init.0 as usize].name.clone();
        let ctx = FnCtx::new(init, decl.name.name.to_string(), qual, m, declared.clone().unwrap_or(Type::Error));
        let saved = std::mem::replace(&mut self.fns, vec![ctx]);
        let depth = std::mem::replace(&mut self.depth, 0);
        let value = match &declared {
            Some(t) => self.check_expr_as(decl.init, t),
            None => {
                let e = self.check_expr(decl.init, None);
                self.value_type_check(&e);
                self.nil_type_check(&e);
                e
            }
        };
        self.depth = depth;
        let ty = declared.unwrap_or_else(|| match &value.ty {
            Type::Void | Type::Never => Type::Error,
            t => t.clone(),
        });
        let ctx = self.fns.pop();
        self.fns = saved;
        self.prog.globals[gi].ty = ty.clone();
        let span = value.span;
        if let Some(ctx) = ctx {
            let f = &mut self.prog.functions[init.0 as usize];
            f.ret = ty;
            f.locals = ctx.locals;
            f.captures = ctx.captures;
            f.body = hir::Block { stmts: vec![hir::Stmt::Return { value: Some(value), span }] };
        }
        self.globals[gi].state = GlobalState::Done;
    }

    /// Reports `nil` initialising a variable without a written type (its type would be unusable).
    pub(super) fn nil_type_check(&mut self, e: &hir::Expr) {
        if e.ty == Type::Nil {
            self.error(e.span, "cannot infer type of nil; write its type");
        }
    }

    /// Reports a value that cannot initialise a variable of inferred type (`nothing`).
    pub(super) fn value_type_check(&mut self, e: &hir::Expr) {
        if e.ty == Type::Void {
            self.error(e.span, "expected a value, found nothing");
        }
    }
}
