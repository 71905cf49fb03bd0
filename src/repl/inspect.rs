//! The `:` commands: dispatch, and the ones that look at the running program (`:fibers`,
//! `:stack`, `:type`, `:dis`, `:history`) or update it from files (`:update`).

use super::commands::{Command, HELP};
use super::eval::{module_request, with_module, Next, Repl};
use super::session::{self, Part, REPL_MODULE, REPL_PATH};
use super::{report, types};
use newt_compiler::hir::Stmt;
use newt_compiler::types::FuncId;
use newt_vm::{Fiber, Status, Value, Vm, Wait};

impl Repl {
    /// Runs one `:` command.
    pub(super) fn command(&mut self, cmd: Command) -> Next {
        match cmd {
            Command::Load(file) => return self.load(&file),
            Command::Reload => self.reload(),
            Command::Update { paths, script } => self.update_paths(&paths, script.as_deref()),
            Command::Fibers => {
                let text = fibers(&self.vm);
                self.say(&text);
            }
            Command::Stack(n) => {
                let text = stack(&self.vm, n);
                self.say(&text);
            }
            Command::Type(expr) => self.type_of(&expr),
            Command::Dis(name) => self.dis(&name),
            Command::History => {
                let text = history(self.vm.dsu_history());
                self.say(&text);
            }
            Command::Help => self.say(HELP),
            // The input thread ends the session before sending `:quit`; nothing to do here.
            Command::Quit => {}
        }
        Next::Continue
    }

    fn update_paths(&mut self, paths: &[String], script: Option<&str>) {
        let running: Vec<String> = self.vm.dsu_modules().iter().map(|m| m.module.clone()).collect();
        let modules = match crate::control::client::collect_modules(paths, &running) {
            Ok(m) => m,
            Err(e) => return self.say(&format!("error: {e}")),
        };
        let script = match script.map(std::fs::read_to_string).transpose() {
            Ok(s) => s,
            Err(e) => return self.say(&format!("error: cannot read the update script: {e}")),
        };
        let Some(((first, text), rest)) = modules.split_first() else {
            return self.say("error: no .newt file in the given paths");
        };
        let path_of = |vm: &Vm, m: &str, fallback: String| {
            vm.dsu_modules().iter().find(|s| s.module == m).map(|s| s.path.clone()).unwrap_or(fallback)
        };
        let mut req = module_request(first, &path_of(&self.vm, first, format!("{first}.newt")), text);
        for (m, t) in rest {
            req = with_module(req, m, &path_of(&self.vm, m, format!("{m}.newt")), t);
        }
        if let Some(s) = &script {
            req = req.script(s);
        }
        let what: Vec<&str> = modules.iter().map(|(m, _)| m.as_str()).collect();
        self.apply(&what.join(", "), req);
    }

    /// `:type EXPR`: checks the expression in the session's scope without running it.
    fn type_of(&mut self, expr: &str) {
        let body = session::eval_fn(0, vec![vec![Part::Input(expr.to_string(), 0)]]);
        let probe = self.defs.text(&body);
        match self.check(&probe.text) {
            Err((diags, map)) => {
                let text = session::render_diags(&diags, &map, &probe, REPL_PATH, expr);
                self.say(&text);
            }
            Ok(program) => {
                let f = program.functions.iter().find(|f| f.name == format!("{REPL_MODULE}.__eval_0"));
                match f.and_then(|f| f.body.stmts.last()) {
                    Some(Stmt::Expr(e)) => {
                        let t = types::show(&program, &e.ty);
                        self.say(&t);
                    }
                    _ => self.say("error: not an expression"),
                }
            }
        }
    }

    /// `:dis NAME`: the bytecode of a function of the running version.
    fn dis(&mut self, name: &str) {
        let probe = self.defs.text(&[]);
        let program = match self.check(&probe.text) {
            Ok(p) => p,
            Err((diags, map)) => return self.say(&newt_compiler::diag::render_all(&diags, &map)),
        };
        let image = match newt_compiler::codegen::generate(&program) {
            Ok(i) => i,
            Err(diags) => return self.say(&newt_compiler::diag::render_all(&diags, &program.sources)),
        };
        let candidates = [name.to_string(), format!("{REPL_MODULE}.{name}")];
        let found = image
            .functions
            .iter()
            .position(|f| candidates.contains(&f.name))
            .or_else(|| image.functions.iter().position(|f| f.name.ends_with(&format!(".{name}"))));
        match found {
            Some(i) => {
                let text = newt_compiler::dis::disassemble_function(&image, FuncId(i as u32));
                self.say(&text);
            }
            None => self.say(&format!("error: no function named '{name}'")),
        }
    }
}

/// `:history`: every update's report, except the REPL's own (an evaluation adds and removes its
/// `__eval` function through the engine), which are only counted.
pub fn history(reports: &[newt_vm::UpdateReport]) -> String {
    let own = |r: &newt_vm::UpdateReport| {
        let c = &r.changes;
        let names: Vec<&String> = [&c.functions, &c.classes, &c.globals]
            .iter()
            .flat_map(|k| k.added.iter().chain(&k.changed).chain(&k.removed))
            .collect();
        r.outcome == newt_vm::Outcome::Committed
            && r.counts.instances_migrated == 0
            && !names.is_empty()
            && names.iter().all(|n| report::is_internal(n))
    };
    let mut out: String = reports.iter().filter(|r| !own(r)).map(report::long).collect();
    let hidden = reports.iter().filter(|r| own(r)).count();
    if hidden > 0 {
        out.push_str(&format!(
            "({hidden} update{} of the REPL's own evaluation code not shown)\n",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    if out.is_empty() {
        out.push_str("no updates yet\n");
    }
    out
}

fn status_name(s: Status) -> String {
    match s {
        Status::Runnable => "runnable".into(),
        Status::Running => "running".into(),
        Status::Parked(Wait::Sleep) => "sleeping".into(),
        Status::Parked(Wait::Send(_)) => "parked (send)".into(),
        Status::Parked(Wait::Recv(_)) => "parked (recv)".into(),
        Status::Parked(Wait::Join(f)) => format!("parked (join {})", f.0),
        Status::Parked(Wait::Io(_)) => "parked (I/O)".into(),
        Status::Done { ok: true } => "done".into(),
        Status::Done { ok: false } => "failed".into(),
    }
}

fn fiber_name(vm: &Vm, f: &Fiber) -> String {
    match &f.name {
        Some(n) => n.clone(),
        None if Some(f.id) == vm.main_fiber() => "(repl main)".into(),
        None => "-".into(),
    }
}

/// `:fibers`: every live fiber with its name, state and innermost frame.
pub fn fibers(vm: &Vm) -> String {
    let mut out = String::from("fiber  name          state           at\n");
    for f in vm.fiber_ids().into_iter().filter_map(|id| vm.fiber(id)).filter(|f| !f.is_done()) {
        let at = f
            .frames
            .last()
            .and_then(|fr| {
                let func = vm.tables().function(fr.func)?;
                Some(format!("{} ({}:{})", func.display, func.proto.path, func.line(fr.current_pc())))
            })
            .unwrap_or_default();
        out.push_str(&format!("{:>5}  {:<12}  {:<14}  {at}\n", f.id.0, fiber_name(vm, f), status_name(f.status)));
    }
    out
}

/// `:stack N`: fiber N's frames, innermost first, each with its locals in scope.
pub fn stack(vm: &Vm, n: u32) -> String {
    let Some(f) = vm.fiber(newt_vm::FiberId(n)).filter(|f| !f.is_done()) else {
        return format!("error: no live fiber {n} (see :fibers)");
    };
    let mut out = format!("fiber {n} ({}), {}\n", fiber_name(vm, f), status_name(f.status));
    for fr in f.frames.iter().rev() {
        let Some(func) = vm.tables().function(fr.func) else { continue };
        let pc = fr.current_pc();
        out.push_str(&format!("  at {} ({}:{})\n", func.display, func.proto.path, func.line(pc)));
        for l in func.proto.locals.iter().filter(|l| l.live.contains(&(pc as u32))) {
            let v = f.stack.get(fr.base as usize + l.slot as usize).copied().unwrap_or(Value::Nil);
            let v = if l.cell { cell_value(vm, v) } else { v };
            out.push_str(&format!("      {} = {}\n", l.name, short(&vm.display(v))));
        }
    }
    out
}

/// The value inside a captured local's cell.
fn cell_value(vm: &Vm, v: Value) -> Value {
    match v {
        Value::Obj(h) => match vm.heap().get(h) {
            newt_vm::Obj::Cell(inner) => *inner,
            _ => v,
        },
        _ => v,
    }
}

/// A value's text cut to one readable line.
fn short(s: &str) -> String {
    let one: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if one.chars().count() > 100 {
        format!("{}...", one.chars().take(100).collect::<String>())
    } else {
        one
    }
}
