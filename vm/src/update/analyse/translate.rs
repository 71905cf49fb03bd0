//! Moving a freshly compiled image into the running VM's id spaces: every operand and field that
//! names a function, class or global slot is rewritten through the maps analysis built (an
//! existing name keeps its id, a new one gets the next free id). Afterwards an unchanged
//! function compiles to exactly the instructions it already runs, so comparing instruction
//! streams finds the affected functions.

use newt_compiler::bytecode::{GlobalKind, Image, Op, ProtoKind, ScriptMigrationKind};
use newt_compiler::types::{ClassId, FuncId, RtType, Type};

/// Rewrites every id in the image into the VM's id spaces.
pub(crate) fn translate(image: &mut Image, fmap: &[FuncId], cmap: &[ClassId], gmap: &[u32]) {
    let f = |x: FuncId| fmap.get(x.0 as usize).copied().unwrap_or(x);
    let c = |x: u32| cmap.get(x as usize).map(|c| c.0).unwrap_or(x);
    let g = |x: u32| gmap.get(x as usize).copied().unwrap_or(x);
    let ty = |x: u32| match RtType::decode(x) {
        Some(RtType::Class(k)) => RtType::Class(ClassId(c(k.0))).encode(),
        _ => x,
    };
    for p in &mut image.functions {
        for op in &mut p.code {
            *op = match *op {
                Op::LoadGlobal(s) => Op::LoadGlobal(g(s)),
                Op::StoreGlobal(s) => Op::StoreGlobal(g(s)),
                Op::CallGlobal(s, n) => Op::CallGlobal(g(s), n),
                Op::CallSuper(k, v, n) => Op::CallSuper(c(k), v, n),
                Op::New(k, n) => Op::New(c(k), n),
                Op::Closure(l) => Op::Closure(f(FuncId(l)).0),
                Op::Is(t) => Op::Is(ty(t)),
                Op::As(t) => Op::As(ty(t)),
                Op::AsOpt(t) => Op::AsOpt(ty(t)),
                other => other,
            };
        }
        for (_, init) in &mut p.local_inits {
            *init = f(*init);
        }
        p.kind = match p.kind.clone() {
            ProtoKind::Method { class } => ProtoKind::Method { class: ClassId(c(class.0)) },
            ProtoKind::Lambda { parent, index } => ProtoKind::Lambda { parent: f(parent), index },
            ProtoKind::GlobalInit { slot } => ProtoKind::GlobalInit { slot: g(slot) },
            ProtoKind::FieldDefault { class, field } => ProtoKind::FieldDefault { class: ClassId(c(class.0)), field },
            ProtoKind::Module => ProtoKind::Module,
        };
    }
    for k in &mut image.classes {
        k.superclass = k.superclass.map(|s| ClassId(c(s.0)));
        for fd in &mut k.fields {
            fd.default = fd.default.map(f);
            fd.static_ty = map_type(&fd.static_ty, &c);
        }
        for (_, m) in &mut k.vtable {
            *m = f(*m);
        }
        for t in &mut k.method_types {
            *t = map_type(t, &c);
        }
    }
    for gl in &mut image.globals {
        gl.static_ty = map_type(&gl.static_ty, &c);
        gl.kind = match gl.kind {
            GlobalKind::Function(x) => GlobalKind::Function(f(x)),
            GlobalKind::Var { init } => GlobalKind::Var { init: f(init) },
            GlobalKind::Const { init } => GlobalKind::Const { init: f(init) },
        };
    }
    for m in &mut image.modules {
        for s in m.init_order.iter_mut().chain(m.slots.iter_mut()) {
            *s = g(*s);
        }
        for k in &mut m.classes {
            *k = ClassId(c(k.0));
        }
    }
    image.main = image.main.map(g);
    // The script's own ids of the new version; its ids of the running version are the VM's.
    if let Some(sc) = &mut image.script {
        for m in &mut sc.migrations {
            m.class = ClassId(c(m.class.0));
            match &mut m.kind {
                ScriptMigrationKind::Block { func, .. } | ScriptMigrationKind::Policy { func } => *func = f(*func),
            }
        }
        for v in &mut sc.vars {
            v.global = g(v.global);
            v.func = f(v.func);
        }
        for v in &mut sc.validations {
            v.func = f(v.func);
            if let Some((new, _)) = &mut v.each {
                *new = ClassId(c(new.0));
            }
        }
        for r in &mut sc.reboots {
            r.func = f(r.func);
            r.callee = f(r.callee);
        }
        for r in &mut sc.remaps {
            r.func = r.func.map(f);
        }
    }
}

/// A static type with its class ids mapped.
fn map_type(t: &Type, c: &dyn Fn(u32) -> u32) -> Type {
    match t {
        Type::Class(k, args) => Type::Class(ClassId(c(k.0)), args.iter().map(|a| map_type(a, c)).collect()),
        Type::List(e) => Type::List(Box::new(map_type(e, c))),
        Type::Chan(e) => Type::Chan(Box::new(map_type(e, c))),
        Type::Optional(e) => Type::Optional(Box::new(map_type(e, c))),
        Type::Map(k, v) => Type::Map(Box::new(map_type(k, c)), Box::new(map_type(v, c))),
        Type::Fn(ps, r) => Type::Fn(ps.iter().map(|p| map_type(p, c)).collect(), Box::new(map_type(r, c))),
        other => other.clone(),
    }
}
