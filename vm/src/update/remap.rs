//! `remap F` at run time (updates.md, "Code active on the stack"; the tables come from
//! `analyse/remap.rs`): the frames of `F` that sit at a mapped continuation point move to the new
//! version at commit. Three moments, like `reboot`:
//! - before staging, while the running tables describe them: which frames move, each with a
//!   `dsu.Frame` snapshot for the script's `remap F { ... }` block ([`Vm::prepare_remaps`]);
//! - in validation, with the new code installed: each new frame's locals — carried, computed by
//!   their initializers (in the new frame, carried locals visible), or set by the block; an error
//!   there aborts the update ([`Vm::evaluate_remaps`]);
//! - at commit: the fibers' stacks are rebuilt around the new frames ([`Vm::apply_remaps`]).

use crate::fiber::FiberId;
use crate::heap::{FrameSnapshot, Obj};
use crate::update::analyse::remap::Source;
use crate::update::analyse::Plan;
use crate::value::Value;
use crate::vm::Vm;

/// A frame that moves, as found before staging.
pub(crate) struct RemapFrame {
    pub fiber: FiberId,
    /// Index in the fiber's frames (0 is the entry frame).
    pub index: usize,
    /// The old frame's function, pc and number of local slots.
    pub func: u32,
    pub pc: u32,
    pub old_num_locals: usize,
    pub snapshot: Option<FrameSnapshot>,
}

/// A frame's new version, ready for the commit: its new pc and local slots (rooted).
pub(crate) struct Rewrite {
    pub fiber: FiberId,
    pub index: usize,
    pub new_pc: u32,
    pub old_num_locals: usize,
    pub locals: Vec<Value>,
}

impl Vm {
    /// The frames the plan moves (every frame of a remapped function at a mapped point, in any
    /// fiber but the one requesting the update), with their snapshots.
    pub(crate) fn prepare_remaps(&self, plan: &Plan) -> Vec<RemapFrame> {
        if plan.remaps.is_empty() {
            return Vec::new();
        }
        let rebooted = crate::update::reboot::rebooted_entries(plan);
        let mut out = Vec::new();
        for id in self.fiber_ids() {
            if self.current == Some(id) {
                continue;
            }
            let Some(f) = self.sched.fibers.get(&id).filter(|f| !f.is_done()) else { continue };
            if f.entry.is_some_and(|e| rebooted.contains(&e)) {
                continue;
            }
            for (index, fr) in f.frames.iter().enumerate() {
                let Some(table) = plan.remaps.get(&fr.func.0) else { continue };
                if table.points.contains_key(&fr.pc) {
                    let snapshot = self.snapshot(fr, &f.stack);
                    let old_num_locals = self.tables.function(fr.func).map_or(0, |x| x.proto.num_locals as usize);
                    out.push(RemapFrame { fiber: id, index, func: fr.func.0, pc: fr.pc, old_num_locals, snapshot });
                }
            }
        }
        out
    }

    /// Computes every moving frame's new locals (see the module docs); values are rooted until
    /// the commit or abort truncates the roots.
    pub(crate) fn evaluate_remaps(&mut self, frames: Vec<RemapFrame>, plan: &Plan) -> Result<Vec<Rewrite>, String> {
        let mut out = Vec::with_capacity(frames.len());
        for rf in frames {
            let Some(table) = plan.remaps.get(&rf.func) else { continue };
            let Some(point) = table.points.get(&rf.pc) else { continue };
            let old_num_locals = rf.old_num_locals;
            let base = match self.sched.fibers.get(&rf.fiber).and_then(|f| f.frames.get(rf.index)) {
                Some(fr) => fr.base as usize,
                None => continue,
            };
            let old_slot = |vm: &Vm, s: u16| {
                vm.sched
                    .fibers
                    .get(&rf.fiber)
                    .and_then(|f| f.stack.get(base + s as usize).copied())
                    .unwrap_or(Value::Nil)
            };
            let mut locals: Vec<Value> = point
                .locals
                .iter()
                .map(|src| match *src {
                    Source::Old(s) => old_slot(self, s),
                    _ => Value::Nil,
                })
                .collect();
            let new_cells: Vec<(u16, bool)> = self
                .tables
                .function(newt_compiler::types::FuncId(rf.func))
                .map(|f| f.proto.locals.iter().map(|l| (l.slot, l.cell)).collect())
                .unwrap_or_default();
            let is_cell = |slot: usize| new_cells.iter().any(|&(s, c)| s as usize == slot && c);
            let at = |what: &str| format!("remapping <fiber {}>: {what}", rf.fiber.0);
            for (slot, src) in point.locals.iter().enumerate() {
                if let Source::Init(init) = *src {
                    let v = self.call_staged(init, &locals).map_err(|e| at(&e))?;
                    locals[slot] = if is_cell(slot) { self.new_cell(v) } else { v };
                    self.roots.push(locals[slot]);
                }
            }
            if let Some((block, names, assigns)) = &table.block {
                let frame = match rf.snapshot {
                    Some(s) => Value::Obj(self.heap.alloc(Obj::Frame(Box::new(s)))),
                    None => Value::Nil,
                };
                self.roots.push(frame);
                let list = self.call_staged(*block, &[frame]).map_err(|e| at(&e))?;
                self.roots.push(list);
                let values = match list.handle().map(|h| self.heap.get(h)) {
                    Some(Obj::List(items)) => items.to_vec(),
                    _ => Vec::new(),
                };
                let new_locals: Vec<(String, u16, bool)> = self
                    .tables
                    .function(newt_compiler::types::FuncId(rf.func))
                    .map(|f| {
                        f.proto
                            .locals
                            .iter()
                            .filter(|l| {
                                l.live.contains(&point.new_pc) || l.live.contains(&point.new_pc.saturating_sub(1))
                            })
                            .map(|l| (l.name.clone(), l.slot, l.cell))
                            .collect()
                    })
                    .unwrap_or_default();
                for (k, name) in names.iter().enumerate() {
                    if !assigns.contains(name) {
                        continue;
                    }
                    let Some(&v) = values.get(k) else { continue };
                    for (n, slot, cell) in &new_locals {
                        if n == name {
                            let v = if *cell { self.new_cell(v) } else { v };
                            self.roots.push(v);
                            if let Some(l) = locals.get_mut(*slot as usize) {
                                *l = v;
                            }
                        }
                    }
                }
            }
            self.roots.extend_from_slice(&locals);
            out.push(Rewrite { fiber: rf.fiber, index: rf.index, new_pc: point.new_pc, old_num_locals, locals });
        }
        Ok(out)
    }

    /// Moves the frames (see the module docs); returns how many. Runs at commit.
    pub(crate) fn apply_remaps(&mut self, mut rewrites: Vec<Rewrite>) -> usize {
        let n = rewrites.len();
        rewrites.sort_by_key(|r| (r.fiber, r.index));
        let mut i = 0;
        while i < rewrites.len() {
            let fiber = rewrites[i].fiber;
            let mut j = i;
            while j < rewrites.len() && rewrites[j].fiber == fiber {
                j += 1;
            }
            if let Some(f) = self.sched.fibers.get_mut(&fiber) {
                let old_stack = std::mem::take(&mut f.stack);
                let mut stack = Vec::with_capacity(old_stack.len() + 16);
                let mut cursor = 0usize;
                let mut delta: i64 = 0;
                let mut pending = rewrites[i..j].iter_mut().peekable();
                for (index, fr) in f.frames.iter_mut().enumerate() {
                    let old_base = fr.base as usize;
                    // Every frame above a rewritten one moves with the stack.
                    fr.base = (i64::from(fr.base) + delta) as u32;
                    fr.ret = (i64::from(fr.ret) + delta) as u32;
                    let Some(rw) = pending.next_if(|r| r.index == index) else { continue };
                    stack.extend_from_slice(old_stack.get(cursor..old_base).unwrap_or(&[]));
                    let new_n = rw.locals.len();
                    stack.append(&mut rw.locals);
                    cursor = old_base + rw.old_num_locals;
                    delta += new_n as i64 - rw.old_num_locals as i64;
                    fr.pc = rw.new_pc;
                }
                stack.extend_from_slice(old_stack.get(cursor..).unwrap_or(&[]));
                f.stack = stack;
            }
            i = j;
        }
        n
    }

    /// A new cell holding `v` (a captured local's slot).
    fn new_cell(&mut self, v: Value) -> Value {
        Value::Obj(self.heap.alloc(Obj::Cell(v)))
    }
}
