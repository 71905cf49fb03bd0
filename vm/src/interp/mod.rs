//! The dispatch loop (rune's `run()` shape): it runs the current fiber until the slice's budget is
//! spent, the fiber parks, finishes or fails, and always returns to the scheduler in between.
//!
//! Hot-loop state lives in Rust locals: the running function (an `Rc`, so swapping the function
//! table cannot pull code from under it), its code slice, `pc`, the frame's stack base and closure.
//! They are reloaded from `self.frames` after every call and return (`continue 'frame`), which is
//! also what lets Rust code rewrite frames between slices. The one `match` has an arm per opcode;
//! anything longer than a few lines calls a helper (`ops.rs`, `call.rs`, `builtins`).
//!
//! Update points and preemption share one counter: function entry ([`Vm::enter`]) and the `Loop`
//! back-edge decrement `self.budget` and test it once. The scheduler refills it per slice; a stop
//! request simply sets it to zero, so the check that preemption needs anyway is the only cost of
//! update points.
//!
//! Collections happen only in [`Vm::gc_point`], which allocating instructions call *before* they
//! pop their operands, so every live value is on a stack or in a root at that moment.

mod call;
mod ops;

use crate::builtins;
use crate::error::{Ctl, RtError};
use crate::heap::{Closure, Instance, Obj};
use crate::ordmap::OrdMap;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::builtins::Builtin;
use newt_compiler::bytecode::{CaptureSrc, Op};

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
    Exit(i32),
}

impl Vm {
    /// Collects when the allocation volume asks for it. Called only where every live value is
    /// reachable from the roots (see the module docs).
    #[inline]
    pub(crate) fn gc_point(&mut self) {
        if self.heap.wants_collection() {
            self.collect();
        }
    }

    #[inline(always)]
    fn pop(&mut self) -> Value {
        // The verifier guarantees a value above the locals; `Nil` is never produced in practice.
        self.stack.pop().unwrap_or(Value::Nil)
    }

    #[inline(always)]
    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// Runs the current fiber until the frame count drops to `stop_depth` (0: the fiber's bottom
    /// frame returned) or the slice ends.
    pub(crate) fn execute(&mut self, stop_depth: usize) -> Exit {
        'frame: loop {
            let Some(&frame) = self.frames.last() else { return Exit::Done(Value::Nil) };
            let Some(func) = self.tables.function(frame.func).cloned() else {
                return Exit::Error(RtError::internal("frame of an unknown function"));
            };
            let code: &[Op] = func.code();
            let base = frame.base as usize;
            let closure = frame.closure;
            let mut pc = frame.pc as usize;

            macro_rules! save_pc {
                () => {
                    if let Some(f) = self.frames.last_mut() {
                        f.pc = pc as u32;
                    }
                };
            }
            macro_rules! throw {
                ($e:expr) => {{
                    save_pc!();
                    return Exit::Error($e);
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
                    match $e {
                        Ok(()) => continue 'frame,
                        Err(exit) => return exit,
                    }
                }};
            }
            macro_rules! int_op {
                ($method:ident) => {{
                    let b = self.pop().int();
                    let a = self.pop().int();
                    match a.$method(b) {
                        Some(r) => self.push(Value::Int(r)),
                        None => throw!(RtError::overflow()),
                    }
                }};
            }
            macro_rules! float_op {
                ($op:tt) => {{
                    let b = self.pop().float();
                    let a = self.pop().float();
                    self.push(Value::Float(a $op b));
                }};
            }
            macro_rules! cmp_op {
                ($get:ident, $op:tt) => {{
                    let b = self.pop().$get();
                    let a = self.pop().$get();
                    self.push(Value::Bool(a $op b));
                }};
            }
            macro_rules! str_cmp {
                ($op:tt) => {{
                    let b = self.pop();
                    let a = self.pop();
                    let r = self.text(a) $op self.text(b);
                    self.push(Value::Bool(r));
                }};
            }
            macro_rules! jump {
                ($off:expr) => {
                    pc = (pc as isize + $off as isize) as usize
                };
            }

            loop {
                let op = code[pc];
                #[cfg(feature = "trace-exec")]
                self.trace_op(&func, pc, op);
                pc += 1;
                match op {
                    Op::Nil => self.push(Value::Nil),
                    Op::True => self.push(Value::Bool(true)),
                    Op::False => self.push(Value::Bool(false)),
                    Op::Int(v) => self.push(Value::Int(v as i64)),
                    Op::Const(k) => self.push(func.consts[k as usize]),
                    Op::Pop => {
                        self.pop();
                    }
                    Op::Dup => {
                        let v = self.pop();
                        self.push(v);
                        self.push(v);
                    }
                    Op::Swap => {
                        let n = self.stack.len();
                        self.stack.swap(n - 1, n - 2);
                    }

                    Op::LoadLocal(s) => self.push(self.stack[base + s as usize]),
                    Op::StoreLocal(s) => self.stack[base + s as usize] = self.pop(),
                    Op::NewCell(s) => {
                        self.gc_point();
                        let v = self.pop();
                        self.stack[base + s as usize] = Value::Obj(self.heap.alloc(Obj::Cell(v)));
                    }
                    Op::LoadCell(s) => self.push(self.cell_get(self.stack[base + s as usize])),
                    Op::StoreCell(s) => {
                        let v = self.pop();
                        self.cell_set(self.stack[base + s as usize], v);
                    }
                    Op::LoadUpval(i) => self.push(self.cell_get(self.upval_cell(closure, i))),
                    Op::StoreUpval(i) => {
                        let v = self.pop();
                        self.cell_set(self.upval_cell(closure, i), v);
                    }
                    Op::LoadGlobal(slot) => match self.tables.globals[slot as usize] {
                        Value::Undef => throw!(self.uninitialised(slot)),
                        v => self.push(v),
                    },
                    Op::StoreGlobal(slot) => self.tables.globals[slot as usize] = self.pop(),

                    Op::AddInt => int_op!(checked_add),
                    Op::SubInt => int_op!(checked_sub),
                    Op::MulInt => int_op!(checked_mul),
                    Op::DivInt => {
                        if self.stack.last().map(|v| v.int()) == Some(0) {
                            throw!(RtError::division_by_zero());
                        }
                        int_op!(checked_div)
                    }
                    Op::RemInt => {
                        let b = self.pop().int();
                        let a = self.pop().int();
                        if b == 0 {
                            throw!(RtError::division_by_zero());
                        }
                        // i64::MIN % -1 is mathematically 0; only the quotient overflows.
                        self.push(Value::Int(a.wrapping_rem(b)));
                    }
                    Op::NegInt => match self.pop().int().checked_neg() {
                        Some(r) => self.push(Value::Int(r)),
                        None => throw!(RtError::overflow()),
                    },
                    Op::AddFloat => float_op!(+),
                    Op::SubFloat => float_op!(-),
                    Op::MulFloat => float_op!(*),
                    Op::DivFloat => float_op!(/),
                    Op::RemFloat => float_op!(%),
                    Op::NegFloat => {
                        let v = self.pop().float();
                        self.push(Value::Float(-v));
                    }
                    Op::Concat => {
                        self.gc_point();
                        let b = self.pop();
                        let a = self.pop();
                        let mut s = String::with_capacity(self.text(a).len() + self.text(b).len());
                        s.push_str(self.text(a));
                        s.push_str(self.text(b));
                        let v = self.new_str(&s);
                        self.push(v);
                    }
                    Op::Not => {
                        let v = self.pop().bool();
                        self.push(Value::Bool(!v));
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
                        let b = self.pop();
                        let a = self.pop();
                        self.push(Value::Bool(self.values_equal(a, b)));
                    }
                    Op::Ne => {
                        let b = self.pop();
                        let a = self.pop();
                        self.push(Value::Bool(!self.values_equal(a, b)));
                    }

                    Op::Jump(off) => jump!(off),
                    Op::JumpIfFalse(off) => {
                        if !self.pop().bool() {
                            jump!(off);
                        }
                    }
                    Op::JumpIfTrue(off) => {
                        if self.pop().bool() {
                            jump!(off);
                        }
                    }
                    Op::JumpIfNil(off) => {
                        if self.pop().is_nil() {
                            jump!(off);
                        }
                    }
                    Op::JumpIfNotNil(off) => {
                        if self.stack.last().is_some_and(|v| !v.is_nil()) {
                            jump!(off);
                        } else {
                            self.pop();
                        }
                    }
                    Op::Loop(off) => {
                        jump!(off);
                        self.budget -= 1;
                        if self.budget <= 0 {
                            save_pc!();
                            if let Err(exit) = self.budget_expired() {
                                return exit;
                            }
                        }
                    }

                    Op::Call(argc) => call!(self.call_value(argc as usize)),
                    Op::CallGlobal(slot, argc) => call!(self.call_global(slot, argc as usize)),
                    Op::CallMethod(vslot, argc) => call!(self.call_method(vslot, argc as usize)),
                    Op::CallSuper(class, vslot, argc) => call!(self.call_super(class, vslot, argc as usize)),
                    Op::CallBuiltin(id, argc) => {
                        save_pc!();
                        self.gc_point();
                        let args = self.stack.len() - argc as usize;
                        let Some(b) = Builtin::from_id(id) else { throw!(RtError::internal("unknown built-in")) };
                        match builtins::call(self, b, args) {
                            Ok(v) => {
                                self.stack.truncate(args);
                                self.push(v);
                            }
                            Err(Ctl::Park) => {
                                self.stack.truncate(args);
                                return Exit::Park;
                            }
                            Err(Ctl::Error(e)) => return Exit::Error(e),
                            Err(Ctl::Exit(code)) => return Exit::Exit(code),
                        }
                    }
                    Op::Return | Op::ReturnNil => {
                        let v = if op == Op::Return { self.pop() } else { Value::Nil };
                        let Some(done) = self.frames.pop() else { return Exit::Done(v) };
                        self.stack.truncate(done.ret as usize);
                        if self.frames.len() <= stop_depth {
                            return Exit::Done(v);
                        }
                        self.push(v);
                        continue 'frame;
                    }

                    Op::New(class, n) => {
                        self.gc_point();
                        let from = self.stack.len() - n as usize;
                        let fields: Box<[Value]> = self.stack.drain(from..).collect();
                        let h = self.heap.alloc(Obj::Instance(Instance { class: newt_compiler::types::ClassId(class), fields }));
                        self.push(Value::Obj(h));
                    }
                    Op::GetField(slot) => {
                        let obj = self.pop();
                        let v = try_rt!(self.get_field(obj, slot));
                        self.push(v);
                    }
                    Op::SetField(slot) => {
                        let v = self.pop();
                        let obj = self.pop();
                        try_rt!(self.set_field(obj, slot, v));
                    }
                    Op::List(n) => {
                        self.gc_point();
                        let from = self.stack.len() - n as usize;
                        let items: Vec<Value> = self.stack.drain(from..).collect();
                        let h = self.heap.alloc(Obj::List(items));
                        self.push(Value::Obj(h));
                    }
                    Op::Map(n) => {
                        self.gc_point();
                        let v = try_rt!(self.new_map(n as usize));
                        self.push(v);
                    }
                    Op::ListIndex => {
                        let i = self.pop().int();
                        let list = self.pop();
                        let v = try_rt!(self.list_index(list, i));
                        self.push(v);
                    }
                    Op::ListStore => {
                        let v = self.pop();
                        let i = self.pop().int();
                        let list = self.pop();
                        try_rt!(self.list_store(list, i, v));
                    }
                    Op::MapIndex => {
                        let k = self.pop();
                        let map = self.pop();
                        let v = try_rt!(self.map_index(map, k));
                        self.push(v);
                    }
                    Op::MapStore => {
                        let v = self.pop();
                        let k = self.pop();
                        let map = self.pop();
                        try_rt!(self.map_store(map, k, v));
                    }
                    Op::Closure(f) => {
                        self.gc_point();
                        let v = try_rt!(self.new_closure(f, base, closure));
                        self.push(v);
                    }

                    Op::Is(ty) => {
                        let v = self.pop();
                        let r = newt_compiler::types::RtType::decode(ty).is_some_and(|t| self.is_type(v, t));
                        self.push(Value::Bool(r));
                    }
                    Op::As(ty) => {
                        let v = self.stack.last().copied().unwrap_or(Value::Nil);
                        try_rt!(self.cast(v, ty, false));
                    }
                    Op::AsOpt(ty) => {
                        let v = self.stack.last().copied().unwrap_or(Value::Nil);
                        try_rt!(self.cast(v, ty, true));
                    }
                    Op::ToStr => {
                        self.gc_point();
                        let v = self.pop();
                        let s = self.to_str_value(v);
                        self.push(s);
                    }
                    Op::ConcatN(n) => {
                        self.gc_point();
                        let from = self.stack.len() - n as usize;
                        let mut s = String::new();
                        for v in &self.stack[from..] {
                            s.push_str(self.text(*v));
                        }
                        self.stack.truncate(from);
                        let v = self.new_str(&s);
                        self.push(v);
                    }

                    Op::AddLocalInt(s, imm) => {
                        let slot = &mut self.stack[base + s as usize];
                        match slot.int().checked_add(imm as i64) {
                            Some(r) => *slot = Value::Int(r),
                            None => throw!(RtError::overflow()),
                        }
                    }
                    Op::JumpIfNotLtInt(off) => {
                        let b = self.pop().int();
                        let a = self.pop().int();
                        if a >= b {
                            jump!(off);
                        }
                    }
                    Op::LoadLocalField(s, field) => {
                        let v = try_rt!(self.get_field(self.stack[base + s as usize], field));
                        self.push(v);
                    }
                    Op::ListNext(s, off) => {
                        let at = base + s as usize;
                        let i = self.stack[at + 1].int();
                        match self.list_next(self.stack[at], i) {
                            Some(v) => {
                                self.stack[at + 1] = Value::Int(i + 1);
                                self.push(v);
                            }
                            None => jump!(off),
                        }
                    }

                    Op::Spawn(argc) => {
                        save_pc!();
                        self.gc_point();
                        if let Err(exit) = self.spawn(None, argc as usize) {
                            return exit;
                        }
                    }
                    Op::SpawnMethod(vslot, argc) => {
                        save_pc!();
                        self.gc_point();
                        if let Err(exit) = self.spawn(Some(vslot), argc as usize) {
                            return exit;
                        }
                    }
                }
            }
        }
    }

    /// `Map(n)`: the top `2n` values as key/value pairs.
    fn new_map(&mut self, n: usize) -> Result<Value, RtError> {
        let from = self.stack.len() - 2 * n;
        let mut map = OrdMap::with_capacity(n);
        for i in 0..n {
            let k = self.map_key(self.stack[from + 2 * i])?;
            map.insert(k, self.stack[from + 2 * i + 1]);
        }
        self.stack.truncate(from);
        Ok(Value::Obj(self.heap.alloc(Obj::Map(Box::new(map)))))
    }

    /// `Closure(func)`: captures cells from the current frame's locals or the running closure.
    fn new_closure(&mut self, func: u32, base: usize, closure: Option<crate::heap::Handle>) -> Result<Value, RtError> {
        let f = self.tables.functions.get(func as usize).cloned().ok_or_else(|| RtError::internal("unknown lambda"))?;
        let mut upvals = Vec::with_capacity(f.proto.captures.len());
        for c in &f.proto.captures {
            let cell = match *c {
                CaptureSrc::Local(s) => self.stack[base + s as usize],
                CaptureSrc::Upval(i) => self.upval_cell(closure, i),
            };
            match cell {
                Value::Obj(h) => upvals.push(h),
                _ => return Err(RtError::internal("captured local is not a cell")),
            }
        }
        let c = Closure { func: newt_compiler::types::FuncId(func), upvals: upvals.into_boxed_slice() };
        Ok(Value::Obj(self.heap.alloc(Obj::Closure(c))))
    }

    /// Prints one instruction before it runs (`trace-exec` feature).
    #[cfg(feature = "trace-exec")]
    fn trace_op(&self, func: &crate::globals::Function, pc: usize, op: Op) {
        let depth = self.stack.len();
        let top = self.stack.last().copied();
        eprintln!("[{}] {}:{pc:04} {op:?}  (stack {depth}, top {top:?})", self.frames.len(), func.display);
    }
}
