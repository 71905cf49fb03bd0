//! The VM thread's side of the REPL: the running VM and the session's generated modules, starting
//! them, scheduler turns between inputs, completion names, and `:load`/`:reload` (update requests
//! built from files). What typed input does is in `input`.

use super::editor::Names;
use super::loader::{self, Layered};
use super::printer::{LineWriter, Out};
use super::session::{self, Defs, Part, REPL_MODULE, REPL_PATH, ROOT_MODULE, ROOT_PATH};
use super::{report, types, Doorbell};
use newt_compiler::diag::{render_all, Diagnostic, SourceMap};
use newt_compiler::hir::Program;
use newt_compiler::loader::FsLoader;
use newt_vm::{FiberId, Io, Status, Step, UpdateReport, UpdateRequest, Value, Vm, VmOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// What handling one input asks of the main loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next input.
    Continue,
    /// Leave the REPL with this exit status (the program called `exit`).
    Exit(u8),
}

/// Eval functions whose statements were interrupted while their fibers still run: (number, fiber).
pub type Detached = Vec<(u32, FiberId)>;

/// The REPL session on the VM thread.
pub struct Repl {
    pub vm: Vm,
    pub defs: Defs,
    /// The directory imports are searched in (the FILE's, else the current directory).
    pub root_dir: PathBuf,
    pub(super) fs: FsLoader,
    /// The program's module bound to its file.
    pub(super) files: Vec<(String, PathBuf)>,
    pub(super) out: Out,
    pub(super) names: Arc<Mutex<Names>>,
    pub(super) next_eval: u32,
    /// The program's `main` fiber, until its end has been reported.
    pub(super) program_fiber: Option<FiberId>,
    /// Eval functions that made closures: they stay in the module after their fiber ends, since a
    /// closure (a spawned fiber, a stored callback) may still run their code.
    pub(super) keep: Vec<u32>,
    /// Set by Ctrl-C (SIGINT arrives only while no prompt is shown, i.e. while input runs).
    pub(super) interrupt: Arc<AtomicBool>,
    /// Eval functions of interrupted statements whose fibers still run.
    pub(super) detached: Detached,
}

/// The module name a program file gets: its stem, made into an identifier.
fn program_module(file: &Path) -> Result<String, String> {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut name: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !loader::is_ident(&name) {
        name = format!("program_{name}");
    }
    if name == REPL_MODULE || name == ROOT_MODULE {
        return Err(format!(
            "'{}': the REPL's own modules are called {REPL_MODULE} and {ROOT_MODULE}; rename the file",
            file.display()
        ));
    }
    Ok(name)
}

impl Repl {
    /// Compiles the session (and FILE's program) and starts the VM; `Err` carries what to print
    /// and the exit status.
    pub fn start(
        file: Option<&Path>,
        out: Out,
        names: Arc<Mutex<Names>>,
        bell: Doorbell,
        interrupt: Arc<AtomicBool>,
    ) -> Result<Repl, (String, u8)> {
        let root_dir = match file {
            Some(f) => f.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => PathBuf::new(),
        };
        let fs = FsLoader { root_dir: root_dir.clone(), stdlib: newt_stdlib::source };
        let (program, files) = match file {
            Some(f) => {
                let m = program_module(f).map_err(|e| (format!("newt: {e}\n"), crate::status::USAGE))?;
                (Some(m.clone()), vec![(m, f.to_path_buf())])
            }
            None => (None, Vec::new()),
        };
        let defs = Defs { program: program.clone(), ..Defs::default() };
        // A module without `main` is loaded to be used from the prompt, not run.
        let run_main = file.and_then(|f| std::fs::read_to_string(f).ok()).is_some_and(|t| session::has_main(&t));
        let layered = Layered {
            overlay: vec![
                (ROOT_MODULE.into(), ROOT_PATH.into(), session::root_text(program.as_deref(), run_main)),
                (REPL_MODULE.into(), REPL_PATH.into(), defs.text(&[]).text),
            ],
            running: Vec::new(),
            files: files.clone(),
            fs: &fs,
        };
        let checked = newt_compiler::check::check_program(&layered, ROOT_MODULE)
            .map_err(|(d, map)| (render_all(&d, &map), crate::status::COMPILE))?;
        let image = newt_compiler::codegen::generate(&checked)
            .map_err(|d| (render_all(&d, &checked.sources), crate::status::COMPILE))?;
        let io = Io::new(
            Box::new(LineWriter::new(out.clone())),
            Box::new(LineWriter::new(out.clone())),
            Box::new(std::io::empty()),
        );
        let mut vm = Vm::with_options(image, Vec::new(), VmOptions { io });
        vm.set_event_source(Box::new(bell));
        let mut repl = Repl {
            vm,
            defs,
            root_dir,
            fs,
            files,
            out,
            names,
            next_eval: 1,
            program_fiber: None,
            keep: Vec::new(),
            interrupt,
            detached: Vec::new(),
        };
        // Run the initialisers and let the root `main` start the program and park.
        loop {
            if let Step::Finished(o) = repl.vm.step() {
                repl.vm.flush_output();
                return Err((String::new(), o.exit_code.clamp(0, 255) as u8));
            }
            let main = repl.vm.main_fiber().and_then(|m| repl.vm.fiber(m)).map(|f| f.status);
            if matches!(main, Some(Status::Parked(_)) | None) {
                break;
            }
        }
        repl.program_fiber = repl
            .vm
            .fiber_ids()
            .into_iter()
            .find(|id| repl.vm.fiber(*id).is_some_and(|f| f.name.as_deref() == Some("main")));
        repl.refresh_names();
        Ok(repl)
    }

    /// Shows `text` (a newline is added when missing), after the program's pending output.
    pub fn say(&mut self, text: &str) {
        self.vm.flush_output();
        let mut t = text.to_string();
        if !t.ends_with('\n') {
            t.push('\n');
        }
        super::printer::send(&self.out, t);
    }

    /// One scheduler turn while the user types; reports the end of the program's `main`.
    pub fn step(&mut self) -> Next {
        if let Step::Finished(o) = self.vm.step() {
            self.vm.flush_output();
            self.say(&format!("[the program exited with status {}]", o.exit_code));
            return Next::Exit(o.exit_code.clamp(0, 255) as u8);
        }
        if let Some(id) = self.program_fiber {
            if let Some(Status::Done { ok }) = self.vm.fiber(id).map(|f| f.status) {
                self.program_fiber = None;
                let how = if ok { "returned" } else { "stopped with an error" };
                self.say(&format!("[main {how}; the session goes on]"));
            }
        }
        Next::Continue
    }

    /// Handles one complete input.
    pub fn handle(&mut self, text: &str) -> Next {
        match super::commands::parse(text) {
            Err(msg) => {
                self.say(&format!("error: {msg}"));
                Next::Continue
            }
            Ok(Some(cmd)) => self.command(cmd),
            Ok(None) => self.eval_input(text),
        }
    }

    /// Checks the program with `repl_text` as the `repl` module.
    pub(super) fn check(&self, repl_text: &str) -> Result<Program, (Vec<Diagnostic>, SourceMap)> {
        let layered = Layered {
            overlay: vec![(REPL_MODULE.into(), REPL_PATH.into(), repl_text.into())],
            running: loader::running(&self.vm),
            files: self.files.clone(),
            fs: &self.fs,
        };
        newt_compiler::check::check_program(&layered, ROOT_MODULE)
    }

    /// Applies `req` and shows the short report, naming `what` was updated. REPL updates are in
    /// development mode: a changed function on a stack is remapped when its frames can be.
    pub(super) fn apply(&mut self, what: &str, req: UpdateRequest) -> UpdateReport {
        let report = self.vm.update(req.develop(true));
        self.say(&report::short(what, &report));
        self.refresh_names();
        report
    }

    /// Recomputes the names the completer offers.
    pub fn refresh_names(&self) {
        let mut names = Names::default();
        let prelude = ["print", "eprint", "str", "int", "float", "assert", "panic", "true", "false", "nil"];
        names.top.extend(prelude.iter().map(|s| s.to_string()));
        names.top.extend(self.defs.decls.iter().map(|d| d.name.clone()));
        let t = self.vm.tables();
        let mut imports: Vec<String> = self
            .defs
            .imports
            .iter()
            .map(|p| match p {
                Part::Raw(s) | Part::Input(s, _) => s.clone(),
            })
            .collect();
        if let Some(p) = &self.defs.program {
            imports.push(format!("import {p}"));
        }
        for (module, binding) in types::bindings(&imports) {
            let prefix = format!("{module}.");
            let mut members: Vec<String> = t
                .global_info
                .iter()
                .map(|g| g.slot.name.as_str())
                .chain(t.classes.iter().map(|c| c.name.as_str()))
                .filter_map(|n| n.strip_prefix(&prefix))
                .filter(|n| !n.contains('.') && !n.starts_with("__"))
                .map(str::to_string)
                .collect();
            members.sort();
            members.dedup();
            match binding {
                Some(b) => {
                    names.top.push(b.clone());
                    names.members.insert(b, members);
                }
                None => names.top.extend(members),
            }
        }
        if let Ok(mut shared) = self.names.lock() {
            *shared = names;
        }
    }

    /// The modules whose files changed since the VM loaded them, as one update (`:reload`).
    pub(super) fn reload(&mut self) {
        let changed = loader::changed_on_disk(&self.vm);
        let Some(((m, p, t), rest)) = changed.split_first() else {
            self.say("nothing changed on disk");
            return;
        };
        let mut req = module_request(m, p, t);
        for (m, p, t) in rest {
            req = with_module(req, m, p, t);
        }
        let what: Vec<&str> = changed.iter().map(|(m, _, _)| m.as_str()).collect();
        self.apply(&what.join(", "), req);
    }

    /// `:load FILE`: update the module when it is loaded, else import it into the session.
    pub(super) fn load(&mut self, file: &str) -> Next {
        let path = Path::new(file);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.say(&format!("error: cannot read '{file}': {e}"));
                return Next::Continue;
            }
        };
        let module = match loader::module_name(&self.root_dir_or_cwd(), path) {
            Ok(m) => m,
            Err(e) => {
                self.say(&format!("error: {e}"));
                return Next::Continue;
            }
        };
        let loaded = self.vm.dsu_modules().iter().find(|m| m.module == module).map(|m| m.path.clone());
        match loaded {
            Some(p) => {
                self.apply(&module, module_request(&module, &p, &text));
                Next::Continue
            }
            None => {
                let next = self.eval_input(&format!("import {module}"));
                if self.vm.dsu_modules().iter().any(|m| m.module == module) {
                    self.say(&format!("loaded {module} (use it as {})", module.rsplit('.').next().unwrap_or(&module)));
                }
                next
            }
        }
    }

    fn root_dir_or_cwd(&self) -> PathBuf {
        if self.root_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            self.root_dir.clone()
        }
    }
}

/// The value in the live global slot named `name` (the newest slot of that name).
pub fn global_named(vm: &Vm, name: &str) -> Option<Value> {
    let slot = vm.tables().global_info.iter().rposition(|g| g.slot.name == name)?;
    vm.global(slot as u32)
}

/// A request for one module that keeps its display path.
pub fn module_request(module: &str, path: &str, text: &str) -> UpdateRequest {
    with_module(UpdateRequest::module(module, text), module, path, text)
}

/// Adds a module to a request, keeping its display path.
pub fn with_module(req: UpdateRequest, module: &str, path: &str, text: &str) -> UpdateRequest {
    let mut req = req.with(module, text);
    for m in req.modules.iter_mut().filter(|m| m.module == module) {
        m.path = path.to_string();
    }
    req
}
