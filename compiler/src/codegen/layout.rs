//! Numbering of everything the VM reaches by index: global-table slots (module functions, vars,
//! consts), the extra functions code generation adds after the HIR's own (field defaults, spawn
//! thunks), and the textual types recorded for reflection and update analysis.
//!
//! Architecture Invariant: a `FuncId` means the same function in the HIR and in the image; extra
//! functions only ever get ids after `program.functions.len()`. Class ids are the HIR's.

use crate::builtins::Builtin;
use crate::bytecode::{GlobalKind, GlobalSlot, ModuleProto};
use crate::hir::{self, FunctionKind, Program};
use crate::types::{ClassId, FuncId, GlobalId, Type};
use std::collections::HashMap;

/// A function that exists in the image but not in the HIR.
#[derive(Debug, Clone)]
pub enum ExtraFunc {
    /// Computes the default of field `field` of `class` (the class that declares it).
    FieldDefault { class: ClassId, field: u32 },
    /// Calls built-in `builtin` with its `argc` parameters: what `spawn` runs for a built-in call,
    /// since a built-in is not a function value. `parent` is the function containing the spawn.
    /// `line` is the line of the (first) spawn it serves.
    SpawnThunk { parent: FuncId, builtin: Builtin, argc: u8, index: u32, line: u32 },
    /// Computes the initializer of local `local` of remap target `func` from the frame's
    /// `num_locals` slots (its parameters), for remap's new locals.
    LocalInit { func: FuncId, local: hir::LocalId, k: u32, num_locals: u16 },
}

/// Where every module-level name lives in the global table, and which extra functions exist.
#[derive(Debug, Default)]
pub struct Layout {
    /// Global slot of each module-level function, by `FuncId` (`None` for other functions).
    pub func_slot: Vec<Option<u32>>,
    /// Global slot of each var/const, by `GlobalId`.
    pub global_slot: Vec<Option<u32>>,
    pub globals: Vec<GlobalSlot>,
    pub modules: Vec<ModuleProto>,
    /// The function computing each field default, by (declaring class, field slot).
    pub field_default: HashMap<(ClassId, u32), FuncId>,
    /// Functions appended after the HIR's, in id order.
    pub extra: Vec<ExtraFunc>,
    /// Spawn thunks already made, by (parent, builtin, argc).
    thunks: HashMap<(FuncId, Builtin, u8), FuncId>,
    /// Lambdas counted per parent, so thunk indices come after the real lambdas'.
    lambda_count: HashMap<FuncId, u32>,
}

impl Layout {
    /// Numbers the global table (modules in program order; in each, its functions then its vars
    /// and consts in declaration order) and the field-default functions.
    pub fn new(program: &Program) -> Layout {
        let mut l = Layout {
            func_slot: vec![None; program.functions.len()],
            global_slot: vec![None; program.globals.len()],
            ..Layout::default()
        };
        for m in &program.modules {
            let mut proto = ModuleProto {
                name: m.name.clone(),
                path: m.path.clone(),
                init_order: Vec::new(),
                slots: Vec::new(),
                classes: m.classes.clone(),
            };
            for &f in &m.functions {
                if let Some(slot) = l.add_function(program, f) {
                    proto.slots.push(slot);
                }
            }
            for &g in &m.globals {
                if let Some(slot) = l.add_global(program, g) {
                    proto.slots.push(slot);
                    proto.init_order.push(slot);
                }
            }
            l.modules.push(proto);
        }
        // Module functions and globals that no module lists (only in hand-built programs) still
        // get slots, so every reference resolves.
        let script_parts: &[FuncId] = program.script.as_ref().map_or(&[], |s| s.functions.as_slice());
        for (i, f) in program.functions.iter().enumerate() {
            if f.kind == FunctionKind::Module && l.func_slot[i].is_none() && !script_parts.contains(&FuncId(i as u32)) {
                if let Some(slot) = l.add_function(program, FuncId(i as u32)) {
                    l.attach_to_module(&f.module, slot, false);
                }
            }
        }
        for i in 0..program.globals.len() {
            if l.global_slot[i].is_none() {
                if let Some(slot) = l.add_global(program, GlobalId(i as u32)) {
                    l.attach_to_module(&program.globals[i].module, slot, true);
                }
            }
        }
        for f in &program.functions {
            if let FunctionKind::Lambda { parent, .. } = f.kind {
                *l.lambda_count.entry(parent).or_insert(0) += 1;
            }
        }
        l.number_field_defaults(program);
        l
    }

    fn add_function(&mut self, program: &Program, f: FuncId) -> Option<u32> {
        let func = program.functions.get(f.0 as usize)?;
        if let Some(s) = self.func_slot[f.0 as usize] {
            return Some(s);
        }
        let slot = self.globals.len() as u32;
        self.globals.push(GlobalSlot {
            name: func.name.clone(),
            module: func.module.clone(),
            kind: GlobalKind::Function(f),
            ty: type_text(program, &Type::Fn(func.params.clone(), Box::new(func.ret.clone()))),
            static_ty: Type::Fn(func.params.clone(), Box::new(func.ret.clone())),
        });
        self.func_slot[f.0 as usize] = Some(slot);
        Some(slot)
    }

    fn add_global(&mut self, program: &Program, g: GlobalId) -> Option<u32> {
        let global = program.globals.get(g.0 as usize)?;
        if let Some(s) = self.global_slot[g.0 as usize] {
            return Some(s);
        }
        let slot = self.globals.len() as u32;
        let kind = if global.is_const {
            GlobalKind::Const { init: global.init }
        } else {
            GlobalKind::Var { init: global.init }
        };
        self.globals.push(GlobalSlot {
            name: global.name.clone(),
            module: global.module.clone(),
            kind,
            ty: type_text(program, &global.ty),
            static_ty: global.ty.clone(),
        });
        self.global_slot[g.0 as usize] = Some(slot);
        Some(slot)
    }

    fn attach_to_module(&mut self, module: &str, slot: u32, init: bool) {
        if let Some(m) = self.modules.iter_mut().find(|m| m.name == module) {
            m.slots.push(slot);
            if init {
                m.init_order.push(slot);
            }
        }
    }

    /// One function per field default, owned by the class that declares the field; subclasses
    /// that inherit the field share it.
    fn number_field_defaults(&mut self, program: &Program) {
        let base = program.functions.len() as u32;
        for (ci, class) in program.classes.iter().enumerate() {
            for (fi, field) in class.fields.iter().enumerate() {
                if field.default.is_none() {
                    continue;
                }
                // The declaring class owns the function when it lists the field with a default
                // at the same slot; otherwise this class gets its own.
                let owner = field.declared_in;
                let owner_ok = program
                    .classes
                    .get(owner.0 as usize)
                    .and_then(|c| c.fields.get(fi))
                    .is_some_and(|f| f.name == field.name && f.default.is_some());
                let key = if owner_ok { (owner, fi as u32) } else { (ClassId(ci as u32), fi as u32) };
                if self.field_default.contains_key(&key) {
                    continue;
                }
                let id = FuncId(base + self.extra.len() as u32);
                self.extra.push(ExtraFunc::FieldDefault { class: key.0, field: key.1 });
                self.field_default.insert(key, id);
            }
        }
    }

    /// The function computing the default of field `slot` of `class`, if it has one.
    pub fn default_of(&self, program: &Program, class: ClassId, slot: u32) -> Option<FuncId> {
        let field = program.classes.get(class.0 as usize)?.fields.get(slot as usize)?;
        field.default.as_ref()?;
        self.field_default.get(&(field.declared_in, slot)).or_else(|| self.field_default.get(&(class, slot))).copied()
    }

    /// The thunk that runs `builtin` with `argc` arguments for a `spawn` in `parent`, made on first
    /// use.
    pub fn spawn_thunk(&mut self, program: &Program, parent: FuncId, builtin: Builtin, argc: u8, line: u32) -> FuncId {
        if let Some(&f) = self.thunks.get(&(parent, builtin, argc)) {
            return f;
        }
        let count = self.lambda_count.entry(parent).or_insert(0);
        let index = *count;
        *count += 1;
        let id = FuncId((program.functions.len() + self.extra.len()) as u32);
        self.extra.push(ExtraFunc::SpawnThunk { parent, builtin, argc, index, line });
        self.thunks.insert((parent, builtin, argc), id);
        id
    }

    /// The global slot of a module function.
    pub fn slot_of_func(&self, f: FuncId) -> Option<u32> {
        self.func_slot.get(f.0 as usize).copied().flatten()
    }

    /// The global slot of a var/const.
    pub fn slot_of_global(&self, g: GlobalId) -> Option<u32> {
        self.global_slot.get(g.0 as usize).copied().flatten()
    }
}

/// A type as the user would write it, with classes by qualified name (`List<shop.Product>?`), for
/// `GlobalSlot::ty` and `FieldProto::ty`.
pub fn type_text(program: &Program, ty: &Type) -> String {
    let list = |ts: &[Type]| ts.iter().map(|t| type_text(program, t)).collect::<Vec<_>>().join(", ");
    match ty {
        Type::List(t) => format!("List<{}>", type_text(program, t)),
        Type::Map(k, v) => format!("Map<{}, {}>", type_text(program, k), type_text(program, v)),
        Type::Chan(t) => format!("Chan<{}>", type_text(program, t)),
        Type::Optional(t) => match **t {
            Type::Fn(..) => format!("({})?", type_text(program, t)),
            _ => format!("{}?", type_text(program, t)),
        },
        Type::Fn(ps, r) => match **r {
            Type::Void => format!("fn({})", list(ps)),
            _ => format!("fn({}) -> {}", list(ps), type_text(program, r)),
        },
        Type::Class(c, args) => {
            let name =
                program.classes.get(c.0 as usize).map(|c| c.name.clone()).unwrap_or_else(|| format!("class#{}", c.0));
            if args.is_empty() {
                name
            } else {
                format!("{name}<{}>", list(args))
            }
        }
        other => other.to_string(),
    }
}

/// The qualified name of a lambda-like function's enclosing function, for naming thunks.
pub fn function_name(program: &Program, f: FuncId) -> &str {
    program.functions.get(f.0 as usize).map(|f| f.name.as_str()).unwrap_or("?")
}

/// The module proto of a HIR module, if any (used to find a function's source path).
pub fn module_path<'p>(program: &'p Program, module: &str) -> Option<&'p str> {
    program.modules.iter().find(|m: &&hir::ModuleInfo| m.name == module).map(|m| m.path.as_str())
}
