//! `str(x)`: the text form of every value, exactly as language.md specifies it. A top-level
//! string is itself; inside lists, maps and instances strings are Newt literals (quoted, escaped);
//! floats are written as Python's `repr`; instances as `Product{name: "apple", stock: 3}` with
//! their run-time class's short name and the layout's field order (inherited fields first).
//!
//! A container that contains itself prints `[...]` / `{...}` / `Name{...}` at the repetition, and
//! nesting deeper than [`MAX_DEPTH`] prints `...`, so printing can neither loop nor exhaust the Rust
//! stack.

use super::{Args, BResult};
use crate::format::{escape_str, float_repr};
use crate::heap::{Handle, Obj};
use crate::value::Value;
use crate::vm::Vm;
use std::fmt::Write as _;

/// Deepest nesting `str` descends into.
pub const MAX_DEPTH: usize = 1000;

impl Vm {
    /// `str(v)`.
    pub(crate) fn show(&self, v: Value) -> String {
        let mut out = String::new();
        self.show_into(v, false, &mut out, &mut Vec::new());
        out
    }

    /// `v` as it appears inside a container (strings quoted); also used for `key not found`.
    pub(crate) fn show_nested(&self, v: Value) -> String {
        let mut out = String::new();
        self.show_into(v, true, &mut out, &mut Vec::new());
        out
    }

    /// `str(v)` as a string value (a string is returned as is).
    pub(crate) fn str_value(&mut self, v: Value) -> Value {
        if let Value::Obj(h) = v {
            if let Obj::Str(_) = self.heap.get(h) {
                return v;
            }
        }
        let s = self.show(v);
        self.new_str(&s)
    }

    /// The name `<fn name>` shows for a function.
    pub(crate) fn func_short_name(&self, f: newt_compiler::types::FuncId) -> &str {
        match self.tables.function(f) {
            Some(func) if func.proto.name.ends_with('>') => "lambda",
            Some(func) => func.proto.name.rsplit('.').next().unwrap_or(""),
            None => "?",
        }
    }

    fn show_into(&self, v: Value, quoted: bool, out: &mut String, path: &mut Vec<Handle>) {
        match v {
            Value::Nil | Value::Undef => out.push_str("nil"),
            Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&float_repr(f)),
            Value::Func(f) => {
                let _ = write!(out, "<fn {}>", self.func_short_name(f));
            }
            Value::Obj(h) => self.show_obj(self.heap.resolve(h), quoted, out, path),
        }
    }

    fn show_obj(&self, h: Handle, quoted: bool, out: &mut String, path: &mut Vec<Handle>) {
        let obj = self.heap.get(h);
        let container = matches!(obj, Obj::List(_) | Obj::Map(_) | Obj::Instance(_));
        if container && (path.contains(&h) || path.len() >= MAX_DEPTH) {
            match obj {
                Obj::List(_) if path.contains(&h) => out.push_str("[...]"),
                Obj::Map(_) if path.contains(&h) => out.push_str("{...}"),
                Obj::Instance(i) if path.contains(&h) => {
                    let _ = write!(out, "{}{{...}}", self.tables.class_name(i.class));
                }
                _ => out.push_str("..."),
            }
            return;
        }
        if container {
            path.push(h);
        }
        match obj {
            Obj::Str(s) if quoted => escape_str(s, out),
            Obj::Str(s) => out.push_str(s),
            Obj::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.show_into(*item, true, out, path);
                }
                out.push(']');
            }
            Obj::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.show_into(k.to_value(), true, out, path);
                    out.push_str(": ");
                    self.show_into(*v, true, out, path);
                }
                out.push('}');
            }
            Obj::Instance(inst) if self.dsu.lazy.active && self.dsu.lazy.pending(inst.class, inst.epoch) => {
                // Only where the VM cannot run the migration (`Vm::display`): shown as it is,
                // in its old layout (`str()` in Newt migrates it first).
                let (name, fields) = self.dsu.lazy.old_layout(inst.class, inst.epoch).unwrap_or(("?", &[]));
                out.push_str(name);
                out.push('{');
                for (i, v) in inst.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(fields.get(i).map(String::as_str).unwrap_or("?"));
                    out.push_str(": ");
                    self.show_into(*v, true, out, path);
                }
                out.push('}');
            }
            Obj::Instance(inst) => {
                let class = self.tables.class(inst.class);
                out.push_str(class.map(|c| c.short_name.as_str()).unwrap_or("?"));
                out.push('{');
                for (i, v) in inst.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let name = class.and_then(|c| c.fields.get(i)).map(|f| f.name.as_str()).unwrap_or("?");
                    out.push_str(name);
                    out.push_str(": ");
                    self.show_into(*v, true, out, path);
                }
                out.push('}');
            }
            Obj::Closure(c) => {
                let _ = write!(out, "<fn {}>", self.func_short_name(c.func));
            }
            Obj::Cell(v) => self.show_into(*v, quoted, out, path),
            Obj::Fiber(id) => {
                let _ = write!(out, "<fiber {}>", id.0);
            }
            Obj::Chan(_) => out.push_str("<chan>"),
            Obj::Frame(f) => {
                let _ = write!(out, "<frame {}>", f.function);
            }
            Obj::Free(_) | Obj::Forward(_) => out.push_str("<dead>"),
        }
        if container {
            path.pop();
        }
    }
}

/// `str(x)`.
pub(crate) fn str(vm: &mut Vm, a: Args) -> BResult {
    let v = a.get(vm, 0);
    Ok(vm.str_value(v))
}
