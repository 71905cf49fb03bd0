//! The bytecode verifier: every function is checked once, when it is loaded (at start or by an
//! update), so the interpreter loop can trust what it runs.
//!
//! It checks that every operand indexes something that exists (locals, constants, globals, classes,
//! functions, built-ins, captures), that every jump lands on an instruction, that no path runs off
//! the end of the code, and — by abstract interpretation of stack depths — that the operand stack
//! never underflows the frame and has the same depth on every path into an instruction. The
//! deepest stack it finds is what a call reserves.
//!
//! Architecture Invariant: after `verify_function` succeeds, the interpreter's `pc` always indexes
//! the code, every local slot is below `num_locals`, and every pop finds a value above the locals.

use newt_compiler::builtins::Builtin;
use newt_compiler::bytecode::{CaptureSrc, FuncProto, Op, ProtoKind};
use newt_compiler::types::RtType;

/// What the verifier needs to know about the rest of the program.
pub trait VerifyEnv {
    /// Number of global slots.
    fn global_count(&self) -> usize;
    /// (field count, vtable length) of a class.
    fn class_shape(&self, class: u32) -> Option<(usize, usize)>;
    /// The capture list of a lambda (`None` when `func` is not a lambda).
    fn lambda_captures(&self, func: u32) -> Option<&[CaptureSrc]>;
}

impl VerifyEnv for newt_compiler::bytecode::Image {
    fn global_count(&self) -> usize {
        self.globals.len()
    }

    fn class_shape(&self, class: u32) -> Option<(usize, usize)> {
        self.classes.get(class as usize).map(|c| (c.fields.len(), c.vtable.len()))
    }

    fn lambda_captures(&self, func: u32) -> Option<&[CaptureSrc]> {
        let f = self.functions.get(func as usize)?;
        matches!(f.kind, ProtoKind::Lambda { .. }).then_some(f.captures.as_slice())
    }
}

/// Values an instruction pops (before pushing its results).
fn inputs(op: Op) -> u32 {
    use Op::*;
    match op {
        Nil | True | False | Int(_) | Const(_) | LoadLocal(_) | LoadCell(_) | LoadUpval(_) | LoadGlobal(_) => 0,
        Jump(_) | Loop(_) | Closure(_) | ReturnNil => 0,
        AddLocalInt(..) | LoadLocalField(..) | ListNext(..) => 0,
        JumpIfNotLtInt(_) => 2,
        Pop | Dup | StoreLocal(_) | NewCell(_) | StoreCell(_) | StoreUpval(_) | StoreGlobal(_) => 1,
        NegInt | NegFloat | Not | JumpIfFalse(_) | JumpIfTrue(_) | JumpIfNil(_) | JumpIfNotNil(_) => 1,
        Return | GetField(_) | Is(_) | As(_) | AsOpt(_) | ToStr => 1,
        Swap | SetField(_) | ListIndex | MapIndex => 2,
        AddInt | SubInt | MulInt | DivInt | RemInt | AddFloat | SubFloat | MulFloat | DivFloat | RemFloat => 2,
        Concat | LtInt | LeInt | GtInt | GeInt | LtFloat | LeFloat | GtFloat | GeFloat => 2,
        LtStr | LeStr | GtStr | GeStr | Eq | Ne => 2,
        ListStore | MapStore => 3,
        Call(argc) | CallMethod(_, argc) | CallSuper(_, _, argc) | Spawn(argc) | SpawnMethod(_, argc) => {
            argc as u32 + 1
        }
        CallGlobal(_, argc) | CallBuiltin(_, argc) => argc as u32,
        New(_, n) | ConcatN(n) => n as u32,
        List(n) => n,
        Map(n) => n.saturating_mul(2),
    }
}

/// Checks one function; returns the deepest operand stack it reaches.
pub fn verify_function(f: &FuncProto, env: &dyn VerifyEnv) -> Result<u32, String> {
    let err = |pc: usize, msg: String| Err(format!("{}: instruction {pc}: {msg}", f.name));
    let code = &f.code;
    if code.is_empty() {
        return Err(format!("{}: empty code", f.name));
    }
    if f.arity as u16 > f.num_locals {
        return Err(format!("{}: {} parameters but {} locals", f.name, f.arity, f.num_locals));
    }
    let locals = f.num_locals as usize;
    let captures = f.captures.len();
    let mut depth: Vec<Option<u32>> = vec![None; code.len()];
    let mut work: Vec<(usize, u32)> = vec![(0, 0)];
    let mut max = 0u32;
    while let Some((pc, d)) = work.pop() {
        if let Some(seen) = depth[pc] {
            if seen != d {
                return err(pc, format!("stack depth {d} here but {seen} on another path"));
            }
            continue;
        }
        depth[pc] = Some(d);
        let op = code[pc];
        let pops = inputs(op);
        if d < pops {
            return err(pc, format!("{} needs {pops} operands, stack has {d}", op.name()));
        }
        let after = (d as i64 + op.stack_effect() as i64) as u32;
        max = max.max(d).max(after);
        if max > u16::MAX as u32 {
            return err(pc, "operand stack too deep".into());
        }
        if let Some(msg) = check_operands(op, f, env, locals, captures) {
            return err(pc, msg);
        }
        let target = |off: i32| -> Result<usize, String> {
            let t = pc as i64 + 1 + off as i64;
            if t < 0 || t >= code.len() as i64 {
                Err(format!("{}: instruction {pc}: jump to {t} outside the code", f.name))
            } else {
                Ok(t as usize)
            }
        };
        let fall = |work: &mut Vec<(usize, u32)>, d: u32| -> Result<(), String> {
            if pc + 1 >= code.len() {
                return Err(format!("{}: instruction {pc}: runs off the end of the code", f.name));
            }
            work.push((pc + 1, d));
            Ok(())
        };
        match op {
            Op::Return | Op::ReturnNil => {}
            Op::Jump(off) | Op::Loop(off) => work.push((target(off)?, after)),
            Op::JumpIfFalse(off) | Op::JumpIfTrue(off) | Op::JumpIfNil(off) | Op::JumpIfNotLtInt(off) => {
                work.push((target(off)?, after));
                fall(&mut work, after)?;
            }
            Op::JumpIfNotNil(off) | Op::ListNext(_, off) => {
                work.push((target(off)?, d));
                fall(&mut work, after)?;
            }
            _ => fall(&mut work, after)?,
        }
    }
    Ok(max)
}

/// Checks the operands of one instruction; `Some(message)` when one is out of range.
fn check_operands(op: Op, f: &FuncProto, env: &dyn VerifyEnv, locals: usize, captures: usize) -> Option<String> {
    let local = |s: u16| (s as usize >= locals).then(|| format!("local {s} out of {locals}"));
    let global = |s: u32| (s as usize >= env.global_count()).then(|| format!("global slot {s} does not exist"));
    match op {
        Op::LoadLocal(s) | Op::StoreLocal(s) | Op::NewCell(s) | Op::LoadCell(s) | Op::StoreCell(s) => local(s),
        Op::AddLocalInt(s, _) | Op::LoadLocalField(s, _) => local(s),
        Op::ListNext(s, _) => {
            (s as usize + 1 >= locals).then(|| format!("list cursor slots {s}, {} out of {locals}", s as usize + 1))
        }
        Op::LoadUpval(i) | Op::StoreUpval(i) => {
            (i as usize >= captures).then(|| format!("capture {i} out of {captures}"))
        }
        Op::Const(k) => (k as usize >= f.consts.len()).then(|| format!("constant {k} does not exist")),
        Op::LoadGlobal(s) | Op::StoreGlobal(s) | Op::CallGlobal(s, _) => global(s),
        Op::New(class, n) => match env.class_shape(class) {
            None => Some(format!("class {class} does not exist")),
            Some((fields, _)) if fields != n as usize => Some(format!("class {class} has {fields} fields, not {n}")),
            _ => None,
        },
        Op::CallSuper(class, vslot, _) => match env.class_shape(class) {
            None => Some(format!("class {class} does not exist")),
            Some((_, vt)) if vslot as usize >= vt => Some(format!("class {class} has no vtable entry {vslot}")),
            _ => None,
        },
        Op::CallBuiltin(id, argc) => match Builtin::from_id(id) {
            None => Some(format!("built-in {id} does not exist")),
            Some(b) if b.arity() != argc as usize => {
                Some(format!("built-in {} takes {} arguments, not {argc}", b.name(), b.arity()))
            }
            _ => None,
        },
        Op::Closure(func) => match env.lambda_captures(func) {
            None => Some(format!("function {func} is not a lambda")),
            Some(caps) => caps.iter().find_map(|c| match *c {
                CaptureSrc::Local(s) => local(s),
                CaptureSrc::Upval(i) => (i as usize >= captures).then(|| format!("capture {i} out of {captures}")),
            }),
        },
        Op::Is(ty) | Op::As(ty) | Op::AsOpt(ty) => match RtType::decode(ty) {
            None => Some(format!("bad type operand {ty}")),
            Some(RtType::Class(c)) if env.class_shape(c.0).is_none() => Some(format!("class {} does not exist", c.0)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use newt_compiler::bytecode::Image;

    fn proto(code: Vec<Op>, locals: u16) -> FuncProto {
        FuncProto {
            name: "t".into(),
            module: "m".into(),
            kind: ProtoKind::Module,
            arity: 0,
            num_locals: locals,
            max_stack: 0,
            lines: vec![1; code.len()],
            code,
            consts: vec![],
            captures: vec![],
            locals: vec![],
            calls: vec![],
            hidden_base: locals,
            local_inits: vec![],
            path: "t.newt".into(),
            hash: 0,
        }
    }

    #[test]
    fn accepts_a_loop_and_reports_depth() {
        let code = vec![
            Op::Int(0),
            Op::StoreLocal(0),
            Op::LoadLocal(0),
            Op::Int(10),
            Op::LtInt,
            Op::JumpIfFalse(5),
            Op::LoadLocal(0),
            Op::Int(1),
            Op::AddInt,
            Op::StoreLocal(0),
            Op::Loop(-9),
            Op::ReturnNil,
        ];
        assert_eq!(verify_function(&proto(code, 1), &Image::default()), Ok(2));
    }

    #[test]
    fn rejects_bad_code() {
        let img = Image::default();
        let cases: Vec<(Vec<Op>, &str)> = vec![
            (vec![Op::Pop, Op::ReturnNil], "needs 1 operands"),
            (vec![Op::Nil], "runs off the end"),
            (vec![Op::Jump(5), Op::ReturnNil], "outside the code"),
            (vec![Op::LoadLocal(3), Op::Return], "local 3"),
            (vec![Op::Const(0), Op::Return], "constant 0"),
            (vec![Op::LoadGlobal(0), Op::Return], "global slot 0"),
            (vec![Op::True, Op::JumpIfFalse(1), Op::Nil, Op::ReturnNil], "stack depth"),
            (vec![Op::Nil, Op::Nil, Op::Nil, Op::CallBuiltin(0, 3), Op::Return], "takes 1 arguments"),
            (vec![Op::New(0, 0), Op::Return], "class 0"),
            (vec![Op::Closure(0), Op::Return], "not a lambda"),
            (vec![], "empty code"),
        ];
        for (code, want) in cases {
            let got = verify_function(&proto(code.clone(), 1), &img);
            match got {
                Err(msg) => assert!(msg.contains(want), "{code:?}: {msg} lacks {want}"),
                Ok(_) => panic!("{code:?} accepted"),
            }
        }
    }
}
