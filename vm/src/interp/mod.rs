//! The dispatch loop (rune's `run()` shape): it runs the current fiber until the slice's budget is
//! spent, the fiber parks, finishes or fails, and always returns to the scheduler in between.
//!
//! **Registers.** Hot-loop state lives in Rust locals: the running function (a plain reference:
//! functions are never freed while the VM lives, see `Tables::replace_function`), the instruction
//! pointer `ip`, the frame pointer `fp` (local 0) and `top` (the first free stack slot), and the
//! closure. While the loop runs, `top` is the truth and `self.stack.len()` is stale; before
//! anything that reads or changes `self.stack` (calls, built-ins, allocation and collection,
//! leaving the loop) the loop `sync!`s the length back, and afterwards reloads the registers.
//! Calls load the callee's registers directly; returns reload the caller's from `self.frames`
//! (`continue 'frame`), which is also what lets Rust code rewrite frames between slices.
//!
//! **Why the unchecked accesses are sound** (the verifier, `crate::verify`, establishes each fact
//! when a function is loaded, and [`Vm::enter`] reserves the room):
//! - `pc` always indexes the code: jumps land inside it and no path falls off its end; a resumed
//!   frame's `pc` is checked once when the frame is loaded.
//! - local slots are below `num_locals`, and `base + num_locals <= len` for the running frame (a
//!   resumed frame is checked once when it is loaded);
//! - pops never go below the frame's locals (stack depths are checked on every path), so `top - 1`
//!   is an initialised slot of this frame;
//! - pushes never exceed `base + num_locals + max_depth`, and every frame is entered with at least
//!   that much capacity reserved (`enter`, `spawn`, the main fiber's tasks), so `top` stays within
//!   the capacity;
//! - constant indices are below the pool's length.
//!
//! Debug builds (all tests) assert each of these at run time.
//!
//! **Update points** and preemption share one counter: function entry ([`Vm::enter`]) and the
//! `Loop` back-edge decrement `self.budget` and test it once. The scheduler refills it per slice; a
//! stop request simply sets it to zero, so the check preemption needs anyway is the only cost of
//! update points.
//!
//! **Collections** happen only in `gc_point`, which allocating instructions call *before* they pop
//! their operands, so every live value is on a stack or in a root at that moment.

mod alloc;
mod call;
mod ops;

use crate::builtins;
use crate::error::{Ctl, RtError};
use crate::fiber::Frame;
use crate::globals::Function;
use crate::heap::Handle;
use crate::heap::Obj;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::builtins::Builtin;
use newt_compiler::bytecode::Op;
use newt_compiler::types::RtType;
use std::rc::Rc;

pub use call::MAX_STACK_SLOTS;

/// Why `execute` returned.
#[derive(Debug)]
pub(crate) enum Exit {
    /// The budget ran out at an update point; the fiber can resume where it stopped.
    Yield,
    /// A built-in parked the fiber (the reason is in `Vm::parking`).
    Park,
    /// The frame at the stop depth returned this value.
    Done(Value),
    /// A runtime error; the frames are left as they were for the trace.
    Error(RtError),
    /// `std.process.exit(code)`.
    Quit(i32),
    /// A return crossed the fiber's return barrier (live update pending); resume with `execute`.
    Barrier,
}

impl Vm {
    /// Runs the current fiber until the frame count drops to `stop_depth` (0: the fiber's bottom
    /// frame returned) or the slice ends.
    ///
    /// The loop exists twice: while a lazy migration may have left instances pending
    /// (`update/lazy.rs`) the copy that checks for them runs; otherwise the copy without the
    /// check, so lazy migration costs nothing outside updates. Nothing can become pending while
    /// a slice runs (only a commit does that, and a commit inside a fiber ends its slice).
    pub(crate) fn execute(&mut self, stop_depth: usize) -> Exit {
        if self.dsu.lazy.active {
            self.dispatch::<true>(stop_depth)
        } else {
            self.dispatch::<false>(stop_depth)
        }
    }

    /// The dispatch loop (see [`Vm::execute`]); `LAZY`: objects are checked for pending lazy
    /// migrations where the instruction already dispatches on the object's kind.
    fn dispatch<const LAZY: bool>(&mut self, stop_depth: usize) -> Exit {
        // A return that leaves `watch` frames or fewer either ends this run or crosses the
        // fiber's return barrier: one comparison serves both, so barriers cost nothing extra.
        let watch = stop_depth.max(self.dsu.ret_barrier);
        let mut func: &Function;
        let mut code: &[Op];
        let mut consts: &[Value];
        let mut base: usize;
        let mut closure: Option<Handle>;
        let mut ip: *const Op;
        // `fp` points at local 0 of the frame, `top` at the first free stack slot.
        let mut fp: *mut Value;
        let mut top: *mut Value;
        // Points the registers at the frame on top of `self.frames`, whose function is `$fptr`.
        macro_rules! load_registers {
            ($fptr:expr, $frame:expr) => {{
                let frame: Frame = $frame;
                // SAFETY: functions are never freed while the VM lives (the table only grows and
                // replaced entries are retired, `Tables::replace_function`), so this reference
                // stays valid even if a built-in changes the table while the loop runs.
                func = unsafe { &*$fptr };
                code = func.code();
                consts = &func.consts;
                base = frame.base as usize;
                closure = frame.closure;
                // SAFETY: `pc` was checked to be inside the code (or the frame was just entered).
                ip = unsafe { code.as_ptr().add(frame.pc as usize) };
                let start = self.stack.as_mut_ptr();
                // SAFETY: `base + num_locals <= len <= capacity` (checked when the frame is
                // loaded, or established by `enter`).
                fp = unsafe { start.add(base) };
                top = unsafe { start.add(self.stack.len()) };
            }};
        }
        'frame: loop {
            let Some(&frame) = self.frames.last() else { return Exit::Done(Value::Nil) };
            let fptr: *const Function = match self.tables.functions.get(frame.func.0 as usize) {
                Some(f) => Rc::as_ptr(f),
                None => return Exit::Error(RtError::internal("frame of an unknown function")),
            };
            // SAFETY: as in `load_registers!`.
            let f = unsafe { &*fptr };
            if frame.pc as usize >= f.code().len()
                || frame.base as usize + f.proto.num_locals as usize > self.stack.len()
            {
                return Exit::Error(RtError::internal(format_args!("frame of {} is inconsistent", f.proto.name)));
            }
            load_registers!(fptr, frame);

            // The stack length the registers stand for.
            macro_rules! sp {
                () => {
                    // SAFETY: `top` points into (or one past) the stack's buffer.
                    unsafe { top.offset_from(self.stack.as_ptr()) as usize }
                };
            }
            macro_rules! sync {
                () => {
                    let len = sp!();
                    debug_assert!(len <= self.stack.capacity());
                    // SAFETY: every slot below `top` was written by this loop or was already part
                    // of the vector, and it is within the capacity (see the module docs).
                    unsafe { self.stack.set_len(len) }
                };
            }
            macro_rules! reload {
                () => {
                    let start = self.stack.as_mut_ptr();
                    // SAFETY: as in `load_registers!`.
                    fp = unsafe { start.add(base) };
                    top = unsafe { start.add(self.stack.len()) };
                };
            }
            macro_rules! push {
                ($v:expr) => {{
                    let v = $v;
                    debug_assert!(sp!() < self.stack.capacity(), "push beyond the reserved frame");
                    // SAFETY: below the capacity (verified maximum depth, reserved by `enter`).
                    unsafe {
                        top.write(v);
                        top = top.add(1);
                    }
                }};
            }
            macro_rules! pop {
                () => {{
                    debug_assert!(sp!() > base, "pop below the frame");
                    // SAFETY: the verifier guarantees an initialised operand above the locals.
                    unsafe {
                        top = top.sub(1);
                        top.read()
                    }
                }};
            }
            macro_rules! drop_top {
                () => {{
                    debug_assert!(sp!() > base, "pop below the frame");
                    // SAFETY: as for `pop!`.
                    top = unsafe { top.sub(1) };
                }};
            }
            macro_rules! top {
                () => {{
                    debug_assert!(sp!() > base, "top of an empty frame");
                    // SAFETY: as for `pop!`.
                    unsafe { &mut *top.sub(1) }
                }};
            }
            macro_rules! local {
                ($s:expr) => {{
                    debug_assert!(($s as usize) < func.proto.num_locals as usize);
                    // SAFETY: verified slot below `num_locals`, and `base + num_locals <= len`.
                    unsafe { &mut *fp.add($s as usize) }
                }};
            }
            macro_rules! save_pc {
                () => {
                    if let Some(f) = self.frames.last_mut() {
                        // SAFETY: `ip` points into `code` (or one past an instruction inside it).
                        f.pc = unsafe { ip.offset_from(code.as_ptr()) } as u32;
                    }
                };
            }
            macro_rules! throw {
                ($e:expr) => {{
                    let e = $e;
                    save_pc!();
                    sync!();
                    return Exit::Error(e);
                }};
            }
            macro_rules! try_rt {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => throw!(e),
                    }
                };
            }
            macro_rules! call {
                ($e:expr) => {{
                    save_pc!();
                    sync!();
                    match $e {
                        Ok(fptr) => match self.frames.last() {
                            Some(&frame) => load_registers!(fptr, frame),
                            None => return Exit::Error(RtError::internal("lost frame")),
                        },
                        Err(exit) => return exit,
                    }
                }};
            }
            // Runs `$body` (which uses `self.stack`) with the length synced, then reloads.
            macro_rules! with_stack {
                ($body:expr) => {{
                    sync!();
                    let r = $body;
                    reload!();
                    r
                }};
            }
            macro_rules! int_op {
                ($method:ident) => {{
                    let b = pop!().int();
                    let t = top!();
                    match t.int().$method(b) {
                        Some(r) => *t = Value::Int(r),
                        None => throw!(RtError::overflow()),
                    }
                }};
            }
            macro_rules! float_op {
                ($op:tt) => {{
                    let b = pop!().float();
                    let t = top!();
                    *t = Value::Float(t.float() $op b);
                }};
            }
            macro_rules! cmp_op {
                ($get:ident, $op:tt) => {{
                    let b = pop!().$get();
                    let t = top!();
                    *t = Value::Bool(t.$get() $op b);
                }};
            }
            macro_rules! str_cmp {
                ($op:tt) => {{
                    let b = pop!();
                    let a = *top!();
                    let r = self.text(a) $op self.text(b);
                    *top!() = Value::Bool(r);
                }};
            }
            // With `LAZY`: migrates `$v` first when it is a pending instance (a runtime error
            // when its migration fails). Compiled out of the loop without lazy migrations.
            macro_rules! lazy {
                ($v:expr) => {
                    if LAZY {
                        let v: Value = $v;
                        if self.lazy_pending_value(v) {
                            save_pc!();
                            let r = with_stack!(self.lazy_ready(v));
                            // (`fp` is reloaded; not every instruction reads it again.)
                            debug_assert!(!fp.is_null());
                            try_rt!(r);
                        }
                    }
                };
            }
            // With `LAZY`: migrates every pending instance reachable from `$v` first (`str`).
            macro_rules! lazy_deep {
                ($v:expr) => {
                    if LAZY {
                        let v: Value = $v;
                        save_pc!();
                        let r = with_stack!(self.lazy_ready_deep(v));
                        debug_assert!(!fp.is_null());
                        try_rt!(r);
                    }
                };
            }
            macro_rules! jump {
                ($off:expr) => {
                    // SAFETY: verified jump target inside the code.
                    ip = unsafe { ip.offset($off as isize) }
                };
            }

            loop {
                debug_assert!(code.as_ptr_range().contains(&ip));
                // SAFETY: `ip` points at an instruction of the code (module docs).
                let op = unsafe { *ip };
                #[cfg(feature = "trace-exec")]
                {
                    save_pc!();
                    self.trace_op(unsafe { ip.offset_from(code.as_ptr()) } as usize, op, sp!());
                }
                // SAFETY: the verifier rejects code whose last instruction falls through, so one
                // past a non-final instruction is still inside the code (or one past the end, never
                // dereferenced: every instruction there jumps or returns).
                ip = unsafe { ip.add(1) };
                match op {
                    Op::Nil => push!(Value::Nil),
                    Op::True => push!(Value::Bool(true)),
                    Op::False => push!(Value::Bool(false)),
                    Op::Int(v) => push!(Value::Int(v as i64)),
                    Op::Const(k) => {
                        debug_assert!((k as usize) < consts.len());
                        // SAFETY: verified constant index.
                        push!(unsafe { *consts.get_unchecked(k as usize) })
                    }
                    Op::Pop => drop_top!(),
                    Op::Dup => push!(*top!()),
                    Op::Swap => {
                        let b = pop!();
                        let a = std::mem::replace(top!(), b);
                        push!(a);
                    }

                    Op::LoadLocal(s) => push!(*local!(s)),
                    Op::StoreLocal(s) => *local!(s) = pop!(),
                    Op::NewCell(s) => {
                        with_stack!(self.gc_point());
                        let v = pop!();
                        *local!(s) = Value::Obj(self.heap.alloc(Obj::Cell(v)));
                    }
                    Op::LoadCell(s) => push!(self.cell_get(*local!(s))),
                    Op::StoreCell(s) => {
                        let v = pop!();
                        self.cell_set(*local!(s), v);
                    }
                    Op::LoadUpval(i) => push!(self.cell_get(self.upval_cell(closure, i))),
                    Op::StoreUpval(i) => {
                        let v = pop!();
                        self.cell_set(self.upval_cell(closure, i), v);
                    }
                    Op::LoadGlobal(slot) => match self.tables.globals.get(slot as usize) {
                        Some(Value::Undef) | None => throw!(self.uninitialised(slot)),
                        Some(&v) => push!(v),
                    },
                    Op::StoreGlobal(slot) => {
                        let v = pop!();
                        if let Some(g) = self.tables.globals.get_mut(slot as usize) {
                            *g = v;
                        }
                    }

                    Op::AddInt => int_op!(checked_add),
                    Op::SubInt => int_op!(checked_sub),
                    Op::MulInt => int_op!(checked_mul),
                    Op::DivInt => {
                        if top!().int() == 0 {
                            throw!(RtError::division_by_zero());
                        }
                        int_op!(checked_div)
                    }
                    Op::RemInt => {
                        let b = pop!().int();
                        if b == 0 {
                            throw!(RtError::division_by_zero());
                        }
                        // i64::MIN % -1 is mathematically 0; only the quotient overflows.
                        let t = top!();
                        *t = Value::Int(t.int().wrapping_rem(b));
                    }
                    Op::NegInt => {
                        let t = top!();
                        match t.int().checked_neg() {
                            Some(r) => *t = Value::Int(r),
                            None => throw!(RtError::overflow()),
                        }
                    }
                    Op::AddFloat => float_op!(+),
                    Op::SubFloat => float_op!(-),
                    Op::MulFloat => float_op!(*),
                    Op::DivFloat => float_op!(/),
                    Op::RemFloat => float_op!(%),
                    Op::NegFloat => {
                        let t = top!();
                        *t = Value::Float(-t.float());
                    }
                    Op::Concat => with_stack!({
                        self.gc_point();
                        self.concat(2)
                    }),
                    Op::Not => {
                        let t = top!();
                        *t = Value::Bool(!t.bool());
                    }

                    Op::LtInt => cmp_op!(int, <),
                    Op::LeInt => cmp_op!(int, <=),
                    Op::GtInt => cmp_op!(int, >),
                    Op::GeInt => cmp_op!(int, >=),
                    Op::LtFloat => cmp_op!(float, <),
                    Op::LeFloat => cmp_op!(float, <=),
                    Op::GtFloat => cmp_op!(float, >),
                    Op::GeFloat => cmp_op!(float, >=),
                    Op::LtStr => str_cmp!(<),
                    Op::LeStr => str_cmp!(<=),
                    Op::GtStr => str_cmp!(>),
                    Op::GeStr => str_cmp!(>=),
                    Op::Eq => {
                        let b = pop!();
                        let a = *top!();
                        *top!() = Value::Bool(self.values_equal(a, b));
                    }
                    Op::Ne => {
                        let b = pop!();
                        let a = *top!();
                        *top!() = Value::Bool(!self.values_equal(a, b));
                    }

                    Op::Jump(off) => jump!(off),
                    Op::JumpIfFalse(off) => {
                        if !pop!().bool() {
                            jump!(off);
                        }
                    }
                    Op::JumpIfTrue(off) => {
                        if pop!().bool() {
                            jump!(off);
                        }
                    }
                    Op::JumpIfNil(off) => {
                        if pop!().is_nil() {
                            jump!(off);
                        }
                    }
                    Op::JumpIfNotNil(off) => {
                        if top!().is_nil() {
                            drop_top!();
                        } else {
                            jump!(off);
                        }
                    }
                    Op::JumpIfNotLtInt(off) => {
                        let b = pop!().int();
                        let a = pop!().int();
                        if a >= b {
                            jump!(off);
                        }
                    }
                    Op::Loop(off) => {
                        jump!(off);
                        self.budget -= 1;
                        if self.budget <= 0 {
                            save_pc!();
                            sync!();
                            if let Err(exit) = self.budget_expired() {
                                return exit;
                            }
                        }
                    }

                    Op::Call(argc) => call!(self.call_value(argc as usize)),
                    Op::CallGlobal(slot, argc) => call!(self.call_global(slot, argc as usize)),
                    Op::CallMethod(vslot, argc) => {
                        debug_assert!(sp!() > base + argc as usize);
                        // SAFETY: the receiver is below the arguments, above the frame's locals.
                        lazy!(unsafe { *top.sub(argc as usize + 1) });
                        call!(self.call_method(vslot, argc as usize))
                    }
                    Op::CallSuper(class, vslot, argc) => call!(self.call_super(class, vslot, argc as usize)),
                    Op::CallBuiltin(id, argc) => {
                        save_pc!();
                        let Some(b) = Builtin::from_id(id) else { throw!(RtError::internal("unknown built-in")) };
                        if LAZY && argc > 0 {
                            if let Some(deep) = crate::update::lazy::reads_instances(b) {
                                debug_assert!(sp!() >= base + argc as usize);
                                // SAFETY: the first argument is below the others, above the locals.
                                let v = unsafe { *top.sub(argc as usize) };
                                let r = with_stack!(if deep { self.lazy_ready_deep(v) } else { self.lazy_ready(v) });
                                debug_assert!(!fp.is_null());
                                try_rt!(r);
                            }
                        }
                        let args = sp!() - argc as usize;
                        sync!();
                        self.gc_point();
                        let r = builtins::call(self, b, args);
                        // The built-in may have reallocated the stack or left values above its
                        // arguments; the arguments are replaced by the result.
                        let start = self.stack.as_mut_ptr();
                        // SAFETY: as in `load_registers!`; `args` is below the length.
                        fp = unsafe { start.add(base) };
                        top = unsafe { start.add(args) };
                        match r {
                            Ok(v) => push!(v),
                            Err(Ctl::Park) => {
                                sync!();
                                return Exit::Park;
                            }
                            Err(Ctl::Error(e)) => {
                                sync!();
                                return Exit::Error(e);
                            }
                            Err(Ctl::Exit(code)) => {
                                sync!();
                                return Exit::Quit(code);
                            }
                        }
                    }
                    Op::Return | Op::ReturnNil => {
                        let v = if matches!(op, Op::Return) { pop!() } else { Value::Nil };
                        let Some(done) = self.frames.pop() else { return Exit::Done(v) };
                        debug_assert!(done.ret as usize <= sp!());
                        // SAFETY: `ret` is at most the current length: the slots below it are the
                        // caller's, all initialised.
                        unsafe { self.stack.set_len(done.ret as usize) };
                        if self.frames.len() <= watch {
                            if self.frames.len() <= stop_depth {
                                return Exit::Done(v);
                            }
                            // The state is complete (caller's pc saved, result pushed): the
                            // scheduler notes the crossing and resumes the fiber at once.
                            self.stack.push(v);
                            return Exit::Barrier;
                        }
                        self.stack.push(v);
                        continue 'frame;
                    }

                    Op::New(class, n) => with_stack!({
                        self.gc_point();
                        self.new_aggregate(Some(class), n as usize)
                    }),
                    Op::GetField(slot) => {
                        lazy!(*top!());
                        let t = top!();
                        *t = try_rt!(self.get_field(*t, slot));
                    }
                    Op::SetField(slot) => {
                        debug_assert!(sp!() >= base + 2);
                        // SAFETY: the object is below the value, above the frame's locals.
                        lazy!(unsafe { *top.sub(2) });
                        let v = pop!();
                        let obj = pop!();
                        try_rt!(self.set_field(obj, slot, v));
                    }
                    Op::List(n) => with_stack!({
                        self.gc_point();
                        self.new_aggregate(None, n as usize)
                    }),
                    Op::Map(n) => {
                        let r = with_stack!({
                            self.gc_point();
                            self.new_map(n as usize)
                        });
                        try_rt!(r);
                    }
                    Op::ListIndex => {
                        let i = pop!().int();
                        let t = top!();
                        *t = try_rt!(self.list_index(*t, i));
                    }
                    Op::ListStore => {
                        let v = pop!();
                        let i = pop!().int();
                        let list = pop!();
                        try_rt!(self.list_store(list, i, v));
                    }
                    Op::MapIndex => {
                        let k = pop!();
                        let t = top!();
                        *t = try_rt!(self.map_index(*t, k));
                    }
                    Op::MapStore => {
                        let v = pop!();
                        let k = pop!();
                        let map = pop!();
                        try_rt!(self.map_store(map, k, v));
                    }
                    Op::Closure(f) => {
                        let r = with_stack!({
                            self.gc_point();
                            self.new_closure(f, base, closure)
                        });
                        push!(try_rt!(r));
                    }

                    Op::Is(ty) => {
                        lazy!(*top!());
                        let t = top!();
                        *t = Value::Bool(RtType::decode(ty).is_some_and(|ty| self.is_type(*t, ty)));
                    }
                    Op::As(ty) => {
                        lazy!(*top!());
                        try_rt!(self.cast(*top!(), ty, false))
                    }
                    Op::AsOpt(ty) => {
                        lazy!(*top!());
                        try_rt!(self.cast(*top!(), ty, true))
                    }
                    Op::ToStr => {
                        lazy_deep!(*top!());
                        with_stack!(self.gc_point());
                        let t = top!();
                        *t = self.str_value(*t);
                    }
                    Op::ConcatN(n) => with_stack!({
                        self.gc_point();
                        self.concat(n as usize)
                    }),

                    Op::Spawn(argc) => {
                        save_pc!();
                        let r = with_stack!({
                            self.gc_point();
                            self.spawn(None, argc as usize)
                        });
                        if let Err(exit) = r {
                            return exit;
                        }
                    }
                    Op::SpawnMethod(vslot, argc) => {
                        debug_assert!(sp!() > base + argc as usize);
                        // SAFETY: as for `CallMethod`.
                        lazy!(unsafe { *top.sub(argc as usize + 1) });
                        save_pc!();
                        let r = with_stack!({
                            self.gc_point();
                            self.spawn(Some(vslot), argc as usize)
                        });
                        if let Err(exit) = r {
                            return exit;
                        }
                    }

                    Op::AddLocalInt(s, imm) => {
                        let l = local!(s);
                        match l.int().checked_add(imm as i64) {
                            Some(r) => *l = Value::Int(r),
                            None => throw!(RtError::overflow()),
                        }
                    }
                    Op::LoadLocalField(s, field) => {
                        lazy!(*local!(s));
                        push!(try_rt!(self.get_field(*local!(s), field)))
                    }
                    Op::ListNext(s, off) => {
                        let i = local!(s + 1).int();
                        match self.list_next(*local!(s), i) {
                            Some(v) => {
                                *local!(s + 1) = Value::Int(i + 1);
                                push!(v);
                            }
                            None => jump!(off),
                        }
                    }
                }
            }
        }
    }
}
