//! The compiled form of an update script (updates.md, "Update scripts"): every block of the
//! script is an ordinary function of the image, and this section says what each one is for.
//!
//! Two id spaces meet here. Ids of the *new* version (`class`, `func`, `global`) are this image's
//! and are translated with the rest of the image when the engine maps it onto the running VM.
//! Ids of the *running* version (`from`, `slot` of a reboot or remap) came from the signature the
//! script was checked against (`crate::check::RunningProgram`) and are the VM's already.

use crate::types::{ClassId, FuncId};

/// An update script, compiled.
#[derive(Debug, Clone, Default)]
pub struct ScriptProto {
    /// The module named by `update M`.
    pub target: String,
    /// The script's path as shown in messages.
    pub path: String,
    /// Class migrations, in script order.
    pub migrations: Vec<ScriptMigration>,
    /// `migrate var`s, in script order.
    pub vars: Vec<ScriptVar>,
    /// `validate` and `validate each` blocks, in script order.
    pub validations: Vec<ScriptValidation>,
    /// `reboot F => call`s.
    pub reboots: Vec<ScriptReboot>,
    /// `remap F [{ ... }]`s.
    pub remaps: Vec<ScriptRemap>,
}

/// `migrate [lazy] C(o: old.D) { ... }` or `migrate C = EXPR`.
#[derive(Debug, Clone)]
pub struct ScriptMigration {
    /// The new class (this image's id).
    pub class: ClassId,
    /// The running class whose instances become `class`'s (a VM id); a different name than
    /// `class`'s for a rename, which then takes over this id.
    pub from: ClassId,
    /// `from`'s qualified name, for messages.
    pub from_name: String,
    pub lazy: bool,
    pub kind: ScriptMigrationKind,
    /// The declaration's line in the script.
    pub line: u32,
}

/// How a class migration is given.
#[derive(Debug, Clone)]
pub enum ScriptMigrationKind {
    /// A block compiled to `func(self: C, o: old.D) -> C?`: nil keeps the pre-filled `self`,
    /// another object replaces it. `assigned` lists the fields the block assigns on every path
    /// that keeps `self` (`None` when no path keeps it), computed on the checked tree.
    Block { func: FuncId, assigned: Option<Vec<String>> },
    /// A policy object: `func()` evaluates the expression to a `dsu.Policy`.
    Policy { func: FuncId },
}

/// `migrate var g: T = e`: `func()` computes the global's new value.
#[derive(Debug, Clone)]
pub struct ScriptVar {
    /// The global slot of the new version (this image's).
    pub global: u32,
    pub func: FuncId,
}

/// `validate "name" { ... }` (`func() -> bool`) or `validate each C(o: old.D) { ... }`
/// (`func(self: C, o: old.D) -> bool`, run for each migrated instance).
#[derive(Debug, Clone)]
pub struct ScriptValidation {
    /// The name reports use: the string, or `each C`.
    pub name: String,
    /// For `validate each`: the new class (this image's id) and the running class (a VM id).
    pub each: Option<(ClassId, ClassId)>,
    pub func: FuncId,
}

/// `reboot F => g(args)`: fibers whose entry function is the running `F` restart as if spawned
/// with `g(args)` in the new version. `func(frame)` evaluates the arguments (a `List<any>`) from
/// `frame`, a snapshot of the old entry frame, in the staging area before the commit, so an
/// error there aborts the update.
#[derive(Debug, Clone)]
pub struct ScriptReboot {
    /// `F`'s qualified name.
    pub function: String,
    /// `F`'s global slot in the running version (a VM slot).
    pub slot: u32,
    pub func: FuncId,
    /// `g`, the new entry function (this image's id).
    pub callee: FuncId,
}

/// `remap F` or `remap F { ... }`: live frames of `F` move to its new version. With a block,
/// `func(frame)` runs in a frame that has the new `F`'s locals and returns their values (`locals`
/// names them in order, `assigns` lists those the block assigns); the engine moves the frames
/// (`vm/src/update/remap.rs`).
#[derive(Debug, Clone)]
pub struct ScriptRemap {
    pub function: String,
    /// `F`'s global slot in the running version (a VM slot).
    pub slot: u32,
    pub func: Option<FuncId>,
    /// The new locals the block assigns.
    pub assigns: Vec<String>,
    /// The names of the values `func` returns, in order (the new `F`'s locals it declares).
    pub locals: Vec<String>,
    /// The declaration's line in the script.
    pub line: u32,
}
