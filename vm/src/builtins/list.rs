//! Methods of `List<T>`.
//!
//! `sort_by` calls a Newt function from Rust for every comparison (`Vm::call_nested`), so it sorts
//! a copy of the elements with its own stable merge sort that can stop at the first error; the
//! copy is rooted while the comparator runs (it may allocate and collect), and written back at the
//! end.

use super::{Args, BResult};
use crate::error::{Ctl, RtError};
use crate::heap::Obj;
use crate::value::Value;
use crate::vm::Vm;

fn items(vm: &Vm, list: Value) -> Result<&Vec<Value>, RtError> {
    match list.handle().map(|h| vm.heap.get(h)) {
        Some(Obj::List(items)) => Ok(items),
        _ => Err(vm.not_a(list, "List")),
    }
}

fn items_mut(vm: &mut Vm, list: Value) -> Result<&mut Vec<Value>, RtError> {
    match list {
        Value::Obj(h) => match vm.heap.get_mut(h) {
            Obj::List(items) => Ok(items),
            o => Err(RtError::expected("List", o.kind_name())),
        },
        _ => Err(RtError::expected("List", "nil")),
    }
}

/// An int argument as an index into `0..=limit`.
fn index(i: i64, limit: usize, len: usize) -> Result<usize, RtError> {
    match usize::try_from(i) {
        Ok(u) if u <= limit => Ok(u),
        _ => Err(RtError::index(i, len)),
    }
}

/// `xs.len()`.
pub(crate) fn len(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(items(vm, a.get(vm, 0))?.len() as i64))
}

/// `xs.push(x)`.
pub(crate) fn push(vm: &mut Vm, a: Args) -> BResult {
    let x = a.get(vm, 1);
    items_mut(vm, a.get(vm, 0))?.push(x);
    Ok(Value::Nil)
}

/// `xs.pop() -> T?`.
pub(crate) fn pop(vm: &mut Vm, a: Args) -> BResult {
    Ok(items_mut(vm, a.get(vm, 0))?.pop().unwrap_or(Value::Nil))
}

/// `xs.insert(i, x)`, `0 <= i <= len`.
pub(crate) fn insert(vm: &mut Vm, a: Args) -> BResult {
    let (i, x) = (a.get(vm, 1).int(), a.get(vm, 2));
    let xs = items_mut(vm, a.get(vm, 0))?;
    let at = index(i, xs.len(), xs.len())?;
    xs.insert(at, x);
    Ok(Value::Nil)
}

/// `xs.remove(i) -> T`, `0 <= i < len`.
pub(crate) fn remove(vm: &mut Vm, a: Args) -> BResult {
    let i = a.get(vm, 1).int();
    let xs = items_mut(vm, a.get(vm, 0))?;
    if xs.is_empty() {
        return Err(RtError::index(i, 0).into());
    }
    let at = index(i, xs.len() - 1, xs.len())?;
    Ok(xs.remove(at))
}

/// `xs.get(i) -> T?`: nil when out of range.
pub(crate) fn get(vm: &mut Vm, a: Args) -> BResult {
    let i = a.get(vm, 1).int();
    let xs = items(vm, a.get(vm, 0))?;
    Ok(usize::try_from(i).ok().and_then(|i| xs.get(i)).copied().unwrap_or(Value::Nil))
}

/// `xs.contains(x)` (by `==`).
pub(crate) fn contains(vm: &mut Vm, a: Args) -> BResult {
    let x = a.get(vm, 1);
    let xs = items(vm, a.get(vm, 0))?;
    Ok(Value::Bool(xs.iter().any(|v| vm.values_equal(*v, x))))
}

/// `xs.index_of(x) -> int?`.
pub(crate) fn index_of(vm: &mut Vm, a: Args) -> BResult {
    let x = a.get(vm, 1);
    let xs = items(vm, a.get(vm, 0))?;
    Ok(xs.iter().position(|v| vm.values_equal(*v, x)).map(|i| Value::Int(i as i64)).unwrap_or(Value::Nil))
}

/// `xs.slice(a, b)`: a new list of `xs[a..b]`; `0 <= a <= b <= len`.
pub(crate) fn slice(vm: &mut Vm, a: Args) -> BResult {
    let (from, to) = (a.get(vm, 1).int(), a.get(vm, 2).int());
    let xs = items(vm, a.get(vm, 0))?;
    let len = xs.len();
    let to_u = index(to, len, len)?;
    let from_u = index(from, to_u, len)?;
    let part = xs[from_u..to_u].to_vec();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(part))))
}

/// `xs.join(sep)` of a `List<str>`.
pub(crate) fn join(vm: &mut Vm, a: Args) -> BResult {
    let sep = vm.text(a.get(vm, 1));
    let xs = items(vm, a.get(vm, 0))?;
    let mut out = String::new();
    for (i, v) in xs.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(vm.text(*v));
    }
    Ok(vm.new_str(&out))
}

/// `xs.sort()` of ints, floats (NaN last, by IEEE total order) or strings (byte order); stable.
pub(crate) fn sort(vm: &mut Vm, a: Args) -> BResult {
    let list = a.get(vm, 0);
    let mut xs = std::mem::take(items_mut(vm, list)?);
    match xs.first() {
        Some(Value::Int(_)) => xs.sort_by_key(|v| v.int()),
        Some(Value::Float(_)) => xs.sort_by(|x, y| x.float().total_cmp(&y.float())),
        Some(Value::Obj(_)) => xs.sort_by(|x, y| vm.text(*x).cmp(vm.text(*y))),
        _ => {}
    }
    *items_mut(vm, list)? = xs;
    Ok(Value::Nil)
}

/// `xs.sort_by(less)`: stable; `less(a, b)` is true when `a` goes before `b`.
pub(crate) fn sort_by(vm: &mut Vm, a: Args) -> BResult {
    let (list, less) = (a.get(vm, 0), a.get(vm, 1));
    let mut xs = items(vm, list)?.clone();
    let n = xs.len();
    for v in &xs {
        vm.root(*v);
    }
    let sorted = merge_sort(vm, less, &mut xs);
    vm.unroot(n);
    sorted?;
    *items_mut(vm, list)? = xs;
    Ok(Value::Nil)
}

/// Calls `less(x, y)`.
fn less_than(vm: &mut Vm, less: Value, x: Value, y: Value) -> Result<bool, Ctl> {
    Ok(vm.call_nested(less, &[x, y])?.bool())
}

/// Bottom-up stable merge sort with a fallible comparison.
fn merge_sort(vm: &mut Vm, less: Value, xs: &mut Vec<Value>) -> Result<(), Ctl> {
    let n = xs.len();
    let mut buf = xs.clone();
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                // Take from the right only when it is strictly before the left: stability.
                if less_than(vm, less, xs[j], xs[i])? {
                    buf[k] = xs[j];
                    j += 1;
                } else {
                    buf[k] = xs[i];
                    i += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&xs[i..mid]);
            k += mid - i;
            buf[k..k + (hi - j)].copy_from_slice(&xs[j..hi]);
            lo = hi;
        }
        std::mem::swap(xs, &mut buf);
        width *= 2;
    }
    Ok(())
}

/// `xs.reverse()`.
pub(crate) fn reverse(vm: &mut Vm, a: Args) -> BResult {
    items_mut(vm, a.get(vm, 0))?.reverse();
    Ok(Value::Nil)
}

/// `xs.clear()`.
pub(crate) fn clear(vm: &mut Vm, a: Args) -> BResult {
    items_mut(vm, a.get(vm, 0))?.clear();
    Ok(Value::Nil)
}
