//! System and application validations that are not tied to the update script (updates.md,
//! "Validations"):
//! - **no reachable reference to removed code**: a function value or method that the update
//!   removes must not be held by a global, a fiber's stack or a heap object, since calling it
//!   later would run code written against layouts that no longer exist. Checked in analysis, so
//!   its O(heap) scan is not part of the pause; it runs only when the update removes a
//!   module-level function or method. (Lambdas follow the relinking rules of `analyse`.)
//! - **application validations** registered with `dsu.add_validation`: kept by `std.dsu` in its
//!   global `validations` (so they are ordinary rooted Newt values); run in the staging area after
//!   the script's blocks, where any failure aborts the update.

use crate::heap::{Handle, Obj};
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::bytecode::ProtoKind;
use std::collections::HashSet;

/// The global `std.dsu` keeps application validations in.
const VALIDATIONS_GLOBAL: &str = "std.dsu.validations";

/// Where a value referring to removed code was found.
fn find_removed_ref(vm: &Vm, removed: &HashSet<u32>) -> Option<(u32, String)> {
    let hit = |v: &Value| -> Option<u32> {
        match v {
            Value::Func(f) if removed.contains(&f.0) => Some(f.0),
            _ => None,
        }
    };
    for (i, g) in vm.tables.globals.iter().enumerate() {
        // A function slot holds its own function: that is the name, not a reference.
        let info = vm.tables.global_info.get(i);
        if info.is_some_and(|g| matches!(g.slot.kind, newt_compiler::bytecode::GlobalKind::Function(_))) {
            continue;
        }
        if let Some(f) = hit(g) {
            let name = info.map(|g| g.slot.name.clone()).unwrap_or_default();
            return Some((f, format!("global {name}")));
        }
    }
    for id in vm.fiber_ids() {
        let Some(f) = vm.fiber(id) else { continue };
        // The running fiber (a `dsu.apply` caller) has its stack in the VM's registers.
        let stack = if vm.current == Some(id) { &vm.stack } else { &f.stack };
        if let Some(func) = stack.iter().find_map(hit) {
            return Some((func, format!("a local of <fiber {}>", id.0)));
        }
    }
    for i in 0..vm.heap.table_len() {
        let Some(obj) = vm.heap.entry(Handle(i as u32)) else { continue };
        let mut found = None;
        obj.for_each_value(|v| {
            if found.is_none() {
                found = hit(v);
            }
        });
        if let Some(f) = found {
            let what = match obj {
                Obj::Chan(_) => "a value in a channel",
                Obj::Frame(_) => "a dsu.Frame snapshot",
                _ => "a live object",
            };
            return Some((f, what.into()));
        }
    }
    None
}

/// Rejects the update when a reachable value refers to a removed module-level function or method
/// (see the module docs). May collect, to make sure a candidate is reachable.
pub(crate) fn check_removed_code(vm: &mut Vm, removed_funcs: &[u32]) -> Result<(), String> {
    let removed: HashSet<u32> = removed_funcs
        .iter()
        .copied()
        .filter(|&id| {
            vm.tables
                .functions
                .get(id as usize)
                .is_some_and(|f| matches!(f.proto.kind, ProtoKind::Module | ProtoKind::Method { .. }))
        })
        .collect();
    if removed.is_empty() || find_removed_ref(vm, &removed).is_none() {
        return Ok(());
    }
    vm.collect();
    match find_removed_ref(vm, &removed) {
        None => Ok(()),
        Some((f, place)) => {
            let name = vm.tables.functions.get(f as usize).map(|f| f.proto.name.clone()).unwrap_or_default();
            Err(format!(
                "{name} is removed but {place} still refers to it; keep the function, or drop the reference before updating"
            ))
        }
    }
}

impl Vm {
    /// Runs every validation registered with `dsu.add_validation`, in order.
    pub(crate) fn run_app_validations(&mut self) -> Result<(), String> {
        let Some(slot) = self.tables.global_info.iter().position(|g| g.slot.name == VALIDATIONS_GLOBAL) else {
            return Ok(());
        };
        let list = match self.tables.globals.get(slot) {
            Some(Value::Obj(h)) => *h,
            _ => return Ok(()),
        };
        let entries: Vec<Value> = match self.heap.get(list) {
            Obj::List(items) => items.clone(),
            _ => return Ok(()),
        };
        for v in entries {
            let Value::Obj(h) = v else { continue };
            let (name, check) = match self.heap.get(h) {
                Obj::Instance(inst) if inst.fields.len() == 2 => (inst.fields[0], inst.fields[1]),
                _ => continue,
            };
            let name = match name {
                Value::Obj(s) => match self.heap.get(s) {
                    Obj::Str(s) => s.text.to_string(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            match self.run_isolated(check) {
                Ok(Value::Bool(true)) => {}
                Ok(_) => return Err(format!("validation \"{name}\" failed")),
                Err(e) => return Err(format!("validation \"{name}\" failed: {e}")),
            }
        }
        Ok(())
    }
}
