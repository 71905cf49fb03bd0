//! Step 4b: new versions of the live instances of every class whose layout changed, built by the
//! default policy (updates.md): fields with the same name and type are copied, new fields are
//! filled later by their default functions (which are new code, so they run only once the staged
//! tables are installed). Old objects are not touched here.

use crate::heap::{Handle, Instance, Obj};
use crate::update::analyse::Plan;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::types::FuncId;

/// The objects staging built.
#[derive(Debug, Default)]
pub(crate) struct Migrated {
    /// (old object, its new version), for the bulk swap.
    pub pairs: Vec<(Handle, Handle)>,
    /// (object handle, field slot, default function) still to run; the handle is the *old* one,
    /// which names the new object once the swap is done.
    pub defaults: Vec<(Handle, usize, FuncId)>,
}

/// Allocates the new version of every affected instance and roots both versions (the caller
/// unroots them when the update ends). Instances come from the heap's registry (see `Heap::instances_of`).
pub(crate) fn build_instances(vm: &mut Vm, plan: &Plan) -> Migrated {
    let mut out = Migrated::default();
    for m in &plan.migrations {
        if vm.dsu.lazy.is_staged(m.class) {
            // Migrated on first access instead (`update/lazy.rs`).
            continue;
        }
        let handles = vm.heap.instances_of(&[m.class]);
        out.pairs.reserve(handles.len());
        vm.heap.reserve(handles.len());
        vm.roots.reserve(2 * handles.len());
        for h in handles {
            let fields: Box<[Value]> = match vm.heap.get(h) {
                Obj::Instance(inst) => {
                    m.copy.iter().map(|c| c.and_then(|k| inst.fields.get(k).copied()).unwrap_or(Value::Undef)).collect()
                }
                _ => continue,
            };
            let new = vm.heap.alloc(Obj::Instance(Instance::new(m.class, fields)));
            vm.roots.push(Value::Obj(h));
            vm.roots.push(Value::Obj(new));
            out.pairs.push((h, new));
            for &(slot, f) in &m.defaults {
                out.defaults.push((h, slot, f));
            }
        }
    }
    out
}

/// Stores `v` into field `slot` of the instance `h` names; false when it is not an instance.
pub(crate) fn set_field(vm: &mut Vm, h: Handle, slot: usize, v: Value) -> bool {
    match vm.heap.get_mut(h) {
        Obj::Instance(inst) => match inst.fields.get_mut(slot) {
            Some(f) => {
                *f = v;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// System validation: every field of every migrated object holds a value.
pub(crate) fn check_filled(vm: &Vm, migrated: &Migrated) -> Result<(), String> {
    for &(h, _) in &migrated.pairs {
        if let Obj::Instance(inst) = vm.heap.get(h) {
            if let Some(k) = inst.fields.iter().position(|v| matches!(v, Value::Undef)) {
                let class = vm.tables.class(inst.class);
                let field = class.and_then(|c| c.fields.get(k)).map(|f| f.name.as_str()).unwrap_or("?");
                let name = class.map(|c| c.name.as_str()).unwrap_or("?");
                return Err(format!("validation failed: field '{field}' of a migrated {name} has no value"));
            }
        }
    }
    Ok(())
}
