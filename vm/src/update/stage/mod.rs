//! Step 4, the pause begins: build the new state beside the old one. Takes the [`Plan`] of an
//! update at its safe point and gives a [`Staged`] update: the new tables installed (the running
//! ones kept aside in it), every affected object swapped with its new version (a reversible bulk
//! `become`: [`crate::Heap::swap_objects`]), the new fields' defaults and the new initialisers
//! run against the new state. Validation ([`crate::update::validate`]) and the commit or abort
//! ([`crate::update::commit`]) take it from there.
//!
//! Why swap before running code: defaults and initialisers are new code, and new code must
//! never see an old-layout object. Because the swap is its own inverse, doing it first costs
//! nothing on the abort path: the old objects sit in the staging handles (rooted) until then.
//! Side effects that new code has on objects it did not create (e.g. an initialiser pushing to an
//! existing list) are not undone by an abort; updates.md's staging area would need copy-on-write
//! for that.
//!
//! - [`tables`]: the new function, class and global tables, verified, beside the running ones.
//! - [`instances`]: the new versions of the affected objects by the default policy.

pub(crate) mod instances;
pub(crate) mod tables;

use crate::globals::Tables;
use crate::heap::Handle;
use crate::update::analyse::Plan;
use crate::update::reboot::{RebootFiber, Restart};
use crate::update::remap::{RemapFrame, Rewrite};
use crate::update::world::Stopped;
use crate::value::Value;
use crate::vm::Vm;
use instances::{build_instances, set_field, Migrated};
use std::time::Instant;

/// An update in the staging area: what commit keeps and abort undoes.
pub(crate) struct Staged {
    /// The running tables, set aside (the staged ones are installed).
    pub old_tables: Tables,
    /// (object, staging handle) pairs; after the swap the object's own handle holds the new
    /// version and the staging handle the old one.
    pub migrated: Migrated,
    /// How many pairs are swapped (all of them unless staging failed half-way).
    pub swapped: usize,
    /// Identity-passing swaps made by the script (a migration returning another object).
    pub script_swaps: Vec<(Handle, Handle)>,
    /// The VM's root stack length before staging rooted anything.
    pub roots_before: usize,
    /// Fibers the script reboots, until validation evaluates their restart calls...
    pub reboots: Vec<RebootFiber>,
    /// ...into these.
    pub restarts: Vec<Restart>,
    /// Frames a remap moves, until validation computes their new locals...
    pub remap_frames: Vec<RemapFrame>,
    /// ...into these.
    pub rewrites: Vec<Rewrite>,
    /// Microseconds of the pause spent installing and swapping (reported as commit time).
    pub commit_us: u64,
}

/// Stages `plan` (see the module docs). An error before anything changed, or after an abort that
/// restored everything, is the reason.
pub(crate) fn stage(w: &mut Stopped<'_>, plan: &Plan) -> Result<Staged, String> {
    let vm = w.vm();
    let reboots = vm.prepare_reboots(plan)?;
    let remap_frames = vm.prepare_remaps(plan);
    // No collection here: that would make the pause grow with the heap. Instances come from the
    // heap's per-class registry (pruned by the collection the request ran), so only garbage made
    // while waiting for the safe point is migrated along.
    let new_tables = tables::stage_tables(vm, plan)?;
    let roots_before = vm.roots.len();
    let migrated = build_instances(vm, plan);
    let t0 = Instant::now();
    let old_tables = std::mem::replace(&mut vm.tables, new_tables.tables);
    // Policies' old views read old objects with the running layouts (`validate/reflect.rs`).
    vm.dsu.reflect.old_classes = old_tables.classes.clone();
    let (swapped, result) = swap_all(vm, &migrated);
    let mut staged = Staged {
        old_tables,
        migrated,
        swapped,
        script_swaps: Vec::new(),
        roots_before,
        reboots,
        restarts: Vec::new(),
        remap_frames,
        rewrites: Vec::new(),
        commit_us: t0.elapsed().as_micros() as u64,
    };
    match result.and_then(|()| run_new_code(vm, &staged.migrated, &new_tables.inits)) {
        Ok(()) => Ok(staged),
        Err(e) => {
            staged.reboots.clear();
            Err(crate::update::commit::abort(w, staged, plan, e))
        }
    }
}

/// Swaps every (old, new) pair in order; returns how many were swapped (all of them unless a
/// handle was dead, which rooting rules out) so that an abort undoes exactly those.
fn swap_all(vm: &mut Vm, m: &Migrated) -> (usize, Result<(), String>) {
    for (i, &(old, new)) in m.pairs.iter().enumerate() {
        if let Err(e) = vm.heap.swap_objects(old, new) {
            return (i, Err(format!("internal: {e}")));
        }
    }
    (m.pairs.len(), Ok(()))
}

/// Fills new fields from their defaults and runs the new initialisers.
fn run_new_code(vm: &mut Vm, migrated: &Migrated, inits: &[(u32, newt_compiler::types::FuncId)]) -> Result<(), String> {
    // A default that only pushes a constant gives the same value every time (string constants
    // are one object per function), so it is evaluated once, not once per instance. (A class
    // has few defaults: a linear search beats hashing once per instance.)
    let mut constant: Vec<(u32, Value)> = Vec::new();
    for &(h, slot, f) in &migrated.defaults {
        let v = match constant.iter().find(|(g, _)| *g == f.0) {
            Some(&(_, v)) => v,
            None => {
                let v = vm.run_isolated(Value::Func(f))?;
                if vm.tables.function(f).is_some_and(|func| is_constant(func.code())) {
                    constant.push((f.0, v));
                }
                v
            }
        };
        set_field(vm, h, slot, v);
    }
    for &(slot, f) in inits {
        let v = vm.run_isolated(Value::Func(f))?;
        vm.tables.set_global(slot, v);
    }
    Ok(())
}

/// True when `code` only pushes one constant and returns it.
fn is_constant(code: &[newt_compiler::bytecode::Op]) -> bool {
    use newt_compiler::bytecode::Op;
    matches!(code, [Op::Nil | Op::True | Op::False | Op::Int(_) | Op::Const(_), Op::Return] | [Op::ReturnNil])
}

impl Vm {
    /// Runs `f()` to completion outside any fiber (also when called from a built-in of the running
    /// fiber, whose stack `invoke` sets aside); a runtime error becomes its one-line message.
    pub(crate) fn run_isolated(&mut self, f: Value) -> Result<Value, String> {
        let current = self.current.take();
        let r = self.invoke(f, &[]);
        self.current = current;
        r.map_err(|e| {
            let at = e.trace.first().map(|t| format!(" (in {} line {})", t.function, t.line)).unwrap_or_default();
            format!("runtime error while staging: {}{at}", e.error.msg)
        })
    }
}
