//! `Value`: what a Newt variable, field, list element or stack slot holds.
//!
//! # Why this representation
//!
//! A value is a 16-byte Rust enum: a tag word and one 8-byte payload.
//!
//! ```text
//!   Nil | Bool(bool) | Int(i64) | Float(f64) | Obj(Handle) | Func(FuncId) | Undef
//! ```
//!
//! **Static types make tag checks unnecessary.** Newt is statically typed, so the compiler already
//! knows that both operands of `a + b` are ints and emits `AddInt`; the interpreter only *extracts*
//! the payload (a `match` with a harmless default arm that the optimiser turns into a branch-free
//! load or a perfectly predicted branch) and never reports "expected a number". Dynamically typed
//! VMs (Wren, Lua) pay for a tag test on every arithmetic instruction and so squeeze values into
//! 8 bytes with NaN tagging to keep that test cheap; we have no test to make cheap, so we keep full
//! 64-bit integers (Newt's `int` is a real `i64` with overflow errors, which NaN tagging cannot
//! hold without boxing) and full doubles, and spend the extra 8 bytes per slot.
//!
//! **Handles, not pointers.** `Obj` holds a [`Handle`]: a `u32` index into the heap's object table
//! ([`crate::heap`]). No Newt value ever holds a Rust reference or raw pointer. This is the
//! foundation of live update: `become(old, new)` rewrites one table entry and every reference in the
//! heap, on every fiber's stack and in the globals sees the new object at once — O(1) per object,
//! with no heap scan (Smalltalk's object table, gDSU's bulk `become`). It also makes the collector
//! precise and simple (handles are exact roots; nothing moves, so nothing needs fixing up) and lets
//! Rust code hold values across allocations without lifetimes. The price is one extra indirection
//! per object access (`entries[h]` instead of `*p`), measured below.
//!
//! **Functions are values without allocation.** A module function used as a value is `Func(id)`, an
//! index into the replaceable function table, so passing `add` to `map` costs nothing; only closures
//! (lambdas with captures) are heap objects.
//!
//! **`Undef`** never reaches Newt code: it marks a global slot whose initialiser has not run yet, so
//! `LoadGlobal` can report `global 'x' used before initialisation` with one compare.
//!
//! # Measured costs
//!
//! Release build on the project's shared 2-core machine (user CPU time, best of 3–5 runs; the
//! machine was loaded by other builds, so treat ±5% as noise). Recorded here so that a change of
//! representation has a baseline.
//!
//! | measurement | result |
//! |---|---|
//! | `size_of::<Value>()` | 16 bytes (asserted by a test) |
//! | default enum layout vs `#[repr(u64)]` (tag padded to a word) | `fib(32)`: 0.27 s → 0.22 s; the default layout copied values with overlapping moves that stalled on store forwarding (16% of `fib` in `perf`) |
//! | `become` of 1000 pairs, heap of 10k vs 1M objects (criterion `become/*`) | 24 µs vs 19 µs: independent of the heap size |
//! | full collection, 100k live objects (criterion `gc/collect_100k_live`) | 0.55 ms (wall time on the loaded machine) |
//! | 100k list allocations / 100k instance allocations, GC included (criterion `allocation/*`) | 11.5 ms / 21.5 ms wall |
//! | objects: handle indirection | every object access is `entries[h]` plus a forward-marker test; `binary_trees` (allocation and field access heavy) still runs in 0.55x Lua 5.4's time |
//! | maps (`ordmap/`): dense entries + 8-byte-slot index with a locality-keeping int hash, instead of `HashMap<K, usize>` beside the entries | `map_numeric` (2M int keys) 2.22 s → 0.46 s CPU, 7.7x → 1.55x Lua; a fully mixed int hash measured 1.5 s (a cache + TLB miss per lookup) |
//! | strings: map-key hash cached in the string object, lookups without cloning the key, pointer compare before bytes | `map_string` 1.25 s → 0.89 s CPU (2.68x → 1.74x Lua) |
//! | whole suite (`python3 benches/compare.py --runs 3 --baseline`, CPU time) | geometric mean newt/Lua 1.41 → 1.17 (fib 1.42, nbody 1.23, string_equals 1.63, map_string 1.74, map_numeric 1.55; the rest ≤ 1.22) |
//!
//! The interpreter-level numbers (fib, loops, method calls, binary trees against Lua 5.4) and the
//! cost of update points are in the crate docs (`lib.rs`).

use crate::heap::Handle;
use newt_compiler::types::FuncId;

/// One Newt value (see the module docs for why it looks like this).
///
/// `repr(u64)` makes the tag a full word, so no padding sits between tag and payload and a copy is
/// two plain 8-byte moves; with the default layout LLVM copied bytes 1..16 with overlapping moves
/// (to preserve a `bool` payload at offset 1) and stalled on store forwarding — measured at 16% of
/// `fib`'s run time.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(u64)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A heap object: string, list, map, instance, closure, cell, fiber, channel or frame.
    Obj(Handle),
    /// A module-level function (or method) used as a value: an index into the function table.
    Func(FuncId),
    /// The content of a global slot before its initialiser ran; never visible to programs.
    Undef,
}

impl Value {
    /// The int payload. Typed opcodes only see ints here (the checker guarantees it), so the
    /// fallback arm is never taken by compiled code; it exists so that a malformed image computes
    /// garbage instead of crashing.
    #[inline(always)]
    pub fn int(self) -> i64 {
        match self {
            Value::Int(i) => i,
            _ => 0,
        }
    }

    /// The float payload (see [`Value::int`] for the fallback).
    #[inline(always)]
    pub fn float(self) -> f64 {
        match self {
            Value::Float(f) => f,
            _ => 0.0,
        }
    }

    /// The bool payload (see [`Value::int`] for the fallback).
    #[inline(always)]
    pub fn bool(self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The handle, when the value is a heap object.
    #[inline(always)]
    pub fn handle(self) -> Option<Handle> {
        match self {
            Value::Obj(h) => Some(h),
            _ => None,
        }
    }

    /// True for `nil`.
    #[inline(always)]
    pub fn is_nil(self) -> bool {
        matches!(self, Value::Nil)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn payload_accessors_fall_back_instead_of_panicking() {
        assert_eq!(Value::Int(7).int(), 7);
        assert_eq!(Value::Nil.int(), 0);
        assert_eq!(Value::Float(1.5).float(), 1.5);
        assert_eq!(Value::Bool(true).float(), 0.0);
        assert!(Value::Bool(true).bool());
        assert!(!Value::Int(1).bool());
        assert!(Value::Nil.is_nil());
        assert_eq!(Value::Obj(Handle(3)).handle(), Some(Handle(3)));
        assert_eq!(Value::Int(3).handle(), None);
    }
}
