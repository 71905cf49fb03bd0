//! Turning a compiled [`Image`] into the VM's tables: verify every function, allocate string
//! constants, build runtime classes and the global table, and plan the main fiber's tasks (module
//! initialisers in order, then `main`).

use crate::fiber::Task;
use crate::globals::{Function, GlobalInfo, RtClass, Tables};
use crate::heap::Heap;
use crate::value::Value;
use crate::verify::{verify_function, VerifyEnv};
use newt_compiler::bytecode::{Constant, FuncProto, GlobalKind, Image};
use newt_compiler::types::{ClassId, FuncId};
use std::rc::Rc;

/// The loaded program and the main fiber's plan.
pub(crate) struct Loaded {
    pub tables: Tables,
    pub tasks: Vec<Task>,
}

/// Builds one runtime function (the proto must already be verified; `max_depth` is what the
/// verifier returned).
pub(crate) fn make_function(id: FuncId, proto: FuncProto, max_depth: u32, root: &str, heap: &mut Heap) -> Function {
    let consts = proto
        .consts
        .iter()
        .map(|c| match c {
            Constant::Int(i) => Value::Int(*i),
            Constant::Float(f) => Value::Float(*f),
            Constant::Str(s) => Value::Obj(heap.intern(s)),
        })
        .collect();
    let display = Tables::display_name(root, &proto.module, &proto.name);
    Function { id, proto, consts, max_depth, display }
}

/// Loads `image`; an error names the first malformed function.
pub(crate) fn load(image: Image, heap: &mut Heap) -> Result<Loaded, String> {
    let mut depths = Vec::with_capacity(image.functions.len());
    for f in &image.functions {
        depths.push(verify_function(f, &image as &dyn VerifyEnv).map_err(|e| format!("invalid bytecode: {e}"))?);
    }
    let root = match image.main.and_then(|s| image.globals.get(s as usize)) {
        Some(g) => g.module.clone(),
        None => image.modules.last().map(|m| m.name.clone()).unwrap_or_default(),
    };
    let mut tables = Tables { root_module: root.clone(), ..Tables::default() };
    for c in &image.classes {
        for &(_, f) in &c.vtable {
            check_func(&image, f, &c.name)?;
        }
        for fd in &c.fields {
            if let Some(f) = fd.default {
                check_func(&image, f, &c.name)?;
            }
        }
        if let Some(s) = c.superclass {
            if s.0 as usize >= image.classes.len() {
                return Err(format!("invalid bytecode: class {} extends unknown class {}", c.name, s.0));
            }
        }
    }
    for (i, c) in image.classes.iter().enumerate() {
        tables.classes.push(Rc::new(RtClass::from_proto(ClassId(i as u32), c)));
    }
    for g in &image.globals {
        let value = match g.kind {
            GlobalKind::Function(f) => {
                check_func(&image, f, &g.name)?;
                Value::Func(f)
            }
            GlobalKind::Var { init } | GlobalKind::Const { init } => {
                check_func(&image, init, &g.name)?;
                Value::Undef
            }
        };
        tables.globals.push(value);
        let short_name = g.name.strip_prefix(&format!("{}.", g.module)).unwrap_or(&g.name).to_string();
        tables.global_info.push(Rc::new(GlobalInfo { slot: g.clone(), short_name }));
    }
    let mut tasks = Vec::new();
    for m in &image.modules {
        for &slot in &m.init_order {
            match image.globals.get(slot as usize).map(|g| &g.kind) {
                Some(GlobalKind::Var { init } | GlobalKind::Const { init }) => {
                    tasks.push(Task::InitGlobal { slot, func: *init })
                }
                _ => return Err(format!("invalid bytecode: module {} initialises slot {slot}, not a var", m.name)),
            }
        }
    }
    match image.main.and_then(|s| image.globals.get(s as usize)).map(|g| &g.kind) {
        Some(GlobalKind::Function(f)) => tasks.push(Task::Main { func: *f }),
        _ => return Err("no 'main' function in the root module".into()),
    }
    tables.modules = image.modules;
    for (i, (proto, depth)) in image.functions.into_iter().zip(depths).enumerate() {
        let f = make_function(FuncId(i as u32), proto, depth, &root, heap);
        tables.push_function(f);
    }
    Ok(Loaded { tables, tasks })
}

fn check_func(image: &Image, f: FuncId, owner: &str) -> Result<(), String> {
    if (f.0 as usize) < image.functions.len() {
        Ok(())
    } else {
        Err(format!("invalid bytecode: {owner} refers to unknown function {}", f.0))
    }
}
