//! Precise mark-sweep collection over the handle table.
//!
//! Roots: the running fiber's stack and frames, every other fiber's stack, frames, wait reason and
//! (while it lives) its own heap object, the global table (and, while an update script runs, the
//! running version's, set aside for `old.`), the constant pools of all functions, and the explicit
//! root stack ([`Vm::root`]). Marking uses an explicit work list, so deep structures
//! cannot overflow the Rust stack.
//!
//! When `become` has left forward markers, a fix-up pass first rewrites every reference to a
//! forwarded handle — in roots and in objects — into its target; the markers are then unreachable
//! and the sweep frees them. The pass runs only when markers exist, so it costs nothing otherwise.
//!
//! Collections are triggered only by [`Vm::gc_point`] (allocation volume) or explicitly by
//! [`Vm::collect`], never inside `Heap::alloc`, so Rust code between two GC points may hold values
//! in locals freely.

use crate::fiber::{Frame, Wait};
use crate::heap::Handle;
use crate::value::Value;
use crate::vm::Vm;

/// Applies `f` to every handle in a slice of values.
fn values_mut(values: &mut [Value], f: &mut impl FnMut(&mut Handle)) {
    for v in values {
        if let Value::Obj(h) = v {
            f(h);
        }
    }
}

/// Applies `f` to the closure handles of frames.
fn frames_mut(frames: &mut [Frame], f: &mut impl FnMut(&mut Handle)) {
    for fr in frames {
        if let Some(h) = &mut fr.closure {
            f(h);
        }
    }
}

impl Vm {
    /// Calls `f` on every root handle, allowing it to rewrite them. The heap is passed separately
    /// so `f` can resolve forwarding while the roots are borrowed.
    fn for_each_root_mut(&mut self, mut f: impl FnMut(&crate::heap::Heap, &mut Handle)) {
        let Vm { heap, stack, frames, roots, tables, sched, dsu, .. } = self;
        let heap = &*heap;
        let mut g = |h: &mut Handle| f(heap, h);
        values_mut(stack, &mut g);
        frames_mut(frames, &mut g);
        values_mut(roots, &mut g);
        values_mut(&mut tables.globals, &mut g);
        // While an update script runs, the running version's globals are set aside for `old.`
        // (a `migrate var` may have replaced the staged value).
        if let Some(w) = dsu.old_world.as_mut() {
            values_mut(&mut w.tables.globals, &mut g);
        }
        for fiber in sched.fibers.values_mut() {
            values_mut(&mut fiber.stack, &mut g);
            frames_mut(&mut fiber.frames, &mut g);
            if !fiber.is_done() {
                g(&mut fiber.handle);
            }
            if let crate::fiber::Status::Parked(Wait::Send(h) | Wait::Recv(h)) = &mut fiber.status {
                g(h);
            }
        }
    }

    /// Calls `f` on the handles in constant pools (never forwarded: they are strings).
    fn for_each_const(&self, mut f: impl FnMut(Handle)) {
        for func in self.tables.functions.iter().chain(&self.tables.retired) {
            for v in func.consts.iter() {
                if let Value::Obj(h) = v {
                    f(*h);
                }
            }
        }
    }

    /// Runs a full collection now. Only call it where every live value is rooted (between
    /// scheduler steps, or at a GC point).
    pub fn collect(&mut self) {
        self.io_before_gc();
        if self.heap.forward_count() > 0 {
            self.for_each_root_mut(|heap, h| *h = heap.resolve(*h));
            self.heap.rewrite_forwarded_refs();
        }
        let mut roots = Vec::new();
        self.for_each_root_mut(|_, h| roots.push(*h));
        self.for_each_const(|h| roots.push(h));
        roots.extend(self.heap.interned_handles());
        let mut work = std::mem::take(&mut self.gc_work);
        for h in roots {
            self.heap.mark_from(h, &mut work);
        }
        self.gc_work = work;
        for id in self.heap.sweep() {
            if self.sched.fibers.get(&id).is_some_and(|f| f.is_done()) {
                self.sched.fibers.remove(&id);
            }
        }
        // Sockets whose owning object was just freed are closed before any entry is reused.
        self.io_after_gc();
        self.lazy_after_collect();
    }
}
