//! Update scripts, steps 4–5: running the parts of a compiled script (the image's script
//! section, `newt_compiler::bytecode::ScriptProto`) in the stopped world, after the default policy
//! filled the new objects and the new globals were initialised, and before the system
//! validations.
//!
//! Order: class migrations (each affected instance of the class), then `migrate var`s
//! (declaration order), then `validate each` (each migrated instance of the class), then
//! `validate` blocks. The running version stays readable through `old.` ([`OldWorld`]): its
//! tables are set aside for the script's duration, and old objects sit in staging handles. Any
//! runtime error, or a validation returning false, is an `Err` whose message the update's report
//! carries; the caller then rolls everything back.
//!
//! When a migration returns an object other than the pre-filled `self`, the two objects are
//! swapped (the old identity passes to the returned object); each such swap is recorded so that
//! an abort can undo it before undoing the bulk swap.

use crate::globals::Tables;
use crate::heap::{Handle, Obj};
use crate::update::analyse::Plan;
use crate::update::reboot::{RebootFiber, Restart};
use crate::update::remap::{RemapFrame, Rewrite};
use crate::update::stage::instances::Migrated;
use crate::update::validate::old_view::OldWorld;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::bytecode::{ScriptMigrationKind, ScriptProto};
use newt_compiler::types::{ClassId, FuncId};

/// (an object's own handle, the staging handle of its old version).
type Pair = (Handle, Handle);

impl Vm {
    /// Runs the script's parts (see the module docs), then evaluates the restart calls of the
    /// fibers it reboots. `old_tables` are the running tables, lent to the `old.` view for the
    /// duration; `swaps` receives every identity-passing swap made, for the abort path.
    pub(crate) fn run_script(
        &mut self,
        plan: &Plan,
        migrated: &Migrated,
        old_tables: &mut Tables,
        swaps: &mut Vec<(Handle, Handle)>,
        reboots: Vec<RebootFiber>,
        remaps: Vec<RemapFrame>,
    ) -> Result<(Vec<Restart>, Vec<Rewrite>), String> {
        // Without a script nothing reads `old.` (development mode's remaps run new code only):
        // the pause copies no pair.
        let Some(sp) = plan.script.as_ref() else { return Ok((Vec::new(), self.evaluate_remaps(remaps, plan)?)) };
        // Objects of classes this update migrates lazily that new code already touched have their
        // old objects in shadows (`update/lazy.rs`).
        let mut pairs = migrated.pairs.clone();
        pairs.extend(self.dsu.lazy.staged_pairs());
        self.dsu.old_world = Some(OldWorld::new(std::mem::take(old_tables), pairs));
        let r = self.run_script_parts(&sp.proto, migrated, swaps).and_then(|()| self.evaluate_reboots(reboots));
        let r = r.and_then(|restarts| Ok((restarts, self.evaluate_remaps(remaps, plan)?)));
        if let Some(w) = self.dsu.old_world.take() {
            *old_tables = w.tables;
        }
        r
    }

    fn run_script_parts(
        &mut self,
        sp: &ScriptProto,
        migrated: &Migrated,
        swaps: &mut Vec<(Handle, Handle)>,
    ) -> Result<(), String> {
        // The migrated objects of running class `c`: their own handles (holding the new objects).
        let of_class = |vm: &Vm, c: ClassId| -> Vec<(Handle, Handle)> {
            migrated
                .pairs
                .iter()
                .copied()
                .filter(|&(_, old)| matches!(vm.heap.get(old), Obj::Instance(i) if i.class == c))
                .collect()
        };
        for m in &sp.migrations {
            let func = match &m.kind {
                ScriptMigrationKind::Block { func, .. } => *func,
                ScriptMigrationKind::Policy { func } => {
                    let policy = self.call_staged(*func, &[])?;
                    self.roots.push(policy);
                    self.per_instance(true);
                    for (h, old) in of_class(self, m.from) {
                        self.hint(h, old);
                        if let Some(r) = self.run_policy(policy, h, &sp.target)? {
                            self.pass_identity(h, r, swaps)?;
                        }
                    }
                    self.per_instance(false);
                    continue;
                }
            };
            self.per_instance(true);
            for (h, old) in of_class(self, m.from) {
                self.hint(h, old);
                // `self` and `o` are both the object's own handle: `o`'s reads go to the old object.
                match self.call_staged(func, &[Value::Obj(h), Value::Obj(h)])? {
                    Value::Obj(r) if r != h => self.pass_identity(h, r, swaps)?,
                    _ => {}
                }
            }
            self.per_instance(false);
        }
        for v in &sp.vars {
            let value = self.call_staged(v.func, &[])?;
            self.tables.set_global(v.global, value);
        }
        for v in &sp.validations {
            let failed = |e: Option<String>| match e {
                Some(e) => format!("validation \"{}\" failed: {e}", v.name),
                None => format!("validation \"{}\" failed", v.name),
            };
            let calls: Vec<(Option<Pair>, Vec<Value>)> = match v.each {
                Some((_, from)) => of_class(self, from)
                    .into_iter()
                    .map(|(h, old)| (Some((h, old)), vec![Value::Obj(h), Value::Obj(h)]))
                    .collect(),
                None => vec![(None, Vec::new())],
            };
            self.per_instance(v.each.is_some());
            for (pair, args) in calls {
                if let Some((h, old)) = pair {
                    self.hint(h, old);
                }
                match self.call_staged(v.func, &args) {
                    Ok(Value::Bool(true)) => {}
                    Ok(_) => return Err(failed(None)),
                    Err(e) => return Err(failed(Some(e))),
                }
            }
            self.per_instance(false);
        }
        Ok(())
    }

    /// Marks whether the blocks about to run run once per migrated instance (see `old_view.rs`).
    fn per_instance(&mut self, on: bool) {
        if let Some(w) = self.dsu.old_world.as_mut() {
            w.per_instance = on;
            w.hint = None;
        }
    }

    /// The instance the next per-instance block runs for: its old reads skip the handle map.
    fn hint(&mut self, own: Handle, old: Handle) {
        if let Some(w) = self.dsu.old_world.as_mut() {
            w.hint = Some((own, old));
        }
    }

    /// The object `h` (pre-filled) is replaced by `r`, which takes over its identity.
    fn pass_identity(&mut self, h: Handle, r: Handle, swaps: &mut Vec<(Handle, Handle)>) -> Result<(), String> {
        self.roots.push(Value::Obj(r));
        self.heap.swap_objects(h, r).map_err(|e| format!("internal: {e}"))?;
        swaps.push((h, r));
        Ok(())
    }

    /// Applies a `dsu.Policy` to migrated object `h`: `Some(replacement)` when the policy made
    /// the object become another one.
    fn run_policy(&mut self, policy: Value, h: Handle, module: &str) -> Result<Option<Handle>, String> {
        let old = self.dsu.old_world.as_mut().map(|w| w.old_handle(h)).unwrap_or(h);
        self.apply_policy(policy, old, h, module)
    }

    /// Calls staged function `f` with `args` outside any fiber; a runtime error becomes its
    /// one-line message.
    pub(crate) fn call_staged(&mut self, f: FuncId, args: &[Value]) -> Result<Value, String> {
        let current = self.current.take();
        let r = self.invoke(Value::Func(f), args);
        self.current = current;
        r.map_err(|e| {
            // Where it happened, as the user wrote it: the script's blocks by what they are
            // (`migrate Vector3D`), with the file and line.
            let at = e
                .trace
                .first()
                .map(|t| {
                    let own = format!("{}.", newt_compiler::check::SCRIPT_MODULE);
                    let name = t.function.strip_prefix(&own).unwrap_or(&t.function);
                    let name = name.strip_prefix('<').and_then(|n| n.strip_suffix('>')).unwrap_or(name);
                    format!(" (in {name} at {}:{})", t.path, t.line)
                })
                .unwrap_or_default();
            format!("runtime error in the update script: {}{at}", e.error.msg)
        })
    }
}
