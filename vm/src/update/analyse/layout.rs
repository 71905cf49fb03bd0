//! Step 1, for one class whose layout changes: how its live instances are rebuilt under the
//! default policy (updates.md: fields of the same name and an equivalent type are copied, new
//! fields take their default), and the static rejections when that cannot work (a new field
//! without a value, a type change without a migration), with messages that say what to add.

use newt_compiler::bytecode::{ClassProto, ScriptMigration, ScriptMigrationKind};
use newt_compiler::types::{ClassId, FuncId};

/// How the instances of one class whose layout changed are rebuilt (the default policy).
#[derive(Debug, Clone)]
pub(crate) struct ClassMigration {
    /// VM id (unchanged by the update).
    pub class: ClassId,
    /// For each field slot of the new layout: the old slot whose value is copied, or `None` when
    /// the field's default function fills it.
    pub copy: Vec<Option<usize>>,
    /// (new slot, default function as a VM id) for every field that is not copied.
    pub defaults: Vec<(usize, FuncId)>,
    /// Why the default policy cannot rebuild this class's instances. They reject the update only
    /// when the class has live instances of its own (a superclass whose instances are all of
    /// subclasses, as in a pull-up, has nothing to rebuild).
    pub reasons: Vec<String>,
}

/// The default policy for one class whose layout changed: same name and type → copied; a new
/// field → its default; anything else is a rejection reason naming the field and what to add.
pub(crate) fn plan_migration(
    id: ClassId,
    old: &crate::globals::RtClass,
    new: &ClassProto,
    scripted: Option<&ScriptMigration>,
    reasons: &mut Vec<String>,
) -> ClassMigration {
    let short = &new.short_name;
    // With a script migration, a field without a value must be assigned by the block instead
    // (a policy object is checked when it runs: every field must then hold a value).
    let unassigned = |field: &str, why: &str, reasons: &mut Vec<String>| {
        let Some(m) = scripted else { return };
        if let ScriptMigrationKind::Block { assigned: Some(a), .. } = &m.kind {
            if !a.iter().any(|x| x == field) {
                reasons.push(format!(
                    "the migration of class {} does not assign field '{field}' on every path that keeps `self` ({why}); add `self.{field} = ...` to `migrate {short}` (script line {})",
                    new.name, m.line
                ));
            }
        }
    };
    let mut copy = Vec::with_capacity(new.fields.len());
    let mut defaults = Vec::new();
    for (slot, f) in new.fields.iter().enumerate() {
        match old.fields.iter().position(|o| o.name == f.name) {
            Some(k) if old.fields[k].static_ty == f.static_ty => copy.push(Some(k)),
            Some(_) if scripted.is_some() => {
                unassigned(&f.name, "its type changed", reasons);
                copy.push(None);
            }
            Some(k) => {
                reasons.push(format!(
                    "field '{}' of class {} changed type from {} to {}; add a migration that sets it: `migrate {short}(o: old.{short}) {{ self.{} = ... }}`",
                    f.name, new.name, old.fields[k].ty, f.ty, f.name
                ));
                copy.push(None);
            }
            None => {
                copy.push(None);
                match f.default {
                    Some(d) => defaults.push((slot, d)),
                    None if scripted.is_some() => unassigned(&f.name, "it is new and has no default", reasons),
                    None => reasons.push(format!(
                        "new field '{}' of class {} has no value for the live instances; give it a default (`{}: {} = ...`) or add `migrate {short}(o: old.{short}) {{ self.{} = ... }}` to the update script",
                        f.name, new.name, f.name, f.ty, f.name
                    )),
                }
            }
        }
    }
    ClassMigration { class: id, copy, defaults, reasons: std::mem::take(reasons) }
}
