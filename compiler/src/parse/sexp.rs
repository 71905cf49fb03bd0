//! A compact S-expression printer for syntax trees: one line per item, member and statement,
//! expressions inline. Used by the parser's golden tests and handy for debugging (`newt` tools may
//! show it too). Types print as written (`List<int>`, `str?`, `fn(int) -> bool`).

use crate::ast::*;
use std::fmt::Write as _;

/// Prints a module.
pub fn module(m: &Module<'_>) -> String {
    let mut p = Printer::default();
    if let Some(name) = &m.name {
        p.line(&format!("(module {})", path(name)));
    }
    for i in m.imports {
        p.import(i);
    }
    for i in m.items {
        p.item(i);
    }
    p.out
}

/// Prints an update script.
pub fn script(s: &Script<'_>) -> String {
    let mut p = Printer::default();
    p.line(&format!("(update {})", path(&s.target)));
    for i in s.imports {
        p.import(i);
    }
    for i in s.items {
        p.item(i);
    }
    p.out
}

/// Prints REPL input pieces.
pub fn repl(pieces: &[super::ReplPiece<'_>]) -> String {
    let mut p = Printer::default();
    for piece in pieces {
        match piece {
            super::ReplPiece::Import(i) => p.import(i),
            super::ReplPiece::Item(i) => p.item(i),
            super::ReplPiece::Stmt(s) => p.stmt(s),
        }
    }
    p.out
}

/// Prints one expression on one line (lambda bodies included).
pub fn expr(e: &Expr<'_>) -> String {
    let mut s = String::new();
    write_expr(&mut s, e);
    s
}

/// Prints a type as written.
pub fn ty(t: &TypeExpr<'_>) -> String {
    let mut s = String::new();
    write_ty(&mut s, t);
    s
}

fn path(p: &Path<'_>) -> String {
    p.segments.iter().map(|s| s.name).collect::<Vec<_>>().join(".")
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
}

impl Printer {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn import(&mut self, i: &Import<'_>) {
        let text = match i.kind {
            ImportKind::Module { alias: None } => format!("(import {})", path(&i.path)),
            ImportKind::Module { alias: Some(a) } => format!("(import {} as {})", path(&i.path), a.name),
            ImportKind::Names(names) => {
                let names: Vec<_> = names.iter().map(|n| n.name).collect();
                format!("(import {} {{{}}})", path(&i.path), names.join(" "))
            }
        };
        self.line(&text);
    }

    fn item(&mut self, item: &Item<'_>) {
        match item {
            Item::Fn(f) => self.func("fn", f),
            Item::Class(c) => {
                let mut head = format!("(class {}{}", c.name.name, type_params(c.type_params));
                if let Some(t) = c.extends {
                    let _ = write!(head, " extends {}", ty(t));
                }
                self.line(&head);
                self.indent += 1;
                for f in c.fields {
                    let mut s = format!("(field {}: {}", f.name.name, ty(f.ty));
                    if let Some(d) = f.default {
                        s.push_str(" = ");
                        write_expr(&mut s, d);
                    }
                    s.push(')');
                    self.line(&s);
                }
                for m in c.methods {
                    self.func("method", m);
                }
                self.indent -= 1;
                self.line(")");
            }
            Item::Global(g) => self.global(if g.is_const { "const" } else { "var" }, g),
            Item::MigrateVar(g) => self.global("migrate-var", g),
            Item::Migrate(m) => {
                let lazy = if m.lazy { " lazy" } else { "" };
                match &m.body {
                    MigrateBody::Block { param, body } => {
                        self.line(&format!(
                            "(migrate{lazy} {} ({}: {})",
                            path(&m.class),
                            param.name.name,
                            ty(param.ty)
                        ));
                        self.block_body(body);
                    }
                    MigrateBody::Policy(e) => {
                        self.line(&format!("(migrate{lazy} {} = {})", path(&m.class), expr(e)));
                    }
                }
            }
            Item::Validate(ValidateDecl::Named { name, body, .. }) => {
                self.line(&format!("(validate {name:?}"));
                self.block_body(body);
            }
            Item::Validate(ValidateDecl::Each { class, param, body, .. }) => {
                self.line(&format!("(validate-each {} ({}: {})", path(class), param.name.name, ty(param.ty)));
                self.block_body(body);
            }
            Item::Remap(r) => match &r.body {
                None => self.line(&format!("(remap {})", path(&r.function))),
                Some(b) => {
                    self.line(&format!("(remap {}", path(&r.function)));
                    self.block_body(b);
                }
            },
            Item::Reboot(r) => self.line(&format!("(reboot {} => {})", path(&r.function), expr(r.call))),
        }
    }

    fn global(&mut self, kw: &str, g: &GlobalDecl<'_>) {
        let t = g.ty.map(|t| format!(": {}", ty(t))).unwrap_or_default();
        self.line(&format!("({kw} {}{t} = {})", g.name.name, expr(g.init)));
    }

    fn func(&mut self, kw: &str, f: &FnDecl<'_>) {
        let name = f.name.map(|n| n.name).unwrap_or("<lambda>");
        let head = format!("({kw} {name}{}", signature(f));
        match &f.body {
            FnBody::Expr(e) => self.line(&format!("{head} = {})", expr(e))),
            FnBody::Block(b) => {
                self.line(&head);
                self.block_body(b);
            }
        }
    }

    /// The statements of a block, indented, then the closing paren of the enclosing form.
    fn block_body(&mut self, b: &Block<'_>) {
        self.indent += 1;
        for s in b.stmts {
            self.stmt(s);
        }
        self.indent -= 1;
        self.line(")");
    }

    fn stmt(&mut self, s: &Stmt<'_>) {
        match &s.kind {
            StmtKind::Let { name, ty: t, init } => {
                let t = t.map(|t| format!(": {}", ty(t))).unwrap_or_default();
                self.line(&format!("(let {}{t} {})", name.name, expr(init)));
            }
            StmtKind::Assign { target, op, value } => {
                let op = match op {
                    AssignOp::Set => "=",
                    AssignOp::Add => "+=",
                    AssignOp::Sub => "-=",
                    AssignOp::Mul => "*=",
                    AssignOp::Div => "/=",
                    AssignOp::Rem => "%=",
                };
                self.line(&format!("({op} {} {})", expr(target), expr(value)));
            }
            StmtKind::If { cond, then, else_ } => {
                self.line(&format!("(if {}", expr(cond)));
                self.if_rest(then, else_);
            }
            StmtKind::IfLet { name, value, then, else_ } => {
                self.line(&format!("(if-let {} {}", name.name, expr(value)));
                self.if_rest(then, else_);
            }
            StmtKind::While { cond, body } => {
                self.line(&format!("(while {}", expr(cond)));
                self.block_body(body);
            }
            StmtKind::WhileLet { name, value, body } => {
                self.line(&format!("(while-let {} {}", name.name, expr(value)));
                self.block_body(body);
            }
            StmtKind::ForIn { first, second, iter, body } => {
                let vars = match second {
                    Some(v) => format!("{} {}", first.name, v.name),
                    None => first.name.to_string(),
                };
                self.line(&format!("(for {vars} in {}", expr(iter)));
                self.block_body(body);
            }
            StmtKind::ForRange { var, start, end, body } => {
                self.line(&format!("(for {} in {} .. {}", var.name, expr(start), expr(end)));
                self.block_body(body);
            }
            StmtKind::Break => self.line("(break)"),
            StmtKind::Continue => self.line("(continue)"),
            StmtKind::Return(None) => self.line("(return)"),
            StmtKind::Return(Some(e)) => self.line(&format!("(return {})", expr(e))),
            StmtKind::Expr(e) => self.line(&expr(e)),
            StmtKind::Block(b) => {
                self.line("(block");
                self.block_body(b);
            }
        }
    }

    fn if_rest(&mut self, then: &Block<'_>, else_: &Option<Else<'_>>) {
        self.indent += 1;
        self.line("(then");
        self.block_body(then);
        match else_ {
            None => {}
            Some(Else::Block(b)) => {
                self.line("(else");
                self.block_body(b);
            }
            Some(Else::If(s)) => {
                self.line("(else");
                self.indent += 1;
                self.stmt(s);
                self.indent -= 1;
                self.line(")");
            }
        }
        self.indent -= 1;
        self.line(")");
    }
}

fn type_params(tps: &[Ident<'_>]) -> String {
    if tps.is_empty() {
        return String::new();
    }
    let names: Vec<_> = tps.iter().map(|t| t.name).collect();
    format!("<{}>", names.join(", "))
}

fn signature(f: &FnDecl<'_>) -> String {
    let mut params: Vec<String> = Vec::new();
    if f.has_self {
        params.push("self".into());
    }
    params.extend(f.params.iter().map(|p| format!("{}: {}", p.name.name, ty(p.ty))));
    let ret = f.ret.map(|t| format!(" -> {}", ty(t))).unwrap_or_default();
    format!("{}({}){ret}", type_params(f.type_params), params.join(", "))
}

fn type_args(s: &mut String, args: &[TypeExpr<'_>]) {
    if !args.is_empty() {
        s.push_str("::<");
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            write_ty(s, a);
        }
        s.push('>');
    }
}

fn write_ty(s: &mut String, t: &TypeExpr<'_>) {
    match &t.kind {
        TypeExprKind::Named { path: p, args } => {
            s.push_str(&path(p));
            if !args.is_empty() {
                s.push('<');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    write_ty(s, a);
                }
                s.push('>');
            }
        }
        TypeExprKind::Optional(inner) => {
            let paren = matches!(inner.kind, TypeExprKind::Fn { .. });
            if paren {
                s.push('(');
            }
            write_ty(s, inner);
            if paren {
                s.push(')');
            }
            s.push('?');
        }
        TypeExprKind::Fn { params, ret } => {
            s.push_str("fn(");
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_ty(s, p);
            }
            s.push(')');
            if let Some(r) = ret {
                s.push_str(" -> ");
                write_ty(s, r);
            }
        }
    }
}

fn write_list(s: &mut String, head: &str, items: &[Expr<'_>]) {
    s.push('(');
    s.push_str(head);
    for i in items {
        s.push(' ');
        write_expr(s, i);
    }
    s.push(')');
}

fn write_expr(s: &mut String, e: &Expr<'_>) {
    match &e.kind {
        ExprKind::Int(v) => {
            let _ = write!(s, "{v}");
        }
        ExprKind::Float(v) => {
            let _ = write!(s, "{v:?}");
        }
        ExprKind::Str(v) => {
            let _ = write!(s, "{v:?}");
        }
        ExprKind::Interp(parts) => {
            s.push_str("(interp");
            for p in *parts {
                s.push(' ');
                match p {
                    InterpPart::Lit(l) => {
                        let _ = write!(s, "{l:?}");
                    }
                    InterpPart::Expr(e) => write_expr(s, e),
                }
            }
            s.push(')');
        }
        ExprKind::Bool(b) => {
            let _ = write!(s, "{b}");
        }
        ExprKind::Nil => s.push_str("nil"),
        ExprKind::SelfRef => s.push_str("self"),
        ExprKind::Name { ident, type_args: ta } => {
            s.push_str(ident.name);
            type_args(s, ta);
        }
        ExprKind::Field { obj, name, type_args: ta } => {
            s.push_str("(. ");
            write_expr(s, obj);
            s.push(' ');
            s.push_str(name.name);
            type_args(s, ta);
            s.push(')');
        }
        ExprKind::Super { name } => {
            let _ = write!(s, "(super {})", name.name);
        }
        ExprKind::Index { obj, index } => {
            s.push_str("(index ");
            write_expr(s, obj);
            s.push(' ');
            write_expr(s, index);
            s.push(')');
        }
        ExprKind::Call { callee, args } => {
            s.push_str("(call ");
            write_expr(s, callee);
            for a in *args {
                s.push(' ');
                write_expr(s, a);
            }
            s.push(')');
        }
        ExprKind::Unary { op, expr } => {
            s.push_str(if *op == UnaryOp::Neg { "(neg " } else { "(! " });
            write_expr(s, expr);
            s.push(')');
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let _ = write!(s, "({} ", op.symbol());
            write_expr(s, lhs);
            s.push(' ');
            write_expr(s, rhs);
            s.push(')');
        }
        ExprKind::Is { expr, ty } | ExprKind::As { expr, ty } => {
            s.push_str(if matches!(e.kind, ExprKind::Is { .. }) { "(is " } else { "(as " });
            write_expr(s, expr);
            s.push(' ');
            write_ty(s, ty);
            s.push(')');
        }
        ExprKind::List(items) => write_list(s, "list", items),
        ExprKind::Map(entries) => {
            s.push_str("(map");
            for (k, v) in *entries {
                s.push_str(" (");
                write_expr(s, k);
                s.push(' ');
                write_expr(s, v);
                s.push(')');
            }
            s.push(')');
        }
        ExprKind::Construct { class, type_args: ta, fields } => {
            s.push_str("(new ");
            s.push_str(&path(class));
            type_args(s, ta);
            for (name, v) in *fields {
                let _ = write!(s, " ({} ", name.name);
                write_expr(s, v);
                s.push(')');
            }
            s.push(')');
        }
        ExprKind::Lambda(f) => {
            let _ = write!(s, "(lambda {}", signature(f));
            match &f.body {
                FnBody::Expr(e) => {
                    s.push_str(" = ");
                    write_expr(s, e);
                }
                FnBody::Block(b) => {
                    s.push_str(" {");
                    let mut p = Printer::default();
                    for st in b.stmts {
                        p.stmt(st);
                    }
                    let body: Vec<&str> = p.out.lines().map(str::trim).collect();
                    s.push_str(&body.join(" "));
                    s.push('}');
                }
            }
            s.push(')');
        }
        ExprKind::Spawn(e) => {
            s.push_str("(spawn ");
            write_expr(s, e);
            s.push(')');
        }
    }
}
