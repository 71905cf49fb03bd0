//! Operand-stack analysis: abstract interpretation of the stack depth over every reachable path,
//! giving `max_stack` and checking that the code is well formed (no underflow, the same depth on
//! every edge into an instruction, jumps in range, no falling off the end). [`verify_function`]
//! adds the checks against the image (local slots, constants, globals, classes, functions), so
//! tests can run it over every generated function.

use crate::bytecode::{FuncProto, Image, Op};

/// How many values an instruction pops before pushing its results (`pushes = pops + effect`).
pub fn pops(op: &Op) -> i32 {
    match *op {
        Op::Nil | Op::True | Op::False | Op::Int(_) | Op::Const(_) => 0,
        Op::Pop | Op::Dup => 1,
        Op::Swap => 2,
        Op::LoadLocal(_) | Op::LoadCell(_) | Op::LoadUpval(_) | Op::LoadGlobal(_) | Op::Closure(_) => 0,
        Op::StoreLocal(_) | Op::NewCell(_) | Op::StoreCell(_) | Op::StoreUpval(_) | Op::StoreGlobal(_) => 1,
        Op::AddInt
        | Op::SubInt
        | Op::MulInt
        | Op::DivInt
        | Op::RemInt
        | Op::AddFloat
        | Op::SubFloat
        | Op::MulFloat
        | Op::DivFloat
        | Op::RemFloat
        | Op::Concat
        | Op::LtInt
        | Op::LeInt
        | Op::GtInt
        | Op::GeInt
        | Op::LtFloat
        | Op::LeFloat
        | Op::GtFloat
        | Op::GeFloat
        | Op::LtStr
        | Op::LeStr
        | Op::GtStr
        | Op::GeStr
        | Op::Eq
        | Op::Ne => 2,
        Op::NegInt | Op::NegFloat | Op::Not => 1,
        Op::Jump(_) | Op::Loop(_) => 0,
        Op::JumpIfFalse(_) | Op::JumpIfTrue(_) | Op::JumpIfNil(_) | Op::JumpIfNotNil(_) => 1,
        Op::Call(n) | Op::CallMethod(_, n) | Op::CallSuper(_, _, n) => i32::from(n) + 1,
        Op::CallGlobal(_, n) | Op::CallBuiltin(_, n) => i32::from(n),
        Op::Return => 1,
        Op::ReturnNil => 0,
        Op::New(_, n) => i32::from(n),
        Op::GetField(_) => 1,
        Op::SetField(_) => 2,
        Op::List(n) => n as i32,
        Op::Map(n) => 2 * n as i32,
        Op::ListIndex | Op::MapIndex => 2,
        Op::ListStore | Op::MapStore => 3,
        Op::Is(_) | Op::As(_) | Op::AsOpt(_) | Op::ToStr => 1,
        Op::ConcatN(n) => i32::from(n),
        Op::Spawn(n) | Op::SpawnMethod(_, n) => i32::from(n) + 1,
        Op::AddLocalInt(..) | Op::LoadLocalField(..) | Op::ListNext(..) => 0,
        Op::JumpIfNotLtInt(_) => 2,
    }
}

/// The edges out of the instruction at `at` that starts at depth `d`: (target, depth there).
fn edges(op: &Op, at: usize, d: i32) -> Vec<(i64, i32)> {
    let next = at as i64 + 1;
    let target = |off: i32| next + i64::from(off);
    let after = d + op.stack_effect();
    match *op {
        Op::Jump(off) | Op::Loop(off) => vec![(target(off), d)],
        Op::JumpIfFalse(off) | Op::JumpIfTrue(off) | Op::JumpIfNil(off) | Op::JumpIfNotLtInt(off) => {
            vec![(next, after), (target(off), after)]
        }
        // Pushes the element only when falling through.
        Op::ListNext(_, off) => vec![(next, after), (target(off), d)],
        // The jump edge keeps the tested value.
        Op::JumpIfNotNil(off) => vec![(next, after), (target(off), d)],
        Op::Return | Op::ReturnNil => Vec::new(),
        _ => vec![(next, after)],
    }
}

/// The instruction a jump at index `at` goes to (offsets count from the next instruction); `None`
/// for an instruction that does not jump. The update engine reads loop headers and entries off it.
pub fn jump_target(op: &Op, at: usize) -> Option<i64> {
    let off = match *op {
        Op::Jump(o)
        | Op::Loop(o)
        | Op::JumpIfFalse(o)
        | Op::JumpIfTrue(o)
        | Op::JumpIfNil(o)
        | Op::JumpIfNotNil(o)
        | Op::JumpIfNotLtInt(o)
        | Op::ListNext(_, o) => o,
        _ => return None,
    };
    Some(at as i64 + 1 + i64::from(off))
}

/// The deepest operand stack `code` reaches, or why the code is malformed.
pub fn max_stack(code: &[Op]) -> Result<u32, String> {
    depths(code).map(|(_, max)| max)
}

/// The operand stack depth before each instruction (`None` when unreachable) and the deepest
/// depth reached, or why the code is malformed. Remap compares depths at continuation points.
pub fn depths(code: &[Op]) -> Result<(Vec<Option<i32>>, u32), String> {
    if code.is_empty() {
        return Err("empty code".into());
    }
    let mut depth: Vec<Option<i32>> = vec![None; code.len()];
    let mut work = vec![0usize];
    depth[0] = Some(0);
    let mut max = 0i32;
    while let Some(at) = work.pop() {
        let op = &code[at];
        let d = depth[at].unwrap_or(0);
        if d < pops(op) {
            return Err(format!("stack underflow at {at} ({}: depth {d}, pops {})", op.name(), pops(op)));
        }
        max = max.max(d + op.stack_effect());
        for (to, dd) in edges(op, at, d) {
            if to == code.len() as i64 {
                return Err(format!("control falls off the end after {at} ({})", op.name()));
            }
            let Some(slot) = usize::try_from(to).ok().and_then(|t| depth.get_mut(t)) else {
                return Err(format!("jump out of range at {at} ({})", op.name()));
            };
            match *slot {
                None => {
                    *slot = Some(dd);
                    work.push(to as usize);
                }
                Some(old) if old != dd => {
                    return Err(format!("inconsistent stack depth at {to}: {old} and {dd} (edge from {at})"));
                }
                Some(_) => {}
            }
        }
    }
    Ok((depth, max as u32))
}

/// Checks one function of an image: the stack discipline (and that `max_stack` covers it), the
/// line table, that every instruction is reachable, and that every operand names something that
/// exists (local slot, capture, constant, global, class, field count, vtable entry, built-in,
/// function, run-time type).
pub fn verify_function(image: &Image, f: &FuncProto) -> Result<(), String> {
    let err = |at: usize, msg: String| Err(format!("{} @{at} ({}): {msg}", f.name, f.code[at].name()));
    if f.lines.len() != f.code.len() {
        return Err(format!("{}: {} lines for {} instructions", f.name, f.lines.len(), f.code.len()));
    }
    if u16::from(f.arity) > f.num_locals {
        return Err(format!("{}: arity {} above {} locals", f.name, f.arity, f.num_locals));
    }
    let max = max_stack(&f.code).map_err(|e| format!("{}: {e}", f.name))?;
    if max > u32::from(f.max_stack) {
        return Err(format!("{}: reaches depth {max}, max_stack is {}", f.name, f.max_stack));
    }
    let reached = reachable(&f.code);
    for (at, op) in f.code.iter().enumerate() {
        if !reached[at] {
            return err(at, "unreachable instruction".into());
        }
        let local_ok = |s: u16| s < f.num_locals;
        let global = |s: u32| image.globals.get(s as usize);
        match *op {
            Op::LoadLocal(s)
            | Op::StoreLocal(s)
            | Op::NewCell(s)
            | Op::LoadCell(s)
            | Op::StoreCell(s)
            | Op::AddLocalInt(s, _)
            | Op::LoadLocalField(s, _)
                if !local_ok(s) =>
            {
                return err(at, format!("local slot {s} of {}", f.num_locals));
            }
            Op::ListNext(s, _) if u32::from(s) + 1 >= u32::from(f.num_locals) => {
                return err(at, format!("local slots {s} and {} of {}", u32::from(s) + 1, f.num_locals));
            }
            Op::LoadUpval(i) | Op::StoreUpval(i) if usize::from(i) >= f.captures.len() => {
                return err(at, format!("capture {i} of {}", f.captures.len()));
            }
            Op::Const(k) if k as usize >= f.consts.len() => return err(at, format!("constant {k}")),
            Op::LoadGlobal(s) if global(s).is_none() => return err(at, format!("global slot {s}")),
            Op::StoreGlobal(s) => match global(s).map(|g| &g.kind) {
                Some(crate::bytecode::GlobalKind::Var { .. }) => {}
                _ => return err(at, format!("global slot {s} is not a var")),
            },
            Op::CallGlobal(s, argc) => match global(s).map(|g| &g.kind) {
                Some(crate::bytecode::GlobalKind::Function(fid)) => {
                    let arity = image.functions.get(fid.0 as usize).map(|p| p.arity);
                    if arity != Some(argc) {
                        return err(at, format!("{argc} arguments for arity {arity:?}"));
                    }
                }
                _ => return err(at, format!("global slot {s} is not a function")),
            },
            Op::CallBuiltin(id, argc) => match crate::builtins::Builtin::from_id(id) {
                Some(b) if b.arity() == usize::from(argc) => {}
                other => return err(at, format!("builtin {other:?} with {argc} arguments")),
            },
            Op::New(c, n) => match image.classes.get(c as usize) {
                Some(class) if class.fields.len() == usize::from(n) => {}
                _ => return err(at, format!("class {c} with {n} fields")),
            },
            Op::CallSuper(c, vslot, _) => match image.classes.get(c as usize) {
                Some(class) if usize::from(vslot) < class.vtable.len() => {}
                _ => return err(at, format!("class {c} vtable slot {vslot}")),
            },
            Op::Closure(func) => {
                let Some(target) = image.functions.get(func as usize) else {
                    return err(at, format!("function {func}"));
                };
                for c in &target.captures {
                    let ok = match *c {
                        crate::bytecode::CaptureSrc::Local(s) => local_ok(s),
                        crate::bytecode::CaptureSrc::Upval(i) => usize::from(i) < f.captures.len(),
                    };
                    if !ok {
                        return err(at, format!("capture {c:?} of {}", target.name));
                    }
                }
            }
            Op::Is(t) | Op::As(t) | Op::AsOpt(t) => match crate::types::RtType::decode(t) {
                Some(crate::types::RtType::Class(c)) if c.0 as usize >= image.classes.len() => {
                    return err(at, format!("class {}", c.0));
                }
                None => return err(at, format!("run-time type {t}")),
                _ => {}
            },
            _ => {}
        }
    }
    Ok(())
}

/// Which instructions some path from the entry reaches.
fn reachable(code: &[Op]) -> Vec<bool> {
    let mut seen = vec![false; code.len()];
    let mut work = vec![0usize];
    while let Some(at) = work.pop() {
        let Some(s) = seen.get_mut(at) else { continue };
        if *s {
            continue;
        }
        *s = true;
        for (to, _) in edges(&code[at], at, 0) {
            if let Ok(t) = usize::try_from(to) {
                work.push(t);
            }
        }
    }
    seen
}

/// Runs [`verify_function`] over every function of an image.
pub fn verify_image(image: &Image) -> Result<(), String> {
    image.functions.iter().try_for_each(|f| verify_function(image, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::OpCode;

    #[test]
    fn pops_never_exceed_what_the_table_allows() {
        // pushes = pops + effect must be 0 or more for representative operands of every opcode.
        for op in [
            Op::Call(3),
            Op::CallGlobal(0, 2),
            Op::CallMethod(0, 2),
            Op::CallSuper(0, 0, 1),
            Op::CallBuiltin(0, 3),
            Op::New(0, 4),
            Op::List(5),
            Op::Map(2),
            Op::ConcatN(3),
            Op::Spawn(2),
            Op::SpawnMethod(0, 1),
            Op::SetField(0),
            Op::ListStore,
            Op::Swap,
            Op::Dup,
        ] {
            assert!(pops(&op) + op.stack_effect() >= 0, "{op:?}");
        }
        assert!(!OpCode::ALL.is_empty());
    }

    #[test]
    fn merge_points_must_agree() {
        // if c { push } (no else): the join sees depths 0 and 1.
        let bad = [Op::True, Op::JumpIfFalse(1), Op::Int(1), Op::ReturnNil];
        assert!(max_stack(&bad).unwrap_err().contains("inconsistent"));
        // `ListNext` pushes only when it falls through: a loop head that pops the element in the
        // body is balanced, and its exit edge sees the depth before it.
        let list_loop = [Op::ListNext(0, 2), Op::StoreLocal(2), Op::Loop(-3), Op::ReturnNil];
        assert_eq!(max_stack(&list_loop), Ok(1));
        let unbalanced = [Op::ListNext(0, 1), Op::Loop(-2), Op::ReturnNil];
        assert!(max_stack(&unbalanced).unwrap_err().contains("inconsistent"));
        // `a ?? b` keeps `a` on the jump edge.
        let good = [Op::Nil, Op::JumpIfNotNil(1), Op::Int(2), Op::Return];
        assert_eq!(max_stack(&good), Ok(1));
        assert!(max_stack(&[Op::Pop, Op::ReturnNil]).unwrap_err().contains("underflow"));
        assert!(max_stack(&[Op::Nil]).unwrap_err().contains("falls off"));
        assert!(max_stack(&[Op::Jump(5)]).unwrap_err().contains("out of range"));
    }

    #[test]
    fn max_counts_the_peak() {
        let code = [Op::Int(1), Op::Int(2), Op::Int(3), Op::List(3), Op::Return];
        assert_eq!(max_stack(&code), Ok(3));
    }
}
