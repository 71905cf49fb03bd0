//! Step 6: commit a validated [`Staged`] update, or abort one. Committing keeps everything the
//! staging area built (the staged tables are already installed and every affected object is
//! already swapped), restarts the rebooted fibers and records what the update removed; it cannot
//! fail. Aborting undoes the swaps in reverse, puts the running tables back and releases what
//! staging allocated, so the program resumes exactly as it was.

use crate::update::analyse::Plan;
use crate::update::report::Counts;
use crate::update::stage::Staged;
use crate::update::world::Stopped;
use std::time::Instant;

/// What a successful commit did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Committed {
    pub counts: Counts,
    /// Microseconds spent in the swap, the table installation and the commit itself.
    pub commit_us: u64,
}

/// Commits `staged` (see the module docs).
pub(crate) fn commit(w: &mut Stopped<'_>, staged: Staged, plan: &Plan) -> Committed {
    let vm = w.vm();
    let t1 = Instant::now();
    vm.dsu.reflect.old_classes.clear();
    // The old objects now sit, unreferenced, in the staging handles: the next collection frees
    // them (freeing them here would lengthen the pause).
    vm.roots.truncate(staged.roots_before);
    let rebooted = vm.reboot_fibers(staged.restarts);
    let remapped = vm.apply_remaps(staged.rewrites);
    let dsu = &mut vm.dsu;
    dsu.removed_funcs.extend(plan.removed_funcs.iter().copied());
    dsu.removed_classes.extend(plan.removed_classes.iter().copied());
    dsu.removed_globals.extend(plan.removed_globals.iter().copied());
    dsu.sources = plan.sources.clone();
    dsu.version += 1;
    let commit_us = staged.commit_us + t1.elapsed().as_micros() as u64;
    let counts = Counts {
        instances_migrated: staged.migrated.pairs.len(),
        fibers_rebooted: rebooted,
        frames_remapped: remapped,
        ..Counts::default()
    };
    Committed { counts, commit_us }
}

/// Aborts `staged` for `reason` (see the module docs) and gives the reason back.
pub(crate) fn abort(w: &mut Stopped<'_>, staged: Staged, plan: &Plan, reason: String) -> String {
    let vm = w.vm();
    vm.dsu.reflect.old_classes.clear();
    // Undo in reverse order; each swap is its own inverse.
    for &(a, b) in staged.script_swaps.iter().rev() {
        let _ = vm.heap.swap_objects(a, b);
    }
    for &(old, new) in staged.migrated.pairs[..staged.swapped].iter().rev() {
        let _ = vm.heap.swap_objects(old, new);
    }
    // Function ids are never reused: the ids the aborted version added stay taken, by
    // tombstones that raise a runtime error if a closure of that code leaked out (an aborted
    // initialiser may have stored one in an old object) and is called.
    let staged_len = vm.tables.functions.len();
    let mut tables = staged.old_tables;
    for id in tables.functions.len()..staged_len {
        let arity = vm.tables.functions.get(id).map_or(0, |f| f.proto.arity);
        let f = tombstone(vm, newt_compiler::types::FuncId(id as u32), arity, &tables.root_module.clone());
        tables.push_function(f);
        // Not a function of the program: no later update maps a name onto it or removes it.
        vm.dsu.removed_funcs.insert(id as u32);
    }
    vm.tables = tables;
    vm.roots.truncate(staged.roots_before);
    // Without a script nothing was ever given the staging handles (they hold the discarded new
    // objects): free them now rather than at the next collection.
    if plan.script.is_none() {
        for &(_, new) in &staged.migrated.pairs {
            vm.heap.release(new);
        }
    }
    reason
}

/// The pause (steps 4–6): stage, validate, then commit or abort. Collections are deferred for
/// its whole length, so that it grows with the affected objects and not with the heap.
pub(crate) fn pause(w: &mut Stopped<'_>, plan: &Plan) -> Result<Committed, String> {
    w.vm().heap.defer_collection(true);
    // Lazy migration (`lazy.rs`) brackets the pause: pending objects the update would misread
    // are migrated first, and its own lazy classes become pending only if it commits.
    let r = crate::update::lazy::begin(w, plan).and_then(|()| match crate::update::stage::stage(w, plan) {
        Ok(mut staged) => match crate::update::validate::validate(w, &mut staged, plan) {
            Ok(()) => Ok(commit(w, staged, plan)),
            Err(e) => Err(abort(w, staged, plan, e)),
        },
        Err(e) => Err(e),
    });
    let lazy = crate::update::lazy::end(w, r.is_ok());
    w.vm().heap.defer_collection(false);
    r.map(|mut c| {
        c.counts.instances_lazy = lazy;
        c
    })
}

/// The function left under an id that an aborted update had added: calling it is a runtime
/// error, never a call of some other code.
fn tombstone(
    vm: &mut crate::vm::Vm,
    id: newt_compiler::types::FuncId,
    arity: u8,
    root: &str,
) -> crate::globals::Function {
    use newt_compiler::builtins::Builtin;
    use newt_compiler::bytecode::{Constant, FuncProto, Op, ProtoKind};
    let code = vec![Op::Const(0), Op::CallBuiltin(Builtin::Panic.id(), 1), Op::Return];
    let proto = FuncProto {
        name: format!("<aborted update code {}>", id.0),
        module: String::new(),
        kind: ProtoKind::Module,
        arity,
        num_locals: u16::from(arity),
        max_stack: 1,
        lines: vec![0; code.len()],
        code,
        consts: vec![Constant::Str("this code belongs to an update that was aborted".into())],
        captures: Vec::new(),
        locals: Vec::new(),
        calls: Vec::new(),
        hidden_base: u16::from(arity),
        local_inits: Vec::new(),
        path: String::new(),
        hash: 0,
    };
    crate::load::make_function(id, proto, 1, root, &mut vm.heap)
}
