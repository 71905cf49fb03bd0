//! The one opcode table. Each entry gives the instruction's operands, its stack effect and a doc
//! line; the `Op` enum, the opcode numbers, byte encoding, decoding, names and stack effects are all
//! generated from it, so nothing is kept in sync by hand (cf. RustPython's `define_opcodes!`,
//! Wren's `OPCODE(name, stackEffect)`).
//!
//! The machine is a stack machine. Each frame has `num_locals` local slots (parameters first, `self`
//! first of all for methods) followed by its operand stack. Jump offsets are relative to the
//! instruction after the jump. Every call pushes exactly one result (`nil` for functions that
//! return nothing); callers that do not need it emit `Pop`.

/// A fixed-size operand type that can be written to and read from bytes (little-endian).
pub trait Operand: Sized + Copy {
    /// Appends the operand's bytes.
    fn put(self, out: &mut Vec<u8>);
    /// Reads the operand at `*pos`, advancing it; `None` when the input is too short.
    fn take(bytes: &[u8], pos: &mut usize) -> Option<Self>;
}

macro_rules! operand_int {
    ($($t:ty),*) => {$(
        impl Operand for $t {
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn take(bytes: &[u8], pos: &mut usize) -> Option<Self> {
                const N: usize = std::mem::size_of::<$t>();
                let b = bytes.get(*pos..*pos + N)?;
                *pos += N;
                let mut a = [0u8; N];
                a.copy_from_slice(b);
                Some(<$t>::from_le_bytes(a))
            }
        }
    )*};
}
operand_int!(u8, u16, u32, i16, i32);

/// Why a byte sequence is not valid bytecode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The byte at this offset is not an opcode.
    BadOpcode { offset: usize, byte: u8 },
    /// The instruction at this offset is cut off.
    Truncated { offset: usize },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::BadOpcode { offset, byte } => write!(f, "invalid opcode {byte:#04x} at byte {offset}"),
            DecodeError::Truncated { offset } => write!(f, "truncated instruction at byte {offset}"),
        }
    }
}

macro_rules! define_opcodes {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident $( ( $($arg:ident : $ty:ty),* ) )? => $effect:expr;
    )*) => {
        /// One instruction with its operands.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Op {
            $( $(#[doc = $doc])* $name $( ( $($ty),* ) )?, )*
        }

        /// The opcode numbers: one byte per instruction kind, in table order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub enum OpCode {
            $( $name, )*
        }

        impl OpCode {
            /// Every opcode, in table order.
            pub const ALL: &'static [OpCode] = &[ $( OpCode::$name, )* ];

            /// The opcode's name as the disassembler prints it.
            pub fn name(self) -> &'static str {
                match self { $( OpCode::$name => stringify!($name), )* }
            }

            /// The doc line of the table entry.
            pub fn doc(self) -> &'static str {
                match self { $( OpCode::$name => concat!($($doc),*), )* }
            }
        }

        impl Op {
            /// The kind of this instruction.
            pub fn code(&self) -> OpCode {
                match self { $( Op::$name { .. } => OpCode::$name, )* }
            }

            /// Name as printed by the disassembler.
            pub fn name(&self) -> &'static str {
                self.code().name()
            }

            /// Net change of the operand-stack depth when the instruction falls through.
            #[allow(unused_variables, clippy::unnecessary_cast)]
            pub fn stack_effect(&self) -> i32 {
                match *self { $( Op::$name $( ( $($arg),* ) )? => $effect, )* }
            }

            /// The operands, widened to `i64`, in table order (for the disassembler).
            pub fn operands(&self) -> Vec<i64> {
                match *self { $( Op::$name $( ( $($arg),* ) )? => {
                    vec![ $( $( $arg as i64 ),* )? ]
                } )* }
            }

            /// Appends the byte encoding: the opcode byte, then each operand little-endian.
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.push(self.code() as u8);
                match *self { $( Op::$name $( ( $($arg),* ) )? => { $( $( Operand::put($arg, out); )* )? } )* }
            }

            /// Decodes one instruction at `*pos`, advancing it.
            pub fn decode(bytes: &[u8], pos: &mut usize) -> Result<Op, DecodeError> {
                let offset = *pos;
                let byte = *bytes.get(*pos).ok_or(DecodeError::Truncated { offset })?;
                let code = *OpCode::ALL.get(byte as usize).ok_or(DecodeError::BadOpcode { offset, byte })?;
                *pos += 1;
                let op = match code {
                    $( OpCode::$name => Op::$name $( ( $(
                        <$ty as Operand>::take(bytes, pos).ok_or(DecodeError::Truncated { offset })?
                    ),* ) )?, )*
                };
                Ok(op)
            }
        }
    };
}

/// Encodes a whole instruction sequence.
pub fn encode_all(code: &[Op]) -> Vec<u8> {
    let mut out = Vec::with_capacity(code.len() * 4);
    for op in code {
        op.encode(&mut out);
    }
    out
}

/// Decodes a whole instruction sequence; any malformed byte is an error, never a panic.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<Op>, DecodeError> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < bytes.len() {
        out.push(Op::decode(bytes, &mut pos)?);
    }
    Ok(out)
}

define_opcodes! {
    // ---- constants and the operand stack ----
    /// Push nil.
    Nil => 1;
    /// Push true.
    True => 1;
    /// Push false.
    False => 1;
    /// Push a small int given inline.
    Int(v: i32) => 1;
    /// Push constant `k` of the function's pool (int, float or str).
    Const(k: u32) => 1;
    /// Discard the top value.
    Pop => -1;
    /// Push a copy of the top value.
    Dup => 1;
    /// Exchange the two top values.
    Swap => 0;

    // ---- locals, cells, captures, globals ----
    /// Push local `slot`.
    LoadLocal(slot: u16) => 1;
    /// Pop into local `slot`.
    StoreLocal(slot: u16) => -1;
    /// Pop a value and store a fresh cell holding it in local `slot` (a captured local's declaration).
    NewCell(slot: u16) => -1;
    /// Push the contents of the cell in local `slot`.
    LoadCell(slot: u16) => 1;
    /// Pop into the cell in local `slot`.
    StoreCell(slot: u16) => -1;
    /// Push the contents of the running closure's capture `idx`.
    LoadUpval(idx: u16) => 1;
    /// Pop into the running closure's capture `idx`.
    StoreUpval(idx: u16) => -1;
    /// Push global-table slot `slot` (a var, const, or a module function as a value).
    LoadGlobal(slot: u32) => 1;
    /// Pop into global-table slot `slot`.
    StoreGlobal(slot: u32) => -1;

    // ---- typed arithmetic (operands' types are known statically) ----
    /// int + int; runtime error on overflow.
    AddInt => -1;
    /// int - int; runtime error on overflow.
    SubInt => -1;
    /// int * int; runtime error on overflow.
    MulInt => -1;
    /// int / int truncating toward zero; runtime error on zero divisor or overflow.
    DivInt => -1;
    /// int % int with the dividend's sign; runtime error on zero divisor.
    RemInt => -1;
    /// -int; runtime error on overflow.
    NegInt => 0;
    /// float + float.
    AddFloat => -1;
    /// float - float.
    SubFloat => -1;
    /// float * float.
    MulFloat => -1;
    /// float / float (IEEE: 1.0 / 0.0 is inf).
    DivFloat => -1;
    /// float % float (sign of the dividend, like C's fmod).
    RemFloat => -1;
    /// -float.
    NegFloat => 0;
    /// str + str.
    Concat => -1;
    /// !bool.
    Not => 0;

    // ---- comparisons ----
    /// int < int.
    LtInt => -1;
    /// int <= int.
    LeInt => -1;
    /// int > int.
    GtInt => -1;
    /// int >= int.
    GeInt => -1;
    /// float < float.
    LtFloat => -1;
    /// float <= float.
    LeFloat => -1;
    /// float > float.
    GtFloat => -1;
    /// float >= float.
    GeFloat => -1;
    /// str < str (byte order).
    LtStr => -1;
    /// str <= str.
    LeStr => -1;
    /// str > str.
    GtStr => -1;
    /// str >= str.
    GeStr => -1;
    /// Equality: by value for nil, bools, numbers and strings, by identity for heap references.
    Eq => -1;
    /// Negation of `Eq`.
    Ne => -1;

    // ---- control flow (offsets relative to the next instruction) ----
    /// Jump forward or backward without an update point.
    Jump(off: i32) => 0;
    /// Pop; jump when false.
    JumpIfFalse(off: i32) => -1;
    /// Pop; jump when true.
    JumpIfTrue(off: i32) => -1;
    /// Pop; jump when nil.
    JumpIfNil(off: i32) => -1;
    /// When the top is not nil, jump keeping it (depth unchanged on that edge); else pop it.
    JumpIfNotNil(off: i32) => -1;
    /// Loop back-edge: jump backward (`off` is negative) after the preemption and update-point check.
    Loop(off: i32) => 0;

    // ---- calls (each pushes one result; function entry is an update point) ----
    /// Call the function value below the `argc` arguments: [f, a1..an] -> [result].
    Call(argc: u8) => -(argc as i32);
    /// Call the module function in global slot `slot`: [a1..an] -> [result].
    CallGlobal(slot: u32, argc: u8) => 1 - argc as i32;
    /// Virtual call through vtable index `vslot` of the receiver's class: [recv, a1..an] -> [result].
    CallMethod(vslot: u16, argc: u8) => -(argc as i32);
    /// Call vtable entry `vslot` of class `class` (a `super.m()` call): [self, a1..an] -> [result].
    CallSuper(class: u32, vslot: u16, argc: u8) => -(argc as i32);
    /// Call built-in `id` with `argc` arguments (receiver included): [a1..an] -> [result].
    CallBuiltin(id: u16, argc: u8) => 1 - argc as i32;
    /// Return the top value to the caller.
    Return => -1;
    /// Return nil to the caller.
    ReturnNil => 0;

    // ---- objects and collections ----
    /// Pop `n` field values (slot order) and push a new instance of class `class`.
    New(class: u32, n: u16) => 1 - n as i32;
    /// Replace the instance on top with its field `slot`.
    GetField(slot: u16) => 0;
    /// [obj, value] -> []: store into field `slot`.
    SetField(slot: u16) => -2;
    /// Pop `n` values and push a new list of them.
    List(n: u32) => 1 - n as i32;
    /// Pop `n` key/value pairs (k1, v1, k2, v2, ...) and push a new map.
    Map(n: u32) => 1 - 2 * n as i32;
    /// [list, i] -> [list[i]]; runtime error when out of range.
    ListIndex => -1;
    /// [list, i, v] -> []; runtime error when out of range.
    ListStore => -3;
    /// [map, k] -> [map[k]]; runtime error when the key is missing.
    MapIndex => -1;
    /// [map, k, v] -> []: insert or replace.
    MapStore => -3;
    /// Push a closure of lambda `func`, capturing as its prototype's capture list says.
    Closure(func: u32) => 1;

    // ---- types and strings ----
    /// Replace the top value with whether it is of run-time type `ty` (`RtType::encode`).
    Is(ty: u32) => 0;
    /// Checked cast to run-time type `ty`; runtime error `cannot cast A to B` on failure.
    As(ty: u32) => 0;
    /// Like `As`, but nil passes through (cast to an optional type).
    AsOpt(ty: u32) => 0;
    /// Replace the top value with its text form (`str(x)`).
    ToStr => 0;
    /// Pop `n` strings and push their concatenation.
    ConcatN(n: u16) => 1 - n as i32;

    // ---- fibers ----
    /// [f, a1..an] -> [fiber]: start a fiber running f(a1..an).
    Spawn(argc: u8) => -(argc as i32);
    /// [recv, a1..an] -> [fiber]: start a fiber running recv.m(a1..an) via vtable index `vslot`.
    SpawnMethod(vslot: u16, argc: u8) => -(argc as i32);

    // ---- superinstructions: fused forms of the commonest sequences (added by codegen) ----
    /// Local `slot` (a plain int slot, never a cell) += `imm`; runtime error on overflow. Stands
    /// for `LoadLocal slot; Int imm; AddInt; StoreLocal slot` (`i += 1`, loop counters).
    AddLocalInt(slot: u16, imm: i16) => 0;
    /// [a, b] -> []: jump when not `a < b` (ints). Stands for `LtInt; JumpIfFalse off`.
    JumpIfNotLtInt(off: i32) => -2;
    /// Push field `field` of the instance in plain local `slot` (`self.x`). Stands for
    /// `LoadLocal slot; GetField field`.
    LoadLocalField(slot: u16, field: u16) => 1;
    /// `for x in list` step. Local `slot` holds the list and `slot + 1` the next index (an int).
    /// When index < len(list): push list[index], store index + 1 and fall through; otherwise
    /// jump to `off` pushing nothing (depth unchanged on that edge, +1 when falling through).
    ListNext(slot: u16, off: i32) => 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let code = vec![
            Op::Nil,
            Op::Int(-5),
            Op::Const(70000),
            Op::CallSuper(3, 7, 2),
            Op::Jump(-12),
            Op::CallBuiltin(9, 3),
            Op::Map(2),
            Op::ReturnNil,
        ];
        let bytes = encode_all(&code);
        assert_eq!(decode_all(&bytes).unwrap(), code);
    }

    #[test]
    fn malformed_bytes_are_errors() {
        assert_eq!(decode_all(&[255]), Err(DecodeError::BadOpcode { offset: 0, byte: 255 }));
        let mut bytes = Vec::new();
        Op::Const(1).encode(&mut bytes);
        bytes.pop();
        assert_eq!(decode_all(&bytes), Err(DecodeError::Truncated { offset: 0 }));
    }

    #[test]
    fn stack_effects_follow_operands() {
        assert_eq!(Op::Call(2).stack_effect(), -2);
        assert_eq!(Op::CallGlobal(0, 3).stack_effect(), -2);
        assert_eq!(Op::Map(3).stack_effect(), -5);
        assert_eq!(Op::New(0, 0).stack_effect(), 1);
    }

    #[test]
    fn op_stays_small() {
        assert!(std::mem::size_of::<Op>() <= 8, "Op is {} bytes", std::mem::size_of::<Op>());
    }
}
