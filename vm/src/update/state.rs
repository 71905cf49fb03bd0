//! What the engine remembers between updates: the running program's sources (the base every
//! analysis overlays new modules on), the version counter, the history, and which table entries
//! earlier updates removed (they stay in the tables for frames and closures that still use them,
//! but no longer answer to their names).

use crate::update::report::UpdateReport;
use newt_compiler::diag::SourceMap;
use std::collections::HashSet;

/// One module's source as the running program was compiled from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSource {
    /// Dotted module name (`shop`, `shop.model`, `std.json`).
    pub module: String,
    /// Display path (diagnostics, stack traces).
    pub path: String,
    pub text: String,
}

/// The engine's state inside a [`crate::Vm`].
#[derive(Debug, Default)]
pub struct DsuState {
    /// Every module of the running program.
    pub(crate) sources: Vec<ModuleSource>,
    /// `dsu.version()`: committed updates so far.
    pub(crate) version: u64,
    /// Every update that reached analysis, oldest first.
    pub(crate) history: Vec<UpdateReport>,
    /// Id of the next update.
    pub(crate) next_id: u64,
    /// Function ids removed (or superseded) by committed updates.
    pub(crate) removed_funcs: HashSet<u32>,
    /// Class ids removed by committed updates.
    pub(crate) removed_classes: HashSet<u32>,
    /// Global slots removed by committed updates.
    pub(crate) removed_globals: HashSet<u32>,
    /// The update waiting for its safe point, if any.
    pub(crate) pending: Option<crate::update::wait::Pending>,
    /// Passive fibers (`dsu.set_passive(true)`): at an update point only when parked (explicit
    /// `dsu.update_point()` calls park for a moment while an update is pending).
    pub(crate) passive: HashSet<crate::fiber::FiberId>,
    /// Passive fibers whose last slice was preempted: they hold a pending update back.
    pub(crate) preempted: HashSet<crate::fiber::FiberId>,
    /// Fibers inside `dsu.hold` blocks, with their nesting depth: no update commits meanwhile.
    pub(crate) holds: std::collections::HashMap<crate::fiber::FiberId, u32>,
    /// The update whose new version is being compiled off the VM thread (`dsu.apply`), if any.
    pub(crate) compiling: Option<crate::update::driver::Compiling>,
    /// The running fiber's return barrier while an update is pending: when a return leaves fewer
    /// frames than this, the fiber's oldest affected frame has returned (`safepoint.rs`).
    /// 0: no barrier. Loaded by the scheduler at each slice.
    pub(crate) ret_barrier: usize,
    /// The running version while an update script runs in the staging area (`old.`).
    pub(crate) old_world: Option<crate::update::validate::old_view::OldWorld>,
    /// Empty stack and frame vectors that [`crate::Vm::invoke`] runs on (kept for their capacity).
    pub(crate) spare_stack: Vec<crate::value::Value>,
    pub(crate) spare_frames: Vec<crate::fiber::Frame>,
    /// Fibers held at the entry of an affected function until the pending update ends.
    pub(crate) held: Vec<crate::fiber::FiberId>,
    /// Something that can end the pending update's wait happened (a return barrier was crossed,
    /// a fiber ended or was held at an entry): the safe-point check runs again.
    pub(crate) recheck: bool,
    /// Update points left in the running fiber's slice while the entry gate is on (see
    /// `safepoint.rs`).
    pub(crate) gate_ticks: i32,
    /// Reports of dry runs and of requests refused as malformed (not part of the history).
    pub(crate) unrecorded: std::collections::VecDeque<UpdateReport>,
    /// `dsu.Object` views of the policy being applied, and the running layouts while staging
    /// (`reflect.rs`).
    pub(crate) reflect: crate::update::validate::reflect::ReflectState,
    /// Lazily migrated classes and their pending instances (`lazy.rs`).
    pub(crate) lazy: crate::update::lazy::LazyState,
}

impl DsuState {
    /// The state of a program freshly loaded from an image compiled from `sources`.
    pub fn new(sources: &SourceMap) -> DsuState {
        DsuState { sources: from_source_map(sources), next_id: 1, ..DsuState::default() }
    }
}

/// The modules of a source map (one file per module).
pub(crate) fn from_source_map(sources: &SourceMap) -> Vec<ModuleSource> {
    sources
        .files()
        .iter()
        .map(|f| ModuleSource { module: f.module.clone(), path: f.path.clone(), text: f.text.clone() })
        .collect()
}
