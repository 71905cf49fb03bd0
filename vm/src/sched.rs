//! The scheduler: a run queue of fibers, a timer heap for `sleep`, and the outer loop that resumes
//! one fiber for a bounded slice, then decides what runs next (piccolo's "stackless" executor).
//!
//! Because the interpreter always comes back here between slices, stopping the world is simply not
//! resuming anyone ([`crate::Step::Stopped`]); the update engine will live in this loop.
//!
//! Waiting: when nothing is runnable, stdout is flushed and the event loop (`crate::io`) waits for
//! socket readiness until the next timer; fibers parked on sockets wait with [`Wait::Io`]. When
//! every fiber is parked and neither a timer nor a socket could wake one, the program stops with
//! `deadlock`.

use crate::error::{Ctl, ErrorReport, RtError};
use crate::fiber::{Fiber, FiberId, Status, Task, Wait};
use crate::interp::Exit;
use crate::value::Value;
use crate::vm::{Step, Vm, EXIT_RUNTIME_ERROR, SLICE};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// An extra source of wake-ups for embedders (`Vm::set_event_source`); the VM's own sockets live
/// in `crate::io`, which polls this source too when it has waiters.
pub trait EventSource {
    /// Number of fibers parked on this source (zero means it cannot wake anyone).
    fn waiting(&self) -> usize;
    /// Blocks up to `timeout` (forever when `None`) for readiness, then appends each fiber to wake
    /// with the value its parked operation returns.
    fn poll(&mut self, timeout: Option<Duration>, ready: &mut Vec<(FiberId, Value)>);
}

/// The default extra event source: nobody waits on it; polling just sleeps.
#[derive(Debug, Default)]
pub struct NoEvents;

impl EventSource for NoEvents {
    fn waiting(&self) -> usize {
        0
    }

    fn poll(&mut self, timeout: Option<Duration>, _ready: &mut Vec<(FiberId, Value)>) {
        if let Some(t) = timeout {
            std::thread::sleep(t);
        }
    }
}

/// Fibers, run queue and timers.
pub struct Scheduler {
    pub(crate) fibers: HashMap<FiberId, Box<Fiber>, ahash::RandomState>,
    pub(crate) runq: VecDeque<FiberId>,
    timers: BinaryHeap<Reverse<(Instant, u64, FiberId)>>,
    timer_seq: u64,
    next_id: u32,
    pub(crate) main: Option<FiberId>,
    /// The event loop: sockets and the fibers parked on them (`crate::io`).
    pub(crate) net: crate::io::Reactor,
    /// An embedder's extra event source.
    pub(crate) events: Box<dyn EventSource>,
}

impl Scheduler {
    /// An empty scheduler.
    pub fn new() -> Scheduler {
        Scheduler {
            fibers: HashMap::default(),
            runq: VecDeque::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            next_id: 1,
            main: None,
            net: crate::io::Reactor::new(),
            events: Box::new(NoEvents),
        }
    }

    /// A fresh fiber number.
    pub(crate) fn next_fiber_id(&mut self) -> FiberId {
        let id = FiberId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Wakes `fiber` at `at`.
    pub(crate) fn add_timer(&mut self, at: Instant, fiber: FiberId) {
        self.timer_seq += 1;
        self.timers.push(Reverse((at, self.timer_seq, fiber)));
    }

    /// Drops every pending timer of `fiber` (its stack is being replaced: `reboot`).
    pub(crate) fn cancel_timers(&mut self, fiber: FiberId) {
        self.timers.retain(|Reverse((_, _, f))| *f != fiber);
    }

    /// The earliest pending timer.
    fn next_timer(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new()
    }
}

impl Vm {
    /// One scheduler turn (see [`Vm::step`]).
    pub(crate) fn turn(&mut self) -> Step {
        self.fire_timers(Instant::now());
        if self.stop.swap(false, Ordering::Relaxed) {
            return Step::Stopped;
        }
        if let Some(id) = self.sched.runq.pop_front() {
            self.run_slice(id);
            self.io.flush_if_due();
            self.io_poll_if_due();
        } else {
            self.io.flush();
            let next = self.sched.next_timer();
            if !self.io_idle(next) && !self.release_held() {
                self.deadlock();
            }
        }
        match &self.finished {
            Some(o) => Step::Finished(o.clone()),
            None => Step::Running,
        }
    }

    /// Wakes every sleeper whose time has come.
    fn fire_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, _, f))) = self.sched.timers.peek().copied() {
            if at > now {
                break;
            }
            self.sched.timers.pop();
            if self.fiber_status(f) == Some(Status::Parked(Wait::Sleep)) {
                self.wake(f, Value::Nil);
            }
        }
    }

    /// The status of a fiber (the running one reports `Running`).
    pub(crate) fn fiber_status(&self, id: FiberId) -> Option<Status> {
        self.sched.fibers.get(&id).map(|f| f.status)
    }

    /// Makes a parked fiber runnable, pushing `result` as the value of the operation it parked in.
    pub(crate) fn wake(&mut self, id: FiberId, result: Value) {
        if let Some(f) = self.sched.fibers.get_mut(&id) {
            if let Status::Parked(_) = f.status {
                f.stack.push(result);
                f.status = Status::Runnable;
                self.sched.runq.push_back(id);
            }
        }
    }

    /// Wakes a parked fiber with an error to raise when it resumes.
    pub(crate) fn wake_with_error(&mut self, id: FiberId, e: RtError) {
        if let Some(f) = self.sched.fibers.get_mut(&id) {
            if let Status::Parked(_) = f.status {
                f.pending_error = Some(e);
                f.status = Status::Runnable;
                self.sched.runq.push_back(id);
            }
        }
    }

    /// Runs fiber `id` for one slice and files the outcome.
    fn run_slice(&mut self, id: FiberId) {
        let Some(f) = self.sched.fibers.get_mut(&id) else { return };
        if f.status != Status::Runnable {
            return;
        }
        // Live update: a fiber at the entry of an affected function waits for the update to end.
        if self.dsu.pending.is_some() && self.hold_at_entry(id) {
            return;
        }
        let Some(f) = self.sched.fibers.get_mut(&id) else { return };
        f.status = Status::Running;
        if !self.dsu.preempted.is_empty() {
            self.dsu.preempted.remove(&id);
        }
        std::mem::swap(&mut self.stack, &mut f.stack);
        std::mem::swap(&mut self.frames, &mut f.frames);
        let pending = f.pending_error.take();
        self.current = Some(id);
        self.budget = SLICE;
        self.arm_gate();
        self.load_barrier(id);
        let mut exit = match pending {
            Some(e) => Exit::Error(e),
            None => self.execute(0),
        };
        while matches!(exit, Exit::Barrier) {
            self.barrier_crossed();
            exit = self.execute(0);
        }
        self.file_exit(id, exit);
        self.current = None;
        self.dsu.ret_barrier = 0;
        if self.dsu.recheck {
            self.poll_pending();
        }
    }

    /// Puts the running fiber's state back into its record and acts on how its slice ended.
    fn file_exit(&mut self, id: FiberId, exit: Exit) {
        let error = match &exit {
            Exit::Error(e) => Some(ErrorReport { error: e.clone(), trace: self.trace(&self.frames) }),
            _ => None,
        };
        let parking = self.parking.take();
        let Some(f) = self.sched.fibers.get_mut(&id) else { return };
        std::mem::swap(&mut self.stack, &mut f.stack);
        std::mem::swap(&mut self.frames, &mut f.frames);
        match exit {
            // (`run_slice` resumes after a barrier, so it never ends a slice.)
            Exit::Yield | Exit::Barrier => {
                f.status = Status::Runnable;
                self.sched.runq.push_back(id);
                // A passive fiber preempted here is not at an update point (updates.md).
                if !self.dsu.passive.is_empty() && self.dsu.passive.contains(&id) {
                    self.dsu.preempted.insert(id);
                }
            }
            Exit::Park => f.status = Status::Parked(parking.unwrap_or(Wait::Sleep)),
            Exit::Done(v) => self.task_done(id, v),
            Exit::Quit(code) => self.finish(code, None),
            Exit::Error(_) => {
                let report =
                    error.unwrap_or_else(|| ErrorReport { error: RtError::internal("lost error"), trace: vec![] });
                self.io.eprint(&report.to_string());
                self.fiber_done(id, false);
                if Some(id) == self.sched.main {
                    self.finish(EXIT_RUNTIME_ERROR, Some(report));
                }
            }
        }
    }

    /// The fiber's bottom frame returned `v`: store an initialiser's result, start the next task,
    /// or finish the fiber (and the program, for `main`).
    fn task_done(&mut self, id: FiberId, v: Value) {
        let Some(f) = self.sched.fibers.get_mut(&id) else { return };
        match f.tasks.pop_front() {
            Some(Task::InitGlobal { slot, .. }) => {
                self.tables.set_global(slot, v);
                self.start_next_task(id);
            }
            Some(Task::Main { .. }) => {
                self.fiber_done(id, true);
                self.finish(0, None);
            }
            Some(Task::Spawned) | None => self.fiber_done(id, true),
        }
    }

    /// Marks a fiber finished, drops its stack and wakes the fibers joining it.
    pub(crate) fn fiber_done(&mut self, id: FiberId, ok: bool) {
        self.io_fiber_done(id);
        self.dsu_fiber_gone(id);
        let Some(f) = self.sched.fibers.get_mut(&id) else { return };
        f.status = Status::Done { ok };
        f.stack = Vec::new();
        f.frames = Vec::new();
        f.tasks.clear();
        let joiners = std::mem::take(&mut f.joiners);
        for j in joiners {
            self.wake(j, Value::Bool(ok));
        }
    }

    /// Every fiber is parked and nothing can wake one: the program stops with `deadlock`, reported
    /// at the main fiber's position.
    fn deadlock(&mut self) {
        let trace = match self.sched.main.and_then(|m| self.sched.fibers.get(&m)) {
            Some(f) => self.trace(&f.frames),
            None => Vec::new(),
        };
        let report = ErrorReport { error: RtError::deadlock(), trace };
        self.io.eprint(&report.to_string());
        self.finish(EXIT_RUNTIME_ERROR, Some(report));
    }

    /// `__time_sleep(ms)`: parks the running fiber until the timer fires (ms <= 0 just yields to
    /// the fibers already queued).
    pub(crate) fn sleep(&mut self, ms: i64) -> Ctl {
        let me = self.current_fiber();
        // Ten years is forever for a sleeping fiber, and keeps the deadline representable.
        let ms = ms.clamp(0, 10 * 365 * 24 * 3600 * 1000) as u64;
        let now = Instant::now();
        let at = now.checked_add(Duration::from_millis(ms)).unwrap_or(now);
        let ctl = self.park(Wait::Sleep);
        if ctl == Ctl::Park {
            self.sched.add_timer(at, me);
        }
        ctl
    }
}
