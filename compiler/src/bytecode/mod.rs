//! The compiled program (an [`Image`]) that the VM loads: function prototypes with their code,
//! constant pools and line tables, class layouts with vtables, and the layout of the global table.
//!
//! Architecture Invariant: the VM reaches every module-level function, class and global through
//! the index spaces defined here (global slots, class ids, function ids), never through pointers,
//! so the update engine can swap an entry and every caller sees the new one.

pub mod op;

pub use op::{Op, OpCode};

pub mod script;

pub use script::{
    ScriptMigration, ScriptMigrationKind, ScriptProto, ScriptReboot, ScriptRemap, ScriptValidation, ScriptVar,
};

use crate::diag::SourceMap;
use crate::types::{ClassId, FuncId, Type};

/// A constant-pool entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Int(i64),
    Float(f64),
    Str(String),
}

/// Where a closure's capture comes from when `Closure` runs in the enclosing frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureSrc {
    /// The cell in local slot `n` of the enclosing frame.
    Local(u16),
    /// The enclosing closure's own capture `n`.
    Upval(u16),
}

/// What kind of function a prototype is; mirrors [`crate::hir::FunctionKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoKind {
    Module,
    Method {
        class: ClassId,
    },
    Lambda {
        parent: FuncId,
        index: u32,
    },
    GlobalInit {
        slot: u32,
    },
    /// Computes the default value of field `field` of `class` (used by construction and updates).
    FieldDefault {
        class: ClassId,
        field: u32,
    },
}

/// A local's name and slot, for `fiber.frames()`, stack traces and remapping.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalInfo {
    pub name: String,
    pub slot: u16,
    /// True when the slot holds a cell (a captured local).
    pub cell: bool,
    /// Range of instruction indices where the local is in scope.
    pub live: std::ops::Range<u32>,
    /// Its type as written (remap carries a local to the new version by name and type).
    pub ty: String,
}

/// One compiled function.
#[derive(Debug, Clone)]
pub struct FuncProto {
    /// Qualified name: `shop.main`, `shop.Product.order`, `shop.main.<lambda 0>`.
    pub name: String,
    pub module: String,
    pub kind: ProtoKind,
    /// Parameters, `self` included.
    pub arity: u8,
    /// Local slots, parameters included.
    pub num_locals: u16,
    /// Deepest operand stack the code reaches (computed from stack effects).
    pub max_stack: u16,
    pub code: Vec<Op>,
    /// Source line of each instruction (`lines.len() == code.len()`).
    pub lines: Vec<u32>,
    pub consts: Vec<Constant>,
    pub captures: Vec<CaptureSrc>,
    pub locals: Vec<LocalInfo>,
    /// The callee of each call instruction, by index: a function's qualified name, a method's
    /// name, a built-in's name (`<value>` for a call of a function value). Remap matches the
    /// k-th call to a callee in the old version with the k-th call to it in the new one.
    pub calls: Vec<(u32, String)>,
    /// The first slot of the hidden temporaries (loop state), after every named local.
    pub hidden_base: u16,
    /// For functions compiled as remap targets: the function computing each local's initializer
    /// from the frame's locals (all of them, as its parameters), by slot.
    pub local_inits: Vec<(u16, FuncId)>,
    /// Path of the source file, for stack traces.
    pub path: String,
    /// Content hash of the source and signature (from the HIR).
    pub hash: u64,
}

/// One field of a class layout.
#[derive(Debug, Clone)]
pub struct FieldProto {
    pub name: String,
    /// Type as written, for reflection and messages.
    pub ty: String,
    /// The type itself (classes by id in this image's class space): what update analysis
    /// compares and what an update script's `old.` view of the class is checked against.
    pub static_ty: Type,
    /// The function computing the default, when the field has one.
    pub default: Option<FuncId>,
}

/// A compiled class.
#[derive(Debug, Clone)]
pub struct ClassProto {
    /// Qualified name: `shop.Product`.
    pub name: String,
    /// Name as written, used by `str(x)` and error messages.
    pub short_name: String,
    pub module: String,
    pub superclass: Option<ClassId>,
    pub fields: Vec<FieldProto>,
    /// vtable: method name and implementation, by vtable index.
    pub vtable: Vec<(String, FuncId)>,
    /// The type parameters' names (field and method types use them as `Type::Param`).
    pub type_params: Vec<String>,
    /// Each vtable entry's signature without `self` (`Type::Fn`), so that an update script can
    /// call the running version's methods on old objects.
    pub method_types: Vec<Type>,
    pub hash: u64,
}

/// What a global-table slot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobalKind {
    /// A module-level function; the slot holds it as a function value.
    Function(FuncId),
    /// A `var`, initialised by running `init`.
    Var { init: FuncId },
    /// A `const`, initialised by running `init`.
    Const { init: FuncId },
}

/// One slot of the global table.
#[derive(Debug, Clone)]
pub struct GlobalSlot {
    /// Qualified name: `shop.company`, `shop.main`.
    pub name: String,
    pub module: String,
    pub kind: GlobalKind,
    /// Type as written (for `var`/`const`), for reflection and messages.
    pub ty: String,
    /// The type itself (a `Type::Fn` for function slots), as update analysis compares it.
    pub static_ty: Type,
}

/// A compiled module.
#[derive(Debug, Clone)]
pub struct ModuleProto {
    pub name: String,
    pub path: String,
    /// Global slots of its vars and consts, in initialisation order.
    pub init_order: Vec<u32>,
    /// Every global slot the module defines (functions, vars, consts).
    pub slots: Vec<u32>,
    pub classes: Vec<ClassId>,
}

/// A whole compiled program.
#[derive(Debug, Clone, Default)]
pub struct Image {
    pub functions: Vec<FuncProto>,
    pub classes: Vec<ClassProto>,
    pub globals: Vec<GlobalSlot>,
    /// Modules in initialisation order (imports first).
    pub modules: Vec<ModuleProto>,
    /// Global slot of the root module's `main`.
    pub main: Option<u32>,
    pub sources: SourceMap,
    /// When the image was compiled with an update script: what the engine runs for it.
    pub script: Option<ScriptProto>,
}

impl Image {
    /// The function with this id.
    pub fn function(&self, id: FuncId) -> &FuncProto {
        &self.functions[id.0 as usize]
    }

    /// Finds a global slot by qualified name.
    pub fn global_slot(&self, name: &str) -> Option<u32> {
        self.globals.iter().position(|g| g.name == name).map(|i| i as u32)
    }

    /// Finds a function by qualified name.
    pub fn function_named(&self, name: &str) -> Option<FuncId> {
        self.functions.iter().position(|f| f.name == name).map(|i| FuncId(i as u32))
    }
}
