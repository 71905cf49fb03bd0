//! Update scripts (updates.md, "Update scripts"), step 1: turning a script into Newt code that
//! the ordinary checker and code generator handle.
//!
//! Design: the script is *desugared* into one extra module ([`SCRIPT_MODULE`]) that is checked
//! and compiled together with the new version of the program, so every name of the new version
//! resolves exactly as in the program and type errors come out as ordinary diagnostics:
//! - `update M` becomes `import M` plus `import M.{...}` of every top-level name of M's new
//!   version (so unqualified names resolve in M), followed by M's own imports and the script's.
//! - Every class of M's *running* version gets a copy of its layout (all slots, inherited ones
//!   included, no superclass, no methods) named `upd_old_C`; `old.C` / `old.M.C` in the script
//!   denotes it. Old field types are the running types, whose classes are the new classes of the
//!   same name — which is the spec's type equivalence `old.C` ↦ `C`: at commit every referenced
//!   handle holds the new object.
//! - Every generated function takes, after its own parameters, one parameter `upd_og_G` per old
//!   global `old.G` that the script reads (in a fixed order, [`Desugared::old_globals`]); the
//!   engine passes the running values.
//! - `migrate C(o: old.D) { body }` becomes `fn upd_migrate_K(upd_self: C, o: upd_old_D, ...) ->
//!   C? { body; return nil }` (`self` in the body is renamed `upd_self`): nil keeps the pre-filled
//!   `self`, another object replaces it. With `D != C` it is a **rename**: the new version must
//!   drop `D` and the running one must not have a `C`; analysis then gives `C` the class id of
//!   `D` (so every live `D` is migrated to a `C`), and every old type written with `D` — in the
//!   `upd_old_*` layouts, old globals, and the layout comparison — is read with `C` instead (the
//!   type equivalence `old.D` ↦ `C`, through `T?`, `List<T>` and `Map<K, V>`).
//! - `migrate var g: T = e` becomes `fn upd_var_K(...) -> T { return e }`.
//! - `validate "n" { body }` becomes `fn upd_validate_K(...) -> bool { body }`, and
//!   `validate each C(o: old.D) { body }` becomes `fn upd_each_K(upd_self: C, o: upd_old_D, ...)
//!   -> bool { body }`.
//!
//! Simplifications (documented in the report): the rewriting of `old.` and `self` is textual
//! (inside string literals too); the "every new field is assigned on every path that keeps
//! `self`" rule is checked on the block's syntax tree (`paths.rs`); old objects have no methods; a
//! rename rewrites type texts word by word; `migrate lazy`, policies and `remap` are rejected as
//! not supported.
//! - `reboot F => call` becomes `fn upd_reboot_K(frame: upd_dsu.Frame, ...) { call }`; the engine
//!   restarts every fiber whose entry function is `F` with it (`script_run.rs`).

use super::analyse::Rejection;
use crate::vm::Vm;
use bumpalo::Bump;
use newt_compiler::ast::{self, Item, MigrateBody, ValidateDecl};
use newt_compiler::bytecode::GlobalKind;
use newt_compiler::diag::{render_all, Diagnostic, SourceMap, Span};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// The name of the module a script is compiled into.
pub(crate) const SCRIPT_MODULE: &str = "update_script";

/// A class migration of the script.
#[derive(Debug, Clone)]
pub(crate) struct MigrateInfo {
    /// Short name of the new class (in the target module).
    pub class: String,
    /// Short name of the old class it is migrated from (differs from `class` for a rename).
    pub from: String,
    /// The generated function's qualified name.
    pub func: String,
    /// Fields the block assigns (`self.f = ...`) on every path that keeps `self`; `None` when
    /// every path returns another object (`paths.rs`).
    pub assigned: Option<std::collections::BTreeSet<String>>,
}

/// A `migrate var`.
#[derive(Debug, Clone)]
pub(crate) struct VarInfo {
    pub global: String,
    pub func: String,
}

/// A `reboot F => call`: fibers whose entry function is `F` restart by running `func(frame)`,
/// where `frame` is a snapshot of their old entry frame.
#[derive(Debug, Clone)]
pub(crate) struct RebootInfo {
    /// Short name of the rebooted function (in the target module's running version).
    pub function: String,
    /// The generated function's qualified name.
    pub func: String,
}

/// A validation block; `class` is set for `validate each`.
#[derive(Debug, Clone)]
pub(crate) struct ValidateInfo {
    pub name: String,
    pub class: Option<String>,
    pub func: String,
}

/// A script turned into a module, with what the engine needs to run its parts.
#[derive(Debug, Clone)]
pub(crate) struct Desugared {
    pub target: String,
    /// The generated module's source.
    pub text: String,
    pub migrations: Vec<MigrateInfo>,
    pub vars: Vec<VarInfo>,
    pub validations: Vec<ValidateInfo>,
    /// `reboot F => call`s.
    pub reboots: Vec<RebootInfo>,
    /// Short names of the old globals read through `old.`, in parameter order.
    pub old_globals: Vec<String>,
}

impl Desugared {
    /// The migration of class `short`, if the script has one.
    pub fn migration(&self, short: &str) -> Option<&MigrateInfo> {
        self.migrations.iter().find(|m| m.class == short)
    }

    /// The class renames of the script, as (old short name, new short name).
    pub fn renames(&self) -> Vec<(String, String)> {
        self.migrations.iter().filter(|m| m.from != m.class).map(|m| (m.from.clone(), m.class.clone())).collect()
    }
}

/// `ty` (a type as written) with every class name renamed by `renames` (old, new) replaced:
/// the spec's type equivalence under a rename, applied through any type constructor.
pub(crate) fn rename_type(ty: &str, renames: &[(String, String)]) -> String {
    if renames.is_empty() {
        return ty.to_string();
    }
    let mut out = String::with_capacity(ty.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match renames.iter().find(|(o, _)| o == word) {
            Some((_, n)) => out.push_str(n),
            None => out.push_str(word),
        }
        word.clear();
    };
    for ch in ty.chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A class layout as (field name, type as written) pairs.
pub(crate) type Fields = Vec<(String, String)>;

/// What desugaring needs of the running program, copied out of it so that a script can be
/// desugared (and the update compiled) on another thread: the live classes' layouts and the live
/// non-function globals' types, each with its module.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunningView {
    /// (module, short name, fields).
    pub classes: Vec<(String, String, Fields)>,
    /// (module, short name, type as written).
    pub globals: Vec<(String, String, String)>,
}

impl RunningView {
    /// The view of `vm`'s running version (entries removed by earlier updates left out).
    pub(crate) fn of(vm: &Vm) -> RunningView {
        let removed = &vm.dsu;
        let classes = vm
            .tables
            .classes
            .iter()
            .enumerate()
            .filter(|(i, _)| !removed.removed_classes.contains(&(*i as u32)))
            .map(|(_, c)| {
                let fields = c.fields.iter().map(|f| (f.name.clone(), f.ty.clone())).collect();
                (c.module.clone(), c.short_name.clone(), fields)
            })
            .collect();
        let globals = vm
            .tables
            .global_info
            .iter()
            .enumerate()
            .filter(|(i, g)| {
                !removed.removed_globals.contains(&(*i as u32)) && !matches!(g.slot.kind, GlobalKind::Function(_))
            })
            .map(|(_, g)| (g.slot.module.clone(), g.short_name.clone(), g.slot.ty.clone()))
            .collect();
        RunningView { classes, globals }
    }
}

/// Desugars `script` (whose display path is `path`) against the running program and the new
/// sources (`new_source(module)` gives a module's new text). A syntax error, or a construct this
/// engine does not support, is a rejection with diagnostics on the script itself.
pub(crate) fn desugar(
    running: &RunningView,
    path: &str,
    script: &str,
    new_source: &dyn Fn(&str) -> Option<String>,
) -> Result<Desugared, Rejection> {
    let arena = Bump::new();
    let mut map = SourceMap::new();
    let file = map.add(path, SCRIPT_MODULE, script);
    let (parsed, diags) = newt_compiler::parse::parse_script(&arena, file, script);
    let fail = |diags: &[Diagnostic], map: &SourceMap, what: &str| Rejection {
        reason: format!("the update script {what}"),
        diagnostics: render_all(diags, map),
    };
    let Some(s) = parsed.filter(|_| diags.iter().all(|d| d.severity != newt_compiler::diag::Severity::Error)) else {
        return Err(fail(&diags, &map, "does not parse"));
    };
    let text_of = |sp: Span| script.get(sp.start as usize..sp.end as usize).unwrap_or("").to_string();
    let target: String = s.target.segments.iter().map(|i| i.name).collect::<Vec<_>>().join(".");
    let Some(new_target) = new_source(&target) else {
        let d = Diagnostic::error(s.target.span, format!("unknown module '{target}'"));
        return Err(fail(&[d], &map, "names a module the program does not have"));
    };

    // The running version of the target: class layouts and global types.
    let mut old_classes: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (module, short, fields) in &running.classes {
        if *module == target {
            old_classes.insert(short.clone(), fields.clone());
        }
    }
    let mut old_global_types: HashMap<String, String> = HashMap::new();
    for (module, short, ty) in &running.globals {
        if *module == target {
            old_global_types.insert(short.clone(), ty.clone());
        }
    }

    // Class renames (`migrate New(o: old.Old)`): old types are read with the new names.
    let mut renames: Vec<(String, String)> = Vec::new();
    for it in s.items {
        if let Item::Migrate(m) = it {
            if let MigrateBody::Block { param, .. } = m.body {
                let class = m.class.segments.last().map(|i| i.name.to_string()).unwrap_or_default();
                if let Some(old) = old_class_of(param.ty, &target, &text_of).filter(|o| *o != class) {
                    renames.push((old, class));
                }
            }
        }
    }
    for fields in old_classes.values_mut() {
        for (_, ty) in fields.iter_mut() {
            *ty = rename_type(ty, &renames);
        }
    }
    for ty in old_global_types.values_mut() {
        *ty = rename_type(ty, &renames);
    }

    // The new version's top-level names and imports.
    let new_arena = Bump::new();
    let mut new_map = SourceMap::new();
    let new_file = new_map.add(format!("{target}.newt"), target.clone(), new_target.clone());
    let (new_mod, _) = newt_compiler::parse::parse_module(&new_arena, new_file, &new_target);
    let helper_names: HashSet<&str> = s
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Fn(f) => f.name.map(|n| n.name),
            Item::Class(c) => Some(c.name.name),
            _ => None,
        })
        .collect();
    let mut names = Vec::new();
    for it in new_mod.items {
        let n = match it {
            Item::Fn(f) => f.name.map(|n| n.name),
            Item::Class(c) => Some(c.name.name),
            Item::Global(g) => Some(g.name.name),
            _ => None,
        };
        if let Some(n) = n.filter(|n| !helper_names.contains(n) && *n != "main") {
            names.push(n.to_string());
        }
    }
    let mut imports: Vec<String> = Vec::new();
    for imp in new_mod.imports {
        let t = new_target.get(imp.span.start as usize..imp.span.end as usize).unwrap_or("").to_string();
        if !t.is_empty() && !imports.contains(&t) {
            imports.push(t);
        }
    }
    for imp in s.imports {
        let t = text_of(imp.span);
        if !t.is_empty() && !imports.contains(&t) {
            imports.push(t);
        }
    }

    let mut out = Desugared {
        target: target.clone(),
        text: String::new(),
        migrations: Vec::new(),
        vars: Vec::new(),
        validations: Vec::new(),
        reboots: Vec::new(),
        old_globals: Vec::new(),
    };
    let mut errors = Vec::new();
    let mut rw = Rewriter { target: &target, classes: &old_classes, globals: &old_global_types, used: Vec::new() };
    let mut helpers = String::new();
    let mut funcs: Vec<(String, String, String, String)> = Vec::new(); // (name, params, ret, body)
    for (k, it) in s.items.iter().enumerate() {
        match it {
            Item::Fn(f) => helpers.push_str(&format!("{}\n", text_of(f.span))),
            Item::Class(c) => helpers.push_str(&format!("{}\n", text_of(c.span))),
            Item::Global(g) => helpers.push_str(&format!("{}\n", text_of(g.span))),
            Item::Migrate(m) => {
                let class = m.class.segments.last().map(|i| i.name.to_string()).unwrap_or_default();
                let MigrateBody::Block { param, body } = m.body else {
                    errors.push(Diagnostic::error(
                        m.span,
                        "migration policies (`migrate C = ...`) are not supported yet",
                    ));
                    continue;
                };
                if m.lazy {
                    errors.push(Diagnostic::error(m.span, "`migrate lazy` is not supported yet"));
                    continue;
                }
                let Some(old) = old_class_of(param.ty, &target, &text_of) else {
                    errors.push(Diagnostic::error(param.span, "the parameter of a migration must have a type `old.C`"));
                    continue;
                };
                if !old_classes.contains_key(&old) {
                    errors.push(Diagnostic::error(param.ty.span, format!("module {target} has no class {old}")));
                    continue;
                }
                if old != class && old_classes.contains_key(&class) {
                    errors.push(Diagnostic::error(
                        m.class.span,
                        format!("cannot rename {old} to {class}: the running version already has a class {class}; migrate {class} and {old} separately"),
                    ));
                    continue;
                }
                if old != class && names.contains(&old) {
                    errors.push(Diagnostic::error(
                        param.ty.span,
                        format!("renaming {old} to {class} needs the new version to drop class {old}, but it still declares it"),
                    ));
                    continue;
                }
                if out.migrations.iter().any(|x| x.from == old) {
                    errors.push(Diagnostic::error(m.span, format!("class {old} is migrated twice")));
                    continue;
                }
                if out.migrations.iter().any(|x| x.class == class) {
                    errors.push(Diagnostic::error(m.span, format!("class {class} is migrated twice")));
                    continue;
                }
                let inner = rw.block(&text_of(body.span), true);
                let func = format!("upd_migrate_{k}");
                let cls = text_of(m.class.span);
                out.migrations.push(MigrateInfo {
                    class: class.clone(),
                    from: old.clone(),
                    func: format!("{SCRIPT_MODULE}.{func}"),
                    assigned: super::paths::assigned_on_every_keeping_path(&body),
                });
                let params = format!("upd_self: {cls}, {}: upd_old_{old}", param.name.name);
                funcs.push((func, params, format!("{cls}?"), format!("{inner}\nreturn nil\n")));
            }
            Item::MigrateVar(g) => {
                let Some(ty) = g.ty else {
                    errors
                        .push(Diagnostic::error(g.span, "`migrate var` needs the new type: `migrate var g: T = ...`"));
                    continue;
                };
                let func = format!("upd_var_{k}");
                let e = rw.block(&text_of(g.init.span), false);
                out.vars.push(VarInfo { global: g.name.name.to_string(), func: format!("{SCRIPT_MODULE}.{func}") });
                funcs.push((func, String::new(), text_of(ty.span), format!("return ({e})\n")));
            }
            Item::Validate(ValidateDecl::Named { name, body, .. }) => {
                let func = format!("upd_validate_{k}");
                let inner = rw.block(&text_of(body.span), false);
                out.validations.push(ValidateInfo {
                    name: name.to_string(),
                    class: None,
                    func: format!("{SCRIPT_MODULE}.{func}"),
                });
                funcs.push((func, String::new(), "bool".into(), inner));
            }
            Item::Validate(ValidateDecl::Each { class, param, body, span }) => {
                let cname = class.segments.last().map(|i| i.name.to_string()).unwrap_or_default();
                let Some(old) = old_class_of(param.ty, &target, &text_of).filter(|o| old_classes.contains_key(o))
                else {
                    errors.push(Diagnostic::error(
                        *span,
                        "`validate each` needs a parameter `o: old.C` of a class of the updated module",
                    ));
                    continue;
                };
                let func = format!("upd_each_{k}");
                let inner = rw.block(&text_of(body.span), true);
                out.validations.push(ValidateInfo {
                    name: format!("each {cname}"),
                    class: Some(cname),
                    func: format!("{SCRIPT_MODULE}.{func}"),
                });
                let params = format!("upd_self: {}, {}: upd_old_{old}", text_of(class.span), param.name.name);
                funcs.push((func, params, "bool".into(), inner));
            }
            Item::Remap(r) => errors.push(Diagnostic::error(r.span, "`remap` is not supported yet")),
            Item::Reboot(r) => {
                let function = r.function.segments.last().map(|i| i.name.to_string()).unwrap_or_default();
                if out.reboots.iter().any(|x| x.function == function) {
                    errors.push(Diagnostic::error(r.span, format!("{function} is rebooted twice")));
                    continue;
                }
                let func = format!("upd_reboot_{k}");
                let call = rw.block(&text_of(r.call.span), false);
                out.reboots.push(RebootInfo { function, func: format!("{SCRIPT_MODULE}.{func}") });
                funcs.push((func, "frame: upd_dsu.Frame".into(), String::new(), format!("{call}\n")));
            }
        }
    }
    if !errors.is_empty() {
        return Err(fail(&errors, &map, "uses what this engine does not support"));
    }
    out.old_globals = rw.used.clone();
    let og_params: Vec<String> =
        rw.used.iter().map(|g| format!("upd_og_{g}: {}", old_global_types.get(g).map_or("any", |t| t))).collect();

    // Assemble the module.
    let t = &mut out.text;
    // The generated module needs a `fn main` of its own (it is the root of the check), so a
    // target whose binding name is `main` is imported under another name; its definitions are
    // still reachable unqualified through the `import M.{...}` below.
    if target.rsplit('.').next() == Some("main") {
        let _ = writeln!(t, "import {target} as upd_target");
    } else {
        let _ = writeln!(t, "import {target}");
    }
    if !names.is_empty() {
        let _ = writeln!(t, "import {target}.{{{}}}", names.join(", "));
    }
    if !out.reboots.is_empty() {
        let _ = writeln!(t, "import std.dsu as upd_dsu");
    }
    for i in &imports {
        let _ = writeln!(t, "{i}");
    }
    let mut class_names: Vec<&String> = old_classes.keys().collect();
    class_names.sort();
    for c in class_names {
        let fields: Vec<String> = old_classes[c].iter().map(|(n, ty)| format!("    {n}: {ty}\n")).collect();
        let _ = writeln!(t, "class upd_old_{c} {{\n{}}}", fields.concat());
    }
    t.push_str(&helpers);
    for (name, params, ret, body) in funcs {
        let mut ps: Vec<String> = Vec::new();
        if !params.is_empty() {
            ps.push(params);
        }
        ps.extend(og_params.iter().cloned());
        let arrow = if ret.is_empty() { String::new() } else { format!(" -> {ret}") };
        let _ = writeln!(t, "fn {name}({}){arrow} {{\n{body}\n}}", ps.join(", "));
    }
    Ok(out)
}

/// The old class a parameter type `old.C` / `old.M.C` names (short name).
fn old_class_of(ty: &ast::TypeExpr, target: &str, text_of: &dyn Fn(Span) -> String) -> Option<String> {
    let t = text_of(ty.span);
    let rest = t.trim().strip_prefix("old.")?;
    let rest = rest.strip_prefix(&format!("{target}.")).unwrap_or(rest);
    (!rest.is_empty() && rest.chars().all(|c| c.is_alphanumeric() || c == '_')).then(|| rest.to_string())
}

/// Rewrites `old.X` and (in blocks with a `self`) `self` in script code.
struct Rewriter<'s> {
    target: &'s str,
    classes: &'s HashMap<String, Vec<(String, String)>>,
    globals: &'s HashMap<String, String>,
    /// Old globals read so far, in first-use order.
    used: Vec<String>,
}

impl Rewriter<'_> {
    /// The inside of a block (`{ ... }` stripped when present), rewritten.
    fn block(&mut self, text: &str, has_self: bool) -> String {
        let t = text.trim();
        let inner = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(t);
        let mut out = String::with_capacity(inner.len() + 16);
        let b = inner.as_bytes();
        let mut i = 0;
        while i < inner.len() {
            let prev_ident = i > 0 && is_ident(b[i - 1]);
            let prev_dot = i > 0 && b[i - 1] == b'.';
            if !prev_ident && !prev_dot {
                if let Some(word) = word_at(inner, i) {
                    if word == "self" && has_self {
                        out.push_str("upd_self");
                        i += word.len();
                        continue;
                    }
                    if word == "old" && inner[i + 3..].starts_with('.') {
                        let mut j = i + 4;
                        let mut name = word_at(inner, j).unwrap_or("");
                        if name == self.target && inner[j + name.len()..].starts_with('.') {
                            j += name.len() + 1;
                            name = word_at(inner, j).unwrap_or("");
                        }
                        if self.classes.contains_key(name) {
                            out.push_str(&format!("upd_old_{name}"));
                            i = j + name.len();
                            continue;
                        }
                        if self.globals.contains_key(name) {
                            if !self.used.iter().any(|u| u == name) {
                                self.used.push(name.to_string());
                            }
                            out.push_str(&format!("upd_og_{name}"));
                            i = j + name.len();
                            continue;
                        }
                    }
                }
            }
            let ch = inner[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
        out
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The identifier starting at byte `i`, if any.
fn word_at(s: &str, i: usize) -> Option<&str> {
    let rest = s.get(i..)?;
    let first = rest.bytes().next()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let end = rest.bytes().position(|b| !is_ident(b)).unwrap_or(rest.len());
    rest.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewriter_maps_old_names_and_self() {
        let classes: HashMap<String, Vec<(String, String)>> = [("P".to_string(), vec![])].into_iter().collect();
        let globals: HashMap<String, String> = [("g".to_string(), "int".to_string())].into_iter().collect();
        let mut rw = Rewriter { target: "app", classes: &classes, globals: &globals, used: Vec::new() };
        let out = rw.block("{ self.x = old.g + old.app.g; let q: old.P? = nil; myself.y = 1 }", true);
        assert_eq!(out.trim(), "upd_self.x = upd_og_g + upd_og_g; let q: upd_old_P? = nil; myself.y = 1");
        assert_eq!(rw.used, vec!["g".to_string()]);
    }
}
