//! Statements: they leave the operand stack as they found it. Assignments (plain and compound)
//! live here; loops and `if let` in `loops.rs`.

use super::analysis::{expr_assigns_local, is_simple};
use super::builder::Label;
use super::expr::binop;
use super::func::FnGen;
use crate::bytecode::Op;
use crate::hir::{BinOp, Block, Expr, ExprKind, IndexKind, Place, Stmt};

impl FnGen<'_> {
    /// Compiles a block in its own scope.
    pub fn block(&mut self, b: &Block) {
        self.open_scope();
        for s in &b.stmts {
            self.stmt(s);
        }
        self.close_scope();
    }

    /// Compiles one statement.
    pub fn stmt(&mut self, s: &Stmt) {
        let saved = self.b.line;
        if let Some(span) = stmt_span(s) {
            self.enter_line(span);
        }
        match s {
            Stmt::Let { local, init, .. } => {
                self.expr(init);
                self.declare_local(*local);
            }
            Stmt::Assign { target, op, value, .. } => match op {
                None => self.assign(target, value),
                Some(op) => self.compound_assign(target, *op, value),
            },
            Stmt::If { cond, then, else_: None, .. } if self.jump_only(then).is_some() => {
                // `if c { break }` / `if c { continue }`: one conditional jump.
                if let Some(target) = self.jump_only(then) {
                    self.branch(cond, true, target);
                }
            }
            Stmt::If { cond, then, else_, .. } => {
                let otherwise = self.b.label();
                self.branch(cond, false, otherwise);
                self.block(then);
                match else_ {
                    Some(e) => {
                        let end = self.b.label();
                        self.b.jump(Op::Jump, end);
                        self.b.bind(otherwise);
                        self.block(e);
                        self.b.bind(end);
                    }
                    None => self.b.bind(otherwise),
                }
            }
            Stmt::IfLet { local, value, then, else_, .. } => self.if_let(*local, value, then, else_.as_ref()),
            Stmt::While { cond, body, .. } => self.while_loop(cond, body),
            Stmt::WhileLet { local, value, body, .. } => self.while_let(*local, value, body),
            Stmt::ForList { var, list, body, .. } => self.for_list(*var, list, body),
            Stmt::ForMap { key, value, map, body, .. } => self.for_map(*key, *value, map, body),
            Stmt::ForRange { var, start, end, body, .. } => self.for_range(*var, start, end, body),
            Stmt::Break { .. } => match self.loops.last().copied() {
                Some(l) => self.b.jump(Op::Jump, l.brk),
                None => self.error("internal compiler error: break outside a loop"),
            },
            Stmt::Continue { .. } => match self.loops.last().copied() {
                Some(l) => self.b.jump(if l.cont_backward { Op::Loop } else { Op::Jump }, l.cont),
                None => self.error("internal compiler error: continue outside a loop"),
            },
            Stmt::Return { value: Some(v), .. } => {
                self.expr(v);
                self.b.emit(Op::Return);
            }
            Stmt::Return { value: None, .. } => self.b.emit(Op::ReturnNil),
            Stmt::Expr(e) => {
                self.expr(e);
                self.b.emit(Op::Pop);
            }
            Stmt::Block(b) => self.block(b),
        }
        self.b.line = saved;
    }

    /// When `b` is just `break` or a forward `continue`, the label it jumps to (a backward
    /// `continue` must stay a `Loop`, the preemption point).
    fn jump_only(&self, b: &Block) -> Option<Label> {
        let l = self.loops.last()?;
        match b.stmts.as_slice() {
            [Stmt::Break { .. }] => Some(l.brk),
            [Stmt::Continue { .. }] if !l.cont_backward => Some(l.cont),
            _ => None,
        }
    }

    /// `target = value`.
    fn assign(&mut self, target: &Place, value: &Expr) {
        // `x = x + k`, `x = k + x`, `x = x - k` on a plain int local.
        if let (Place::Local(id), ExprKind::Binary { op, lhs, rhs }) = (target, &value.kind) {
            let delta = match (op, &lhs.kind, &rhs.kind) {
                (BinOp::AddInt | BinOp::SubInt, ExprKind::Local(l), ExprKind::Int(k)) if l == id => Some((*op, *k)),
                (BinOp::AddInt, ExprKind::Int(k), ExprKind::Local(l)) if l == id => Some((*op, *k)),
                _ => None,
            };
            if let Some((op, k)) = delta {
                if self.add_local_int(*id, op, k) {
                    return;
                }
            }
        }
        match target {
            Place::Local(id) => {
                self.expr(value);
                self.store_local(*id);
            }
            Place::Capture(i) => {
                self.expr(value);
                let i = self.slot16(*i, "captured variables");
                self.b.emit(Op::StoreUpval(i));
            }
            Place::Global(g) => {
                self.expr(value);
                self.store_global(*g);
            }
            Place::Field { obj, slot } => {
                self.expr(obj);
                self.expr(value);
                let s = self.slot16(*slot, "fields");
                self.b.emit(Op::SetField(s));
            }
            Place::Index { obj, index, kind } => {
                self.expr(obj);
                self.expr(index);
                self.expr(value);
                self.b.emit(store_op(*kind));
            }
        }
    }

    fn store_global(&mut self, g: crate::types::GlobalId) {
        match self.layout.slot_of_global(g) {
            Some(s) => self.b.emit(Op::StoreGlobal(s)),
            None => {
                self.error(format!("internal compiler error: global #{} has no slot", g.0));
                self.b.emit(Op::Pop);
            }
        }
    }

    /// `target op= value`: the target's object and index are evaluated once.
    fn compound_assign(&mut self, target: &Place, op: BinOp, value: &Expr) {
        if let (Place::Local(id), ExprKind::Int(k)) = (target, &value.kind) {
            if self.add_local_int(*id, op, *k) {
                return;
            }
        }
        match target {
            Place::Local(id) => {
                self.load_local(*id);
                self.expr(value);
                self.b.emit(binop(op));
                self.store_local(*id);
            }
            Place::Capture(i) => {
                let i = self.slot16(*i, "captured variables");
                self.b.emit(Op::LoadUpval(i));
                self.expr(value);
                self.b.emit(binop(op));
                self.b.emit(Op::StoreUpval(i));
            }
            Place::Global(g) => {
                match self.layout.slot_of_global(*g) {
                    Some(s) => self.b.emit(Op::LoadGlobal(s)),
                    None => self.b.emit(Op::Nil),
                }
                self.expr(value);
                self.b.emit(binop(op));
                self.store_global(*g);
            }
            Place::Field { obj, slot } => {
                let s = self.slot16(*slot, "fields");
                self.expr(obj);
                self.b.emit(Op::Dup);
                self.b.emit(Op::GetField(s));
                self.expr(value);
                self.b.emit(binop(op));
                self.b.emit(Op::SetField(s));
            }
            Place::Index { obj, index, kind } => self.compound_index(obj, index, *kind, op, value),
        }
    }

    /// Emits `AddLocalInt` for `local op= k` when `op` is int `+`/`-`, the local is a plain slot
    /// and the step fits the operand; returns whether it did.
    fn add_local_int(&mut self, id: crate::hir::LocalId, op: BinOp, k: i64) -> bool {
        let step = match op {
            BinOp::AddInt => Some(k),
            BinOp::SubInt => k.checked_neg(),
            _ => None,
        };
        let Some(imm) = step.and_then(|v| i16::try_from(v).ok()) else { return false };
        if self.is_cell(id) {
            return false;
        }
        let s = self.slot16(id.0, "local variables");
        self.b.emit(Op::AddLocalInt(s, imm));
        true
    }

    /// `obj[index] op= value`. Simple operands (literals, plain locals the value cannot change)
    /// are evaluated twice; anything else goes through hidden locals.
    fn compound_index(&mut self, obj: &Expr, index: &Expr, kind: IndexKind, op: BinOp, value: &Expr) {
        let reusable = |g: &Self, e: &Expr| {
            is_simple(e, |l| g.is_cell(l))
                && match e.kind {
                    ExprKind::Local(l) => !expr_assigns_local(value, l),
                    _ => true,
                }
        };
        let (obj_slot, idx_slot) = (
            if reusable(self, obj) { None } else { Some(self.hidden()) },
            if reusable(self, index) { None } else { Some(self.hidden()) },
        );
        // Evaluate (and save) object then index, in source order.
        for (e, slot) in [(obj, obj_slot), (index, idx_slot)] {
            self.expr(e);
            if let Some(s) = slot {
                self.b.emit(Op::Dup);
                self.b.emit(Op::StoreLocal(s));
            }
        }
        // Stack: [obj, index]. Load the current element with a second copy of both.
        for (e, slot) in [(obj, obj_slot), (index, idx_slot)] {
            match slot {
                Some(s) => self.b.emit(Op::LoadLocal(s)),
                None => self.expr(e),
            }
        }
        self.b.emit(match kind {
            IndexKind::List => Op::ListIndex,
            IndexKind::Map => Op::MapIndex,
        });
        self.expr(value);
        self.b.emit(binop(op));
        self.b.emit(store_op(kind));
        self.release_hidden(u32::from(obj_slot.is_some()) + u32::from(idx_slot.is_some()));
    }
}

fn store_op(kind: IndexKind) -> Op {
    match kind {
        IndexKind::List => Op::ListStore,
        IndexKind::Map => Op::MapStore,
    }
}

/// The span a statement reports its line with (`None` for a nested block, whose statements
/// carry their own).
fn stmt_span(s: &Stmt) -> Option<crate::diag::Span> {
    Some(match s {
        Stmt::Let { span, .. }
        | Stmt::Assign { span, .. }
        | Stmt::If { span, .. }
        | Stmt::IfLet { span, .. }
        | Stmt::While { span, .. }
        | Stmt::WhileLet { span, .. }
        | Stmt::ForList { span, .. }
        | Stmt::ForMap { span, .. }
        | Stmt::ForRange { span, .. }
        | Stmt::Break { span }
        | Stmt::Continue { span }
        | Stmt::Return { span, .. } => *span,
        Stmt::Expr(e) => e.span,
        Stmt::Block(_) => return None,
    })
}
