//! Step 1, for an update script: the compiled script section (already translated into the VM's
//! id spaces with the rest of the image) checked against what the engine runs, and its reboots
//! resolved to the running functions whose fibers restart.

use crate::vm::Vm;
use newt_compiler::bytecode::{GlobalKind, ScriptProto};
use newt_compiler::types::FuncId;

/// A compiled script in the VM's id spaces, with what analysis resolved for it.
#[derive(Debug, Clone)]
pub(crate) struct ScriptPlan {
    pub proto: ScriptProto,
    /// (the running function whose fibers restart, the function computing the restart call's
    /// arguments, the new entry function).
    pub reboots: Vec<(FuncId, FuncId, FuncId)>,
}

/// Checks what the engine can run of a translated script section and resolves its reboots.
pub(crate) fn resolve(vm: &Vm, proto: ScriptProto) -> Result<ScriptPlan, String> {
    // `remap F` needs nothing resolved here: its tables are built per function pair
    // (`analyse/remap.rs`) once the plan exists.
    let mut reboots = Vec::new();
    for r in &proto.reboots {
        let old = match vm.tables.global_info.get(r.slot as usize).map(|g| &g.slot.kind) {
            Some(GlobalKind::Function(f)) => *f,
            _ => return Err(format!("`reboot {}`: the running program has no such function", r.function)),
        };
        reboots.push((old, r.func, r.callee));
    }
    Ok(ScriptPlan { proto, reboots })
}
