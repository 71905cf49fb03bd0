//! Bytecode listings for `newt dis`, the REPL's `:dis` and snapshot tests.
//!
//! Each function gets a header (name, kind, arity, locals, max stack, its locals' live ranges and
//! its captures), then one line per instruction: index, source line (`|` when unchanged), opcode,
//! operands, and a comment resolving them (constant values, local and capture names, global slot
//! names, class, field, method and built-in names, jump targets, function names).

use crate::builtins::{Builtin, Receiver};
use crate::bytecode::{CaptureSrc, Constant, FuncProto, Image, Op, ProtoKind};
use crate::types::{FuncId, RtType};
use std::fmt::Write as _;

/// Lists every function of the image, in id order, separated by blank lines.
pub fn disassemble(image: &Image) -> String {
    let mut out = String::new();
    for i in 0..image.functions.len() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&disassemble_function(image, FuncId(i as u32)));
    }
    out
}

/// Lists one function (an empty string for an id the image does not have).
pub fn disassemble_function(image: &Image, f: FuncId) -> String {
    let Some(func) = image.functions.get(f.0 as usize) else { return String::new() };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fn {} ({}) arity {}, locals {}, max stack {}",
        func.name,
        kind_text(image, &func.kind),
        func.arity,
        func.num_locals,
        func.max_stack
    );
    if !func.locals.is_empty() {
        let locals: Vec<String> = func
            .locals
            .iter()
            .map(|l| {
                let cell = if l.cell { " cell" } else { "" };
                format!("{}@{}{cell} [{}, {})", l.name, l.slot, l.live.start, l.live.end)
            })
            .collect();
        let _ = writeln!(out, "  locals: {}", locals.join(", "));
    }
    if !func.captures.is_empty() {
        let caps: Vec<String> = func
            .captures
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = {}", upval_name(image, func, i as u16, 0), capture_src_text(*c)))
            .collect();
        let _ = writeln!(out, "  captures: {}", caps.join(", "));
    }
    let width = func.code.len().saturating_sub(1).to_string().len().max(4);
    let mut last_line = None;
    for (pc, op) in func.code.iter().enumerate() {
        let line = func.lines.get(pc).copied().unwrap_or(0);
        let line_col = if last_line == Some(line) { "|".to_string() } else { line.to_string() };
        last_line = Some(line);
        let operands: Vec<String> = op.operands().iter().map(|o| o.to_string()).collect();
        let text =
            if operands.is_empty() { op.name().to_string() } else { format!("{} {}", op.name(), operands.join(" ")) };
        let comment = comment(image, func, pc, op);
        let line_text = if comment.is_empty() {
            format!("  {pc:0width$} {line_col:>5}  {text}")
        } else {
            format!("  {pc:0width$} {line_col:>5}  {text:<24} ; {comment}")
        };
        let _ = writeln!(out, "{line_text}");
    }
    out
}

fn kind_text(image: &Image, kind: &ProtoKind) -> String {
    match kind {
        ProtoKind::Module => "function".into(),
        ProtoKind::Method { class } => format!("method of {}", class_name(image, class.0)),
        ProtoKind::Lambda { parent, index } => format!("lambda {index} of {}", function_name(image, parent.0)),
        ProtoKind::GlobalInit { slot } => format!("initialiser of {}", global_name(image, *slot)),
        ProtoKind::FieldDefault { class, field } => {
            let f = image.classes.get(class.0 as usize).and_then(|c| c.fields.get(*field as usize));
            format!("default of {}.{}", class_name(image, class.0), f.map(|f| f.name.as_str()).unwrap_or("?"))
        }
    }
}

/// The comment resolving an instruction's operands ("" when there is nothing to add).
fn comment(image: &Image, func: &FuncProto, pc: usize, op: &Op) -> String {
    let target = |off: i32| format!("-> {:04}", pc as i64 + 1 + i64::from(off));
    match *op {
        Op::Const(k) => func.consts.get(k as usize).map(constant_text).unwrap_or_else(|| "?".into()),
        Op::LoadLocal(s) | Op::StoreLocal(s) | Op::NewCell(s) | Op::LoadCell(s) | Op::StoreCell(s) => {
            local_name(func, s, pc)
        }
        Op::LoadUpval(i) | Op::StoreUpval(i) => upval_name(image, func, i, 0),
        Op::LoadGlobal(s) | Op::StoreGlobal(s) | Op::CallGlobal(s, _) => global_name(image, s),
        Op::Jump(o)
        | Op::JumpIfFalse(o)
        | Op::JumpIfTrue(o)
        | Op::JumpIfNil(o)
        | Op::JumpIfNotNil(o)
        | Op::Loop(o)
        | Op::JumpIfNotLtInt(o) => target(o),
        Op::AddLocalInt(s, _) => local_name(func, s, pc),
        Op::LoadLocalField(s, field) => {
            let fields = names_at(image.classes.iter().map(|c| c.fields.get(field as usize).map(|f| f.name.as_str())));
            format!("{}.{fields}", local_name(func, s, pc))
        }
        Op::ListNext(s, o) => {
            format!("{}[{}], else {}", local_name(func, s, pc), local_name(func, s.saturating_add(1), pc), target(o))
        }
        Op::CallMethod(v, _) | Op::SpawnMethod(v, _) => {
            names_at(image.classes.iter().map(|c| c.vtable.get(v as usize).map(|m| m.0.as_str())))
        }
        Op::CallSuper(c, v, _) => {
            let f = image.classes.get(c as usize).and_then(|cl| cl.vtable.get(v as usize)).map(|m| m.1 .0);
            f.map(|f| function_name(image, f)).unwrap_or_else(|| "?".into())
        }
        Op::CallBuiltin(id, _) => Builtin::from_id(id).map(builtin_text).unwrap_or_else(|| "?".into()),
        Op::New(c, _) => class_name(image, c),
        Op::GetField(s) | Op::SetField(s) => {
            names_at(image.classes.iter().map(|c| c.fields.get(s as usize).map(|f| f.name.as_str())))
        }
        Op::Closure(f) => function_name(image, f),
        Op::Is(t) | Op::As(t) | Op::AsOpt(t) => rt_type_text(image, t),
        _ => String::new(),
    }
}

/// Distinct names found at one slot across classes (a vtable or field slot means different
/// things in unrelated classes): `a|b|c`, `...` after three.
fn names_at<'a>(names: impl Iterator<Item = Option<&'a str>>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for n in names.flatten() {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    let more = seen.len() > 3;
    seen.truncate(3);
    let mut s = seen.join("|");
    if more {
        s.push_str("|...");
    }
    s
}

fn constant_text(c: &Constant) -> String {
    match c {
        Constant::Int(v) => v.to_string(),
        Constant::Float(f) => format!("{f:?}"),
        Constant::Str(s) => format!("\"{}\"", s.escape_debug()),
    }
}

fn builtin_text(b: Builtin) -> String {
    let recv = match b.receiver() {
        Receiver::None => return b.name().to_string(),
        Receiver::Int => "int",
        Receiver::Float => "float",
        Receiver::Str => "str",
        Receiver::List => "List",
        Receiver::Map => "Map",
        Receiver::Fiber => "Fiber",
        Receiver::Chan => "Chan",
        Receiver::Frame => "Frame",
    };
    format!("{recv}.{}", b.name())
}

fn rt_type_text(image: &Image, t: u32) -> String {
    match RtType::decode(t) {
        Some(RtType::Class(c)) => class_name(image, c.0),
        Some(RtType::Int) => "int".into(),
        Some(RtType::Float) => "float".into(),
        Some(RtType::Bool) => "bool".into(),
        Some(RtType::Str) => "str".into(),
        Some(RtType::Nil) => "nil".into(),
        Some(RtType::List) => "List".into(),
        Some(RtType::Map) => "Map".into(),
        Some(RtType::Fn) => "fn".into(),
        Some(RtType::Fiber) => "Fiber".into(),
        Some(RtType::Chan) => "Chan".into(),
        Some(RtType::Any) => "any".into(),
        None => "?".into(),
    }
}

fn class_name(image: &Image, c: u32) -> String {
    image.classes.get(c as usize).map(|c| c.name.clone()).unwrap_or_else(|| format!("class#{c}"))
}

fn function_name(image: &Image, f: u32) -> String {
    image.functions.get(f as usize).map(|f| f.name.clone()).unwrap_or_else(|| format!("fn#{f}"))
}

fn global_name(image: &Image, s: u32) -> String {
    image.globals.get(s as usize).map(|g| g.name.clone()).unwrap_or_else(|| format!("global#{s}"))
}

/// The name of local slot `s` at instruction `pc`: the local in scope there (a declaration's
/// store comes just before its live range), else any local of that slot, else a temporary.
fn local_name(func: &FuncProto, s: u16, pc: usize) -> String {
    let pc = pc as u32;
    let in_scope =
        func.locals.iter().find(|l| l.slot == s && l.live.start <= pc + 1 && pc < l.live.end.max(l.live.start + 1));
    match in_scope.or_else(|| func.locals.iter().find(|l| l.slot == s)) {
        Some(l) => l.name.clone(),
        None => format!("tmp{s}"),
    }
}

/// The name of capture `i` of `func`: the enclosing function's local it refers to (followed
/// through enclosing closures).
fn upval_name(image: &Image, func: &FuncProto, i: u16, depth: u32) -> String {
    let fallback = || format!("upval{i}");
    let (Some(src), ProtoKind::Lambda { parent, .. }) = (func.captures.get(i as usize), &func.kind) else {
        return fallback();
    };
    let Some(parent) = image.functions.get(parent.0 as usize) else { return fallback() };
    match *src {
        CaptureSrc::Local(s) => {
            parent.locals.iter().find(|l| l.slot == s).map(|l| l.name.clone()).unwrap_or_else(fallback)
        }
        // A lambda of a field default is its own parent; stop any such cycle.
        CaptureSrc::Upval(j) if depth < 64 && !std::ptr::eq(parent, func) => upval_name(image, parent, j, depth + 1),
        CaptureSrc::Upval(_) => fallback(),
    }
}

fn capture_src_text(c: CaptureSrc) -> String {
    match c {
        CaptureSrc::Local(s) => format!("local {s}"),
        CaptureSrc::Upval(j) => format!("upval {j}"),
    }
}
