//! The replaceable tables through which code reaches functions, classes and globals.
//!
//! - **Functions**: `Vec<Rc<Function>>` indexed by `FuncId`. A frame names its function by id and
//!   the interpreter holds an `Rc` while it runs it, so swapping an entry never pulls code from under
//!   a running frame. Replacing an entry in place changes what every *future* activation of that id
//!   runs (function values `Func(id)`, vtables, global slots all see it); the update engine instead
//!   appends new versions and repoints slots and vtables when old frames must keep their old code.
//! - **Classes**: `Vec<Rc<RtClass>>` indexed by `ClassId`: name, superclass, field layout, vtable
//!   of `FuncId`s and per-field default functions. Instances store only their `ClassId`.
//! - **Globals**: `Vec<Value>`, one slot per module-level function, `var` and `const`. Module
//!   functions are called through their slot (`CallGlobal`), so storing another function value in
//!   a slot redirects every caller at its next call.
//!
//! Architecture Invariant: the interpreter never caches anything read from these tables across a
//! call or a scheduler turn, so any entry may be swapped whenever no fiber is running.

use crate::value::Value;
use newt_compiler::bytecode::{FieldProto, FuncProto, GlobalSlot, ModuleProto, Op};
use newt_compiler::types::{ClassId, FuncId};
use std::rc::Rc;

/// A loaded function: the compiler's prototype plus what the VM derived from it at load time.
#[derive(Debug)]
pub struct Function {
    pub id: FuncId,
    pub proto: FuncProto,
    /// The constant pool as values (string constants allocated once, kept alive as roots).
    pub consts: Box<[Value]>,
    /// The deepest operand stack the verifier found (with `num_locals`, what a call reserves).
    pub max_depth: u32,
    /// The name stack traces show (language.md / errors.md: unqualified in the root module).
    pub display: String,
}

impl Function {
    /// The instructions.
    #[inline(always)]
    pub fn code(&self) -> &[Op] {
        &self.proto.code
    }

    /// The source line of instruction `pc` (0 when the line table is short).
    pub fn line(&self, pc: usize) -> u32 {
        self.proto.lines.get(pc).copied().unwrap_or(0)
    }

    /// Stack slots a call reserves: locals plus the deepest operand stack.
    #[inline(always)]
    pub fn frame_size(&self) -> usize {
        self.proto.num_locals as usize + self.max_depth as usize
    }
}

/// A class as the VM runs it.
#[derive(Debug, Clone)]
pub struct RtClass {
    pub id: ClassId,
    /// Qualified: `shop.Product`.
    pub name: String,
    /// As written: `Product` (what `str(x)` and cast errors show).
    pub short_name: String,
    pub module: String,
    pub superclass: Option<ClassId>,
    /// The layout, inherited fields first; a field's slot is its index.
    pub fields: Vec<FieldProto>,
    /// Method implementations by vtable index.
    pub vtable: Vec<FuncId>,
    /// Method names by vtable index (reflection, remapping).
    pub method_names: Vec<String>,
    /// Type parameter names (generic classes), as field and method types refer to them.
    pub type_params: Vec<String>,
    /// Method signatures by vtable index (`Type::Fn` without `self`): what an update script's
    /// `old.C` view offers.
    pub method_types: Vec<newt_compiler::types::Type>,
}

impl RtClass {
    /// The class an image describes, under VM id `id` (the image's class ids already translated
    /// when it comes from an update).
    pub fn from_proto(id: ClassId, c: &newt_compiler::bytecode::ClassProto) -> RtClass {
        RtClass {
            id,
            name: c.name.clone(),
            short_name: c.short_name.clone(),
            module: c.module.clone(),
            superclass: c.superclass,
            fields: c.fields.clone(),
            vtable: c.vtable.iter().map(|(_, f)| *f).collect(),
            method_names: c.vtable.iter().map(|(n, _)| n.clone()).collect(),
            type_params: c.type_params.clone(),
            method_types: c.method_types.clone(),
        }
    }
}

/// Information about one global slot besides its value.
#[derive(Debug, Clone)]
pub struct GlobalInfo {
    pub slot: GlobalSlot,
    /// The name without its module, for `global 'x' used before initialisation`.
    pub short_name: String,
}

/// The tables (see the module docs).
#[derive(Debug, Default)]
pub struct Tables {
    /// Indexed by `FuncId`. Only grows; see [`Tables::replace_function`].
    pub(crate) functions: Vec<Rc<Function>>,
    /// Functions replaced in place. They are kept for the VM's lifetime: frames and closures may
    /// still run them, and the interpreter holds plain pointers to the function it runs.
    pub(crate) retired: Vec<Rc<Function>>,
    pub classes: Vec<Rc<RtClass>>,
    pub globals: Vec<Value>,
    /// Shared between the running and the staged tables until an update replaces an entry.
    pub global_info: Vec<Rc<GlobalInfo>>,
    pub modules: Vec<ModuleProto>,
    /// Name of the root module (whose functions appear unqualified in traces).
    pub root_module: String,
}

impl Tables {
    /// The function with this id, if it exists.
    #[inline]
    pub fn function(&self, id: FuncId) -> Option<&Rc<Function>> {
        self.functions.get(id.0 as usize)
    }

    /// Every function, by id.
    pub fn functions(&self) -> &[Rc<Function>] {
        &self.functions
    }

    /// Appends a function (its `id` must be the next index).
    pub(crate) fn push_function(&mut self, f: Function) {
        self.functions.push(Rc::new(f));
    }

    /// Installs `f` under its id; the previous version is retired, never freed (see `retired`).
    pub(crate) fn replace_function(&mut self, f: Function) -> bool {
        match self.functions.get_mut(f.id.0 as usize) {
            Some(slot) => {
                let old = std::mem::replace(slot, Rc::new(f));
                self.retired.push(old);
                true
            }
            None => false,
        }
    }

    /// The class with this id, if it exists.
    #[inline]
    pub fn class(&self, id: ClassId) -> Option<&Rc<RtClass>> {
        self.classes.get(id.0 as usize)
    }

    /// True when `class` is `ancestor` or inherits from it.
    pub fn is_subclass(&self, mut class: ClassId, ancestor: ClassId) -> bool {
        // The chain is finite in any image the checker produced; the bound guards a malformed one.
        for _ in 0..=self.classes.len() {
            if class == ancestor {
                return true;
            }
            match self.class(class).and_then(|c| c.superclass) {
                Some(s) => class = s,
                None => return false,
            }
        }
        false
    }

    /// The short name of a class (`?` for an unknown id).
    pub fn class_name(&self, id: ClassId) -> &str {
        self.class(id).map(|c| c.short_name.as_str()).unwrap_or("?")
    }

    /// Stores `v` into global slot `slot`; false when there is no such slot.
    pub fn set_global(&mut self, slot: u32, v: Value) -> bool {
        match self.globals.get_mut(slot as usize) {
            Some(s) => {
                *s = v;
                true
            }
            None => false,
        }
    }

    /// Replaces a class definition (its id stays; instances keep pointing at the id).
    pub fn replace_class(&mut self, class: RtClass) -> bool {
        match self.classes.get_mut(class.id.0 as usize) {
            Some(c) => {
                *c = Rc::new(class);
                true
            }
            None => false,
        }
    }

    /// Adds a class at the end of the table and returns its id (its `id` field is overwritten).
    pub fn add_class(&mut self, mut class: RtClass) -> ClassId {
        let id = ClassId(self.classes.len() as u32);
        class.id = id;
        self.classes.push(Rc::new(class));
        id
    }

    /// The display name stack traces use for a function of `module` named `qualified`.
    pub fn display_name(root_module: &str, module: &str, qualified: &str) -> String {
        if module == root_module {
            if let Some(rest) = qualified.strip_prefix(module).and_then(|r| r.strip_prefix('.')) {
                return rest.to_string();
            }
        }
        qualified.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_strip_only_the_root_module() {
        assert_eq!(Tables::display_name("shop", "shop", "shop.main"), "main");
        assert_eq!(Tables::display_name("shop", "shop", "shop.Product.order"), "Product.order");
        assert_eq!(Tables::display_name("shop", "shop.util", "shop.util.parse"), "shop.util.parse");
        assert_eq!(Tables::display_name("shop", "std.json", "std.json.encode"), "std.json.encode");
    }

    #[test]
    fn subclass_chain() {
        let mut t = Tables::default();
        let mk = |id: u32, sup: Option<u32>| RtClass {
            id: ClassId(id),
            name: format!("m.C{id}"),
            short_name: format!("C{id}"),
            module: "m".into(),
            superclass: sup.map(ClassId),
            fields: vec![],
            vtable: vec![],
            method_names: vec![],
            type_params: vec![],
            method_types: vec![],
        };
        t.add_class(mk(0, None));
        t.add_class(mk(1, Some(0)));
        t.add_class(mk(2, Some(1)));
        assert!(t.is_subclass(ClassId(2), ClassId(0)));
        assert!(t.is_subclass(ClassId(1), ClassId(1)));
        assert!(!t.is_subclass(ClassId(0), ClassId(2)));
        // A malformed cycle terminates.
        t.replace_class(mk(0, Some(2)));
        assert!(!t.is_subclass(ClassId(0), ClassId(7)));
    }
}
