//! Update scripts, steps 4–5: running the functions a script was compiled into (see
//! [`super::script`]) in the stopped world, after the default policy filled the new objects and
//! the new globals were initialised, and before the system validations.
//!
//! Order: class migrations (each affected instance of the class, old object readable), then
//! `migrate var`s (declaration order), then `validate each` (each migrated instance of the
//! class), then `validate` blocks. While migrations run, a global that a `migrate var` changes
//! still holds its old value. Any runtime error, or a validation returning false, is an `Err`
//! whose message the update's report carries; the caller then rolls everything back.
//!
//! When a migration returns an object other than the pre-filled `self`, the two objects are
//! swapped (the old identity passes to the returned object); each such swap is recorded so that
//! an abort can undo it before undoing the bulk swap.

use super::analyse::Plan;
use super::migrate::Migrated;
use super::script::Desugared;
use crate::heap::{Handle, Obj};
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::bytecode::Image;
use newt_compiler::types::{ClassId, FuncId};

/// A script's functions and targets, in the VM's id spaces.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScriptPlan {
    /// (class, migration function).
    pub migrations: Vec<(ClassId, FuncId)>,
    /// (VM global slot, function computing its new value).
    pub vars: Vec<(u32, FuncId)>,
    /// (name for the report, class for `validate each`, function).
    pub validations: Vec<(String, Option<ClassId>, FuncId)>,
    /// Old global slots passed, in order, after each function's own parameters.
    pub old_globals: Vec<u32>,
    /// (the running function whose fibers restart, the function they restart with).
    pub reboots: Vec<(FuncId, FuncId)>,
}

/// Resolves the desugared script's names in the translated image (`fmap`/`cmap` give VM ids)
/// and the running tables (old globals). An error names what does not exist.
pub(crate) fn resolve(
    vm: &Vm,
    d: &Desugared,
    image: &Image,
    fmap: &[FuncId],
    cmap: &[ClassId],
    gmap: &[u32],
) -> Result<ScriptPlan, String> {
    let func = |name: &str| {
        image
            .functions
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| fmap.get(i).copied())
            .ok_or_else(|| format!("internal: the script's function {name} was not compiled"))
    };
    let class = |short: &str| {
        image
            .classes
            .iter()
            .position(|c| c.module == d.target && c.short_name == short)
            .and_then(|i| cmap.get(i).copied())
            .ok_or_else(|| format!("the update script names class {short}, which module {} does not have", d.target))
    };
    let mut plan = ScriptPlan::default();
    for m in &d.migrations {
        plan.migrations.push((class(&m.class)?, func(&m.func)?));
    }
    for v in &d.vars {
        let qualified = format!("{}.{}", d.target, v.global);
        let slot = image
            .globals
            .iter()
            .position(|g| g.name == qualified && matches!(g.kind, newt_compiler::bytecode::GlobalKind::Var { .. }))
            .ok_or_else(|| format!("`migrate var {}`: the new version has no var {qualified}", v.global))?;
        let slot = *gmap.get(slot).ok_or("internal: unmapped global")?;
        plan.vars.push((slot, func(&v.func)?));
    }
    for v in &d.validations {
        let c = match &v.class {
            Some(c) => Some(class(c)?),
            None => None,
        };
        plan.validations.push((v.name.clone(), c, func(&v.func)?));
    }
    for r in &d.reboots {
        let qualified = format!("{}.{}", d.target, r.function);
        let old = vm
            .tables
            .global_info
            .iter()
            .enumerate()
            .filter(|(i, _)| !vm.dsu.removed_globals.contains(&(*i as u32)))
            .find_map(|(_, g)| match g.slot.kind {
                newt_compiler::bytecode::GlobalKind::Function(f) if g.slot.name == qualified => Some(f),
                _ => None,
            })
            .ok_or_else(|| format!("`reboot {}`: the running program has no function {qualified}", r.function))?;
        plan.reboots.push((old, func(&r.func)?));
    }
    for g in &d.old_globals {
        let qualified = format!("{}.{g}", d.target);
        let slot = vm
            .tables
            .global_info
            .iter()
            .enumerate()
            .rposition(|(i, x)| x.slot.name == qualified && !vm.dsu.removed_globals.contains(&(i as u32)))
            .ok_or_else(|| format!("internal: old global {qualified} not found"))?;
        plan.old_globals.push(slot as u32);
    }
    Ok(plan)
}

impl Vm {
    /// Runs the script's parts (see the module docs). `old_globals` are the running values of
    /// `sp.old_globals`; `swaps` receives every identity-passing swap made, for the abort path.
    pub(crate) fn run_script(
        &mut self,
        plan: &Plan,
        migrated: &Migrated,
        old_globals: &[Value],
        swaps: &mut Vec<(Handle, Handle)>,
    ) -> Result<(), String> {
        let Some(sp) = plan.script.as_ref() else { return Ok(()) };
        // The old values may exist nowhere else once a `migrate var` replaces them.
        self.roots.extend_from_slice(old_globals);
        let of_class = |vm: &Vm, c: ClassId| -> Vec<(Handle, Handle)> {
            migrated
                .pairs
                .iter()
                .copied()
                .filter(|&(_, old)| matches!(vm.heap.get(old), Obj::Instance(i) if i.class == c))
                .collect()
        };
        for &(class, f) in &sp.migrations {
            // After the bulk swap, `h` holds the new object and `old` the old one.
            let mut args = vec![Value::Nil, Value::Nil];
            args.extend_from_slice(old_globals);
            for (h, old) in of_class(self, class) {
                args[0] = Value::Obj(h);
                args[1] = Value::Obj(old);
                match self.call_staged(f, &args)? {
                    Value::Obj(r) if r != h => {
                        self.roots.push(Value::Obj(r));
                        self.heap.swap_objects(h, r).map_err(|e| format!("internal: {e}"))?;
                        swaps.push((h, r));
                    }
                    _ => {}
                }
            }
        }
        for &(slot, f) in &sp.vars {
            let v = self.call_staged(f, old_globals)?;
            self.tables.set_global(slot, v);
        }
        for (name, class, f) in &sp.validations {
            let failed = |e: Option<String>| match e {
                Some(e) => format!("validation \"{name}\" failed: {e}"),
                None => format!("validation \"{name}\" failed"),
            };
            let calls: Vec<Vec<Value>> = match class {
                Some(c) => of_class(self, *c)
                    .into_iter()
                    .map(|(h, old)| {
                        let mut a = vec![Value::Obj(h), Value::Obj(old)];
                        a.extend_from_slice(old_globals);
                        a
                    })
                    .collect(),
                None => vec![old_globals.to_vec()],
            };
            for args in calls {
                match self.call_staged(*f, &args) {
                    Ok(Value::Bool(true)) => {}
                    Ok(_) => return Err(failed(None)),
                    Err(e) => return Err(failed(Some(e))),
                }
            }
        }
        Ok(())
    }

    /// Calls staged function `f` with `args` outside any fiber; a runtime error becomes its
    /// one-line message.
    fn call_staged(&mut self, f: FuncId, args: &[Value]) -> Result<Value, String> {
        let current = self.current.take();
        let r = self.invoke(Value::Func(f), args);
        self.current = current;
        r.map_err(|e| {
            let at = e.trace.first().map(|t| format!(" (in {} line {})", t.function, t.line)).unwrap_or_default();
            format!("runtime error in the update script: {}{at}", e.error.msg)
        })
    }
}
