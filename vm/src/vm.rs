//! The `Vm` value: the heap, the replaceable tables, the scheduler, the running fiber's execution
//! state and the program's streams, plus the public entry points `new`, `run` and `step`.
//!
//! The running fiber's stack and frames are moved into `Vm::stack`/`Vm::frames` while it runs (a
//! cheap swap of two `Vec` headers), so the interpreter loop reaches them through one pointer;
//! every other fiber's state sits in its `Fiber` record in the scheduler.

use crate::error::{Ctl, ErrorReport, RtError, TraceLine};
use crate::fiber::{Fiber, FiberId, Frame, Status, Task, Wait};
use crate::globals::Tables;
use crate::heap::{Handle, Heap, Obj};
use crate::load::load;
use crate::output::Io;
use crate::sched::Scheduler;
use crate::value::Value;
use newt_compiler::bytecode::Image;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// How many budget ticks (function entries and loop back-edges) a fiber runs before the scheduler
/// gets control back.
pub const SLICE: i32 = 10_000;

/// The deepest call stack a fiber may have; one more call is the runtime error `stack overflow`.
pub const MAX_FRAMES: usize = 100_000;

/// Exit status when `main`'s fiber stops with a runtime error (clox's convention, tools.md).
pub const EXIT_RUNTIME_ERROR: i32 = 70;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The process exit status: 0 when `main` returned, 70 after a runtime error in the main fiber
    /// (or a deadlock, or a program that could not be loaded), or the code given to `exit`.
    pub exit_code: i32,
    /// The runtime error that ended the program, if one did (already printed to stderr).
    pub error: Option<ErrorReport>,
}

/// What one [`Vm::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The program goes on; call `step` again.
    Running,
    /// A stop was requested ([`Vm::request_stop`] or the stop handle): no fiber is running and none
    /// will until `step` is called again. The world is stopped; the tables, heap and fibers may be
    /// inspected and changed.
    Stopped,
    /// The program has ended.
    Finished(RunOutcome),
}

/// Streams and other knobs for [`Vm::with_options`].
pub struct VmOptions {
    pub io: Io,
}

impl Default for VmOptions {
    fn default() -> Self {
        VmOptions { io: Io::process() }
    }
}

/// The Newt virtual machine (see the crate docs for the API tour).
pub struct Vm {
    pub(crate) heap: Heap,
    pub(crate) tables: Tables,
    pub(crate) sched: Scheduler,
    /// The running fiber's operand/locals stack (swapped in from its `Fiber`).
    pub(crate) stack: Vec<Value>,
    /// The running fiber's frames (swapped in from its `Fiber`).
    pub(crate) frames: Vec<Frame>,
    /// The running fiber.
    pub(crate) current: Option<FiberId>,
    /// Values Rust code holds across a possible collection (see [`Vm::root`]).
    pub(crate) roots: Vec<Value>,
    /// Budget ticks left in this slice; zero or below stops the slice at the next update point.
    pub(crate) budget: i32,
    /// Depth of re-entrant calls from Rust into Newt (preemption and parking are off inside).
    pub(crate) nested: u32,
    /// The wait reason recorded by a built-in that parks the running fiber.
    pub(crate) parking: Option<Wait>,
    pub(crate) io: Io,
    pub(crate) args: Vec<String>,
    pub(crate) load_error: Option<String>,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) started_at: Instant,
    pub(crate) finished: Option<RunOutcome>,
    pub(crate) gc_work: Vec<Handle>,
    /// The live-update engine's state: the running program's sources, version and history.
    pub(crate) dsu: crate::update::DsuState,
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("fibers", &self.sched.fibers.len())
            .field("objects", &self.heap.live_count())
            .finish()
    }
}

impl Vm {
    /// A VM for `image`, writing to the process's stdout/stderr; `args` are the program's arguments
    /// (`std.process.args()`). A malformed image is reported when the program runs.
    pub fn new(image: Image, args: Vec<String>) -> Vm {
        Vm::with_options(image, args, VmOptions::default())
    }

    /// A VM with explicit streams.
    pub fn with_options(image: Image, args: Vec<String>, options: VmOptions) -> Vm {
        let mut vm = Vm {
            heap: Heap::new(),
            tables: Tables::default(),
            sched: Scheduler::new(),
            stack: Vec::new(),
            frames: Vec::new(),
            current: None,
            roots: Vec::new(),
            budget: SLICE,
            nested: 0,
            parking: None,
            io: options.io,
            args,
            load_error: None,
            stop: Arc::new(AtomicBool::new(false)),
            started_at: Instant::now(),
            finished: None,
            gc_work: Vec::new(),
            dsu: crate::update::DsuState::new(&image.sources),
        };
        match load(image, &mut vm.heap) {
            Ok(loaded) => {
                vm.tables = loaded.tables;
                let main = vm.new_fiber();
                vm.sched.main = Some(main);
                if let Some(f) = vm.sched.fibers.get_mut(&main) {
                    f.tasks.extend(loaded.tasks);
                }
                vm.start_next_task(main);
            }
            Err(e) => vm.load_error = Some(e),
        }
        vm
    }

    /// Runs the program to its end: module initialisers, then `main` and every fiber it spawns,
    /// until `main` returns, `exit` is called, or `main`'s fiber fails.
    pub fn run(&mut self) -> RunOutcome {
        loop {
            match self.step() {
                Step::Running | Step::Stopped => {}
                Step::Finished(outcome) => return outcome,
            }
        }
    }

    /// Runs one scheduler turn: one slice of one fiber, or one wait for timers and I/O.
    pub fn step(&mut self) -> Step {
        if let Some(e) = self.load_error.take() {
            let report = ErrorReport { error: RtError::new(e), trace: Vec::new() };
            self.io.eprint(&report.to_string());
            self.finish(EXIT_RUNTIME_ERROR, Some(report));
        }
        if let Some(o) = &self.finished {
            return Step::Finished(o.clone());
        }
        self.turn()
    }

    /// Ends the program with `code` (idempotent: the first ending wins).
    pub(crate) fn finish(&mut self, code: i32, error: Option<ErrorReport>) {
        if self.finished.is_none() {
            self.io.flush();
            self.finished = Some(RunOutcome { exit_code: code, error });
        }
    }

    /// Creates a fiber (with its heap object) in the scheduler's table; it is not queued.
    pub(crate) fn new_fiber(&mut self) -> FiberId {
        let id = self.sched.next_fiber_id();
        let handle = self.heap.alloc(Obj::Fiber(id));
        self.sched.fibers.insert(id, Box::new(Fiber::new(id, handle)));
        id
    }

    /// Starts the fiber's next task (an initialiser or `main`) and queues it; a fiber without tasks
    /// left is done.
    pub(crate) fn start_next_task(&mut self, id: FiberId) {
        let Some(f) = self.sched.fibers.get_mut(&id) else { return };
        let func = match f.tasks.front() {
            Some(Task::InitGlobal { func, .. }) | Some(Task::Main { func }) => *func,
            Some(Task::Spawned) | None => return,
        };
        f.entry = Some(func);
        f.stack.clear();
        f.frames.clear();
        f.frames.push(Frame { func, pc: 0, base: 0, ret: 0, closure: None });
        let (locals, size) =
            self.tables.function(func).map(|p| (p.proto.num_locals as usize, p.frame_size())).unwrap_or((0, 0));
        // The interpreter relies on a frame's whole size being reserved (see `interp`).
        f.stack.reserve(size);
        f.stack.resize(locals, Value::Nil);
        f.status = Status::Runnable;
        self.sched.runq.push_back(id);
    }

    /// The stack trace of the running fiber, innermost frame first.
    pub(crate) fn trace(&self, frames: &[Frame]) -> Vec<TraceLine> {
        frames
            .iter()
            .rev()
            .filter_map(|fr| {
                let f = self.tables.function(fr.func)?;
                Some(TraceLine {
                    function: f.display.clone(),
                    path: f.proto.path.clone(),
                    line: f.line(fr.current_pc()),
                })
            })
            .collect()
    }

    /// Pushes `v` on the root stack: it stays alive (and is updated by `become`'s fix-up) until
    /// [`Vm::unroot`] pops it. Rust code that holds values across anything that may collect — a
    /// re-entrant call, an allocation point — roots them here.
    pub fn root(&mut self, v: Value) {
        self.roots.push(v);
    }

    /// Pops the top `n` values of the root stack.
    pub fn unroot(&mut self, n: usize) {
        let keep = self.roots.len().saturating_sub(n);
        self.roots.truncate(keep);
    }

    /// Records that the running fiber parks for `why`; the built-in then returns `Ctl::Park`.
    /// Inside a re-entrant call (e.g. a `sort_by` comparator) a fiber cannot park: that is an error.
    pub(crate) fn park(&mut self, why: Wait) -> Ctl {
        if self.nested > 0 {
            return Ctl::Error(RtError::new(
                "cannot block (channel, join, sleep or I/O) inside a function called by a built-in such as sort_by",
            ));
        }
        self.parking = Some(why);
        Ctl::Park
    }

    /// The running fiber's id (the main fiber's before anything runs).
    pub(crate) fn current_fiber(&self) -> FiberId {
        self.current.or(self.sched.main).unwrap_or(FiberId(0))
    }
}
