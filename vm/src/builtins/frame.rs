//! `fiber.frames()` and the methods of its `dsu.Frame` snapshots (function, module, line, locals
//! by name). A snapshot copies the frame's in-scope locals (reading captured ones out of their
//! cells), so it stays meaningful after the fiber moves on.

use super::{Args, BResult};
use crate::error::RtError;
use crate::fiber::Frame;
use crate::heap::{FrameSnapshot, Obj};
use crate::value::Value;
use crate::vm::Vm;

impl Vm {
    /// Snapshots of a fiber's frames, innermost first (empty for a finished fiber).
    pub(crate) fn snapshot_frames(&self, fiber: crate::fiber::FiberId) -> Vec<FrameSnapshot> {
        let (frames, stack): (&[Frame], &[Value]) = if Some(fiber) == self.current {
            (&self.frames, &self.stack)
        } else {
            match self.sched.fibers.get(&fiber) {
                Some(f) => (&f.frames, &f.stack),
                None => (&[], &[]),
            }
        };
        frames.iter().rev().filter_map(|fr| self.snapshot(fr, stack)).collect()
    }

    pub(crate) fn snapshot(&self, fr: &Frame, stack: &[Value]) -> Option<FrameSnapshot> {
        let f = self.tables.function(fr.func)?;
        let pc = fr.current_pc();
        let mut locals = Vec::new();
        for l in &f.proto.locals {
            if !l.live.contains(&(pc as u32)) {
                continue;
            }
            let v = stack.get(fr.base as usize + l.slot as usize).copied().unwrap_or(Value::Nil);
            let v = if l.cell { self.cell_get(v) } else { v };
            locals.push((l.name.clone(), v));
        }
        Some(FrameSnapshot {
            func: fr.func,
            function: f.proto.name.clone(),
            module: f.proto.module.clone(),
            line: f.line(pc),
            locals,
        })
    }
}

/// `fiber.frames() -> List<Frame>`.
pub(crate) fn frames(vm: &mut Vm, a: Args) -> BResult {
    let fiber = vm.fiber_of(a.get(vm, 0)).ok_or_else(|| vm.not_a(a.get(vm, 0), "Fiber"))?;
    let snaps = vm.snapshot_frames(fiber);
    let items: Vec<Value> = snaps.into_iter().map(|s| Value::Obj(vm.heap.alloc(Obj::Frame(Box::new(s))))).collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(items))))
}

fn snap(vm: &Vm, v: Value) -> Result<&FrameSnapshot, RtError> {
    match v.handle().map(|h| vm.heap.get(h)) {
        Some(Obj::Frame(f)) => Ok(f),
        _ => Err(vm.not_a(v, "Frame")),
    }
}

/// `frame.function()`: the qualified function name.
pub(crate) fn function(vm: &mut Vm, a: Args) -> BResult {
    let name = snap(vm, a.get(vm, 0))?.function.clone();
    Ok(vm.new_str(&name))
}

/// `frame.module()`.
pub(crate) fn module(vm: &mut Vm, a: Args) -> BResult {
    let name = snap(vm, a.get(vm, 0))?.module.clone();
    Ok(vm.new_str(&name))
}

/// `frame.line()`.
pub(crate) fn line(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(snap(vm, a.get(vm, 0))?.line as i64))
}

/// `frame.local(name) -> any`: the innermost local of that name; an error when there is none.
pub(crate) fn local(vm: &mut Vm, a: Args) -> BResult {
    let name = vm.text(a.get(vm, 1));
    let s = snap(vm, a.get(vm, 0))?;
    match s.locals.iter().rev().find(|(n, _)| n == name) {
        Some((_, v)) => Ok(*v),
        None => Err(RtError::new(format!("no local '{name}' in frame of {}", s.function)).into()),
    }
}

/// `frame.locals() -> List<str>`: names of the locals in scope, in slot order.
pub(crate) fn locals(vm: &mut Vm, a: Args) -> BResult {
    let names: Vec<String> = snap(vm, a.get(vm, 0))?.locals.iter().map(|(n, _)| n.clone()).collect();
    let items: Vec<Value> = names.iter().map(|n| vm.new_str(n)).collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(items))))
}
