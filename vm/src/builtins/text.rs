//! Methods of `str` (on top of the pure functions of `crate::strings`) and the code-point natives.

use super::{Args, BResult};
use crate::error::RtError;
use crate::heap::Obj;
use crate::strings;
use crate::value::Value;
use crate::vm::Vm;

/// The receiver's text, owned (so the heap can be used while it is held). Strings are `Rc<str>`:
/// this is a reference-count increment, not a copy.
fn recv(vm: &Vm, a: Args) -> std::rc::Rc<str> {
    match a.get(vm, 0).handle().map(|h| vm.heap.get(h)) {
        Some(Obj::Str(s)) => s.text.clone(),
        _ => "".into(),
    }
}

/// A list of new strings.
fn str_list(vm: &mut Vm, items: impl IntoIterator<Item = String>) -> Value {
    let items: Vec<Value> = items.into_iter().map(|s| vm.new_str(&s)).collect();
    Value::Obj(vm.heap.alloc(Obj::List(items)))
}

/// `s.len()` in bytes.
pub(crate) fn len(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(vm.text(a.get(vm, 0)).len() as i64))
}

/// `s.chars()`.
pub(crate) fn chars(vm: &mut Vm, a: Args) -> BResult {
    let s = recv(vm, a);
    Ok(str_list(vm, strings::chars(&s)))
}

/// `s.split(sep)`.
pub(crate) fn split(vm: &mut Vm, a: Args) -> BResult {
    let s = recv(vm, a);
    let parts = strings::split(&s, vm.text(a.get(vm, 1))).map_err(RtError::new)?;
    Ok(str_list(vm, parts))
}

/// A method mapping the receiver to a new string (`trim`, `upper`, `lower`).
pub(crate) fn map_str(vm: &mut Vm, a: Args, f: fn(&str) -> String) -> BResult {
    let s = f(vm.text(a.get(vm, 0)));
    Ok(vm.new_str(&s))
}

/// A predicate of the receiver and one string argument (`contains`, `starts_with`, `ends_with`).
pub(crate) fn test(vm: &mut Vm, a: Args, f: fn(&str, &str) -> bool) -> BResult {
    Ok(Value::Bool(f(vm.text(a.get(vm, 0)), vm.text(a.get(vm, 1)))))
}

/// `s.find(t) -> int?`.
pub(crate) fn find(vm: &mut Vm, a: Args) -> BResult {
    Ok(match strings::find(vm.text(a.get(vm, 0)), vm.text(a.get(vm, 1))) {
        Some(i) => Value::Int(i as i64),
        None => Value::Nil,
    })
}

/// `s.replace(from, to)`.
pub(crate) fn replace(vm: &mut Vm, a: Args) -> BResult {
    let r =
        strings::replace(vm.text(a.get(vm, 0)), vm.text(a.get(vm, 1)), vm.text(a.get(vm, 2))).map_err(RtError::new)?;
    Ok(vm.new_str(&r))
}

/// `s.slice(start, end)` by byte offsets.
pub(crate) fn slice(vm: &mut Vm, a: Args) -> BResult {
    let r = strings::slice(vm.text(a.get(vm, 0)), a.get(vm, 1).int(), a.get(vm, 2).int()).map_err(RtError::new)?;
    Ok(vm.new_str(&r))
}

/// `s.to_int() -> int?`.
pub(crate) fn to_int(vm: &mut Vm, a: Args) -> BResult {
    Ok(strings::to_int(vm.text(a.get(vm, 0))).map(Value::Int).unwrap_or(Value::Nil))
}

/// `s.to_float() -> float?`.
pub(crate) fn to_float(vm: &mut Vm, a: Args) -> BResult {
    Ok(strings::to_float(vm.text(a.get(vm, 0))).map(Value::Float).unwrap_or(Value::Nil))
}

/// `s.repeat(n)`.
pub(crate) fn repeat(vm: &mut Vm, a: Args) -> BResult {
    let r = strings::repeat(vm.text(a.get(vm, 0)), a.get(vm, 1).int()).map_err(RtError::new)?;
    Ok(vm.new_str(&r))
}

/// `__str_codepoint(s) -> int?`: the first character's code point.
pub(crate) fn codepoint(vm: &mut Vm, a: Args) -> BResult {
    Ok(vm.text(a.get(vm, 0)).chars().next().map(|c| Value::Int(c as i64)).unwrap_or(Value::Nil))
}

/// `__str_from_codepoint(i) -> str?`.
pub(crate) fn from_codepoint(vm: &mut Vm, a: Args) -> BResult {
    let c = u32::try_from(a.get(vm, 0).int()).ok().and_then(char::from_u32);
    Ok(match c {
        Some(c) => vm.new_str(c.encode_utf8(&mut [0; 4])),
        None => Value::Nil,
    })
}
