//! The every-path rule of `migrate` blocks (updates.md, "Default policy"): a new field without a
//! value must be assigned on every path that keeps `self`. It runs on the checked tree, so it
//! knows which calls never return — `panic`, natives typed `never`, and functions whose every
//! path ends in such a call (`process.exit`) — and which `return`s keep `self`: `return`,
//! `return nil` and `return self` keep it; returning another object discards it.

use super::Checker;
use crate::hir::{self, ExprKind, LocalId, Place, Stmt};
use crate::types::{FuncId, Type};
use std::collections::{BTreeSet, HashMap};

/// What is known at a point of the block: `None` when no path reaches it, else the field slots
/// of `self` assigned on every path that does.
type State = Option<BTreeSet<u32>>;

/// The field slots of `self` (local 0 of `func`) that `func` assigns on every path that keeps
/// `self`; `None` when no path keeps it.
pub(super) fn assigned_on_keeping_paths(c: &Checker<'_>, func: FuncId) -> Option<BTreeSet<u32>> {
    let f = c.prog.functions.get(func.0 as usize)?;
    let mut w = Walk { prog: &c.prog, kept: None, never: HashMap::new() };
    let end = w.block(&f.body, Some(BTreeSet::new()));
    w.keep(end);
    w.kept
}

/// Every local that `block` assigns (`x = ...`), in first-assignment order.
pub(super) fn assigned_locals(block: &hir::Block) -> Vec<u32> {
    fn visit(b: &hir::Block, out: &mut Vec<u32>) {
        for s in &b.stmts {
            match s {
                Stmt::Assign { target: Place::Local(l), .. } if !out.contains(&l.0) => out.push(l.0),
                Stmt::If { then, else_, .. } | Stmt::IfLet { then, else_, .. } => {
                    visit(then, out);
                    if let Some(e) = else_ {
                        visit(e, out);
                    }
                }
                Stmt::While { body, .. }
                | Stmt::WhileLet { body, .. }
                | Stmt::ForList { body, .. }
                | Stmt::ForMap { body, .. }
                | Stmt::ForRange { body, .. }
                | Stmt::Block(body) => visit(body, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    visit(block, &mut out);
    out
}

struct Walk<'p> {
    prog: &'p hir::Program,
    /// The meet over every path that keeps `self` seen so far.
    kept: Option<BTreeSet<u32>>,
    /// Memo of [`Walk::never_returns`] (`false` while a function is being examined, which
    /// answers recursion conservatively).
    never: HashMap<u32, bool>,
}

/// The meet of two states: fields assigned on both.
fn meet(a: State, b: State) -> State {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.intersection(&b).copied().collect()),
    }
}

impl Walk<'_> {
    /// Records a path that keeps `self`, reaching the end with `s`.
    fn keep(&mut self, s: State) {
        if let Some(s) = s {
            self.kept = Some(match self.kept.take() {
                None => s,
                Some(k) => k.intersection(&s).copied().collect(),
            });
        }
    }

    fn block(&mut self, b: &hir::Block, mut s: State) -> State {
        for st in &b.stmts {
            s = self.stmt(st, s);
        }
        s
    }

    fn stmt(&mut self, st: &Stmt, s: State) -> State {
        s.as_ref()?;
        match st {
            Stmt::Let { init, .. } => self.after(init, s),
            Stmt::Assign { target, value, .. } => {
                let mut s = self.after(value, s);
                if let (Place::Field { obj, slot }, Some(set)) = (target, s.as_mut()) {
                    if matches!(obj.kind, ExprKind::Local(LocalId(0))) {
                        set.insert(*slot);
                    }
                }
                s
            }
            Stmt::If { cond: test, then, else_, .. } | Stmt::IfLet { value: test, then, else_, .. } => {
                let s = self.after(test, s);
                let t = self.block(then, s.clone());
                let e = match else_ {
                    Some(e) => self.block(e, s),
                    None => s,
                };
                meet(t, e)
            }
            Stmt::While { cond, body, .. } => {
                let s = self.after(cond, s);
                // The body may run zero times; its returns are still paths.
                let _ = self.block(body, s.clone());
                if matches!(cond.kind, ExprKind::Bool(true)) && !loop_breaks(body) {
                    None
                } else {
                    s
                }
            }
            Stmt::WhileLet { value, body, .. } => {
                let s = self.after(value, s);
                let _ = self.block(body, s.clone());
                s
            }
            Stmt::ForList { list, body, .. } => {
                let s = self.after(list, s);
                let _ = self.block(body, s.clone());
                s
            }
            Stmt::ForMap { map, body, .. } => {
                let s = self.after(map, s);
                let _ = self.block(body, s.clone());
                s
            }
            Stmt::ForRange { start, end, body, .. } => {
                let s = self.after(start, s);
                let s = self.after(end, s);
                let _ = self.block(body, s.clone());
                s
            }
            // A loop's exit state is its entry state (above), so leaving early adds nothing.
            Stmt::Break { .. } | Stmt::Continue { .. } => None,
            Stmt::Return { value, .. } => {
                let keeps = match value {
                    None => true,
                    Some(v) => matches!(v.kind, ExprKind::Nil | ExprKind::Local(LocalId(0))),
                };
                let s = match value {
                    Some(v) => self.after(v, s),
                    None => s,
                };
                if keeps {
                    self.keep(s);
                }
                None
            }
            Stmt::Expr(e) => self.after(e, s),
            Stmt::Block(b) => self.block(b, s),
        }
    }

    /// The state after evaluating `e`: unreachable when `e` never returns.
    fn after(&mut self, e: &hir::Expr, s: State) -> State {
        if self.diverges(e) {
            None
        } else {
            s
        }
    }

    /// Whether evaluating `e` never finishes normally (at its top: `panic(...)`, a call to a
    /// function that never returns).
    fn diverges(&mut self, e: &hir::Expr) -> bool {
        if e.ty == Type::Never {
            return true;
        }
        match &e.kind {
            ExprKind::CallFunc { func, .. } => self.never_returns(*func),
            _ => false,
        }
    }

    /// True when every path of function `f`'s body ends in a call that never returns (and none
    /// returns).
    fn never_returns(&mut self, f: FuncId) -> bool {
        if let Some(&known) = self.never.get(&f.0) {
            return known;
        }
        self.never.insert(f.0, false);
        let Some(func) = self.prog.functions.get(f.0 as usize) else { return false };
        let saved = self.kept.take();
        let end = self.block(&func.body, Some(BTreeSet::new()));
        let returned = self.kept.is_some() || has_return(&func.body);
        self.kept = saved;
        let never = end.is_none() && !returned;
        self.never.insert(f.0, never);
        never
    }
}

/// Whether a block contains a `return` (outside nested lambdas, which are other functions).
fn has_return(b: &hir::Block) -> bool {
    b.stmts.iter().any(|s| match s {
        Stmt::Return { .. } => true,
        Stmt::If { then, else_, .. } | Stmt::IfLet { then, else_, .. } => {
            has_return(then) || else_.as_ref().is_some_and(has_return)
        }
        Stmt::While { body, .. }
        | Stmt::WhileLet { body, .. }
        | Stmt::ForList { body, .. }
        | Stmt::ForMap { body, .. }
        | Stmt::ForRange { body, .. }
        | Stmt::Block(body) => has_return(body),
        _ => false,
    })
}

/// Whether a loop body contains a `break` for this loop.
fn loop_breaks(b: &hir::Block) -> bool {
    b.stmts.iter().any(|s| match s {
        Stmt::Break { .. } => true,
        Stmt::If { then, else_, .. } | Stmt::IfLet { then, else_, .. } => {
            loop_breaks(then) || else_.as_ref().is_some_and(loop_breaks)
        }
        Stmt::Block(b) => loop_breaks(b),
        _ => false,
    })
}
