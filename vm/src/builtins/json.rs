//! `__json_encode(x, indent)`: std.json's encoder in Rust. It was Newt code building a list of
//! pieces; serving JSON is the hot path of every HTTP example, and one pass over the value into a
//! `String` is about two orders of magnitude cheaper. The mapping is std.json's (see the comment
//! at the top of `stdlib/std/json.newt`): lists and maps of any element type, map keys written as
//! their `str`, instances as objects of their fields, non-finite floats as `null`, and a runtime
//! error for values with no JSON form or nesting deeper than `MAX_DEPTH` (probably a cycle).

use super::{Args, BResult};
use crate::error::RtError;
use crate::heap::{MapKey, Obj};
use crate::value::Value;
use crate::vm::Vm;
use std::fmt::Write;

/// Deeper nesting is an error (the limit `std.json` documents).
const MAX_DEPTH: usize = 500;

/// `__json_encode(x: any, indent: str) -> str`: compact text when `indent` is "", else one member
/// per line, each level indented by `indent`.
pub(crate) fn encode(vm: &mut Vm, a: Args) -> BResult {
    let x = a.get(vm, 0);
    let indent = vm.text(a.get(vm, 1)).to_string();
    let mut out = String::new();
    let mut enc = Encoder { vm, indent: &indent, out: &mut out };
    enc.value(x, 0)?;
    Ok(vm.new_str(&out))
}

struct Encoder<'a> {
    vm: &'a Vm,
    indent: &'a str,
    out: &'a mut String,
}

impl Encoder<'_> {
    fn value(&mut self, x: Value, depth: usize) -> Result<(), RtError> {
        if depth > MAX_DEPTH {
            return Err(RtError::new(format!(
                "json.encode: nesting deeper than {MAX_DEPTH} levels (is there a cycle?)"
            )));
        }
        match x {
            Value::Nil | Value::Undef => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) if f.is_finite() => self.out.push_str(&self.vm.show(x)),
            Value::Float(_) => self.out.push_str("null"),
            Value::Obj(h) => match self.vm.heap.get(h) {
                Obj::Str(s) => quote(&s.text, self.out),
                Obj::List(items) => {
                    self.out.push('[');
                    for (i, v) in items.iter().enumerate() {
                        self.separator(i, depth + 1);
                        self.value(*v, depth + 1)?;
                    }
                    self.close(items.len(), depth, ']');
                }
                Obj::Map(m) => {
                    self.out.push('{');
                    for (i, (k, v)) in m.iter().enumerate() {
                        self.separator(i, depth + 1);
                        match k {
                            MapKey::Str(s) => quote(&s.text, self.out),
                            MapKey::Int(n) => quote(&n.to_string(), self.out),
                            MapKey::Bool(b) => quote(if *b { "true" } else { "false" }, self.out),
                        }
                        self.colon();
                        self.value(*v, depth + 1)?;
                    }
                    self.close(m.len(), depth, '}');
                }
                Obj::Instance(inst) => {
                    let class = self.vm.tables.class(inst.class);
                    self.out.push('{');
                    for (i, v) in inst.fields.iter().enumerate() {
                        self.separator(i, depth + 1);
                        let name = class.and_then(|c| c.fields.get(i)).map(|f| f.name.as_str()).unwrap_or("?");
                        quote(name, self.out);
                        self.colon();
                        self.value(*v, depth + 1)?;
                    }
                    self.close(inst.fields.len(), depth, '}');
                }
                _ => return Err(self.unencodable(x)),
            },
            Value::Func(_) => return Err(self.unencodable(x)),
        }
        Ok(())
    }

    fn unencodable(&self, x: Value) -> RtError {
        RtError::new(format!("json.encode: cannot encode a value of type {}", self.vm.type_name(x)))
    }

    /// Before the `i`-th member of a container whose members are at `depth`.
    fn separator(&mut self, i: usize, depth: usize) {
        if i > 0 {
            self.out.push(',');
        }
        self.newline(depth);
    }

    /// After `n` members: the closing bracket (on its own line in pretty mode).
    fn close(&mut self, n: usize, depth: usize, bracket: char) {
        if n > 0 {
            self.newline(depth);
        }
        self.out.push(bracket);
    }

    fn newline(&mut self, depth: usize) {
        if !self.indent.is_empty() {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str(self.indent);
            }
        }
    }

    fn colon(&mut self) {
        self.out.push_str(if self.indent.is_empty() { ":" } else { ": " });
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, ... or
/// `\u00XX`; everything else (non-ASCII included) as is.
fn quote(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\t' => "\\t",
            b'\r' => "\\r",
            8 => "\\b",
            12 => "\\f",
            0..=31 => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quote_escapes_what_json_requires_and_nothing_else() {
        let mut out = String::new();
        quote("a\"b\\c\nd\u{1}é\u{7f}", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\u{7f}\"");
    }
}
