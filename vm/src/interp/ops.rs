//! The helpers behind the less trivial instructions: equality, run-time type tests and names,
//! map keys, cells and upvalues, strings, and container indexing. Each returns a `Result` with the
//! runtime error in errors.md's words; the dispatch loop stays one line per opcode.

use crate::error::RtError;
use crate::heap::{Handle, MapKey, Obj, StrKey};
use crate::ordmap::OrdMap;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::types::RtType;
use std::rc::Rc;

impl Vm {
    /// `==`: by value for nil, bools, numbers and strings; by identity (forwarding included) for
    /// other heap objects; functions by id.
    pub(crate) fn values_equal(&self, a: Value, b: Value) -> bool {
        match (a, b) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Func(x), Value::Func(y)) => x == y,
            (Value::Obj(x), Value::Obj(y)) => {
                if x == y {
                    return true;
                }
                match (self.heap.get(x), self.heap.get(y)) {
                    (Obj::Str(s), Obj::Str(t)) => Rc::ptr_eq(&s.text, &t.text) || s.text == t.text,
                    // Identity, forwarding included.
                    (a, b) => std::ptr::eq(a, b),
                }
            }
            _ => false,
        }
    }

    /// `x is T`.
    pub(crate) fn is_type(&self, v: Value, ty: RtType) -> bool {
        match (ty, v) {
            (RtType::Any, _) => true,
            (RtType::Nil, Value::Nil) => true,
            (RtType::Int, Value::Int(_)) => true,
            (RtType::Float, Value::Float(_)) => true,
            (RtType::Bool, Value::Bool(_)) => true,
            (RtType::Fn, Value::Func(_)) => true,
            (_, Value::Obj(h)) => match (ty, self.heap.get(h)) {
                (RtType::Str, Obj::Str(_)) => true,
                (RtType::List, Obj::List(_)) => true,
                (RtType::Map, Obj::Map(_)) => true,
                (RtType::Fn, Obj::Closure(_)) => true,
                (RtType::Fiber, Obj::Fiber(_)) => true,
                (RtType::Chan, Obj::Chan(_)) => true,
                (RtType::Class(c), Obj::Instance(i)) => self.tables.is_subclass(i.class, c),
                _ => false,
            },
            _ => false,
        }
    }

    /// The run-time type name of a value (`int`, `List`, `Product`), as `__type_name` and cast
    /// errors show it.
    pub(crate) fn type_name(&self, v: Value) -> &str {
        match v {
            Value::Nil | Value::Undef => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Func(_) => "fn",
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Str(_) => "str",
                Obj::List(_) => "List",
                Obj::Map(_) => "Map",
                Obj::Instance(i) => self.tables.class_name(i.class),
                Obj::Closure(_) => "fn",
                Obj::Fiber(_) => "Fiber",
                Obj::Chan(_) => "Chan",
                Obj::Frame(_) => "Frame",
                o => o.kind_name(),
            },
        }
    }

    /// The name of a run-time type as written (`int`, `List`, `Product`).
    pub(crate) fn rt_type_name(&self, ty: RtType) -> &str {
        match ty {
            RtType::Int => "int",
            RtType::Float => "float",
            RtType::Bool => "bool",
            RtType::Str => "str",
            RtType::Nil => "nil",
            RtType::List => "List",
            RtType::Map => "Map",
            RtType::Fn => "fn",
            RtType::Fiber => "Fiber",
            RtType::Chan => "Chan",
            RtType::Any => "any",
            RtType::Class(c) => self.tables.class_name(c),
        }
    }

    /// `x as T` (`nullable`: `x as T?`, which lets nil through).
    pub(crate) fn cast(&self, v: Value, ty: u32, nullable: bool) -> Result<(), RtError> {
        let ty = RtType::decode(ty).ok_or_else(|| RtError::internal("bad type operand"))?;
        if self.is_type(v, ty) || (nullable && v.is_nil()) {
            Ok(())
        } else {
            Err(RtError::cast(self.type_name(v), self.rt_type_name(ty)))
        }
    }

    /// The map key for a value (int, str or bool; the checker allows nothing else).
    pub(crate) fn map_key(&self, v: Value) -> Result<MapKey, RtError> {
        match v {
            Value::Int(i) => Ok(MapKey::Int(i)),
            Value::Bool(b) => Ok(MapKey::Bool(b)),
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Str(s) => Ok(MapKey::Str(StrKey::new(s, self.heap.resolve(h)))),
                o => Err(RtError::internal(format_args!("a {} as a map key", o.kind_name()))),
            },
            v => Err(RtError::internal(format_args!("{v:?} as a map key"))),
        }
    }

    /// The position in `m` of the key `k` (int, str or bool), looked up without building a
    /// [`MapKey`]: a string is matched through its cached hash and its text, not cloned.
    #[inline]
    pub(crate) fn map_find(&self, m: &OrdMap<MapKey, Value>, k: Value) -> Result<Option<usize>, RtError> {
        let pos = match k {
            Value::Int(i) => m.find_hashed(i as u64, |e| matches!(e, MapKey::Int(x) if *x == i)),
            Value::Bool(b) => m.find_hashed(b as u64, |e| matches!(e, MapKey::Bool(x) if *x == b)),
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Str(s) => {
                    let hash = s.hash();
                    m.find_hashed(hash, |e| {
                        matches!(e, MapKey::Str(t) if t.hash == hash
                            && (Rc::ptr_eq(&t.text, &s.text) || t.text == s.text))
                    })
                }
                o => return Err(RtError::internal(format_args!("a {} as a map key", o.kind_name()))),
            },
            v => return Err(RtError::internal(format_args!("{v:?} as a map key"))),
        };
        // The fast path must agree with the owned-key one (`MapKey`'s `Hash` and `Eq`).
        debug_assert_eq!(pos.map(|p| m.slot(p).map(|(k, _)| k.word())), {
            let key = self.map_key(k)?;
            m.get(&key).map(|_| Some(key.word()))
        });
        Ok(pos)
    }

    /// The content of the cell `cell` (a local or capture that a lambda captured).
    #[inline]
    pub(crate) fn cell_get(&self, cell: Value) -> Value {
        match cell {
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Cell(v) => *v,
                _ => Value::Nil,
            },
            _ => Value::Nil,
        }
    }

    /// Stores into the cell `cell`.
    #[inline]
    pub(crate) fn cell_set(&mut self, cell: Value, v: Value) {
        if let Value::Obj(h) = cell {
            if let Obj::Cell(slot) = self.heap.get_mut(h) {
                *slot = v;
            }
        }
    }

    /// The cell of capture `idx` of the running closure.
    #[inline]
    pub(crate) fn upval_cell(&self, closure: Option<Handle>, idx: u16) -> Value {
        let Some(c) = closure else { return Value::Nil };
        match self.heap.get(c) {
            Obj::Closure(c) => c.upvals.get(idx as usize).map(|h| Value::Obj(*h)).unwrap_or(Value::Nil),
            _ => Value::Nil,
        }
    }

    /// The text of a string value ("" for anything else).
    #[inline]
    pub(crate) fn text(&self, v: Value) -> &str {
        match v {
            Value::Obj(h) => self.heap.str(h),
            _ => "",
        }
    }

    /// A new string value.
    pub(crate) fn new_str(&mut self, s: &str) -> Value {
        Value::Obj(self.heap.alloc_str(s))
    }

    /// `list[i]`.
    #[inline]
    pub(crate) fn list_index(&self, list: Value, i: i64) -> Result<Value, RtError> {
        match list.handle().map(|h| self.heap.get(h)) {
            Some(Obj::List(items)) => match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                Some(v) => Ok(*v),
                None => Err(RtError::index(i, items.len())),
            },
            _ => Err(self.not_a(list, "List")),
        }
    }

    /// The element at `i` of a list for `ListNext` (`None` past the end, or for a non-list).
    #[inline]
    pub(crate) fn list_next(&self, list: Value, i: i64) -> Option<Value> {
        match list.handle().map(|h| self.heap.get(h)) {
            Some(Obj::List(items)) => usize::try_from(i).ok().and_then(|i| items.get(i)).copied(),
            _ => None,
        }
    }

    /// `list[i] = v`.
    #[inline(always)]
    pub(crate) fn list_store(&mut self, list: Value, i: i64, v: Value) -> Result<(), RtError> {
        match list.handle().map(|h| self.heap.get_mut(h)) {
            Some(Obj::List(items)) => {
                let len = items.len();
                match usize::try_from(i).ok().and_then(|i| items.get_mut(i)) {
                    Some(slot) => {
                        *slot = v;
                        Ok(())
                    }
                    None => Err(RtError::index(i, len)),
                }
            }
            Some(o) => Err(RtError::expected("List", o.kind_name())),
            None => Err(RtError::expected("List", "nil")),
        }
    }

    /// `map[k]`. (Inlined into both copies of the dispatch loop, as it was into the one loop
    /// before there were two; so are the helpers below.)
    #[inline(always)]
    pub(crate) fn map_index(&self, map: Value, k: Value) -> Result<Value, RtError> {
        match map.handle().map(|h| self.heap.get(h)) {
            Some(Obj::Map(m)) => match self.map_find(m, k)?.and_then(|p| m.slot(p)) {
                Some((_, v)) => Ok(*v),
                None => Err(RtError::key(&self.show_nested(k))),
            },
            _ => Err(self.not_a(map, "Map")),
        }
    }

    /// `map[k] = v`.
    #[inline(always)]
    pub(crate) fn map_store(&mut self, map: Value, k: Value, v: Value) -> Result<(), RtError> {
        // Look up first (immutably: string keys compare against other heap objects), then store;
        // only a new key is built as an owned `MapKey`.
        let found = match map.handle().map(|h| self.heap.get(h)) {
            Some(Obj::Map(m)) => Some(self.map_find(m, k)?),
            _ => None,
        };
        let key = match found {
            Some(None) => Some(self.map_key(k)?),
            _ => None,
        };
        match map.handle().map(|h| self.heap.get_mut(h)) {
            Some(Obj::Map(m)) => {
                match (found, key) {
                    (Some(Some(pos)), _) => {
                        if let Some(slot) = m.slot_value_mut(pos) {
                            *slot = v;
                        }
                    }
                    (_, Some(key)) => m.insert_new(key, v),
                    // Unreachable: the object was a map a moment ago.
                    (_, None) => return Err(RtError::internal("map changed during a store")),
                }
                Ok(())
            }
            Some(o) => Err(RtError::expected("Map", o.kind_name())),
            None => Err(RtError::expected("Map", "nil")),
        }
    }

    /// Field `slot` of an instance.
    #[inline]
    pub(crate) fn get_field(&self, obj: Value, slot: u16) -> Result<Value, RtError> {
        match obj {
            Value::Obj(h) => match self.heap.get(h) {
                Obj::Instance(i) => i
                    .fields
                    .get(slot as usize)
                    .copied()
                    .ok_or_else(|| RtError::internal(format_args!("no field {slot}"))),
                o => Err(RtError::internal(format_args!("field of a {}", o.kind_name()))),
            },
            Value::Nil => Err(RtError::unwrapped_nil()),
            v => Err(RtError::internal(format_args!("field of {v:?}"))),
        }
    }

    /// Stores field `slot` of an instance.
    #[inline(always)]
    pub(crate) fn set_field(&mut self, obj: Value, slot: u16, v: Value) -> Result<(), RtError> {
        match obj {
            Value::Obj(h) => match self.heap.get_mut(h) {
                Obj::Instance(i) => match i.fields.get_mut(slot as usize) {
                    Some(f) => {
                        *f = v;
                        Ok(())
                    }
                    None => Err(RtError::internal(format_args!("no field {slot}"))),
                },
                o => Err(RtError::internal(format_args!("field of a {}", o.kind_name()))),
            },
            Value::Nil => Err(RtError::unwrapped_nil()),
            v => Err(RtError::internal(format_args!("field of {v:?}"))),
        }
    }

    /// The error for a value that should have been of kind `what` (nil: `unwrapped nil`).
    pub(crate) fn not_a(&self, v: Value, what: &str) -> RtError {
        RtError::expected(what, self.type_name(v))
    }
}
