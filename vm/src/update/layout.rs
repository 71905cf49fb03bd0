//! Step 1, for one class whose layout changes: how its live instances are rebuilt under the
//! default policy (updates.md: fields of the same name and an equivalent type are copied, new
//! fields take their default), and the static rejections when that cannot work (a new field
//! without a value, a type change without a migration), with messages that say what to add.

use super::script::rename_type;
use newt_compiler::bytecode::ClassProto;
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
}

/// The default policy for one class whose layout changed: same name and type → copied; a new
/// field → its default; anything else is a rejection reason naming the field and what to add.
pub(crate) fn plan_migration(
    id: ClassId,
    old: &crate::globals::RtClass,
    new: &ClassProto,
    scripted: Option<&super::script::MigrateInfo>,
    renames: &[(String, String)],
    reasons: &mut Vec<String>,
) -> ClassMigration {
    let short = &new.short_name;
    // With a script migration, a field without a value must be assigned by the block instead.
    let unassigned = |field: &str, why: &str, reasons: &mut Vec<String>| {
        if let Some(m) = scripted.filter(|m| m.assigned.as_ref().is_some_and(|a| !a.contains(field))) {
            reasons.push(format!(
                "the migration of class {} does not assign field '{field}' on every path that keeps `self` ({why}); add `self.{field} = ...` to `migrate {}`",
                new.name, m.class
            ));
        }
    };
    let mut copy = Vec::with_capacity(new.fields.len());
    let mut defaults = Vec::new();
    for (slot, f) in new.fields.iter().enumerate() {
        match old.fields.iter().position(|o| o.name == f.name) {
            Some(k) if rename_type(&old.fields[k].ty, renames) == f.ty => copy.push(Some(k)),
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
    ClassMigration { class: id, copy, defaults }
}
