//! The allocating instructions' helpers (`Map`, `Closure`, `New`, `List`, strings), the collector
//! trigger, and the `trace-exec` printer. Each reads its operands from `self.stack` (the loop syncs
//! the stack length before calling) and is called after `gc_point`.

use crate::error::RtError;
use crate::heap::{Closure, Handle, Instance, Obj};
use crate::ordmap::OrdMap;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::bytecode::CaptureSrc;
use newt_compiler::types::{ClassId, FuncId};

impl Vm {
    /// Collects when the allocation volume asks for it. Called only where every live value is
    /// reachable from the roots: allocating instructions call it before popping their operands.
    #[inline]
    pub(crate) fn gc_point(&mut self) {
        if self.heap.wants_collection() {
            self.collect();
        }
    }

    /// `Map(n)`: the top `2n` values as key/value pairs, replaced by the new map. (Inlined into
    /// both copies of the dispatch loop, as it was into the one loop before there were two.)
    #[inline(always)]
    pub(crate) fn new_map(&mut self, n: usize) -> Result<(), RtError> {
        let from = self.stack.len() - 2 * n;
        let mut map = OrdMap::with_capacity(n);
        for i in 0..n {
            let k = self.map_key(self.stack[from + 2 * i])?;
            map.insert(k, self.stack[from + 2 * i + 1]);
        }
        self.stack.truncate(from);
        let h = self.heap.alloc(Obj::Map(Box::new(map)));
        self.stack.push(Value::Obj(h));
        Ok(())
    }

    /// `New(class, n)` / `List(n)`: the top `n` values become an instance's fields or a list.
    pub(crate) fn new_aggregate(&mut self, class: Option<u32>, n: usize) {
        let from = self.stack.len() - n;
        let obj = match class {
            Some(c) => Obj::Instance(Instance::new(ClassId(c), self.stack.drain(from..).collect())),
            None => Obj::List(self.stack.drain(from..).collect()),
        };
        let h = self.heap.alloc(obj);
        self.stack.push(Value::Obj(h));
    }

    /// `Concat` (n = 2) and `ConcatN(n)`: the top `n` strings replaced by their concatenation.
    pub(crate) fn concat(&mut self, n: usize) {
        let from = self.stack.len() - n;
        let len = self.stack[from..].iter().map(|v| self.text(*v).len()).sum();
        let mut s = String::with_capacity(len);
        for v in &self.stack[from..] {
            s.push_str(self.text(*v));
        }
        self.stack.truncate(from);
        let v = self.new_str(&s);
        self.stack.push(v);
    }

    /// `Closure(func)`: captures cells from the current frame's locals or the running closure.
    #[inline(always)]
    pub(crate) fn new_closure(&mut self, func: u32, base: usize, closure: Option<Handle>) -> Result<Value, RtError> {
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
        let c = Closure { func: FuncId(func), upvals: upvals.into_boxed_slice() };
        Ok(Value::Obj(self.heap.alloc(Obj::Closure(c))))
    }

    /// Prints one instruction before it runs (`trace-exec` feature).
    #[cfg(feature = "trace-exec")]
    pub(crate) fn trace_op(&self, pc: usize, op: newt_compiler::bytecode::Op, depth: usize) {
        let name =
            self.frames.last().and_then(|f| self.tables.function(f.func)).map(|f| f.display.as_str()).unwrap_or("?");
        eprintln!("[{}] {name}:{pc:04} {op:?}  (stack {depth})", self.frames.len());
    }
}
