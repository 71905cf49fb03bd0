//! `remap F` (updates.md, "Code active on the stack"), the part computed in analysis: for each
//! function the update remaps, the map from its old version's continuation points to the new
//! version's, per function pair (never per frame), so that the pause grows with the number of
//! remapped frames only.
//!
//! Continuation points are matched by structure: function entry to entry, the k-th loop header
//! (the target of a back-edge, where a preempted fiber stops) to the k-th, and the point after the
//! k-th call to a callee to the point after the k-th call to the same callee (a function by
//! qualified name, a method or built-in by name: `FuncProto::calls`). A point maps only when the
//! operand stack has the same depth on both sides there. At a mapped point, each local of the new
//! version in scope is carried from the old local of the same name and type, or computed by its
//! initializer (`FuncProto::local_inits`, evaluated at remap time in the new frame), or comes
//! from the script's `remap F { ... }` block; hidden temporaries (loop state) are carried by
//! position. A frame at a point that does not map keeps holding the update back, and the
//! timeout's reason names it.

use crate::update::analyse::Plan;
use crate::vm::Vm;
use newt_compiler::bytecode::{FuncProto, Op};
use newt_compiler::types::FuncId;
use std::collections::HashMap;

/// Where one slot of a remapped frame's new locals comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The old frame's slot.
    Old(u16),
    /// The initializer function of the new local (called with the new locals so far).
    Init(FuncId),
    /// Nothing: stays nil (a hidden slot the new version has more of, a local not in scope).
    Nil,
}

/// One continuation point of an old function and its counterpart.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub new_pc: u32,
    /// The new frame's locals, slot by slot (`new num_locals` entries).
    pub locals: Vec<Source>,
}

/// How frames of one remapped function move to its new version.
#[derive(Debug, Clone, Default)]
pub(crate) struct FuncRemap {
    /// Old pc (a frame's `pc`: the next instruction to run) → the point in the new version.
    pub points: HashMap<u32, Point>,
    /// Why the other points do not map, by old pc (for the timeout's reason).
    pub unmapped: HashMap<u32, String>,
    /// `remap F { ... }`: the block's function, the names of the values it returns (in order),
    /// and those it assigns.
    pub block: Option<(FuncId, Vec<String>, Vec<String>)>,
}

/// The remap tables of a plan: for each remapped function (by VM id), its table.
pub(crate) type Remaps = HashMap<u32, FuncRemap>;

/// Builds the tables for the functions the script remaps (and, with `all`, for every affected
/// function replaced in place: development mode).
pub(crate) fn build(vm: &Vm, plan: &Plan, all: bool) -> Remaps {
    type Block = Option<(FuncId, Vec<String>, Vec<String>)>;
    let mut targets: Vec<(u32, Block)> = Vec::new();
    if let Some(sp) = &plan.script {
        for r in &sp.proto.remaps {
            if let Some(newt_compiler::bytecode::GlobalKind::Function(f)) =
                vm.tables.global_info.get(r.slot as usize).map(|g| &g.slot.kind)
            {
                targets.push((f.0, r.func.map(|b| (b, r.locals.clone(), r.assigns.clone()))));
            }
        }
    }
    if all {
        for &id in &plan.affected {
            if !targets.iter().any(|(t, _)| *t == id) {
                targets.push((id, None));
            }
        }
    }
    let mut out = Remaps::new();
    for (id, block) in targets {
        let Some(old) = vm.tables.functions.get(id as usize).map(|f| &f.proto) else { continue };
        let Some(new) = plan.fmap.iter().position(|f| f.0 == id).and_then(|i| plan.image.functions.get(i)) else {
            continue;
        };
        if !plan.affected.contains(&id) || old.kind != new.kind {
            continue;
        }
        let mut table = map_function(old, new);
        table.block = block;
        out.insert(id, table);
    }
    out
}

/// The continuation points of one function pair (see the module docs).
fn map_function(old: &FuncProto, new: &FuncProto) -> FuncRemap {
    let mut table = FuncRemap::default();
    let (Ok((old_depth, _)), Ok((new_depth, _))) =
        (newt_compiler::codegen::stack::depths(&old.code), newt_compiler::codegen::stack::depths(&new.code))
    else {
        return table;
    };
    let depth_at = |d: &[Option<i32>], pc: u32| d.get(pc as usize).copied().flatten();
    let mut pairs: Vec<(u32, u32, String)> = vec![(0, 0, "the entry".into())];
    let (old_headers, new_headers) = (loop_headers(&old.code), loop_headers(&new.code));
    for (k, (&o, &n)) in old_headers.iter().zip(&new_headers).enumerate() {
        pairs.push((o, n, format!("loop header {}", k + 1)));
    }
    for h in old_headers.iter().skip(new_headers.len()) {
        table.unmapped.insert(*h, "its loop has no counterpart in the new version".into());
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (idx, callee) in &old.calls {
        let k = seen.entry(callee.as_str()).or_insert(0);
        let nth = *k;
        *k += 1;
        let counterpart = new.calls.iter().filter(|(_, c)| c == callee).nth(nth).map(|(i, _)| *i);
        match counterpart {
            Some(j) => pairs.push((idx + 1, j + 1, format!("the return from call {} to {callee}", nth + 1))),
            None => {
                table.unmapped.insert(idx + 1, format!("the new version has no call {} to {callee}", nth + 1));
            }
        }
    }
    for (o, n, what) in pairs {
        if depth_at(&old_depth, o) != depth_at(&new_depth, n) {
            table.unmapped.insert(o, format!("at {what} the operand stacks differ"));
            continue;
        }
        match locals_at(old, new, o, n) {
            Ok(locals) => {
                table.points.insert(o, Point { new_pc: n, locals });
            }
            Err(why) => {
                table.unmapped.insert(o, format!("at {what} {why}"));
            }
        }
    }
    table
}

/// The targets of the back-edges of `code`, in code order (the loop headers).
fn loop_headers(code: &[Op]) -> Vec<u32> {
    let mut out: Vec<u32> = code
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op, Op::Loop(_)))
        .filter_map(|(i, op)| newt_compiler::codegen::stack::jump_target(op, i).and_then(|t| u32::try_from(t).ok()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// True when a local's scope covers the continuation point `pc` (the next instruction to run)
/// or the call just before it.
fn in_scope(live: &std::ops::Range<u32>, pc: u32) -> bool {
    live.contains(&pc) || (pc > 0 && live.contains(&(pc - 1)))
}

/// The sources of the new frame's slots at a mapped point, or why it cannot be mapped.
fn locals_at(old: &FuncProto, new: &FuncProto, old_pc: u32, new_pc: u32) -> Result<Vec<Source>, String> {
    let mut out = vec![Source::Nil; new.num_locals as usize];
    for l in new.locals.iter().filter(|l| in_scope(&l.live, new_pc)) {
        let carried = old
            .locals
            .iter()
            .find(|o| o.name == l.name && in_scope(&o.live, old_pc) && o.ty == l.ty && o.cell == l.cell);
        let source = match carried {
            Some(o) => Source::Old(o.slot),
            None => match new.local_inits.iter().find(|(s, _)| *s == l.slot) {
                Some(&(_, init)) => Source::Init(init),
                None => return Err(format!("the new local '{}' has no value (no initializer)", l.name)),
            },
        };
        if let Some(slot) = out.get_mut(l.slot as usize) {
            *slot = source;
        }
    }
    // Hidden temporaries (loop state) by position after the named locals.
    let old_hidden = old.num_locals.saturating_sub(old.hidden_base);
    let new_hidden = new.num_locals.saturating_sub(new.hidden_base);
    for k in 0..old_hidden.min(new_hidden) {
        if let Some(slot) = out.get_mut((new.hidden_base + k) as usize) {
            *slot = Source::Old(old.hidden_base + k);
        }
    }
    Ok(out)
}
