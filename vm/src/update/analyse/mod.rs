//! Step 1 of an update: compile the new version and compare it with the running one.
//!
//! The new modules are overlaid on the running program's sources and the *whole* program is
//! checked again (so an unchanged module that calls a function whose signature changed is
//! rejected, never crashed), then compiled to a fresh [`Image`]. That image uses its own id
//! spaces; analysis maps them onto the VM's by qualified name — an existing function, class or
//! global keeps its id, a new one gets the next free id, a removed one keeps its entry but loses
//! its name — and rewrites every operand that names an id (global slots, classes, lambdas, type
//! tests). After that, "did this function change" is a plain comparison of instruction streams,
//! which is exactly the spec's definition of an affected function (its bytecode changes, whether
//! because its source did or because a layout or signature it uses did).
//!
//! Nothing here changes the running program: the result is a [`Plan`] for staging, or a
//! [`Rejection`] with the diagnostics `newt check` would print.

pub(crate) mod layout;
pub(crate) mod remap;
mod script;
pub(crate) mod translate;

use crate::update::prepare::Prepared;
use crate::update::report::ChangeSet;
use crate::update::state::ModuleSource;
use crate::vm::Vm;
use layout::plan_migration;
pub(crate) use layout::ClassMigration;
use newt_compiler::bytecode::{GlobalKind, Image, Op, ProtoKind};
use newt_compiler::types::{ClassId, FuncId};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The default time to wait for a safe point.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the caller asks for: new sources for some modules.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    /// New (or added) modules; every other module keeps its running source.
    pub modules: Vec<ModuleSource>,
    /// How long to wait for a safe point before aborting.
    pub timeout: Duration,
    /// Stop after analysis (report the change set or the rejection; change nothing).
    pub dry_run: bool,
    /// The update script, if any (`module` is ignored; `path` is shown in diagnostics).
    pub script: Option<ModuleSource>,
    /// Development mode (the REPL, `newt run --watch`): every changed function that is on a
    /// stack is remapped when its frames can be mapped, as if the script said `remap F`.
    pub develop: bool,
}

impl UpdateRequest {
    /// A request replacing module `module` with `text` (its display path is derived from the name).
    pub fn module(module: &str, text: &str) -> UpdateRequest {
        UpdateRequest { modules: Vec::new(), timeout: DEFAULT_TIMEOUT, dry_run: false, script: None, develop: false }
            .with(module, text)
    }

    /// Adds (or replaces) one more module.
    pub fn with(mut self, module: &str, text: &str) -> UpdateRequest {
        let path = format!("{}.newt", module.replace('.', "/"));
        self.modules.retain(|m| m.module != module);
        self.modules.push(ModuleSource { module: module.into(), path, text: text.into() });
        self
    }

    /// Adds an update script (see updates.md, "Update scripts").
    pub fn script(mut self, text: &str) -> UpdateRequest {
        let module = newt_compiler::check::SCRIPT_MODULE.to_string();
        self.script = Some(ModuleSource { module, path: "update.newt".into(), text: text.into() });
        self
    }

    /// Development mode (see [`UpdateRequest::develop`]).
    pub fn develop(mut self, on: bool) -> UpdateRequest {
        self.develop = on;
        self
    }

    /// Sets the safe-point timeout.
    pub fn timeout(mut self, t: Duration) -> UpdateRequest {
        self.timeout = t;
        self
    }
}

/// Why analysis refused an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
    /// Rendered compiler diagnostics (empty for the engine's own rejections).
    pub diagnostics: String,
}

impl Rejection {
    pub(crate) fn new(reason: impl Into<String>) -> Rejection {
        Rejection { reason: reason.into(), diagnostics: String::new() }
    }
}

/// What staging does with one function of the new image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FnAction {
    /// Identical to the running version: keep the running `Function`.
    Keep,
    /// Install under the same id. `affected` when the instructions differ (no frame may be
    /// running it at commit); otherwise only metadata (lines, locals, hash) changed.
    Replace { affected: bool },
    /// A new id.
    Add,
}

/// What staging does with one class of the new image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClassAction {
    Keep,
    /// Install under the same id; `layout` when live instances need a new layout.
    Replace {
        layout: bool,
    },
    Add,
}

/// What staging does with one global slot of the new image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobalAction {
    Keep,
    /// Update the slot's description; a var keeps its value, a function slot gets its function.
    Info,
    /// Run the initialiser (a new var or const, or a const whose initialiser changed).
    Init,
    /// A new function slot.
    AddFunction,
}

/// The result of analysis: the translated new image and what to do with each entry.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The new image, its operands rewritten into the VM's id spaces; its vectors are still
    /// indexed by the image's own ids (use the maps).
    pub image: Image,
    pub fmap: Vec<FuncId>,
    pub cmap: Vec<ClassId>,
    pub gmap: Vec<u32>,
    pub fn_actions: Vec<FnAction>,
    pub class_actions: Vec<ClassAction>,
    pub global_actions: Vec<GlobalAction>,
    /// VM function ids that no stack may hold at commit (changed code, removed).
    pub affected: HashSet<u32>,
    /// For each affected function that the update replaces in place and whose running code never
    /// jumps back to instruction 0 (so "pc 0" means "just entered"): the new version's arity. A
    /// fiber stopped exactly at the entry of such a function does not hold the update back when
    /// the arity is unchanged: it is held there and enters the new version after commit.
    pub entry_arity: HashMap<u32, u8>,
    pub removed_funcs: Vec<u32>,
    pub removed_classes: Vec<u32>,
    pub removed_globals: Vec<u32>,
    pub migrations: Vec<ClassMigration>,
    pub changes: ChangeSet,
    /// The sources of the new version (become the base of the next update).
    pub sources: Vec<ModuleSource>,
    /// The update script's parts to run in staging (the image's script section, in the VM's id
    /// spaces), if there is a script.
    pub script: Option<script::ScriptPlan>,
    /// How frames of remapped functions move to the new code (`remap F`, or development mode).
    pub remaps: remap::Remaps,
}

/// Analyses `req` against the running program (see the module docs). May run a collection (to
/// count the live instances of removed classes), so call it only where every value is rooted.
pub(crate) fn analyse(vm: &mut Vm, req: &UpdateRequest) -> Result<Plan, Rejection> {
    let base = crate::update::prepare::AnalysisBase::of(vm);
    let prepared = base.prepare(req)?;
    analyse_prepared(vm, prepared)
}

/// The part of analysis that needs the running VM: maps the compiled new version onto it
/// (`diff`) and resolves the update script's parts. `prepared` must have been compiled against
/// the VM's current version (no commit since its `AnalysisBase` was taken).
pub(crate) fn analyse_prepared(vm: &mut Vm, prepared: Prepared) -> Result<Plan, Rejection> {
    let Prepared { image, sources, develop } = prepared;
    let mut plan = diff(vm, image, sources)?;
    if let Some(sc) = plan.image.script.clone() {
        plan.script = Some(script::resolve(vm, sc).map_err(Rejection::new)?);
    }
    plan.remaps = remap::build(vm, &plan, develop);
    // A script's own code is installed for one update only: it is never part of a change set.
    let own = format!("{}.", newt_compiler::check::SCRIPT_MODULE);
    for c in [&mut plan.changes.functions, &mut plan.changes.classes, &mut plan.changes.globals] {
        c.added.retain(|n| !n.starts_with(&own));
        c.removed.retain(|n| !n.starts_with(&own));
    }
    Ok(plan)
}

/// Keys names by (name, occurrence) so that two entries with one name stay distinct.
fn keyed<'a>(items: impl Iterator<Item = (u32, &'a str)>) -> HashMap<(String, u32), u32> {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut out = HashMap::new();
    for (id, name) in items {
        let n = seen.entry(name).or_insert(0);
        out.insert((name.to_string(), *n), id);
        *n += 1;
    }
    out
}

/// The (name, occurrence) key of each entry of a list of names.
fn keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<(String, u32)> {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    names
        .map(|name| {
            let n = seen.entry(name).or_insert(0);
            *n += 1;
            (name.to_string(), *n - 1)
        })
        .collect()
}

/// Maps the image's ids onto the VM's, decides every action and computes the change set.
fn diff(vm: &mut Vm, mut image: Image, sources: Vec<ModuleSource>) -> Result<Plan, Rejection> {
    let t = &vm.tables;
    let removed = &vm.dsu;
    let old_f = keyed(
        t.functions
            .iter()
            .enumerate()
            .filter(|(i, _)| !removed.removed_funcs.contains(&(*i as u32)))
            .map(|(i, f)| (i as u32, f.proto.name.as_str())),
    );
    let old_c = keyed(
        t.classes
            .iter()
            .enumerate()
            .filter(|(i, _)| !removed.removed_classes.contains(&(*i as u32)))
            .map(|(i, c)| (i as u32, c.name.as_str())),
    );
    let old_g = keyed(
        t.global_info
            .iter()
            .enumerate()
            .filter(|(i, _)| !removed.removed_globals.contains(&(*i as u32)))
            .map(|(i, g)| (i as u32, g.slot.name.as_str())),
    );

    // Ids: existing names keep theirs, new names get fresh ones.
    let mut matched_f = HashSet::new();
    let mut next = t.functions.len() as u32;
    let mut fmap = Vec::with_capacity(image.functions.len());
    let mut fresh_f = Vec::with_capacity(image.functions.len());
    for (key, f) in keys(image.functions.iter().map(|f| f.name.as_str())).into_iter().zip(&image.functions) {
        let old = old_f.get(&key).copied().filter(|&id| {
            // A lambda whose captures changed cannot take over the old one's closures.
            let o = &t.functions[id as usize].proto;
            !(matches!(o.kind, ProtoKind::Lambda { .. }) && o.captures != f.captures)
        });
        match old {
            Some(id) => {
                matched_f.insert(id);
                fmap.push(FuncId(id));
                fresh_f.push(false);
            }
            None => {
                fmap.push(FuncId(next));
                next += 1;
                fresh_f.push(true);
            }
        }
    }
    // Class renames of the script (a migration from a running class of another name): the
    // renamed class takes over the old class's id, so its live instances are migrated like those
    // of a changed class, and types written with either name are the same type.
    let renamed: HashMap<usize, u32> = image
        .script
        .iter()
        .flat_map(|s| s.migrations.iter())
        .filter(|m| {
            t.classes.get(m.from.0 as usize).map(|c| &c.name) != image.classes.get(m.class.0 as usize).map(|c| &c.name)
        })
        .map(|m| (m.class.0 as usize, m.from.0))
        .collect();
    let mut matched_c = HashSet::new();
    let mut next = t.classes.len() as u32;
    let mut cmap = Vec::with_capacity(image.classes.len());
    for (i, key) in keys(image.classes.iter().map(|c| c.name.as_str())).into_iter().enumerate() {
        match old_c.get(&key).or_else(|| renamed.get(&i)) {
            Some(&id) => {
                matched_c.insert(id);
                cmap.push(ClassId(id));
            }
            None => {
                cmap.push(ClassId(next));
                next += 1;
            }
        }
    }
    let mut matched_g = HashSet::new();
    let mut next = t.globals.len() as u32;
    let mut gmap = Vec::with_capacity(image.globals.len());
    for key in keys(image.globals.iter().map(|g| g.name.as_str())) {
        match old_g.get(&key) {
            Some(&id) => {
                matched_g.insert(id);
                gmap.push(id);
            }
            None => {
                gmap.push(next);
                next += 1;
            }
        }
    }

    crate::update::analyse::translate::translate(&mut image, &fmap, &cmap, &gmap);
    let script = image.script.clone();
    let script = script.as_ref();

    let mut reasons = Vec::new();
    let mut changes = ChangeSet::default();
    let mut affected = HashSet::new();

    // Functions.
    let mut fn_actions = Vec::with_capacity(image.functions.len());
    for (i, p) in image.functions.iter().enumerate() {
        let id = fmap[i];
        let reported = matches!(p.kind, ProtoKind::Module | ProtoKind::Method { .. });
        if fresh_f[i] {
            fn_actions.push(FnAction::Add);
            if reported {
                changes.functions.added.push(p.name.clone());
            }
            continue;
        }
        let o = &t.functions[id.0 as usize].proto;
        let same_code = o.code == p.code
            && o.consts == p.consts
            && o.captures == p.captures
            && o.arity == p.arity
            && o.num_locals == p.num_locals
            && o.kind == p.kind;
        let same_meta = o.lines == p.lines
            && o.locals == p.locals
            && o.hash == p.hash
            && o.path == p.path
            && o.calls == p.calls
            && o.hidden_base == p.hidden_base
            && o.local_inits.len() == p.local_inits.len();
        let action = if same_code && same_meta { FnAction::Keep } else { FnAction::Replace { affected: !same_code } };
        if !same_code {
            affected.insert(id.0);
        }
        if reported && (!same_code || o.hash != p.hash) {
            changes.functions.changed.push(p.name.clone());
        }
        fn_actions.push(action);
    }
    let mut removed_funcs = Vec::new();
    for &id in old_f.values() {
        if !matched_f.contains(&id) {
            removed_funcs.push(id);
            affected.insert(id);
            let o = &t.functions[id as usize].proto;
            if matches!(o.kind, ProtoKind::Module | ProtoKind::Method { .. }) {
                changes.functions.removed.push(o.name.clone());
            }
        }
    }
    removed_funcs.sort_unstable();
    let entry_arity = fn_actions
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a, FnAction::Replace { affected: true }))
        .filter(|(i, _)| t.functions.get(fmap[*i].0 as usize).is_some_and(|f| entry_is_distinct(&f.proto.code)))
        .map(|(i, _)| (fmap[i].0, image.functions[i].arity))
        .collect();

    // Classes. A class is affected when its layout changed or its superclass's did (updates.md,
    // "Words"): its instances are rebuilt even when their own slots line up.
    let own_layout_changed: Vec<bool> = image
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| match t.classes.get(cmap[i].0 as usize).filter(|_| matched_c.contains(&cmap[i].0)) {
            Some(o) => {
                o.superclass != c.superclass
                    || o.fields.len() != c.fields.len()
                    || o.fields.iter().zip(&c.fields).any(|(a, b)| a.name != b.name || a.static_ty != b.static_ty)
            }
            None => true,
        })
        .collect();
    let index_of: HashMap<u32, usize> = cmap.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
    let layout_changed = |i: usize| {
        let mut cur = Some(i);
        for _ in 0..=image.classes.len() {
            let Some(k) = cur else { return false };
            if own_layout_changed[k] {
                return true;
            }
            cur = image.classes[k].superclass.and_then(|s| index_of.get(&s.0).copied());
        }
        false
    };
    let mut class_actions = Vec::with_capacity(image.classes.len());
    let mut migrations = Vec::new();
    for (i, c) in image.classes.iter().enumerate() {
        let id = cmap[i];
        let Some(o) = t.classes.get(id.0 as usize).filter(|_| matched_c.contains(&id.0)) else {
            class_actions.push(ClassAction::Add);
            changes.classes.added.push(c.name.clone());
            continue;
        };
        let same_layout = !layout_changed(i);
        let same_rest = o.fields.iter().zip(&c.fields).all(|(a, b)| a.default == b.default && a.ty == b.ty)
            && o.type_params == c.type_params
            && o.method_types == c.method_types
            && o.vtable.len() == c.vtable.len()
            && o.vtable.iter().zip(&c.vtable).all(|(a, (n, f))| a == f && o.method_names.contains(n))
            && o.method_names.iter().zip(&c.vtable).all(|(a, (n, _))| a == n)
            && o.short_name == c.short_name
            && o.module == c.module;
        // A class with a script migration is migrated even when its layout is unchanged.
        let scripted = script.and_then(|s| s.migrations.iter().find(|m| m.class == id));
        if o.name != c.name {
            changes.classes.changed.push(format!("{} (renamed from {})", c.name, o.name));
        }
        if same_layout && same_rest && scripted.is_none() {
            class_actions.push(ClassAction::Keep);
            continue;
        }
        class_actions.push(ClassAction::Replace { layout: !same_layout || scripted.is_some() });
        if !(same_layout && same_rest) && o.name == c.name {
            changes.classes.changed.push(c.name.clone());
        }
        if !same_layout || scripted.is_some() {
            migrations.push(plan_migration(id, o, c, scripted, &mut Vec::new()));
        }
    }
    let mut removed_classes = Vec::new();
    for &id in old_c.values() {
        if !matched_c.contains(&id) {
            removed_classes.push(id);
            changes.classes.removed.push(t.classes[id as usize].name.clone());
        }
    }
    removed_classes.sort_unstable();

    // Globals (function slots follow their functions; vars and consts are reported).
    let new_index: HashMap<u32, usize> = fmap.iter().enumerate().map(|(k, f)| (f.0, k)).collect();
    let old_hash = |f: FuncId| t.functions.get(f.0 as usize).map(|f| f.proto.hash);
    let new_hash = |f: FuncId| new_index.get(&f.0).map(|&k| image.functions[k].hash);
    let mut global_actions = Vec::with_capacity(image.globals.len());
    for (i, g) in image.globals.iter().enumerate() {
        let slot = gmap[i];
        let Some(o) = t.global_info.get(slot as usize).filter(|_| matched_g.contains(&slot)) else {
            match g.kind {
                GlobalKind::Function(_) => global_actions.push(GlobalAction::AddFunction),
                _ => {
                    global_actions.push(GlobalAction::Init);
                    changes.globals.added.push(g.name.clone());
                }
            }
            continue;
        };
        let short = &o.short_name;
        let action = match (&o.slot.kind, &g.kind) {
            (GlobalKind::Function(a), GlobalKind::Function(b)) => {
                if a == b && o.slot.ty == g.ty && o.slot.static_ty == g.static_ty {
                    GlobalAction::Keep
                } else {
                    GlobalAction::Info
                }
            }
            (GlobalKind::Var { init: a }, GlobalKind::Var { init: b }) => {
                let migrated = script.is_some_and(|s| s.vars.iter().any(|v| v.global == slot));
                let same_ty = o.slot.static_ty == g.static_ty;
                if !same_ty && !migrated {
                    reasons.push(format!(
                        "global '{}' changed type from {} to {}; add `migrate var {short}: {} = ...` to the update script",
                        g.name, o.slot.ty, g.ty, g.ty
                    ));
                }
                if old_hash(*a) != new_hash(*b) {
                    changes.globals.changed.push(g.name.clone());
                }
                if a == b && o.slot.ty == g.ty && o.slot.static_ty == g.static_ty {
                    GlobalAction::Keep
                } else {
                    GlobalAction::Info
                }
            }
            (GlobalKind::Const { init: a }, GlobalKind::Const { init: b }) => {
                let init_changed = a != b || affected.contains(&b.0) || old_hash(*a) != new_hash(*b);
                if init_changed || o.slot.ty != g.ty {
                    changes.globals.changed.push(g.name.clone());
                    GlobalAction::Init
                } else {
                    GlobalAction::Keep
                }
            }
            (a, b) => {
                reasons.push(format!(
                    "global '{}' changed from a {} to a {}; remove it and add a new one under another name",
                    g.name,
                    kind_name(a),
                    kind_name(b)
                ));
                GlobalAction::Keep
            }
        };
        global_actions.push(action);
    }
    let mut removed_globals = Vec::new();
    for &slot in old_g.values() {
        if !matched_g.contains(&slot) {
            removed_globals.push(slot);
            let g = &t.global_info[slot as usize].slot;
            if !matches!(g.kind, GlobalKind::Function(_)) {
                changes.globals.removed.push(g.name.clone());
            }
        }
    }
    removed_globals.sort_unstable();

    // A class the default policy cannot rebuild is a rejection only when it has live instances
    // of its own (the registry may still list garbage: collect once before believing it).
    if migrations.iter().any(|m| !m.reasons.is_empty() && !vm.heap.instances_of(&[m.class]).is_empty()) {
        vm.collect();
    }
    for m in &mut migrations {
        if !m.reasons.is_empty() && !vm.heap.instances_of(&[m.class]).is_empty() {
            reasons.append(&mut m.reasons);
        }
    }
    // A closure that cannot be relinked keeps its old code; that code must not read or build
    // objects whose layout changes (it would use the old slots).
    if !migrations.is_empty() {
        stale_closures(vm, &removed_funcs, &mut reasons);
    }
    // A removed class with live instances has nowhere to go without a migration.
    if !removed_classes.is_empty() {
        // The registry may still list garbage: collect only when it lists something.
        let listed = removed_classes.iter().any(|&id| !vm.heap.instances_of(&[ClassId(id)]).is_empty());
        if listed {
            vm.collect();
        }
        for &id in &removed_classes {
            let n = vm.heap.instances_of(&[ClassId(id)]).len();
            if n > 0 {
                let name = &vm.tables.classes[id as usize].short_name;
                reasons.push(format!(
                    "class {} is removed but has {n} live instance{}; add a migration (`migrate NewClass(o: old.{name})`) to the update script or keep the class",
                    vm.tables.classes[id as usize].name,
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
    }
    if reasons.is_empty() {
        if let Err(e) = crate::update::validate::system::check_removed_code(vm, &removed_funcs) {
            reasons.push(e);
        }
    }
    if !reasons.is_empty() {
        return Err(Rejection::new(reasons.join("; ")));
    }
    for c in [&mut changes.functions, &mut changes.classes, &mut changes.globals] {
        c.added.sort();
        c.changed.sort();
        c.removed.sort();
    }
    Ok(Plan {
        entry_arity,
        image,
        fmap,
        cmap,
        gmap,
        fn_actions,
        class_actions,
        global_actions,
        affected,
        removed_funcs,
        removed_classes,
        removed_globals,
        migrations,
        changes,
        sources,
        script: None,
        remaps: remap::Remaps::new(),
    })
}

/// Adds a reason for every live closure of a superseded lambda whose old code touches fields.
fn stale_closures(vm: &mut Vm, removed_funcs: &[u32], reasons: &mut Vec<String>) {
    let touches_fields = |id: u32| {
        vm.tables.functions.get(id as usize).is_some_and(|f| {
            matches!(f.proto.kind, ProtoKind::Lambda { .. })
                && f.proto
                    .code
                    .iter()
                    .any(|op| matches!(op, Op::GetField(_) | Op::SetField(_) | Op::LoadLocalField(..) | Op::New(..)))
        })
    };
    let stale: HashSet<u32> = removed_funcs.iter().copied().filter(|&id| touches_fields(id)).collect();
    if stale.is_empty() {
        return;
    }
    vm.collect();
    let mut found = HashSet::new();
    for i in 0..vm.heap.table_len() {
        if let Some(obj) = vm.heap.entry(crate::heap::Handle(i as u32)) {
            // The one walk over objects: a closure shows its function as `Value::Func`.
            obj.for_each_value(|v| {
                if let crate::value::Value::Func(f) = v {
                    if stale.contains(&f.0) {
                        found.insert(f.0);
                    }
                }
            });
        }
    }
    let mut found: Vec<u32> = found.into_iter().collect();
    found.sort_unstable();
    for id in found {
        if let Some(f) = vm.tables.functions.get(id as usize) {
            reasons.push(format!(
                "a live closure created at {}:{} ({}) cannot be relinked because its captured variables changed, and its old code uses fields of objects whose layout changes; keep its captures unchanged or let it end before updating",
                f.proto.path,
                f.proto.lines.first().copied().unwrap_or(0),
                f.proto.name
            ));
        }
    }
}

/// True when no jump of `code` targets instruction 0 (offsets are relative to the next
/// instruction), so a frame at pc 0 has just been entered.
fn entry_is_distinct(code: &[Op]) -> bool {
    code.iter().enumerate().all(|(i, op)| newt_compiler::codegen::stack::jump_target(op, i) != Some(0))
}

fn kind_name(k: &GlobalKind) -> &'static str {
    match k {
        GlobalKind::Function(_) => "function",
        GlobalKind::Var { .. } => "var",
        GlobalKind::Const { .. } => "const",
    }
}
