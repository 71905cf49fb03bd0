//! Methods of `Map<K, V>` (insertion-ordered, `crate::ordmap::OrdMap`).

use super::{Args, BResult};
use crate::error::RtError;
use crate::heap::{MapKey, Obj};
use crate::ordmap::OrdMap;
use crate::value::Value;
use crate::vm::Vm;

fn map(vm: &Vm, m: Value) -> Result<&OrdMap<MapKey, Value>, RtError> {
    match m.handle().map(|h| vm.heap.get(h)) {
        Some(Obj::Map(map)) => Ok(map),
        _ => Err(vm.not_a(m, "Map")),
    }
}

/// `m.len()`.
pub(crate) fn len(vm: &mut Vm, a: Args) -> BResult {
    Ok(Value::Int(map(vm, a.get(vm, 0))?.len() as i64))
}

/// `m.get(k) -> V?`.
pub(crate) fn get(vm: &mut Vm, a: Args) -> BResult {
    let m = map(vm, a.get(vm, 0))?;
    Ok(vm.map_find(m, a.get(vm, 1))?.and_then(|p| m.slot(p)).map(|(_, v)| *v).unwrap_or(Value::Nil))
}

/// `m.contains(k)`.
pub(crate) fn contains(vm: &mut Vm, a: Args) -> BResult {
    let m = map(vm, a.get(vm, 0))?;
    Ok(Value::Bool(vm.map_find(m, a.get(vm, 1))?.is_some()))
}

/// `m.remove(k) -> V?`; the other keys keep their order.
pub(crate) fn remove(vm: &mut Vm, a: Args) -> BResult {
    // Found without building a key (see `Vm::map_find`), then removed by position.
    let (m, k) = (a.get(vm, 0), a.get(vm, 1));
    let found = match map(vm, m) {
        Ok(map) => vm.map_find(map, k)?.and_then(|p| Some((map.slot(p)?.0.word(), p))),
        Err(_) => None,
    };
    match m {
        Value::Obj(h) => match vm.heap.get_mut(h) {
            Obj::Map(map) => Ok(found.and_then(|(word, p)| map.remove_at(word, p)).unwrap_or(Value::Nil)),
            o => Err(RtError::expected("Map", o.kind_name()).into()),
        },
        _ => Err(RtError::expected("Map", "nil").into()),
    }
}

/// `m.keys()`: a new list, in iteration order (string keys are the strings they were made from).
pub(crate) fn keys(vm: &mut Vm, a: Args) -> BResult {
    let keys: Vec<Value> = map(vm, a.get(vm, 0))?.keys().map(MapKey::to_value).collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(keys))))
}

/// `m.values()`: a new list, in key order.
pub(crate) fn values(vm: &mut Vm, a: Args) -> BResult {
    let values: Vec<Value> = map(vm, a.get(vm, 0))?.values().copied().collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(values))))
}
