//! The `old.` view of an update script at run time (updates.md, "Update scripts"): the natives
//! the checker emits for every read of the running version (`check/script_old.rs`).
//!
//! While the script runs (in the staging area, after the bulk swap) the running tables are kept
//! aside in an [`OldWorld`], and every migrated handle holds its new object while the old object
//! sits in a staging handle. A value of an `old.` type is the object's *own* handle (so that
//! storing it in a new object keeps identity); reading a field or calling a method translates it
//! to the staging handle of its old object first. Old methods and functions run with the running
//! tables swapped in, so the old code dispatches, calls and reads globals in the old version.
//!
//! What old code reaches through other objects' fields must be old too. In blocks that run once
//! (`validate "..."`, `migrate var`, restart calls, a policy's expression) an old call undoes the
//! bulk swap for its duration (O(migrated objects) each way), so the whole heap is the running
//! version's: `old.total()` over a list of migrated objects reads their old fields. In blocks that
//! run once per migrated instance (`migrate`, `validate each`, a policy's `migrate`) that would
//! make the pause quadratic, so there an old call sees the old receiver (and arguments reached
//! only through it in their current version): a migrated object reached through another one's
//! field is seen in its new layout (a mismatch is a runtime error, which aborts).

use crate::builtins::{Args, BResult};
use crate::error::{Ctl, RtError};
use crate::globals::Tables;
use crate::heap::{Handle, Obj};
use crate::value::Value;
use crate::vm::Vm;
use ahash::AHashMap;

/// The running version while a script runs.
#[derive(Debug, Default)]
pub(crate) struct OldWorld {
    pub tables: Tables,
    /// (migrated handle, staging handle of its old object).
    pairs: Vec<(Handle, Handle)>,
    /// `pairs` as maps both ways, built at the first old access.
    old_of: Option<(AHashMap<Handle, Handle>, AHashMap<Handle, Handle>)>,
    /// Set while a per-instance block runs: old calls then translate their receiver only.
    pub per_instance: bool,
    /// The instance a per-instance block runs for, (own handle, staging handle): its old reads
    /// skip the map.
    pub hint: Option<(Handle, Handle)>,
}

impl OldWorld {
    pub(crate) fn new(tables: Tables, pairs: Vec<(Handle, Handle)>) -> OldWorld {
        OldWorld { tables, pairs, old_of: None, per_instance: false, hint: None }
    }

    fn maps(&mut self) -> &(AHashMap<Handle, Handle>, AHashMap<Handle, Handle>) {
        let pairs = &self.pairs;
        self.old_of.get_or_insert_with(|| {
            let forward = pairs.iter().copied().collect();
            let back = pairs.iter().map(|&(h, s)| (s, h)).collect();
            (forward, back)
        })
    }

    /// Records one more (object, staging handle of its old object) pair: an object of a class the
    /// update migrates lazily, migrated during the pause (`update/lazy.rs`).
    pub(crate) fn add_pair(&mut self, h: Handle, s: Handle) {
        self.pairs.push((h, s));
        if let Some((forward, back)) = self.old_of.as_mut() {
            forward.insert(h, s);
            back.insert(s, h);
        }
    }

    /// The handle holding `h`'s old object (`h` itself when it was not migrated).
    pub(crate) fn old_handle(&mut self, h: Handle) -> Handle {
        if let Some((own, old)) = self.hint {
            if own == h {
                return old;
            }
        }
        self.maps().0.get(&h).copied().unwrap_or(h)
    }

    /// The object's own handle for a staging handle (results of old code).
    fn own(&mut self, v: Value) -> Value {
        match v {
            Value::Obj(s) => Value::Obj(self.maps().1.get(&s).copied().unwrap_or(s)),
            other => other,
        }
    }
}

fn err(msg: impl Into<String>) -> Ctl {
    Ctl::Error(RtError::new(msg))
}

fn no_world() -> Ctl {
    err("the running version (`old.`) can only be read while an update script runs")
}

/// The elements of a `List<any>` argument.
fn list(vm: &Vm, v: Value) -> Vec<Value> {
    match v.handle().map(|h| vm.heap.get(h)) {
        Some(Obj::List(items)) => items.to_vec(),
        _ => Vec::new(),
    }
}

/// `__dsu_old_field(obj, slot)`.
pub(crate) fn field(vm: &mut Vm, a: Args) -> BResult {
    let (obj, slot) = (a.get(vm, 0), a.get(vm, 1).int());
    let Value::Obj(h) = obj else {
        return match obj {
            Value::Nil => Err(Ctl::Error(RtError::unwrapped_nil())),
            _ => Err(err("field of a value that is not an object")),
        };
    };
    let old = match vm.dsu.lazy.view {
        // `o.f` in a lazy migration (`update/lazy.rs`).
        Some((k, s)) if vm.heap.same(k, h) => s,
        _ => {
            let old = vm.dsu.old_world.as_mut().ok_or_else(no_world)?.old_handle(h);
            if old == h {
                // Pending since an earlier update: the running version sees it migrated.
                vm.lazy_ready_committed(h)?;
            }
            old
        }
    };
    match vm.heap.get(old) {
        Obj::Instance(i) => {
            i.fields.get(slot as usize).copied().ok_or_else(|| err(format!("the old object has no field {slot}")))
        }
        o => Err(err(format!("field of a {}", o.kind_name()))),
    }
}

/// `__dsu_old_global(slot)`.
pub(crate) fn global(vm: &mut Vm, a: Args) -> BResult {
    let slot = a.get(vm, 0).int();
    let w = vm.dsu.old_world.as_ref().ok_or_else(no_world)?;
    w.tables.globals.get(slot as usize).copied().ok_or_else(|| err(format!("no running global {slot}")))
}

/// `__dsu_old_method(obj, slot, args)`.
pub(crate) fn method(vm: &mut Vm, a: Args) -> BResult {
    let (obj, slot, rest) = (a.get(vm, 0), a.get(vm, 1).int(), a.get(vm, 2));
    let Value::Obj(h) = obj else {
        return match obj {
            Value::Nil => Err(Ctl::Error(RtError::unwrapped_nil())),
            _ => Err(err("method of a value that is not an object")),
        };
    };
    let old = vm.dsu.old_world.as_mut().ok_or_else(no_world)?.old_handle(h);
    if old == h {
        vm.lazy_ready_committed(h)?;
    }
    let w = vm.dsu.old_world.as_mut().ok_or_else(no_world)?;
    let class = match vm.heap.get(old) {
        Obj::Instance(i) => i.class,
        o => return Err(err(format!("method of a {}", o.kind_name()))),
    };
    let f = w
        .tables
        .classes
        .get(class.0 as usize)
        .and_then(|c| c.vtable.get(slot as usize).copied())
        .ok_or_else(|| err(format!("the running class {} has no method {slot}", class.0)))?;
    // With the whole swap undone the object's own handle holds its old version again.
    let receiver = if w.per_instance { old } else { h };
    let mut args = vec![Value::Obj(receiver)];
    args.extend(list(vm, rest));
    call_old(vm, Value::Func(f), &args)
}

/// `__dsu_old_call(slot, args)`.
pub(crate) fn call(vm: &mut Vm, a: Args) -> BResult {
    let (slot, rest) = (a.get(vm, 0).int(), a.get(vm, 1));
    let w = vm.dsu.old_world.as_ref().ok_or_else(no_world)?;
    let f = w.tables.globals.get(slot as usize).copied().ok_or_else(|| err(format!("no running function {slot}")))?;
    let args = list(vm, rest);
    call_old(vm, f, &args)
}

/// Runs `f(args)` in the running version: its tables are swapped in for the call, and outside
/// per-instance blocks the bulk swap is undone meanwhile (see the module docs).
fn call_old(vm: &mut Vm, f: Value, args: &[Value]) -> BResult {
    // The world stays in `dsu.old_world` for the call, holding the staged tables meanwhile, so a
    // collection during the old code roots both versions' globals (`gc.rs`).
    let Some(w) = vm.dsu.old_world.as_mut() else { return Err(no_world()) };
    std::mem::swap(&mut vm.tables, &mut w.tables);
    let whole = !w.per_instance;
    // The handle maps are built from the pairs before they are lent out for the call.
    let _ = w.maps();
    let pairs = if whole { std::mem::take(&mut w.pairs) } else { Vec::new() };
    vm.lazy_mask_for_old(true);
    // Each swap is its own inverse: undone in reverse, redone in order.
    for &(h, s) in pairs.iter().rev() {
        let _ = vm.heap.swap_objects(h, s);
    }
    let r = vm.call_nested(f, args);
    for &(h, s) in pairs.iter() {
        let _ = vm.heap.swap_objects(h, s);
    }
    vm.lazy_mask_for_old(false);
    let Some(w) = vm.dsu.old_world.as_mut() else { return Err(no_world()) };
    if whole {
        w.pairs = pairs;
    }
    std::mem::swap(&mut vm.tables, &mut w.tables);
    r.map(|v| w.own(v))
}
