//! `reboot F => g(args)` (updates.md, "Code active on the stack"): every fiber whose entry
//! function is `F` has its stack discarded at commit and restarts as if spawned with `g(args)` in
//! the new version. The arguments are evaluated before the commit, in the staging area, by the
//! script's compiled `<reboot F>(frame)`, where `frame` is a `dsu.Frame` snapshot of the old
//! entry frame (so `args` can carry its locals over: `frame.local("port")`); an error there aborts
//! the update like any other script error. Such fibers never hold the update back (their stacks
//! do not survive it), and afterwards `g` is their entry function: nothing of the script stays on
//! their stacks.
//!
//! A fiber is rebooted wherever it is parked (updates.md): one waiting in `recv`, `send` or
//! `join` is first taken out of that wait (removed from the channel's queues — a parked sender's
//! value goes with it — or from the joined fiber's joiners), one in a sleep or on a socket has its
//! timer or socket waits dropped.

use crate::fiber::{FiberId, Frame, Status, Wait};
use crate::heap::{FrameSnapshot, Obj};
use crate::update::analyse::Plan;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::types::FuncId;

/// One fiber to reboot, as found before staging.
pub(crate) struct RebootFiber {
    pub fiber: FiberId,
    /// The script function computing the restart call's arguments.
    pub args: FuncId,
    /// The new entry function.
    pub callee: FuncId,
    /// The old entry frame.
    pub snapshot: Option<FrameSnapshot>,
}

/// A fiber's restart, ready for the commit: its new entry function and arguments (rooted).
pub(crate) struct Restart {
    pub fiber: FiberId,
    pub callee: FuncId,
    pub args: Vec<Value>,
}

/// The old entry functions the plan reboots.
pub(crate) fn rebooted_entries(plan: &Plan) -> Vec<FuncId> {
    plan.script.as_ref().map(|s| s.reboots.iter().map(|&(old, _, _)| old).collect()).unwrap_or_default()
}

impl Vm {
    /// The fibers the plan reboots, in id order: (fiber, argument function, new entry).
    fn fibers_to_reboot(&self, plan: &Plan) -> Vec<(FiberId, FuncId, FuncId)> {
        let Some(sp) = plan.script.as_ref().filter(|s| !s.reboots.is_empty()) else { return Vec::new() };
        let mut out: Vec<(FiberId, FuncId, FuncId)> = self
            .sched
            .fibers
            .iter()
            .filter(|(_, f)| !f.is_done())
            .filter_map(|(id, f)| {
                let entry = f.entry?;
                sp.reboots.iter().find(|(old, _, _)| *old == entry).map(|&(_, args, callee)| (*id, args, callee))
            })
            .collect();
        out.sort();
        out
    }

    /// The fibers to reboot with a snapshot of each one's entry frame, taken while the running
    /// tables (whose metadata describes those frames) are still installed; before anything
    /// changes, an error when one cannot be rebooted: the requesting fiber.
    pub(crate) fn prepare_reboots(&self, plan: &Plan) -> Result<Vec<RebootFiber>, String> {
        let fibers = self.fibers_to_reboot(plan);
        for &(id, _, _) in &fibers {
            if self.current == Some(id) {
                return Err(format!("cannot reboot <fiber {}>: it is the fiber requesting the update", id.0));
            }
        }
        Ok(fibers
            .into_iter()
            .map(|(fiber, args, callee)| RebootFiber {
                fiber,
                args,
                callee,
                snapshot: self.snapshot_frames(fiber).pop(),
            })
            .collect())
    }

    /// Evaluates each restart call's arguments in the staging area (the caller has the script's
    /// `old.` view in place); the values are rooted until the commit or abort truncates the roots.
    pub(crate) fn evaluate_reboots(&mut self, fibers: Vec<RebootFiber>) -> Result<Vec<Restart>, String> {
        let mut out = Vec::with_capacity(fibers.len());
        for r in fibers {
            let frame = match r.snapshot {
                Some(s) => Value::Obj(self.heap.alloc(Obj::Frame(Box::new(s)))),
                None => Value::Nil,
            };
            self.roots.push(frame);
            let list = self
                .call_staged(r.args, &[frame])
                .map_err(|e| format!("in the restart call of <fiber {}>: {e}", r.fiber.0))?;
            self.roots.push(list);
            let args = match list.handle().map(|h| self.heap.get(h)) {
                Some(Obj::List(items)) => items.to_vec(),
                _ => return Err(format!("internal: the restart call of <fiber {}> gave no arguments", r.fiber.0)),
            };
            out.push(Restart { fiber: r.fiber, callee: r.callee, args });
        }
        Ok(out)
    }

    /// Restarts the fibers (see the module docs); returns how many. Runs at commit, after every
    /// validation passed.
    pub(crate) fn reboot_fibers(&mut self, restarts: Vec<Restart>) -> usize {
        let n = restarts.len();
        for Restart { fiber: id, callee, args } in restarts {
            match self.fiber_status(id) {
                Some(Status::Parked(Wait::Io(_))) => self.io_forget(id),
                // Its pending wake-up must not cut short a sleep of the restarted code.
                Some(Status::Parked(Wait::Sleep)) => self.sched.cancel_timers(id),
                // Out of the channel's queues: nobody hands it a value or takes its own.
                Some(Status::Parked(Wait::Send(h) | Wait::Recv(h))) => {
                    if let Obj::Chan(c) = self.heap.get_mut(h) {
                        c.forget(id);
                    }
                }
                Some(Status::Parked(Wait::Join(other))) => {
                    if let Some(o) = self.sched.fibers.get_mut(&other) {
                        o.joiners.retain(|&j| j != id);
                    }
                }
                _ => {}
            }
            let Some(func) = self.tables.function(callee) else { continue };
            let (arity, locals, size) = (func.proto.arity as usize, func.proto.num_locals as usize, func.frame_size());
            let Some(f) = self.sched.fibers.get_mut(&id) else { continue };
            let was_runnable = f.status == Status::Runnable;
            f.stack.clear();
            f.frames.clear();
            f.stack.reserve(size);
            f.stack.extend(args.iter().copied().take(arity));
            f.stack.resize(locals.max(arity), Value::Nil);
            f.frames.push(Frame { func: callee, pc: 0, base: 0, ret: 0, closure: None });
            f.entry = Some(callee);
            f.pending_error = None;
            f.status = Status::Runnable;
            if !was_runnable {
                self.sched.runq.push_back(id);
            }
        }
        n
    }
}
