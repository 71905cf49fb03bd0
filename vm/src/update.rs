//! The hooks the live-update engine (`update/`) builds on, gathered in one place: stopping the
//! world, walking fibers and frames, finding instances, `become`, swapping table entries, loading
//! new functions, and running Newt code to completion from Rust (migrations, validations).
//!
//! None of this costs anything while no update runs: stopping shares the preemption counter, and
//! everything else is only called by the engine between scheduler steps.

// The live-update engine proper (issue 4), one concern per file under `update/`:
// analyse (compile the overlay, map ids by name, diff instruction streams, static rejections) →
// translate (new image into the VM's id spaces) → safepoint (no frame of an affected function;
// re-checked at scheduler turns / at each `dsu.apply` poll; fibers entering an affected function
// are held at its entry while an update is pending) → staging (new tables beside the old) →
// migrate (new-layout objects, default policy) → commit (install, reversible swap, run defaults
// and initialisers, validate; abort restores) → driver (`Vm::update`, request/poll) → report.
// Update scripts: script (desugared into an extra module checked with the new version) →
// script_run (migrate blocks, `migrate var`, validations, run in staging).
// validate: system validations outside the script (no reference to removed code) and the
// application validations of `dsu.add_validation`.
// prepare: compiling the new version off the VM thread. reboot: `reboot F => call`. `dsu.hold`
// and passive fibers are holders in `safepoint`. reflect: `dsu.Object` views and
// `Vm::apply_policy`, which runs one reusable policy (`migrate C = ...`) on one object. lazy:
// `migrate lazy`, migrated on first access (the check is in the dispatch loop's second copy).
// Not yet: remap.
pub mod analyse;
pub mod commit;
pub mod control;
pub mod driver;
pub(crate) mod lazy;
pub(crate) mod natives;
pub mod prepare;
mod reboot;
mod remap;
pub mod report;
pub mod stage;
mod state;
pub mod validate;
pub mod wait;
pub mod world;

pub use analyse::{UpdateRequest, DEFAULT_TIMEOUT};
pub use report::{ChangeSet, Changes, Counts, Outcome, Timings, UpdateReport};
pub use state::{DsuState, ModuleSource};
pub use wait::Holder;
pub use world::Stopped;

use crate::error::{Ctl, ErrorReport, RtError};
use crate::fiber::{Fiber, FiberId};
use crate::globals::Tables;
use crate::heap::{Handle, Heap};
use crate::value::Value;
use crate::verify::VerifyEnv;
use crate::vm::Vm;
use newt_compiler::bytecode::{CaptureSrc, ProtoKind};
use newt_compiler::types::ClassId;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

impl VerifyEnv for Tables {
    fn global_count(&self) -> usize {
        self.globals.len()
    }

    fn class_shape(&self, class: u32) -> Option<(usize, usize)> {
        self.classes.get(class as usize).map(|c| (c.fields.len(), c.vtable.len()))
    }

    fn lambda_captures(&self, func: u32) -> Option<&[CaptureSrc]> {
        let f = self.functions.get(func as usize)?;
        matches!(f.proto.kind, ProtoKind::Lambda { .. }).then_some(f.proto.captures.as_slice())
    }
}

impl Vm {
    /// Asks the scheduler to stop: the running fiber stops at its next update point (its budget is
    /// zeroed) and [`Vm::step`] returns [`crate::Step::Stopped`] before resuming anyone.
    pub fn request_stop(&mut self) {
        self.budget = 0;
        self.stop.store(true, Ordering::Relaxed);
    }

    /// A flag another thread (e.g. the control port) can set to request a stop; it is seen at the
    /// next slice boundary (at most [`crate::vm::SLICE`] update points later).
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// The heap (objects by handle).
    pub fn heap(&self) -> &Heap {
        &self.heap
    }

    /// The function, class and global tables.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Every fiber that has not been collected, by id.
    pub fn fiber_ids(&self) -> Vec<FiberId> {
        let mut ids: Vec<FiberId> = self.sched.fibers.keys().copied().collect();
        ids.sort();
        ids
    }

    /// A fiber's record (stack, frames, status, name). Between steps every fiber's state is here.
    pub fn fiber(&self, id: FiberId) -> Option<&Fiber> {
        self.sched.fibers.get(&id).map(|b| &**b)
    }

    /// The main fiber.
    pub fn main_fiber(&self) -> Option<FiberId> {
        self.sched.main
    }

    /// Live instances of `class` (and of its subclasses when `subclasses` is set).
    pub fn instances_of(&self, class: ClassId, subclasses: bool) -> Vec<Handle> {
        let classes: Vec<ClassId> = if subclasses {
            (0..self.tables.classes.len() as u32).map(ClassId).filter(|c| self.tables.is_subclass(*c, class)).collect()
        } else {
            vec![class]
        };
        self.heap.instances_of(&classes)
    }

    /// The value in global slot `slot`.
    pub fn global(&self, slot: u32) -> Option<Value> {
        self.tables.globals.get(slot as usize).copied()
    }

    /// Runs `f(args)` to completion from Rust, on the VM's stack but outside any fiber, with
    /// preemption off; blocking operations inside are errors. Call it only between steps. The
    /// result is not rooted: root it before anything else may collect.
    pub fn invoke(&mut self, f: Value, args: &[Value]) -> Result<Value, ErrorReport> {
        if self.current.is_some() {
            let error = RtError::internal("invoke while a fiber is running");
            return Err(ErrorReport { error, trace: Vec::new() });
        }
        // The spare vectors keep their capacity from one call to the next, so that staging, which
        // invokes a migration once per instance, does not allocate a stack per call.
        let spare_stack = std::mem::take(&mut self.dsu.spare_stack);
        let spare_frames = std::mem::take(&mut self.dsu.spare_frames);
        let stack = std::mem::replace(&mut self.stack, spare_stack);
        let frames = std::mem::replace(&mut self.frames, spare_frames);
        let budget = self.budget;
        let result = match self.call_nested(f, args) {
            Ok(v) => Ok(v),
            Err(Ctl::Error(error)) => Err(ErrorReport { error, trace: self.trace(&self.frames) }),
            Err(Ctl::Exit(code)) => {
                self.finish(code, None);
                Err(ErrorReport { error: RtError::new(format!("exit({code}) called")), trace: Vec::new() })
            }
            Err(Ctl::Park) => Err(ErrorReport { error: RtError::internal("invoke parked"), trace: Vec::new() }),
        };
        self.dsu.spare_stack = std::mem::replace(&mut self.stack, stack);
        self.dsu.spare_frames = std::mem::replace(&mut self.frames, frames);
        self.dsu.spare_stack.clear();
        self.dsu.spare_frames.clear();
        self.budget = budget;
        result
    }

    /// Allocates a string (for embedders and tests building arguments).
    pub fn alloc_str(&mut self, s: &str) -> Value {
        self.new_str(s)
    }

    /// `str(v)` as Newt shows it.
    pub fn display(&self, v: Value) -> String {
        self.show(v)
    }

    /// The id of the fiber whose heap object is `v`.
    pub fn fiber_id_of(&self, v: Value) -> Option<FiberId> {
        self.fiber_of(v)
    }
}
