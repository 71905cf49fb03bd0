//! Small syntactic questions about HIR that code generation asks to pick shorter code: does a
//! loop body assign its variable, may an expression be evaluated twice, may a field default be
//! inlined into a construction.

use crate::hir::LocalId;
use crate::hir::{Block, Capture, Expr, ExprKind, Place, Program, Stmt};

/// True when some statement or expression in `block` satisfies `stmt_pred` / `expr_pred`
/// (lambda bodies are other functions and are not entered).
fn any_in_block(block: &Block, sp: &mut dyn FnMut(&Stmt) -> bool, ep: &mut dyn FnMut(&Expr) -> bool) -> bool {
    block.stmts.iter().any(|s| any_in_stmt(s, sp, ep))
}

fn any_in_stmt(s: &Stmt, sp: &mut dyn FnMut(&Stmt) -> bool, ep: &mut dyn FnMut(&Expr) -> bool) -> bool {
    if sp(s) {
        return true;
    }
    let mut e = |x: &Expr| any_in_expr(x, sp, ep);
    match s {
        Stmt::Let { init, .. } => e(init),
        Stmt::Assign { target, value, .. } => {
            let in_target = match target {
                Place::Field { obj, .. } => any_in_expr(obj, sp, ep),
                Place::Index { obj, index, .. } => any_in_expr(obj, sp, ep) || any_in_expr(index, sp, ep),
                Place::Local(_) | Place::Capture(_) | Place::Global(_) => false,
            };
            in_target || any_in_expr(value, sp, ep)
        }
        Stmt::If { cond, then, else_, .. } => {
            any_in_expr(cond, sp, ep)
                || any_in_block(then, sp, ep)
                || else_.as_ref().is_some_and(|b| any_in_block(b, sp, ep))
        }
        Stmt::IfLet { value, then, else_, .. } => {
            any_in_expr(value, sp, ep)
                || any_in_block(then, sp, ep)
                || else_.as_ref().is_some_and(|b| any_in_block(b, sp, ep))
        }
        Stmt::While { cond: x, body, .. }
        | Stmt::WhileLet { value: x, body, .. }
        | Stmt::ForList { list: x, body, .. }
        | Stmt::ForMap { map: x, body, .. } => any_in_expr(x, sp, ep) || any_in_block(body, sp, ep),
        Stmt::ForRange { start, end, body, .. } => {
            any_in_expr(start, sp, ep) || any_in_expr(end, sp, ep) || any_in_block(body, sp, ep)
        }
        Stmt::Return { value: Some(v), .. } => e(v),
        Stmt::Expr(x) => e(x),
        Stmt::Block(b) => any_in_block(b, sp, ep),
        Stmt::Break { .. } | Stmt::Continue { .. } | Stmt::Return { value: None, .. } => false,
    }
}

fn any_in_expr(x: &Expr, sp: &mut dyn FnMut(&Stmt) -> bool, ep: &mut dyn FnMut(&Expr) -> bool) -> bool {
    if ep(x) {
        return true;
    }
    let all = |xs: &[Expr], sp: &mut dyn FnMut(&Stmt) -> bool, ep: &mut dyn FnMut(&Expr) -> bool| {
        xs.iter().any(|a| any_in_expr(a, sp, ep))
    };
    match &x.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Nil
        | ExprKind::Local(_)
        | ExprKind::Capture(_)
        | ExprKind::Global(_)
        | ExprKind::FuncRef(_)
        | ExprKind::Lambda { .. } => false,
        ExprKind::Interp(xs) | ExprKind::List(xs) => all(xs, sp, ep),
        ExprKind::Field { obj, .. } => any_in_expr(obj, sp, ep),
        ExprKind::Index { obj, index, .. } => any_in_expr(obj, sp, ep) || any_in_expr(index, sp, ep),
        ExprKind::CallFunc { args, .. } | ExprKind::CallSuper { args, .. } | ExprKind::CallBuiltin { args, .. } => {
            all(args, sp, ep)
        }
        ExprKind::CallMethod { recv: f, args, .. } | ExprKind::CallValue { callee: f, args } => {
            any_in_expr(f, sp, ep) || all(args, sp, ep)
        }
        ExprKind::Construct { fields, .. } => fields.iter().flatten().any(|f| any_in_expr(f, sp, ep)),
        ExprKind::Map(pairs) => pairs.iter().any(|(k, v)| any_in_expr(k, sp, ep) || any_in_expr(v, sp, ep)),
        ExprKind::Unary { expr, .. } | ExprKind::Is { expr, .. } | ExprKind::As { expr, .. } => {
            any_in_expr(expr, sp, ep)
        }
        ExprKind::Spawn(expr) => any_in_expr(expr, sp, ep),
        ExprKind::Binary { lhs: a, rhs: b, .. }
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Coalesce(a, b) => any_in_expr(a, sp, ep) || any_in_expr(b, sp, ep),
        ExprKind::Seq(stmts, value) => stmts.iter().any(|s| any_in_stmt(s, sp, ep)) || any_in_expr(value, sp, ep),
    }
}

/// True when `block` may assign local `id` (a plain assignment or a compound one).
pub fn assigns_local(block: &Block, id: LocalId) -> bool {
    any_in_block(block, &mut |s| matches!(s, Stmt::Assign { target: Place::Local(l), .. } if *l == id), &mut |_| false)
}

/// True when `e` may assign local `id` (through a desugared statement sequence).
pub fn expr_assigns_local(e: &Expr, id: LocalId) -> bool {
    any_in_expr(e, &mut |s| matches!(s, Stmt::Assign { target: Place::Local(l), .. } if *l == id), &mut |_| false)
}

/// A field default that can be compiled into any function: it declares and reads no locals and
/// captures nothing.
pub fn default_inlinable(prog: &Program, e: &Expr) -> bool {
    !any_in_expr(e, &mut |_| true, &mut |x| match &x.kind {
        ExprKind::Local(_) | ExprKind::Capture(_) | ExprKind::Seq(..) => true,
        ExprKind::Lambda { func } => prog.functions.get(func.0 as usize).is_none_or(|f| !f.captures.is_empty()),
        _ => false,
    })
}

/// Locals an expression compiled on its own needs (a field default checked without a function):
/// one more than the highest local id it mentions, and which of them lambdas capture.
pub fn locals_used(prog: &Program, e: &Expr) -> (u32, Vec<LocalId>) {
    let max = std::cell::Cell::new(0u32);
    let mut captured = Vec::new();
    let bump = |l: LocalId| max.set(max.get().max(l.0 + 1));
    any_in_expr(
        e,
        &mut |s| {
            if let Stmt::Let { local, .. } | Stmt::Assign { target: Place::Local(local), .. } = s {
                bump(*local);
            }
            false
        },
        &mut |x| {
            match &x.kind {
                ExprKind::Local(l) => bump(*l),
                ExprKind::Lambda { func } => {
                    if let Some(f) = prog.functions.get(func.0 as usize) {
                        for c in &f.captures {
                            if let Capture::Local(l) = c {
                                captured.push(*l);
                                bump(*l);
                            }
                        }
                    }
                }
                _ => {}
            }
            false
        },
    );
    (max.get(), captured)
}

/// An expression that can be evaluated twice with the same result and no effect: a literal or
/// a plain (non-cell) local. `cells` tells whether a local lives in a cell.
pub fn is_simple(e: &Expr, is_cell: impl Fn(LocalId) -> bool) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Nil | ExprKind::Float(_) => true,
        ExprKind::Local(l) => !is_cell(*l),
        _ => false,
    }
}
