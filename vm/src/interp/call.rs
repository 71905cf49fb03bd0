//! Calls: pushing a frame (with the stack-overflow check and the function-entry budget tick),
//! resolving the callee of each call instruction, `spawn`, and re-entrant calls from Rust into
//! Newt (`sort_by`'s comparator, later migrations and validations).
//!
//! Re-entrant calls run a nested interpreter loop on the *current* fiber's stack: the callee's frame
//! is pushed above the frames of the Newt code that called the built-in, and the nested loop stops
//! when that frame returns. Inside, preemption is off (the budget just refills) and parking is an
//! error, because the Rust caller's state cannot be suspended.

use super::Exit;
use crate::error::{Ctl, RtError};
use crate::fiber::{FiberId, Frame, Status, Task};
use crate::globals::Function;
use crate::heap::{Handle, Obj};
use crate::value::Value;
use crate::vm::{Vm, MAX_FRAMES, SLICE};
use newt_compiler::types::{ClassId, FuncId};
use std::rc::Rc;

/// The most stack slots one fiber may use (16 bytes each): past this, `stack overflow`.
pub const MAX_STACK_SLOTS: usize = 8 << 20;

/// How deeply built-ins may call back into Newt which calls built-ins again (`sort_by` inside a
/// `sort_by` comparator ...); deeper is `stack overflow`.
pub const MAX_NESTED_CALLS: u32 = 32;

fn internal(what: impl std::fmt::Display) -> Exit {
    Exit::Error(RtError::internal(what))
}

impl Vm {
    /// Pushes a frame for `func`, whose `argc` arguments are the top of the stack; the result will
    /// replace everything from stack index `ret` up. Function entry is an update point: when the
    /// budget runs out the frame is pushed and `Err(Exit::Yield)` says to stop here. Returns the
    /// function (never freed while the VM lives, see `Tables::replace_function`) so the
    /// interpreter can start running it without looking it up again.
    #[inline(always)]
    pub(crate) fn enter(
        &mut self,
        func: FuncId,
        argc: usize,
        ret: usize,
        closure: Option<Handle>,
    ) -> Result<*const Function, Exit> {
        let Some(f) = self.tables.functions.get(func.0 as usize) else {
            return Err(internal(format_args!("unknown function {}", func.0)));
        };
        let fptr = Rc::as_ptr(f);
        if f.proto.arity as usize != argc {
            return Err(internal(format_args!(
                "{} takes {} arguments, called with {argc}",
                f.proto.name, f.proto.arity
            )));
        }
        let base = self.stack.len() - argc;
        let size = f.frame_size();
        if self.frames.len() >= MAX_FRAMES || base + size > MAX_STACK_SLOTS {
            return Err(Exit::Error(RtError::stack_overflow()));
        }
        let locals = f.proto.num_locals as usize;
        self.stack.reserve(size);
        let len = self.stack.len();
        if base + locals > len {
            let p = self.stack.as_mut_ptr();
            for i in len..base + locals {
                // SAFETY: `reserve(size)` made room for `len + size >= base + locals` values.
                unsafe { p.add(i).write(Value::Nil) };
            }
            // SAFETY: the slots up to `base + locals` are initialised just above.
            unsafe { self.stack.set_len(base + locals) };
        }
        self.frames.push(Frame { func, pc: 0, base: base as u32, ret: ret as u32, closure });
        self.budget -= 1;
        if self.budget <= 0 {
            self.budget_expired()?;
        }
        Ok(fptr)
    }

    /// The budget ran out at an update point: refill it, and stop the slice unless a re-entrant call
    /// is running (which cannot be suspended).
    #[cold]
    pub(crate) fn budget_expired(&mut self) -> Result<(), Exit> {
        if self.dsu.pending.is_some() {
            // Live update pending: the entry gate (update/safepoint.rs) decides.
            return self.gate_tick();
        }
        self.budget = SLICE;
        if self.nested > 0 {
            Ok(())
        } else {
            Err(Exit::Yield)
        }
    }

    /// The function and closure a callable value runs.
    #[inline(always)]
    fn callee(&self, f: Value) -> Result<(FuncId, Option<Handle>), Exit> {
        match f {
            Value::Func(id) => Ok((id, None)),
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Closure(c) => Ok((c.func, Some(h))),
                o => Err(internal(format_args!("cannot call a {}", o.kind_name()))),
            },
            Value::Nil => Err(Exit::Error(RtError::unwrapped_nil())),
            v => Err(internal(format_args!("cannot call {v:?}"))),
        }
    }

    /// `Call(argc)`: [f, a1..an].
    #[inline(always)]
    pub(crate) fn call_value(&mut self, argc: usize) -> Result<*const Function, Exit> {
        let pos = self.stack.len() - argc - 1;
        let (func, closure) = self.callee(self.stack[pos])?;
        self.enter(func, argc, pos, closure)
    }

    /// `CallGlobal(slot, argc)`: [a1..an], the function in the global slot.
    #[inline(always)]
    pub(crate) fn call_global(&mut self, slot: u32, argc: usize) -> Result<*const Function, Exit> {
        let ret = self.stack.len() - argc;
        match self.tables.globals.get(slot as usize) {
            Some(Value::Func(id)) => self.enter(*id, argc, ret, None),
            Some(Value::Undef) => Err(Exit::Error(self.uninitialised(slot))),
            Some(&v) => {
                let (func, closure) = self.callee(v)?;
                self.enter(func, argc, ret, closure)
            }
            None => Err(internal(format_args!("global slot {slot}"))),
        }
    }

    /// The error for reading global `slot` before its initialiser ran.
    pub(crate) fn uninitialised(&self, slot: u32) -> RtError {
        let name = self.tables.global_info.get(slot as usize).map(|g| g.short_name.as_str()).unwrap_or("?");
        RtError::uninitialised_global(name)
    }

    /// The implementation at vtable index `vslot` of the receiver's run-time class.
    #[inline(always)]
    fn method_of(&self, recv: Value, vslot: u16) -> Result<FuncId, Exit> {
        let class = match recv {
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Instance(i) => i.class,
                o => return Err(internal(format_args!("method call on a {}", o.kind_name()))),
            },
            Value::Nil => return Err(Exit::Error(RtError::unwrapped_nil())),
            v => return Err(internal(format_args!("method call on {v:?}"))),
        };
        self.vtable_entry(class, vslot)
    }

    /// Entry `vslot` of `class`'s vtable.
    #[inline]
    fn vtable_entry(&self, class: ClassId, vslot: u16) -> Result<FuncId, Exit> {
        match self.tables.classes.get(class.0 as usize).and_then(|c| c.vtable.get(vslot as usize)) {
            Some(f) => Ok(*f),
            None => Err(internal(format_args!("class {} has no method {vslot}", class.0))),
        }
    }

    /// `CallMethod(vslot, argc)`: [recv, a1..an].
    #[inline(always)]
    pub(crate) fn call_method(&mut self, vslot: u16, argc: usize) -> Result<*const Function, Exit> {
        let pos = self.stack.len() - argc - 1;
        let func = self.method_of(self.stack[pos], vslot)?;
        self.enter(func, argc + 1, pos, None)
    }

    /// `CallSuper(class, vslot, argc)`: [self, a1..an], through `class`'s vtable.
    #[inline(always)]
    pub(crate) fn call_super(&mut self, class: u32, vslot: u16, argc: usize) -> Result<*const Function, Exit> {
        let pos = self.stack.len() - argc - 1;
        let func = self.vtable_entry(ClassId(class), vslot)?;
        self.enter(func, argc + 1, pos, None)
    }

    /// `Spawn(argc)` / `SpawnMethod(vslot, argc)`: moves the callee (or receiver) and arguments
    /// into a new fiber's stack, queues it, and pushes its `Fiber`.
    pub(crate) fn spawn(&mut self, method: Option<u16>, argc: usize) -> Result<(), Exit> {
        let pos = self.stack.len() - argc - 1;
        let (func, closure, base, nargs) = match method {
            None => {
                let (f, c) = self.callee(self.stack[pos])?;
                (f, c, 1u32, argc)
            }
            Some(vslot) => (self.method_of(self.stack[pos], vslot)?, None, 0u32, argc + 1),
        };
        let Some(f) = self.tables.function(func) else {
            return Err(internal(format_args!("unknown function {}", func.0)));
        };
        if f.proto.arity as usize != nargs {
            return Err(internal(format_args!(
                "{} takes {} arguments, spawned with {nargs}",
                f.proto.name, f.proto.arity
            )));
        }
        let (locals, size) = (f.proto.num_locals as usize, f.frame_size());
        let id = self.new_fiber();
        let mut stack: Vec<Value> = Vec::with_capacity(base as usize + size);
        stack.extend(self.stack.drain(pos..));
        stack.resize(base as usize + locals, Value::Nil);
        let Some(fiber) = self.sched.fibers.get_mut(&id) else { return Err(internal("lost fiber")) };
        fiber.stack = stack;
        fiber.frames.push(Frame { func, pc: 0, base, ret: 0, closure });
        fiber.tasks.push_back(Task::Spawned);
        fiber.entry = Some(func);
        fiber.status = Status::Runnable;
        let handle = fiber.handle;
        self.sched.runq.push_back(id);
        self.stack.push(Value::Obj(handle));
        Ok(())
    }

    /// Calls the function value `f` with `args` from Rust and runs it to completion on the current
    /// fiber (see the module docs). Preemption is off inside; parking is an error. The caller must
    /// keep `f` and `args` alive by other means if it needs them afterwards (they are on the stack
    /// only during the call).
    pub(crate) fn call_nested(&mut self, f: Value, args: &[Value]) -> Result<Value, Ctl> {
        // Each level is a Rust activation of `execute`; bound them so the Rust stack cannot overflow.
        if self.nested >= MAX_NESTED_CALLS {
            return Err(Ctl::Error(RtError::stack_overflow()));
        }
        let depth = self.frames.len();
        self.stack.push(f);
        self.stack.extend_from_slice(args);
        self.nested += 1;
        let mut exit = match self.call_value(args.len()) {
            Ok(_) | Err(Exit::Yield) => self.execute(depth),
            Err(e) => e,
        };
        // A nested run starts above the fiber's barrier, so this does not happen; resuming is
        // still the right answer if it did.
        while matches!(exit, Exit::Barrier) {
            self.barrier_crossed();
            exit = self.execute(depth);
        }
        self.nested -= 1;
        match exit {
            Exit::Done(v) => Ok(v),
            Exit::Error(e) => Err(Ctl::Error(e)),
            Exit::Quit(code) => Err(Ctl::Exit(code)),
            Exit::Park | Exit::Yield | Exit::Barrier => {
                Err(Ctl::Error(RtError::internal("a re-entrant call tried to suspend")))
            }
        }
    }

    /// The fiber a `Fiber` value names.
    pub(crate) fn fiber_of(&self, v: Value) -> Option<FiberId> {
        match self.heap.get(v.handle()?) {
            Obj::Fiber(id) => Some(*id),
            _ => None,
        }
    }
}
