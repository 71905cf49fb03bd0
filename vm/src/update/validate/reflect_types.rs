//! Declared types checked against values at run time, for `dsu.Object.set` and `become_class`
//! (updates.md, "Reusable policies": a value of the wrong type is a runtime error). The field's
//! type is the image's static type (`FieldProto::static_ty`, classes by VM id), so what a class
//! is named — through an alias, after a rename — does not matter. A value fits when the run-time
//! tests of `is`/`as` ([`Vm::is_type`]) accept it, and each element of a `List` or `Map` fits its
//! element type; type parameters accept anything, a generic class is tested without its type
//! arguments, and a function type by arity only.

use crate::heap::Obj;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::bytecode::ProtoKind;
use newt_compiler::types::{RtType, Type};

/// True when the run-time test of `ty` is exact: no element types, type arguments, function
/// signatures or type parameters, which values do not carry (copying such a value from a field
/// of another declared type could alias a container under two element types).
pub(crate) fn exactly_checkable(ty: &Type) -> bool {
    match ty {
        Type::Optional(t) => exactly_checkable(t),
        Type::List(_) | Type::Map(..) | Type::Chan(_) | Type::Fn(..) | Type::Param(_) | Type::Error => false,
        Type::Class(_, args) => args.is_empty(),
        _ => true,
    }
}

/// Why `v` does not fit the declared type `ty`, as a phrase (`a str`, `a List whose element 2
/// is nil`); `None` when it fits.
pub(crate) fn misfit(vm: &Vm, ty: &Type, v: Value) -> Option<String> {
    let fits = match ty {
        Type::Any | Type::Param(_) | Type::Error | Type::Never => true,
        Type::Optional(t) => return if v.is_nil() { None } else { misfit(vm, t, v) },
        Type::Int => vm.is_type(v, RtType::Int),
        Type::Float => vm.is_type(v, RtType::Float),
        Type::Bool => vm.is_type(v, RtType::Bool),
        Type::Str => vm.is_type(v, RtType::Str),
        Type::Nil | Type::Void => v.is_nil(),
        Type::Fiber => vm.is_type(v, RtType::Fiber),
        Type::Chan(_) => vm.is_type(v, RtType::Chan),
        Type::Frame => matches!(v.handle().map(|h| vm.heap.get(h)), Some(Obj::Frame(_))),
        Type::Class(id, _) => vm.is_type(v, RtType::Class(*id)),
        Type::Fn(params, _) => {
            if !vm.is_type(v, RtType::Fn) {
                false
            } else {
                return match arity(vm, v) {
                    Some(k) if k != params.len() => {
                        Some(format!("a function of {k} parameter{}", if k == 1 { "" } else { "s" }))
                    }
                    _ => None,
                };
            }
        }
        Type::List(t) => match v.handle().map(|h| vm.heap.get(h)) {
            Some(Obj::List(items)) => {
                return items
                    .iter()
                    .enumerate()
                    .find_map(|(i, e)| misfit(vm, t, *e).map(|m| format!("a List whose element {i} is {m}")))
            }
            _ => false,
        },
        Type::Map(kt, vt) => match v.handle().map(|h| vm.heap.get(h)) {
            Some(Obj::Map(m)) => {
                return m.iter().find_map(|(k, e)| {
                    let key = k.to_value();
                    match misfit(vm, kt, key) {
                        Some(why) => Some(format!("a Map with a key that is {why}")),
                        None => misfit(vm, vt, *e)
                            .map(|why| format!("a Map whose value at key {} is {why}", vm.display(key))),
                    }
                })
            }
            _ => false,
        },
    };
    (!fits).then(|| if v.is_nil() { "nil".to_string() } else { super::reflect::a_an(vm.type_name(v)) })
}

/// The number of parameters of a function value, when it is a plain function or a lambda.
fn arity(vm: &Vm, v: Value) -> Option<usize> {
    let id = match v {
        Value::Func(f) => f,
        Value::Obj(h) => match vm.heap.get(h) {
            Obj::Closure(c) => c.func,
            _ => return None,
        },
        _ => return None,
    };
    let f = vm.tables.function(id)?;
    matches!(f.proto.kind, ProtoKind::Module | ProtoKind::Lambda { .. }).then_some(f.proto.arity as usize)
}
