//! Expressions: each leaves exactly one value on the operand stack. Conditions used for control
//! flow go through [`FnGen::branch`], which jumps directly instead of materialising a bool.

use super::analysis::default_inlinable;
use super::builder::Label;
use super::func::FnGen;
use crate::builtins::Builtin;
use crate::bytecode::{Constant, Op};
use crate::hir::{BinOp, Expr, ExprKind, IndexKind, UnOp};
use crate::types::{ClassId, RtType, Type};

/// The instruction of a typed binary operator.
pub fn binop(op: BinOp) -> Op {
    match op {
        BinOp::AddInt => Op::AddInt,
        BinOp::SubInt => Op::SubInt,
        BinOp::MulInt => Op::MulInt,
        BinOp::DivInt => Op::DivInt,
        BinOp::RemInt => Op::RemInt,
        BinOp::AddFloat => Op::AddFloat,
        BinOp::SubFloat => Op::SubFloat,
        BinOp::MulFloat => Op::MulFloat,
        BinOp::DivFloat => Op::DivFloat,
        BinOp::RemFloat => Op::RemFloat,
        BinOp::Concat => Op::Concat,
        BinOp::LtInt => Op::LtInt,
        BinOp::LeInt => Op::LeInt,
        BinOp::GtInt => Op::GtInt,
        BinOp::GeInt => Op::GeInt,
        BinOp::LtFloat => Op::LtFloat,
        BinOp::LeFloat => Op::LeFloat,
        BinOp::GtFloat => Op::GtFloat,
        BinOp::GeFloat => Op::GeFloat,
        BinOp::LtStr => Op::LtStr,
        BinOp::LeStr => Op::LeStr,
        BinOp::GtStr => Op::GtStr,
        BinOp::GeStr => Op::GeStr,
        BinOp::Eq => Op::Eq,
        BinOp::Ne => Op::Ne,
    }
}

/// The load instruction of a container index.
fn index_op(kind: IndexKind) -> Op {
    match kind {
        IndexKind::List => Op::ListIndex,
        IndexKind::Map => Op::MapIndex,
    }
}

impl FnGen<'_> {
    /// Compiles `e`, leaving its value on the stack.
    pub fn expr(&mut self, e: &Expr) {
        let saved = self.enter_line(e.span);
        self.expr_kind(e);
        self.b.line = saved;
    }

    fn expr_kind(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(v) => self.int(*v),
            ExprKind::Float(f) => self.constant(Constant::Float(*f)),
            ExprKind::Str(s) => self.constant(Constant::Str(s.clone())),
            ExprKind::Bool(true) => self.b.emit(Op::True),
            ExprKind::Bool(false) => self.b.emit(Op::False),
            ExprKind::Nil => self.b.emit(Op::Nil),
            ExprKind::Interp(parts) => self.interp(parts),
            ExprKind::Local(id) => self.load_local(*id),
            ExprKind::Capture(i) => {
                let i = self.slot16(*i, "captured variables");
                self.b.emit(Op::LoadUpval(i));
            }
            ExprKind::Global(g) => match self.layout.slot_of_global(*g) {
                Some(s) => self.b.emit(Op::LoadGlobal(s)),
                None => self.bad(format!("global #{} has no slot", g.0)),
            },
            ExprKind::FuncRef(f) => match self.layout.slot_of_func(*f) {
                Some(s) => self.b.emit(Op::LoadGlobal(s)),
                None => self.bad(format!("function #{} is not a module function", f.0)),
            },
            ExprKind::Field { obj, slot } => {
                let field = self.slot16(*slot, "fields");
                match obj.kind {
                    ExprKind::Local(l) if !self.is_cell(l) => {
                        let s = self.slot16(l.0, "local variables");
                        self.b.emit(Op::LoadLocalField(s, field));
                    }
                    _ => {
                        self.expr(obj);
                        self.b.emit(Op::GetField(field));
                    }
                }
            }
            ExprKind::Index { obj, index, kind } => {
                self.expr(obj);
                self.expr(index);
                self.b.emit(index_op(*kind));
            }
            ExprKind::CallFunc { func, args } => {
                let argc = self.args(args);
                match self.layout.slot_of_func(*func) {
                    Some(s) => {
                        let name = self.prog.functions.get(func.0 as usize).map(|f| f.name.clone()).unwrap_or_default();
                        self.emit_call(Op::CallGlobal(s, argc), name)
                    }
                    None => self.bad(format!("function #{} is not a module function", func.0)),
                }
            }
            ExprKind::CallMethod { recv, slot, args } => {
                self.expr(recv);
                let argc = self.args(args);
                let s = self.slot16(*slot, "methods");
                let name = method_name(self.prog, &recv.ty, *slot);
                self.emit_call(Op::CallMethod(s, argc), name);
            }
            ExprKind::CallSuper { class, slot, args } => {
                // `args[0]` is the receiver (`self`); the operand counts the others.
                let argc = self.args(args);
                let s = self.slot16(*slot, "methods");
                if argc == 0 {
                    self.bad("super call without a receiver".into());
                } else {
                    let name = method_name(self.prog, &Type::Class(*class, Vec::new()), *slot);
                    self.emit_call(Op::CallSuper(class.0, s, argc - 1), name);
                }
            }
            ExprKind::CallValue { callee, args } => {
                self.expr(callee);
                let argc = self.args(args);
                self.emit_call(Op::Call(argc), "<value>".into());
            }
            ExprKind::CallBuiltin { builtin: Builtin::Str, args } if args.len() == 1 => {
                // `str(x)` is the `ToStr` instruction (nothing for a str).
                self.expr(&args[0]);
                if args[0].ty != Type::Str {
                    self.b.emit(Op::ToStr);
                }
            }
            ExprKind::CallBuiltin { builtin, args } => {
                let argc = self.args(args);
                self.emit_call(Op::CallBuiltin(builtin.id(), argc), builtin.name().into());
            }
            ExprKind::Construct { class, fields } => self.construct(*class, fields),
            ExprKind::List(items) => {
                for it in items {
                    self.expr(it);
                }
                self.b.emit(Op::List(items.len() as u32));
            }
            ExprKind::Map(pairs) => {
                for (k, v) in pairs {
                    self.expr(k);
                    self.expr(v);
                }
                self.b.emit(Op::Map(pairs.len() as u32));
            }
            ExprKind::Unary { op, expr } => self.unary(*op, expr),
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                self.expr(rhs);
                self.b.emit(binop(*op));
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                // `a && b`: when `a` decides (false for `&&`, true for `||`) the result is that
                // constant; otherwise it is `b`'s value.
                let is_and = matches!(e.kind, ExprKind::And(..));
                let decided = self.b.label();
                let end = self.b.label();
                self.branch(a, !is_and, decided);
                self.expr(b);
                self.b.jump(Op::Jump, end);
                self.b.bind(decided);
                self.b.emit(if is_and { Op::False } else { Op::True });
                self.b.bind(end);
            }
            ExprKind::Coalesce(lhs, rhs) => {
                let end = self.b.label();
                self.expr(lhs);
                self.b.jump(Op::JumpIfNotNil, end);
                self.expr(rhs);
                self.b.bind(end);
            }
            ExprKind::Is { expr, ty } => {
                self.expr(expr);
                self.b.emit(Op::Is(ty.encode()));
            }
            ExprKind::As { expr, ty, nullable } => {
                self.expr(expr);
                // A cast to `any` always succeeds.
                if *ty != RtType::Any {
                    self.b.emit(if *nullable { Op::AsOpt(ty.encode()) } else { Op::As(ty.encode()) });
                }
            }
            ExprKind::Lambda { func } => self.b.emit(Op::Closure(func.0)),
            ExprKind::Spawn(call) => self.spawn(call),
            ExprKind::Seq(stmts, value) => {
                self.open_scope();
                for s in stmts {
                    self.stmt(s);
                }
                self.expr(value);
                self.close_scope();
            }
        }
    }

    /// Reports a malformed reference and pushes a placeholder so the stack stays balanced.
    fn bad(&mut self, msg: String) {
        self.error(format!("internal compiler error: {msg}"));
        self.b.emit(Op::Nil);
    }

    /// Pushes an int: inline when it fits, else from the constant pool.
    pub fn int(&mut self, v: i64) {
        match i32::try_from(v) {
            Ok(small) => self.b.emit(Op::Int(small)),
            Err(_) => self.constant(Constant::Int(v)),
        }
    }

    /// Pushes a pooled constant.
    pub fn constant(&mut self, c: Constant) {
        let k = self.b.constant(c);
        self.b.emit(Op::Const(k));
    }

    /// Pushes call arguments and returns their count as an operand.
    fn args(&mut self, args: &[Expr]) -> u8 {
        for a in args {
            self.expr(a);
        }
        u8::try_from(args.len()).unwrap_or_else(|_| {
            self.error("function too large (more than 255 arguments in a call)");
            0
        })
    }

    fn interp(&mut self, parts: &[Expr]) {
        if parts.is_empty() {
            return self.constant(Constant::Str(String::new()));
        }
        for p in parts {
            self.expr(p);
            if p.ty != Type::Str {
                self.b.emit(Op::ToStr);
            }
        }
        if parts.len() > 1 {
            match u16::try_from(parts.len()) {
                Ok(n) => self.b.emit(Op::ConcatN(n)),
                Err(_) => self.error("expression too large (more than 65535 interpolated parts)"),
            }
        }
    }

    fn unary(&mut self, op: UnOp, e: &Expr) {
        // Fold negated literals so `-5` is one instruction.
        match (op, &e.kind) {
            (UnOp::NegInt, ExprKind::Int(v)) if v.checked_neg().is_some() => return self.int(-v),
            (UnOp::NegFloat, ExprKind::Float(f)) => return self.constant(Constant::Float(-f)),
            _ => {}
        }
        self.expr(e);
        self.b.emit(match op {
            UnOp::NegInt => Op::NegInt,
            UnOp::NegFloat => Op::NegFloat,
            UnOp::Not => Op::Not,
        });
    }

    /// Evaluates every field in slot order (given, or the default) then `New`.
    fn construct(&mut self, class: ClassId, fields: &[Option<Expr>]) {
        for (slot, f) in fields.iter().enumerate() {
            match f {
                Some(e) => self.expr(e),
                None => self.field_default(class, slot as u32),
            }
        }
        let n = self.slot16(fields.len() as u32, "fields");
        self.b.emit(Op::New(class.0, n));
    }

    /// The default value of a field omitted from a construction: the expression inlined when it
    /// needs no locals of its own, else a call of its `FieldDefault` function.
    fn field_default(&mut self, class: ClassId, slot: u32) {
        let prog = self.prog;
        let default = prog
            .classes
            .get(class.0 as usize)
            .and_then(|c| c.fields.get(slot as usize))
            .and_then(|f| f.default.as_ref());
        match default {
            Some(d) if default_inlinable(prog, d) => {
                let locked = std::mem::replace(&mut self.line_locked, true);
                self.expr(d);
                self.line_locked = locked;
            }
            Some(_) => match self.layout.default_of(prog, class, slot) {
                Some(f) => {
                    self.b.emit(Op::Closure(f.0));
                    self.b.emit(Op::Call(0));
                }
                None => self.bad(format!("field {slot} of class #{} has no default function", class.0)),
            },
            None => self.bad(format!("field {slot} of class #{} is omitted but has no default", class.0)),
        }
    }

    /// `spawn call`: the callee and arguments, then `Spawn`/`SpawnMethod`.
    fn spawn(&mut self, call: &Expr) {
        let saved = self.enter_line(call.span);
        match &call.kind {
            ExprKind::CallFunc { func, args } => {
                match self.layout.slot_of_func(*func) {
                    Some(s) => self.b.emit(Op::LoadGlobal(s)),
                    None => self.bad(format!("function #{} is not a module function", func.0)),
                }
                let argc = self.args(args);
                self.b.emit(Op::Spawn(argc));
            }
            ExprKind::CallValue { callee, args } => {
                self.expr(callee);
                let argc = self.args(args);
                self.b.emit(Op::Spawn(argc));
            }
            ExprKind::CallMethod { recv, slot, args } => {
                self.expr(recv);
                let argc = self.args(args);
                let s = self.slot16(*slot, "methods");
                self.b.emit(Op::SpawnMethod(s, argc));
            }
            ExprKind::CallBuiltin { builtin, args } => {
                // A built-in is not a function value: spawn a thunk that calls it.
                let argc = u8::try_from(args.len()).unwrap_or(0);
                let thunk = self.layout.spawn_thunk(self.prog, self.id, *builtin, argc, self.b.line);
                self.b.emit(Op::Closure(thunk.0));
                let argc = self.args(args);
                self.b.emit(Op::Spawn(argc));
            }
            _ => self.bad("spawn of something that is not a call".into()),
        }
        self.b.line = saved;
    }

    /// Emits code that jumps to `target` when `e` (a bool) equals `jump_if` and falls through
    /// otherwise, short-circuiting `&&`, `||` and `!` without materialising bools.
    pub fn branch(&mut self, e: &Expr, jump_if: bool, target: Label) {
        let saved = self.enter_line(e.span);
        match &e.kind {
            ExprKind::Bool(b) => {
                if *b == jump_if {
                    self.b.jump(Op::Jump, target);
                }
            }
            ExprKind::Unary { op: UnOp::Not, expr } => self.branch(expr, !jump_if, target),
            ExprKind::And(a, b) => {
                if jump_if {
                    let skip = self.b.label();
                    self.branch(a, false, skip);
                    self.branch(b, true, target);
                    self.b.bind(skip);
                } else {
                    self.branch(a, false, target);
                    self.branch(b, false, target);
                }
            }
            ExprKind::Or(a, b) => {
                if jump_if {
                    self.branch(a, true, target);
                    self.branch(b, true, target);
                } else {
                    let skip = self.b.label();
                    self.branch(a, true, skip);
                    self.branch(b, false, target);
                    self.b.bind(skip);
                }
            }
            ExprKind::Binary { op: BinOp::LtInt, lhs, rhs } if !jump_if => self.jump_if_not_lt(lhs, rhs, target),
            ExprKind::Binary { op: BinOp::GeInt, lhs, rhs } if jump_if => self.jump_if_not_lt(lhs, rhs, target),
            ExprKind::Binary { op: op @ (BinOp::Eq | BinOp::Ne), lhs, rhs } if is_nil(lhs) || is_nil(rhs) => {
                // `x == nil` / `x != nil`: test the value itself.
                let x = if is_nil(lhs) { rhs } else { lhs };
                self.expr(x);
                let jump_when_nil = (*op == BinOp::Eq) == jump_if;
                if jump_when_nil {
                    self.b.jump(Op::JumpIfNil, target);
                } else {
                    let skip = self.b.label();
                    self.b.jump(Op::JumpIfNil, skip);
                    self.b.jump(Op::Jump, target);
                    self.b.bind(skip);
                }
            }
            _ => {
                self.expr(e);
                self.b.jump(if jump_if { Op::JumpIfTrue } else { Op::JumpIfFalse }, target);
            }
        }
        self.b.line = saved;
    }

    /// Jumps to `target` when not `lhs < rhs` (ints).
    fn jump_if_not_lt(&mut self, lhs: &Expr, rhs: &Expr, target: Label) {
        self.expr(lhs);
        self.expr(rhs);
        self.b.jump(Op::JumpIfNotLtInt, target);
    }

    /// Pushes the result of built-in `b` applied to what is on the stack (`argc` values).
    pub fn call_builtin(&mut self, b: Builtin, argc: u8) {
        self.b.emit(Op::CallBuiltin(b.id(), argc));
    }
}

fn is_nil(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Nil)
}

/// The name of vtable entry `slot` of the class a receiver's type names (`""` when unknown).
fn method_name(prog: &crate::hir::Program, recv: &Type, slot: u32) -> String {
    match recv {
        Type::Class(c, _) => prog
            .classes
            .get(c.0 as usize)
            .and_then(|k| k.methods.get(slot as usize))
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}
