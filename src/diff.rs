//! `newt diff OLD NEW`: the change set between two versions of a program, and a skeleton update
//! script with a `TODO` wherever the default policy cannot supply a value.
//!
//! Both versions are compiled (so a tree that does not compile is reported, never diffed) and
//! their definitions compared by qualified name and content hash — the hashes the compiler puts
//! in every function and class. This is a source-level view: the update engine's own analysis
//! (`newt_vm::update::analyse`) compares instruction streams against the *running* program and
//! may also report functions whose bytecode changed because a layout they use did.

use newt_compiler::bytecode::{ClassProto, GlobalKind, Image, ProtoKind};
use newt_vm::{ChangeSet, Changes};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A version's root file: the file itself, or `main.newt` in a directory.
pub fn root_file(p: &str) -> Result<PathBuf, String> {
    let path = Path::new(p);
    if path.is_dir() {
        let main = path.join("main.newt");
        if main.is_file() {
            return Ok(main);
        }
        return Err(format!("'{p}' has no main.newt; name the root file instead"));
    }
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    Err(format!("cannot read '{p}': no such file or directory"))
}

fn user(module: &str) -> bool {
    module != "std" && !module.starts_with("std.")
}

fn compare<T: PartialEq>(old: &BTreeMap<String, T>, new: &BTreeMap<String, T>) -> Changes {
    let mut c = Changes::default();
    for (name, v) in new {
        match old.get(name) {
            None => c.added.push(name.clone()),
            Some(o) if o != v => c.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    c.removed = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    c
}

fn functions(img: &Image) -> BTreeMap<String, u64> {
    img.functions
        .iter()
        .filter(|f| user(&f.module) && matches!(f.kind, ProtoKind::Module | ProtoKind::Method { .. }))
        .map(|f| (f.name.clone(), f.hash))
        .collect()
}

fn classes(img: &Image) -> BTreeMap<String, &ClassProto> {
    img.classes.iter().filter(|c| user(&c.module)).map(|c| (c.name.clone(), c)).collect()
}

/// A global's identity for comparison: kind, type and its initialiser's hash.
fn globals(img: &Image) -> BTreeMap<String, (&'static str, String, u64)> {
    let hash = |f: newt_compiler::types::FuncId| img.functions.get(f.0 as usize).map_or(0, |p| p.hash);
    img.globals
        .iter()
        .filter(|g| user(&g.module))
        .filter_map(|g| match g.kind {
            GlobalKind::Function(_) => None,
            GlobalKind::Var { init } => Some((g.name.clone(), ("var", g.ty.clone(), hash(init)))),
            GlobalKind::Const { init } => Some((g.name.clone(), ("const", g.ty.clone(), hash(init)))),
        })
        .collect()
}

/// The change set between two compiled versions (user modules only).
pub fn change_set(old: &Image, new: &Image) -> ChangeSet {
    let (oc, nc) = (classes(old), classes(new));
    let hashes = |m: &BTreeMap<String, &ClassProto>| -> BTreeMap<String, u64> {
        m.iter().map(|(k, c)| (k.clone(), c.hash)).collect()
    };
    ChangeSet {
        functions: compare(&functions(old), &functions(new)),
        classes: compare(&hashes(&oc), &hashes(&nc)),
        globals: compare(&globals(old), &globals(new)),
    }
}

fn short<'a>(name: &'a str, module: &str) -> &'a str {
    name.strip_prefix(module).and_then(|s| s.strip_prefix('.')).unwrap_or(name)
}

/// A skeleton update script for the changes from `old` to `new`, or `None` when the default
/// policy covers everything (no new field without a default, no changed field or global type, no
/// removed class).
pub fn skeleton(old: &Image, new: &Image) -> Option<String> {
    let (oc, nc) = (classes(old), classes(new));
    let mut blocks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, c) in &nc {
        let Some(o) = oc.get(name) else { continue };
        let mut lines = Vec::new();
        for f in &c.fields {
            match o.fields.iter().find(|of| of.name == f.name) {
                None if f.default.is_none() => {
                    lines.push(format!("    self.{} = TODO // new field {}: {} has no default", f.name, f.name, f.ty))
                }
                Some(of) if of.ty != f.ty => {
                    lines.push(format!("    self.{} = TODO // was o.{}: {}, now {}", f.name, f.name, of.ty, f.ty))
                }
                _ => {}
            }
        }
        if !lines.is_empty() {
            let s = short(name, &c.module);
            let text = format!("migrate {s}(o: old.{s}) {{\n{}\n}}\n", lines.join("\n"));
            blocks.entry(c.module.clone()).or_default().push(text);
        }
    }
    for (name, c) in &oc {
        if !nc.contains_key(name) {
            let s = short(name, &c.module);
            let text = format!(
                "// class {s} was removed: live instances need a migration to a class of the new version\n\
                 migrate TODO(o: old.{s}) {{\n    TODO\n}}\n"
            );
            blocks.entry(c.module.clone()).or_default().push(text);
        }
    }
    let (og, ng) = (globals(old), globals(new));
    for (name, (kind, ty, _)) in &ng {
        if let Some((okind, oty, _)) = og.get(name) {
            if *kind == "var" && *okind == "var" && oty != ty {
                let module = new.globals.iter().find(|g| &g.name == name).map(|g| g.module.clone()).unwrap_or_default();
                let s = short(name, &module);
                let text = format!("// was {oty}\nmigrate var {s}: {ty} = TODO // from old.{s}\n");
                blocks.entry(module).or_default().push(text);
            }
        }
    }
    if blocks.is_empty() {
        return None;
    }
    // A script updates one module; the others' blocks follow as comments to move into their own.
    let mut out = String::from("// Skeleton update script written by `newt diff`: replace every TODO.\n");
    for (i, (module, texts)) in blocks.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("update {module}\n\n"));
            for t in texts {
                out.push_str(t);
                out.push('\n');
            }
        } else {
            out.push_str(&format!("// TODO: module {module} needs its own script (update {module}):\n"));
            for t in texts {
                for line in t.lines() {
                    out.push_str(&format!("// {line}\n"));
                }
            }
        }
    }
    Some(out)
}

fn changes_json(c: &Changes) -> serde_json::Value {
    json!({"added": c.added, "changed": c.changed, "removed": c.removed})
}

/// `newt diff`.
pub fn run(old: &str, new: &str, script_out: Option<&str>, as_json: bool) -> u8 {
    let roots = root_file(old).and_then(|o| root_file(new).map(|n| (o, n)));
    let (old_root, new_root) = match roots {
        Ok(r) => r,
        Err(e) => {
            eprintln!("newt: {e}");
            return crate::status::USAGE;
        }
    };
    let mut images = Vec::new();
    for root in [&old_root, &new_root] {
        match crate::pipeline::compile(root) {
            Ok(img) => images.push(img),
            Err(f) => {
                eprint!("{}", f.rendered);
                return crate::status::COMPILE;
            }
        }
    }
    let (Some(o), Some(n)) = (images.first(), images.get(1)) else { return crate::status::RUNTIME };
    let cs = change_set(o, n);
    let script = skeleton(o, n);
    if let (Some(path), Some(text)) = (script_out, &script) {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("newt: cannot write '{path}': {e}");
            return crate::status::USAGE;
        }
    }
    if as_json {
        let v = json!({
            "functions": changes_json(&cs.functions),
            "classes": changes_json(&cs.classes),
            "globals": changes_json(&cs.globals),
            "script": script,
        });
        println!("{v}");
        return crate::status::OK;
    }
    if cs.is_empty() {
        println!("no changes");
    }
    for (kind, c) in [("functions", &cs.functions), ("classes", &cs.classes), ("globals", &cs.globals)] {
        for (what, names) in [("added", &c.added), ("changed", &c.changed), ("removed", &c.removed)] {
            if !names.is_empty() {
                println!("{kind} {what}: {}", names.join(", "));
            }
        }
    }
    match (&script, script_out) {
        (Some(_), Some(p)) => println!("skeleton update script written to {p}"),
        (Some(_), None) => println!("an update script is needed (see --script-out)"),
        (None, Some(_)) => println!("no update script needed; nothing written"),
        (None, None) => {}
    }
    crate::status::OK
}
