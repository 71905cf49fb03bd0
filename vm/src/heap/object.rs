//! The kinds of heap object ([`Obj`]) and the owned map key type ([`MapKey`]).
//!
//! Every object is reached through a [`Handle`]; objects refer to each other only through values and
//! handles, so [`Obj::for_each_ref`] can enumerate every outgoing reference (the collector marks with
//! it, the forwarding fix-up rewrites with [`Obj::for_each_ref_mut`]).

use super::Handle;
use crate::chan::Chan;
use crate::fiber::FiberId;
use crate::ordmap::OrdMap;
use crate::value::Value;
use newt_compiler::types::{ClassId, FuncId};
use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A heap object.
#[derive(Debug)]
pub enum Obj {
    /// An unused table entry; holds the next free entry (`u32::MAX` ends the list).
    Free(u32),
    /// Left behind by `become`: this handle now means the object at the target handle. The
    /// collector rewrites references to forwarded handles and then frees the entry.
    Forward(Handle),
    Str(Str),
    List(Vec<Value>),
    Map(Box<OrdMap<MapKey, Value>>),
    Instance(Instance),
    Closure(Closure),
    /// A captured local (closures capture by reference).
    Cell(Value),
    /// The heap face of a fiber: its state lives in the scheduler's fiber table under this id.
    Fiber(FiberId),
    Chan(Box<Chan>),
    /// A snapshot of one frame of a fiber (`fiber.frames()`).
    Frame(Box<FrameSnapshot>),
}

/// A string object: its text (immutable, shared with map keys and built-ins by reference count)
/// and its map-key hash, computed on first use, so that a string used as a key many times is
/// hashed once. Dereferences to the text.
#[derive(Debug, Clone)]
pub struct Str {
    pub text: Rc<str>,
    /// `crate::ordmap::hash_str(&text)`, or 0 until first asked for (that hash is never 0).
    hash: Cell<u64>,
}

impl Str {
    /// The map-key hash of the text (see [`MapKey`]).
    #[inline]
    pub fn hash(&self) -> u64 {
        match self.hash.get() {
            0 => {
                let h = crate::ordmap::hash_str(&self.text);
                self.hash.set(h);
                h
            }
            h => h,
        }
    }
}

impl From<Rc<str>> for Str {
    fn from(text: Rc<str>) -> Str {
        Str { text, hash: Cell::new(0) }
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Str {
        Str::from(Rc::<str>::from(text))
    }
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// An instance of a Newt class: its run-time class and its fields in slot order.
///
/// `epoch` is the heap's lazy-migration epoch when the instance was allocated (stamped by
/// `Heap::alloc`; it fills what was padding, so an instance is no bigger). An instance whose
/// class was migrated lazily at a later epoch still has the old layout: it is *pending*
/// (`crate::update::lazy`). Outside updates nothing reads it.
#[derive(Debug)]
pub struct Instance {
    pub class: ClassId,
    pub(crate) epoch: u32,
    pub fields: Box<[Value]>,
}

impl Instance {
    /// An instance of `class` with these fields (its epoch is stamped when it is allocated).
    pub fn new(class: ClassId, fields: Box<[Value]>) -> Instance {
        Instance { class, epoch: 0, fields }
    }
}

/// A lambda with its captured cells.
#[derive(Debug)]
pub struct Closure {
    pub func: FuncId,
    /// Handles of `Obj::Cell`s, in the lambda prototype's capture order.
    pub upvals: Box<[Handle]>,
}

/// A frame as `fiber.frames()` saw it: enough to answer `dsu.Frame`'s methods after the fiber has
/// moved on.
#[derive(Debug)]
pub struct FrameSnapshot {
    pub func: FuncId,
    /// Qualified function name.
    pub function: String,
    pub module: String,
    pub line: u32,
    /// Locals in scope at the snapshot, by name (cells already read), in slot order.
    pub locals: Vec<(String, Value)>,
}

/// A map key: maps take int, str and bool keys (language.md). A string key keeps the handle of the
/// string it was made from so that `keys()` can return it without allocating; hashing and equality
/// look only at the text (through its hash, computed once when the key is made, and by comparing
/// the shared text's address before its bytes).
#[derive(Debug, Clone)]
pub enum MapKey {
    Int(i64),
    Bool(bool),
    Str(StrKey),
}

/// A string map key (see [`MapKey`]).
#[derive(Debug, Clone)]
pub struct StrKey {
    pub text: Rc<str>,
    pub handle: Handle,
    /// `crate::ordmap::hash_str(&text)`.
    pub hash: u64,
}

impl StrKey {
    /// The key for the string `s` held by the object `handle`.
    pub fn new(s: &Str, handle: Handle) -> StrKey {
        StrKey { text: s.text.clone(), handle, hash: s.hash() }
    }
}

impl PartialEq for MapKey {
    fn eq(&self, other: &MapKey) -> bool {
        match (self, other) {
            (MapKey::Int(a), MapKey::Int(b)) => a == b,
            (MapKey::Bool(a), MapKey::Bool(b)) => a == b,
            (MapKey::Str(a), MapKey::Str(b)) => a.hash == b.hash && (Rc::ptr_eq(&a.text, &b.text) || a.text == b.text),
            _ => false,
        }
    }
}

impl Eq for MapKey {}

impl Hash for MapKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // One word each: a map holds keys of one type, so the kinds need not be told apart, and
        // the map's hasher (`crate::ordmap::KeyHasher`) mixes a word with one multiply.
        state.write_u64(self.word())
    }
}

impl MapKey {
    /// The one word this key's `Hash` writes, which `OrdMap::find_hashed` takes.
    #[inline]
    pub fn word(&self) -> u64 {
        match self {
            MapKey::Int(i) => *i as u64,
            MapKey::Bool(b) => *b as u64,
            MapKey::Str(s) => s.hash,
        }
    }

    /// The key as a value.
    pub fn to_value(&self) -> Value {
        match self {
            MapKey::Int(i) => Value::Int(*i),
            MapKey::Bool(b) => Value::Bool(*b),
            MapKey::Str(s) => Value::Obj(s.handle),
        }
    }
}

impl Obj {
    /// Calls `f` with every value this object holds — its fields, elements, keys that are
    /// objects, captured cells, a closure's function (as `Value::Func`), a channel's buffered and
    /// parked values, a frame snapshot's locals. This is the one walk over an object's contents
    /// (exhaustive, no catch-all arm): the collector, the removed-code check and the stale-closure
    /// check all go through it, so a new kind of object cannot be forgotten by one of them.
    pub fn for_each_value(&self, mut f: impl FnMut(&Value)) {
        match self {
            Obj::Free(_) | Obj::Str(_) | Obj::Fiber(_) => {}
            Obj::Forward(h) => f(&Value::Obj(*h)),
            Obj::List(items) => items.iter().for_each(f),
            Obj::Map(m) => {
                for (k, v) in m.iter() {
                    if let MapKey::Str(s) = k {
                        f(&Value::Obj(s.handle));
                    }
                    f(v);
                }
            }
            Obj::Instance(i) => i.fields.iter().for_each(f),
            Obj::Closure(c) => {
                f(&Value::Func(c.func));
                c.upvals.iter().for_each(|h| f(&Value::Obj(*h)));
            }
            Obj::Cell(v) => f(v),
            Obj::Chan(c) => c.for_each_value(f),
            Obj::Frame(fr) => fr.locals.iter().for_each(|(_, v)| f(v)),
        }
    }

    /// Calls `f` with every handle this object refers to (the collector's marking).
    pub fn for_each_ref(&self, mut f: impl FnMut(Handle)) {
        self.for_each_value(|v| {
            if let Value::Obj(h) = v {
                f(*h)
            }
        });
    }

    /// Calls `f` on every value this object holds that it may rewrite (used to replace forwarded
    /// handles by their targets): the same contents as [`Obj::for_each_value`] but for string map
    /// keys (strings never take part in `become`), a forwarding marker's target and a closure's
    /// function (neither is rewritten).
    pub fn for_each_value_mut(&mut self, mut f: impl FnMut(&mut Value)) {
        match self {
            Obj::Free(_) | Obj::Str(_) | Obj::Fiber(_) | Obj::Forward(_) => {}
            Obj::List(items) => items.iter_mut().for_each(f),
            Obj::Map(m) => m.values_mut().for_each(f),
            Obj::Instance(i) => i.fields.iter_mut().for_each(f),
            Obj::Closure(c) => c.upvals.iter_mut().for_each(|h| {
                let mut v = Value::Obj(*h);
                f(&mut v);
                if let Value::Obj(n) = v {
                    *h = n;
                }
            }),
            Obj::Cell(v) => f(v),
            Obj::Chan(c) => c.for_each_value_mut(f),
            Obj::Frame(fr) => fr.locals.iter_mut().for_each(|(_, v)| f(v)),
        }
    }

    /// Calls `f` on every handle this object refers to, allowing it to rewrite them.
    pub fn for_each_ref_mut(&mut self, mut f: impl FnMut(&mut Handle)) {
        self.for_each_value_mut(|v| {
            if let Value::Obj(h) = v {
                f(h)
            }
        });
    }

    /// An estimate of the bytes this object occupies (its table entry and what it owns); the
    /// collector's trigger counts these.
    pub fn size_estimate(&self) -> usize {
        let payload = match self {
            Obj::Free(_) | Obj::Forward(_) | Obj::Cell(_) | Obj::Fiber(_) => 0,
            Obj::Str(s) => s.len() + 16,
            Obj::List(items) => items.capacity() * std::mem::size_of::<Value>(),
            Obj::Map(m) => 64 + m.len() * 64,
            Obj::Instance(i) => i.fields.len() * std::mem::size_of::<Value>(),
            Obj::Closure(c) => c.upvals.len() * 4,
            Obj::Chan(c) => 96 + c.len() * std::mem::size_of::<Value>(),
            Obj::Frame(fr) => 64 + fr.locals.len() * 48,
        };
        std::mem::size_of::<Obj>() + payload
    }

    /// A short name of the kind, for internal error messages and debugging.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Obj::Free(_) => "free",
            Obj::Forward(_) => "forward",
            Obj::Str(_) => "str",
            Obj::List(_) => "List",
            Obj::Map(_) => "Map",
            Obj::Instance(_) => "instance",
            Obj::Closure(_) => "fn",
            Obj::Cell(_) => "cell",
            Obj::Fiber(_) => "Fiber",
            Obj::Chan(_) => "Chan",
            Obj::Frame(_) => "Frame",
        }
    }
}
