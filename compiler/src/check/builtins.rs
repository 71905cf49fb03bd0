//! The signatures of built-in functions and methods as [`Type`]s, parsed once from the Newt type
//! syntax strings of [`crate::builtins`].
//!
//! A single upper-case letter is a type parameter: for methods, `T` (and `K`, `V` for maps) are
//! the receiver's type arguments, substituted at each call; for free functions they are inferred at
//! the call like any generic function's. `never` is [`Type::Never`].

use crate::builtins::{Builtin, Receiver};
use crate::types::Type;
use std::collections::HashMap;

/// A parsed built-in signature (without the receiver).
#[derive(Debug, Clone)]
pub(super) struct BuiltinSig {
    pub params: Vec<Type>,
    pub ret: Type,
    /// Type parameters of a free function, in order of first appearance.
    pub type_params: Vec<String>,
}

/// Every built-in's parsed signature.
pub(super) struct BuiltinSigs {
    sigs: HashMap<Builtin, BuiltinSig>,
}

impl BuiltinSigs {
    /// Parses the whole table.
    pub fn new() -> BuiltinSigs {
        let mut sigs = HashMap::new();
        for &b in Builtin::ALL {
            let mut sig = parse_sig(b.signature());
            if b.receiver() != Receiver::None {
                sig.type_params.clear();
            }
            sigs.insert(b, sig);
        }
        BuiltinSigs { sigs }
    }

    /// The signature of `b` (an erroneous one never happens for table entries; `Error` types
    /// stand in if a string does not parse).
    pub fn get(&self, b: Builtin) -> BuiltinSig {
        self.sigs.get(&b).cloned().unwrap_or(BuiltinSig {
            params: Vec::new(),
            ret: Type::Error,
            type_params: Vec::new(),
        })
    }
}

/// Parses `fn(A, B) -> R` into its parameters and result (`Void` without `->`).
pub(super) fn parse_sig(s: &str) -> BuiltinSig {
    let toks = tokenize(s);
    let mut p = SigParser { toks, pos: 0, type_params: Vec::new() };
    let ty = p.ty();
    match ty {
        Type::Fn(params, ret) => BuiltinSig { params, ret: *ret, type_params: p.type_params },
        _ => BuiltinSig { params: Vec::new(), ret: Type::Error, type_params: Vec::new() },
    }
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut w = c.to_string();
            while let Some(&n) = chars.peek() {
                if n.is_alphanumeric() || n == '_' {
                    w.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(w);
        } else if c == '-' && chars.peek() == Some(&'>') {
            chars.next();
            out.push("->".into());
        } else if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    out
}

struct SigParser {
    toks: Vec<String>,
    pos: usize,
    type_params: Vec<String>,
}

impl SigParser {
    fn peek(&self) -> &str {
        self.toks.get(self.pos).map(String::as_str).unwrap_or("")
    }

    fn next(&mut self) -> String {
        let t = self.peek().to_string();
        self.pos += 1;
        t
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.peek() == t {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ty(&mut self) -> Type {
        let mut t = self.base();
        while self.eat("?") {
            t = t.optional();
        }
        t
    }

    fn args(&mut self) -> Vec<Type> {
        let mut out = Vec::new();
        if self.eat("<") {
            loop {
                out.push(self.ty());
                if !self.eat(",") {
                    break;
                }
            }
            self.eat(">");
        }
        out
    }

    fn base(&mut self) -> Type {
        let word = self.next();
        match word.as_str() {
            "int" => Type::Int,
            "float" => Type::Float,
            "bool" => Type::Bool,
            "str" => Type::Str,
            "any" => Type::Any,
            "never" => Type::Never,
            "Fiber" => Type::Fiber,
            "Frame" => Type::Frame,
            "List" => match self.args().as_slice() {
                [t] => Type::List(Box::new(t.clone())),
                _ => Type::Error,
            },
            "Chan" => match self.args().as_slice() {
                [t] => Type::Chan(Box::new(t.clone())),
                _ => Type::Error,
            },
            "Map" => match self.args().as_slice() {
                [k, v] => Type::Map(Box::new(k.clone()), Box::new(v.clone())),
                _ => Type::Error,
            },
            "fn" => {
                let mut params = Vec::new();
                if self.eat("(") && !self.eat(")") {
                    loop {
                        params.push(self.ty());
                        if !self.eat(",") {
                            break;
                        }
                    }
                    self.eat(")");
                }
                let ret = if self.eat("->") { self.ty() } else { Type::Void };
                Type::Fn(params, Box::new(ret))
            }
            w if w.len() == 1 && w.chars().all(|c| c.is_ascii_uppercase()) => {
                if !self.type_params.iter().any(|p| p == w) {
                    self.type_params.push(w.to_string());
                }
                Type::Param(w.to_string())
            }
            _ => Type::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_signature_parses() {
        let sigs = BuiltinSigs::new();
        for &b in Builtin::ALL {
            let s = sigs.get(b);
            assert!(!contains_error(&s.ret), "{:?}: {}", b, b.signature());
            for p in &s.params {
                assert!(!contains_error(p), "{:?}: {}", b, b.signature());
            }
            let recv = usize::from(b.receiver() != Receiver::None);
            assert_eq!(s.params.len() + recv, b.arity(), "{:?}", b);
        }
    }

    fn contains_error(t: &Type) -> bool {
        match t {
            Type::Error => true,
            Type::List(a) | Type::Optional(a) | Type::Chan(a) => contains_error(a),
            Type::Map(a, b) => contains_error(a) || contains_error(b),
            Type::Fn(ps, r) => ps.iter().any(contains_error) || contains_error(r),
            _ => false,
        }
    }

    #[test]
    fn parses_generic_and_optional_shapes() {
        let s = parse_sig("fn(fn(T, T) -> bool)");
        assert_eq!(
            s.params,
            vec![Type::Fn(vec![Type::Param("T".into()), Type::Param("T".into())], Box::new(Type::Bool))]
        );
        assert_eq!(s.ret, Type::Void);
        let s = parse_sig("fn(int) -> Chan<T>");
        assert_eq!(s.ret, Type::Chan(Box::new(Type::Param("T".into()))));
        assert_eq!(s.type_params, vec!["T".to_string()]);
        let s = parse_sig("fn(K) -> V?");
        assert_eq!(s.ret, Type::Optional(Box::new(Type::Param("V".into()))));
        assert_eq!(parse_sig("fn(str) -> never").ret, Type::Never);
    }
}
