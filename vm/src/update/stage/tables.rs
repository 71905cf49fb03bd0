//! Step 4a: the new tables, built beside the running ones. Every new or changed function is
//! verified and loaded, classes and the global table are extended or replaced entry by entry, and
//! the list of initialisers to run is computed. The running tables are not touched: the result is
//! a separate [`Tables`] value that commit installs (and rollback discards).
//!
//! Invariant: every function of the running tables is still reachable from the staged ones (in
//! `functions`, or in `retired` when replaced), so a collection while the staged tables are
//! installed keeps the constants of the old code alive for a rollback.

use crate::globals::{GlobalInfo, RtClass, Tables};
use crate::load::make_function;
use crate::update::analyse::{ClassAction, FnAction, GlobalAction, Plan};
use crate::value::Value;
use crate::verify::{verify_function, VerifyEnv};
use crate::vm::Vm;
use newt_compiler::bytecode::{CaptureSrc, FuncProto, GlobalKind, ProtoKind};
use newt_compiler::types::FuncId;
use std::collections::HashMap;
use std::rc::Rc;

/// The staged tables plus the initialisers staging must run once they are installed.
pub(crate) struct Staged {
    pub tables: Tables,
    /// (global slot, initialiser) in initialisation order: new vars and consts, changed consts.
    pub inits: Vec<(u32, FuncId)>,
}

/// The verifier's view of the staged tables, with the new functions' captures.
struct StageEnv<'a> {
    tables: &'a Tables,
    lambdas: HashMap<u32, &'a FuncProto>,
}

impl VerifyEnv for StageEnv<'_> {
    fn global_count(&self) -> usize {
        self.tables.globals.len()
    }

    fn class_shape(&self, class: u32) -> Option<(usize, usize)> {
        VerifyEnv::class_shape(self.tables, class)
    }

    fn lambda_captures(&self, func: u32) -> Option<&[CaptureSrc]> {
        match self.lambdas.get(&func) {
            Some(p) => matches!(p.kind, ProtoKind::Lambda { .. }).then_some(p.captures.as_slice()),
            None => VerifyEnv::lambda_captures(self.tables, func),
        }
    }
}

/// Builds the staged tables for `plan` (see the module docs). An error names the function the
/// verifier refused; nothing has changed then.
pub(crate) fn stage_tables(vm: &mut Vm, plan: &Plan) -> Result<Staged, String> {
    let cur = &vm.tables;
    let mut t = Tables {
        functions: cur.functions.clone(),
        retired: cur.retired.clone(),
        classes: cur.classes.clone(),
        globals: cur.globals.clone(),
        global_info: cur.global_info.clone(),
        modules: plan.image.modules.clone(),
        root_module: cur.root_module.clone(),
    };
    for (i, c) in plan.image.classes.iter().enumerate() {
        let id = plan.cmap[i];
        // Unchanged classes stay shared with the running tables: the pause does not grow with them.
        match plan.class_actions[i] {
            ClassAction::Keep => {}
            ClassAction::Replace { .. } => {
                t.replace_class(RtClass::from_proto(id, c));
            }
            ClassAction::Add => {
                if id.0 as usize != t.classes.len() {
                    return Err(format!("internal: class {} staged out of order", c.name));
                }
                t.add_class(RtClass::from_proto(id, c));
            }
        }
    }
    let mut slot_index = HashMap::new();
    for (i, g) in plan.image.globals.iter().enumerate() {
        let slot = plan.gmap[i];
        if plan.global_actions[i] == GlobalAction::Keep {
            continue;
        }
        // Only globals that run an initialiser are looked up below.
        if plan.global_actions[i] == GlobalAction::Init {
            slot_index.insert(slot, i);
        }
        let short_name = g.name.strip_prefix(&format!("{}.", g.module)).unwrap_or(&g.name).to_string();
        let info = Rc::new(GlobalInfo { slot: g.clone(), short_name });
        let value = match g.kind {
            GlobalKind::Function(f) => Value::Func(f),
            _ => Value::Undef,
        };
        match plan.global_actions[i] {
            GlobalAction::Keep => {}
            GlobalAction::Info | GlobalAction::Init if (slot as usize) < t.globals.len() => {
                if let GlobalKind::Function(f) = g.kind {
                    t.globals[slot as usize] = Value::Func(f);
                }
                t.global_info[slot as usize] = info;
            }
            _ => {
                if slot as usize != t.globals.len() {
                    return Err(format!("internal: global {} staged out of order", g.name));
                }
                t.globals.push(value);
                t.global_info.push(info);
            }
        }
    }
    let mut inits = Vec::new();
    for m in &plan.image.modules {
        for &slot in &m.init_order {
            let Some(&i) = slot_index.get(&slot) else { continue };
            if plan.global_actions[i] == GlobalAction::Init {
                match plan.image.globals[i].kind {
                    GlobalKind::Var { init } | GlobalKind::Const { init } => inits.push((slot, init)),
                    GlobalKind::Function(_) => {}
                }
            }
        }
    }
    // Verify every new or changed function against the staged shapes, then load them.
    // The verifier looks up the captures of lambdas the new code makes: new or changed ones come
    // from the image, the others are the running tables'.
    let lambdas: HashMap<u32, &FuncProto> = plan
        .image
        .functions
        .iter()
        .enumerate()
        .filter(|(i, _)| plan.fn_actions[*i] != FnAction::Keep)
        .map(|(i, p)| (plan.fmap[i].0, p))
        .collect();
    let mut loaded = Vec::new();
    {
        let env = StageEnv { tables: &t, lambdas };
        for (i, p) in plan.image.functions.iter().enumerate() {
            if plan.fn_actions[i] == FnAction::Keep {
                continue;
            }
            let depth = verify_function(p, &env).map_err(|e| format!("invalid bytecode in {}: {e}", p.name))?;
            loaded.push((i, depth));
        }
    }
    let root = t.root_module.clone();
    for (i, depth) in loaded {
        let id = plan.fmap[i];
        let f = make_function(id, plan.image.functions[i].clone(), depth, &root, &mut vm.heap);
        match plan.fn_actions[i] {
            FnAction::Add => {
                if id.0 as usize != t.functions.len() {
                    return Err(format!("internal: function {} staged out of order", f.proto.name));
                }
                t.push_function(f);
            }
            _ => {
                t.replace_function(f);
            }
        }
    }
    Ok(Staged { tables: t, inits })
}
