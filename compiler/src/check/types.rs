//! Types in the checker: resolving written types, showing types the way the user writes them,
//! assignability (subclassing, `T` into `T?`, `nil`, `any`, function variance; generics are
//! invariant), substitution of type parameters and inference of type arguments by unification.

use super::{Checker, Def};
use crate::ast;
use crate::types::{ClassId, RtType, Type};

/// Type arguments being inferred for one generic call: each parameter with what is known of it.
pub(super) type Vars = Vec<(String, Option<Type>)>;

/// Replaces each `Param(names[i])` in `t` by `args[i]` (one pass: the arguments are not searched
/// again, so a caller's own `T` inside them is left alone).
pub(super) fn subst(t: &Type, names: &[String], args: &[Type]) -> Type {
    if names.is_empty() {
        return t.clone();
    }
    match t {
        Type::Param(n) => match names.iter().position(|p| p == n) {
            Some(i) => args.get(i).cloned().unwrap_or(Type::Error),
            None => t.clone(),
        },
        Type::List(e) => Type::List(Box::new(subst(e, names, args))),
        Type::Chan(e) => Type::Chan(Box::new(subst(e, names, args))),
        Type::Optional(e) => subst(e, names, args).optional(),
        Type::Map(k, v) => Type::Map(Box::new(subst(k, names, args)), Box::new(subst(v, names, args))),
        Type::Fn(ps, r) => {
            Type::Fn(ps.iter().map(|p| subst(p, names, args)).collect(), Box::new(subst(r, names, args)))
        }
        Type::Class(c, a) => Type::Class(*c, a.iter().map(|x| subst(x, names, args)).collect()),
        _ => t.clone(),
    }
}

/// Substitutes inference variables (unbound ones become `Error`).
pub(super) fn subst_vars(t: &Type, vars: &Vars) -> Type {
    let names: Vec<String> = vars.iter().map(|(n, _)| n.clone()).collect();
    let args: Vec<Type> = vars.iter().map(|(_, v)| v.clone().unwrap_or(Type::Error)).collect();
    subst(t, &names, &args)
}

/// True when `t` mentions one of the still-unbound variables.
pub(super) fn mentions_unbound(t: &Type, vars: &Vars) -> bool {
    match t {
        Type::Param(n) => vars.iter().any(|(v, b)| v == n && b.is_none()),
        Type::List(e) | Type::Chan(e) | Type::Optional(e) => mentions_unbound(e, vars),
        Type::Map(k, v) => mentions_unbound(k, vars) || mentions_unbound(v, vars),
        Type::Fn(ps, r) => ps.iter().any(|p| mentions_unbound(p, vars)) || mentions_unbound(r, vars),
        Type::Class(_, a) => a.iter().any(|x| mentions_unbound(x, vars)),
        _ => false,
    }
}

/// Structural equality where `Error` matches anything (invariant positions).
pub(super) fn same(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::List(x), Type::List(y)) | (Type::Chan(x), Type::Chan(y)) | (Type::Optional(x), Type::Optional(y)) => {
            same(x, y)
        }
        (Type::Map(k1, v1), Type::Map(k2, v2)) => same(k1, k2) && same(v1, v2),
        (Type::Fn(p1, r1), Type::Fn(p2, r2)) => {
            p1.len() == p2.len() && p1.iter().zip(p2).all(|(x, y)| same(x, y)) && same(r1, r2)
        }
        (Type::Class(c1, a1), Type::Class(c2, a2)) => {
            c1 == c2 && a1.len() == a2.len() && a1.iter().zip(a2).all(|(x, y)| same(x, y))
        }
        _ => a == b,
    }
}

impl<'a> Checker<'a> {
    /// Resolves a written type in module `module` with the type parameters `params` in scope.
    pub(super) fn resolve_type(&mut self, te: &ast::TypeExpr<'_>, module: usize, params: &[String]) -> Type {
        self.resolve_type_depth(te, module, params, 0)
    }

    fn resolve_type_depth(&mut self, te: &ast::TypeExpr<'_>, module: usize, params: &[String], depth: u32) -> Type {
        if depth > super::MAX_DEPTH {
            self.error(te.span, "nesting too deep");
            return Type::Error;
        }
        match te.kind {
            ast::TypeExprKind::Optional(inner) => self.resolve_type_depth(inner, module, params, depth + 1).optional(),
            ast::TypeExprKind::Fn { params: ps, ret } => {
                let ps = ps.iter().map(|p| self.resolve_type_depth(p, module, params, depth + 1)).collect();
                let r = match ret {
                    Some(r) => self.resolve_type_depth(r, module, params, depth + 1),
                    None => Type::Void,
                };
                Type::Fn(ps, Box::new(r))
            }
            ast::TypeExprKind::Named { path, args } => {
                let args: Vec<Type> =
                    args.iter().map(|a| self.resolve_type_depth(a, module, params, depth + 1)).collect();
                self.resolve_named_type(&path, args, te.span, module, params)
            }
        }
    }

    fn resolve_named_type(
        &mut self,
        path: &ast::Path<'_>,
        args: Vec<Type>,
        span: crate::diag::Span,
        module: usize,
        params: &[String],
    ) -> Type {
        let segs = path.segments;
        let full = super::modules::path_name(path);
        if segs.len() >= 2
            && segs[0].name == "old"
            && self.is_script_module(module)
            && !params.iter().any(|p| p == "old")
        {
            return self.resolve_old_type(&segs[1..], args, span);
        }
        if let [one] = segs {
            let n = one.name;
            if params.iter().any(|p| p == n) {
                return self.no_type_args(n, Type::Param(n.to_string()), &args, span);
            }
            let builtin = match n {
                "int" => Some(Type::Int),
                "float" => Some(Type::Float),
                "bool" => Some(Type::Bool),
                "str" => Some(Type::Str),
                "any" => Some(Type::Any),
                "Fiber" => Some(Type::Fiber),
                _ => None,
            };
            if let Some(t) = builtin {
                return self.no_type_args(n, t, &args, span);
            }
            match n {
                "List" | "Chan" => {
                    if args.len() != 1 {
                        self.error(span, format!("expected 1 type argument, found {}", args.len()));
                        return Type::Error;
                    }
                    let e = Box::new(args.into_iter().next().unwrap_or(Type::Error));
                    return if n == "List" { Type::List(e) } else { Type::Chan(e) };
                }
                "Map" => {
                    if args.len() != 2 {
                        self.error(span, format!("expected 2 type arguments, found {}", args.len()));
                        return Type::Error;
                    }
                    let mut it = args.into_iter();
                    let k = it.next().unwrap_or(Type::Error);
                    let v = it.next().unwrap_or(Type::Error);
                    if !matches!(k, Type::Int | Type::Str | Type::Bool | Type::Param(_) | Type::Error) {
                        self.error(span, format!("map keys must be int, str or bool, found {}", self.show(&k)));
                    }
                    return Type::Map(Box::new(k), Box::new(v));
                }
                _ => {}
            }
            match self.modules[module].scope.get(n).copied() {
                Some(Def::Class(c)) => return self.class_type(c, args, span),
                _ if n == "Frame" && self.modules[module].is_std => return Type::Frame,
                _ => {}
            }
        } else if let [m, n] = segs {
            if let Some(Def::Module(mi)) = self.modules[module].scope.get(m.name).copied() {
                match self.modules[mi].defs.get(n.name).copied() {
                    Some(Def::Class(c)) => return self.class_type(c, args, span),
                    _ if n.name == "Frame" && self.modules[mi].name == "std.dsu" => {
                        return self.no_type_args(n.name, Type::Frame, &args, span)
                    }
                    _ => {}
                }
            }
        }
        self.error(span, format!("unknown type '{full}'"));
        Type::Error
    }

    fn no_type_args(&mut self, name: &str, t: Type, args: &[Type], span: crate::diag::Span) -> Type {
        if !args.is_empty() {
            self.error(span, format!("'{name}' takes no type arguments"));
        }
        t
    }

    /// `C<args>` after checking the number of type arguments.
    fn class_type(&mut self, c: ClassId, args: Vec<Type>, span: crate::diag::Span) -> Type {
        let want = self.prog.classes[c.0 as usize].type_params.len();
        if args.len() != want {
            let name = self.prog.classes[c.0 as usize].short_name.clone();
            if want == 0 {
                self.error(span, format!("'{name}' takes no type arguments"));
            } else {
                self.error(
                    span,
                    format!("expected {}, found {}", super::calls::plural(want, "type argument"), args.len()),
                );
            }
            return Type::Class(c, vec![Type::Error; want]);
        }
        Type::Class(c, args)
    }

    /// The type as the user writes it (`List<Product>`, `int?`, `fn(int) -> bool`).
    pub(super) fn show(&self, t: &Type) -> String {
        match t {
            Type::Class(c, args) => {
                let name = match self.prog.classes.get(c.0 as usize) {
                    // Two classes of the same name in different modules: say which one.
                    Some(k) if self.ambiguous_names.contains(&k.short_name) => k.name.as_str(),
                    Some(k) => k.short_name.as_str(),
                    None => "?",
                };
                if args.is_empty() {
                    name.to_string()
                } else {
                    let a: Vec<String> = args.iter().map(|x| self.show(x)).collect();
                    format!("{name}<{}>", a.join(", "))
                }
            }
            Type::List(e) => format!("List<{}>", self.show(e)),
            Type::Chan(e) => format!("Chan<{}>", self.show(e)),
            Type::Map(k, v) => format!("Map<{}, {}>", self.show(k), self.show(v)),
            Type::Optional(e) => match **e {
                Type::Fn(..) => format!("({})?", self.show(e)),
                _ => format!("{}?", self.show(e)),
            },
            Type::Fn(ps, r) => {
                let p: Vec<String> = ps.iter().map(|x| self.show(x)).collect();
                if **r == Type::Void {
                    format!("fn({})", p.join(", "))
                } else {
                    format!("fn({}) -> {}", p.join(", "), self.show(r))
                }
            }
            other => other.to_string(),
        }
    }

    /// Whether a value of type `from` may be used where `to` is expected.
    pub(super) fn assignable(&self, from: &Type, to: &Type) -> bool {
        // In an update script, an `old.T` value fits where the class it becomes is expected.
        if let Some(as_new) = self.old_as_new(from) {
            if self.assignable(&as_new, to) {
                return true;
            }
        }
        match (from, to) {
            (Type::Error, _) | (_, Type::Error) | (Type::Never, _) => true,
            (Type::Void, _) | (_, Type::Void) => from == to,
            (_, Type::Any) => true,
            (Type::Nil, Type::Optional(_)) => true,
            (Type::Optional(f), Type::Optional(t)) => self.assignable(f, t),
            (f, Type::Optional(t)) => self.assignable(f, t),
            (Type::Class(a, aa), Type::Class(b, ba)) => match self.upcast(*a, aa, *b) {
                Some(args) => args.len() == ba.len() && args.iter().zip(ba).all(|(x, y)| same(x, y)),
                None => false,
            },
            (Type::Fn(fp, fr), Type::Fn(tp, tr)) => {
                fp.len() == tp.len()
                    && fp.iter().zip(tp).all(|(f, t)| self.assignable(t, f))
                    && (**tr == Type::Void || self.assignable(fr, tr))
            }
            _ => same(from, to),
        }
    }

    /// The type arguments of ancestor `target` as seen from `C<args>` (`None` when `target` is not
    /// `C` or one of its superclasses).
    pub(super) fn upcast(&self, c: ClassId, args: &[Type], target: ClassId) -> Option<Vec<Type>> {
        let mut cur = c;
        let mut cur_args = args.to_vec();
        for _ in 0..=self.prog.classes.len() {
            if cur == target {
                return Some(cur_args);
            }
            let cls = self.prog.classes.get(cur.0 as usize)?;
            let sup = cls.superclass?;
            let Some(Type::Class(_, sargs)) = &cls.superclass_type else { return None };
            cur_args = sargs.iter().map(|t| subst(t, &cls.type_params, &cur_args)).collect();
            cur = sup;
        }
        None
    }

    /// True when `a` is `b` or one of its subclasses.
    pub(super) fn is_subclass(&self, a: ClassId, b: ClassId) -> bool {
        let n = self.prog.classes.get(a.0 as usize).map(|c| c.type_params.len()).unwrap_or(0);
        self.upcast(a, &vec![Type::Error; n], b).is_some()
    }

    /// Learns type arguments from an actual type meeting a formal one. Only binds variables of
    /// `vars`; disagreements are left for the assignability check to report.
    pub(super) fn unify(&self, formal: &Type, actual: &Type, vars: &mut Vars) {
        if matches!(actual, Type::Error | Type::Never | Type::Nil | Type::Void) {
            return;
        }
        match (formal, actual) {
            (Type::Param(n), _) => {
                let Some(slot) = vars.iter_mut().find(|(v, _)| v == n) else { return };
                match &slot.1 {
                    None => slot.1 = Some(actual.clone()),
                    Some(bound) => {
                        // Widen to a superclass (or to the optional) when a later argument needs it.
                        if !self.assignable(actual, bound) && self.assignable(bound, actual) {
                            slot.1 = Some(actual.clone());
                        }
                    }
                }
            }
            (Type::Optional(f), Type::Optional(a)) => self.unify(f, a, vars),
            (Type::Optional(f), a) => self.unify(f, a, vars),
            (Type::List(f), Type::List(a)) | (Type::Chan(f), Type::Chan(a)) => self.unify(f, a, vars),
            (Type::Map(fk, fv), Type::Map(ak, av)) => {
                self.unify(fk, ak, vars);
                self.unify(fv, av, vars);
            }
            (Type::Fn(fp, fr), Type::Fn(ap, ar)) if fp.len() == ap.len() => {
                for (f, a) in fp.iter().zip(ap) {
                    self.unify(f, a, vars);
                }
                self.unify(fr, ar, vars);
            }
            (Type::Class(fc, fa), Type::Class(ac, aa)) => {
                if let Some(up) = self.upcast(*ac, aa, *fc) {
                    for (f, a) in fa.iter().zip(&up) {
                        self.unify(f, a, vars);
                    }
                }
            }
            _ => {}
        }
    }

    /// The run-time tag that `is`/`as` test for a static type (`None` for types with none:
    /// type parameters, frames, `nothing`).
    pub(super) fn rt_type(&self, t: &Type) -> Option<RtType> {
        Some(match t {
            Type::Int => RtType::Int,
            Type::Float => RtType::Float,
            Type::Bool => RtType::Bool,
            Type::Str => RtType::Str,
            Type::Nil => RtType::Nil,
            Type::List(_) => RtType::List,
            Type::Map(..) => RtType::Map,
            Type::Fn(..) => RtType::Fn,
            Type::Fiber => RtType::Fiber,
            Type::Chan(_) => RtType::Chan,
            // Old classes share their ids with the new ones at run time: no tag tells them apart.
            Type::Class(c, _) if self.old_class(*c).is_some() => return None,
            Type::Class(c, _) => RtType::Class(*c),
            Type::Any => RtType::Any,
            Type::Optional(inner) => return self.rt_type(inner),
            _ => return None,
        })
    }

    /// Whether a value of static type `src` could ever pass `is dst`.
    pub(super) fn can_cast(&self, src: &Type, dst: RtType) -> bool {
        match (src, dst) {
            (Type::Any | Type::Error | Type::Never | Type::Param(_), _) | (_, RtType::Any) => true,
            (Type::Optional(_) | Type::Nil, RtType::Nil) => true,
            (Type::Optional(inner), _) => self.can_cast(inner, dst),
            (Type::Class(a, _), RtType::Class(b)) => self.is_subclass(*a, b) || self.is_subclass(b, *a),
            _ => self.rt_type(src) == Some(dst),
        }
    }

    /// Whether `==`/`!=` may compare values of these types.
    pub(super) fn comparable(&self, a: &Type, b: &Type) -> bool {
        let bad = |t: &Type| matches!(t, Type::Void);
        if bad(a) || bad(b) {
            return false;
        }
        // An old object is compared with new ones by identity, as the object it becomes.
        if let Some(x) = self.old_as_new(a) {
            return self.comparable(&x, b);
        }
        if let Some(y) = self.old_as_new(b) {
            return self.comparable(a, &y);
        }
        match (a, b) {
            (Type::Error | Type::Never | Type::Any, _) | (_, Type::Error | Type::Never | Type::Any) => true,
            (Type::Nil, Type::Nil | Type::Optional(_)) | (Type::Optional(_), Type::Nil) => true,
            (Type::Nil, _) | (_, Type::Nil) => false,
            (Type::Optional(x), y) | (y, Type::Optional(x)) if !matches!(y, Type::Optional(_)) => self.comparable(x, y),
            (Type::Optional(x), Type::Optional(y)) => self.comparable(x, y),
            (Type::Class(x, _), Type::Class(y, _)) => self.is_subclass(*x, *y) || self.is_subclass(*y, *x),
            (Type::Fn(..), Type::Fn(..)) | (Type::Fiber, Type::Fiber) | (Type::Frame, Type::Frame) => true,
            (Type::Chan(x), Type::Chan(y)) | (Type::List(x), Type::List(y)) => same(x, y),
            (Type::Map(k1, v1), Type::Map(k2, v2)) => same(k1, k2) && same(v1, v2),
            _ => same(a, b),
        }
    }
}
