//! The checked program: every name resolved, every expression typed, every call bound to what it
//! calls. Produced by the checker (`crate::check`), consumed by code generation (`crate::codegen`)
//! and by the update engine's analysis (which compares two `Program`s by qualified name and hash).
//!
//! Architecture Invariant: nothing here refers back to the AST or its arena; a `Program` is owned
//! data that outlives parsing. Ids (`ClassId`, `FuncId`, `GlobalId`, `LocalId`) index the vectors
//! of the one `Program` they came from.

use crate::builtins::Builtin;
use crate::diag::{SourceMap, Span};
pub use crate::types::{ClassId, FuncId, GlobalId, RtType, Type};

/// A whole checked program: the root module and everything it imports (std modules included).
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// Modules in initialisation order: every module after the modules it imports.
    pub modules: Vec<ModuleInfo>,
    pub classes: Vec<Class>,
    pub functions: Vec<Function>,
    pub globals: Vec<Global>,
    /// `main` of the root module, if it has one.
    pub main: Option<FuncId>,
    /// The sources of every module, for diagnostics, stack traces and hashing.
    pub sources: SourceMap,
    /// The update script checked with this program, if any (`crate::check::check_update`).
    pub script: Option<Script>,
    /// Compile every function as a remap target (development mode: REPL and watch), not only
    /// those a script's `remap` names.
    pub remap_all: bool,
}

/// A checked update script: what each of its blocks (compiled as functions of the program) is
/// for. Code generation turns it into [`crate::bytecode::ScriptProto`].
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub target: String,
    pub path: String,
    pub migrations: Vec<crate::bytecode::ScriptMigration>,
    /// (the new global, the function computing its value).
    pub vars: Vec<(GlobalId, FuncId)>,
    pub validations: Vec<crate::bytecode::ScriptValidation>,
    pub reboots: Vec<crate::bytecode::ScriptReboot>,
    pub remaps: Vec<crate::bytecode::ScriptRemap>,
    /// Every function made for a script item (they have no global slot: the engine calls them).
    pub functions: Vec<FuncId>,
}

/// One module of the program.
#[derive(Debug, Clone)]
pub struct ModuleInfo {
    /// Dotted name: `shop`, `shop.model`, `std.json`.
    pub name: String,
    /// Path as shown to the user.
    pub path: String,
    pub file: crate::diag::FileId,
    /// Module-level functions (not methods or lambdas), in declaration order.
    pub functions: Vec<FuncId>,
    pub classes: Vec<ClassId>,
    /// Globals in declaration order (the order their initialisers run).
    pub globals: Vec<GlobalId>,
    /// Names of the modules this one imports.
    pub imports: Vec<String>,
}

/// A class with its full layout: inherited fields first, then its own.
#[derive(Debug, Clone)]
pub struct Class {
    /// Qualified: `shop.Product`.
    pub name: String,
    /// As written: `Product`.
    pub short_name: String,
    pub module: String,
    pub type_params: Vec<String>,
    pub superclass: Option<ClassId>,
    /// The superclass as written, with its type arguments in terms of `type_params`.
    pub superclass_type: Option<Type>,
    /// Every field; a field's slot is its index here.
    pub fields: Vec<Field>,
    /// The vtable: inherited entries first (overrides replace them in place), then new methods.
    /// A method's vtable index is its index here.
    pub methods: Vec<Method>,
    pub span: Span,
    /// Content hash of the class's source text and signature (fields, methods' signatures,
    /// superclass); updates diff on it.
    pub hash: u64,
    /// For the `old.C` view of an update script: the running class (a VM id) this stands for.
    /// Such classes come after every class of the program and are not compiled: values of
    /// their types are handles whose fields and methods the script reaches through the running
    /// version (`Builtin::DsuOldField`, `DsuOldMethod`).
    pub old: Option<ClassId>,
}

/// One field of a class layout.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    /// Evaluated afresh for each construction that omits the field, and by updates for new fields.
    pub default: Option<Expr>,
    /// The class that declares it (a superclass for inherited fields).
    pub declared_in: ClassId,
    pub span: Span,
}

/// One vtable entry.
#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    /// The implementation this class uses (its own, or the inherited one).
    pub func: FuncId,
}

/// What a function is, which decides how it is called and named.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionKind {
    /// A module-level `fn`: called through its global-table slot.
    Module,
    /// A method: `self` is local 0; dispatched through the class's vtable.
    Method { class: ClassId },
    /// A lambda made inside `parent`; `index` counts the lambdas of `parent` in source order
    /// (updates relink live closures by it).
    Lambda { parent: FuncId, index: u32 },
    /// The initialiser of one global (evaluates its expression and returns it).
    GlobalInit { global: GlobalId },
}

/// Where a lambda's captured variable comes from, in the enclosing function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// A local of the enclosing function (which is marked `captured`, so it lives in a cell).
    Local(LocalId),
    /// One of the enclosing function's own captures (by index).
    Capture(u32),
}

/// A function body with its locals. Parameters are the first locals (after `self` for methods).
#[derive(Debug, Clone)]
pub struct Function {
    /// Qualified: `shop.main`, `shop.Product.order`, `shop.main.<lambda 0>`.
    pub name: String,
    pub module: String,
    pub kind: FunctionKind,
    pub type_params: Vec<String>,
    /// Number of parameters, `self` included for methods.
    pub arity: u32,
    pub params: Vec<Type>,
    pub ret: Type,
    /// All locals: `self` (methods), parameters, then every `let`/loop/`if let` variable. Each
    /// declaration is its own local even when it shadows another name.
    pub locals: Vec<Local>,
    /// For lambdas: what each capture refers to in the parent.
    pub captures: Vec<Capture>,
    pub body: Block,
    pub span: Span,
    /// Content hash of the source text and signature.
    pub hash: u64,
}

/// Index of a local in its function's `locals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

/// A local variable.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub ty: Type,
    /// True when a lambda captures it: it then lives in a heap cell created when its declaration
    /// runs (so each loop iteration gets a fresh one).
    pub captured: bool,
    pub span: Span,
}

/// A module-level `var` or `const`.
#[derive(Debug, Clone)]
pub struct Global {
    /// Qualified: `shop.company`.
    pub name: String,
    pub module: String,
    pub is_const: bool,
    pub ty: Type,
    /// The function that computes its initial value.
    pub init: FuncId,
    pub span: Span,
    pub hash: u64,
}

/// A sequence of statements.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
}

/// A resolved statement.
#[derive(Debug, Clone)]
pub enum Stmt {
    Let {
        local: LocalId,
        init: Expr,
        span: Span,
    },
    /// `target = value`, or `target op= value` when `op` is set (the target's object and index are
    /// evaluated once). `op` is a typed arithmetic operator.
    Assign {
        target: Place,
        op: Option<BinOp>,
        value: Expr,
        span: Span,
    },
    If {
        cond: Expr,
        then: Block,
        else_: Option<Block>,
        span: Span,
    },
    /// Binds `local` to the non-nil value of `value` (an optional) and runs `then`.
    IfLet {
        local: LocalId,
        value: Expr,
        then: Block,
        else_: Option<Block>,
        span: Span,
    },
    While {
        cond: Expr,
        body: Block,
        span: Span,
    },
    WhileLet {
        local: LocalId,
        value: Expr,
        body: Block,
        span: Span,
    },
    ForList {
        var: LocalId,
        list: Expr,
        body: Block,
        span: Span,
    },
    /// `for k in map` (`value` is `None`) or `for k, v in map`.
    ForMap {
        key: LocalId,
        value: Option<LocalId>,
        map: Expr,
        body: Block,
        span: Span,
    },
    ForRange {
        var: LocalId,
        start: Expr,
        end: Expr,
        body: Block,
        span: Span,
    },
    Break {
        span: Span,
    },
    Continue {
        span: Span,
    },
    Return {
        value: Option<Expr>,
        span: Span,
    },
    Expr(Expr),
    Block(Block),
}

/// Something that can be assigned to.
#[derive(Debug, Clone)]
pub enum Place {
    Local(LocalId),
    Capture(u32),
    Global(GlobalId),
    Field {
        obj: Box<Expr>,
        slot: u32,
    },
    /// `list[i] = v` or `map[k] = v`.
    Index {
        obj: Box<Expr>,
        index: Box<Expr>,
        kind: IndexKind,
    },
}

/// Which container an index expression works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    List,
    Map,
}

/// Typed operators: the checker has picked the variant from the operand types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    AddInt,
    SubInt,
    MulInt,
    DivInt,
    RemInt,
    AddFloat,
    SubFloat,
    MulFloat,
    DivFloat,
    RemFloat,
    /// `str + str`.
    Concat,
    LtInt,
    LeInt,
    GtInt,
    GeInt,
    LtFloat,
    LeFloat,
    GtFloat,
    GeFloat,
    LtStr,
    LeStr,
    GtStr,
    GeStr,
    /// `==` by value for numbers, strings, bools, nil; by identity for references (also mixed
    /// `T`/`T?` and `any` comparisons).
    Eq,
    Ne,
}

/// Typed unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    NegInt,
    NegFloat,
    Not,
}

/// A resolved, typed expression.
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

/// The resolved expressions.
#[derive(Debug, Clone)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Nil,
    /// Parts are converted with `str(x)` and concatenated.
    Interp(Vec<Expr>),
    Local(LocalId),
    /// One of this lambda's captured variables.
    Capture(u32),
    Global(GlobalId),
    /// A module-level function used as a value.
    FuncRef(FuncId),
    /// A method or prelude function used as a value is wrapped by the checker in a lambda, so
    /// no other function-value form exists.
    Field {
        obj: Box<Expr>,
        slot: u32,
    },
    Index {
        obj: Box<Expr>,
        index: Box<Expr>,
        kind: IndexKind,
    },
    /// Direct call of a module-level function (through its global-table slot).
    CallFunc {
        func: FuncId,
        args: Vec<Expr>,
    },
    /// Virtual call: `recv.method(args)` through vtable index `slot` of `recv`'s run-time class.
    CallMethod {
        recv: Box<Expr>,
        slot: u32,
        args: Vec<Expr>,
    },
    /// `super.m(args)`: the superclass's implementation, looked up in `class`'s vtable at `slot`
    /// at run time (so an update that changes it is seen), with `self` as receiver. `class` is the
    /// superclass; `args[0]` is the receiver (`self`: a `Local` in the method, a `Capture` in a lambda
    /// inside it), then the call's arguments.
    CallSuper {
        class: ClassId,
        slot: u32,
        args: Vec<Expr>,
    },
    /// Call of a function value (closure, function reference, or a function-typed field).
    CallValue {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    /// A built-in function or method; for methods the receiver is `args[0]`.
    CallBuiltin {
        builtin: Builtin,
        args: Vec<Expr>,
    },
    /// `C { ... }`: one entry per field slot; `None` means "use the field's default".
    Construct {
        class: ClassId,
        fields: Vec<Option<Expr>>,
    },
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `lhs ?? rhs`.
    Coalesce(Box<Expr>, Box<Expr>),
    Is {
        expr: Box<Expr>,
        ty: RtType,
    },
    /// Checked cast; a run-time error `cannot cast A to B` when it fails. Casting to an optional
    /// type lets `nil` through (`nullable` is true).
    As {
        expr: Box<Expr>,
        ty: RtType,
        nullable: bool,
    },
    /// Makes a closure of `func` (a lambda) capturing its `captures` from the current frame.
    Lambda {
        func: FuncId,
    },
    /// `spawn call`: `call` is a `CallFunc`, `CallMethod`, `CallValue` or `CallBuiltin`.
    Spawn(Box<Expr>),
    /// Runs a block for its effect then yields `value` (used by desugarings).
    Seq(Vec<Stmt>, Box<Expr>),
}
