//! The running version's typed signature, as the checker needs it to compile an update script
//! (`newt_compiler::check::RunningProgram`): every class and global of the running program that
//! no earlier update removed, with the VM's ids and the types the image carried (already in the
//! VM's class ids, since analysis translates each new image's types when it commits).

use crate::vm::Vm;
use newt_compiler::bytecode::GlobalKind;
use newt_compiler::check::{RunningClass, RunningGlobal, RunningGlobalKind, RunningProgram};
use newt_compiler::types::ClassId;

/// The signature of `vm`'s running version.
pub(crate) fn running_program(vm: &Vm) -> RunningProgram {
    let removed = &vm.dsu;
    let classes = vm
        .tables
        .classes
        .iter()
        .enumerate()
        .filter(|(i, _)| !removed.removed_classes.contains(&(*i as u32)))
        .map(|(i, c)| RunningClass {
            id: ClassId(i as u32),
            name: c.name.clone(),
            short_name: c.short_name.clone(),
            module: c.module.clone(),
            type_params: c.type_params.clone(),
            superclass: c.superclass,
            fields: c.fields.iter().map(|f| (f.name.clone(), f.static_ty.clone())).collect(),
            methods: c.method_names.iter().cloned().zip(c.method_types.iter().cloned()).collect(),
        })
        .collect();
    let globals = vm
        .tables
        .global_info
        .iter()
        .enumerate()
        .filter(|(i, _)| !removed.removed_globals.contains(&(*i as u32)))
        .map(|(i, g)| RunningGlobal {
            slot: i as u32,
            name: g.slot.name.clone(),
            module: g.slot.module.clone(),
            kind: match g.slot.kind {
                GlobalKind::Function(_) => RunningGlobalKind::Function,
                GlobalKind::Var { .. } => RunningGlobalKind::Var,
                GlobalKind::Const { .. } => RunningGlobalKind::Const,
            },
            ty: g.slot.static_ty.clone(),
        })
        .collect();
    RunningProgram { classes, globals }
}
