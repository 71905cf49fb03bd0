//! `reboot F => call` (updates.md, "Code active on the stack"): every fiber whose entry function
//! is `F` has its stack discarded at commit and restarts by running the script's compiled
//! `<reboot F>(frame)`, which evaluates `call` in the new version; `frame` is a `dsu.Frame`
//! snapshot of the old entry frame, so `call` can carry its locals over (`frame.local("port")`).
//! Such fibers never hold the update back (their stacks do not survive it).
//!
//! A fiber parked on a channel or a join cannot be rebooted (it is registered as a waiter where
//! the engine cannot take it back out): the update then aborts, naming it, before anything
//! changes. A fiber parked in a sleep or on a socket is restarted (its timer or socket waits are
//! dropped).

use super::analyse::Plan;
use crate::fiber::{FiberId, Frame, Status, Wait};
use crate::heap::{FrameSnapshot, Obj};
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::types::FuncId;

/// The old entry functions the plan reboots.
pub(crate) fn rebooted_entries(plan: &Plan) -> Vec<FuncId> {
    plan.script.as_ref().map(|s| s.reboots.iter().map(|&(old, _)| old).collect()).unwrap_or_default()
}

impl Vm {
    /// The fibers the plan reboots, in id order.
    fn fibers_to_reboot(&self, plan: &Plan) -> Vec<(FiberId, FuncId)> {
        let Some(sp) = plan.script.as_ref().filter(|s| !s.reboots.is_empty()) else { return Vec::new() };
        let mut out: Vec<(FiberId, FuncId)> = self
            .sched
            .fibers
            .iter()
            .filter(|(_, f)| !f.is_done())
            .filter_map(|(id, f)| {
                let entry = f.entry?;
                sp.reboots.iter().find(|(old, _)| *old == entry).map(|&(_, new)| (*id, new))
            })
            .collect();
        out.sort();
        out
    }

    /// The fibers to reboot with a snapshot of each one's entry frame, taken while the running
    /// tables (whose metadata describes those frames) are still installed; before anything
    /// changes, an error when one cannot be rebooted: the requesting fiber, or a fiber parked on
    /// a channel or a join.
    pub(crate) fn prepare_reboots(&self, plan: &Plan) -> Result<Vec<(FiberId, FuncId, Option<FrameSnapshot>)>, String> {
        let fibers = self.fibers_to_reboot(plan);
        for &(id, _) in &fibers {
            if self.current == Some(id) {
                return Err(format!("cannot reboot <fiber {}>: it is the fiber requesting the update", id.0));
            }
            if let Some(Status::Parked(Wait::Send(_) | Wait::Recv(_) | Wait::Join(_))) = self.fiber_status(id) {
                return Err(format!(
                    "cannot reboot <fiber {}>: it is waiting on a channel or for another fiber; let it reach a sleep, a socket or a running state first",
                    id.0
                ));
            }
        }
        Ok(fibers.into_iter().map(|(id, new)| (id, new, self.snapshot_frames(id).pop())).collect())
    }

    /// Restarts the fibers `prepare_reboots` listed (see the module docs); returns how many.
    /// Runs at commit, after every validation passed.
    pub(crate) fn reboot_fibers(&mut self, fibers: Vec<(FiberId, FuncId, Option<FrameSnapshot>)>) -> usize {
        let n = fibers.len();
        for (id, new, snapshot) in fibers {
            // The old entry frame, as a `dsu.Frame` the restart call may read.
            let frame = match snapshot {
                Some(s) => Value::Obj(self.heap.alloc(Obj::Frame(Box::new(s)))),
                None => Value::Nil,
            };
            match self.fiber_status(id) {
                Some(Status::Parked(Wait::Io(_))) => self.io_forget(id),
                // Its pending wake-up must not cut short a sleep of the restarted code.
                Some(Status::Parked(Wait::Sleep)) => self.sched.cancel_timers(id),
                _ => {}
            }
            let Some(func) = self.tables.function(new) else { continue };
            let (arity, locals, size) = (func.proto.arity as usize, func.proto.num_locals as usize, func.frame_size());
            let Some(f) = self.sched.fibers.get_mut(&id) else { continue };
            let was_runnable = f.status == Status::Runnable;
            f.stack.clear();
            f.frames.clear();
            f.stack.reserve(size);
            f.stack.push(frame);
            f.stack.resize(locals.max(arity), Value::Nil);
            f.frames.push(Frame { func: new, pc: 0, base: 0, ret: 0, closure: None });
            f.entry = Some(new);
            f.pending_error = None;
            f.status = Status::Runnable;
            if !was_runnable {
                self.sched.runq.push_back(id);
            }
        }
        n
    }
}
