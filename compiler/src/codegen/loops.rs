//! Loops and `if let`. Every loop tests at the head and closes with a `Loop` back-edge (the
//! preemption and update point); a backward `continue` is a `Loop` too, so no cycle avoids one.
//!
//! Fresh variables per iteration: a captured loop variable (or `let` in the body) is declared with
//! `NewCell` at the top of each iteration, so closures made in different iterations never share a
//! cell. Iteration state (counters, snapshots, bounds) lives in hidden locals.

use super::analysis::assigns_local;
use super::builder::Label;
use super::func::{FnGen, LoopCtx};
use crate::builtins::Builtin;
use crate::bytecode::Op;
use crate::hir::{Block, Expr, LocalId};

impl FnGen<'_> {
    /// Runs `body` as a loop body with the given `break`/`continue` targets, in its own scope.
    /// `declare` runs first inside that scope (binding the loop variables).
    fn loop_body(&mut self, ctx: LoopCtx, declare: impl FnOnce(&mut Self), body: &Block) {
        self.open_scope();
        declare(self);
        self.loops.push(ctx);
        self.block(body);
        self.loops.pop();
        self.close_scope();
    }

    /// Evaluates an optional `value` and binds its non-nil value to `local`, jumping to `on_nil`
    /// when it is nil. Returns the label that must be bound (before `on_nil`'s code) to discard
    /// the nil the cell form leaves on that edge, if any.
    fn bind_non_nil(&mut self, local: LocalId, value: &Expr, on_nil: Label) -> Option<Label> {
        self.expr(value);
        if self.is_cell(local) {
            let pop_nil = self.b.label();
            self.b.emit(Op::Dup);
            self.b.jump(Op::JumpIfNil, pop_nil);
            Some(pop_nil)
        } else {
            // The plain slot doubles as the temporary: store, then test it.
            let s = self.slot16(local.0, "local variables");
            self.b.emit(Op::StoreLocal(s));
            self.b.emit(Op::LoadLocal(s));
            self.b.jump(Op::JumpIfNil, on_nil);
            None
        }
    }

    /// Finishes the binding started by [`FnGen::bind_non_nil`] on the non-nil path.
    fn finish_bind(&mut self, local: LocalId) {
        if self.is_cell(local) {
            self.declare_local(local);
        } else {
            self.start_live(local);
        }
    }

    /// `if let v = value { then } else { otherwise }`.
    pub fn if_let(&mut self, local: LocalId, value: &Expr, then: &Block, otherwise: Option<&Block>) {
        let on_nil = self.b.label();
        let pop_nil = self.bind_non_nil(local, value, on_nil);
        self.open_scope();
        self.finish_bind(local);
        self.block(then);
        self.close_scope();
        let end = self.b.label();
        if otherwise.is_some() || pop_nil.is_some() {
            self.b.jump(Op::Jump, end);
        }
        if let Some(p) = pop_nil {
            self.b.bind(p);
            self.b.emit(Op::Pop);
        }
        self.b.bind(on_nil);
        if let Some(o) = otherwise {
            self.block(o);
        }
        self.b.bind(end);
    }

    /// `while cond { body }`.
    pub fn while_loop(&mut self, cond: &Expr, body: &Block) {
        let top = self.b.here();
        let exit = self.b.label();
        self.branch(cond, false, exit);
        self.loop_body(LoopCtx { brk: exit, cont: top, cont_backward: true }, |_| {}, body);
        self.b.jump(Op::Loop, top);
        self.b.bind(exit);
    }

    /// `while let v = value { body }` (`value` re-evaluated before each iteration).
    pub fn while_let(&mut self, local: LocalId, value: &Expr, body: &Block) {
        let top = self.b.here();
        let exit = self.b.label();
        let pop_nil = self.bind_non_nil(local, value, exit);
        let ctx = LoopCtx { brk: exit, cont: top, cont_backward: true };
        self.loop_body(ctx, |g| g.finish_bind(local), body);
        self.b.jump(Op::Loop, top);
        if let Some(p) = pop_nil {
            self.b.bind(p);
            self.b.emit(Op::Pop);
        }
        self.b.bind(exit);
    }

    /// `for i in start..end { body }`: bounds evaluated once. When the variable is a plain local
    /// that the body never assigns, it is the counter itself; otherwise a hidden counter is copied
    /// into it (a fresh cell when captured) at the top of each iteration.
    pub fn for_range(&mut self, var: LocalId, start: &Expr, end: &Expr, body: &Block) {
        let direct = !self.is_cell(var) && !assigns_local(body, var);
        let (counter, hidden) = if direct { (self.slot16(var.0, "local variables"), 0) } else { (self.hidden(), 1) };
        let limit = self.hidden();
        self.expr(start);
        self.b.emit(Op::StoreLocal(counter));
        self.expr(end);
        self.b.emit(Op::StoreLocal(limit));
        let top = self.b.here();
        let exit = self.b.label();
        let cont = self.b.label();
        self.b.emit(Op::LoadLocal(counter));
        self.b.emit(Op::LoadLocal(limit));
        self.b.jump(Op::JumpIfNotLtInt, exit);
        let declare = |g: &mut Self| {
            if direct {
                g.start_live(var);
            } else {
                g.b.emit(Op::LoadLocal(counter));
                g.declare_local(var);
            }
        };
        self.loop_body(LoopCtx { brk: exit, cont, cont_backward: false }, declare, body);
        self.b.bind(cont);
        self.increment(counter);
        self.b.jump(Op::Loop, top);
        self.b.bind(exit);
        self.release_hidden(1 + hidden);
    }

    /// `for x in list { body }`: the list is evaluated once into a hidden slot with the index
    /// in the next slot; `ListNext` reads the length every iteration (the body may push or pop),
    /// fetches the element and advances the index, so `continue` goes straight back to it.
    pub fn for_list(&mut self, var: LocalId, list: &Expr, body: &Block) {
        let items = self.hidden();
        let index = self.hidden();
        self.expr(list);
        self.b.emit(Op::StoreLocal(items));
        self.b.emit(Op::Int(0));
        self.b.emit(Op::StoreLocal(index));
        let top = self.b.here();
        let exit = self.b.label();
        self.b.jump(|off| Op::ListNext(items, off), exit);
        let ctx = LoopCtx { brk: exit, cont: top, cont_backward: true };
        self.loop_body(ctx, |g| g.declare_local(var), body);
        self.b.jump(Op::Loop, top);
        self.b.bind(exit);
        self.release_hidden(2);
    }

    /// `for k, v in map { body }` (or `for k in map`): iterates snapshots of the keys (and values)
    /// taken when the loop starts, in insertion order; changes the body makes to the map are not
    /// seen by the loop. Keys and values are walked by two `ListNext` cursors in step (the
    /// snapshots have the same length, so the second never exits).
    pub fn for_map(&mut self, key: LocalId, value: Option<LocalId>, map: &Expr, body: &Block) {
        let keys = self.hidden();
        let _keys_index = self.hidden();
        let values = value.map(|_| (self.hidden(), self.hidden()).0);
        self.expr(map);
        if let Some(vs) = values {
            self.b.emit(Op::Dup);
            self.call_builtin(Builtin::MapValues, 1);
            self.b.emit(Op::StoreLocal(vs));
            self.b.emit(Op::Int(0));
            self.b.emit(Op::StoreLocal(vs + 1));
        }
        self.call_builtin(Builtin::MapKeys, 1);
        self.b.emit(Op::StoreLocal(keys));
        self.b.emit(Op::Int(0));
        self.b.emit(Op::StoreLocal(keys + 1));
        let top = self.b.here();
        let exit = self.b.label();
        self.b.jump(|off| Op::ListNext(keys, off), exit);
        let declare = |g: &mut Self| {
            g.declare_local(key);
            if let (Some(v), Some(vs)) = (value, values) {
                g.b.jump(|off| Op::ListNext(vs, off), exit);
                g.declare_local(v);
            }
        };
        let ctx = LoopCtx { brk: exit, cont: top, cont_backward: true };
        self.loop_body(ctx, declare, body);
        self.b.jump(Op::Loop, top);
        self.b.bind(exit);
        self.release_hidden(2 + 2 * u32::from(values.is_some()));
    }

    /// `slot += 1` on a plain int slot.
    fn increment(&mut self, slot: u16) {
        self.b.emit(Op::AddLocalInt(slot, 1));
    }
}
