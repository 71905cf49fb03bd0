//! Code generation: a checked [`hir::Program`] to a bytecode [`Image`] for the stack machine of
//! `bytecode::op`.
//!
//! - [`layout`]: global-table slots (module functions, vars, consts), field-default functions and
//!   spawn thunks appended after the HIR's functions.
//! - [`func`]: per-function state (locals, cells, scopes, hidden temporaries); [`builder`]: the
//!   instruction buffer with labels and dead-code suppression.
//! - [`expr`], [`stmt`], [`loops`]: the translation; [`analysis`]: small HIR queries it uses.
//! - [`stack`]: max-stack computation by abstract interpretation and the image verifier.
//!
//! Architecture Invariant: ids are shared with the HIR — `FuncId`, `ClassId` and vtable/field
//! slots mean the same thing in both, so the update engine can relate an image to its program.
//! Generation cannot fail on a checked program except on internal limits (a function with more
//! than 65535 locals, a jump that does not fit), reported as diagnostics.

mod analysis;
mod builder;
mod expr;
mod func;
mod layout;
mod loops;
pub mod stack;
mod stmt;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_build;

use crate::bytecode::{CaptureSrc, ClassProto, Constant, FieldProto, FuncProto, Image, Op, ProtoKind};
use crate::diag::{Diagnostic, Span};
use crate::hir::{self, Capture, FunctionKind, Program};
use crate::types::{ClassId, FuncId, Type};
use func::{end_line_of, FnGen};
use layout::{type_text, ExtraFunc, Layout};
use std::borrow::Cow;

/// Compiles a checked program. Fails only on internal limits (see the module docs).
pub fn generate(program: &Program) -> Result<Image, Vec<Diagnostic>> {
    let mut layout = Layout::new(program);
    let mut errors = Vec::new();
    let mut functions = Vec::with_capacity(program.functions.len() + layout.extra.len());
    for (i, f) in program.functions.iter().enumerate() {
        functions.push(function(program, &mut layout, FuncId(i as u32), f, &mut errors));
    }
    // Remap targets get a function per `let` computing its initializer from the frame's locals.
    for (i, f) in program.functions.iter().enumerate() {
        if is_remap_target(program, f) && functions[i].num_locals <= 255 {
            let num_locals = functions[i].num_locals;
            for (k, local) in lets(&f.body).into_iter().enumerate() {
                layout.extra.push(ExtraFunc::LocalInit { func: FuncId(i as u32), local, k: k as u32, num_locals });
            }
        }
    }
    // Extra functions: field defaults, then spawn thunks (which any function, including a field
    // default, may add while being generated).
    let mut k = 0;
    while let Some(extra) = layout.extra.get(k).cloned() {
        let id = FuncId((program.functions.len() + k) as u32);
        let proto = match extra {
            ExtraFunc::FieldDefault { class, field } => {
                field_default(program, &mut layout, id, class, field, &mut errors)
            }
            ExtraFunc::SpawnThunk { parent, builtin, argc, index, line } => {
                spawn_thunk(program, parent, builtin, argc, index, line)
            }
            ExtraFunc::LocalInit { func, local, k, num_locals } => {
                if let Some(owner) = functions.get_mut(func.0 as usize) {
                    owner.local_inits.push((local.0 as u16, id));
                }
                local_init(program, &mut layout, id, func, local, k, num_locals, &mut errors)
            }
        };
        functions.push(proto);
        k += 1;
    }
    // The `old.C` views of an update script come last and are not compiled (hir::Class::old).
    let classes = program
        .classes
        .iter()
        .enumerate()
        .take_while(|(_, c)| c.old.is_none())
        .map(|(i, c)| class(program, &layout, ClassId(i as u32), c))
        .collect();
    let main = program.main.and_then(|m| layout.slot_of_func(m));
    let script = program.script.as_ref().map(|s| script(s, &layout));
    let image = Image {
        functions,
        classes,
        globals: std::mem::take(&mut layout.globals),
        modules: std::mem::take(&mut layout.modules),
        main,
        sources: program.sources.clone(),
        script,
    };
    if cfg!(debug_assertions) && errors.is_empty() {
        if let Err(e) = stack::verify_image(&image) {
            errors.push(Diagnostic::error(Span::default(), format!("internal compiler error: {e}")));
        }
    }
    if errors.is_empty() {
        Ok(image)
    } else {
        Err(errors)
    }
}

/// Compiles one HIR function.
fn function(
    prog: &Program,
    layout: &mut Layout,
    id: FuncId,
    f: &hir::Function,
    errors: &mut Vec<Diagnostic>,
) -> FuncProto {
    let mut g = FnGen::new(prog, layout, id, Cow::Borrowed(&f.locals), f.span);
    if (f.locals.len() as u64) < u64::from(f.arity) {
        g.error("internal compiler error: fewer locals than parameters");
    }
    let arity = f.arity.min(f.locals.len() as u32);
    // Parameters are in scope for the whole body; captured ones move into cells on entry.
    for p in 0..arity {
        g.start_live(hir::LocalId(p));
    }
    for p in 0..arity {
        if g.is_cell(hir::LocalId(p)) {
            let s = g.slot16(p, "parameters");
            g.b.emit(Op::LoadLocal(s));
            g.b.emit(Op::NewCell(s));
        }
    }
    g.block(&f.body);
    if g.b.reachable {
        g.b.line = end_line_of(prog, f.span);
        g.b.emit(Op::ReturnNil);
    }
    let kind = match f.kind {
        FunctionKind::Module => ProtoKind::Module,
        FunctionKind::Method { class } => ProtoKind::Method { class },
        FunctionKind::Lambda { parent, index } => ProtoKind::Lambda { parent, index },
        FunctionKind::GlobalInit { global } => {
            ProtoKind::GlobalInit { slot: g.layout.slot_of_global(global).unwrap_or(u32::MAX) }
        }
    };
    let captures = f
        .captures
        .iter()
        .map(|c| match *c {
            Capture::Local(l) => CaptureSrc::Local(g.slot16(l.0, "captured variables")),
            Capture::Capture(i) => CaptureSrc::Upval(g.slot16(i, "captured variables")),
        })
        .collect();
    let header = Header {
        name: f.name.clone(),
        module: f.module.clone(),
        kind,
        arity: f.arity,
        captures,
        path: path_of(prog, &f.module, f.span),
        hash: f.hash,
    };
    finish(g, header, errors)
}

/// The parts of a prototype that do not come from its code.
struct Header {
    name: String,
    module: String,
    kind: ProtoKind,
    arity: u32,
    captures: Vec<CaptureSrc>,
    path: String,
    hash: u64,
}

/// Resolves jumps, computes `max_stack` and assembles the prototype.
fn finish(mut g: FnGen<'_>, h: Header, errors: &mut Vec<Diagnostic>) -> FuncProto {
    g.close_all_scopes();
    if let Err(e) = g.b.finish() {
        g.error(e);
    }
    let max_stack = match stack::max_stack(&g.b.code) {
        Ok(m) => u16::try_from(m).unwrap_or_else(|_| {
            g.error("function too large (operand stack deeper than 65535)");
            0
        }),
        Err(e) => {
            g.error(format!("internal compiler error in {}: {e}", h.name));
            0
        }
    };
    let arity = u8::try_from(h.arity).unwrap_or_else(|_| {
        g.error("function too large (more than 255 parameters)");
        0
    });
    let num_locals = g.num_locals();
    errors.append(&mut g.errors);
    FuncProto {
        name: h.name,
        module: h.module,
        kind: h.kind,
        arity,
        num_locals,
        max_stack,
        code: std::mem::take(&mut g.b.code),
        lines: std::mem::take(&mut g.b.lines),
        consts: std::mem::take(&mut g.b.consts),
        captures: h.captures,
        locals: std::mem::take(&mut g.infos),
        calls: std::mem::take(&mut g.calls),
        hidden_base: g.hidden_base(),
        local_inits: Vec::new(),
        path: h.path,
        hash: h.hash,
    }
}

/// The `FieldDefault` function of field `field` of `class`: evaluates the default and returns it.
fn field_default(
    prog: &Program,
    layout: &mut Layout,
    id: FuncId,
    class: ClassId,
    field: u32,
    errors: &mut Vec<Diagnostic>,
) -> FuncProto {
    let c = prog.classes.get(class.0 as usize);
    let fd = c.and_then(|c| c.fields.get(field as usize));
    let default = fd.and_then(|f| f.default.as_ref());
    let span = default.map(|d| d.span).or(fd.map(|f| f.span)).unwrap_or_default();
    // Defaults are checked without a function of their own: any locals their desugarings use
    // (a bound-method receiver) become anonymous slots here.
    let mut locals = Vec::new();
    if let Some(d) = default {
        let (n, captured) = analysis::locals_used(prog, d);
        locals = (0..n)
            .map(|i| hir::Local {
                name: format!("<tmp {i}>"),
                ty: Type::Any,
                captured: captured.contains(&hir::LocalId(i)),
                span,
            })
            .collect();
    }
    let mut g = FnGen::new(prog, layout, id, Cow::Owned(locals), span);
    match default {
        Some(d) => {
            g.expr(d);
            g.b.emit(Op::Return);
        }
        None => {
            g.error("internal compiler error: field default function without a default");
            g.b.emit(Op::ReturnNil);
        }
    }
    let class_name = c.map(|c| c.name.as_str()).unwrap_or("?");
    let field_name = fd.map(|f| f.name.as_str()).unwrap_or("?");
    let module = c.map(|c| c.module.clone()).unwrap_or_default();
    let header = Header {
        name: format!("{class_name}.<default {field_name}>"),
        path: path_of(prog, &module, span),
        module,
        kind: ProtoKind::FieldDefault { class, field },
        arity: 0,
        captures: Vec::new(),
        hash: fnv(span_text(prog, span).as_bytes()),
    };
    finish(g, header, errors)
}

/// A function that calls built-in `builtin` with its `argc` parameters and returns the result
/// (what `spawn` starts for a built-in call).
fn spawn_thunk(
    prog: &Program,
    parent: FuncId,
    builtin: crate::builtins::Builtin,
    argc: u8,
    index: u32,
    line: u32,
) -> FuncProto {
    let pf = prog.functions.get(parent.0 as usize);
    let span = pf.map(|f| f.span).unwrap_or_default();
    let mut code: Vec<Op> = (0..u16::from(argc)).map(Op::LoadLocal).collect();
    code.push(Op::CallBuiltin(builtin.id(), argc));
    code.push(Op::Return);
    let module = pf.map(|f| f.module.clone()).unwrap_or_default();
    let name = format!("{}.<spawn {}>", layout::function_name(prog, parent), builtin.name());
    FuncProto {
        hash: fnv(name.as_bytes()),
        name,
        path: path_of(prog, &module, span),
        module,
        kind: ProtoKind::Lambda { parent, index },
        arity: argc,
        num_locals: u16::from(argc),
        max_stack: u16::from(argc.max(1)),
        lines: vec![line; code.len()],
        code,
        consts: Vec::<Constant>::new(),
        captures: Vec::new(),
        locals: Vec::new(),
        calls: vec![(u32::from(argc), builtin.name().into())],
        hidden_base: u16::from(argc),
        local_inits: Vec::new(),
    }
}

/// A class layout: fields with their types and default functions, and the vtable.
fn class(prog: &Program, layout: &Layout, id: ClassId, c: &hir::Class) -> ClassProto {
    ClassProto {
        name: c.name.clone(),
        short_name: c.short_name.clone(),
        module: c.module.clone(),
        superclass: c.superclass,
        fields: c
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| FieldProto {
                name: f.name.clone(),
                ty: type_text(prog, &f.ty),
                static_ty: f.ty.clone(),
                default: layout.default_of(prog, id, i as u32),
            })
            .collect(),
        vtable: c.methods.iter().map(|m| (m.name.clone(), m.func)).collect(),
        type_params: c.type_params.clone(),
        method_types: c
            .methods
            .iter()
            .map(|m| match prog.functions.get(m.func.0 as usize) {
                Some(f) => Type::Fn(f.params.iter().skip(1).cloned().collect(), Box::new(f.ret.clone())),
                None => Type::Error,
            })
            .collect(),
        hash: c.hash,
    }
}

/// The script section: the HIR's description with global ids turned into slots.
fn script(s: &hir::Script, layout: &Layout) -> crate::bytecode::ScriptProto {
    crate::bytecode::ScriptProto {
        target: s.target.clone(),
        path: s.path.clone(),
        migrations: s.migrations.clone(),
        vars: s
            .vars
            .iter()
            .filter_map(|&(g, func)| Some(crate::bytecode::ScriptVar { global: layout.slot_of_global(g)?, func }))
            .collect(),
        validations: s.validations.clone(),
        reboots: s.reboots.clone(),
        remaps: s.remaps.clone(),
    }
}

/// The path shown in stack traces for code of `module` (its file, or the span's file).
fn path_of(prog: &Program, module: &str, span: Span) -> String {
    if let Some(p) = layout::module_path(prog, module) {
        return p.to_string();
    }
    prog.sources.files().get(span.file.0 as usize).map(|f| f.path.clone()).unwrap_or_default()
}

/// The source text of a span ("" when it is not inside a known file).
fn span_text(prog: &Program, span: Span) -> &str {
    prog.sources
        .files()
        .get(span.file.0 as usize)
        .and_then(|f| f.text.get(span.start as usize..span.end as usize))
        .unwrap_or("")
}

/// 64-bit FNV-1a, for the hashes of functions the HIR does not have.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// True when `f` is compiled as a remap target: a module function or method that a script's
/// `remap` names, or any of them in development mode.
fn is_remap_target(prog: &Program, f: &hir::Function) -> bool {
    if !matches!(f.kind, FunctionKind::Module | FunctionKind::Method { .. }) || f.locals.len() > 255 {
        return false;
    }
    prog.remap_all || prog.script.as_ref().is_some_and(|s| s.remaps.iter().any(|r| r.function == f.name))
}

/// Every `let` of a body with its initializer (nested blocks included, lambdas excluded: they
/// are functions of their own).
fn lets(b: &hir::Block) -> Vec<hir::LocalId> {
    fn walk(b: &hir::Block, out: &mut Vec<hir::LocalId>) {
        for s in &b.stmts {
            match s {
                hir::Stmt::Let { local, .. } => out.push(*local),
                hir::Stmt::If { then, else_, .. } | hir::Stmt::IfLet { then, else_, .. } => {
                    walk(then, out);
                    if let Some(e) = else_ {
                        walk(e, out);
                    }
                }
                hir::Stmt::While { body, .. }
                | hir::Stmt::WhileLet { body, .. }
                | hir::Stmt::ForList { body, .. }
                | hir::Stmt::ForMap { body, .. }
                | hir::Stmt::ForRange { body, .. }
                | hir::Stmt::Block(body) => walk(body, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(b, &mut out);
    out
}

/// The initializer of one `let` of `func`, as a function of all of `func`'s local slots (the
/// frame's, passed in by remap), so carried locals are visible to it.
#[allow(clippy::too_many_arguments)]
fn local_init(
    prog: &Program,
    layout: &mut Layout,
    id: FuncId,
    func: FuncId,
    local: hir::LocalId,
    k: u32,
    num_locals: u16,
    errors: &mut Vec<Diagnostic>,
) -> FuncProto {
    let f = &prog.functions[func.0 as usize];
    let init = find_let(&f.body, local);
    let span = init.map(|e| e.span).unwrap_or(f.span);
    let mut g = FnGen::new(prog, layout, id, Cow::Borrowed(&f.locals), span);
    match init {
        Some(e) => {
            g.expr(e);
            g.b.emit(Op::Return);
        }
        None => g.b.emit(Op::ReturnNil),
    }
    let name = f.locals.get(local.0 as usize).map(|l| l.name.as_str()).unwrap_or("?");
    let header = Header {
        name: format!("{}.<init {name}>", f.name),
        module: f.module.clone(),
        // Never a closure: the index only keeps it apart from the function's real lambdas.
        kind: ProtoKind::Lambda { parent: func, index: 0x8000_0000 + k },
        arity: u32::from(num_locals),
        captures: Vec::new(),
        path: path_of(prog, &f.module, span),
        hash: fnv(format!("{}:{k}:{}", f.name, span_text(prog, span)).as_bytes()),
    };
    let mut p = finish(g, header, errors);
    // The frame's slots are the parameters: hidden ones included.
    p.num_locals = p.num_locals.max(num_locals);
    p
}

/// The initializer of the `let` that declares `local`.
fn find_let(b: &hir::Block, local: hir::LocalId) -> Option<&hir::Expr> {
    for s in &b.stmts {
        let found = match s {
            hir::Stmt::Let { local: l, init, .. } if *l == local => Some(init),
            hir::Stmt::If { then, else_, .. } | hir::Stmt::IfLet { then, else_, .. } => {
                find_let(then, local).or_else(|| else_.as_ref().and_then(|e| find_let(e, local)))
            }
            hir::Stmt::While { body, .. }
            | hir::Stmt::WhileLet { body, .. }
            | hir::Stmt::ForList { body, .. }
            | hir::Stmt::ForMap { body, .. }
            | hir::Stmt::ForRange { body, .. }
            | hir::Stmt::Block(body) => find_let(body, local),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}
