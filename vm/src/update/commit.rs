//! Steps 4–6 in the stopped world: install the staged tables, swap every affected object with
//! its new version (a reversible bulk `become`: [`crate::Heap::swap_objects`]), run the new
//! fields' defaults and the new initialisers against the new state, validate, and either keep
//! everything (commit) or undo the swaps and put the old tables back (abort).
//!
//! Why swap before running code: defaults and initialisers are new code, and new code must
//! never see an old-layout object. Because the swap is its own inverse, doing it first costs
//! nothing on the abort path: the old objects sit in the new handles (rooted) until then.
//! Side effects that new code has on objects it did not create (e.g. an initialiser pushing to an
//! existing list) are not undone by an abort; updates.md's staging area would need copy-on-write
//! for that.

use super::analyse::Plan;
use super::migrate::{build_instances, check_filled, set_field, Migrated};
use super::report::Counts;
use super::staging::stage_tables;
use crate::value::Value;
use crate::vm::Vm;
use std::time::Instant;

/// What a successful commit did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Committed {
    pub counts: Counts,
    /// Microseconds spent in the swap and table installation.
    pub commit_us: u64,
}

impl Vm {
    /// Stages `plan` and commits it, or aborts with the reason leaving the program as it was.
    /// The world must be stopped: called between steps, or from a built-in of the requesting fiber.
    pub(crate) fn stage_and_commit(&mut self, plan: &Plan) -> Result<Committed, String> {
        self.heap.defer_collection(true);
        let r = self.stage_and_commit_deferred(plan);
        self.heap.defer_collection(false);
        r
    }

    fn stage_and_commit_deferred(&mut self, plan: &Plan) -> Result<Committed, String> {
        let reboots = self.prepare_reboots(plan)?;
        // No collection here: that would make the pause grow with the heap. Instances come from
        // the heap's per-class registry (pruned by the collection `request_update` ran), so only
        // garbage made while waiting for the safe point is migrated along.
        let staged = stage_tables(self, plan)?;
        let roots_before = self.roots.len();
        let migrated = build_instances(self, plan);
        let t0 = Instant::now();
        let mut old_tables = std::mem::replace(&mut self.tables, staged.tables);
        // Policies' old views read old objects with the running layouts (`reflect.rs`).
        self.dsu.reflect.old_classes = old_tables.classes.clone();
        let (done, swapped) = swap_all(self, &migrated);
        let mut commit_us = t0.elapsed().as_micros() as u64;
        let mut script_swaps = Vec::new();
        let result = match swapped {
            Ok(()) => self.run_new_code(&migrated, &staged.inits).and_then(|()| {
                let restarts = self.run_script(plan, &migrated, &mut old_tables, &mut script_swaps, reboots)?;
                check_filled(self, &migrated)?;
                self.run_app_validations()?;
                Ok(restarts)
            }),
            Err(e) => Err(e),
        };
        self.dsu.reflect.old_classes.clear();
        match result {
            Ok(restarts) => {
                let t1 = Instant::now();
                // The old objects now sit, unreferenced, in the staging handles: the next
                // collection frees them (freeing them here would lengthen the pause).
                self.roots.truncate(roots_before);
                let rebooted = self.reboot_fibers(restarts);
                let dsu = &mut self.dsu;
                dsu.removed_funcs.extend(plan.removed_funcs.iter().copied());
                dsu.removed_classes.extend(plan.removed_classes.iter().copied());
                dsu.removed_globals.extend(plan.removed_globals.iter().copied());
                dsu.sources = plan.sources.clone();
                dsu.version += 1;
                commit_us += t1.elapsed().as_micros() as u64;
                let counts =
                    Counts { instances_migrated: migrated.pairs.len(), fibers_rebooted: rebooted, ..Counts::default() };
                Ok(Committed { counts, commit_us })
            }
            Err(e) => {
                // Undo in reverse order; each swap is its own inverse.
                for &(a, b) in script_swaps.iter().rev() {
                    let _ = self.heap.swap_objects(a, b);
                }
                for &(old, new) in migrated.pairs[..done].iter().rev() {
                    let _ = self.heap.swap_objects(old, new);
                }
                self.tables = old_tables;
                self.roots.truncate(roots_before);
                self.release_unseen(plan, &migrated);
                Err(e)
            }
        }
    }

    /// After an abort, frees the handles staging allocated for new versions (they hold the
    /// discarded new objects) when no update script ran: only a script's `migrate` and `validate
    /// each` blocks are ever given those handles (as `old`), so without one nothing refers to them.
    fn release_unseen(&mut self, plan: &Plan, migrated: &Migrated) {
        if plan.script.is_some() {
            return;
        }
        for &(_, new) in &migrated.pairs {
            self.heap.release(new);
        }
    }

    /// Fills new fields from their defaults and runs the new initialisers (the caller then runs
    /// the update script and validates).
    fn run_new_code(
        &mut self,
        migrated: &Migrated,
        inits: &[(u32, newt_compiler::types::FuncId)],
    ) -> Result<(), String> {
        // A default that only pushes a constant gives the same value every time (string
        // constants are one object per function), so it is evaluated once, not once per instance.
        // (A class has few defaults: a linear search beats hashing once per instance.)
        let mut constant: Vec<(u32, Value)> = Vec::new();
        for &(h, slot, f) in &migrated.defaults {
            let v = match constant.iter().find(|(g, _)| *g == f.0) {
                Some(&(_, v)) => v,
                None => {
                    let v = self.run_isolated(Value::Func(f))?;
                    if self.tables.function(f).is_some_and(|func| is_constant(func.code())) {
                        constant.push((f.0, v));
                    }
                    v
                }
            };
            set_field(self, h, slot, v);
        }
        for &(slot, f) in inits {
            let v = self.run_isolated(Value::Func(f))?;
            self.tables.set_global(slot, v);
        }
        Ok(())
    }

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

/// True when `code` only pushes one constant and returns it.
fn is_constant(code: &[newt_compiler::bytecode::Op]) -> bool {
    use newt_compiler::bytecode::Op;
    matches!(code, [Op::Nil | Op::True | Op::False | Op::Int(_) | Op::Const(_), Op::Return] | [Op::ReturnNil])
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
