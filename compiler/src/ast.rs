//! The syntax tree produced by the parser: what the user wrote, before names are resolved.
//!
//! Nodes live in a `bumpalo` arena owned by the caller of the parser (`'a`): children are `&'a`
//! references and lists are `&'a [T]` slices, so a whole file's tree is freed at once and building
//! it costs a pointer bump per node. Strings are slices of the arena too (escapes already decoded).
//! The checker turns this tree into the owned, fully resolved [`crate::hir`].

use crate::diag::{FileId, Span};

/// A name as written, with its position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ident<'a> {
    pub name: &'a str,
    pub span: Span,
}

/// A dotted path: `std.net`, `shop.Product`, `old.shop.Site`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Path<'a> {
    pub segments: &'a [Ident<'a>],
    pub span: Span,
}

/// One parsed source file of a program.
#[derive(Debug, Clone, Copy)]
pub struct Module<'a> {
    pub file: FileId,
    /// The optional `module a.b` line.
    pub name: Option<Path<'a>>,
    pub imports: &'a [Import<'a>],
    pub items: &'a [Item<'a>],
}

/// One parsed update script: `update MODULE` then imports, helpers and script items.
#[derive(Debug, Clone, Copy)]
pub struct Script<'a> {
    pub file: FileId,
    /// The module named by `update MODULE`.
    pub target: Path<'a>,
    pub imports: &'a [Import<'a>],
    /// Helper functions and classes of the script itself, and the script items.
    pub items: &'a [Item<'a>],
}

/// `import a.b`, `import a.b as c`, `import a.b.{x, Y}`.
#[derive(Debug, Clone, Copy)]
pub struct Import<'a> {
    pub path: Path<'a>,
    pub kind: ImportKind<'a>,
    pub span: Span,
}

/// What an import binds.
#[derive(Debug, Clone, Copy)]
pub enum ImportKind<'a> {
    /// Binds the module to its last segment, or to the alias.
    Module { alias: Option<Ident<'a>> },
    /// Binds each listed name of the module.
    Names(&'a [Ident<'a>]),
}

/// A module-level declaration (or, in a script, a script item).
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Fn(&'a FnDecl<'a>),
    Class(&'a ClassDecl<'a>),
    Global(&'a GlobalDecl<'a>),
    /// Script only: `migrate [lazy] C(o: old.C) { ... }` or `migrate C = policy_expr`.
    Migrate(&'a MigrateDecl<'a>),
    /// Script only: `migrate var name: T = expr`.
    MigrateVar(&'a GlobalDecl<'a>),
    /// Script only: `validate "name" { ... }` or `validate each C(o: old.C) { ... }`.
    Validate(&'a ValidateDecl<'a>),
    /// Script only: `remap F` or `remap F { ... }`.
    Remap(&'a RemapDecl<'a>),
    /// Script only: `reboot F => call`.
    Reboot(&'a RebootDecl<'a>),
}

/// A function, method or lambda. Methods have `self` as their first parameter.
#[derive(Debug, Clone, Copy)]
pub struct FnDecl<'a> {
    /// `None` for a lambda.
    pub name: Option<Ident<'a>>,
    pub type_params: &'a [Ident<'a>],
    /// True when the first parameter is `self` (methods); `self` is not in `params`.
    pub has_self: bool,
    pub params: &'a [Param<'a>],
    /// `None` when the function returns nothing.
    pub ret: Option<&'a TypeExpr<'a>>,
    pub body: FnBody<'a>,
    /// The whole declaration.
    pub span: Span,
}

/// A parameter with its declared type.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    pub name: Ident<'a>,
    pub ty: &'a TypeExpr<'a>,
    pub span: Span,
}

/// A block body or an expression body (`fn f() -> int = 1`).
#[derive(Debug, Clone, Copy)]
pub enum FnBody<'a> {
    Block(Block<'a>),
    Expr(&'a Expr<'a>),
}

/// `class Name<T> extends Base<T> { fields; methods }`.
#[derive(Debug, Clone, Copy)]
pub struct ClassDecl<'a> {
    pub name: Ident<'a>,
    pub type_params: &'a [Ident<'a>],
    pub extends: Option<&'a TypeExpr<'a>>,
    pub fields: &'a [FieldDecl<'a>],
    pub methods: &'a [FnDecl<'a>],
    pub span: Span,
}

/// `name: T = default`.
#[derive(Debug, Clone, Copy)]
pub struct FieldDecl<'a> {
    pub name: Ident<'a>,
    pub ty: &'a TypeExpr<'a>,
    pub default: Option<&'a Expr<'a>>,
    pub span: Span,
}

/// `const NAME: T = e` or `var name: T = e` (also `migrate var` in scripts).
#[derive(Debug, Clone, Copy)]
pub struct GlobalDecl<'a> {
    pub is_const: bool,
    pub name: Ident<'a>,
    pub ty: Option<&'a TypeExpr<'a>>,
    pub init: &'a Expr<'a>,
    pub span: Span,
}

/// A class migration in an update script.
#[derive(Debug, Clone, Copy)]
pub struct MigrateDecl<'a> {
    pub lazy: bool,
    /// The new class.
    pub class: Path<'a>,
    pub body: MigrateBody<'a>,
    pub span: Span,
}

/// How a class migration is given.
#[derive(Debug, Clone, Copy)]
pub enum MigrateBody<'a> {
    /// `(o: old.C) { ... }`: `param` is the old object; its type names the old class.
    Block { param: Param<'a>, body: Block<'a> },
    /// `= expr`: a reusable policy object.
    Policy(&'a Expr<'a>),
}

/// A validation in an update script.
#[derive(Debug, Clone, Copy)]
pub enum ValidateDecl<'a> {
    /// `validate "name" { ... }`
    Named { name: &'a str, body: Block<'a>, span: Span },
    /// `validate each C(o: old.C) { ... }`
    Each { class: Path<'a>, param: Param<'a>, body: Block<'a>, span: Span },
}

/// `remap F` or `remap F { ... }`.
#[derive(Debug, Clone, Copy)]
pub struct RemapDecl<'a> {
    pub function: Path<'a>,
    pub body: Option<Block<'a>>,
    pub span: Span,
}

/// `reboot F => call`.
#[derive(Debug, Clone, Copy)]
pub struct RebootDecl<'a> {
    pub function: Path<'a>,
    pub call: &'a Expr<'a>,
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone, Copy)]
pub struct TypeExpr<'a> {
    pub kind: TypeExprKind<'a>,
    pub span: Span,
}

/// The shapes a written type can take.
#[derive(Debug, Clone, Copy)]
pub enum TypeExprKind<'a> {
    /// `int`, `List<T>`, `net.Conn`, `old.Product`, `Map<str, int>`.
    Named { path: Path<'a>, args: &'a [TypeExpr<'a>] },
    /// `T?`
    Optional(&'a TypeExpr<'a>),
    /// `fn(A, B) -> R`; `ret` is `None` for `fn(A)`.
    Fn { params: &'a [TypeExpr<'a>], ret: Option<&'a TypeExpr<'a>> },
}

/// `{ stmt* }`.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    pub stmts: &'a [Stmt<'a>],
    pub span: Span,
}

/// A statement with its position.
#[derive(Debug, Clone, Copy)]
pub struct Stmt<'a> {
    pub kind: StmtKind<'a>,
    pub span: Span,
}

/// Assignment operators: `=` and the compound ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// The statements of language.md.
#[derive(Debug, Clone, Copy)]
pub enum StmtKind<'a> {
    Let {
        name: Ident<'a>,
        ty: Option<&'a TypeExpr<'a>>,
        init: &'a Expr<'a>,
    },
    /// `target op value`; target is a name, field or index expression.
    Assign {
        target: &'a Expr<'a>,
        op: AssignOp,
        value: &'a Expr<'a>,
    },
    If {
        cond: &'a Expr<'a>,
        then: Block<'a>,
        else_: Option<Else<'a>>,
    },
    IfLet {
        name: Ident<'a>,
        value: &'a Expr<'a>,
        then: Block<'a>,
        else_: Option<Else<'a>>,
    },
    While {
        cond: &'a Expr<'a>,
        body: Block<'a>,
    },
    WhileLet {
        name: Ident<'a>,
        value: &'a Expr<'a>,
        body: Block<'a>,
    },
    /// `for x in list { }` and `for k, v in map { }` (`second` is `v`).
    ForIn {
        first: Ident<'a>,
        second: Option<Ident<'a>>,
        iter: &'a Expr<'a>,
        body: Block<'a>,
    },
    /// `for i in start..end { }`
    ForRange {
        var: Ident<'a>,
        start: &'a Expr<'a>,
        end: &'a Expr<'a>,
        body: Block<'a>,
    },
    Break,
    Continue,
    Return(Option<&'a Expr<'a>>),
    Expr(&'a Expr<'a>),
    /// A nested `{ }` block statement.
    Block(Block<'a>),
}

/// What follows `else`.
#[derive(Debug, Clone, Copy)]
pub enum Else<'a> {
    Block(Block<'a>),
    /// `else if ...` / `else if let ...`: an `If` or `IfLet` statement.
    If(&'a Stmt<'a>),
}

/// An expression with its position.
#[derive(Debug, Clone, Copy)]
pub struct Expr<'a> {
    pub kind: ExprKind<'a>,
    pub span: Span,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

/// Binary operators, including the short-circuiting and `??` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Coalesce,
}

impl BinaryOp {
    /// The operator as written in source, for diagnostics and tree printers.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
            BinaryOp::Coalesce => "??",
        }
    }
}

/// A piece of an interpolated string.
#[derive(Debug, Clone, Copy)]
pub enum InterpPart<'a> {
    Lit(&'a str),
    Expr(&'a Expr<'a>),
}

/// The expressions of language.md.
#[derive(Debug, Clone, Copy)]
pub enum ExprKind<'a> {
    Int(i64),
    Float(f64),
    /// A string without interpolation, escapes decoded.
    Str(&'a str),
    /// `"a {b} c"`: literal and expression parts in order.
    Interp(&'a [InterpPart<'a>]),
    Bool(bool),
    Nil,
    SelfRef,
    /// A name, optionally with explicit type arguments: `x`, `empty::<str>`, `Chan::<int>`.
    Name {
        ident: Ident<'a>,
        type_args: &'a [TypeExpr<'a>],
    },
    /// `obj.name`, optionally `obj.name::<T>`: field, method, or module member.
    Field {
        obj: &'a Expr<'a>,
        name: Ident<'a>,
        type_args: &'a [TypeExpr<'a>],
    },
    /// `super.name` (only as a callee).
    Super {
        name: Ident<'a>,
    },
    Index {
        obj: &'a Expr<'a>,
        index: &'a Expr<'a>,
    },
    Call {
        callee: &'a Expr<'a>,
        args: &'a [Expr<'a>],
    },
    Unary {
        op: UnaryOp,
        expr: &'a Expr<'a>,
    },
    Binary {
        op: BinaryOp,
        lhs: &'a Expr<'a>,
        rhs: &'a Expr<'a>,
    },
    Is {
        expr: &'a Expr<'a>,
        ty: &'a TypeExpr<'a>,
    },
    As {
        expr: &'a Expr<'a>,
        ty: &'a TypeExpr<'a>,
    },
    List(&'a [Expr<'a>]),
    Map(&'a [(Expr<'a>, Expr<'a>)]),
    /// `Product { name: "a" }`, `Stack::<str> { items: [] }`, `shop.Site { ... }`.
    Construct {
        class: Path<'a>,
        type_args: &'a [TypeExpr<'a>],
        fields: &'a [(Ident<'a>, Expr<'a>)],
    },
    /// `fn(x: int) -> int { ... }` or `= expr`; `name` is `None`.
    Lambda(&'a FnDecl<'a>),
    /// `spawn f(a, b)`: the operand is a `Call`.
    Spawn(&'a Expr<'a>),
}
