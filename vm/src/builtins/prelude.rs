//! The prelude functions: `print`, `eprint`, `str`, `int`, `float`, `assert`, `panic`.

use super::{Args, BResult};
use crate::error::RtError;
use crate::value::Value;
use crate::vm::Vm;

pub(crate) use super::show::str;

/// `print(x)`: `str(x)` and a newline to (buffered) stdout.
pub(crate) fn print(vm: &mut Vm, a: Args) -> BResult {
    let text = vm.show(a.get(vm, 0));
    vm.io.println(&text);
    Ok(Value::Nil)
}

/// `eprint(x)`: `str(x)` and a newline to stderr.
pub(crate) fn eprint(vm: &mut Vm, a: Args) -> BResult {
    let mut text = vm.show(a.get(vm, 0));
    text.push('\n');
    vm.io.eprint(&text);
    Ok(Value::Nil)
}

/// `int(x)` of an int or a float (truncating toward zero); a float outside the int range (or NaN)
/// is an error.
pub(crate) fn to_int(vm: &mut Vm, a: Args) -> BResult {
    match a.get(vm, 0) {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(f) => {
            let t = f.trunc();
            // -2^63 is exact; 2^63 is the first value out of range.
            if f.is_nan() {
                Err(RtError::new("cannot convert nan to int").into())
            } else if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
                Ok(Value::Int(t as i64))
            } else {
                Err(RtError::new(format!("integer overflow: {} does not fit in an int", crate::format::float_repr(f)))
                    .into())
            }
        }
        v => Err(RtError::cast(vm.type_name(v), "int").into()),
    }
}

/// `float(x)` of an int or a float.
pub(crate) fn to_float(vm: &mut Vm, a: Args) -> BResult {
    match a.get(vm, 0) {
        Value::Int(i) => Ok(Value::Float(i as f64)),
        Value::Float(f) => Ok(Value::Float(f)),
        v => Err(RtError::cast(vm.type_name(v), "float").into()),
    }
}

/// `assert(cond, msg)`: the runtime error `msg` when `cond` is false.
pub(crate) fn assert(vm: &mut Vm, a: Args) -> BResult {
    if a.get(vm, 0).bool() {
        Ok(Value::Nil)
    } else {
        Err(RtError::new(format!("assertion failed: {}", vm.text(a.get(vm, 1)))).into())
    }
}

/// `panic(msg)`: the runtime error `msg`.
pub(crate) fn panic(vm: &mut Vm, a: Args) -> BResult {
    Err(RtError::new(vm.text(a.get(vm, 0)).to_string()).into())
}
