//! Helpers for unit tests that build small `hir::Program`s by hand (no checker involved), so
//! code generation can be tested on exact HIR shapes.

use crate::builtins::Builtin;
use crate::diag::Span;
use crate::hir::*;
use crate::types::{ClassId, FuncId, GlobalId};

/// A program under construction with one module `main` in file `main.newt`.
pub struct P {
    pub prog: Program,
}

impl P {
    pub fn new() -> P {
        let mut prog = Program::default();
        let file = prog.sources.add("main.newt", "main", "line1\nline2\nline3\n");
        prog.modules.push(ModuleInfo {
            name: "main".into(),
            path: "main.newt".into(),
            file,
            functions: Vec::new(),
            classes: Vec::new(),
            globals: Vec::new(),
            imports: Vec::new(),
        });
        P { prog }
    }

    /// Adds a function; `params` are its first locals, `locals` the rest (name, captured).
    pub fn func(
        &mut self,
        name: &str,
        kind: FunctionKind,
        params: &[&str],
        locals: &[(&str, bool)],
        body: Vec<Stmt>,
    ) -> FuncId {
        let id = FuncId(self.prog.functions.len() as u32);
        let mut ls: Vec<Local> = params.iter().map(|p| local_decl(p, false)).collect();
        ls.extend(locals.iter().map(|(n, c)| local_decl(n, *c)));
        if kind == FunctionKind::Module {
            self.prog.modules[0].functions.push(id);
        }
        self.prog.functions.push(Function {
            name: format!("main.{name}"),
            module: "main".into(),
            kind,
            type_params: Vec::new(),
            arity: params.len() as u32,
            params: vec![Type::Int; params.len()],
            ret: Type::Void,
            locals: ls,
            captures: Vec::new(),
            body: Block { stmts: body },
            span: Span::default(),
            hash: 0,
        });
        id
    }

    /// Marks local `i` of `f` as captured.
    pub fn capture(&mut self, f: FuncId, i: u32) {
        self.prog.functions[f.0 as usize].locals[i as usize].captured = true;
    }

    /// Adds a global var with an initialiser function returning `init`.
    pub fn global(&mut self, name: &str, init: Expr) -> GlobalId {
        let g = GlobalId(self.prog.globals.len() as u32);
        let f = self.func(&format!("<init {name}>"), FunctionKind::GlobalInit { global: g }, &[], &[], vec![ret(init)]);
        self.prog.globals.push(Global {
            name: format!("main.{name}"),
            module: "main".into(),
            is_const: false,
            ty: Type::Int,
            init: f,
            span: Span::default(),
            hash: 0,
        });
        self.prog.modules[0].globals.push(g);
        g
    }

    /// Adds a class with `fields` (name, default) and no methods.
    pub fn class(&mut self, name: &str, fields: Vec<(&str, Option<Expr>)>) -> ClassId {
        let id = ClassId(self.prog.classes.len() as u32);
        self.prog.classes.push(Class {
            name: format!("main.{name}"),
            short_name: name.into(),
            module: "main".into(),
            type_params: Vec::new(),
            superclass: None,
            superclass_type: None,
            fields: fields
                .into_iter()
                .map(|(n, d)| Field {
                    name: n.into(),
                    ty: Type::Int,
                    default: d,
                    declared_in: id,
                    span: Span::default(),
                })
                .collect(),
            methods: Vec::new(),
            span: Span::default(),
            hash: 0,
            old: None,
        });
        self.prog.modules[0].classes.push(id);
        id
    }
}

fn local_decl(name: &str, captured: bool) -> Local {
    Local { name: name.into(), ty: Type::Int, captured, span: Span::default() }
}

pub fn ex(kind: ExprKind, ty: Type) -> Expr {
    Expr { kind, ty, span: Span::default() }
}

pub fn int(v: i64) -> Expr {
    ex(ExprKind::Int(v), Type::Int)
}

pub fn str_(s: &str) -> Expr {
    ex(ExprKind::Str(s.into()), Type::Str)
}

pub fn local(i: u32) -> Expr {
    ex(ExprKind::Local(LocalId(i)), Type::Int)
}

pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    let ty = match op {
        BinOp::AddInt | BinOp::SubInt | BinOp::MulInt | BinOp::DivInt | BinOp::RemInt => Type::Int,
        _ => Type::Bool,
    };
    ex(ExprKind::Binary { op, lhs: Box::new(a), rhs: Box::new(b) }, ty)
}

pub fn call_builtin(b: Builtin, args: Vec<Expr>) -> Expr {
    ex(ExprKind::CallBuiltin { builtin: b, args }, Type::Void)
}

pub fn print(e: Expr) -> Stmt {
    Stmt::Expr(call_builtin(Builtin::Print, vec![e]))
}

pub fn let_(i: u32, init: Expr) -> Stmt {
    Stmt::Let { local: LocalId(i), init, span: Span::default() }
}

pub fn ret(e: Expr) -> Stmt {
    Stmt::Return { value: Some(e), span: Span::default() }
}

pub fn assign(i: u32, op: Option<BinOp>, value: Expr) -> Stmt {
    Stmt::Assign { target: Place::Local(LocalId(i)), op, value, span: Span::default() }
}

pub fn block(stmts: Vec<Stmt>) -> Block {
    Block { stmts }
}
