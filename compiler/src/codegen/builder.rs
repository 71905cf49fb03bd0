//! The instruction buffer of one function: code with its line table, the constant pool, labels
//! with forward/backward jump fix-ups, and dead-code suppression.
//!
//! Invariant: after an unconditional transfer (`Jump`, `Loop`, `Return`, `ReturnNil`) nothing is
//! emitted until a label that some emitted jump targets is bound, so unreachable code never
//! reaches the image (and the stack analysis only ever sees reachable instructions).

use crate::bytecode::{Constant, Op};
use std::collections::HashMap;

/// A jump target, bound to an instruction index once its position is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(u32);

/// A constant-pool key: floats by bit pattern so that `0.0` and `-0.0` (and NaNs) stay distinct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ConstKey {
    Int(i64),
    Float(u64),
    Str(String),
}

/// The same jump instruction with its offset replaced (`None` for an instruction that is not a
/// jump).
fn with_offset(op: Op, off: i32) -> Option<Op> {
    Some(match op {
        Op::Jump(_) => Op::Jump(off),
        Op::JumpIfFalse(_) => Op::JumpIfFalse(off),
        Op::JumpIfTrue(_) => Op::JumpIfTrue(off),
        Op::JumpIfNil(_) => Op::JumpIfNil(off),
        Op::JumpIfNotNil(_) => Op::JumpIfNotNil(off),
        Op::Loop(_) => Op::Loop(off),
        Op::JumpIfNotLtInt(_) => Op::JumpIfNotLtInt(off),
        Op::ListNext(slot, _) => Op::ListNext(slot, off),
        _ => return None,
    })
}

/// Code, lines and constants of the function being generated.
#[derive(Debug, Default)]
pub struct Builder {
    pub code: Vec<Op>,
    pub lines: Vec<u32>,
    pub consts: Vec<Constant>,
    const_index: HashMap<ConstKey, u32>,
    /// Bound position of each label.
    labels: Vec<Option<u32>>,
    /// Number of emitted jumps to each label.
    refs: Vec<u32>,
    /// (instruction index, label) of every emitted jump.
    fixups: Vec<(u32, Label)>,
    /// False after an unconditional transfer until a referenced label is bound.
    pub reachable: bool,
    /// Line given to the instructions emitted now.
    pub line: u32,
}

impl Builder {
    /// An empty buffer at reachable code.
    pub fn new(line: u32) -> Builder {
        Builder { reachable: true, line, ..Builder::default() }
    }

    /// Index the next instruction will get.
    pub fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    /// Appends an instruction (dropped when unreachable).
    pub fn emit(&mut self, op: Op) {
        if !self.reachable {
            return;
        }
        self.code.push(op);
        self.lines.push(self.line);
        if matches!(op, Op::Jump(_) | Op::Loop(_) | Op::Return | Op::ReturnNil) {
            self.reachable = false;
        }
    }

    /// A fresh unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        self.refs.push(0);
        Label(self.labels.len() as u32 - 1)
    }

    /// A label bound here (a loop head, the target of backward jumps).
    pub fn here(&mut self) -> Label {
        let l = self.label();
        self.bind(l);
        l
    }

    /// Binds `l` to the next instruction. Code becomes reachable again when something jumps here.
    pub fn bind(&mut self, l: Label) {
        self.labels[l.0 as usize] = Some(self.pc());
        if self.refs[l.0 as usize] > 0 {
            self.reachable = true;
        }
    }

    /// Emits a jump of kind `kind` to `l` (forward or backward); the offset is filled in by
    /// [`Builder::finish`].
    pub fn jump(&mut self, kind: impl FnOnce(i32) -> Op, l: Label) {
        if !self.reachable {
            return;
        }
        self.refs[l.0 as usize] += 1;
        self.fixups.push((self.pc(), l));
        self.emit(kind(0));
    }

    /// Interns a constant and returns its pool index.
    pub fn constant(&mut self, c: Constant) -> u32 {
        let key = match &c {
            Constant::Int(v) => ConstKey::Int(*v),
            Constant::Float(f) => ConstKey::Float(f.to_bits()),
            Constant::Str(s) => ConstKey::Str(s.clone()),
        };
        if let Some(&k) = self.const_index.get(&key) {
            return k;
        }
        let k = self.consts.len() as u32;
        self.consts.push(c);
        self.const_index.insert(key, k);
        k
    }

    /// Resolves every jump offset. Fails when a label was never bound or an offset does not fit.
    pub fn finish(&mut self) -> Result<(), String> {
        for &(at, label) in &self.fixups {
            let target = self.labels[label.0 as usize].ok_or("internal compiler error: jump to an unbound label")?;
            let off = i64::from(target) - i64::from(at) - 1;
            let off = i32::try_from(off).map_err(|_| "function too large (jump offset overflow)")?;
            let op = &mut self.code[at as usize];
            *op = with_offset(*op, off).ok_or("internal compiler error: fix-up of a non-jump")?;
        }
        self.fixups.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_after_return_is_dropped_until_a_jump_target() {
        let mut b = Builder::new(1);
        let l = b.label();
        b.jump(Op::JumpIfFalse, l);
        b.emit(Op::ReturnNil);
        b.emit(Op::Nil); // dead
        let dead = b.label();
        b.bind(dead); // nothing jumps here: still dead
        b.emit(Op::True);
        b.bind(l);
        b.emit(Op::False);
        b.finish().unwrap();
        assert_eq!(b.code, vec![Op::JumpIfFalse(1), Op::ReturnNil, Op::False]);
    }

    #[test]
    fn backward_jumps_get_negative_offsets_and_constants_are_shared() {
        let mut b = Builder::new(1);
        let top = b.here();
        b.emit(Op::Nil);
        b.jump(Op::Loop, top);
        b.finish().unwrap();
        assert_eq!(b.code, vec![Op::Nil, Op::Loop(-2)]);
        assert_eq!(b.constant(Constant::Float(0.0)), 0);
        assert_eq!(b.constant(Constant::Float(-0.0)), 1);
        assert_eq!(b.constant(Constant::Float(0.0)), 0);
        assert_eq!(b.constant(Constant::Str("a".into())), 2);
    }
}
