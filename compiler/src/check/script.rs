//! Update scripts, checked natively (updates.md, "Update scripts").
//!
//! A script is one more module of the program being checked ([`SCRIPT_MODULE`]): its imports are
//! its own, its helper functions and classes are ordinary declarations, and names it does not
//! define resolve in the target module's new version (then in the target's imports). `old.`
//! names the running version through the typed view of [`super::running`]. Each script item
//! becomes one function of the program:
//! - `migrate C(o: old.D) { ... }`: `(self: C, o: old.D) -> C?` (nil keeps the pre-filled `self`);
//! - `migrate C = EXPR`: `() -> dsu.Policy`;
//! - `migrate var g: T = e`: `() -> T`;
//! - `validate "n" { ... }`: `() -> bool`; `validate each C(o: old.D) { ... }`: `(self, o) -> bool`;
//! - `reboot F => call`: `(frame: dsu.Frame)`; `remap F { ... }`: `(frame: dsu.Frame)` with the new
//!   `F`'s locals declared so the block can assign them.
//!
//! What each function is for is recorded in `hir::Program::script`, which code generation turns
//! into the image's script section. Diagnostics point at the script's own lines.

use super::scope::FnCtx;
use super::{Checker, Def, Mod};
use crate::ast::{self, Item, MigrateBody, ValidateDecl};
use crate::bytecode::{ScriptMigration, ScriptMigrationKind, ScriptValidation};
use crate::diag::Span;
use crate::hir::{self, FunctionKind};
use crate::types::{ClassId, FuncId, Type};
use bumpalo::Bump;
use std::collections::HashMap;

/// The name of the module an update script is checked as.
pub const SCRIPT_MODULE: &str = "update_script";

/// An update script's text and the path diagnostics show for it.
#[derive(Debug, Clone)]
pub struct ScriptSource {
    pub path: String,
    pub text: String,
}

/// The script being checked.
pub(super) struct ScriptState<'a> {
    pub ast: ast::Script<'a>,
    /// Index of the script's module.
    pub module: usize,
    /// Index of the target module (`None` when it is not part of the program).
    pub target: Option<usize>,
    pub target_name: String,
    pub path: String,
}

impl<'a> Checker<'a> {
    /// Parses the script and adds it as a module (its imports are loaded by the caller's walk).
    /// Returns the module's index.
    pub(super) fn add_script_module(&mut self, arena: &'a Bump, src: &ScriptSource) -> Option<usize> {
        let file = self.sources.add(src.path.clone(), SCRIPT_MODULE, src.text.as_str());
        let text: &'a str = arena.alloc_str(&src.text);
        let (parsed, diags) = crate::parse::parse_script(arena, file, text);
        let failed = diags.iter().any(|d| d.severity == crate::diag::Severity::Error);
        self.diags.extend(diags);
        let Some(script) = parsed else {
            if !failed {
                self.error(Span::new(file, 0, 0), "an update script starts with `update MODULE`");
            }
            return None;
        };
        if failed {
            return None;
        }
        let helpers: Vec<Item<'a>> = script
            .items
            .iter()
            .copied()
            .filter(|i| matches!(i, Item::Fn(_) | Item::Class(_) | Item::Global(_)))
            .collect();
        let module = ast::Module { file, name: None, imports: script.imports, items: arena.alloc_slice_copy(&helpers) };
        let idx = self.modules.len();
        self.modules.push(Mod {
            name: SCRIPT_MODULE.to_string(),
            path: src.path.clone(),
            file,
            ast: module,
            parse_failed: false,
            defs: HashMap::new(),
            scope: HashMap::new(),
            import_targets: Vec::new(),
            is_std: false,
        });
        let target_name = super::modules::path_name(&script.target);
        self.script = Some(ScriptState { ast: script, module: idx, target: None, target_name, path: src.path.clone() });
        Some(idx)
    }

    /// True when `m` is the module of the script being checked.
    pub(super) fn is_script_module(&self, m: usize) -> bool {
        self.script.as_ref().is_some_and(|s| s.module == m)
    }

    /// Makes the target's names visible in the script: its own definitions, then its imports,
    /// each only where the script binds nothing of that name.
    pub(super) fn bind_script_scope(&mut self) {
        let Some(s) = &self.script else { return };
        let (m, target) = (s.module, s.target);
        let Some(t) = target else { return };
        let mut names: Vec<(String, Def)> = self.modules[t].defs.iter().map(|(k, v)| (k.clone(), *v)).collect();
        names.extend(self.modules[t].scope.iter().map(|(k, v)| (k.clone(), *v)));
        let scope = &mut self.modules[m].scope;
        for (k, v) in names {
            scope.entry(k).or_insert(v);
        }
    }

    /// Checks every script item into a function (see the module docs) and records the script
    /// in the program. Runs after every body of the program is checked.
    pub(super) fn check_script_items(&mut self) {
        let Some(s) = &self.script else { return };
        let (m, path, target_name, items) = (s.module, s.path.clone(), s.target_name.clone(), s.ast.items);
        let Some(target) = s.target else {
            let span = s.ast.target.span;
            self.error(span, format!("unknown module '{target_name}'"));
            return;
        };
        if target == m {
            let span = s.ast.target.span;
            self.error(span, format!("`update {SCRIPT_MODULE}` names the script itself: name a module of the program"));
            return;
        }
        let mut out = hir::Script { target: target_name.clone(), path, ..hir::Script::default() };
        let mut funcs = Vec::new();
        let mut each_spans: Vec<(Span, ClassId)> = Vec::new();
        for item in items {
            match item {
                Item::Migrate(md) => {
                    if let Some(mig) = self.check_migration(md, m, target, &out) {
                        funcs.push(match &mig.kind {
                            ScriptMigrationKind::Block { func, .. } | ScriptMigrationKind::Policy { func } => *func,
                        });
                        out.migrations.push(mig);
                    }
                }
                Item::MigrateVar(g) => {
                    if let Some((gid, f)) = self.check_migrate_var(g, m, target) {
                        if out.vars.iter().any(|(x, _)| *x == gid) {
                            self.error(g.name.span, format!("global {} is migrated twice", g.name.name));
                        }
                        funcs.push(f);
                        out.vars.push((gid, f));
                    }
                }
                Item::Validate(v) => {
                    if let ValidateDecl::Each { span, class, .. } = v {
                        if let Some(c) = self.quiet_new_class(class, m) {
                            each_spans.push((*span, c));
                        }
                    }
                    if let Some(val) = self.check_validation(v, m, target) {
                        funcs.push(val.func);
                        out.validations.push(val);
                    }
                }
                Item::Reboot(r) => {
                    if let Some(rb) = self.check_reboot(r, m, &target_name) {
                        if out.reboots.iter().any(|x| x.slot == rb.slot) {
                            self.error(r.span, format!("{} is rebooted twice", rb.function));
                            continue;
                        }
                        funcs.push(rb.func);
                        out.reboots.push(rb);
                    }
                }
                Item::Remap(r) => {
                    if let Some(rm) = self.check_remap(r, m, target, &target_name) {
                        funcs.extend(rm.func);
                        out.remaps.push(rm);
                    }
                }
                Item::Fn(_) | Item::Class(_) | Item::Global(_) => {}
            }
        }
        // `validate each` compares each migrated instance with its old version, which a lazy
        // migration does not produce during the pause.
        for (span, c) in each_spans {
            if out.migrations.iter().any(|mg| mg.lazy && mg.class == c) {
                let n = self.prog.classes[c.0 as usize].short_name.clone();
                self.error(
                    span,
                    format!("`validate each {n}` needs eager migration, but {n} is migrated lazily (`migrate lazy`)"),
                );
            }
        }
        out.functions = funcs;
        self.prog.script = Some(out);
    }

    /// The line of a span in its file (1-based), for the script section.
    pub(super) fn line_of(&self, span: Span) -> u32 {
        self.sources.files().get(span.file.0 as usize).map_or(0, |f| f.line_col(span.start).0)
    }

    /// Resolves a class path in the script to a class of the target's new version.
    fn script_new_class(&mut self, path: &ast::Path<'a>, m: usize, target: usize) -> Option<ClassId> {
        let def = match path.segments {
            [one] => self.modules[m].scope.get(one.name).copied(),
            [.., last] => {
                let module = path.segments[..path.segments.len() - 1].iter().map(|i| i.name).collect::<Vec<_>>();
                let mname = module.join(".");
                let mi = match self.modules[m].scope.get(mname.as_str()) {
                    Some(Def::Module(x)) => Some(*x),
                    _ => self.modules.iter().position(|md| md.name == mname),
                };
                mi.and_then(|mi| self.modules[mi].defs.get(last.name).copied())
            }
            [] => None,
        };
        let tname = self.modules[target].name.clone();
        match def {
            Some(Def::Class(c)) if self.prog.classes[c.0 as usize].module == tname => Some(c),
            Some(Def::Class(c)) => {
                let n = self.prog.classes[c.0 as usize].name.clone();
                self.error(path.span, format!("class {n} is not in module {tname}, which this script updates"));
                None
            }
            _ => {
                let name = super::modules::path_name(path);
                self.error(path.span, format!("module {tname} has no class {name} in its new version"));
                None
            }
        }
    }

    /// The old view a parameter's type names (`o: old.C`), with its running class.
    fn script_old_param(&mut self, p: &ast::Param<'a>, m: usize, target: usize) -> Option<(ClassId, Type)> {
        let t = self.resolve_type(p.ty, m, &[]);
        let tname = self.modules[target].name.clone();
        match &t {
            Type::Class(c, _) if self.old_class(*c).is_some() => {
                if self.prog.classes[c.0 as usize].module != tname {
                    let n = self.prog.classes[c.0 as usize].short_name.clone();
                    self.error(p.ty.span, format!("{n} is not a class of module {tname}, which this script updates"));
                    return None;
                }
                Some((*c, t))
            }
            Type::Error => None,
            _ => {
                self.error(p.ty.span, "the parameter of a migration must have a type `old.C`");
                None
            }
        }
    }

    /// `C<any, ...>`: a migrated class's type (a generic class is migrated without arguments).
    fn open_class_type(&self, c: ClassId) -> Type {
        let n = self.prog.classes[c.0 as usize].type_params.len();
        Type::Class(c, vec![Type::Any; n])
    }

    /// Checks one `migrate` declaration (renames were recorded before bodies were checked).
    fn check_migration(
        &mut self,
        md: &'a ast::MigrateDecl<'a>,
        m: usize,
        target: usize,
        so_far: &hir::Script,
    ) -> Option<ScriptMigration> {
        let class = self.script_new_class(&md.class, m, target)?;
        let cname = self.prog.classes[class.0 as usize].short_name.clone();
        let self_ty = self.open_class_type(class);
        let (from_view, kind) = match md.body {
            MigrateBody::Block { param, body } => {
                let (view, old_ty) = self.script_old_param(&param, m, target)?;
                let name = format!("{SCRIPT_MODULE}.<migrate {cname}>");
                let ret = self_ty.clone().optional();
                let params = [("self", self_ty.clone(), md.class.span), (param.name.name, old_ty, param.name.span)];
                let func = self.script_fn(name, &params, ret, md.span, m, |c| c.check_block(&body));
                let assigned = super::script_paths::assigned_on_keeping_paths(self, func).map(|slots| {
                    let fields = &self.prog.classes[class.0 as usize].fields;
                    slots.into_iter().filter_map(|s| fields.get(s as usize).map(|f| f.name.clone())).collect()
                });
                if md.lazy {
                    self.check_lazy_block(func, &cname);
                }
                (view, ScriptMigrationKind::Block { func, assigned })
            }
            MigrateBody::Policy(e) => {
                if md.lazy {
                    self.error(
                        md.span,
                        format!("`migrate lazy {cname} = ...`: a policy runs in the pause; a lazy migration is a block that reads only the old object (`migrate lazy {cname}(o: old.{cname}) {{ ... }}`)"),
                    );
                    return None;
                }
                let view = match self.script_view_for_new(class) {
                    Some(v) => v,
                    None => {
                        self.error(md.class.span, format!("class {cname} is new: there is nothing to migrate"));
                        return None;
                    }
                };
                let Some(policy) = self.class_named("std.dsu.Policy") else {
                    self.error(md.span, "a migration policy needs `std.dsu.Policy`, which this standard library lacks");
                    return None;
                };
                let pty = Type::Class(policy, Vec::new());
                let name = format!("{SCRIPT_MODULE}.<migrate {cname} = policy>");
                let func = self.script_fn(name, &[], pty.clone(), md.span, m, |c| {
                    let span = e.span;
                    let v = c.check_expr_as(e, &pty);
                    hir::Block { stmts: vec![hir::Stmt::Return { value: Some(v), span }] }
                });
                (view, ScriptMigrationKind::Policy { func })
            }
        };
        let from = self.old_class(from_view)?;
        let from_name = self.prog.classes[from_view.0 as usize].name.trim_start_matches("old.").to_string();
        if so_far.migrations.iter().any(|x| x.from == from) {
            self.error(md.span, format!("class {from_name} is migrated twice"));
            return None;
        }
        if so_far.migrations.iter().any(|x| x.class == class) {
            self.error(md.span, format!("class {cname} is migrated twice"));
            return None;
        }
        let line = self.line_of(md.span);
        Some(ScriptMigration { class, from, from_name, lazy: md.lazy, kind, line })
    }

    /// The old view whose instances become `class` (by the migration map).
    fn script_view_for_new(&self, class: ClassId) -> Option<ClassId> {
        let v = self.old.as_ref()?;
        v.to_new.iter().find(|(_, n)| **n == class).map(|(o, _)| *o)
    }

    /// A class of the program (not an old view) by qualified name.
    pub(super) fn class_named(&self, qualified: &str) -> Option<ClassId> {
        self.prog.classes.iter().position(|c| c.old.is_none() && c.name == qualified).map(|i| ClassId(i as u32))
    }

    /// Records the renames of the script (`migrate New(o: old.Old)` with different names) in the
    /// migration map, checking that a rename is possible. Runs before bodies are checked, so
    /// that `old.Old` values fit where `New` is expected everywhere in the script.
    pub(super) fn collect_script_renames(&mut self) {
        let Some(s) = &self.script else { return };
        let (m, items) = (s.module, s.ast.items);
        let Some(target) = s.target else { return };
        let tname = self.modules[target].name.clone();
        for item in items {
            let Item::Migrate(md) = item else { continue };
            let MigrateBody::Block { param, .. } = md.body else { continue };
            let Some(class) = self.quiet_new_class(&md.class, m) else { continue };
            let t = self.resolve_type(param.ty, m, &[]);
            let Type::Class(view, _) = t else { continue };
            if self.old_class(view).is_none() {
                continue;
            }
            let new_name = self.prog.classes[class.0 as usize].name.clone();
            let old_name = self.prog.classes[view.0 as usize].name.trim_start_matches("old.").to_string();
            if new_name == old_name {
                continue;
            }
            let (old_short, new_short) = (
                old_name.rsplit('.').next().unwrap_or("").to_string(),
                new_name.rsplit('.').next().unwrap_or("").to_string(),
            );
            if self.old_view_named(&new_name).is_some() {
                self.error(
                    md.class.span,
                    format!("cannot rename {old_short} to {new_short}: the running version already has a class {new_short}; migrate {new_short} and {old_short} separately"),
                );
                continue;
            }
            if self.class_named(&old_name).is_some() && old_name.starts_with(&format!("{tname}.")) {
                self.error(
                    param.ty.span,
                    format!("renaming {old_short} to {new_short} needs the new version to drop class {old_short}, but it still declares it"),
                );
                continue;
            }
            if let Some(v) = self.old.as_mut() {
                v.to_new.insert(view, class);
            }
        }
    }

    /// A class path of the script resolved without reporting (the item check reports).
    fn quiet_new_class(&self, path: &ast::Path<'a>, m: usize) -> Option<ClassId> {
        match path.segments {
            [one] => match self.modules[m].scope.get(one.name) {
                Some(Def::Class(c)) => Some(*c),
                _ => None,
            },
            [first, second] => match self.modules[m].scope.get(first.name) {
                Some(Def::Module(t)) => match self.modules[*t].defs.get(second.name) {
                    Some(Def::Class(c)) => Some(*c),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// `migrate var g: T = e`: `g` must be a var of the target's new version of type `T`.
    fn check_migrate_var(
        &mut self,
        g: &'a ast::GlobalDecl<'a>,
        m: usize,
        target: usize,
    ) -> Option<(hir::GlobalId, FuncId)> {
        let name = g.name.name;
        let gid = match self.modules[target].defs.get(name).copied() {
            Some(Def::Global(gid)) if !self.prog.globals[gid.0 as usize].is_const => gid,
            _ => {
                let tname = self.modules[target].name.clone();
                self.error(g.name.span, format!("`migrate var {name}`: the new version of {tname} has no var {name}"));
                return None;
            }
        };
        let declared = self.global_type(gid, g.name.span);
        if let Some(te) = g.ty {
            let t = self.resolve_type(te, m, &[]);
            if !super::types::same(&t, &declared) && t != Type::Error {
                let (a, b) = (self.show(&t), self.show(&declared));
                self.error(te.span, format!("`migrate var {name}` says {a}, but the new version declares {name}: {b}"));
            }
        }
        let fname = format!("{SCRIPT_MODULE}.<migrate var {name}>");
        let init = g.init;
        let func = self.script_fn(fname, &[], declared.clone(), g.span, m, |c| {
            let v = c.check_expr_as(init, &declared);
            hir::Block { stmts: vec![hir::Stmt::Return { value: Some(v), span: init.span }] }
        });
        Some((gid, func))
    }

    /// `validate "n" { ... }` and `validate each C(o: old.D) { ... }`.
    fn check_validation(&mut self, v: &'a ValidateDecl<'a>, m: usize, target: usize) -> Option<ScriptValidation> {
        match *v {
            ValidateDecl::Named { name, body, span } => {
                let fname = format!("{SCRIPT_MODULE}.<validate \"{name}\">");
                let func = self.script_fn(fname, &[], Type::Bool, span, m, |c| c.check_block(&body));
                self.require_return(func, &format!("validation \"{name}\""), span);
                Some(ScriptValidation { name: name.to_string(), each: None, func })
            }
            ValidateDecl::Each { class, param, body, span } => {
                let c = self.script_new_class(&class, m, target)?;
                let (view, old_ty) = self.script_old_param(&param, m, target)?;
                let cname = self.prog.classes[c.0 as usize].short_name.clone();
                let fname = format!("{SCRIPT_MODULE}.<validate each {cname}>");
                let self_ty = self.open_class_type(c);
                let params = [("self", self_ty, class.span), (param.name.name, old_ty, param.name.span)];
                let func = self.script_fn(fname, &params, Type::Bool, span, m, |ck| ck.check_block(&body));
                self.require_return(func, &format!("validate each {cname}"), span);
                let from = self.old_class(view)?;
                Some(ScriptValidation { name: format!("each {cname}"), each: Some((c, from)), func })
            }
        }
    }

    /// A block that must return a value on every path.
    fn require_return(&mut self, func: FuncId, what: &str, span: Span) {
        if super::stmt::block_falls_through(&self.prog.functions[func.0 as usize].body) {
            self.error(span, format!("missing return in {what} (returns bool)"));
        }
    }

    /// Makes one function of the script: `params` are its parameters, `body` checks its body in
    /// a context where they are declared.
    pub(super) fn script_fn(
        &mut self,
        name: String,
        params: &[(&str, Type, Span)],
        ret: Type,
        span: Span,
        m: usize,
        body: impl FnOnce(&mut Self) -> hir::Block,
    ) -> FuncId {
        self.script_fn_with_locals(name, params, &[], ret, span, m, body)
    }

    /// [`Checker::script_fn`] with extra locals declared after the parameters.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn script_fn_with_locals(
        &mut self,
        name: String,
        params: &[(&str, Type, Span)],
        locals: &[(String, Type, Span)],
        ret: Type,
        span: Span,
        m: usize,
        body: impl FnOnce(&mut Self) -> hir::Block,
    ) -> FuncId {
        let fid = self.new_function(name.clone(), m, FunctionKind::Module, span);
        {
            let f = &mut self.prog.functions[fid.0 as usize];
            f.arity = params.len() as u32;
            f.params = params.iter().map(|(_, t, _)| t.clone()).collect();
            f.ret = ret.clone();
        }
        let display = name.trim_start_matches(&format!("{SCRIPT_MODULE}.")).to_string();
        let ctx = FnCtx::new(fid, display, name, m, ret);
        let saved = std::mem::replace(&mut self.fns, vec![ctx]);
        for (n, t, sp) in params {
            self.declare_local(n, t.clone(), *sp);
        }
        for (n, t, sp) in locals {
            self.declare_local(n, t.clone(), *sp);
        }
        let block = body(self);
        let ctx = self.fns.pop();
        self.fns = saved;
        if let Some(ctx) = ctx {
            let f = &mut self.prog.functions[fid.0 as usize];
            f.locals = ctx.locals;
            f.captures = ctx.captures;
            f.body = block;
        }
        fid
    }
}
