//! The running version of a program as an update script sees it (updates.md, "Update scripts"):
//! a typed signature handed to the checker by the VM — classes with their ids, fields and
//! methods, globals with their slots — from which the checker builds the `old.` view.
//!
//! Every running class becomes one extra `hir::Class` (after the program's own classes, marked
//! with [`hir::Class::old`]) whose fields and method signatures are the running ones, with class
//! types pointing at other such views: `old.company` is a `List<old.Site>`, and an `old.Site`'s
//! `products` a `List<old.Product>`. Type equivalence under migration is one map from each view
//! to the new class its instances become (`old.C` ↦ `C` by qualified name, `old.Old` ↦ `New` for a
//! rename), applied through `T?`, `List<T>` and `Map<K, V>` ([`Checker::old_as_new`]).

use super::{Checker, ClassInfo, MethodSig};
use crate::ast;
use crate::hir;
use crate::types::{ClassId, Type};
use bumpalo::Bump;
use std::collections::HashMap;

/// The running version's signature: what `old.` can name.
#[derive(Debug, Clone, Default)]
pub struct RunningProgram {
    pub classes: Vec<RunningClass>,
    pub globals: Vec<RunningGlobal>,
}

/// One class of the running version. Types use the VM's class ids (`Type::Class(id, ..)`).
#[derive(Debug, Clone)]
pub struct RunningClass {
    /// The VM's class id.
    pub id: ClassId,
    /// Qualified: `shop.Product`.
    pub name: String,
    pub short_name: String,
    pub module: String,
    pub type_params: Vec<String>,
    pub superclass: Option<ClassId>,
    /// The full layout (inherited fields first): (name, type).
    pub fields: Vec<(String, Type)>,
    /// The vtable: (name, `Type::Fn` without `self`).
    pub methods: Vec<(String, Type)>,
}

/// What a running global slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunningGlobalKind {
    Function,
    Var,
    Const,
}

/// One global slot of the running version.
#[derive(Debug, Clone)]
pub struct RunningGlobal {
    /// The VM's global slot.
    pub slot: u32,
    /// Qualified: `shop.company`.
    pub name: String,
    pub module: String,
    pub kind: RunningGlobalKind,
    /// The value's type (`Type::Fn` for functions), with VM class ids.
    pub ty: Type,
}

/// The checker's `old.` view: running classes as extra HIR classes, and the migration map.
#[derive(Debug, Default)]
pub(super) struct OldView {
    pub running: RunningProgram,
    /// VM class id → the HIR class standing for it.
    pub class_of: HashMap<u32, ClassId>,
    /// Qualified name → VM class id.
    pub by_name: HashMap<String, u32>,
    /// Old view → the new class its instances become.
    pub to_new: HashMap<ClassId, ClassId>,
}

impl<'a> Checker<'a> {
    /// Registers one HIR class per running class (see the module docs) and the default
    /// equivalence `old.C` ↦ `C` by qualified name. Call after the program's classes are laid out.
    pub(super) fn register_old_view(&mut self, arena: &'a Bump, running: RunningProgram, module: usize) {
        let first = self.prog.classes.len();
        let mut class_of = HashMap::new();
        let mut by_name = HashMap::new();
        for (k, rc) in running.classes.iter().enumerate() {
            class_of.insert(rc.id.0, ClassId((first + k) as u32));
            by_name.insert(rc.name.clone(), rc.id.0);
        }
        let map = |t: &Type| map_running_type(t, &class_of);
        let file = self.modules.get(module).map(|m| m.file).unwrap_or_default();
        let span = crate::diag::Span::new(file, 0, 0);
        for rc in &running.classes {
            let id = class_of[&rc.id.0];
            let superclass = rc.superclass.and_then(|s| class_of.get(&s.0).copied());
            let superclass_type = superclass.map(|s| {
                let n = (s.0 as usize)
                    .checked_sub(first)
                    .and_then(|k| running.classes.get(k))
                    .map_or(0, |c| c.type_params.len());
                Type::Class(s, vec![Type::Any; n])
            });
            let fields = rc
                .fields
                .iter()
                .map(|(n, t)| hir::Field { name: n.clone(), ty: map(t), default: None, declared_in: id, span })
                .collect();
            let methods =
                rc.methods.iter().map(|(n, _)| hir::Method { name: n.clone(), func: crate::types::FuncId(u32::MAX) });
            self.prog.classes.push(hir::Class {
                name: format!("old.{}", rc.name),
                short_name: format!("old.{}", rc.short_name),
                module: rc.module.clone(),
                type_params: rc.type_params.clone(),
                superclass,
                superclass_type,
                fields,
                methods: methods.collect(),
                span,
                hash: 0,
                old: Some(rc.id),
            });
            let sigs = rc
                .methods
                .iter()
                .map(|(n, t)| {
                    let (params, ret) = match map(t) {
                        Type::Fn(p, r) => (p, *r),
                        _ => (Vec::new(), Type::Error),
                    };
                    MethodSig { name: n.clone(), type_params: Vec::new(), params, ret, declared_in: id }
                })
                .collect();
            let name = arena.alloc_str(&rc.short_name);
            let decl: &'a ast::ClassDecl<'a> = arena.alloc(ast::ClassDecl {
                name: ast::Ident { name, span },
                type_params: &[],
                extends: None,
                fields: &[],
                methods: &[],
                span,
            });
            self.classes.push(ClassInfo { decl, module, methods: sigs, laid_out: true });
        }
        // The default equivalence: the new class of the same qualified name.
        let mut to_new = HashMap::new();
        for (i, c) in self.prog.classes[..first].iter().enumerate() {
            if let Some(&vm) = by_name.get(&c.name) {
                to_new.insert(class_of[&vm], ClassId(i as u32));
            }
        }
        self.old = Some(OldView { running, class_of, by_name, to_new });
    }

    /// The running class a HIR class stands for, when it is an `old.` view.
    pub(super) fn old_class(&self, c: ClassId) -> Option<ClassId> {
        self.prog.classes.get(c.0 as usize).and_then(|k| k.old)
    }

    /// The view of the running class named `qualified`, if the running version has one.
    pub(super) fn old_view_named(&self, qualified: &str) -> Option<ClassId> {
        let v = self.old.as_ref()?;
        v.by_name.get(qualified).and_then(|id| v.class_of.get(id)).copied()
    }

    /// `t` with every old view replaced by the class its instances become at commit (through
    /// `T?`, `List<T>`, `Map<K, V>` and class type arguments), when that changes anything.
    pub(super) fn old_as_new(&self, t: &Type) -> Option<Type> {
        let v = self.old.as_ref()?;
        let mut changed = false;
        let out = replace_classes(t, &mut |c| match v.to_new.get(&c) {
            Some(&n) => {
                changed = true;
                Some(n)
            }
            None => None,
        });
        changed.then_some(out)
    }
}

/// A running type with VM class ids turned into the HIR views of those classes.
fn map_running_type(t: &Type, class_of: &HashMap<u32, ClassId>) -> Type {
    replace_classes(t, &mut |c| class_of.get(&c.0).copied())
}

/// `t` with the class ids `f` maps replaced (others kept).
pub(super) fn replace_classes(t: &Type, f: &mut dyn FnMut(ClassId) -> Option<ClassId>) -> Type {
    match t {
        Type::Class(c, args) => {
            let args = args.iter().map(|a| replace_classes(a, f)).collect();
            Type::Class(f(*c).unwrap_or(*c), args)
        }
        Type::List(e) => Type::List(Box::new(replace_classes(e, f))),
        Type::Chan(e) => Type::Chan(Box::new(replace_classes(e, f))),
        Type::Optional(e) => Type::Optional(Box::new(replace_classes(e, f))),
        Type::Map(k, v) => Type::Map(Box::new(replace_classes(k, f)), Box::new(replace_classes(v, f))),
        Type::Fn(ps, r) => {
            Type::Fn(ps.iter().map(|p| replace_classes(p, f)).collect(), Box::new(replace_classes(r, f)))
        }
        other => other.clone(),
    }
}
