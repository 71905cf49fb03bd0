//! Static types as the checker computes them, and the run-time type tags that `is`/`as` test.
//!
//! Type parameters are erased at run time: the VM's values carry their own tags, so generic code
//! runs on any value and `is List<int>` can only test "is a list". Types here exist to reject bad
//! programs and to let code generation pick typed instructions (int vs float arithmetic, field slots,
//! vtable indices).

use std::fmt;

/// Index of a class in [`crate::hir::Program::classes`] (and in the bytecode image's class table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

/// Index of a function in [`crate::hir::Program::functions`] (module functions, methods, lambdas,
/// global initialisers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncId(pub u32);

/// Index of a module-level `var`/`const` in [`crate::hir::Program::globals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalId(pub u32);

/// A static type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Int,
    Float,
    Bool,
    Str,
    /// The type of the `nil` literal before it meets an expected `T?`.
    Nil,
    /// "Returns nothing": the result of a function without `->`.
    Void,
    /// The result of `panic` and other calls that never return; fits every type.
    Never,
    Any,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Optional(Box<Type>),
    /// `fn(A, B) -> R` (`R` is `Void` for `fn(A)`).
    Fn(Vec<Type>, Box<Type>),
    /// An instance of a class with its type arguments.
    Class(ClassId, Vec<Type>),
    /// A type parameter of the enclosing class or function, by name.
    Param(String),
    Fiber,
    Chan(Box<Type>),
    /// A snapshot of one frame of a fiber (`dsu.Frame`, returned by `fiber.frames()`).
    Frame,
    /// Stands for a type that could not be computed because of an earlier error; it fits
    /// everything so that one mistake is reported once.
    Error,
}

impl Type {
    /// `T?` of this type (`T??` collapses to `T?`).
    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Nil | Type::Any | Type::Error => self,
            t => Type::Optional(Box::new(t)),
        }
    }

    /// True for types whose values are heap references compared by identity.
    pub fn is_reference(&self) -> bool {
        matches!(
            self,
            Type::List(_) | Type::Map(..) | Type::Class(..) | Type::Fn(..) | Type::Fiber | Type::Chan(_) | Type::Frame
        )
    }
}

impl fmt::Display for Type {
    /// Writes the type as the user writes it; classes show their plain name (the checker's
    /// diagnostics substitute the real class name through [`crate::hir::Program`] when it has one).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Int => write!(f, "int"),
            Type::Float => write!(f, "float"),
            Type::Bool => write!(f, "bool"),
            Type::Str => write!(f, "str"),
            Type::Nil => write!(f, "nil"),
            Type::Void => write!(f, "nothing"),
            Type::Never => write!(f, "never"),
            Type::Any => write!(f, "any"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Map(k, v) => write!(f, "Map<{k}, {v}>"),
            Type::Optional(t) => match **t {
                Type::Fn(..) => write!(f, "({t})?"),
                _ => write!(f, "{t}?"),
            },
            Type::Fn(ps, r) => {
                write!(f, "fn(")?;
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ")")?;
                if **r != Type::Void {
                    write!(f, " -> {r}")?;
                }
                Ok(())
            }
            Type::Class(id, args) => {
                write!(f, "class#{}", id.0)?;
                if !args.is_empty() {
                    write!(f, "<")?;
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            write!(f, ", ")?;
                        }
                        write!(f, "{a}")?;
                    }
                    write!(f, ">")?;
                }
                Ok(())
            }
            Type::Param(n) => write!(f, "{n}"),
            Type::Fiber => write!(f, "Fiber"),
            Type::Chan(t) => write!(f, "Chan<{t}>"),
            Type::Frame => write!(f, "Frame"),
            Type::Error => write!(f, "{{error}}"),
        }
    }
}

/// What `x is T` and `x as T` test at run time (type arguments erased).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtType {
    Int,
    Float,
    Bool,
    Str,
    Nil,
    List,
    Map,
    Fn,
    Fiber,
    Chan,
    /// An instance of this class or of a subclass.
    Class(ClassId),
    /// Always true (`is any`).
    Any,
}

impl RtType {
    /// Encodes as a `u32` operand: small numbers for built-in kinds, `16 + class id` for classes.
    pub fn encode(self) -> u32 {
        match self {
            RtType::Int => 0,
            RtType::Float => 1,
            RtType::Bool => 2,
            RtType::Str => 3,
            RtType::Nil => 4,
            RtType::List => 5,
            RtType::Map => 6,
            RtType::Fn => 7,
            RtType::Fiber => 8,
            RtType::Chan => 9,
            RtType::Any => 10,
            RtType::Class(c) => 16 + c.0,
        }
    }

    /// Inverse of [`RtType::encode`]; `None` for an operand no encoder produces.
    pub fn decode(v: u32) -> Option<RtType> {
        Some(match v {
            0 => RtType::Int,
            1 => RtType::Float,
            2 => RtType::Bool,
            3 => RtType::Str,
            4 => RtType::Nil,
            5 => RtType::List,
            6 => RtType::Map,
            7 => RtType::Fn,
            8 => RtType::Fiber,
            9 => RtType::Chan,
            10 => RtType::Any,
            16.. => RtType::Class(ClassId(v - 16)),
            _ => return None,
        })
    }
}
