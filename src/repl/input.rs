//! What one input typed at the prompt does: its pieces are sorted into definitions, rebound
//! `let`s and statements (`Plan`), checked once as a probe (for diagnostics on the input and for the
//! types of values and rebindings), then applied to the `repl` module through the update engine;
//! the statements run in a fiber of their own and an expression's value is shown with its type.

use super::eval::{global_named, module_request, with_module, Detached, Next, Repl};
use super::loader;
use super::session::{self, Decl, Defs, Part, REPL_MODULE, REPL_PATH};
use super::{report, types};
use newt_compiler::ast::{Item, StmtKind};
use newt_compiler::diag::{render_all, FileId, SourceMap, Span};
use newt_compiler::hir::{Program, Stmt};
use newt_compiler::parse::{parse_repl_input, ReplPiece};
use newt_compiler::types::Type;
use newt_vm::{Outcome, Status};
use std::sync::atomic::Ordering;

impl Repl {
    /// Declarations, `let`s, statements and expressions (see `session` for how each is compiled).
    pub(super) fn eval_input(&mut self, input: &str) -> Next {
        let arena = bumpalo::Bump::new();
        let parsed = parse_repl_input(&arena, FileId(0), input);
        if !parsed.diags.is_empty() {
            let mut map = SourceMap::new();
            map.add("<input>", REPL_MODULE, input);
            self.say(&render_all(&parsed.diags, &map));
            return Next::Continue;
        }
        self.prune_detached();
        let mut plan = match self.plan(input, &parsed.pieces) {
            Ok(p) => p,
            Err(msg) => {
                self.say(&format!("error: {msg}"));
                return Next::Continue;
            }
        };
        if plan.lines.is_empty() && plan.defs.text(&[]).text == self.defs.text(&[]).text {
            // Only comments, or a declaration typed again exactly as it stands: nothing to do.
            return Next::Continue;
        }
        let n = self.next_eval;
        // The probe: the new definitions, with the statements as they will run and each rebound
        // `let`'s initialiser as a local, so that its type can be compared with the variable's.
        let probe_lines: Vec<Vec<Part>> = plan.lines.iter().map(|l| l.probe(&plan.rebinds)).collect();
        let probe_fn = if probe_lines.is_empty() { Vec::new() } else { session::eval_fn(n, probe_lines) };
        let probe = plan.defs.text(&probe_fn);
        let program = match self.check(&probe.text) {
            Ok(p) => p,
            Err((diags, map)) => {
                self.say(&session::render_diags(&diags, &map, &probe, REPL_PATH, input));
                return Next::Continue;
            }
        };
        let eval_name = format!("{REPL_MODULE}.__eval_{n}");
        let probe_eval = program.functions.iter().find(|f| f.name == eval_name);
        // The value to show: the type of a final expression statement that has a value.
        let shown = plan.last_expr.and_then(|span| match probe_eval?.body.stmts.last()? {
            Stmt::Expr(e) if !matches!(e.ty, Type::Void | Type::Never | Type::Nil | Type::Error) => {
                Some((span, e.ty.clone()))
            }
            _ => None,
        });
        // A rebinding to a value of the same type is an assignment run with the statements; to
        // another type it is a new declaration and a `migrate var` in an update script.
        let mut retyped = Vec::new();
        for (k, r) in plan.rebinds.iter().enumerate() {
            let local = format!("__rebind_{k}");
            let new_ty = probe_eval.and_then(|f| f.locals.iter().find(|l| l.name == local)).map(|l| &l.ty);
            let old_ty = program.globals.iter().find(|g| g.name == format!("{REPL_MODULE}.{}", r.name)).map(|g| &g.ty);
            if new_ty.is_none() || new_ty != old_ty {
                retyped.push((r.name.clone(), new_ty.cloned(), r.written.clone(), r.init.clone()));
            }
        }
        let script = match self.rebind_script(&program, &mut plan.defs, &retyped) {
            Ok(s) => s,
            Err(msg) => {
                self.say(&format!("error: {msg}"));
                return Next::Continue;
            }
        };
        let retyped_names: Vec<&str> = retyped.iter().map(|r| r.0.as_str()).collect();
        let mut lines: Vec<Vec<Part>> =
            plan.lines.iter().filter_map(|l| l.run(&plan.rebinds, &retyped_names)).collect();
        if let (Some((span, _)), Some(Line::Stmt(_))) = (&shown, plan.lines.last()) {
            if let Some(last) = lines.last_mut() {
                *last = vec![
                    Part::Raw("__shown = str([(".into()),
                    Part::Input(span_text(input, *span), span.start as usize),
                    Part::Raw(")])".into()),
                ];
            }
        }
        let eval = if lines.is_empty() { Vec::new() } else { session::eval_fn(n, lines) };
        let text = plan.defs.text(&eval);
        let mut req = module_request(REPL_MODULE, REPL_PATH, &text.text);
        for (m, p, t) in self.new_modules(&program) {
            req = with_module(req, &m, &p, &t);
        }
        if let Some(s) = &script {
            req = req.script(s);
        }
        let report = self.vm.update(req);
        if report.outcome != Outcome::Committed {
            self.say(&report::short(REPL_MODULE, &report));
            return Next::Continue;
        }
        self.defs = plan.defs;
        if !eval.is_empty() {
            self.defs.evals.push((n, eval));
            self.next_eval += 1;
            let lambdas = format!("{eval_name}.");
            if program.functions.iter().any(|f| f.name.starts_with(&lambdas)) {
                self.keep.push(n);
            }
        }
        self.defs.settle();
        let c = &report.changes;
        let touched = [&c.functions, &c.classes, &c.globals]
            .iter()
            .any(|k| k.changed.iter().chain(&k.removed).any(|n| !report::is_internal(n)));
        if touched || report.counts.instances_migrated > 0 {
            self.say(&report::short(REPL_MODULE, &report));
        }
        self.refresh_names();
        if self.defs.evals.iter().any(|(k, _)| *k == n) {
            return self.run_eval(n, shown.map(|(_, t)| types::show(&program, &t)));
        }
        Next::Continue
    }

    /// Drops the eval functions of interrupted statements whose fibers have ended since.
    fn prune_detached(&mut self) {
        let vm = &self.vm;
        let (ended, running): (Detached, Detached) =
            self.detached.iter().partition(|(_, f)| vm.fiber(*f).is_none_or(|f| f.is_done()));
        self.detached = running;
        for (n, _) in ended {
            if !self.keep.contains(&n) {
                self.defs.evals.retain(|(k, _)| *k != n);
            }
        }
    }

    /// Sorts the pieces of an input into new definitions, rebound `let`s and statements.
    fn plan(&self, input: &str, pieces: &[ReplPiece<'_>]) -> Result<Plan, String> {
        let part = |s: Span| Part::Input(span_text(input, s), s.start as usize);
        let mut plan = Plan { defs: self.defs.clone(), rebinds: Vec::new(), lines: Vec::new(), last_expr: None };
        for piece in pieces {
            plan.last_expr = None;
            match piece {
                ReplPiece::Import(i) => {
                    let t = span_text(input, i.span);
                    let known =
                        plan.defs.imports.iter().any(|p| matches!(p, Part::Raw(s) | Part::Input(s, _) if *s == t));
                    if !known {
                        plan.defs.imports.push(part(i.span));
                    }
                }
                ReplPiece::Item(item) => {
                    let (name, span, is_var) = match item {
                        Item::Fn(f) => (f.name.map(|n| n.name.to_string()), f.span, false),
                        Item::Class(c) => (Some(c.name.name.to_string()), c.span, false),
                        Item::Global(g) => (Some(g.name.name.to_string()), g.span, !g.is_const),
                        _ => (None, Span::new(FileId(0), 0, 0), false),
                    };
                    let name = name.ok_or("only functions, classes, var, const and import can be declared here")?;
                    plan.defs.define(Decl { name, is_var, parts: vec![part(span)] });
                }
                ReplPiece::Stmt(s) => match s.kind {
                    StmtKind::Let { name, ty, init } => {
                        let existed = self.defs.decls.iter().any(|d| d.name == name.name && d.is_var);
                        if existed {
                            plan.lines.push(Line::Rebind(plan.rebinds.len()));
                            plan.rebinds.push(Rebind {
                                name: name.name.to_string(),
                                written: ty.map(|t| span_text(input, t.span)),
                                written_at: ty.map(|t| t.span.start as usize),
                                init: span_text(input, init.span),
                                init_at: init.span.start as usize,
                            });
                            continue;
                        }
                        let mut parts = vec![Part::Raw(format!("var {}", name.name))];
                        if let Some(ty) = ty {
                            parts.push(Part::Raw(": ".into()));
                            parts.push(part(ty.span));
                        }
                        parts.extend([Part::Raw(" = (".into()), part(init.span), Part::Raw(")".into())]);
                        plan.defs.define(Decl { name: name.name.to_string(), is_var: true, parts });
                    }
                    StmtKind::Expr(e) => {
                        plan.lines.push(Line::Stmt(vec![part(s.span)]));
                        plan.last_expr = Some(e.span);
                    }
                    _ => plan.lines.push(Line::Stmt(vec![part(s.span)])),
                },
            }
        }
        Ok(plan)
    }

    /// The update script that gives variables rebound to another type their new values
    /// (`migrate var`), after replacing their declarations in `defs`.
    fn rebind_script(
        &self,
        program: &Program,
        defs: &mut Defs,
        retyped: &[(String, Option<Type>, Option<String>, String)],
    ) -> Result<Option<String>, String> {
        if retyped.is_empty() {
            return Ok(None);
        }
        let mut imports: Vec<String> = defs
            .imports
            .iter()
            .map(|p| match p {
                Part::Raw(s) | Part::Input(s, _) => s.clone(),
            })
            .collect();
        if let Some(p) = &defs.program {
            imports.push(format!("import {p}"));
        }
        let bindings = types::bindings(&imports);
        let mut s = format!("update {REPL_MODULE}\n");
        for (name, ty, written, init) in retyped {
            let ty = match written {
                Some(t) => t.clone(),
                None => ty
                    .as_ref()
                    .and_then(|t| types::source(program, t, REPL_MODULE, &bindings))
                    .ok_or_else(|| format!("cannot write the type of '{name}' here; give it: let {name}: T = ..."))?,
            };
            // The initialiser sees the old value under the variable's name, as it did at the prompt.
            let old = program.globals.iter().find(|g| g.name == format!("{REPL_MODULE}.{name}"));
            match old.and_then(|g| types::source(program, &g.ty, REPL_MODULE, &bindings)) {
                Some(old_ty) => s.push_str(&format!(
                    "migrate var {name}: {ty} = (fn({name}: {old_ty}) -> {ty} {{ return ({init}) }})(old.{name})\n"
                )),
                None => s.push_str(&format!("migrate var {name}: {ty} = ({init})\n")),
            }
            // The declaration's initialiser never runs again (the variable exists); it only has to
            // give the type without reading the variable itself.
            let parts = vec![Part::Raw(format!("var {name}: {ty} = panic(\"set by the REPL\")"))];
            defs.define(Decl { name: name.clone(), is_var: true, parts });
        }
        Ok(Some(s))
    }

    /// Modules the check loaded from disk that the VM does not have yet (new imports).
    fn new_modules(&self, program: &Program) -> Vec<(String, String, String)> {
        let have: Vec<&str> = self.vm.dsu_modules().iter().map(|m| m.module.as_str()).collect();
        program
            .sources
            .files()
            .iter()
            .filter(|f| !have.contains(&f.module.as_str()) && f.module != REPL_MODULE && !loader::is_std(&f.module))
            .map(|f| (f.module.clone(), f.path.clone(), f.text.clone()))
            .collect()
    }

    /// Runs eval function `n` in a fiber until it ends; shows the value when `ty` is given.
    fn run_eval(&mut self, n: u32, ty: Option<String>) -> Next {
        let spawn = global_named(&self.vm, &format!("{REPL_MODULE}.__spawn"));
        let eval = global_named(&self.vm, &format!("{REPL_MODULE}.__eval_{n}"));
        let (Some(spawn), Some(eval)) = (spawn, eval) else {
            self.say("error: internal: the REPL's eval function is missing");
            return Next::Continue;
        };
        let fiber = match self.vm.invoke(spawn, &[eval]) {
            Ok(v) => self.vm.fiber_id_of(v),
            Err(e) => {
                self.say(&e.to_string());
                None
            }
        };
        let Some(fiber) = fiber else { return Next::Continue };
        // A Ctrl-C from before this statement started is not meant for it.
        self.interrupt.store(false, Ordering::SeqCst);
        let mut interrupted = false;
        let ok = loop {
            let status = self.vm.fiber(fiber).map(|f| f.status);
            if let Some(Status::Done { ok }) = status {
                break ok;
            }
            if self.interrupt.swap(false, Ordering::SeqCst) && !interrupted {
                // The fiber raises the error the next time it runs: at once when it is runnable,
                // when it wakes when it is parked.
                interrupted = true;
                if let Some(f) = self.vm.stopped().as_mut().and_then(|w| w.fiber_mut(fiber)) {
                    f.pending_error = Some(newt_vm::RtError::new("interrupted"));
                }
            }
            if interrupted && matches!(status, Some(Status::Parked(_)) | None) {
                self.detached.push((n, fiber));
                self.say(&format!("[interrupted: fiber {} stops with an error when it wakes]", fiber.0));
                return Next::Continue;
            }
            if let Next::Exit(code) = self.step() {
                return Next::Exit(code);
            }
        };
        // Finished: drop its function at the next update, unless closures may still use it.
        if !self.keep.contains(&n) {
            self.defs.evals.retain(|(k, _)| *k != n);
        }
        if let (true, Some(ty)) = (ok, ty) {
            let shown = global_named(&self.vm, &format!("{REPL_MODULE}.__shown")).map(|v| self.vm.display(v));
            let text = shown.unwrap_or_default();
            let value = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(&text).to_string();
            self.say(&format!("{value} : {ty}"));
        } else {
            self.vm.flush_output();
        }
        Next::Continue
    }
}

/// The text of `span` in `input`.
fn span_text(input: &str, span: Span) -> String {
    input.get(span.start as usize..span.end as usize).unwrap_or("").to_string()
}

/// What one input does, sorted out before anything is compiled.
struct Plan {
    /// The `repl` module's definitions with the input's declarations applied.
    defs: Defs,
    rebinds: Vec<Rebind>,
    /// The statements to run, in order.
    lines: Vec<Line>,
    /// A final expression statement, whose value is shown.
    last_expr: Option<Span>,
}

/// A `let` of a variable the session already has.
struct Rebind {
    name: String,
    /// The type as written, if it was.
    written: Option<String>,
    written_at: Option<usize>,
    init: String,
    init_at: usize,
}

/// One line of an eval function.
enum Line {
    Stmt(Vec<Part>),
    /// The rebinding at this index of `Plan::rebinds`.
    Rebind(usize),
}

impl Line {
    /// The line in the probe: a rebinding's initialiser goes into a local `__rebind_K`.
    fn probe(&self, rebinds: &[Rebind]) -> Vec<Part> {
        match self {
            Line::Stmt(parts) => parts.clone(),
            Line::Rebind(k) => {
                let Some(r) = rebinds.get(*k) else { return Vec::new() };
                let mut parts = vec![Part::Raw(format!("let __rebind_{k}"))];
                if let (Some(t), Some(at)) = (&r.written, r.written_at) {
                    parts.extend([Part::Raw(": ".into()), Part::Input(t.clone(), at)]);
                }
                parts.extend([Part::Raw(" = (".into()), Part::Input(r.init.clone(), r.init_at), Part::Raw(")".into())]);
                parts
            }
        }
    }

    /// The line as it runs: a rebinding to the same type is an assignment; one to another type
    /// (`retyped`) happens in the update script instead.
    fn run(&self, rebinds: &[Rebind], retyped: &[&str]) -> Option<Vec<Part>> {
        match self {
            Line::Stmt(parts) => Some(parts.clone()),
            Line::Rebind(k) => {
                let r = rebinds.get(*k)?;
                if retyped.contains(&r.name.as_str()) {
                    return None;
                }
                Some(vec![
                    Part::Raw(format!("{} = (", r.name)),
                    Part::Input(r.init.clone(), r.init_at),
                    Part::Raw(")".into()),
                ])
            }
        }
    }
}
