//! Functions being checked: their locals, block scopes, loops and captures.
//!
//! The checker keeps a stack of [`FnCtx`]: a lambda's context sits on top of its enclosing
//! function's. A name not found in the innermost function is looked up in the enclosing one; when
//! found there it becomes a capture of every lambda in between (the local is marked `captured`, so
//! code generation keeps it in a heap cell, and each lambda records where its capture comes from as
//! a [`Capture`] chain).

use super::Checker;
use crate::diag::Span;
use crate::hir::{self, Capture, LocalId};
use crate::types::{ClassId, FuncId, Type};

/// One function (module function, method, lambda, global initialiser or field default) being
/// checked.
pub(super) struct FnCtx {
    pub func: FuncId,
    /// Name used in messages (`'f'`, `'lambda'`).
    pub display_name: String,
    /// Qualified name, the prefix of its lambdas' names.
    pub qual_name: String,
    pub module: usize,
    /// Type parameters in scope (the class's, the function's, and enclosing functions').
    pub type_params: Vec<String>,
    /// The class of the enclosing method, if any (for `super`).
    pub class: Option<ClassId>,
    pub ret: Type,
    pub locals: Vec<hir::Local>,
    /// Block scopes, innermost last: names declared in each, in order.
    pub scopes: Vec<Vec<(String, LocalId)>>,
    pub captures: Vec<Capture>,
    pub loop_depth: u32,
    /// Counts lambdas made directly in this function (their `index`).
    pub lambda_count: u32,
    /// True for a field default: lambdas made there are their own parent.
    pub is_field_default: bool,
}

/// A variable a name resolves to, as seen from the innermost function.
#[derive(Debug, Clone, Copy)]
pub(super) enum Var {
    Local(LocalId),
    Capture(u32),
}

impl FnCtx {
    /// A context with one empty scope.
    pub fn new(func: FuncId, display_name: String, qual_name: String, module: usize, ret: Type) -> FnCtx {
        FnCtx {
            func,
            display_name,
            qual_name,
            module,
            type_params: Vec::new(),
            class: None,
            ret,
            locals: Vec::new(),
            scopes: vec![Vec::new()],
            captures: Vec::new(),
            loop_depth: 0,
            lambda_count: 0,
            is_field_default: false,
        }
    }
}

impl<'a> Checker<'a> {
    /// The innermost function context. Bodies are only checked with one pushed; an empty stack
    /// is a checker bug, answered with a throwaway context rather than a panic.
    pub(super) fn ctx(&mut self) -> &mut FnCtx {
        if self.fns.is_empty() {
            self.fns.push(FnCtx::new(FuncId(u32::MAX), String::new(), String::new(), 0, Type::Void));
        }
        let n = self.fns.len() - 1;
        &mut self.fns[n]
    }

    /// Declares a new local in the innermost scope of the innermost function.
    pub(super) fn declare_local(&mut self, name: &str, ty: Type, span: Span) -> LocalId {
        let ctx = self.ctx();
        let id = LocalId(ctx.locals.len() as u32);
        ctx.locals.push(hir::Local { name: name.to_string(), ty, captured: false, span });
        if let Some(scope) = ctx.scopes.last_mut() {
            scope.push((name.to_string(), id));
        }
        id
    }

    /// Opens a block scope.
    pub(super) fn push_scope(&mut self) {
        self.ctx().scopes.push(Vec::new());
    }

    /// Closes the innermost block scope.
    pub(super) fn pop_scope(&mut self) {
        let ctx = self.ctx();
        if ctx.scopes.len() > 1 {
            ctx.scopes.pop();
        }
    }

    /// Finds a variable by name, from the innermost function outwards, adding captures on the way.
    pub(super) fn lookup_var(&mut self, name: &str) -> Option<(Var, Type)> {
        if self.fns.is_empty() {
            return None;
        }
        self.lookup_at(self.fns.len() - 1, name)
    }

    fn lookup_at(&mut self, level: usize, name: &str) -> Option<(Var, Type)> {
        let ctx = &self.fns[level];
        for scope in ctx.scopes.iter().rev() {
            if let Some((_, id)) = scope.iter().rev().find(|(n, _)| n == name) {
                let ty = ctx.locals.get(id.0 as usize).map(|l| l.ty.clone()).unwrap_or(Type::Error);
                return Some((Var::Local(*id), ty));
            }
        }
        if level == 0 {
            return None;
        }
        let (outer, ty) = self.lookup_at(level - 1, name)?;
        let cap = match outer {
            Var::Local(id) => {
                if let Some(l) = self.fns[level - 1].locals.get_mut(id.0 as usize) {
                    l.captured = true;
                }
                Capture::Local(id)
            }
            Var::Capture(i) => Capture::Capture(i),
        };
        let ctx = &mut self.fns[level];
        let idx = match ctx.captures.iter().position(|c| *c == cap) {
            Some(i) => i,
            None => {
                ctx.captures.push(cap);
                ctx.captures.len() - 1
            }
        };
        Some((Var::Capture(idx as u32), ty))
    }

    /// The class of the nearest enclosing method (through lambdas).
    pub(super) fn enclosing_class(&self) -> Option<ClassId> {
        self.fns.iter().rev().find_map(|c| c.class)
    }
}
