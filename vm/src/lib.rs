//! The Newt virtual machine: runs a compiled [`Image`](newt_compiler::bytecode::Image) with green
//! threads, a handle-based heap and a precise collector, shaped so that the live-update engine can
//! stop the world, rewrite fibers, swap code and `become` objects without a rewrite of the core.
//!
//! # Using it
//!
//! ```no_run
//! # fn compile() -> newt_compiler::bytecode::Image { unimplemented!() }
//! let image = compile(); // newt_compiler::check::check_file + codegen::generate
//! let mut vm = newt_vm::Vm::new(image, vec!["arg1".into()]);
//! let outcome = vm.run(); // initialisers, then main, then the scheduler until main ends
//! std::process::exit(outcome.exit_code); // 0, 70 after a runtime error in main, or exit(code)
//! ```
//!
//! - [`Vm::new`]`(image, args)` / [`Vm::with_options`] (inject stdout/stderr/stdin through
//!   [`Io`], e.g. with [`SharedBuf`] to capture output).
//! - [`Vm::run`] → [`RunOutcome`] `{ exit_code, error }`. Runtime errors are printed to stderr as
//!   `error: message` plus `  at function (path:line)` lines; `error` carries the same report.
//! - [`Vm::step`] runs one scheduler turn and returns [`Step`]: the embedder (REPL, update engine,
//!   tests) interleaves its own work between turns.
//! - Update-engine hooks (`update.rs`): [`Vm::request_stop`] / [`Vm::stop_handle`] (stop the world
//!   at the next update point; [`Step::Stopped`]), [`Vm::fiber_ids`] / [`Vm::fiber`] (frames as
//!   data), [`Vm::instances_of`], [`Vm::invoke`] (run Newt code to completion from Rust),
//!   [`Vm::collect`], [`Vm::root`]; and [`Vm::stopped`], the stopped world ([`Stopped`]) on which
//!   the mutators of the running image live: `heap_mut`, `tables_mut`, `fiber_mut`, `become_all`,
//!   `add_function` / `replace_function` / `replace_class` / `set_global` (swap code and state).
//!
//! # Code map
//!
//! `value` (the 16-byte value and why) · `heap` (handle table, objects, `become`) · `gc` (roots,
//! mark, sweep) · `globals` (replaceable function/class/global tables) · `load` + `verify` (image
//! to tables, bytecode verifier) · `fiber` (frames as data) · `interp` (dispatch loop, calls) ·
//! `sched` (run queue, timers, event-loop hook, deadlock) · `chan` · `builtins/*` (every
//! `Builtin`, one file per receiver) · `output` (buffered stdout) · `update` (engine hooks) ·
//! `format`, `ordmap`, `strings` (pure helpers).
//!
//! # Measurements
//!
//! `benches/programs/*.newt` against the same programs in Lua 5.4 (`lua5.4`), release build, CPU
//! seconds (user + system), medians of 3 from `python3 benches/compare.py --runs 3` on the shared
//! 2-core machine (noise about ±5%):
//!
//! | program | newt | Lua 5.4 | ratio |
//! |---|---|---|---|
//! | fib | 0.82 | 0.58 | 1.42 |
//! | method_call | 0.57 | 0.62 | 0.92 |
//! | binary_trees | 0.32 | 0.52 | 0.61 |
//! | for | 0.61 | 0.50 | 1.22 |
//! | closures | 0.47 | 0.40 | 1.18 |
//! | delta_blue | 0.48 | 0.65 | 0.75 |
//! | nbody | 0.82 | 0.67 | 1.23 |
//! | string_equals | 0.77 | 0.47 | 1.63 |
//! | map_string | 0.89 | 0.51 | 1.74 (was 2.68) |
//! | map_numeric | 0.46 | 0.30 | 1.55 (was 7.7: `OrdMap` index rewrite, see `ordmap/`) |
//! | geometric mean | | | 1.17 (was 1.41) |
//!
//! **Update points cost nothing extra.** They share preemption's budget check (one decrement and
//! test at function entry and at `Loop`), so the only question is what that check costs. The same
//! benchmarks built with the check removed entirely (no preemption, no update points), best of 5,
//! interleaved: fib 0.87/0.87, closures 0.46–0.48/0.45–0.47, binary_trees 0.33/0.34, method_call
//! 0.57/0.59, for 0.50/0.51, nbody 0.90/0.93, delta_blue 0.48/0.51 (with/without) — the
//! difference is within noise, in both directions.
//!
//! Criterion micro-benchmarks (`cargo bench -p newt-vm`): dispatch (int loop, calls, method and
//! field access), allocation (lists, instances, strings), a full collection, and `become`.

pub mod builtins;
pub mod chan;
pub mod error;
pub mod fiber;
pub mod format;
mod gc;
pub mod globals;
pub mod heap;
pub mod interp;
pub mod io;
mod load;
pub mod ordmap;
pub mod output;
pub mod sched;
pub mod strings;
mod update;
pub mod value;
pub mod verify;
mod vm;

pub use error::{ErrorReport, RtError, TraceLine};
pub use fiber::{Fiber, FiberId, Frame, Status, Wait};
pub use heap::{Handle, Heap, Obj};
pub use output::{Io, SharedBuf};
pub use update::{
    ChangeSet, Changes, Counts, Holder, ModuleSource, Outcome, Stopped, Timings, UpdateReport, UpdateRequest,
    DEFAULT_TIMEOUT,
};
pub use value::Value;
pub use vm::{RunOutcome, Step, Vm, VmOptions, EXIT_RUNTIME_ERROR, MAX_FRAMES, SLICE};
