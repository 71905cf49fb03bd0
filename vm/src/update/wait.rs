//! Step 2: is this a safe point? An update may commit only when no fiber has a frame of an
//! affected function (one whose code changed, or that the update removes). Parked fibers (sleep,
//! channels, join, I/O) are at an update point by construction: their frames are data in their
//! records, so they count like any other fiber — parked in an unaffected frame, they never delay
//! an update.
//!
//! **The entry gate.** While an update is pending, a fiber about to enter an affected function is
//! held at that entry: [`Vm::gate_tick`] (reached from the interpreter's cold budget path, which
//! the scheduler makes fire at every update point only while an update is pending) stops the slice
//! when the frame just pushed is at pc 0 of an affected function, and the scheduler then keeps the
//! fiber out of the run queue ([`Vm::hold_at_entry`]) until the update commits or aborts. A frame
//! at pc 0 whose new version has the same arity does not hold the update back: after commit it
//! simply starts the new code (commit resizes its locals). So under steady load a safe point
//! comes as soon as the affected frames already running return. Outside an update nothing of this
//! runs: the only added work is one test per scheduler slice.
//!
//! **Return barriers.** When the update is requested, each fiber with an affected frame gets a
//! barrier on its *oldest* affected frame (its depth in the fiber's frame stack). The interpreter
//! notices the barrier in the comparison it already makes at every return (`Vm::execute`'s
//! `watch`), so a fiber pays nothing for it. Once that frame has returned, no older frame of the
//! fiber is affected, so the fiber no longer holds the update: crossing the barrier sets
//! `DsuState::recheck`, and the scheduler runs the safe-point check right after that slice (also
//! after a fiber ends or is held at an entry). Between such events nothing is re-scanned; a
//! driver's poll only looks at the flag and the timeout.

use crate::fiber::{FiberId, Frame, Status};
use crate::interp::Exit;
use crate::update::analyse::Plan;
use crate::value::Value;
use crate::vm::{Vm, SLICE};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// An analysed update waiting for its safe point: step 2 takes the [`Plan`] and holds it here
/// until the pause takes it.
#[derive(Debug)]
pub(crate) struct Pending {
    pub id: u64,
    pub plan: Plan,
    pub started: Instant,
    pub timeout: Duration,
    pub analyse_us: u64,
    /// Return barriers: fiber → depth of its oldest affected frame (see the module docs).
    pub barriers: HashMap<FiberId, usize>,
}

/// Where the wait of an update stands.
pub(crate) enum WaitState {
    /// Not yet a safe point, and time is left.
    Waiting,
    /// No such update is pending (it has ended).
    Gone,
    /// No safe point came within the timeout: the reason names every holder.
    TimedOut(String),
    /// A safe point: the update leaves the wait for its pause.
    Safe(Box<Pending>),
}

/// A fiber whose stack holds an affected function, and the oldest such frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub fiber: FiberId,
    /// Index of the held-back frame in the fiber's frame stack (where its return barrier goes).
    pub depth: usize,
    pub fiber_name: Option<String>,
    /// Qualified function name.
    pub function: String,
    pub line: u32,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<fiber {}>", self.fiber.0)?;
        if let Some(n) = &self.fiber_name {
            write!(f, " ({n})")?;
        }
        write!(f, " in {} (line {})", self.function, self.line)
    }
}

/// True when `frames` ends with a frame stopped at the entry of an affected function that the
/// update replaces in place with the same arity (it will start the new version).
fn entry_frame_movable(vm: &Vm, frames: &[Frame], plan: &Plan) -> bool {
    let Some(top) = frames.last() else { return false };
    let Some(&arity) = plan.entry_arity.get(&top.func.0) else { return false };
    top.pc == 0 && vm.tables.function(top.func).is_some_and(|f| f.proto.arity == arity)
}

/// True when the fiber's top frame has just entered an affected function and no older frame is
/// affected (so that frame would be the fiber's oldest affected one).
fn entering_affected(frames: &[Frame], plan: &Plan) -> bool {
    match frames.split_last() {
        Some((top, older)) => {
            top.pc == 0
                && plan.affected.contains(&top.func.0)
                && !older.iter().any(|f| plan.affected.contains(&f.func.0))
        }
        None => false,
    }
}

/// True when the fiber should be held: it is entering an affected function whose new version
/// it can start after the commit (same arity). Holding a fiber whose entry frame cannot move
/// would keep the update from ever committing, so such a fiber runs on and gets a return
/// barrier instead.
fn holdable(vm: &Vm, frames: &[Frame], plan: &Plan) -> bool {
    entering_affected(frames, plan) && entry_frame_movable(vm, frames, plan)
}

/// Every fiber that holds the update back (empty at a safe point). The running fiber (when the
/// update is requested from inside the program) is checked through the VM's live frames.
pub(crate) fn holders(vm: &Vm, plan: &Plan) -> Vec<Holder> {
    let mut out = Vec::new();
    // A fiber inside `dsu.hold`, or a passive fiber preempted between two of its update points,
    // holds back every update, whatever it changes.
    let mut whole: Vec<(FiberId, &str)> = vm.dsu.holds.keys().map(|&id| (id, "a dsu.hold block")).collect();
    whole.extend(vm.dsu.preempted.iter().map(|&id| (id, "a passive fiber between update points")));
    whole.sort_by_key(|&(id, _)| id);
    whole.dedup_by_key(|&mut (id, _)| id);
    for (id, why) in whole {
        let Some(f) = vm.sched.fibers.get(&id).filter(|f| !f.is_done()) else { continue };
        let frames: &[Frame] = if vm.current == Some(id) { &vm.frames } else { &f.frames };
        let top = frames.last().and_then(|fr| vm.tables.function(fr.func).map(|func| (func, fr)));
        let now_in = top.map(|(func, _)| func.proto.name.as_str()).unwrap_or("?");
        out.push(Holder {
            fiber: id,
            fiber_name: f.name.clone(),
            depth: 0,
            function: format!("{why}, now in {now_in}"),
            line: top.map(|(func, fr)| func.line(fr.current_pc())).unwrap_or(0),
        });
    }
    if plan.affected.is_empty() {
        return out;
    }
    // Fibers that the update reboots lose their stacks at commit: they hold nothing back.
    let rebooted = crate::update::reboot::rebooted_entries(plan);
    for id in vm.fiber_ids() {
        let Some(f) = vm.sched.fibers.get(&id) else { continue };
        if f.entry.is_some_and(|e| rebooted.contains(&e)) && vm.current != Some(id) {
            continue;
        }
        let mut frames: &[Frame] = match f.status {
            Status::Done { .. } => continue,
            Status::Running if vm.current == Some(id) => &vm.frames,
            _ => &f.frames,
        };
        if vm.current != Some(id) && entry_frame_movable(vm, frames, plan) {
            frames = &frames[..frames.len() - 1];
        }
        if out.iter().any(|h| h.fiber == id) {
            continue;
        }
        // A frame that a remap moves to the new code at commit holds nothing back.
        let me = vm.current == Some(id);
        let moves = |fr: &Frame| !me && plan.remaps.get(&fr.func.0).is_some_and(|t| t.points.contains_key(&fr.pc));
        let held = frames.iter().enumerate().find(|(_, fr)| plan.affected.contains(&fr.func.0) && !moves(fr));
        if let Some((depth, fr)) = held {
            let func = vm.tables.function(fr.func);
            let mut function = func.map(|f| f.proto.name.clone()).unwrap_or_else(|| "?".into());
            if let Some(why) = plan.remaps.get(&fr.func.0).map(|t| t.unmapped.get(&fr.pc)) {
                let why = why.map(String::as_str).unwrap_or("it is not at a continuation point");
                function = format!("{function}, which cannot be remapped there: {why}");
            }
            out.push(Holder {
                fiber: id,
                depth,
                fiber_name: f.name.clone(),
                function,
                line: func.map(|f| f.line(fr.current_pc())).unwrap_or(0),
            });
        }
    }
    out
}

impl Vm {
    /// Starts waiting for the safe point of analysed update `id`.
    pub(crate) fn start_wait(&mut self, id: u64, plan: Plan, timeout: Duration, analyse_us: u64) {
        self.dsu.pending =
            Some(Pending { id, plan, started: Instant::now(), timeout, analyse_us, barriers: HashMap::new() });
        // The first safe-point check (and the barriers) at the next poll.
        self.dsu.recheck = true;
    }

    /// The safe-point check of update `id`, when something happened that could end its wait
    /// (`DsuState::recheck`) or its time is up; between those nothing is rescanned.
    pub(crate) fn check_wait(&mut self, id: u64) -> WaitState {
        let Some(p) = self.dsu.pending.as_ref().filter(|p| p.id == id) else {
            return WaitState::Gone;
        };
        let timeout = p.timeout;
        let timed_out = p.started.elapsed() >= timeout;
        if !self.dsu.recheck && !timed_out {
            return WaitState::Waiting;
        }
        self.dsu.recheck = false;
        let held: Vec<Holder> = holders(self, &p.plan);
        if let Some(p) = self.dsu.pending.as_mut() {
            p.barriers = held.iter().filter(|h| h.depth > 0).map(|h| (h.fiber, h.depth)).collect();
        }
        if held.is_empty() {
            return match self.dsu.pending.take() {
                Some(p) => WaitState::Safe(Box::new(p)),
                None => WaitState::Gone,
            };
        }
        if timed_out {
            let list: Vec<String> = held.iter().map(|h| h.to_string()).collect();
            return WaitState::TimedOut(format!(
                "no safe point within {} ms: held back by {}",
                timeout.as_millis(),
                list.join("; ")
            ));
        }
        WaitState::Waiting
    }

    /// The interpreter's budget ran out while an update is pending (the scheduler sets the budget
    /// to 1 then, so this runs at every update point of the slice). Stops the slice when the frame
    /// just entered is an affected function's, or when the slice's real budget is used up.
    #[cold]
    pub(crate) fn gate_tick(&mut self) -> Result<(), Exit> {
        if self.nested > 0 {
            self.budget = SLICE;
            return Ok(());
        }
        self.dsu.gate_ticks -= 1;
        // Entering an affected function: stop the slice. A movable entry is then held by the
        // scheduler; any other becomes a holder, and the recheck after this slice gives it a
        // return barrier before it runs on.
        let at_entry = match &self.dsu.pending {
            Some(p) => entering_affected(&self.frames, &p.plan),
            None => false,
        };
        if at_entry {
            self.dsu.recheck = true;
        }
        if at_entry || self.dsu.gate_ticks <= 0 {
            self.budget = SLICE;
            return Err(Exit::Yield);
        }
        self.budget = 1;
        Ok(())
    }

    /// Called by the scheduler before it runs fiber `id` while an update is pending: a fiber
    /// stopped at the entry of an affected function is held (kept out of the run queue) until the
    /// update ends. Otherwise arms the entry gate for the slice. Returns true when held.
    pub(crate) fn hold_at_entry(&mut self, id: FiberId) -> bool {
        let Some(p) = &self.dsu.pending else { return false };
        // A fiber inside a `dsu.hold` block, or a passive one between update points, is one the
        // update waits for: holding it here would deadlock until the timeout (updates.md,
        // "Update points"). It runs on in the old code.
        if self.dsu.holds.contains_key(&id) || self.dsu.passive.contains(&id) {
            return false;
        }
        let held = self.sched.fibers.get(&id).is_some_and(|f| holdable(self, &f.frames, &p.plan));
        if held {
            self.dsu.held.push(id);
            self.dsu.recheck = true;
        }
        held
    }

    /// Loads fiber `id`'s return barrier for the slice about to run (0 when none).
    pub(crate) fn load_barrier(&mut self, id: FiberId) {
        self.dsu.ret_barrier = match &self.dsu.pending {
            Some(p) => p.barriers.get(&id).copied().unwrap_or(0),
            None => 0,
        };
    }

    /// The running fiber's oldest affected frame has returned (see the module docs).
    #[cold]
    pub(crate) fn barrier_crossed(&mut self) {
        self.dsu.ret_barrier = 0;
        if let (Some(p), Some(me)) = (self.dsu.pending.as_mut(), self.current) {
            p.barriers.remove(&me);
        }
        self.dsu.recheck = true;
    }

    /// A fiber ended: it can no longer hold the pending update back (a `dsu.hold` block it died
    /// in ends with it).
    pub(crate) fn dsu_fiber_gone(&mut self, id: FiberId) {
        self.dsu.holds.remove(&id);
        self.dsu.passive.remove(&id);
        self.dsu.preempted.remove(&id);
        if let Some(p) = self.dsu.pending.as_mut() {
            p.barriers.remove(&id);
            self.dsu.recheck = true;
        }
    }

    /// Runs the pending update's safe-point check now (the scheduler calls it after a slice in
    /// which something could have ended the wait).
    pub(crate) fn poll_pending(&mut self) {
        if let Some(id) = self.dsu.pending.as_ref().map(|p| p.id) {
            self.poll_update(id);
        }
    }

    /// Arms the entry gate for the slice about to run (only while an update is pending).
    pub(crate) fn arm_gate(&mut self) {
        if self.dsu.pending.is_some() {
            self.dsu.gate_ticks = SLICE;
            self.budget = 1;
        }
    }

    /// Puts every held fiber back in the run queue (the update ended, or holding them would
    /// deadlock the program). Returns true when there were some.
    pub(crate) fn release_held(&mut self) -> bool {
        let held = std::mem::take(&mut self.dsu.held);
        let any = !held.is_empty();
        for id in held {
            if self.sched.fibers.get(&id).is_some_and(|f| f.status == Status::Runnable) {
                self.sched.runq.push_back(id);
            }
        }
        any
    }

    /// After a commit: every fiber stopped at the entry of a replaced function gets the new
    /// version's local slots (its arguments stay; new locals start as nil).
    pub(crate) fn fix_entry_frames(&mut self, plan: &Plan) {
        let Vm { sched, tables, current, .. } = self;
        for (id, f) in sched.fibers.iter_mut() {
            if Some(*id) == *current || f.is_done() {
                continue;
            }
            let Some(top) = f.frames.last() else { continue };
            if top.pc != 0 || !plan.entry_arity.contains_key(&top.func.0) {
                continue;
            }
            if let Some(func) = tables.function(top.func) {
                let base = top.base as usize;
                f.stack.truncate(base + func.proto.arity as usize);
                f.stack.resize(base + func.proto.num_locals as usize, Value::Nil);
                f.stack.reserve(func.frame_size());
            }
        }
    }
}
