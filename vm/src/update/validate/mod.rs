//! Step 5: validate the staged update (updates.md, "Validations"). Takes a [`Staged`] update and
//! either leaves it ready to commit or gives the reason to abort: the update script's parts run
//! first (migrations, `migrate var`s, `validate each`, `validate` — with the running version
//! readable through `old.`), then the restart calls of rebooted fibers are evaluated, then the
//! system validations (every field of every new object holds a value) and the application
//! validations registered with `dsu.add_validation`.
//!
//! - [`script`]: running the script's compiled parts in staging.
//! - [`old_view`]: the `old.` natives and the running tables lent to them.
//! - [`reflect`]: `dsu.Object` views and reusable policies (`migrate C = EXPR`).
//! - [`system`]: validations outside the script (no reference to removed code, which runs in
//!   analysis; the application validations).

pub(crate) mod old_view;
pub(crate) mod reflect;
pub(crate) mod reflect_types;
pub(crate) mod script;
pub(crate) mod system;

use crate::update::analyse::Plan;
use crate::update::stage::instances::check_filled;
use crate::update::stage::Staged;
use crate::update::world::Stopped;

/// Validates `staged` (see the module docs); an error is the reason the update aborts.
pub(crate) fn validate(w: &mut Stopped<'_>, staged: &mut Staged, plan: &Plan) -> Result<(), String> {
    let vm = w.vm();
    let reboots = std::mem::take(&mut staged.reboots);
    let remaps = std::mem::take(&mut staged.remap_frames);
    let (restarts, rewrites) =
        vm.run_script(plan, &staged.migrated, &mut staged.old_tables, &mut staged.script_swaps, reboots, remaps)?;
    staged.restarts = restarts;
    staged.rewrites = rewrites;
    // The running globals must survive until the commit or the abort puts them back: some are
    // only there (a `migrate var` replaced the staged value). Rooted until the roots truncate.
    vm.roots.extend_from_slice(&staged.old_tables.globals);
    check_filled(vm, &staged.migrated)?;
    vm.run_app_validations()
}
