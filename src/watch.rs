//! `newt run --watch FILE`: runs the program and applies an update whenever one of its loaded
//! source files changes, printing each report to stderr (updates.md, "Triggers and reports").
//!
//! Design: the VM runs on the main thread as in `newt run`. A `notify` watcher observes the
//! directory of every loaded file (editors often save by writing a new file and renaming it over
//! the old one, which a watch on the file itself would miss); a debounce thread waits until events
//! have been quiet for [`QUIET`], then tells the VM thread and rings its [`Doorbell`] so that a VM
//! waiting for timers or sockets wakes at once. Between scheduler turns the VM thread compares every
//! loaded file with the source the VM runs and sends the changed ones as one update; an update
//! script `NAME.update.newt` next to a changed module `NAME.newt`, if present and modified since the
//! last update, goes with it. A rejected or aborted update changes nothing: the program keeps
//! running as it was, and the next change tries again.

use crate::repl::eval::{module_request, with_module};
use crate::repl::loader::{self, Layered};
use crate::repl::{report, Doorbell};
use newt_compiler::loader::FsLoader;
use newt_vm::{Step, Vm};
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, SystemTime};

/// How long file events must be quiet before an update is attempted (a save is often several
/// events: truncate, write, rename).
pub const QUIET: Duration = Duration::from_millis(100);

/// Runs `file` with `args`, updating it as its sources change; returns the exit status.
pub fn run(file: &str, args: Vec<String>, control: Option<&crate::control::server::Options>) -> u8 {
    if !Path::new(file).is_file() {
        eprintln!("newt: cannot read '{file}': no such file");
        return crate::status::USAGE;
    }
    let image = match crate::pipeline::compile(Path::new(file)) {
        Ok(image) => image,
        Err(f) => {
            eprint!("{}", f.rendered);
            return crate::status::COMPILE;
        }
    };
    let mut vm = Vm::new(image, args);
    // With `--control`, the control port's doorbell is the one the VM waits on, and file changes
    // ring it too.
    let (mut server, bell) = match control {
        Some(opts) => match crate::control::server::start(opts) {
            Ok((server, bell)) => (Some(server), bell),
            Err(e) => {
                eprintln!("newt: control port: {e}");
                return crate::status::USAGE;
            }
        },
        None => (None, Doorbell::default()),
    };
    vm.set_event_source(Box::new(bell.clone()));
    let (changes_tx, changes) = channel();
    let (raw_tx, raw_rx) = channel::<()>();
    let mut watcher = match notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if res.is_ok_and(|e| !e.kind.is_access()) {
            let _ = raw_tx.send(());
        }
    }) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("newt: cannot watch files: {e}");
            return crate::status::RUNTIME;
        }
    };
    let debounce_bell = bell.clone();
    std::thread::spawn(move || debounce(raw_rx, changes_tx, debounce_bell));
    let root_dir = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut w = Watch { root_dir, watched: BTreeSet::new(), last_update: SystemTime::now(), bell: bell.clone() };
    w.watch_loaded(&vm, &mut watcher);
    loop {
        if let Step::Finished(o) = vm.step() {
            return o.exit_code.clamp(0, 255) as u8;
        }
        let mut changed = false;
        while changes.try_recv().is_ok() {
            changed = true;
        }
        if changed {
            w.apply(&mut vm);
            w.watch_loaded(&vm, &mut watcher);
        }
        if let Some(server) = server.as_mut() {
            server.serve(&mut vm);
        }
    }
}

/// Turns bursts of file events into one notification once they have been quiet for [`QUIET`].
fn debounce(raw: Receiver<()>, out: Sender<()>, bell: Doorbell) {
    while raw.recv().is_ok() {
        loop {
            match raw.recv_timeout(QUIET) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if out.send(()).is_err() {
            return;
        }
        bell.ring();
    }
}

/// The VM thread's watch state.
struct Watch {
    root_dir: PathBuf,
    /// Directories being watched.
    watched: BTreeSet<PathBuf>,
    /// When the last update was attempted: older update scripts are not used again.
    last_update: SystemTime,
    /// Wakes the VM thread when an update's compilation (done off that thread) ends.
    bell: Doorbell,
}

impl Watch {
    /// Watches the directory of every loaded file not watched yet.
    fn watch_loaded(&mut self, vm: &Vm, watcher: &mut notify::RecommendedWatcher) {
        for m in vm.dsu_modules() {
            let path = Path::new(&m.path);
            if m.path.starts_with('<') || !path.is_file() {
                continue;
            }
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if self.watched.insert(dir.clone()) {
                if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
                    eprintln!("newt: cannot watch {}: {e}", dir.display());
                }
            }
        }
    }

    /// Sends every changed file as one update and prints the report to stderr.
    fn apply(&mut self, vm: &mut Vm) {
        let changed = loader::changed_on_disk(vm);
        let Some(((m, p, t), rest)) = changed.split_first() else { return };
        let mut req = module_request(m, p, t);
        for (m, p, t) in rest.iter().cloned().chain(self.new_modules(vm, &changed)) {
            req = with_module(req, &m, &p, &t);
        }
        let script = changed.iter().find_map(|(_, p, _)| self.script_for(Path::new(p)));
        if let Some((path, text)) = &script {
            req = req.script(text);
            if let Some(s) = req.script.as_mut() {
                s.path = path.display().to_string();
            }
        }
        self.last_update = SystemTime::now();
        let what: Vec<&str> = changed.iter().map(|(m, _, _)| m.as_str()).collect();
        // The new version compiles on another thread while the program keeps running.
        let bell = self.bell.clone();
        // Development mode: a changed function on a stack is remapped when its frames can be.
        let report = vm.update_compiling_aside(req.develop(true), Box::new(move || bell.ring()));
        let with = script.map(|(p, _)| format!(" with {}", p.display())).unwrap_or_default();
        eprint!("newt: {}", report::short(&format!("{}{with}", what.join(", ")), &report));
    }

    /// `NAME.update.newt` next to `NAME.newt`, when it was modified since the last update.
    fn script_for(&self, module_path: &Path) -> Option<(PathBuf, String)> {
        let stem = module_path.file_stem()?.to_string_lossy().into_owned();
        let script = module_path.with_file_name(format!("{stem}.update.newt"));
        let modified = std::fs::metadata(&script).and_then(|m| m.modified()).ok()?;
        if modified < self.last_update {
            return None;
        }
        std::fs::read_to_string(&script).ok().map(|t| (script, t))
    }

    /// Modules the changed sources import that the VM does not have yet, read from disk.
    fn new_modules(&self, vm: &Vm, changed: &[loader::Changed]) -> Vec<(String, String, String)> {
        let fs = FsLoader { root_dir: self.root_dir.clone(), stdlib: newt_stdlib::source };
        let layered = Layered { overlay: changed.to_vec(), running: loader::running(vm), files: Vec::new(), fs: &fs };
        let root = vm.tables().root_module.clone();
        // A version that does not compile is rejected by the engine with these same diagnostics.
        let Ok(program) = newt_compiler::check::check_program(&layered, &root) else { return Vec::new() };
        let have: Vec<&str> = vm.dsu_modules().iter().map(|m| m.module.as_str()).collect();
        program
            .sources
            .files()
            .iter()
            .filter(|f| !have.contains(&f.module.as_str()) && !loader::is_std(&f.module))
            .map(|f| (f.module.clone(), f.path.clone(), f.text.clone()))
            .collect()
    }
}
