//! Reusable migration policies (updates.md, "Reusable policies"): the natives behind std.dsu's
//! `Object` views, and [`Vm::apply_policy`], which runs one `dsu.Policy` on one object in the
//! staging area. The script runner calls `apply_policy` once per affected instance of a class
//! migrated with `migrate C = EXPR`; the library policies themselves are Newt code (dsu.newt).
//!
//! **Views.** A `dsu.Object` holds `(target, view)`. `view == 0` is a view made by `dsu.reflect`
//! of a live instance (`target`), read and written with the current layouts. A migration's two
//! views carry a number (`target` is nil) that names an entry of [`ReflectState`] while that
//! migration runs, and nothing afterwards (a kept view is a runtime error, never a dangling
//! handle): the objects themselves stay on the Rust side, so the old object (whose class id is
//! the new class's, but whose slots are the old layout's) never escapes into Newt code, and the
//! handles of the staged objects are never given to code (commit's `release_unseen` relies on it).
//!
//! **Old objects.** After commit's bulk swap the original handle holds the new object and the
//! staging handle holds the old one, whose class id names the *new* class in the installed
//! (staged) tables. The old view therefore reads its layout from [`ReflectState::old_classes`],
//! the running version's class table that commit keeps there while staging (falling back to the
//! current tables outside an update). Old views are read-only.
//!
//! **Types.** `set` checks the value against the field's declared type (`FieldProto::static_ty`,
//! see `reflect_types.rs`).
//!
//! **Replacements.** `become_class` (the primitive behind `split_by`) builds an instance of
//! another class, kept here as the new view's object; `apply_policy` returns it and the runner
//! swaps it into the original handle (`Heap::swap_objects`), so identity passes to it exactly as
//! for a `migrate` block that returns another object.

use super::reflect_types::{exactly_checkable, misfit};
use crate::builtins::{Args, BResult};
use crate::error::{Ctl, RtError};
use crate::globals::RtClass;
use crate::heap::{Handle, Instance, Obj};
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::types::ClassId;
use std::rc::Rc;

/// The qualified name of std.dsu's view class.
const OBJECT_CLASS: &str = "std.dsu.Object";
/// The qualified name of std.dsu's policy base class.
const POLICY_CLASS: &str = "std.dsu.Policy";

/// The reflection state kept in [`crate::update::DsuState`].
#[derive(Debug, Default)]
pub(crate) struct ReflectState {
    /// While an update is being staged: the running version's class table (indexed by class id),
    /// with which old objects are read. Empty otherwise.
    pub(crate) old_classes: Vec<Rc<RtClass>>,
    /// The migration whose views are valid, while `apply_policy` runs.
    active: Option<Active>,
    /// The number of the next migration's old view (its new view is the number after it).
    next_view: i64,
    /// The ids of `std.dsu.Object` and `std.dsu.Policy` last found (see `Vm::dsu_classes`).
    dsu_classes: Option<(ClassId, ClassId)>,
}

/// The two views of the migration being run.
#[derive(Debug)]
struct Active {
    /// The old view's number; the new view's is `id + 1`.
    id: i64,
    /// The handle holding the old object.
    old: Handle,
    /// The handle holding the new view's object: the staged new object, or a replacement made
    /// by `become_class`.
    current: Handle,
    /// The migrated class (the staged new object's class): replacements must be it or below it.
    base: ClassId,
    /// The module whose classes `become_class` names.
    module: String,
}

/// Which object a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A `dsu.reflect` view of a live instance.
    Live,
    /// A migration's old object (read-only, old layout).
    Old,
    /// A migration's new object.
    New,
}

/// A resolved view: the object and the layout it is read with.
struct Seen {
    side: Side,
    handle: Handle,
    layout: Rc<RtClass>,
}

impl Seen {
    /// How messages name the object: `the old shop.Order`, `the new shop.Order`, `shop.Order`.
    fn label(&self) -> String {
        match self.side {
            Side::Live => self.layout.name.clone(),
            Side::Old => format!("the old {}", self.layout.name),
            Side::New => format!("the new {}", self.layout.name),
        }
    }

    /// The slot of field `name`, or the error naming the object and its fields.
    fn slot(&self, name: &str) -> Result<usize, Ctl> {
        self.layout.fields.iter().position(|f| f.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.layout.fields.iter().map(|f| f.name.as_str()).collect();
            let list = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            err(format!("{} has no field '{name}' (its fields: {list})", self.label()))
        })
    }
}

fn err(msg: impl Into<String>) -> Ctl {
    Ctl::Error(RtError::new(msg))
}

/// The class of the instance `h` names.
fn class_of(vm: &Vm, h: Handle) -> Option<ClassId> {
    match vm.heap.get(h) {
        Obj::Instance(i) => Some(i.class),
        _ => None,
    }
}

/// The layout of class `c` as `side` reads it: the running version's for an old object while
/// staging, the current tables' otherwise.
fn layout(vm: &Vm, side: Side, c: ClassId) -> Option<Rc<RtClass>> {
    if side == Side::Old {
        if let Some(old) = vm.dsu.reflect.old_classes.get(c.0 as usize) {
            return Some(old.clone());
        }
    }
    vm.tables.class(c).cloned()
}

/// Resolves the view passed as a native's first two arguments.
fn view(vm: &Vm, a: Args) -> Result<Seen, Ctl> {
    let (target, number) = (a.get(vm, 0), a.get(vm, 1));
    let (side, handle) = match number {
        Value::Int(0) => match target.handle().filter(|&h| class_of(vm, h).is_some()) {
            Some(h) => (Side::Live, h),
            None => {
                let what = vm.type_name(target).to_string();
                return Err(err(format!(
                    "dsu.reflect: {} is not an object; only class instances have views",
                    a_an(&what)
                )));
            }
        },
        Value::Int(n) => match &vm.dsu.reflect.active {
            Some(act) if n == act.id => (Side::Old, act.old),
            Some(act) if n == act.id + 1 => (Side::New, act.current),
            _ => {
                return Err(err(
                    "this dsu.Object is no longer valid: a migration's views can be used only while it runs",
                ))
            }
        },
        _ => return Err(err("internal error: a dsu.Object without a view number")),
    };
    let layout = class_of(vm, handle)
        .and_then(|c| layout(vm, side, c))
        .ok_or_else(|| err("internal error: a dsu.Object view of something that is not an instance"))?;
    Ok(Seen { side, handle, layout })
}

/// The class and its superclasses as `side` reads them, nearest first.
fn chain(vm: &Vm, side: Side, first: &Rc<RtClass>) -> Vec<Rc<RtClass>> {
    let mut out = vec![first.clone()];
    let mut next = first.superclass;
    // The bound guards a malformed cycle.
    while let Some(c) = next.filter(|_| out.len() <= vm.tables.classes.len() + vm.dsu.reflect.old_classes.len()) {
        match layout(vm, side, c) {
            Some(class) => {
                next = class.superclass;
                out.push(class);
            }
            None => break,
        }
    }
    out
}

/// A list of strings as a Newt value.
fn str_list(vm: &mut Vm, items: &[String]) -> Value {
    let values: Vec<Value> = items.iter().map(|s| vm.new_str(s)).collect();
    Value::Obj(vm.heap.alloc(Obj::List(values)))
}

/// `__dsu_object_class(target, view) -> str`: the qualified class name.
pub(crate) fn class(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    Ok(vm.new_str(&seen.layout.name))
}

/// `__dsu_object_short_name(target, view) -> str`: the class name as written.
pub(crate) fn short_name(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    Ok(vm.new_str(&seen.layout.short_name))
}

/// `__dsu_object_classes(target, view) -> List<str>`: the class and its superclasses.
pub(crate) fn classes(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let names: Vec<String> = chain(vm, seen.side, &seen.layout).iter().map(|c| c.name.clone()).collect();
    Ok(str_list(vm, &names))
}

/// `__dsu_object_fields(target, view) -> List<str>`: field names in layout order.
pub(crate) fn fields(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let names: Vec<String> = seen.layout.fields.iter().map(|f| f.name.clone()).collect();
    Ok(str_list(vm, &names))
}

/// `__dsu_object_has(target, view, name) -> bool`.
pub(crate) fn has(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let name = vm.text(a.get(vm, 2));
    Ok(Value::Bool(seen.layout.fields.iter().any(|f| f.name == name)))
}

/// `__dsu_object_field_type(target, view, name) -> str`: the declared type as written.
pub(crate) fn field_type(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let slot = seen.slot(vm.text(a.get(vm, 2)))?;
    let ty = seen.layout.fields.get(slot).map(|f| f.ty.clone()).unwrap_or_default();
    Ok(vm.new_str(&ty))
}

/// `__dsu_object_declared_in(target, view, name) -> str`: the topmost class of the chain whose
/// layout has the field (layouts list inherited fields first, so that is where it is declared).
pub(crate) fn declared_in(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let name = vm.text(a.get(vm, 2)).to_string();
    seen.slot(&name)?;
    let declarer = chain(vm, seen.side, &seen.layout)
        .into_iter()
        .take_while(|c| c.fields.iter().any(|f| f.name == name))
        .last()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    Ok(vm.new_str(&declarer))
}

/// `__dsu_object_get(target, view, name) -> any`.
pub(crate) fn get(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let name = vm.text(a.get(vm, 2)).to_string();
    let slot = seen.slot(&name)?;
    match vm.heap.get(seen.handle) {
        Obj::Instance(i) => match i.fields.get(slot) {
            Some(Value::Undef) => Err(err(format!(
                "field '{name}' of {} has no value yet (the default policy could not fill it): set it before reading it",
                seen.label()
            ))),
            Some(v) => Ok(*v),
            None => Err(err(format!("internal error: {} is shorter than its layout", seen.label()))),
        },
        _ => Err(err("internal error: a dsu.Object view of something that is not an instance")),
    }
}

/// `__dsu_object_set(target, view, name, value)`: type-checked against the declared type.
pub(crate) fn set(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let name = vm.text(a.get(vm, 2)).to_string();
    if seen.side == Side::Old {
        return Err(err(format!(
            "cannot set field '{name}' of {}: the old object is read-only (set the new one)",
            seen.label()
        )));
    }
    let slot = seen.slot(&name)?;
    let value = a.get(vm, 3);
    let Some(field) = seen.layout.fields.get(slot) else {
        return Err(err("internal error: an instance shorter than its layout"));
    };
    if let Some(why) = misfit(vm, &field.static_ty, value) {
        let ty = field.ty.clone();
        return Err(err(format!("cannot set field '{name}' of {} to {why}: the field is declared {ty}", seen.label())));
    }
    match vm.heap.get_mut(seen.handle) {
        Obj::Instance(i) => match i.fields.get_mut(slot) {
            Some(f) => {
                *f = value;
                Ok(Value::Nil)
            }
            None => Err(err("internal error: an instance shorter than its layout")),
        },
        _ => Err(err("internal error: a dsu.Object view of something that is not an instance")),
    }
}

/// `__dsu_object_become(target, view, class_name)`: see `Object.become_class` in dsu.newt.
pub(crate) fn become_class(vm: &mut Vm, a: Args) -> BResult {
    let seen = view(vm, a)?;
    let short = vm.text(a.get(vm, 2)).to_string();
    let what = format!("become_class(\"{short}\")");
    let (module, base, old) = match (&vm.dsu.reflect.active, seen.side) {
        (Some(act), Side::New) => (act.module.clone(), act.base, act.old),
        (_, Side::Old) => return Err(err(format!("{what}: {} cannot change class", seen.label()))),
        _ => {
            return Err(err(format!(
                "{what}: only the new object of a migration can change class (in a policy, during an update)"
            )))
        }
    };
    // The module's class list names exactly the classes of its installed version (while staging:
    // the new version's, so that a class this update removes is not found).
    let target = vm
        .tables
        .modules
        .iter()
        .find(|m| m.name == module)
        .and_then(|m| m.classes.iter().filter_map(|&c| vm.tables.class(c)).find(|c| c.short_name == short))
        .cloned()
        .ok_or_else(|| err(format!("{what}: module {module} has no class {short}")))?;
    if !vm.tables.is_subclass(target.id, base) {
        let base = vm.tables.class(base).map(|c| c.name.clone()).unwrap_or_default();
        return Err(err(format!(
            "{what}: {} is neither {base} nor a subclass of it, so the references to this {base} could not hold it",
            target.name
        )));
    }
    if target.id == seen.layout.id {
        return Ok(Value::Nil);
    }
    let old_layout = class_of(vm, old).and_then(|c| layout(vm, Side::Old, c));
    let mut values = Vec::with_capacity(target.fields.len());
    let mut defaults = Vec::new();
    for (slot, f) in target.fields.iter().enumerate() {
        let from_current = seen
            .layout
            .fields
            .iter()
            .position(|g| g.name == f.name && g.static_ty == f.static_ty)
            .and_then(|k| field(vm, seen.handle, k));
        let from_old = || {
            let layout = old_layout.as_ref()?;
            let k = layout.fields.iter().position(|g| g.name == f.name)?;
            let v = field(vm, old, k)?;
            let same = layout.fields[k].static_ty == f.static_ty;
            (same || (exactly_checkable(&f.static_ty) && misfit(vm, &f.static_ty, v).is_none())).then_some(v)
        };
        match from_current.or_else(from_old) {
            Some(v) => values.push(v),
            None => {
                values.push(Value::Undef);
                if let Some(d) = f.default {
                    defaults.push((slot, d));
                }
            }
        }
    }
    let h = vm.heap.alloc(Obj::Instance(Instance::new(target.id, values.into())));
    // Rooted until `apply_policy` returns (it truncates the root stack); the runner roots the
    // replacement it is given.
    vm.roots.push(Value::Obj(h));
    if let Some(act) = vm.dsu.reflect.active.as_mut() {
        act.current = h;
    }
    for (slot, d) in defaults {
        let v = vm.call_nested(Value::Func(d), &[])?;
        if let Obj::Instance(i) = vm.heap.get_mut(h) {
            if let Some(f) = i.fields.get_mut(slot) {
                *f = v;
            }
        }
    }
    Ok(Value::Nil)
}

/// Field `slot` of the instance `h` names, when it has a value.
fn field(vm: &Vm, h: Handle, slot: usize) -> Option<Value> {
    match vm.heap.get(h) {
        Obj::Instance(i) => i.fields.get(slot).copied().filter(|v| !matches!(v, Value::Undef)),
        _ => None,
    }
}

/// `a str`, `an int`.
pub(crate) fn a_an(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

impl Vm {
    /// The class with qualified name `name` in the current tables, unless an update removed it.
    fn live_class(&self, name: &str) -> Option<Rc<RtClass>> {
        let removed = &self.dsu.removed_classes;
        self.tables.classes.iter().rev().find(|c| c.name == name && !removed.contains(&c.id.0)).cloned()
    }

    /// `std.dsu.Object` and `std.dsu.Policy`, found by name once and then checked by id (ids of
    /// a name never change, but the classes may be missing from a later version).
    fn dsu_classes(&mut self) -> Option<(Rc<RtClass>, Rc<RtClass>)> {
        let usable = |vm: &Vm, id: ClassId, name: &str| {
            vm.tables.class(id).filter(|c| c.name == name && !vm.dsu.removed_classes.contains(&id.0)).cloned()
        };
        if let Some((o, p)) = self.dsu.reflect.dsu_classes {
            if let (Some(o), Some(p)) = (usable(self, o, OBJECT_CLASS), usable(self, p, POLICY_CLASS)) {
                return Some((o, p));
            }
        }
        let found = (self.live_class(OBJECT_CLASS)?, self.live_class(POLICY_CLASS)?);
        self.dsu.reflect.dsu_classes = Some((found.0.id, found.1.id));
        Some(found)
    }

    /// Runs the reusable policy `policy` (an instance of a subclass of `std.dsu.Policy`) on one
    /// migrated object: calls `policy.migrate(old_view, new_view)` outside any fiber, where
    /// `old_view` reads the object in handle `old` (the untouched old object: after the bulk swap
    /// it sits in the staging handle, and is read with the running layouts kept in
    /// [`ReflectState::old_classes`]) and `new_view` reads and writes the object in handle `new`
    /// (the staged new object, pre-filled by the default policy, in the original handle).
    /// `module` is the updated module, whose classes `become_class` names.
    ///
    /// Returns `Ok(None)` when the new object stays, `Ok(Some(r))` when the policy made it an
    /// instance of another class: `r` is the replacement, which the caller must root and swap
    /// into `new` (`Heap::swap_objects(new, r)`, recorded for the abort path), as for a `migrate`
    /// block returning another object. `Err` carries the one-line reason for the update's report
    /// (a runtime error in the policy, a field left without a value, a value that is no policy);
    /// the caller aborts the update. Call it only while the world is stopped; it may allocate and
    /// run Newt code (the views, the policy), and keeps its own temporaries rooted.
    pub(crate) fn apply_policy(
        &mut self,
        policy: Value,
        old: Handle,
        new: Handle,
        module: &str,
    ) -> Result<Option<Handle>, String> {
        if self.dsu.reflect.active.is_some() {
            return Err("internal: a policy applied while another one runs".into());
        }
        let Some((object_class, policy_class)) = self.dsu_classes() else {
            return Err("reusable policies need std.dsu in the new version: import std.dsu".into());
        };
        let policy_of =
            policy.handle().and_then(|h| class_of(self, h)).filter(|&c| self.tables.is_subclass(c, policy_class.id));
        let Some(pclass) = policy_of.and_then(|c| self.tables.class(c).cloned()) else {
            return Err(format!("the policy is {}, not a dsu.Policy", a_an(self.type_name(policy))));
        };
        let method = pclass
            .method_names
            .iter()
            .position(|n| n == "migrate")
            .and_then(|i| pclass.vtable.get(i).copied())
            .filter(|&f| self.tables.function(f).is_some_and(|f| f.proto.arity == 3))
            .ok_or_else(|| format!("policy {} has no method migrate(self, old, new)", pclass.name))?;
        let (Some(base), Some(_)) = (class_of(self, new), class_of(self, old)) else {
            return Err("internal: a policy applied to something that is not an instance".into());
        };
        let roots_before = self.roots.len();
        self.roots.extend_from_slice(&[policy, Value::Obj(old), Value::Obj(new)]);
        let id = self.dsu.reflect.next_view.max(1);
        self.dsu.reflect.next_view = id + 2;
        let mut views = [Value::Nil; 2];
        for (k, v) in views.iter_mut().enumerate() {
            let fields: Box<[Value]> = object_class
                .fields
                .iter()
                .map(|f| if f.name == "view" { Value::Int(id + k as i64) } else { Value::Nil })
                .collect();
            *v = Value::Obj(self.heap.alloc(Obj::Instance(Instance::new(object_class.id, fields))));
            self.roots.push(*v);
        }
        self.dsu.reflect.active = Some(Active { id, old, current: new, base, module: module.to_string() });
        let current = self.current.take();
        let r = self.invoke(Value::Func(method), &[policy, views[0], views[1]]);
        self.current = current;
        let act = self.dsu.reflect.active.take();
        let result = match (r, act) {
            (Ok(_), Some(act)) => match self.heap.get(act.current) {
                Obj::Instance(i) => match i.fields.iter().position(|v| matches!(v, Value::Undef)) {
                    Some(k) => {
                        let class = self.tables.class(i.class);
                        let field = class.and_then(|c| c.fields.get(k)).map(|f| f.name.as_str()).unwrap_or("?");
                        let name = class.map(|c| c.name.as_str()).unwrap_or("?");
                        Err(format!(
                            "policy {} left field '{field}' of a migrated {name} without a value; set it in the policy or give it a default",
                            pclass.short_name
                        ))
                    }
                    None => Ok((act.current != new).then_some(act.current)),
                },
                _ => Err("internal: a policy's new object is not an instance".into()),
            },
            (Ok(_), None) => Err("internal: a policy's views vanished".into()),
            (Err(e), _) => {
                let at = e.trace.first().map(|t| format!(" (in {} line {})", t.function, t.line)).unwrap_or_default();
                let migrated = self.tables.class(base).map(|c| c.name.as_str()).unwrap_or("?");
                Err(format!(
                    "runtime error in policy {} migrating {}: {}{at}",
                    pclass.short_name,
                    a_an(migrated),
                    e.error.msg
                ))
            }
        };
        self.roots.truncate(roots_before);
        result
    }

    /// Test hook: [`Vm::apply_policy`] on the given handles, outside any update (both views then
    /// read the current layouts). Updates reach policies through `migrate C = EXPR`.
    #[doc(hidden)]
    pub fn test_apply_policy(
        &mut self,
        policy: Value,
        old: Handle,
        new: Handle,
        module: &str,
    ) -> Result<Option<Handle>, String> {
        self.apply_policy(policy, old, new, module)
    }
}
