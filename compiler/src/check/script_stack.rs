//! Update scripts, the items about code active on the stack (updates.md, "Code active on the
//! stack"): `reboot F => g(args)` (the arguments compiled into a function the engine runs in the
//! staging area) and `remap F [{ ... }]` (a block that sees the new `F`'s locals and the old frame
//! as `frame`). Both name `F` in the running version.

use super::running::RunningGlobalKind;
use super::script::SCRIPT_MODULE;
use super::{Checker, Def};
use crate::ast;
use crate::bytecode::{ScriptReboot, ScriptRemap};
use crate::diag::Span;
use crate::hir;
use crate::types::Type;

impl<'a> Checker<'a> {
    /// The running function a `reboot`/`remap` names: (qualified name, running slot).
    fn running_function(&mut self, path: &ast::Path<'a>, target_name: &str) -> Option<(String, u32)> {
        let written = super::modules::path_name(path);
        let qualified = if path.segments.len() == 1 { format!("{target_name}.{written}") } else { written.clone() };
        let found = self.old.as_ref().and_then(|v| {
            v.running.globals.iter().find(|g| g.name == qualified && g.kind == RunningGlobalKind::Function)
        });
        match found {
            Some(g) => Some((qualified, g.slot)),
            None => {
                self.error(path.span, format!("the running program has no function {qualified}"));
                None
            }
        }
    }

    /// `reboot F => g(args)`: `g` must be a module function of the new version; the compiled
    /// function evaluates the arguments into a list (see `ScriptReboot`).
    pub(super) fn check_reboot(
        &mut self,
        r: &'a ast::RebootDecl<'a>,
        m: usize,
        target_name: &str,
    ) -> Option<ScriptReboot> {
        let (function, slot) = self.running_function(&r.function, target_name)?;
        let short = function.rsplit('.').next().unwrap_or("").to_string();
        let ast::ExprKind::Call { callee, args } = r.call.kind else {
            self.error(
                r.call.span,
                "a reboot restarts the fiber with a call of a module function: `reboot F => g(args)`",
            );
            return None;
        };
        let target_fn = match callee.kind {
            ast::ExprKind::Name { ident, .. } => self.modules[m].scope.get(ident.name).copied(),
            ast::ExprKind::Field { obj, name, .. } => match obj.kind {
                ast::ExprKind::Name { ident, .. } => match self.modules[m].scope.get(ident.name) {
                    Some(Def::Module(t)) => self.modules[*t].defs.get(name.name).copied(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let Some(Def::Func(g)) = target_fn else {
            self.error(callee.span, "a reboot restarts the fiber with a call of a module function of the new version: `reboot F => g(args)`");
            return None;
        };
        if !self.prog.functions[g.0 as usize].type_params.is_empty() {
            self.error(callee.span, "a reboot cannot restart a fiber in a generic function");
            return None;
        }
        let params_ty = self.prog.functions[g.0 as usize].params.clone();
        let gname = self.prog.functions[g.0 as usize].name.clone();
        if params_ty.len() != args.len() {
            let want = super::calls::plural(params_ty.len(), "argument");
            self.error(r.call.span, format!("{gname} takes {want}, found {}", args.len()));
            return None;
        }
        let fname = format!("{SCRIPT_MODULE}.<reboot {short}>");
        let params = [("frame", Type::Frame, r.function.span)];
        let list_ty = Type::List(Box::new(Type::Any));
        let func = self.script_fn(fname, &params, list_ty.clone(), r.span, m, |c| {
            let vals = args.iter().zip(&params_ty).map(|(a, t)| c.check_expr_as(a, t)).collect();
            let list = super::expr::mk(hir::ExprKind::List(vals), list_ty, r.call.span);
            hir::Block { stmts: vec![hir::Stmt::Return { value: Some(list), span: r.call.span }] }
        });
        Some(ScriptReboot { function, slot, func, callee: g })
    }

    /// `remap F` or `remap F { ... }`: the block sees the new `F`'s locals (by name, first
    /// declaration of each) to assign them, and the old frame as `frame`.
    pub(super) fn check_remap(
        &mut self,
        r: &'a ast::RemapDecl<'a>,
        m: usize,
        target: usize,
        target_name: &str,
    ) -> Option<ScriptRemap> {
        let (function, slot) = self.running_function(&r.function, target_name)?;
        let short = function.rsplit('.').next().unwrap_or("").to_string();
        let new_f = match self.modules[target].defs.get(short.as_str()).copied() {
            Some(Def::Func(f)) => f,
            _ => {
                self.error(
                    r.function.span,
                    format!("`remap {short}`: the new version of {target_name} has no function {short}"),
                );
                return None;
            }
        };
        let line = self.line_of(r.span);
        let Some(body) = r.body else {
            return Some(ScriptRemap { function, slot, func: None, assigns: Vec::new(), locals: Vec::new(), line });
        };
        let mut locals: Vec<(String, Type, Span)> = Vec::new();
        for l in &self.prog.functions[new_f.0 as usize].locals {
            if !locals.iter().any(|(n, _, _)| *n == l.name) {
                locals.push((l.name.clone(), l.ty.clone(), l.span));
            }
        }
        let fname = format!("{SCRIPT_MODULE}.<remap {short}>");
        let params: Vec<(&str, Type, Span)> = vec![("frame", Type::Frame, r.function.span)];
        let names: Vec<String> = locals.iter().map(|(n, _, _)| n.clone()).collect();
        // The block's function gives back the values of the new `F`'s locals it declares, in
        // order (locals 1..=n, after `frame`): the engine takes those the block assigned.
        let list_ty = Type::List(Box::new(Type::Any));
        let span = r.span;
        let declared: Vec<(u32, Type)> =
            locals.iter().enumerate().map(|(i, (_, t, _))| (i as u32 + 1, t.clone())).collect();
        let func = self.script_fn_with_locals(fname, &params, &locals, list_ty.clone(), r.span, m, |c| {
            let mut block = c.check_block(&body);
            let values = declared
                .iter()
                .map(|(l, t)| hir::Expr { kind: hir::ExprKind::Local(hir::LocalId(*l)), ty: t.clone(), span })
                .collect();
            let list = hir::Expr { kind: hir::ExprKind::List(values), ty: list_ty, span };
            block.stmts.push(hir::Stmt::Return { value: Some(list), span });
            block
        });
        let assigns = super::script_paths::assigned_locals(&self.prog.functions[func.0 as usize].body)
            .into_iter()
            .filter_map(|l| names.get((l as usize).checked_sub(1)?).cloned())
            .collect();
        Some(ScriptRemap { function, slot, func: Some(func), assigns, locals: names, line })
    }
}
