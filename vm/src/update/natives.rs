//! The `__dsu_*` natives behind `std.dsu` (stdlib/std/dsu.newt): requesting an update from inside
//! the program, polling it, and reading reports, the version, the history and instance counts.
//!
//! `dsu.apply` is written in Newt as request + (poll, sleep 1 ms)*: the requesting fiber is parked
//! between polls, so it is at an update point while it waits, and the safe-point check runs at
//! each poll (the polling form of step 2; see `safepoint.rs`).

use crate::builtins::{Args, BResult};
use crate::error::{Ctl, RtError};
use crate::heap::Obj;
use crate::update::analyse::{UpdateRequest, DEFAULT_TIMEOUT};
use crate::update::report::UpdateReport;
use crate::update::state::ModuleSource;
use crate::value::Value;
use crate::vm::Vm;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn err(msg: impl Into<String>) -> Ctl {
    Ctl::Error(RtError::new(msg))
}

/// The strings of a `List<str>` value.
fn strings(vm: &Vm, v: Value) -> Vec<String> {
    match v.handle().map(|h| vm.heap.get(h)) {
        Some(Obj::List(items)) => items.iter().map(|s| vm.text(*s).to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The directory of the root module's source file (where relative update paths start).
fn root_dir(vm: &Vm) -> PathBuf {
    let root = &vm.tables.root_module;
    vm.dsu
        .sources
        .iter()
        .find(|s| &s.module == root)
        .and_then(|s| Path::new(&s.path).parent().map(Path::to_path_buf))
        .unwrap_or_default()
}

/// Reads the modules named by `paths`: a `.newt` file is the module named by its stem; a
/// directory is searched like an import root (`a/b.newt` under it is module `a.b`).
fn read_modules(base: &Path, paths: &[String]) -> Result<Vec<ModuleSource>, String> {
    let mut out = Vec::new();
    for p in paths {
        let full = base.join(p);
        if full.is_dir() {
            walk(&full, &full, &mut out)?;
        } else {
            let text = std::fs::read_to_string(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))?;
            let module = full.file_stem().map(|s| s.to_string_lossy().replace('.', "_")).unwrap_or_default();
            out.push(ModuleSource { module, path: full.display().to_string(), text });
        }
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<ModuleSource>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "newt") {
            let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
            let module: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            out.push(ModuleSource { module: module.join("."), path: path.display().to_string(), text });
        }
    }
    Ok(())
}

/// `__dsu_request(paths, script, timeout_ms) -> int`: analyses an update and returns its id.
pub(crate) fn request(vm: &mut Vm, a: Args) -> BResult {
    let paths = strings(vm, a.get(vm, 0));
    let script = a.get(vm, 1);
    let timeout = match a.get(vm, 2) {
        Value::Int(ms) if ms >= 0 => Duration::from_millis(ms as u64),
        _ => DEFAULT_TIMEOUT,
    };
    // The script path, like the sources, is relative to the root module's directory.
    let script = match script {
        Value::Nil => None,
        v => {
            let path = root_dir(vm).join(vm.text(v));
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(ModuleSource {
                    module: newt_compiler::check::SCRIPT_MODULE.into(),
                    path: path.display().to_string(),
                    text,
                }),
                Err(e) => {
                    let reason = format!("cannot read {}: {e}", path.display());
                    return Ok(Value::Int(vm.refuse_request(reason) as i64));
                }
            }
        }
    };
    let modules = match read_modules(&root_dir(vm), &paths) {
        Ok(m) if m.is_empty() => return Ok(Value::Int(vm.refuse_request("the update names no module".into()) as i64)),
        Ok(m) => m,
        Err(e) => return Ok(Value::Int(vm.refuse_request(e) as i64)),
    };
    let req = UpdateRequest { modules, timeout, dry_run: false, script, develop: false };
    Ok(Value::Int(vm.request_update_aside(req) as i64))
}

/// `__dsu_poll(id) -> bool`: commits at a safe point; true once the update has an outcome.
pub(crate) fn poll(vm: &mut Vm, a: Args) -> BResult {
    let id = a.get(vm, 0).int().max(0) as u64;
    let lazy_before = vm.dsu.lazy.active;
    let done = vm.poll_update(id);
    if done && !lazy_before && vm.dsu.lazy.active && vm.nested == 0 && vm.current.is_some() {
        // The commit left instances pending, and this slice runs the dispatch loop that does
        // not check for them (`update/lazy.rs`): end the slice here. The fiber resumes with
        // nil (not yet done), so `dsu.apply` polls once more, in the loop that checks.
        return Err(vm.sleep(0));
    }
    Ok(Value::Bool(done))
}

fn report(vm: &Vm, a: Args) -> Result<&UpdateReport, Ctl> {
    let id = a.get(vm, 0).int().max(0) as u64;
    vm.update_report(id).ok_or_else(|| err(format!("no update {id} has an outcome")))
}

/// `__dsu_outcome(id) -> str`.
pub(crate) fn outcome(vm: &mut Vm, a: Args) -> BResult {
    let s = report(vm, a)?.outcome.as_str();
    Ok(vm.new_str(s))
}

/// `__dsu_reason(id) -> str`.
pub(crate) fn reason(vm: &mut Vm, a: Args) -> BResult {
    let s = report(vm, a)?.reason.clone();
    Ok(vm.new_str(&s))
}

/// `__dsu_summary(id) -> str`: the whole report as text (change set, counts, timings).
pub(crate) fn summary(vm: &mut Vm, a: Args) -> BResult {
    let r = report(vm, a)?;
    let s = if r.diagnostics.is_empty() { r.to_string() } else { format!("{r}\n{}", r.diagnostics) };
    Ok(vm.new_str(&s))
}

/// `__dsu_report_version(id) -> int`: the version after the update.
pub(crate) fn report_version(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(report(vm, a)?.version as i64))
}

/// `__dsu_migrated(id) -> int`: instances migrated by the update.
pub(crate) fn migrated(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(report(vm, a)?.counts.instances_migrated as i64))
}

/// `__dsu_version() -> int`.
pub(crate) fn version(vm: &mut Vm, _a: Args) -> BResult {
    Ok(Value::Int(vm.dsu_version() as i64))
}

/// `__dsu_history() -> List<int>`: the ids of every recorded update, oldest first.
pub(crate) fn history(vm: &mut Vm, _a: Args) -> BResult {
    let ids: Vec<Value> = vm.dsu_history().iter().map(|r| Value::Int(r.id as i64)).collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(ids))))
}

/// `__dsu_instances(class_name) -> int`: reachable instances, subclasses included.
/// `__dsu_hold_begin()`: the calling fiber enters a `dsu.hold` block (they nest).
pub(crate) fn hold_begin(vm: &mut Vm, _a: Args) -> BResult {
    if let Some(me) = vm.current {
        *vm.dsu.holds.entry(me).or_insert(0) += 1;
    }
    Ok(Value::Nil)
}

/// `__dsu_hold_end()`: the calling fiber leaves its innermost `dsu.hold` block; leaving the
/// outermost one lets a waiting update commit (it is re-checked after this slice).
pub(crate) fn hold_end(vm: &mut Vm, _a: Args) -> BResult {
    if let Some(me) = vm.current {
        if let Some(n) = vm.dsu.holds.get_mut(&me) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                vm.dsu.holds.remove(&me);
                if vm.dsu.pending.is_some() {
                    vm.dsu.recheck = true;
                }
            }
        }
    }
    Ok(Value::Nil)
}

/// `__dsu_set_passive(on)`: a passive fiber is at an update point only when parked (updates.md,
/// "Update points, fibers, transactions").
pub(crate) fn set_passive(vm: &mut Vm, a: Args) -> BResult {
    if let Some(me) = vm.current {
        if a.get(vm, 0) == Value::Bool(true) {
            vm.dsu.passive.insert(me);
        } else {
            vm.dsu.passive.remove(&me);
            vm.dsu.preempted.remove(&me);
        }
    }
    Ok(Value::Nil)
}

/// `__dsu_update_point()`: while an update is pending, parks the calling fiber until the next
/// scheduler turn (parked, it is at an update point, and the update is re-checked after this
/// slice); otherwise does nothing.
pub(crate) fn update_point(vm: &mut Vm, _a: Args) -> BResult {
    if vm.dsu.pending.is_none() || vm.nested > 0 {
        return Ok(Value::Nil);
    }
    vm.dsu.recheck = true;
    Err(vm.sleep(0))
}

/// `__dsu_instances(name) -> int`.
pub(crate) fn instances(vm: &mut Vm, a: Args) -> BResult {
    let name = vm.text(a.get(vm, 0)).to_string();
    match vm.dsu_instances(&name) {
        Some(n) => Ok(Value::Int(n as i64)),
        None => Err(err(format!("no class named '{name}'"))),
    }
}
