//! The event loop: non-blocking sockets on `mio`, integrated with the scheduler.
//!
//! A `std.net` native first attempts its operation without blocking (`stream`); when the OS says
//! `WouldBlock`, the calling fiber parks with `Wait::Io(id)` and is recorded as the socket's
//! reader or writer. When no fiber is runnable, the scheduler calls `Vm::io_idle`, which polls
//! mio with the timeout of the next timer (or read deadline), attempts the parked operations of
//! every socket that became ready, and wakes the fibers whose operation finished. While fibers
//! run, `Vm::io_poll_if_due` polls without waiting every 200 µs or so, so busy fibers cannot
//! starve the network.
//!
//! `std.io.read_line` on the process's stdin parks its fiber the same way while a helper thread
//! reads the line (`stdin`).
//!
//! Stopping the world needs nothing from here: a parked fiber is between two instructions, and
//! the scheduler simply does not resume anyone; readiness seen meanwhile only queues fibers. A
//! wait in mio lasts at most `MAX_WAIT`, so a stop requested from another thread is seen soon.
//!
//! Failures: natives return a failure value (-1, nil or false) and record the OS's message for
//! the calling fiber (`__net_last_error`), so `std.net` raises it as a runtime error while
//! `std.http` can answer or drop a broken connection without dying.
//!
//! Closing: `Conn.close()`; when the program ends (the reactor is dropped with the VM); and by
//! the collector: each socket records the handle of the Newt object that owns it
//! (`__net_own`), as a weak reference. Before a collection the handle is resolved through
//! `become` forwarding; right after the sweep (before anything can reuse the entry) a handle that
//! was freed means the object died, and the socket is closed. When a fiber that last used a
//! socket dies, the next idle point runs a collection so its unreachable sockets close promptly.

pub(crate) mod stdin;
pub(crate) mod stream;

use crate::error::RtError;
use crate::fiber::{FiberId, Status, Wait};
use crate::heap::Obj;
use crate::value::Value;
use crate::vm::Vm;
use mio::{Events, Interest, Poll, Token};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};
use stream::{Attempt, Done, Kind, Op, Resource, Waiter};

/// The longest single wait in the OS, so that a stop request from another thread is seen.
pub const MAX_WAIT: Duration = Duration::from_millis(50);

/// How often the scheduler looks for readiness between slices while fibers run (an `epoll_wait`
/// with zero timeout costs about a microsecond; polling often keeps request latency low).
const POLL_INTERVAL: Duration = Duration::from_micros(200);

/// The shortest time between two collections asked for by dying socket owners.
const GC_INTERVAL: Duration = Duration::from_millis(20);

/// The sockets of a VM and the fibers parked on them.
pub struct Reactor {
    poll: Option<Poll>,
    events: Option<Events>,
    pub(crate) res: HashMap<u64, Resource, ahash::RandomState>,
    next_id: u64,
    /// Fibers parked on a socket.
    parked: usize,
    /// Read deadlines: (when, socket, fiber); stale entries are skipped.
    deadlines: BinaryHeap<Reverse<(Instant, u64, FiberId)>>,
    /// The last failure message of each fiber (`__net_last_error`).
    pub(crate) errors: HashMap<FiberId, String, ahash::RandomState>,
    /// How many sockets each fiber used last.
    owned: HashMap<FiberId, u32, ahash::RandomState>,
    gc_wanted: bool,
    last_gc: Instant,
    last_poll: Instant,
    /// Wakes the poll from another thread (the stdin reader).
    waker: Option<std::sync::Arc<mio::Waker>>,
    /// The stdin reader, started by the first `std.io.read_line` on the process's stdin.
    pub(crate) stdin: Option<stdin::StdinPump>,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor").field("sockets", &self.res.len()).field("parked", &self.parked).finish()
    }
}

impl Default for Reactor {
    fn default() -> Self {
        Reactor::new()
    }
}

impl Reactor {
    /// An empty reactor; the OS poller is created with the first socket.
    pub fn new() -> Reactor {
        Reactor {
            poll: None,
            events: None,
            res: HashMap::default(),
            next_id: 1,
            parked: 0,
            deadlines: BinaryHeap::new(),
            errors: HashMap::default(),
            owned: HashMap::default(),
            gc_wanted: false,
            last_gc: Instant::now(),
            last_poll: Instant::now(),
            waker: None,
            stdin: None,
        }
    }

    /// Number of open sockets.
    pub fn open_sockets(&self) -> usize {
        self.res.len()
    }

    /// Fibers parked on sockets (they can be woken, so they are no deadlock).
    pub fn waiting(&self) -> usize {
        self.parked
    }

    /// Creates the OS poller on first use.
    fn ensure_poll(&mut self) -> Result<(), String> {
        if self.poll.is_none() {
            self.poll = Some(Poll::new().map_err(|e| e.to_string())?);
            self.events = Some(Events::with_capacity(1024));
        }
        Ok(())
    }

    /// The waker other threads use to interrupt the poll (created on first use).
    pub(crate) fn waker(&mut self) -> Result<std::sync::Arc<mio::Waker>, String> {
        self.ensure_poll()?;
        if let (None, Some(poll)) = (&self.waker, &self.poll) {
            let w = mio::Waker::new(poll.registry(), Token(stdin::STDIN_TOKEN as usize)).map_err(|e| e.to_string())?;
            self.waker = Some(std::sync::Arc::new(w));
        }
        self.waker.clone().ok_or_else(|| "no waker".to_string())
    }

    /// Adds a socket, registered for readiness, and returns its id.
    pub(crate) fn add(&mut self, mut kind: Kind) -> Result<u64, String> {
        self.ensure_poll()?;
        let Some(poll) = &self.poll else { return Err("no poller".into()) };
        let id = self.next_id;
        let token = Token(id as usize);
        let reg = match &mut kind {
            Kind::Listener(l) => poll.registry().register(l, token, Interest::READABLE),
            Kind::Stream(s) => poll.registry().register(s, token, Interest::READABLE | Interest::WRITABLE),
        };
        reg.map_err(|e| e.to_string())?;
        self.next_id += 1;
        self.res.insert(id, Resource::new(kind));
        Ok(id)
    }

    /// Removes and closes a socket; returns the fibers that were parked on it.
    pub(crate) fn remove(&mut self, id: u64) -> Vec<Waiter> {
        let Some(mut r) = self.res.remove(&id) else { return Vec::new() };
        if let Some(poll) = &self.poll {
            // Closing the descriptor removes it from epoll anyway; deregistering first is tidy.
            let _ = match &mut r.kind {
                Kind::Listener(l) => poll.registry().deregister(l),
                Kind::Stream(s) => poll.registry().deregister(s),
            };
        }
        if let Some(o) = r.owner {
            self.disown(o);
        }
        let waiters: Vec<Waiter> = r.reader.take().into_iter().chain(r.writer.take()).collect();
        self.parked -= waiters.len().min(self.parked);
        waiters
    }

    fn disown(&mut self, fiber: FiberId) {
        if let Some(n) = self.owned.get_mut(&fiber) {
            *n -= 1;
            if *n == 0 {
                self.owned.remove(&fiber);
            }
        }
    }

    /// Records that `fiber` uses socket `id` now.
    pub(crate) fn touch(&mut self, id: u64, fiber: FiberId) {
        let Some(r) = self.res.get_mut(&id) else { return };
        if r.owner == Some(fiber) {
            return;
        }
        let old = r.owner.replace(fiber);
        *self.owned.entry(fiber).or_insert(0) += 1;
        if let Some(o) = old {
            self.disown(o);
        }
    }

    /// Parks `w` on socket `id` (as reader when `reading`, else as writer), with a read deadline
    /// when the socket has a timeout.
    pub(crate) fn park(&mut self, id: u64, reading: bool, mut w: Waiter) {
        let Some(r) = self.res.get_mut(&id) else { return };
        if reading {
            w.deadline = r.timeout.and_then(|t| Instant::now().checked_add(t));
            if let Some(at) = w.deadline {
                self.deadlines.push(Reverse((at, id, w.fiber)));
            }
            r.reader = Some(w);
        } else {
            r.writer = Some(w);
        }
        self.parked += 1;
    }

    /// Drops the reader (or writer) of socket `id` that no longer waits.
    pub(crate) fn forget_waiter(&mut self, id: u64, reading: bool) {
        let Some(r) = self.res.get_mut(&id) else { return };
        let slot = if reading { &mut r.reader } else { &mut r.writer };
        if slot.take().is_some() {
            self.parked -= 1.min(self.parked);
        }
    }

    /// The earliest read deadline still in force, with its socket.
    fn next_deadline(&mut self) -> Option<(Instant, u64)> {
        while let Some(Reverse((at, id, fiber))) = self.deadlines.peek().copied() {
            let live =
                self.res.get(&id).and_then(|r| r.reader).is_some_and(|w| w.fiber == fiber && w.deadline == Some(at));
            if live {
                return Some((at, id));
            }
            self.deadlines.pop();
        }
        None
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        let ids: Vec<u64> = self.res.keys().copied().collect();
        for id in ids {
            self.remove(id);
        }
    }
}

impl Done {
    /// The value a finished operation gives the fiber.
    fn into_value(self, vm: &mut Vm, fiber: FiberId, op: Op) -> Value {
        match self {
            Done::Int(i) => Value::Int(i),
            Done::Str(s) => vm.new_str(&s),
            Done::Nil => Value::Nil,
            Done::Bool(b) => Value::Bool(b),
            Done::Fail(msg) => {
                vm.sched.net.errors.insert(fiber, msg);
                op.failure()
            }
        }
    }
}

impl Op {
    /// The value a native returns when this operation fails.
    pub(crate) fn failure(self) -> Value {
        match self {
            Op::Accept | Op::Connect => Value::Int(-1),
            Op::ReadLine { .. } | Op::Read { .. } => Value::Nil,
            Op::Write => Value::Bool(false),
        }
    }
}

impl Vm {
    /// Turns a finished operation into the native's result for the running fiber.
    pub(crate) fn io_result(&mut self, done: Done, op: Op) -> Value {
        let me = self.current_fiber();
        done.into_value(self, me, op)
    }

    /// Wakes a fiber parked on socket `id` with the outcome of its operation.
    fn io_complete(&mut self, id: u64, w: Waiter, done: Done) {
        let v = done.into_value(self, w.fiber, w.op);
        if self.fiber_status(w.fiber) == Some(Status::Parked(Wait::Io(id))) {
            self.wake(w.fiber, v);
        }
    }

    /// Attempts the operation of a parked waiter again; returns the waiter when it still waits.
    fn io_retry(&mut self, id: u64, w: Waiter) -> Option<Waiter> {
        let attempt = match self.sched.net.res.get_mut(&id) {
            None => Attempt::Done(Done::Fail("connection closed".into())),
            Some(r) => match w.op {
                Op::Accept => return self.io_accept_retry(id, w),
                Op::Connect => r.connect_done(),
                Op::ReadLine { max } => r.read_line(max),
                Op::Read { max } => r.read(max),
                Op::Write => r.write_more(),
            },
        };
        match attempt {
            Attempt::Block => Some(w),
            Attempt::Done(done) => {
                let done = match (w.op, done) {
                    (Op::Connect, Done::Nil) => Done::Int(id as i64),
                    (Op::Connect, Done::Fail(m)) => {
                        self.sched.net.remove(id);
                        Done::Fail(m)
                    }
                    (_, d) => d,
                };
                self.io_complete(id, w, done);
                None
            }
        }
    }

    /// Accepts on listener `id` for a waiter.
    fn io_accept_retry(&mut self, id: u64, w: Waiter) -> Option<Waiter> {
        match self.net_try_accept(id) {
            Attempt::Block => Some(w),
            Attempt::Done(d) => {
                self.io_complete(id, w, d);
                None
            }
        }
    }

    /// Accepts one connection on listener `id` without blocking.
    pub(crate) fn net_try_accept(&mut self, id: u64) -> Attempt {
        let net = &mut self.sched.net;
        let Some(Kind::Listener(l)) = net.res.get_mut(&id).map(|r| &mut r.kind) else {
            return Attempt::Done(Done::Fail("not a listener".into()));
        };
        loop {
            match l.accept() {
                Ok((stream, _)) => {
                    // Small request/response exchanges must not wait for Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    return Attempt::Done(match net.add(Kind::Stream(stream)) {
                        Ok(c) => Done::Int(c as i64),
                        Err(e) => Done::Fail(e),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Attempt::Block,
                // A connection reset before it was accepted concerns nobody: take the next one.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionAborted => continue,
                Err(e) => return Attempt::Done(Done::Fail(e.to_string())),
            }
        }
    }

    /// Retries the parked operations of socket `id` after a readiness event.
    fn io_ready(&mut self, id: u64) {
        for reading in [true, false] {
            let w = match self.sched.net.res.get_mut(&id) {
                Some(r) if reading => r.reader.take(),
                Some(r) => r.writer.take(),
                None => None,
            };
            let Some(w) = w else { continue };
            let net = &mut self.sched.net;
            net.parked -= 1.min(net.parked);
            if let Some(w) = self.io_retry(id, w) {
                let net = &mut self.sched.net;
                if let Some(r) = net.res.get_mut(&id) {
                    net.parked += 1;
                    if reading {
                        r.reader = Some(w);
                    } else {
                        r.writer = Some(w);
                    }
                }
            }
        }
    }

    /// Fails the reads whose deadline has passed with `timed out`.
    fn io_expire(&mut self, now: Instant) {
        while let Some((at, id)) = self.sched.net.next_deadline() {
            if at > now {
                break;
            }
            let net = &mut self.sched.net;
            net.deadlines.pop();
            let Some(w) = net.res.get_mut(&id).and_then(|r| r.reader.take()) else { continue };
            net.parked -= 1.min(net.parked);
            self.io_complete(id, w, Done::Fail("timed out".into()));
        }
    }

    /// Polls the OS for readiness for at most `timeout` and acts on what it reports.
    fn io_poll(&mut self, timeout: Option<Duration>) {
        let net = &mut self.sched.net;
        net.last_poll = Instant::now();
        let (Some(poll), Some(events)) = (&mut net.poll, &mut net.events) else {
            if let Some(t) = timeout {
                std::thread::sleep(t);
            }
            return;
        };
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != std::io::ErrorKind::Interrupted {
                self.io.eprint(&format!("warning: polling sockets failed: {e}\n"));
                std::thread::sleep(timeout.unwrap_or(MAX_WAIT).min(MAX_WAIT));
            }
            return;
        }
        let ids: Vec<u64> = events.iter().map(|e| e.token().0 as u64).collect();
        for id in ids {
            self.io_ready(id);
        }
        self.stdin_ready();
        self.io_expire(Instant::now());
    }

    /// Called by the scheduler when no fiber is runnable: waits for I/O or the next timer.
    /// Returns false when nothing at all could wake a fiber (the caller reports `deadlock`).
    pub(crate) fn io_idle(&mut self, next_timer: Option<Instant>) -> bool {
        if self.sched.net.gc_wanted && self.sched.net.last_gc.elapsed() >= GC_INTERVAL {
            self.sched.net.gc_wanted = false;
            self.sched.net.last_gc = Instant::now();
            self.collect();
            if !self.sched.runq.is_empty() {
                return true;
            }
        }
        let deadline = self.sched.net.next_deadline().map(|(at, _)| at);
        let wake_at = match (next_timer, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let external = self.sched.events.waiting();
        if wake_at.is_none() && self.sched.net.parked == 0 && external == 0 {
            return false;
        }
        let mut timeout = wake_at.map(|at| at.saturating_duration_since(Instant::now()));
        if self.sched.net.poll.is_some() {
            timeout = Some(timeout.map_or(MAX_WAIT, |t| t.min(MAX_WAIT)));
        }
        if external == 0 {
            self.io_poll(timeout);
        } else {
            // An embedder's source waits when there are no sockets; otherwise it is only checked.
            let sockets = self.sched.net.poll.is_some();
            if sockets {
                self.io_poll(timeout);
            }
            let mut ready = Vec::new();
            self.sched.events.poll(if sockets { Some(Duration::ZERO) } else { timeout }, &mut ready);
            for (f, v) in ready {
                self.wake(f, v);
            }
        }
        true
    }

    /// Called between slices: polls without waiting when fibers have been running for a while.
    pub(crate) fn io_poll_if_due(&mut self) {
        let net = &self.sched.net;
        if net.parked > 0 && net.last_poll.elapsed() >= POLL_INTERVAL {
            self.io_poll(Some(Duration::ZERO));
        }
    }

    /// Called when a fiber finishes: if it used sockets last, a collection at the next idle point
    /// closes those that nothing references any more.
    pub(crate) fn io_fiber_done(&mut self, fiber: FiberId) {
        let net = &mut self.sched.net;
        net.errors.remove(&fiber);
        if net.owned.contains_key(&fiber) {
            net.gc_wanted = true;
        }
    }

    /// Forgets every socket wait of `fiber` (for the update engine when it discards a parked
    /// fiber's stack, e.g. `reboot`): the fiber is no longer a reader or writer of anything.
    pub fn io_forget(&mut self, fiber: FiberId) {
        let net = &mut self.sched.net;
        let mut dropped = 0;
        for r in net.res.values_mut() {
            for slot in [&mut r.reader, &mut r.writer] {
                if slot.is_some_and(|w| w.fiber == fiber) {
                    *slot = None;
                    dropped += 1;
                }
            }
        }
        if let Some(p) = &mut net.stdin {
            if p.waiter == Some(fiber) {
                // The line being read will be dropped when it arrives.
                p.waiter = None;
                dropped += 1;
            }
        }
        net.parked -= dropped.min(net.parked);
    }

    /// Before a collection: follow `become` forwarding of the sockets' owning objects.
    pub(crate) fn io_before_gc(&mut self) {
        let Vm { heap, sched, .. } = self;
        for r in sched.net.res.values_mut() {
            if let Some(h) = r.holder {
                r.holder = Some(heap.resolve(h));
            }
        }
    }

    /// Right after a sweep: close the sockets whose owning object was freed.
    pub(crate) fn io_after_gc(&mut self) {
        let dead: Vec<u64> = self
            .sched
            .net
            .res
            .iter()
            .filter(|(_, r)| r.holder.is_some_and(|h| matches!(self.heap.entry(h), Some(Obj::Free(_)) | None)))
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            for w in self.sched.net.remove(id) {
                self.io_complete(id, w, Done::Fail("connection closed".into()));
            }
        }
    }

    /// Closes socket `id`, failing the operations other fibers are parked in.
    pub(crate) fn net_close(&mut self, id: u64) {
        for w in self.sched.net.remove(id) {
            self.io_complete(id, w, Done::Fail("connection closed".into()));
        }
    }

    /// A runtime error for a native given something that is not an open socket.
    pub(crate) fn net_bad_id(id: i64) -> RtError {
        RtError::new(format!("socket {id} is closed"))
    }
}
