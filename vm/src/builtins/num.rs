//! Methods of `int` and `float`, and the `std.math` natives (IEEE double operations).

use super::{Args, BResult};
use crate::error::RtError;
use crate::value::Value;
use crate::vm::Vm;

/// `i.abs()`; `abs` of the smallest int overflows.
pub(crate) fn int_abs(vm: &mut Vm, a: Args) -> BResult {
    match a.get(vm, 0).int().checked_abs() {
        Some(r) => Ok(Value::Int(r)),
        None => Err(RtError::overflow().into()),
    }
}

/// `i.min(j)`.
pub(crate) fn int_min(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(a.get(vm, 0).int().min(a.get(vm, 1).int())))
}

/// `i.max(j)`.
pub(crate) fn int_max(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(a.get(vm, 0).int().max(a.get(vm, 1).int())))
}

/// A float method without arguments (`abs`, `floor`, `ceil`, `round` — half away from zero, as
/// Rust's `round` — and `sqrt`).
pub(crate) fn float1(vm: &mut Vm, a: Args, f: fn(f64) -> f64) -> BResult {
    Ok(Value::Float(f(a.get(vm, 0).float())))
}

/// `f.fixed(digits)`: as C's `%.Nf`.
pub(crate) fn float_fixed(vm: &mut Vm, a: Args) -> BResult {
    let s = crate::format::fixed(a.get(vm, 0).float(), a.get(vm, 1).int());
    Ok(vm.new_str(&s))
}

/// A one-argument `std.math` native.
pub(crate) fn math1(vm: &mut Vm, a: Args, f: fn(f64) -> f64) -> BResult {
    Ok(Value::Float(f(a.get(vm, 0).float())))
}

/// A two-argument `std.math` native.
pub(crate) fn math2(vm: &mut Vm, a: Args, f: fn(f64, f64) -> f64) -> BResult {
    Ok(Value::Float(f(a.get(vm, 0).float(), a.get(vm, 1).float())))
}
