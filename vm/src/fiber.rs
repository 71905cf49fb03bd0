//! Fibers and their frames, as plain data.
//!
//! A fiber's stack is a `Vec<Value>` and its call stack a `Vec<Frame>` of small `Copy` records
//! (function id, pc, base, return position, closure). Nothing about a suspended fiber lives in Rust
//! locals or on the Rust stack, so Rust code — the scheduler, `fiber.frames()`, the update engine —
//! can walk, inspect and rewrite any suspended fiber between two instructions: change a frame's
//! `func` and `pc` (remap), replace its locals, or discard the whole stack (reboot).
//!
//! Stack layout of one frame: `stack[base .. base + num_locals]` are the locals (parameters first,
//! `self` first of all for methods), followed by the frame's operands. `ret` is where the caller's
//! stack ends once the call returns (the result is pushed there).

use crate::error::RtError;
use crate::heap::Handle;
use crate::value::Value;
use newt_compiler::types::FuncId;
use std::collections::VecDeque;

/// A fiber's number: `<fiber 3>`. The main fiber is 1; numbers are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiberId(pub u32);

/// One activation record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub func: FuncId,
    /// Index of the next instruction to run (so `pc - 1` is the one running or just run).
    pub pc: u32,
    /// Stack index of local 0.
    pub base: u32,
    /// Stack length to restore when the call returns, before the result is pushed.
    pub ret: u32,
    /// The running closure, for `LoadUpval`/`StoreUpval`.
    pub closure: Option<Handle>,
}

impl Frame {
    /// Index of the current instruction (the call instruction for a caller's frame).
    pub fn current_pc(&self) -> usize {
        (self.pc as usize).saturating_sub(1)
    }
}

/// Why a fiber is parked. The event-loop hook (`crate::sched::EventSource`) adds I/O waits through
/// [`Wait::Io`] without changing the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `__time_sleep`: a timer in the scheduler's heap will wake it.
    Sleep,
    /// A channel send waiting for room or a receiver.
    Send(Handle),
    /// A channel receive waiting for a value or close.
    Recv(Handle),
    /// `fiber.join()` waiting for this fiber to finish.
    Join(FiberId),
    /// An I/O readiness wait registered with the event source under this token.
    Io(u64),
}

/// Where a fiber is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// In the run queue (or about to be).
    Runnable,
    /// Its stack is the VM's current execution state.
    Running,
    Parked(Wait),
    /// Finished; `ok` is false when it stopped with a runtime error.
    Done {
        ok: bool,
    },
}

/// What a fiber does when its bottom frame returns. The main fiber runs the module initialisers
/// (storing each result in its global slot) and then `main`; spawned fibers run one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Run `func()` and store its result into global slot `slot`.
    InitGlobal { slot: u32, func: FuncId },
    /// Run the program's `main`; when it returns the program ends.
    Main { func: FuncId },
    /// A spawned call; its result is discarded.
    Spawned,
}

/// A green thread.
#[derive(Debug)]
pub struct Fiber {
    pub id: FiberId,
    /// The fiber's heap object (what `spawn` returns and `std.fiber.current()` gives back).
    pub handle: Handle,
    pub name: Option<String>,
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub status: Status,
    /// Fibers parked in `join` on this one.
    pub joiners: Vec<FiberId>,
    /// An error to raise when the fiber resumes (e.g. its parked `send` met a `close`).
    pub pending_error: Option<RtError>,
    /// The current task first, then the ones to run after it.
    pub tasks: VecDeque<Task>,
    /// The function the fiber started with (what `reboot F` matches).
    pub entry: Option<FuncId>,
}

impl Fiber {
    /// A fiber with an empty stack.
    pub fn new(id: FiberId, handle: Handle) -> Fiber {
        Fiber {
            id,
            handle,
            name: None,
            stack: Vec::new(),
            frames: Vec::new(),
            status: Status::Runnable,
            joiners: Vec::new(),
            pending_error: None,
            tasks: VecDeque::new(),
            entry: None,
        }
    }

    /// True once finished.
    pub fn is_done(&self) -> bool {
        matches!(self.status, Status::Done { .. })
    }
}
