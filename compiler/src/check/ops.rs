//! Operators: the checker picks the typed HIR operator from the operand types (no implicit
//! int↔float conversion), checks `==`/`!=` comparability, `&&`/`||` and `??`.

use super::expr::{context_sensitive, err_expr, mk};
use super::Checker;
use crate::ast::{self, BinaryOp, UnaryOp};
use crate::diag::Span;
use crate::hir::{self, BinOp, ExprKind, UnOp};
use crate::types::Type;

/// The typed operator and result type of an arithmetic or ordering operator, if the operand types
/// allow it.
pub(super) fn typed_op(op: BinaryOp, l: &Type, r: &Type) -> Option<(BinOp, Type)> {
    use BinOp::*;
    let t = match (l, r) {
        (Type::Int, Type::Int) => 0,
        (Type::Float, Type::Float) => 1,
        (Type::Str, Type::Str) => 2,
        _ => return None,
    };
    let pick = |ops: [Option<BinOp>; 3]| ops[t];
    let (op, ty) = match op {
        BinaryOp::Add => (pick([Some(AddInt), Some(AddFloat), Some(Concat)])?, l.clone()),
        BinaryOp::Sub => (pick([Some(SubInt), Some(SubFloat), None])?, l.clone()),
        BinaryOp::Mul => (pick([Some(MulInt), Some(MulFloat), None])?, l.clone()),
        BinaryOp::Div => (pick([Some(DivInt), Some(DivFloat), None])?, l.clone()),
        BinaryOp::Rem => (pick([Some(RemInt), Some(RemFloat), None])?, l.clone()),
        BinaryOp::Lt => (pick([Some(LtInt), Some(LtFloat), Some(LtStr)])?, Type::Bool),
        BinaryOp::Le => (pick([Some(LeInt), Some(LeFloat), Some(LeStr)])?, Type::Bool),
        BinaryOp::Gt => (pick([Some(GtInt), Some(GtFloat), Some(GtStr)])?, Type::Bool),
        BinaryOp::Ge => (pick([Some(GeInt), Some(GeFloat), Some(GeStr)])?, Type::Bool),
        _ => return None,
    };
    Some((op, ty))
}

impl<'a> Checker<'a> {
    /// Checks `-x` / `!x`.
    pub(super) fn check_unary(&mut self, op: UnaryOp, expr: &'a ast::Expr<'a>, span: Span) -> hir::Expr {
        let x = self.check_expr(expr, None);
        let (uop, ty) = match (op, &x.ty) {
            (_, Type::Error | Type::Never) => return err_expr(span),
            (UnaryOp::Neg, Type::Int) => (UnOp::NegInt, Type::Int),
            (UnaryOp::Neg, Type::Float) => (UnOp::NegFloat, Type::Float),
            (UnaryOp::Not, Type::Bool) => (UnOp::Not, Type::Bool),
            (_, t) => {
                let sym = if op == UnaryOp::Neg { "-" } else { "!" };
                let shown = self.show(t);
                self.error(span, format!("cannot apply '{sym}' to {shown}"));
                return err_expr(span);
            }
        };
        mk(ExprKind::Unary { op: uop, expr: Box::new(x) }, ty, span)
    }

    /// Checks a binary operator, `&&`/`||` and `??` included.
    pub(super) fn check_binary(
        &mut self,
        op: BinaryOp,
        lhs: &'a ast::Expr<'a>,
        rhs: &'a ast::Expr<'a>,
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.check_expr_as(lhs, &Type::Bool);
                let r = self.check_expr_as(rhs, &Type::Bool);
                let kind = if op == BinaryOp::And {
                    ExprKind::And(Box::new(l), Box::new(r))
                } else {
                    ExprKind::Or(Box::new(l), Box::new(r))
                };
                mk(kind, Type::Bool, span)
            }
            BinaryOp::Coalesce => self.check_coalesce(lhs, rhs, expected, span),
            BinaryOp::Eq | BinaryOp::Ne => {
                let (l, r) = if context_sensitive(lhs) && !context_sensitive(rhs) {
                    let r = self.check_expr(rhs, None);
                    let l = self.check_expr(lhs, Some(&r.ty));
                    (l, r)
                } else {
                    let l = self.check_expr(lhs, None);
                    let r = self.check_expr(rhs, Some(&l.ty));
                    (l, r)
                };
                if !self.comparable(&l.ty, &r.ty) {
                    let msg = format!("cannot compare {} with {}", self.show(&l.ty), self.show(&r.ty));
                    self.error(span, msg);
                }
                let bop = if op == BinaryOp::Eq { BinOp::Eq } else { BinOp::Ne };
                mk(ExprKind::Binary { op: bop, lhs: Box::new(l), rhs: Box::new(r) }, Type::Bool, span)
            }
            _ => {
                let l = self.check_expr(lhs, None);
                let r = self.check_expr(rhs, Some(&l.ty));
                self.arith(op, l, r, span)
            }
        }
    }

    /// Builds an arithmetic or ordering operation, reporting operand types that do not fit.
    pub(super) fn arith(&mut self, op: BinaryOp, l: hir::Expr, r: hir::Expr, span: Span) -> hir::Expr {
        if matches!(l.ty, Type::Error | Type::Never) || matches!(r.ty, Type::Error | Type::Never) {
            return err_expr(span);
        }
        match typed_op(op, &l.ty, &r.ty) {
            Some((bop, ty)) => mk(ExprKind::Binary { op: bop, lhs: Box::new(l), rhs: Box::new(r) }, ty, span),
            None => {
                let msg = format!("cannot apply '{}' to {} and {}", op.symbol(), self.show(&l.ty), self.show(&r.ty));
                self.error(span, msg);
                err_expr(span)
            }
        }
    }

    fn check_coalesce(
        &mut self,
        lhs: &'a ast::Expr<'a>,
        rhs: &'a ast::Expr<'a>,
        expected: Option<&Type>,
        span: Span,
    ) -> hir::Expr {
        let hint = expected.map(|t| t.clone().optional());
        let l = self.check_expr(lhs, hint.as_ref());
        let base = match &l.ty {
            Type::Optional(b) => Some((**b).clone()),
            Type::Error | Type::Never => Some(Type::Error),
            Type::Nil => None,
            t => {
                let shown = self.show(t);
                self.error(l.span, format!("expected an optional, found {shown}"));
                Some(Type::Error)
            }
        };
        let Some(base) = base else {
            let r = self.check_expr(rhs, expected);
            let ty = r.ty.clone();
            return mk(ExprKind::Coalesce(Box::new(l), Box::new(r)), ty, span);
        };
        let r = self.check_expr(rhs, Some(&base));
        let ty = if self.assignable(&r.ty, &base) {
            base
        } else if self.assignable(&r.ty, &base.clone().optional()) {
            base.optional()
        } else {
            let msg = if r.ty == Type::Void {
                format!("expected {}, found nothing", self.show(&base))
            } else {
                format!("expected {}, found {}", self.show(&base), self.show(&r.ty))
            };
            self.error(r.span, msg);
            base
        };
        mk(ExprKind::Coalesce(Box::new(l), Box::new(r)), ty, span)
    }
}
