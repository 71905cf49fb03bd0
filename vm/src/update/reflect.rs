//! Reusable migration policies (`migrate C = EXPR`): being written on the `policies` branch.
use crate::heap::Handle;
use crate::value::Value;
use crate::vm::Vm;

/// Applies `policy` to the migrated object `new` (its old object at `old`).
pub(crate) fn apply_policy(_vm: &mut Vm, _policy: Value, _old: Handle, _new: Handle) -> Result<Option<Handle>, String> {
    Err("migration policies are not wired yet".into())
}
